"""The executor: stages in graph order, failures raised (strict) or reported with the block restored."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterator

import anyio
import pytest

from headroom import compress
from headroom.ccr.stores import MemoryStore
from headroom.pipeline import registry
from headroom.pipeline.errors import StageError
from headroom.pipeline.executor import execute
from headroom.pipeline.loading import load_pipeline, pipeline_from_yaml
from headroom.pipeline.stage import BlockState, RunState, Stage, StageParams
from headroom.pipeline.trace import Trace
from tests.helpers import PIPELINES, make_state, openai_tool_turn

RECORDS = json.dumps([{"id": f"ord-{i}", "status": "ok", "amount": i} for i in range(200)], indent=2)


class ExplodeParams(StageParams):
    fail_on: str = "json_array"  # the label of the blocks it fails on
    whole_run: bool = False  # fail in `run`, outside any block


class Explode(Stage):
    """Test only: fails on every block with one label, after a crusher has narrowed it."""

    requires = frozenset({"labels"})
    Params = ExplodeParams
    params: ExplodeParams

    async def run(self, state: RunState) -> None:
        if self.params.whole_run:
            for block in state.blocks:
                if self.applies_to(block) and block.document is not None:
                    block.keep = [False] * len(block.document.units)  # half done, then it fails
            raise RuntimeError("the whole run went wrong")
        await super().run(state)

    def applies_to(self, block: BlockState) -> bool:
        return super().applies_to(block) and block.label == self.params.fail_on

    def process_block(self, block: BlockState, state: RunState) -> None:
        if block.document is not None:
            block.keep = [False] * len(block.document.units)  # a half-done change that must be undone
        raise ValueError(f"cannot crush {len(block.text)} characters")


class PhaseFails(Stage):
    """Test only: fails in prepare or finish."""

    class Params(StageParams):
        phase: str = "prepare"

    async def prepare(self, state: RunState) -> None:
        if self.params.phase == "prepare":  # type: ignore[attr-defined]
            raise OSError("store unavailable")

    async def run(self, state: RunState) -> None:
        return None

    async def finish(self, state: RunState) -> None:
        if self.params.phase == "finish":  # type: ignore[attr-defined]
            raise OSError("store unavailable")


@pytest.fixture(autouse=True)
def registered_test_stages() -> Iterator[None]:
    """Register the test-only stages for this module's tests, and take them away afterwards."""
    registry.names()
    registry.register("test.explode.v1")(Explode)
    registry.register("test.phase.v1")(PhaseFails)
    yield
    registry._stages.pop("test.explode.v1", None)
    registry._stages.pop("test.phase.v1", None)


def run(pipeline, state: RunState, trace: Trace | None = None) -> RunState:
    anyio.run(execute, pipeline, state, trace)
    return state


def test_stages_run_in_graph_order_and_are_recorded() -> None:
    pipeline = load_pipeline(PIPELINES / "budget_first.yaml")
    state = run(pipeline, make_state(openai_tool_turn(RECORDS), store=MemoryStore()))
    assert state.stages_run == ["classify", "score", "budget", "crush_json", "crush_log", "cache"]
    assert state.stages_run == pipeline.order
    assert state.pipeline_id == pipeline.fingerprint
    assert state.failures == []


def test_a_stage_starts_only_after_everything_it_runs_after() -> None:
    pipeline = pipeline_from_yaml(
        "version: 1\nname: p\nstages:\n"
        "  classify: {use: classify.v1}\n"
        "  b_log: {use: crush.log.v1, after: [classify]}\n"
        "  a_json: {use: crush.json.v1, after: [classify]}\n"
        "  z_budget: {use: budget.v1, after: [a_json, b_log]}\n"
    )
    state = run(pipeline, make_state(openai_tool_turn(RECORDS)))
    assert state.stages_run[0] == "classify"
    assert set(state.stages_run[1:3]) == {"a_json", "b_log"}
    assert state.stages_run[3] == "z_budget"


