from __future__ import annotations

from headroom.pipeline.stage import BlockState
from headroom.stages.crush.lines import relevant
from tests.helpers import make_state, openai_tool_turn


def _block(scores: list[float], relevance: list[float] | None) -> BlockState:
    text = "\n".join(f"line {n}" for n in range(len(scores)))
    block = make_state(openai_tool_turn(text)).blocks[-1]
    block.scores, block.relevance = scores, relevance
    return block


def test_relevance_alone_decides_what_matches_the_request() -> None:
    # A warning (0.5 for itself) is not a match; a line the request matches moderately is.
    block = _block(scores=[0.5, 0.37, 0.0, 0.0], relevance=[0.0, 0.37, 0.0, 1.0])
    assert relevant(block, limit=10) == {1, 3}


def test_without_relevance_the_combined_score_is_read() -> None:
    block = _block(scores=[0.6, 0.37, 0.0, 1.0], relevance=None)
    assert relevant(block, limit=10) == {0, 3}
