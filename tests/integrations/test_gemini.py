"""Gemini / Vertex AI `contents` <-> the chat messages compress() reads."""

from __future__ import annotations

import copy
import json
from typing import Any

from headroom import compress, samples
from headroom.ccr.stores import MemoryStore
from headroom.integrations._gemini import FunctionResponse, TextRun, restore, to_messages


def mixed_contents() -> list[dict[str, Any]]:
    return [
        {
            "role": "user",
            "parts": [{"text": "What is in this picture?"}, {"inline_data": {"mime_type": "image/png"}}],
        },
        {
            "role": "model",
            "parts": [
                {"text": "Let me look."},
                {"function_call": {"name": "grep", "args": {"pattern": "ERROR"}}},
                {"functionCall": {"name": "grep", "args": {"pattern": "WARN"}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"function_response": {"name": "grep", "response": {"content": "line one"}}},
                {"functionResponse": {"name": "grep", "response": {"content": "line two"}}},
                {"function_response": {"name": "stat", "response": {"size": 10}}},  # no text: left as it is
            ],
        },
        "not an entry",
        {"role": "user", "parts": "not a list"},
    ]


def test_text_runs_calls_and_responses_become_chat_messages_in_order() -> None:
    converted = to_messages(mixed_contents())

    assert converted.messages == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "What is in this picture?"}, {"type": "headroom_opaque"}],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "Let me look."}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "grep:1",
                    "type": "function",
                    "function": {"name": "grep", "arguments": '{"pattern": "ERROR"}'},
                },
                {
                    "id": "grep:2",
                    "type": "function",
                    "function": {"name": "grep", "arguments": '{"pattern": "WARN"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "grep:1", "content": "line one"},
        {"role": "tool", "tool_call_id": "grep:2", "content": "line two"},
        {"role": "user", "content": [{"type": "headroom_opaque"}]},
    ]
    assert converted.sources == [
        TextRun(0, (0, 1)),
        TextRun(1, (0,)),
        None,
        FunctionResponse(2, 0, "function_response"),
        FunctionResponse(2, 1, "functionResponse"),
        TextRun(2, (2,)),
    ]


def test_restoring_unchanged_messages_gives_back_the_same_entries() -> None:
    contents = mixed_contents()
    converted = to_messages(contents)

    restored = restore(contents, converted, converted.messages)

    assert restored == contents
    assert all(after is before for after, before in zip(restored, contents, strict=True))


def test_compressed_text_is_written_back_and_every_other_key_kept() -> None:
    contents = mixed_contents()
    original = copy.deepcopy(contents)
    converted = to_messages(contents)
    changed = copy.deepcopy(converted.messages)
    changed[0]["content"][0]["text"] = "What?"
    changed[4]["content"] = "line 2"

    restored = restore(contents, converted, changed)

    assert contents == original  # the input is never touched
    assert restored[0]["parts"] == [{"text": "What?"}, {"inline_data": {"mime_type": "image/png"}}]
    assert restored[1] is contents[1]
    assert restored[2]["parts"][1] == {
        "functionResponse": {"name": "grep", "response": {"content": "line 2"}}
    }
    assert restored[2]["parts"][0] is contents[2]["parts"][0]
    assert restored[2]["parts"][2] is contents[2]["parts"][2]
    assert restored[3:] == contents[3:]


def test_a_compressed_gemini_request_keeps_its_shape_and_loses_what_compress_drops() -> None:
    records, failed = samples.json_records()
    log, facts = samples.application_log()
    contents = [
        {"role": "user", "parts": [{"text": "Why did order ord-10187 fail?"}]},
        {"role": "model", "parts": [{"function_call": {"name": "list_orders", "args": {}}}]},
        {
            "role": "user",
            "parts": [
                {"function_response": {"name": "list_orders", "response": {"content": json.dumps(records)}}}
            ],
        },
        {"role": "model", "parts": [{"function_call": {"name": "read_log", "args": {}}}]},
        {
            "role": "user",
            "parts": [{"function_response": {"name": "read_log", "response": {"content": log}}}],
        },
    ]
    converted = to_messages(contents)

    result = compress(converted.messages, "gemini-1.5-pro", store=MemoryStore())
    restored = restore(contents, converted, result.messages)

    assert [list(part) for entry in restored for part in entry["parts"]] == [
        list(part) for entry in contents for part in entry["parts"]
    ]
    assert len(json.dumps(restored)) < len(json.dumps(contents)) / 4
    orders, logged = (
        restored[index]["parts"][0]["function_response"]["response"]["content"] for index in (2, 4)
    )
    assert failed["id"] in orders
    needles = [*facts["trace_first_frames"], *facts["trace_last_frames"], facts["request_id"]]
    assert all(needle in logged for needle in needles)
