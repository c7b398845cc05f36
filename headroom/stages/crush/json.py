"""crush.json.v1: JSON arrays of records or scalars.

Keeps pinned items, errors, what the record rules flag (`headroom.content.records`:
each numeric field's ends, rare values, odd shapes, sign, zero and empty breaks,
disagreeing derived values), anomalies (numeric outliers), the items the request is
about, the top N of a field the request asks an end of ("the 5 cheapest", pinned),
and the first and last ones; each
dropped run becomes a marker, the first one carrying a summary of everything
dropped. Kept items are written as minified JSON or as a compact table, whichever
is smaller; very long strings inside kept items are cut, with a marker naming the
key path and the dropped range.
"""

from __future__ import annotations

from typing import Literal

from headroom.content.json_array import JsonArrayDocument, cut_long_strings
from headroom.pipeline.params import param
from headroom.pipeline.registry import register
from headroom.pipeline.stage import BlockState, RunState
from headroom.stages.crush import CrushStage, RecordParams
from headroom.stages.crush.scoring import (
    asked_rows,
    numeric_extremes,
    pick_records,
    request_terms,
    unit_scores,
)
from headroom.stages.selection import mask, rank, scaled


class JsonParams(RecordParams):
    max_items: int = param(
        15, ge=0, description="Items kept besides pinned ones and anomalies (scaled by the message's bias)"
    )
    max_matches: int = param(
        30, ge=0, description="Items holding a word of the request kept besides (scaled), best first"
    )
    min_items: int = param(12, ge=0, description="Arrays this short are only re-encoded, never cut")
    encoding: Literal["auto", "json", "table"] = param(
        "auto", description="How kept items are written: minified JSON, a compact table, or the smaller"
    )


@register("crush.json.v1")
class CrushJson(CrushStage):
    """JSON arrays: keep errors, anomalies, query matches, the first and last items; re-encode compactly."""

    document_type = JsonArrayDocument
    handles = frozenset({"json_array"})
    Params = JsonParams
    params: JsonParams

    def process_block(self, block: BlockState, state: RunState) -> None:
        document = block.document
        assert isinstance(document, JsonArrayDocument)
        document.summarize = self.params.summary
        total = len(document.units)
        before = len(block.kept_indices())
        lossless_keep = block.keep
        # Items that must read on their own: what the score stage pinned, errors, and the answers to
        # "which is the most ..." (not the rows the record rules pin: a table row says as much).
        whole = self._must_keep(block, state, document)
        if self.params.policy != "lossless":
            if total > self.params.min_items:
                selection, asked = self._selection(block, state, document, total)
                block.narrow(selection)
                whole |= asked
            else:
                # Kept whole here, but a budget may still cut it: the items the request asks for
                # ("which have the fraud flag set?") are pinned all the same.
                whole |= self._pin_asked(block, document)
            self._cut_strings(block, document)
        document.whole_rows = frozenset(whole if len(document.units) >= 2 else ())
        self._choose_encoding(document, block)
        changed = block.keep is not None or bool(document.cut)
        if self.params.policy == "auto" and lossless_keep is None and changed:
            self._prefer_smaller(block, document)
        after = len(block.kept_indices())
        block.note(f"{self.name}:items {before}->{after} ({document.encoding})")
        if document.cut:
            block.note(f"{self.name}:long strings cut in {len(document.cut)} items")

    @staticmethod
    def _must_keep(block: BlockState, state: RunState, document: JsonArrayDocument) -> set[int]:
        """Pinned and error items: a table writes them whole, so they read on their own."""
        _, pinned = unit_scores(block, state)
        errors = document.error_signals()
        return set(pinned) | {i for i, signal in enumerate(errors) if signal >= 1.0}

    def _selection(
        self, block: BlockState, state: RunState, document: JsonArrayDocument, total: int
    ) -> tuple[list[bool], set[int]]:
        """The items to keep, and among them those answering "which is the most ..."."""
        p = self.params
        candidates = block.kept_indices()
        # Pinned, first and last, errors, what the record rules flag, the unusual, the items the
        # request names; then the best of the rest.
        chosen, matches, scores = pick_records(block, state, document, p, notable=document.notable())
        rest = [i for i in candidates if i not in chosen]
        chosen |= set(rank(rest, scores)[: scaled(p.max_items, block.bias)])
        # Among the items the request names, the smallest and largest of each numeric field.
        chosen |= numeric_extremes(
            {i: document.items[i] for i in matches if isinstance(document.items[i], dict)}
        )
        asked = self._pin_asked(block, document)
        chosen |= asked
        return mask(total, chosen), asked

    @staticmethod
    def _pin_asked(block: BlockState, document: JsonArrayDocument) -> set[int]:
        """A field the request asks an extreme of: its ends over every item; a categorical field it
        is about: the items of its minority values or of its set flags; the items holding a value
        it names. Pinned: no later cut drops them."""
        candidates = block.kept_indices()
        records = {i: item for i in candidates if isinstance(item := document.items[i], dict)}
        asked = asked_rows(block, records)
        block.pinned |= asked
        return asked

    def _cut_strings(self, block: BlockState, document: JsonArrayDocument) -> None:
        document.cut = {}
        if self.params.max_string_chars is None:
            return
        limit = scaled(self.params.max_string_chars, block.bias)
        if limit <= 0 or max(map(len, document.units), default=0) <= limit:
            return  # no item is even that long
        terms = request_terms(block)
        for index in block.kept_indices():
            if len(document.units[index]) <= limit:
                continue
            item = document.items[index]
            cut = cut_long_strings(item, (index,), limit, terms, block.ref)
            if cut is not item:
                document.cut[index] = cut

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

    def _prefer_smaller(self, block: BlockState, document: JsonArrayDocument) -> None:
        # Both forms hold the same values in the same writing, so characters rank them as tokens
        # would, without tokenising the (large) lossless form.
        selected = (block.keep, document.cut, document.encoding)
        selected_chars = len(block.render())
        block.keep, document.cut = None, {}
        self._choose_encoding(document, block)
        if len(block.render()) > selected_chars:
            block.keep, document.cut, document.encoding = selected
