"""crush.*: type-specific compressors that drop low-scoring units and re-encode what they keep.

Each crusher works from the unit scores (when a score stage ran) and the current
keep mask, only ever narrows it, and never drops a pinned unit. `policy` says
what it may do: `lossless` (only faithful re-encoding), `lossy` (scored
selection) or `auto` (whichever result is smaller in tokens, keeping every
pinned unit).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from headroom.content.json_array import JsonArrayDocument
from headroom.content.lines import LinesDocument
from headroom.registry import register
from headroom.selection import fill_small_gaps, mask, rank, scaled
from headroom.stage import BlockState, RunState, Stage, StageParams

Policy = Literal["lossless", "lossy", "auto"]
# Roughly what one marker costs in tokens; a dropped run cheaper than this is kept instead.
MARKER_TOKENS = 24


class JsonParams(StageParams):
    policy: Policy = "auto"
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


class LogParams(StageParams):
    policy: Policy = "auto"
    min_lines: int = Field(40, ge=0, description="Logs this short are left whole")
    head_lines: int = Field(5, ge=0)
    tail_lines: int = Field(5, ge=0)
    context_lines: int = Field(
        2, ge=0, description="Lines kept around each error or warning (scaled by bias)"
    )
    max_trace_lines: int = Field(
        60, ge=2, description="Traces up to this long are kept whole (scaled by bias)"
    )
    max_relevant_lines: int = Field(20, ge=0, description="Query-relevant lines kept besides pinned (scaled)")
    keep_warnings: bool = True


@register("crush.log.v1")
class CrushLog(Stage):
    """Logs: keep errors and warnings with context, stack traces whole, query matches, head and tail."""

    requires = frozenset({"labels"})
    provides = frozenset({"selection"})
    handles = frozenset({"log"})
    Params = LogParams
    params: LogParams

    def applies_to(self, block: BlockState) -> bool:
        return super().applies_to(block) and isinstance(block.document, LinesDocument)

    def process_block(self, block: BlockState, state: RunState) -> None:
        document = block.document
        assert isinstance(document, LinesDocument)
        total = len(document.units)
        if self.params.policy == "lossless" or total <= self.params.min_lines:
            return  # no faithful re-encoding of a log yet: leave it whole
        before = len(block.kept_indices())
        chosen = self._selection(block, document, total)
        keep = fill_small_gaps(mask(total, chosen), state.unit_tokens(block), MARKER_TOKENS)
        block.narrow(keep)
        block.note(f"{self.name}:lines {before}->{len(block.kept_indices())}")

    def _selection(self, block: BlockState, document: LinesDocument, total: int) -> set[int]:
        p = self.params
        bias = block.bias
        chosen = set(block.pinned)
        chosen.update(range(min(total, scaled(p.head_lines, bias))))
        chosen.update(range(max(0, total - scaled(p.tail_lines, bias)), total))
        threshold = 0.5 if p.keep_warnings else 1.0
        context = scaled(p.context_lines, bias)
        for index, signal in enumerate(document.error_signals()):
            if signal >= threshold:
                chosen.update(range(max(0, index - context), min(total, index + context + 1)))
        for trace in document.groups():
            chosen.update(self._trace_lines(trace, scaled(p.max_trace_lines, bias)))
        chosen |= self._relevant(block, scaled(p.max_relevant_lines, bias))
        return chosen

    @staticmethod
    def _trace_lines(trace: range, limit: int) -> range | set[int]:
        if len(trace) <= limit:
            return trace
        half = max(1, limit // 2)
        return set(trace[:half]) | set(trace[-half:])

    @staticmethod
    def _relevant(block: BlockState, limit: int) -> set[int]:
        if block.scores is None or limit == 0:
            return set()
        # A relevance score beyond what position and errors give: a match of the request.
        candidates = [i for i, score in enumerate(block.scores) if score > 0.5]
        return set(rank(candidates, block.scores)[:limit])
