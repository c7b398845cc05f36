"""score.v1: a score for every unit, and the units that must survive (pinned).

A unit's score adds up
- error and warning signals (an ERROR line, a record whose status is "failed"),
- anomaly signals (a numeric outlier, a rare category, a record of another shape),
- relevance to the request that led to the output (the last user turn before it,
  never a later one, so the score does not change as the conversation grows)
  and to the arguments of the tool call that produced it; each term is weighted
  by how rare it is in this output,
- position (first and last units).

Pinned: error units, a stack trace's first and last frames, and units holding a
rare identifier from the request or the tool arguments (the "needle").
Hook biases do not change scores; selection stages scale how much they keep by them.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_right
from collections.abc import Iterator
from itertools import pairwise

from headroom.content.signals import line_starts, lines_holding
from headroom.json_text import too_deep
from headroom.params import param
from headroom.registry import register
from headroom.stage import BlockState, RunState, Stage, StageParams

_TERM = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/@#-]*[A-Za-z0-9_]|\d{3,}")
_PART_SPLIT = re.compile(r"[/.:@#]")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_STOPWORDS = frozenset(
    (
        "the and for with that this from what why how when where which who are was were has have had "
        "not but all any can could should would will into onto about there their them they then than "
        "you your our out get got did does done show tell find look see give need want please just only "
        "also some more most much many each every other true false null none json list item items line "
        "lines file files error errors log logs use used uses using"
    ).split()
)
MAX_TERMS = 48
# A plain word this short is found only where a word starts: inside longer words it is noise.
SHORT_WORD = 4


def _is_identifier(term: str) -> bool:
    """A term that names one thing: has digits, separators or inner capitals, or is long."""
    return (
        any(ch.isdigit() for ch in term)
        or any(ch in "_-/.:@#" for ch in term)
        or (term[:1].islower() and any(ch.isupper() for ch in term[1:]))
        or len(term) >= 12
    )


_SUFFIXES = ("ing", "ed", "es", "s")


def _stem(word: str) -> str | None:
    """A plain word's stem, so "installed" also finds "install" (units are matched by substring)."""
    if not word.isalpha() or len(word) < 6:
        return None
    for suffix in _SUFFIXES:
        if word.lower().endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return None


def argument_values(text: str) -> str:
    """The values of a tool call's JSON arguments, one per line: their keys (`command`, `path`,
    `description`) name the tool's parameters, not what was asked for. Other text is read as it is."""
    stripped = text.strip()
    if not stripped.startswith("{") or too_deep(stripped):
        return text
    try:
        parsed = json.loads(stripped)
    except ValueError:
        return text
    return "\n".join(_leaves(parsed))