def explode_state(strict: bool = False) -> RunState:
    log = "\n".join(f"2026-11-27T08:00:{i % 60:02d}Z INFO request {i} ok" for i in range(300))
    messages = [
        {"role": "user", "content": "what failed?"},
        {"role": "tool", "tool_call_id": "a", "content": log},
        {"role": "tool", "tool_call_id": "b", "content": RECORDS},
    ]
    return make_state(messages, strict=strict, store=MemoryStore())


def test_strict_block_failure_raises_stage_error_naming_stage_id_name_and_message() -> None:
    pipeline = load_pipeline(PIPELINES / "explode.yaml")
    with pytest.raises(
        StageError,
        match=(
            r"^stage 'explode' \(test\.explode\.v1\) failed on message 2: "
            r"ValueError: cannot crush \d+ characters$"
        ),
    ) as info:
        run(pipeline, explode_state(strict=True))
    error = info.value
    assert (error.stage_id, error.stage_name, error.message_index) == ("explode", "test.explode.v1", 2)
    assert isinstance(error.__cause__, ValueError)


def test_passthrough_block_failure_restores_that_block_and_reports_it() -> None:
    pipeline = load_pipeline(PIPELINES / "explode.yaml")
    state = run(pipeline, explode_state())
    json_block, log_block = state.blocks[2], state.blocks[1]
    assert json_block.render() == RECORDS  # as it was, although crush_json had narrowed it
    assert json_block.failed is not None
    assert log_block.keep is not None and log_block.render() != log_block.text  # the others still compress
    (failure,) = state.failures
    assert failure.where == "stage explode (test.explode.v1)"
    assert failure.message_index == 2
    assert failure.error.startswith("cannot crush")
    assert state.stages_run[-1] == "cache"  # the run went on


def test_whole_run_failure_strict_raises_without_a_message_index() -> None:
    pipeline = pipeline_from_yaml(
        (PIPELINES / "explode.yaml").read_text().replace("fail_on: json_array", "whole_run: true")
    )
    with pytest.raises(
        StageError, match=r"stage 'explode' \(test\.explode\.v1\) failed on the whole run: RuntimeError"
    ) as info:
        run(pipeline, explode_state(strict=True))
    assert info.value.message_index is None
    assert isinstance(info.value.__cause__, RuntimeError)


def test_whole_run_failure_passthrough_restores_the_blocks_it_touched_and_no_other() -> None:
    pipeline = pipeline_from_yaml(
        (PIPELINES / "explode.yaml").read_text().replace("fail_on: json_array", "whole_run: true")
    )
    state = run(pipeline, explode_state())
    json_block, log_block = state.blocks[2], state.blocks[1]
    assert json_block.render() == RECORDS and json_block.failed is not None
    assert log_block.failed is None and len(log_block.render()) < len(log_block.text)  # still compressed
    (failure,) = state.failures
    assert failure.where == "stage explode (test.explode.v1)"
    assert failure.error == "RuntimeError: the whole run went wrong"
    assert failure.message_index is None


@pytest.mark.parametrize("phase", ["prepare", "finish"])
def test_prepare_and_finish_failures(phase: str) -> None:
    text = f"version: 1\nname: p\nstages:\n  phases: {{use: test.phase.v1, params: {{phase: {phase}}}}}\n"
    pipeline = pipeline_from_yaml(text)
    state = run(pipeline, explode_state())
    (failure,) = state.failures
    assert failure.where == f"stage phases (test.phase.v1) {phase}"
    assert failure.error == "OSError: store unavailable"
    with pytest.raises(
        StageError, match=r"stage 'phases' \(test\.phase\.v1\) failed on the whole run: OSError"
    ):
        run(pipeline, explode_state(strict=True))


