"""Runs a pipeline's stages over a RunState with anyio.

Each stage starts when every stage it runs after has finished, so stages with
no path between them run concurrently. A stage that works only on some labels
(`handles`) is not built or run when no block carries one of them, so a request
of logs never imports the HTML or code compressors. A trace observes the run and changes
nothing in it: the same schedule, `prepare` and `finish` included, with a snapshot of every
block taken as each stage finishes (listed in the pipeline's order). Stage-level failures (outside any one
block) are raised as StageError in strict mode; otherwise they are reported, and
the blocks the failing stage had changed go back as they came. Every other block
keeps its state: the stage's other blocks, the blocks it does not apply to, and the
blocks a cache answered before any stage ran (the form an earlier turn was sent in).

`overrides` maps a stage id to a function of (block, state) that runs on each block the stage
applies to instead of the stage itself (a notebook injecting one stage's output); each block's
failure stays that block's, as in any stage.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import anyio

from headroom.pipeline.errors import StageError
from headroom.pipeline.pipeline import Pipeline, StageEntry
from headroom.pipeline.stage import BlockState, Failure, RunState, Stage, fail_block, for_each_block

if TYPE_CHECKING:
    from headroom.pipeline.trace import Trace

StageOverride = Callable[[BlockState, RunState], None]


async def execute(
    pipeline: Pipeline,
    state: RunState,
    trace: Trace | None = None,
    overrides: Mapping[str, StageOverride] | None = None,
) -> None:
    injected = overrides or {}
    finished = {stage_id: anyio.Event() for stage_id in pipeline.order}
    fatal: list[BaseException] = []

    async def run_stage(stage_id: str, group: anyio.abc.TaskGroup) -> None:
        for before in pipeline.entries[stage_id].after:
            await finished[before].wait()
        started = time.perf_counter()
        state.stages_run.append(stage_id)
        entry = pipeline.entries[stage_id]
        name = entry.use
        if not _idle(entry, state):
            stage = pipeline.stage(stage_id)
            name = stage.name
            if stage_id in injected:
                name = f"{name} (overridden)"
                await for_each_block(stage, state, injected[stage_id])
            error = None if stage_id in injected else await _run_contained(stage, state)
            if error is not None:
                fatal.append(error)
                group.cancel_scope.cancel()
        if trace is not None:
            trace.record(stage_id, name, time.perf_counter() - started, state)
        finished[stage_id].set()

    state.pipeline_id = pipeline.fingerprint
    for stage_id in pipeline.order:
        await _guard_phase(pipeline, stage_id, state, "prepare")
    async with anyio.create_task_group() as group:
        for stage_id in pipeline.order:
            group.start_soon(run_stage, stage_id, group)
    if fatal:
        raise fatal[0]
    if trace is not None:
        trace.in_order(pipeline.order)
    for stage_id in pipeline.order:
        await _guard_phase(pipeline, stage_id, state, "finish")


async def _run_contained(stage: Stage, state: RunState) -> StageError | None:
    """Run one stage. A failure outside any one block is returned to stop the run (strict) or
    contained: only the blocks the stage had changed go back as they came."""
    snapshot = _Snapshot(stage, state)
    try:
        await stage.run(state)
    except StageError as error:
        return error
    except Exception as error:
        if state.strict:
            fatal = StageError(stage.stage_id, stage.name, None, error)
            fatal.__cause__ = error
            return fatal
        snapshot.restore_changed(f"stage {stage.stage_id} ({stage.name})", error)
    return None


def _idle(entry: StageEntry, state: RunState) -> bool:
    """Whether a stage would find nothing to work on: it only handles labels no open block has."""
    if entry.handles is None:
        return False
    return not any(block.compressible and block.label in entry.handles for block in state.blocks)


async def _guard_phase(pipeline: Pipeline, stage_id: str, state: RunState, phase: str) -> None:
    if phase not in pipeline.entries[stage_id].phases:
        return
    stage = pipeline.stage(stage_id)
    try:
        await getattr(stage, phase)(state)
    except Exception as error:
        if state.strict:
            raise StageError(stage_id, stage.name, None, error) from error
        state.failures.append(
            Failure(f"stage {stage_id} ({stage.name}) {phase}", f"{type(error).__name__}: {error}")
        )


class _Snapshot:
    """What a stage's blocks looked like before it ran, to tell which ones a failure touched."""

    def __init__(self, stage: Stage, state: RunState):
        self.state = state
        self.scope = [block for block in state.blocks if _may_change(stage, block)]
        self.marks = [_mark(block) for block in self.scope]

    def restore_changed(self, where: str, error: Exception) -> None:
        """A stage failed outside any one block: only the blocks it had changed are untrustworthy."""
        self.state.failures.append(Failure(where, f"{type(error).__name__}: {error}"))
        for block, mark in zip(self.scope, self.marks, strict=True):
            if block.failed is None and _mark(block) != mark:
                fail_block(block, where)


def _may_change(stage: Stage, block: BlockState) -> bool:
    try:
        return stage.applies_to(block)
    except Exception:  # the stage's own run reports it; a block it could not judge is in its reach
        return True


def _mark(block: BlockState) -> tuple[object, ...]:
    """Every decision a stage can make about a block, cheaply: a changed one changes the mark."""
    keep = block.keep
    return (
        block.label,
        block.protected,
        id(block.scores),
        id(block.relevance),
        len(block.pinned),
        None if keep is None else (id(keep), sum(keep)),
        block.output,
        len(block.notes),
        id(block._document),
    )