def _leaves(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def query_terms(*texts: str) -> dict[str, bool]:
    """Lower-cased terms from the request and tool arguments -> whether each is an identifier.
    JSON arguments count by their values only (see `argument_values`)."""
    terms: dict[str, bool] = {}
    for text in texts:
        # A word the request quotes as code (`cacache`) names one thing, however plain it looks.
        quoted = {term.lower() for span in _CODE_SPAN.findall(text) for term in _TERM.findall(span)}
        for match in _TERM.findall(argument_values(text)):
            candidates = [match, *(_PART_SPLIT.split(match) if _PART_SPLIT.search(match) else [])]
            candidates.extend(stem for candidate in list(candidates) if (stem := _stem(candidate)))
            for candidate in candidates:
                lowered = candidate.lower()
                if len(lowered) < 3 or lowered in _STOPWORDS or (lowered.isdigit() and len(lowered) < 3):
                    continue
                terms[lowered] = terms.get(lowered, False) or _is_identifier(candidate) or lowered in quoted
                if len(terms) >= MAX_TERMS:
                    return terms
    return terms


_WORD = re.compile(r"[A-Za-z]+")


def query_phrases(text: str) -> list[str]:
    """Words the request writes side by side ("default timeout"), lower-cased, each pair as a pattern
    that also finds it written as one identifier: default_timeout, DEFAULT_TIMEOUT_CONFIG,
    defaultTimeout, default-timeout. (A compound the request already joins, Floyd-Warshall, is
    one term of its own.)"""
    words = list(_WORD.finditer(text))
    phrases: list[str] = []
    for first, second in pairwise(words):
        between = text[first.end() : second.start()]
        if between != " ":
            continue
        pair = (first[0].lower(), second[0].lower())
        if any(len(word) < 3 or word in _STOPWORDS for word in pair):
            continue
        pattern = rf"{pair[0]}[ \t_-]?{pair[1]}"
        if pattern not in phrases:
            phrases.append(pattern)
    return phrases


class ScoreParams(StageParams):
    error_weight: float = param(1.0, ge=0)
    anomaly_weight: float = param(0.7, ge=0)
    relevance_weight: float = param(1.0, ge=0)
    position_weight: float = param(0.3, ge=0)
    pin_errors: bool = param(True, description="Error units always survive")
    pin_needles: bool = param(True, description="Units holding a rare identifier from the request survive")
    needle_max_share: float = param(
        0.05, gt=0, le=1, description="An identifier found in more than this share of units is not a needle"
    )
    use_tool_arguments: bool = param(
        True, description="Score relevance against the tool call's arguments too"
    )


@register("score.v1")
class Score(Stage):
    """Score every unit from error, anomaly, relevance and position signals; pin what must survive."""

    requires = frozenset({"labels"})
    provides = frozenset({"scores"})
    Params = ScoreParams
    params: ScoreParams

    def applies_to(self, block: BlockState) -> bool:
        return super().applies_to(block) and block.document is not None

    def process_block(self, block: BlockState, state: RunState) -> None:
        document = block.document
        assert document is not None
        count = len(document.units)
        errors = document.error_signals()
        anomalies = document.anomaly_signals()
        relevance, needles = self._relevance(block, document.units)
        p = self.params
        scores = [
            p.error_weight * errors[i] + p.anomaly_weight * anomalies[i] + p.relevance_weight * relevance[i]
            for i in range(count)
        ]
        for index, weight in ((0, 1.0), (1, 0.5), (count - 2, 0.5), (count - 1, 1.0)):
            if 0 <= index < count:
                scores[index] += p.position_weight * weight
        pinned = set(document.anchors()) | needles
        if p.pin_errors:
            pinned.update(i for i, signal in enumerate(errors) if signal >= 1.0)
        block.scores = scores
        block.relevance = relevance
        block.pinned = pinned

    def _relevance(self, block: BlockState, units: list[str]) -> tuple[list[float], set[int]]:
        """Relevance per unit (0..1), and the units holding a needle.

        Needles come from the user's own words only: a tool call's arguments are often filters
        (a date, a limit) that every record matches, so they weigh in relevance but pin nothing.
        """
        from_query = query_terms(block.block.query)
        call = block.block.tool_call
        from_arguments = query_terms(call.arguments) if self.params.use_tool_arguments and call else {}
        terms = {
            term: (is_id, term in from_query) for term, is_id in {**from_arguments, **from_query}.items()
        }
        count = len(units)
        relevance = [0.0] * count
        if not terms or not count:
            return relevance, set()
        lowered = [unit.lower() for unit in units]
        text = "\n".join(lowered)
        starts = line_starts(lowered)
        needle_limit = max(3, int(self.params.needle_max_share * count))
        needles: set[int] = set()
        for term, (is_identifier, asked) in terms.items():
            hits = _units_containing(text, starts, term)
            if not hits or len(hits) == count:
                continue
            weight = math.log((count + 1) / (len(hits) + 0.5))
            for i in hits:
                relevance[i] += weight
            if self.params.pin_needles and asked and is_identifier and len(hits) <= needle_limit:
                needles.update(hits)
        # Words the request puts side by side count again where a unit has them side by side,
        # in a phrase or joined into one identifier.
        for phrase in query_phrases(block.block.query):
            hits = sorted({bisect_right(starts, m.start()) - 1 for m in re.finditer(phrase, text)})
            if hits and len(hits) < count:
                weight = math.log((count + 1) / (len(hits) + 0.5))
                for i in hits:
                    relevance[i] += weight
        top = max(relevance)
        if top > 0:
            relevance = [value / top for value in relevance]
        return relevance, needles


def _units_containing(text: str, starts: list[int], term: str) -> list[int]:
    """Units that contain the term, in order; `text` is the lower-cased units joined by newlines and
    `starts` their offsets. A number must stand alone ("300" is not in "13002"), and a short word must
    start a word ("boot" is in "booting" and "boot_time", not in "reboot"; "end" is not in "pending")."""
    accept = _digits_stand_alone if term.isdigit() else None
    if term.isalpha() and len(term) <= SHORT_WORD:
        accept = _starts_a_word
    return lines_holding(text, starts, term, accept)


def _digits_stand_alone(text: str, index: int, length: int) -> bool:
    return not _digit_at(text, index - 1) and not _digit_at(text, index + length)


def _starts_a_word(text: str, index: int, length: int) -> bool:
    return index == 0 or not (text[index - 1].isascii() and text[index - 1].isalnum())


def _digit_at(text: str, index: int) -> bool:
    return 0 <= index < len(text) and "0" <= text[index] <= "9"
