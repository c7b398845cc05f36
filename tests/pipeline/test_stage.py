"""The stage contract (headroom/stage.py): block state, run state, and running work over blocks."""

from __future__ import annotations

import threading

import anyio
import pytest

from headroom.markers import content_hash
from headroom.pipeline.errors import StageError
from headroom.pipeline.stage import BlockState, Stage, for_each_block
from headroom.tokens import approx_tokens
from tests.helpers import labelled, make_state, openai_tool_turn, run_stage, tool_block

LOG = "\n".join(f"INFO line {i}" for i in range(10))
BIG = 100_000  # characters: a block this size once went to a thread of its own


def test_block_document_is_parsed_lazily_for_its_label_once() -> None:
    block = tool_block(make_state(openai_tool_turn(LOG)))
    assert block.document is None  # no label yet
    block.label = "log"
    first = block.document
    assert first is not None and first.units[0] == "INFO line 0"
    assert block.document is first
    empty = tool_block(make_state(openai_tool_turn(LOG)))
    empty.label = "empty"  # no compressor reads this label
    assert empty.document is None


def test_ref_is_the_content_hash_of_the_original() -> None:
    block = tool_block(make_state(openai_tool_turn(LOG)))
    assert block.ref == content_hash(LOG)


@pytest.mark.parametrize(
    ("field", "value"), [("protected", "user text"), ("failed", "boom"), ("output", "memo")]
)
def test_compressible_only_when_not_protected_failed_or_answered(field: str, value: str) -> None:
    block = tool_block(make_state(openai_tool_turn(LOG)))
    assert block.compressible
    setattr(block, field, value)
    assert not block.compressible


def test_narrow_intersects_and_keeps_pinned_units_that_were_kept() -> None:
    block = BlockState(tool_block(make_state(openai_tool_turn(LOG))).block)
    block.pinned = {1, 4}
    block.narrow([True, False, True, False, False])
    assert block.keep == [True, True, True, False, True]
    block.narrow([False, False, True, True, False])
    # 3 was dropped before: it never comes back. 1 and 4 are pinned: they stay.
    assert block.keep == [False, True, True, False, True]


def test_narrow_never_brings_back_a_pinned_unit_that_was_already_dropped() -> None:
    block = BlockState(tool_block(make_state(openai_tool_turn(LOG))).block)
    block.keep = [True, False, True]
    block.pinned = {1}
    block.narrow([True, True, True])
    assert block.keep == [True, False, True]


def test_render_uses_output_then_document_and_falls_back_to_the_text() -> None:
    block = tool_block(labelled(make_state(openai_tool_turn(LOG)), "log"))
    assert block.render() == LOG
    block.keep = [i < 3 for i in range(10)]
    assert block.render().endswith(f"[headroom: omitted lines 4-10 of 10; hash={block.ref}]")
    block.failed = "boom"
    assert block.render() == LOG
    block.output = "fixed"
    assert block.render() == "fixed"


def test_kept_indices() -> None:
    block = tool_block(labelled(make_state(openai_tool_turn(LOG)), "log"))
    assert block.kept_indices() == list(range(10))
    block.keep = [i % 3 == 0 for i in range(10)]
    assert block.kept_indices() == [0, 3, 6, 9]


def test_option_falls_back_to_default_when_missing_or_none() -> None:
    state = make_state(openai_tool_turn(LOG), max_tokens=None, target_ratio=0.2)
    assert state.option("max_tokens", 7) == 7
    assert state.option("target_ratio", 0.5) == 0.2
    assert state.option("session") is None


def test_only_a_declared_option_can_be_read() -> None:
    state = make_state(openai_tool_turn(LOG))
    with pytest.raises(KeyError, match="option 'absent' is not declared; declare it with"):
        state.option("absent")


