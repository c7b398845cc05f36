"""Responses API input items <-> the chat messages compress() reads."""

from __future__ import annotations

import copy
from typing import Any

from headroom import compress, samples
from headroom.integrations._responses import restore, to_messages


def mixed_items() -> list[dict[str, Any]]:
    return [
        {"role": "developer", "content": "Answer briefly."},
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "What is in this picture and the log?"},
                {"type": "input_image", "image_url": "https://example.invalid/a.png"},
            ],
        },
        {"type": "reasoning", "id": "rs_1", "summary": []},
        {"type": "custom_tool_call", "call_id": "c1", "name": "grep", "input": "ERROR"},
        {"type": "custom_tool_call_output", "call_id": "c1", "output": "line one\nline two"},
        {"type": "item_reference", "id": "msg_0"},
        {
            "type": "message",
            "id": "msg_9",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Looking.", "annotations": []}],
        },
    ]


def test_text_carrying_items_become_chat_messages_at_the_same_positions() -> None:
    converted = to_messages(mixed_items())

    assert converted.messages == [
        {"role": "developer", "content": "Answer briefly."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this picture and the log?"},
                {"type": "headroom_opaque"},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "grep", "arguments": "ERROR"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "line one\nline two"},
        {"role": "assistant", "content": [{"type": "text", "text": "Looking."}]},
    ]
    assert converted.sources == [(0, "content"), (1, "content"), None, (4, "output"), (6, "content")]


def test_restore_writes_new_text_into_copies_and_keeps_everything_else() -> None:
    items = mixed_items()
    before = copy.deepcopy(items)
    converted = to_messages(items)
    changed = list(converted.messages)
    changed[1] = {**changed[1], "content": [{"type": "text", "text": "short"}, changed[1]["content"][1]]}
    changed[3] = {**changed[3], "content": "line one"}

    restored = restore(items, converted, changed)

    assert items == before  # the caller's items are never mutated
    assert restored[1]["content"] == [
        {"type": "input_text", "text": "short"},
        {"type": "input_image", "image_url": "https://example.invalid/a.png"},
    ]
    assert restored[1]["type"] == "message"
    assert restored[4] == {"type": "custom_tool_call_output", "call_id": "c1", "output": "line one"}
    for index in (0, 2, 3, 5, 6):
        assert restored[index] is items[index]


def test_compressing_converted_items_shrinks_tool_outputs() -> None:
    log, _ = samples.application_log()
    items = [
        {"role": "user", "content": "What failed?"},
        {"type": "function_call", "call_id": "c1", "name": "read_log", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": [{"type": "input_text", "text": log}]},
    ]
    converted = to_messages(items)

    restored = restore(items, converted, compress(converted.messages, "gpt-4o").messages)

    assert restored[:2] == items[:2]
    assert restored[2]["output"][0]["type"] == "input_text"
    assert len(restored[2]["output"][0]["text"]) < len(log) / 4
