"""Helpers shared by the crushers of line-oriented text (logs, search results, diffs, shell output)."""

from __future__ import annotations

from collections.abc import Iterable

from headroom.selection import fill_small_gaps, mask, rank
from headroom.stage import BlockState, RunState
from headroom.stages.crush import MARKER_TOKENS

# A score above this is more than position and warnings give: the unit matches the request.
RELEVANT_SCORE = 0.5
# A unit matching the request at least this well (relative to the best match) is relevant.
RELEVANCE_FLOOR = 0.35
# When more than this share of the units "match", the match singles nothing out.
MAX_RELEVANT_SHARE = 0.5


def head_and_tail(total: int, head: int, tail: int) -> set[int]:
    return set(range(min(total, head))) | set(range(max(0, total - tail), total))


def around(indices: Iterable[int], before: int, after: int, total: int) -> set[int]:
    """The indices with `before` lines before and `after` lines after each."""
    found: set[int] = set()
    for index in indices:
        found.update(range(max(0, index - before), min(total, index + after + 1)))
    return found


def head_and_tail_of(group: range, limit: int) -> range | set[int]:
    """A group whole when it fits `limit` lines, else its first and last halves."""
    if len(group) <= limit:
        return group
    half = max(1, limit // 2)
    return set(group[:half]) | set(group[-half:])


def relevant(block: BlockState, limit: int, candidates: Iterable[int] | None = None) -> set[int]:
    """The best-scoring units that match the request, at most `limit` (needs score.v1)."""
    if block.scores is None or limit <= 0:
        return set()
    scores = block.scores
    pool = range(len(scores)) if candidates is None else candidates
    if block.relevance is not None:
        # The request's own match, apart from errors and position (which keep lines for their own reasons).
        matching = [i for i in pool if block.relevance[i] >= RELEVANCE_FLOOR]
    else:
        matching = [i for i in pool if scores[i] > RELEVANT_SCORE]
    if len(matching) > len(scores) * MAX_RELEVANT_SHARE:
        return set()  # a term in most lines tells none of them apart
    return set(rank(matching, scores)[:limit])


def narrow_to(block: BlockState, state: RunState, chosen: set[int], stage_name: str) -> None:
    """Keep `chosen` (and dropped runs too small for a marker) and note how many lines remain."""
    document = block.document
    assert document is not None
    before = len(block.kept_indices())
    keep = fill_small_gaps(mask(len(document.units), chosen), state.unit_tokens(block), MARKER_TOKENS)
    block.narrow(keep)
    block.note(f"{stage_name}:lines {before}->{len(block.kept_indices())}")