def test_trace_records_each_stage_as_it_finishes() -> None:
    trace = Trace("no_score")
    pipeline = load_pipeline(PIPELINES / "no_score.yaml")
    state = run(pipeline, make_state(openai_tool_turn(RECORDS), store=MemoryStore()), trace)
    assert [stage.stage_id for stage in trace.stages] == state.stages_run == pipeline.order
    assert [stage.stage_name for stage in trace.stages] == [
        "classify.v1",
        "crush.json.v1",
        "crush.log.v1",
        "budget.v1",
        "cache.v1",
    ]


# The same, through compress(): what a user sees. ------------------------------------------------------


def test_compress_strict_raises_stage_error_with_the_original_as_cause() -> None:
    messages = explode_state().messages
    with pytest.raises(
        StageError, match=r"stage 'explode' \(test\.explode\.v1\) failed on message 2"
    ) as info:
        compress(list(messages), pipeline=PIPELINES / "explode.yaml", strict=True, store=MemoryStore())
    assert isinstance(info.value.__cause__, ValueError)


def test_compress_passthrough_returns_the_failed_message_as_it_was_and_reports_it() -> None:
    messages = list(explode_state().messages)
    before = copy.deepcopy(messages)
    result = compress(messages, pipeline=PIPELINES / "explode.yaml", store=MemoryStore())
    assert messages == before
    assert result.messages[2] == before[2]
    assert result.messages[1] != before[1]  # the log was still compressed
    assert result.failures == [
        f"stage explode (test.explode.v1) (message 2): cannot crush {len(RECORDS)} characters; left as it was"
    ]


def test_on_error_strict_in_the_file_makes_the_run_strict() -> None:
    text = (PIPELINES / "explode.yaml").read_text().replace("stages:\n", "on_error: strict\nstages:\n", 1)
    path_free = pipeline_from_yaml(text)
    assert path_free.strict
    with pytest.raises(StageError):
        compress(list(explode_state().messages), pipeline=path_free, store=MemoryStore())


class Counting(Stage):
    """Test only: counts its runs; works on logs only."""

    handles = frozenset({"log"})
    requires = frozenset({"labels"})
    ran = 0

    async def run(self, state: RunState) -> None:
        Counting.ran += 1
        await super().run(state)

    def process_block(self, block: BlockState, state: RunState) -> None:
        return None


def test_a_stage_for_labels_no_block_has_is_not_run_but_still_traced() -> None:
    registry.register("test.counting.v1")(Counting)
    try:
        pipeline = pipeline_from_yaml(
            "version: 1\nname: p\nstages:\n"
            "  classify: {use: classify.v1}\n"
            "  count: {use: test.counting.v1, after: [classify]}\n"
        )
        Counting.ran = 0
        trace = Trace("p", tokens_input=0)
        records_only = run(pipeline, make_state(openai_tool_turn(RECORDS)), trace)
        assert Counting.ran == 0  # no log block: the stage did not run
        assert records_only.stages_run == ["classify", "count"]
        assert [stage.stage_id for stage in trace.stages] == ["classify", "count"]
        log = "\n".join(f"2026-11-27T08:00:{i % 60:02d}Z INFO request {i} ok" for i in range(300))
        run(pipeline, make_state(openai_tool_turn(log)))
        assert Counting.ran == 1
    finally:
        registry._stages.pop("test.counting.v1", None)


def test_a_compiled_stage_is_built_on_first_use_only() -> None:
    pipeline = load_pipeline("default")
    fresh = type(pipeline)(
        name=pipeline.name,
        on_error=pipeline.on_error,
        source="copy",
        order=pipeline.order,
        entries={key: dataclasses.replace(entry, instance=None) for key, entry in pipeline.entries.items()},
        fingerprint=pipeline.fingerprint,
        text=pipeline.text,
    )
    run(fresh, make_state(openai_tool_turn(RECORDS), store=MemoryStore()))
    built = {stage_id for stage_id, entry in fresh.entries.items() if entry.instance is not None}
    assert "crush_json" in built and "crush_log" not in built and "crush_html" not in built
