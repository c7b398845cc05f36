"""crush.json.v1: JSON arrays of records."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from headroom.content.json_array import JsonArrayDocument
from headroom.registry import register
from headroom.selection import mask, rank, scaled
from headroom.stage import BlockState, RunState, Stage
from headroom.stages.crush import CrushParams


class JsonParams(CrushParams):
    max_items: int = Field(
        15, ge=0, description="Items kept besides pinned ones (scaled by the message's bias)"
    )
    min_items: int = Field(12, ge=0, description="Arrays this short are only re-encoded, never cut")
    keep_first: int = Field(2, ge=0)
    keep_last: int = Field(1, ge=0)
    encoding: Literal["auto", "json", "table"] = Field(
        "auto", description="How kept items are written: minified JSON, a compact table, or the smaller"
    )


@register("crush.json.v1")
class CrushJson(Stage):
    """JSON arrays: keep errors, anomalies, query matches, the first and last items; re-encode compactly."""

    requires = frozenset({"labels"})
    provides = frozenset({"selection"})
    handles = frozenset({"json_array"})
    Params = JsonParams
    params: JsonParams

    def applies_to(self, block: BlockState) -> bool:
        return super().applies_to(block) and isinstance(block.document, JsonArrayDocument)

    def process_block(self, block: BlockState, state: RunState) -> None:
        document = block.document
        assert isinstance(document, JsonArrayDocument)
        total = len(document.units)
        before = len(block.kept_indices())
        lossless_keep = block.keep
        if self.params.policy != "lossless" and total > self.params.min_items:
            block.narrow(self._selection(block, total))
        self._choose_encoding(document, block)
        if self.params.policy == "auto" and block.keep is not None and lossless_keep is None:
            self._prefer_smaller(block, state)
        after = len(block.kept_indices())
        block.note(f"{self.name}:items {before}->{after} ({document.encoding})")

    def _selection(self, block: BlockState, total: int) -> list[bool]:
        candidates = block.kept_indices()
        capacity = scaled(self.params.max_items, block.bias)
        chosen = set(rank((i for i in candidates if i not in block.pinned), block.scores)[:capacity])
        chosen |= block.pinned
        chosen |= set(candidates[: self.params.keep_first])
        if self.params.keep_last:
            chosen |= set(candidates[-self.params.keep_last :])
        return mask(total, chosen)

    def _choose_encoding(self, document: JsonArrayDocument, block: BlockState) -> None:
        wanted = self.params.encoding
        if wanted == "auto":
            document.encoding = "json"
            as_json = document.render(block.keep, block.ref)
            document.encoding = "table"
            as_table = document.render(block.keep, block.ref)
            document.encoding = "table" if len(as_table) < len(as_json) else "json"
        else:
            document.encoding = wanted

    def _prefer_smaller(self, block: BlockState, state: RunState) -> None:
        # Both forms are JSON of the same values, so characters rank them as tokens would,
        # without tokenising the (large) lossless form.
        selected_keep = block.keep
        selected_chars = len(block.render())
        block.keep = None
        if len(block.render()) > selected_chars:
            block.keep = selected_keep
