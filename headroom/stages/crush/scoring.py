"""Unit scores for crushers: score.v1's when it ran, otherwise the document's own signals.

A user pipeline may leave `score` out. A crusher then still keeps what the content
itself says matters (errors, anomalies, structural anchors, the first and last
units), as the log crusher keeps its traces; relevance to the request and needle
pinning are the score stage's, so they go with it. The scores computed here serve
the crusher's own choice only and are not stored (a crusher does not provide `scores`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from headroom.content.base import Document
from headroom.content.columns import as_number
from headroom.content.signals import line_starts, lines_mentioning_each
from headroom.selection import rank, scaled
from headroom.stage import BlockState, RunState
from headroom.stages.score import _STOPWORDS, Score, ScoreParams, query_terms

_OWN_SIGNALS_ONLY = ScoreParams.trusted({"relevance_weight": 0.0, "pin_needles": False})


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


_PASCAL_CASE = re.compile(r"\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+\b")
# A capitalised word after a lower-case word and a space or a comma: a name in running text.
_NAME_IN_SENTENCE = re.compile(r"(?<=[a-z,] )([A-Z][A-Za-z0-9_]{2,})\b")


def request_words(block: BlockState) -> list[str]:
    """The request's terms for matching groups of lines: every term of the user's question, and the
    identifiers (paths, shas, versions, names) of the tool call's arguments; its plain words
    (`git`, `diff`, `head`) name the command, not what was asked about."""
    call = block.block.tool_call
    asked = query_terms(block.block.query)
    given = query_terms(call.arguments) if call is not None else {}
    words = set(asked) | {term for term, is_identifier in given.items() if is_identifier}
    return sorted(words, key=lambda term: (-len(term), term))


def request_identifiers(block: BlockState) -> list[str]:
    """The request's terms that name one thing (`parse_impl`, `parseImpl`, `SkipTo`, `api_jwt.py`,
    `3.1.0`), and the last part of a dotted one (`decode` of `jwt.decode`): what can name a
    definition. A capitalised word with a capital inside (`SkipTo`, `HashMap`), or one capitalised
    inside a sentence ("the signature of Factory"), is a name; a sentence's first word is not."""
    call = block.block.tool_call
    texts = [block.block.query, call.arguments if call is not None else ""]
    found = {**(query_terms(texts[1]) if call is not None else {}), **query_terms(texts[0])}
    names = {word.lower() for text in texts for word in _PASCAL_CASE.findall(text)}
    names |= {word.lower() for word in _NAME_IN_SENTENCE.findall(texts[0]) if word.lower() not in _STOPWORDS}
    for term, is_identifier in found.items():
        if is_identifier:
            names.add(term)
            last = term.replace("::", ".").rsplit(".", 1)[-1]
            if "." in term and len(last) >= 3 and not last.isdigit():
                names.add(last)
    return sorted(names, key=lambda term: (-len(term), term))


def matching_units(block: BlockState, units: Sequence[str]) -> list[int]:
    """Units in which a request term stands as a whole word, leaving out terms found in most units
    (they tell nothing apart). One pass over the text per term."""
    text = "\n".join(units)
    found: set[int] = set()
    for hits in lines_mentioning_each(text, line_starts(units), request_terms(block), len(units) // 2):
        found.update(hits)
    return sorted(found)


class RecordLimits(Protocol):
    """The params of a crusher of records that `pick_records` reads (read-only: params are frozen)."""

    @property
    def keep_first(self) -> int: ...
    @property
    def keep_last(self) -> int: ...
    @property
    def max_anomalies(self) -> int: ...
    @property
    def max_matches(self) -> int: ...


def pick_records(
    block: BlockState,
    state: RunState,
    document: Document,
    limits: RecordLimits,
    *,
    always: Iterable[int] = (),
    matchable: Iterable[int] | None = None,
) -> tuple[set[int], list[int], list[float]]:
    """What every crusher of records (JSON items, table rows) keeps first: pinned units and
    `always`, the first and last, errors, the most unusual, and the best of the units the request
    names (among `matchable`, default every kept unit). Returns (chosen, request matches, scores)."""
    scores, pinned = unit_scores(block, state)
    candidates = block.kept_indices()
    chosen = {i for i in candidates if i in pinned} | set(always)
    chosen |= set(candidates[: limits.keep_first])
    if limits.keep_last:
        chosen |= set(candidates[-limits.keep_last :])
    errors = document.error_signals()
    chosen |= {i for i in candidates if errors[i] >= 1.0}
    anomalies = document.anomaly_signals()
    unusual = [i for i in candidates if anomalies[i] >= 0.5 and i not in chosen]
    chosen |= set(rank(unusual, scores)[: scaled(limits.max_anomalies, block.bias)])
    allowed = set(candidates) if matchable is None else set(candidates) & set(matchable)
    matches = [i for i in matching_units(block, document.units) if i in allowed]
    chosen |= set(rank(matches, scores)[: scaled(limits.max_matches, block.bias)])
    return chosen, matches, scores


def numeric_extremes(rows: Mapping[int, Mapping[str, Any]]) -> set[int]:
    """For each field that is a number in at least two rows: the rows with its smallest and largest value.
    Among the rows a request matches, these answer "which is the most / the least ..."."""
    best: dict[str, tuple[float, int, float, int]] = {}
    seen: dict[str, int] = {}
    for index, row in rows.items():
        for key, value in row.items():
            number = as_number(value)
            if number is None:
                continue
            seen[key] = seen.get(key, 0) + 1
            low, low_at, high, high_at = best.get(key, (number, index, number, index))
            if number < low:
                low, low_at = number, index
            if number > high:
                high, high_at = number, index
            best[key] = (low, low_at, high, high_at)
    return {at for key, (_, low_at, _, high_at) in best.items() if seen[key] >= 2 for at in (low_at, high_at)}


def named_fields(block: BlockState, fields: Sequence[str]) -> list[str]:
    """The fields (column names, record keys) whose name holds a word of the request: for
    "which is the most downloaded?", the column `rank_among_15000_most_downloaded`."""
    terms = request_terms(block)
    return [field for field in fields if any(_names(field, term) for term in terms)]


def _names(field: str, term: str) -> bool:
    """Whether a request term names a field: inside a long name, the whole of a short one ("rss"
    for RSS), or spelled out from an abbreviation ("memory" for %MEM)."""
    lowered = field.lower()
    bare = "".join(ch for ch in lowered if ch.isalnum())
    if len(term) >= 4 and term in lowered:
        return True
    return len(bare) >= 3 and (term == bare or (len(term) > len(bare) and term.startswith(bare)))