def test_decisions_use_the_character_estimate_and_never_the_tokenizer() -> None:
    calls: list[str] = []
    state = labelled(make_state(openai_tool_turn(LOG)), "log")

    def counting(text: str) -> int:
        calls.append(text)
        return 1

    state.count_tokens = counting
    block = tool_block(state)
    assert state.block_tokens(block) == approx_tokens(LOG)
    units = state.unit_tokens(block)
    assert units == [max(1, approx_tokens(unit)) for unit in block.document.units]
    assert len(units) == 10 and all(tokens >= 1 for tokens in units)
    assert calls == []
    prose = tool_block(make_state(openai_tool_turn(LOG)))
    assert state.unit_tokens(prose) == []  # no label, no document, no units


class _Recorder(Stage):
    name = "test.recorder.v1"
    handles = frozenset({"log"})

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, str]] = []

    def process_block(self, block: BlockState, state) -> None:
        self.seen.append((block.block.message_index, threading.current_thread().name))


def test_for_each_block_visits_only_blocks_the_stage_applies_to() -> None:
    messages = [
        {"role": "user", "content": "x"},
        {"role": "tool", "tool_call_id": "a", "content": LOG},
        {"role": "tool", "tool_call_id": "b", "content": "[1, 2]"},
        {"role": "tool", "tool_call_id": "c", "content": LOG},
    ]
    state = make_state(messages)
    for block, label in zip(state.blocks, ["prose", "log", "json_array", "log"], strict=True):
        block.label = label
    state.blocks[3].protected = "recent tool output"
    stage = _Recorder()
    run_stage(stage, state)
    assert [index for index, _ in stage.seen] == [1]


def test_every_block_runs_in_the_runs_own_thread_in_order() -> None:
    # acompress already runs the whole run in a worker thread: a block hopping to another one
    # would only add a thread per block fighting for the interpreter.
    big = "\n".join(f"INFO line {i:06d}" for i in range(BIG // 10))
    messages = [
        {"role": "user", "content": "x"},
        {"role": "tool", "tool_call_id": "a", "content": big},
        {"role": "tool", "tool_call_id": "b", "content": LOG},
    ]
    state = labelled(make_state(messages), "log")
    stage = _Recorder()
    run_stage(stage, state)
    assert stage.seen == [(1, threading.current_thread().name), (2, threading.current_thread().name)]


class _Explode(Stage):
    name = "test.unit-explode.v1"

    def process_block(self, block: BlockState, state) -> None:
        block.keep = [False] * 3  # a half-done change that must not survive the failure
        raise ValueError(f"cannot handle message {block.block.message_index}")


@pytest.mark.parametrize("size", [100, BIG])
def test_passthrough_failure_leaves_the_block_as_it_was_and_is_recorded(size: int) -> None:
    state = labelled(make_state(openai_tool_turn("x" * size)), "log")
    run_stage(_Explode(stage_id="boom"), state)
    block = tool_block(state)
    assert block.keep is None and block.output is None
    assert block.failed == "boom (test.unit-explode.v1): ValueError: cannot handle message 3"
    assert block.render() == block.text
    (failure,) = state.failures
    assert (failure.where, failure.error, failure.message_index) == (
        "stage boom (test.unit-explode.v1)",
        "cannot handle message 3",
        3,
    )


@pytest.mark.parametrize("size", [100, BIG])
def test_strict_failure_raises_stage_error_with_the_cause(size: int) -> None:
    state = labelled(make_state(openai_tool_turn("x" * size), strict=True), "log")
    with pytest.raises(
        StageError, match=r"stage 'boom' \(test.unit-explode.v1\) failed on message 3"
    ) as info:
        anyio.run(for_each_block, _Explode(stage_id="boom"), state, _Explode().process_block)
    assert isinstance(info.value.__cause__, ValueError)
    assert (info.value.stage_id, info.value.stage_name, info.value.message_index) == (
        "boom",
        "test.unit-explode.v1",
        3,
    )


def test_a_stage_without_process_block_says_so() -> None:
    state = labelled(make_state(openai_tool_turn(LOG), strict=True), "log")
    with pytest.raises(StageError) as info:
        run_stage(Stage(stage_id="bare"), state)
    assert isinstance(info.value.__cause__, NotImplementedError)
    assert "must implement process_block or run" in str(info.value)
