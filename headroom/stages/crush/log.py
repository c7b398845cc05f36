"""crush.log.v1: application and system logs.

Keeps errors and warnings with context, stack traces whole, query matches,
unusual field values, head and tail, and one example of each kind of repeated
line; the rest collapses into markers whose marked summary says which kept line
the omitted ones are like and the range of their varying fields. Repeated
errors and traces keep their first and last instance, so a log where every
line is an error still compresses. There is no faithful re-encoding of a log:
`lossless` leaves it whole, and `auto` is the selection.
"""

from __future__ import annotations

from collections import Counter

from headroom.content.lines import LinesDocument
from headroom.content.log import LogDocument
from headroom.pipeline.params import param
from headroom.pipeline.registry import register
from headroom.pipeline.stage import BlockState, RunState
from headroom.stages.crush import CrushParams, CrushStage
from headroom.stages.crush.lines import (
    RELEVANT_SCORE,
    around,
    head_and_tail,
    head_and_tail_of,
    narrow_to,
    relevant,
)
from headroom.stages.selection import rank, scaled


class LogParams(CrushParams):
    min_lines: int = param(40, ge=0, description="Logs this short are left whole")
    head_lines: int = param(5, ge=0)
    tail_lines: int = param(5, ge=0)
    context_lines: int = param(
        2, ge=0, description="Lines kept around each error or warning (scaled by bias)"
    )
    max_trace_lines: int = param(
        60, ge=2, description="Traces up to this long are kept whole (scaled by bias)"
    )
    max_relevant_lines: int = param(20, ge=0, description="Query-relevant lines kept besides pinned (scaled)")
    keep_warnings: bool = True
    max_templates: int = param(
        30, ge=0, description="Kinds of repeated line kept as one example each, most frequent first (scaled)"
    )
    max_anomalies: int = param(10, ge=0, description="Lines with a rare field value kept (scaled)")
    collapse_repeats: bool = param(
        True, description="Repeated errors, warnings and traces keep only their first and last instance"
    )


@register("crush.log.v1")
class CrushLog(CrushStage):
    """Logs: errors and warnings with context, traces whole, query matches, one example per kind of line."""

    document_type = LinesDocument
    Params = LogParams
    params: LogParams

    def process_block(self, block: BlockState, state: RunState) -> None:
        document = block.document
        assert isinstance(document, LinesDocument)
        total = len(document.units)
        if self.params.policy == "lossless" or total <= self.params.min_lines:
            return  # no faithful re-encoding of a log: leave it whole
        narrow_to(block, state, self._selection(block, document, total), self.name)

    def _selection(self, block: BlockState, document: LinesDocument, total: int) -> set[int]:
        p = self.params
        bias = block.bias
        templated = isinstance(document, LogDocument) and p.collapse_repeats
        repeats = document.repeats() if isinstance(document, LogDocument) and templated else set()
        chosen = set(block.pinned)
        chosen |= head_and_tail(total, scaled(p.head_lines, bias), scaled(p.tail_lines, bias))
        threshold = 0.5 if p.keep_warnings else 1.0
        reports = [i for i, s in enumerate(document.error_signals()) if s >= threshold and i not in repeats]
        context = scaled(p.context_lines, bias)
        chosen |= around(reports, context, context, total)
        for trace in document.groups():
            if not (isinstance(document, LogDocument) and templated and document.trace_is_repeat(trace)):
                chosen.update(head_and_tail_of(trace, scaled(p.max_trace_lines, bias)))
        chosen |= relevant(
            block, scaled(p.max_relevant_lines, bias), _relevance_candidates(block, document, repeats)
        )
        chosen |= self._anomalies(block, document, scaled(p.max_anomalies, bias))
        if isinstance(document, LogDocument):
            chosen |= _examples(document, chosen, scaled(p.max_templates, bias))
        return chosen

    @staticmethod
    def _anomalies(block: BlockState, document: LinesDocument, limit: int) -> set[int]:
        signals = document.anomaly_signals()
        candidates = [i for i, signal in enumerate(signals) if signal >= 0.6]
        return set(rank(candidates, block.scores)[:limit])


def _relevance_candidates(block: BlockState, document: LinesDocument, repeats: set[int]) -> list[int]:
    """Every line but a repeat that scores high for its error alone (its first and last instance
    speak for it); a repeat the request matches still counts."""
    if block.scores is None or not repeats:
        return list(range(len(document.units)))
    errors = document.error_signals()
    return [
        i for i, score in enumerate(block.scores) if i not in repeats or score - errors[i] > RELEVANT_SCORE
    ]


def _examples(document: LogDocument, chosen: set[int], limit: int) -> set[int]:
    """The first instance of each repeated kind of line that has no kept instance yet, most frequent first."""
    ids = document.template_ids()
    counts = Counter(ids)
    shown = {ids[i] for i in chosen}
    first: dict[int, int] = {}
    for index, template_id in enumerate(ids):
        first.setdefault(template_id, index)
    wanted = [t for t, count in counts.items() if count >= 2 and t not in shown]
    wanted.sort(key=lambda t: (-counts[t], first[t]))
    return {first[t] for t in wanted[:limit]}
