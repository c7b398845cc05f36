"""crush.log.v1: application and system logs."""

from __future__ import annotations

from pydantic import Field

from headroom.content.lines import LinesDocument
from headroom.registry import register
from headroom.selection import fill_small_gaps, mask, rank, scaled
from headroom.stage import BlockState, RunState, Stage
from headroom.stages.crush import MARKER_TOKENS, CrushParams


class LogParams(CrushParams):
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
