"""crush.json_object.v1: nested JSON objects (API responses, manifests, specs, package metadata).

Every map (many members of one type) and every array inside the object is
sampled like a JSON array: pinned children, errors, what the record rules flag
among the children (a rare `fraud_flag: true`, a field's ends), anomalies, the children
the request is about, the top N of a field the request asks an end of (the model with
the largest `max_input_tokens`, pinned), the children of the minority values of a categorical
field the request is about (the shapes whose `type` is no structure or string, pinned) and the
first and last ones stay; the rest become markers in
place, naming the JSON path and the size, with a summary of what was dropped.
Records' small fields are never dropped. Very long strings are cut with a marker
naming the key path. With nothing dropped the object is minified JSON.
"""

from __future__ import annotations

from headroom.content.json_array import as_records, cut_long_strings
from headroom.content.json_object import JsonObjectDocument, Node
from headroom.content.records import notable_records
from headroom.pipeline.params import param
from headroom.pipeline.registry import register
from headroom.pipeline.stage import BlockState, RunState
from headroom.stages.crush import CrushStage, RecordParams
from headroom.stages.crush.scoring import (
    asked_rows,
    keep_notable,
    request_terms,
    unit_scores,
)
from headroom.stages.selection import rank, scaled


class JsonObjectParams(RecordParams):
    max_items: int = param(
        15, ge=0, description="Children of each map or array kept besides pinned ones and anomalies (scaled)"
    )
    min_items: int = param(12, ge=0, description="Maps and arrays this short are kept whole")


@register("crush.json_object.v1")
class CrushJsonObject(CrushStage):
    """Nested JSON: sample big maps and arrays, keep records' fields, cut long strings, minify."""

    document_type = JsonObjectDocument
    handles = frozenset({"json_object"})
    Params = JsonObjectParams
    params: JsonObjectParams

    def process_block(self, block: BlockState, state: RunState) -> None:
        document = block.document
        assert isinstance(document, JsonObjectDocument)
        document.summarize = self.params.summary
        before = len(block.kept_indices())
        lossless_keep = block.keep
        if self.params.policy != "lossless":
            block.narrow(self._selection(block, state, document))
            self._cut_strings(block, document)
        if self.params.policy == "auto" and lossless_keep is None:
            self._prefer_smaller(block, document)
        if block.keep is not None and all(block.keep):
            block.keep = lossless_keep
        block.note(f"{self.name}:units {before}->{len(block.kept_indices())}")
        if document.cut:
            block.note(f"{self.name}:long strings cut in {len(document.cut)} values")

    def _selection(self, block: BlockState, state: RunState, document: JsonObjectDocument) -> list[bool]:
        p = self.params
        scores, pinned = unit_scores(block, state)
        errors = document.error_signals()
        anomalies = document.anomaly_signals()
        keep = list(block.keep) if block.keep is not None else [True] * len(document.units)
        for node in document.sampled_nodes():  # parents before children: a dropped parent needs no choice
            children = [c for c in node.child_nodes() if any(keep[c.first_unit : c.stop_unit])]
            if len(children) <= p.min_items:
                # Kept whole here, but a budget may still cut it: the children the request asks
                # for ("which have the fraud flag set?") are pinned all the same.
                self._pin_asked(block, document, children)
                continue
            chosen = self._choose(block, document, children, scores, pinned, errors, anomalies)
            chosen |= self._records(block, document, node, children)
            for position, child in enumerate(children):
                if position not in chosen:
                    keep[child.first_unit : child.stop_unit] = [False] * (child.stop_unit - child.first_unit)
        return keep

    def _records(
        self, block: BlockState, document: JsonObjectDocument, node: Node, children: list[Node]
    ) -> set[int]:
        """The children a records crusher would keep besides: what the record rules flag
        (`scoring.keep_notable`), the ends of a field the request asks an extreme of ("which
        model has the largest max_input_tokens") and the minority values of a categorical field it
        is about, these pinned by their head units. Positions in `children`."""
        values = [child.value for child in children]
        notable = notable_records(as_records(values))
        chosen = keep_notable(notable, range(len(children))) if self.params.keep_notable else set()
        # The summary of a dropped run counts the children flagged past the rules' caps.
        where = {id(child): index for index, (_, child) in enumerate(node.children)}
        document.flagged[node.path] = notable.renumbered([where[id(child)] for child in children])
        return chosen | self._pin_asked(block, document, children)

    @staticmethod
    def _pin_asked(block: BlockState, document: JsonObjectDocument, children: list[Node]) -> set[int]:
        """The records among `children` the request asks for (an end of a field, the minority
        values or the set flags of a field it names, a value it names), pinned by their head units.
        Positions in `children`."""
        records = {p: child.value for p, child in enumerate(children) if isinstance(child.value, dict)}
        asked = asked_rows(block, records)
        heads = (document.head_unit(children[p]) for p in asked)
        block.pinned |= {head for head in heads if head is not None}
        return asked

    def _choose(
        self,
        block: BlockState,
        document: JsonObjectDocument,
        children: list[Node],
        scores: list[float],
        pinned: set[int],
        errors: list[float],
        anomalies: list[float],
    ) -> set[int]:
        """Positions (in `children`) of the children to keep."""
        p = self.params
        spans = [range(c.first_unit, c.stop_unit) for c in children]
        child_scores = [max((scores[u] for u in span), default=0.0) for span in spans]
        chosen = {i for i, span in enumerate(spans) if any(u in pinned or errors[u] >= 1.0 for u in span)}
        chosen |= set(range(min(p.keep_first, len(children))))
        chosen |= set(range(max(0, len(children) - p.keep_last), len(children)))
        heads = [document.head_unit(c) for c in children]
        unusual = [
            i for i, h in enumerate(heads) if h is not None and anomalies[h] >= 0.5 and i not in chosen
        ]
        chosen |= set(rank(unusual, child_scores)[: scaled(p.max_anomalies, block.bias)])
        rest = [i for i in range(len(children)) if i not in chosen]
        chosen |= set(rank(rest, child_scores)[: scaled(p.max_items, block.bias)])
        return chosen

    def _cut_strings(self, block: BlockState, document: JsonObjectDocument) -> None:
        document.cut = {}
        if self.params.max_string_chars is None:
            return
        limit = scaled(self.params.max_string_chars, block.bias)
        terms = request_terms(block)
        for index in block.kept_indices():
            node = document.unit_nodes[index]
            if node.opened or len(node.text) <= limit:
                continue
            cut = cut_long_strings(node.value, node.path, limit, terms, block.ref)
            if cut is not node.value:
                document.cut[index] = cut

    @staticmethod
    def _prefer_smaller(block: BlockState, document: JsonObjectDocument) -> None:
        # Both are JSON of the same values in the same writing: characters rank them as tokens would.
        selected = (block.keep, document.cut)
        selected_chars = len(block.render())
        block.keep, document.cut = None, {}
        if len(block.render()) > selected_chars:
            block.keep, document.cut = selected
