"""Reading blocks out of OpenAI and Anthropic message lists, and writing text back in place."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from headroom.messages import ToolCall, detect_format, extract_blocks, write_back
from tests.helpers import anthropic_tool_turn, openai_tool_turn


def test_openai_blocks_carry_role_origin_path_query_and_tool_call() -> None:
    messages = openai_tool_turn("tool says hi", "what does the tool say?", arguments={"q": 1})
    conversation = extract_blocks(messages)
    assert conversation.format == "openai"
    assert [(b.message_index, b.path, b.role, b.origin) for b in conversation.blocks] == [
        (0, ("content",), "system", "system"),
        (1, ("content",), "user", "user"),
        (3, ("content",), "tool", "tool"),
    ]
    tool = conversation.blocks[-1]
    assert tool.text == "tool says hi"
    assert tool.query == "what does the tool say?"
    assert tool.tool_call_id == "call_1"
    assert tool.tool_call == ToolCall("call_1", "fetch", json.dumps({"q": 1}))
    assert conversation.tool_calls == [ToolCall("call_1", "fetch", json.dumps({"q": 1}))]
    assert conversation.user_turns == 1
    assert conversation.last_user_text == "what does the tool say?"
    assert conversation.skipped == []


def test_anthropic_blocks_from_text_parts_and_tool_results() -> None:
    messages = anthropic_tool_turn("result text", "why?", arguments={"b": 2, "a": 1}, as_parts=True)
    conversation = extract_blocks(messages)
    assert conversation.format == "anthropic"
    assert [(b.message_index, b.path, b.origin) for b in conversation.blocks] == [
        (0, ("content", 0, "text"), "user"),
        (1, ("content", 0, "text"), "assistant"),
        (2, ("content", 0, "content", 0, "text"), "tool"),
    ]
    tool = conversation.blocks[-1]
    assert tool.text == "result text"
    assert tool.tool_call_id == "toolu_1"
    # tool_use input is a dict: its arguments are canonical JSON (sorted keys).
    assert tool.tool_call == ToolCall("toolu_1", "fetch", '{"a":1,"b":2}')
    # The tool_result arrives in a user message but is not what the user typed.
    assert conversation.user_turns == 1
    assert conversation.last_user_text == "why?"


def test_anthropic_string_tool_result() -> None:
    conversation = extract_blocks(anthropic_tool_turn("plain", "q"))
    assert conversation.blocks[-1].path == ("content", 0, "content")
    assert conversation.blocks[-1].origin == "tool"


def test_query_is_the_last_user_turn_before_the_block_never_a_later_one() -> None:
    messages = [
        {"role": "user", "content": "first question"},
        {"role": "tool", "tool_call_id": "a", "content": "first output"},
        {"role": "user", "content": "second question"},
        {"role": "tool", "tool_call_id": "b", "content": "second output"},
    ]
    conversation = extract_blocks(messages)
    queries = {b.text: b.query for b in conversation.blocks if b.origin == "tool"}
    assert queries == {"first output": "first question", "second output": "second question"}
    assert conversation.user_turns == 2
    assert conversation.last_user_text == "second question"


def test_images_ids_and_unknown_parts_are_not_blocks() -> None:
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                {"type": "text", "text": "describe"},
                {"type": "mystery", "text": "not a text part"},
                "a bare string part",
                {"type": "text", "text": 42},
            ],
        }
    ]
    conversation = extract_blocks(messages)
    assert [b.text for b in conversation.blocks] == ["describe"]


def test_empty_strings_are_not_blocks() -> None:
    conversation = extract_blocks([{"role": "user", "content": ""}, {"role": "tool", "content": ""}])
    assert conversation.blocks == []


@pytest.mark.parametrize(
    ("messages", "reason"),
    [
        ([42], "message 0: not an object (int), passed through"),
        ([{"role": "robot", "content": "beep"}], "message 0: unknown role 'robot', passed through"),
        ([{"content": "no role"}], "message 0: unknown role None, passed through"),
        ([{"role": "user", "content": 7}], "message 0: content of type int, passed through"),
        ([{"role": "user", "content": {"a": 1}}], "message 0: content of type dict, passed through"),
    ],
)
def test_skipped_messages_say_why(messages: list[Any], reason: str) -> None:
    assert reason in extract_blocks(messages).skipped


def test_unknown_role_text_is_a_block_of_origin_other() -> None:
    (block,) = extract_blocks([{"role": "robot", "content": "beep"}]).blocks
    assert block.origin == "other"


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([{"role": "user", "content": "hi"}], "unknown"),
        ([{"role": "developer", "content": "x"}], "openai"),
        ([{"role": "tool", "content": "x"}], "openai"),
        ([{"role": "assistant", "content": None, "tool_calls": []}], "openai"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}], "openai"),
        (
            [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": ""}]}],
            "anthropic",
        ),
        ([{"role": "user", "content": [{"type": "image", "source": {}}]}], "anthropic"),
        (["junk", {"role": "assistant", "content": [{"type": "tool_use", "id": "t"}]}], "anthropic"),
    ],
)
def test_detect_format(messages: list[Any], expected: str) -> None:
    assert detect_format(messages) == expected


def test_write_back_replaces_only_the_block_and_shares_everything_else() -> None:
    messages = openai_tool_turn("original output")
    before = copy.deepcopy(messages)
    conversation = extract_blocks(messages)
    tool = conversation.blocks[-1]
    result = write_back(messages, conversation.blocks, {tool.id: "short"})
    assert messages == before  # the caller's list is never mutated
    assert result is not messages
    assert result[3] == {"role": "tool", "tool_call_id": "call_1", "content": "short"}
    for index in (0, 1, 2):
        assert result[index] is messages[index]  # untouched messages are the same objects


def test_write_back_into_nested_anthropic_parts_keeps_siblings() -> None:
    messages = anthropic_tool_turn("long output", as_parts=True)
    messages[2]["content"][0]["cache_control"] = {"type": "ephemeral"}
    messages[2]["content"].append({"type": "image", "source": {"type": "base64", "data": "AAAA"}})
    before = copy.deepcopy(messages)
    conversation = extract_blocks(messages)
    result = write_back(messages, conversation.blocks, {conversation.blocks[-1].id: "short"})
    assert messages == before
    expected = copy.deepcopy(before)
    expected[2]["content"][0]["content"][0]["text"] = "short"
    assert result == expected
    assert result[2]["content"][1] is messages[2]["content"][1]


def test_write_back_ignores_unchanged_outputs() -> None:
    messages = openai_tool_turn("same")
    conversation = extract_blocks(messages)
    result = write_back(messages, conversation.blocks, {conversation.blocks[-1].id: "same"})
    assert all(new is old for new, old in zip(result, messages, strict=True))


def test_write_back_refuses_a_path_that_does_not_fit() -> None:
    messages = [{"role": "tool", "content": "x"}]
    conversation = extract_blocks(messages)
    with pytest.raises(KeyError, match="does not fit"):
        write_back([["a message that became a list"]], conversation.blocks, {0: "y"})
