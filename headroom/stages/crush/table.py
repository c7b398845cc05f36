"""crush.table.v1: CSV, TSV, `|`-separated and space-aligned tables.

Keeps the header, pinned rows, rows that report an error, what the record rules flag
(`headroom.content.records`: each numeric column's ends, rare values, odd shapes, sign,
zero and empty breaks, disagreeing derived values), anomalous rows (numeric outliers,
rows with another number of cells), the rows the request is about, the top N of a column
the request asks an end of ("best rank", pinned), the rows of the minority values of a
categorical column the request is about (pinned), and the first and last rows; every
kept row is verbatim. Each dropped run
becomes a line-range marker, the first one carrying a per-column summary of all
dropped rows. A table has no faithful shorter writing, so `lossless` leaves it whole.
"""

from __future__ import annotations

from headroom.content.table import TableDocument
from headroom.pipeline.params import param
from headroom.pipeline.registry import register
from headroom.pipeline.stage import BlockState, RunState
from headroom.stages.crush import MARKER_TOKENS, CrushParams, CrushStage
from headroom.stages.crush.scoring import (
    asked_rows,
    numeric_extremes,
    pick_records,
)
from headroom.stages.selection import fill_small_gaps, mask, rank, scaled


class TableParams(CrushParams):
    max_rows: int = param(
        15, ge=0, description="Rows kept besides pinned ones, errors and anomalies (scaled)"
    )
    max_anomalies: int = param(8, ge=0, description="Unusual rows kept besides (scaled)")
    max_matches: int = param(
        30, ge=0, description="Rows holding a word of the request kept (scaled), best first"
    )
    min_rows: int = param(30, ge=0, description="Tables this short are left whole")
    keep_first: int = param(3, ge=0, description="Leading rows kept, the header among them")
    keep_last: int = param(1, ge=0)
    summary: bool = param(True, description="Summarise the dropped rows column by column")
    keep_notable: bool = param(
        True,
        description="Keep the rows the record rules flag: extremes of each numeric column, rare values, "
        "odd shapes, sign, zero and empty breaks, disagreeing derived values",
    )


@register("crush.table.v1")
class CrushTable(CrushStage):
    """Tables: keep the header, errors, anomalies, query rows, first and last; summarise the rest."""

    document_type = TableDocument
    handles = frozenset({"table"})
    Params = TableParams
    params: TableParams

    def process_block(self, block: BlockState, state: RunState) -> None:
        document = block.document
        assert isinstance(document, TableDocument)
        document.summarize = self.params.summary
        total = len(document.units)
        if self.params.policy == "lossless" or total <= self.params.min_rows:
            return
        before = len(block.kept_indices())
        keep = fill_small_gaps(
            self._selection(block, state, document), state.unit_tokens(block), MARKER_TOKENS
        )
        block.narrow(keep)
        block.note(f"{self.name}:rows {before}->{len(block.kept_indices())}")

    def _selection(self, block: BlockState, state: RunState, document: TableDocument) -> list[bool]:
        p = self.params
        candidates = block.kept_indices()
        kept_now = set(candidates) & set(document.data_rows())
        chosen, matches, scores = pick_records(
            block,
            state,
            document,
            p,
            always=document.anchors(),
            matchable=kept_now,
            notable=document.notable(),
        )
        # Beyond position (about 0.3 at the ends) a score means an error, an anomaly or a request match.
        relevant = [i for i in candidates if i not in chosen and scores[i] > 0.35]
        chosen |= set(rank(relevant, scores)[: scaled(p.max_rows, block.bias)])
        records = document.records()
        # A column the request asks an extreme of: its ends over the whole table; a categorical column
        # it is about: the rows of its minority values. Pinned.
        rows = {i: row for i, row in records.items() if i in kept_now}
        asked = asked_rows(block, rows)
        chosen |= asked
        block.pinned |= asked  # the answer to "which is the most ...": no later cut may drop it
        # Among the rows the request names, the smallest and largest of each numeric column.
        chosen |= numeric_extremes({i: records[i] for i in matches if i in records})
        return mask(len(document.units), chosen)
