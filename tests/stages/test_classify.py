"""classify.v1 on a hand-built state: labels and protection."""

from __future__ import annotations

import json

import pytest

from headroom.stages.classify import Classify, ClassifyParams
from tests.helpers import make_state, openai_tool_turn, run_stage, tool_block

BIG_LOG = "\n".join(f"2026-11-27T08:00:{i % 60:02d}Z INFO [api] GET /items/{i} 200" for i in range(100))
BIG_JSON = json.dumps([{"id": i, "name": f"item {i}"} for i in range(100)], indent=2)


def classify(messages: list, **params: object):
    return run_stage(Classify(ClassifyParams(**params)), make_state(messages))


def test_labels_every_block_and_leaves_only_large_tool_output_unprotected() -> None:
    state = classify(openai_tool_turn(BIG_LOG, "what happened?"))
    summary = [(b.block.origin, b.label, b.protected) for b in state.blocks]
    assert summary == [
        ("system", "prose", "system text"),
        ("user", "prose", "user text"),
        ("tool", "log", None),
    ]
    assert tool_block(state).compressible


def test_small_tool_outputs_are_protected_by_min_tokens() -> None:
    state = classify(openai_tool_turn("ERROR short output"))
    assert tool_block(state).protected == "under 200 tokens"
    state = classify(openai_tool_turn("ERROR short output"), min_tokens=0)
    assert tool_block(state).protected is None


@pytest.mark.parametrize(
    ("param", "origin"),
    [("protect_system", "system"), ("protect_user", "user"), ("protect_assistant", "assistant")],
)
def test_role_protection_can_be_turned_off(param: str, origin: str) -> None:
    messages = [
        {"role": "system", "content": BIG_LOG},
        {"role": "user", "content": BIG_LOG},
        {"role": "assistant", "content": BIG_LOG},
    ]
    protected = {b.block.origin: b.protected for b in classify(messages).blocks}
    assert protected == {"system": "system text", "user": "user text", "assistant": "assistant text"}
    unprotected = {b.block.origin: b.protected for b in classify(messages, **{param: False}).blocks}
    assert unprotected[origin] is None
    assert all(value is not None for key, value in unprotected.items() if key != origin)


def test_unknown_roles_are_always_protected() -> None:
    state = classify([{"role": "robot", "content": BIG_LOG}], min_tokens=0)
    assert state.blocks[0].protected == "unknown role"


def test_whitespace_only_output_is_empty_and_protected() -> None:
    state = classify(openai_tool_turn(" " * 2000))
    assert tool_block(state).label == "empty"
    assert tool_block(state).protected == "empty"


def test_protect_recent_tool_outputs_counts_messages_from_the_end() -> None:
    messages = [
        {"role": "user", "content": "go"},
        {"role": "tool", "tool_call_id": "a", "content": BIG_LOG},
        {"role": "tool", "tool_call_id": "b", "content": BIG_JSON},
        {"role": "tool", "tool_call_id": "c", "content": BIG_LOG},
    ]
    state = classify(messages, protect_recent_tool_outputs=2)
    assert [b.protected for b in state.blocks] == [
        "user text",
        None,
        "recent tool output",
        "recent tool output",
    ]
    assert [b.label for b in state.blocks] == ["prose", "log", "json_array", "log"]


def test_blocks_already_answered_or_failed_are_left_alone() -> None:
    state = make_state(openai_tool_turn(BIG_LOG))
    block = tool_block(state)
    block.output = "memoized"
    run_stage(Classify(), state)
    assert block.label is None and block.protected is None
