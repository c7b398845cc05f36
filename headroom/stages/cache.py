"""cache.v1: keep every original under its hash, and memoize outputs so the same input gives the same bytes.

Before any stage runs (`prepare`), a block whose exact inputs were compressed
before gets the stored output and is skipped by every other stage. After every
stage has run (`finish`, so the stage's place in the graph cannot make it see a
half-done block), it stores the original of every block that changed (so
`headroom.retrieve(hash)` returns it byte for byte) and memoizes the output.
"""

from __future__ import annotations

import hashlib
import json

import orjson
from pydantic import Field

from headroom.registry import register
from headroom.stage import BlockState, RunState, Stage, StageParams


class CacheParams(StageParams):
    memoize: bool = Field(True, description="Reuse the output for a block whose inputs were seen before")


def memo_key(block: BlockState, state: RunState) -> str:
    """Everything the output of a block depends on."""
    call = block.block.tool_call
    later_tool_outputs = sum(
        1
        for other in state.blocks
        if other.block.origin == "tool" and other.block.message_index > block.block.message_index
    )
    parts = [
        state.pipeline_id,
        state.context.model or "",
        block.ref,
        block.block.origin,
        block.block.query,
        call.arguments if call else "",
        repr(block.bias),
        str(later_tool_outputs),
        orjson.dumps(
            {k: v for k, v in state.options.items()}, option=orjson.OPT_SORT_KEYS, default=str
        ).decode(),
    ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


@register("cache.v1")
class Cache(Stage):
    """Store originals by hash; memoize outputs for byte-identical repeats."""

    requires = frozenset({"labels"})
    provides = frozenset({"stored"})
    Params = CacheParams
    params: CacheParams

    def applies_to(self, block: BlockState) -> bool:
        return block.failed is None and block.protected is None and block.label is not None

    async def prepare(self, state: RunState) -> None:
        if not self.params.memoize or state.store is None:
            return
        for block in state.blocks:
            if block.block.origin != "tool":
                continue
            hit = state.store.get_memo(memo_key(block, state))
            if hit is None:
                continue
            record = json.loads(hit)
            if state.store.get(block.ref) is None:
                continue  # the original is gone, so the markers could not be undone: recompute
            block.output = record["output"]
            block.notes.extend(record["notes"])
            block.notes.append(f"{self.name}:memo hit")

    async def run(self, state: RunState) -> None:
        """Nothing to do in graph order: the work needs every stage's result, so it is in `finish`."""

    async def finish(self, state: RunState) -> None:
        if state.store is None:
            return
        for block in state.blocks:
            if not self.applies_to(block) or block.output is not None:
                continue
            rendered = block.render()
            if rendered == block.text:
                continue
            state.store.put(block.ref, block.text)
            if self.params.memoize:
                # The standard library escapes lone surrogates (which orjson refuses), so any text memoizes.
                record = json.dumps({"output": rendered, "notes": block.notes})
                state.store.put_memo(memo_key(block, state), record)
