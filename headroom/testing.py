"""Helpers for testing a stage outside any pipeline, shipped for stage authors.

    from headroom.testing import make_state, run_stage, tool_block

    state = make_state([{"role": "user", "content": "which order failed?"},
                        {"role": "tool", "tool_call_id": "a", "content": big_json}])
    tool_block(state).label = "json_array"      # what classify.v1 would decide
    run_stage(MyStage(), state)
    assert tool_block(state).render() != big_json

`make_state` builds the `RunState` the way `compress()` does (the same context, blocks and
biases), without a pipeline or hooks. `run_stage` runs one stage's `run` (and its `prepare` and
`finish` when it has them) on its own event loop, as the executor would.
"""

from __future__ import annotations

from typing import Any

import anyio

from headroom.messages import extract_blocks
from headroom.pipeline.stage import BlockState, RunContext, RunState, Stage
from headroom.tokens import counter_for


def make_state(
    messages: list[Any],
    model: str | None = "gpt-4o",
    *,
    strict: bool = False,
    store: Any = None,
    bias: dict[int, float] | None = None,
    user_query: str | None = None,
    **options: Any,
) -> RunState:
    """A RunState for `messages`, as compress() builds one; `bias` maps message index -> weight."""
    conversation = extract_blocks(messages)
    biases = bias or {}
    return RunState(
        messages=messages,
        blocks=[
            BlockState(block, bias=biases.get(block.message_index, 1.0)) for block in conversation.blocks
        ],
        context=RunContext.of(conversation, model, user_query),
        count_tokens=counter_for(model),
        options=dict(options),
        store=store,
        strict=strict,
    )


def run_stage(stage: Stage, state: RunState) -> RunState:
    """Run one stage on a state, outside any pipeline: prepare, run, finish."""

    async def phases() -> None:
        await stage.prepare(state)
        await stage.run(state)
        await stage.finish(state)

    anyio.run(phases)
    return state


def tool_blocks(state: RunState) -> list[BlockState]:
    """The blocks that came from tool outputs."""
    return [block for block in state.blocks if block.block.origin == "tool"]


def tool_block(state: RunState) -> BlockState:
    """The one tool-output block (fails when there is not exactly one)."""
    (block,) = tool_blocks(state)
    return block
