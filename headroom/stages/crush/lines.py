"""Helpers shared by the crushers of line-oriented text (logs, search results, diffs, shell output)."""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from headroom.content.signals import line_starts, lines_holding
from headroom.pipeline.stage import BlockState
from headroom.stages.selection import narrow_to as narrow_to  # the line crushers import it from here
from headroom.stages.selection import rank

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


_SUFFIXES = ("ing", "ed", "es", "s")
SATURATION = 1.2  # BM25's k1: a term on a second line of a group adds less than on the first
NAME_WEIGHT = 3.0  # an identifier the request names counts this many times a plain word


def word_family(term: str) -> str:
    """A term and its inflections count once: "checks" and "check", "changed" and "change"."""
    for suffix in _SUFFIXES:
        if term.isalpha() and term.endswith(suffix) and len(term) - len(suffix) >= 4:
            return term[: -len(suffix)]
    return term


@dataclass
class GroupMatches:
    """How well each group of lines (a hunk, a commit) matches the request."""

    weights: list[float]  # per group: the term families it holds, each by its rarity and its lines
    lines: list[set[int]]  # per group: its lines holding a counted term


def group_matches(
    units: Sequence[str],
    owner: Sequence[int],
    groups: int,
    terms: Sequence[str],
    starts: list[int] | None = None,
    names: frozenset[str] = frozenset(),
    phrases: Sequence[str] = (),
    ignored: Mapping[str, Collection[int]] | None = None,
) -> GroupMatches:
    """Match `terms` where they start a word in the lines each group owns (`owner[i]`: the group of
    line i, or -1 for a line no group counts). A term family found in more than half the groups
    tells them apart no better than chance and weighs nothing; a rarer one weighs log((n+1)/(k+1/2)),
    more in a group where more of its lines hold it, and NAME_WEIGHT times that when one of its
    terms is in `names` (an identifier: it names one thing). `phrases` (patterns of words the
    request writes side by side, `score.query_phrases`) count as names: two words together name
    one thing. `ignored`: per term or phrase, groups where it does not count. `starts`: the
    lines' offsets, when known."""
    weights = [0.0] * groups
    lines: list[set[int]] = [set() for _ in range(groups)]
    if not groups or not (terms or phrases):
        return GroupMatches(weights, lines)
    joined = "\n".join(units)
    text = joined.lower()
    if len(text) != len(joined):  # lower-casing moved the offsets: match nothing rather than wrongly
        return GroupMatches(weights, lines)
    starts = starts if starts is not None else line_starts(units)
    found: dict[str, dict[int, set[int]]] = {}
    named = {word_family(term) for term in terms if term in names}
    ignored = ignored or {}
    for term in terms:
        family = found.setdefault(word_family(term), {})
        skip = ignored.get(term, ())
        for line in lines_holding(text, starts, term, starts_a_word):
            if owner[line] >= 0 and owner[line] not in skip:
                family.setdefault(owner[line], set()).add(line)
    for pattern in phrases:
        family = found.setdefault(pattern, {})
        named.add(pattern)
        skip = ignored.get(pattern, ())
        for match in re.finditer(pattern, text):
            line = bisect_right(starts, match.start()) - 1
            if owner[line] >= 0 and owner[line] not in skip:
                family.setdefault(owner[line], set()).add(line)
    for family_name, held in found.items():
        if not held or len(held) > groups / 2:
            continue
        weight = math.log((groups + 1) / (len(held) + 0.5)) * (NAME_WEIGHT if family_name in named else 1.0)
        for group, holding in held.items():
            # More lines holding it count for more, with returns that level off (BM25's saturation).
            weights[group] += weight * len(holding) * (SATURATION + 1) / (len(holding) + SATURATION)
            lines[group] |= holding
    return GroupMatches(weights, lines)


def starts_a_word(text: str, index: int, length: int) -> bool:
    return index == 0 or not (text[index - 1].isascii() and text[index - 1].isalnum())
