"""Unit scores for crushers: score.v1's when it ran, otherwise the document's own signals.

A user pipeline may leave `score` out. A crusher then still keeps what the content
itself says matters (errors, anomalies, structural anchors, the first and last
units), as the log crusher keeps its traces; relevance to the request and needle
pinning are the score stage's, so they go with it. The scores computed here serve
the crusher's own choice only and are not stored (a crusher does not provide `scores`).
"""

from __future__ import annotations

from headroom.stage import BlockState, RunState
from headroom.stages.score import Score, ScoreParams, query_terms

_OWN_SIGNALS_ONLY = ScoreParams(relevance_weight=0.0, pin_needles=False)


def unit_scores(block: BlockState, state: RunState) -> tuple[list[float], set[int]]:
    """(score per unit, units that must survive) for a block that has a document."""
    if block.scores is not None:
        return block.scores, block.pinned
    scratch = BlockState(block.block, label=block.label, bias=block.bias)
    scratch._document = block.document
    scratch._parsed = True
    Score(_OWN_SIGNALS_ONLY).process_block(scratch, state)
    assert scratch.scores is not None
    return scratch.scores, scratch.pinned | block.pinned


def request_terms(block: BlockState) -> list[str]:
    """Lower-cased terms of the request and the tool call's arguments, longest first."""
    call = block.block.tool_call
    texts = [block.block.query, call.arguments if call is not None else ""]
    return sorted(query_terms(*texts), key=lambda term: (-len(term), term))
