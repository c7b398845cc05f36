"""Unit scores for crushers: score.v1's when it ran, otherwise the document's own signals.

A user pipeline may leave `score` out. A crusher then still keeps what the content
itself says matters (errors, anomalies, structural anchors, the first and last
units), as the log crusher keeps its traces; relevance to the request and needle
pinning are the score stage's, so they go with it. The scores computed here serve
the crusher's own choice only and are not stored (a crusher does not provide `scores`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from headroom.content.base import Document, name_letters
from headroom.content.columns import category_counts, minority_values, numeric_column, ordered_column
from headroom.content.records import ABSENT, Notable, flat_rows
from headroom.content.signals import line_starts, lines_mentioning_each
from headroom.pipeline.stage import BlockState, RunState
from headroom.stages.score import _STOPWORDS, Score, ScoreParams, query_terms
from headroom.stages.score import request_terms as score_terms
from headroom.stages.selection import rank, scaled

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
# Words too common in tool output to search for, but a name when capitalised inside a sentence
# ("what changed in File?": the class `File`).
_NAMES_WHEN_CAPITALISED = frozenset(
    "file files error errors log logs list item items line lines json".split()
)


def request_words(block: BlockState) -> list[str]:
    """The request's terms for matching groups of lines: every term of the user's question, and the
    identifiers (paths, shas, versions, names) of the tool call's arguments, whole; its plain words
    (`diff`, `head`), the programs it runs (`git`), its options (`--stat`) and the parts of its
    paths name the command and what it read, not what was asked about."""
    call = block.block.tool_call
    asked = query_terms(block.block.query)
    given = [term.text for term in score_terms("", call.arguments) if term.pins] if call is not None else []
    words = set(asked) | set(given)
    return sorted(words, key=lambda term: (-len(term), term))


def request_identifiers(block: BlockState) -> list[str]:
    """The request's terms that name one thing (`parse_impl`, `parseImpl`, `SkipTo`, `api_jwt.py`,
    `3.1.0`), and the last part of a dotted one (`decode` of `jwt.decode`): what can name a
    definition. A capitalised word with a capital inside (`SkipTo`, `HashMap`), or one capitalised
    inside a sentence ("the signature of Factory", "what changed in File?": a word too common in
    tool output to search for, but not when capitalised), is a name; a sentence's first word is
    not. The tool call gives its whole identifiers (not its programs, options or path parts)."""
    call = block.block.tool_call
    texts = [block.block.query, call.arguments if call is not None else ""]
    given = {term.text: term.pins for term in score_terms("", texts[1])} if call is not None else {}
    found = {**given, **query_terms(texts[0])}
    names = {word.lower() for text in texts for word in _PASCAL_CASE.findall(text)}
    names |= {
        word.lower()
        for word in _NAME_IN_SENTENCE.findall(texts[0])
        if word.lower() not in _STOPWORDS or word.lower() in _NAMES_WHEN_CAPITALISED
    }
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
    @property
    def keep_notable(self) -> bool: ...


def pick_records(
    block: BlockState,
    state: RunState,
    document: Document,
    limits: RecordLimits,
    *,
    always: Iterable[int] = (),
    matchable: Iterable[int] | None = None,
    notable: Notable | None = None,
) -> tuple[set[int], list[int], list[float]]:
    """What every crusher of records (JSON items, table rows) keeps first: pinned units and
    `always`, the first and last, errors, what the record rules flag (`notable`), the most unusual,
    and the best of the units the request names (among `matchable`, default every kept unit).
    Returns (chosen, request matches, scores)."""
    scores, pinned = unit_scores(block, state)
    candidates = block.kept_indices()
    chosen = {i for i in candidates if i in pinned} | set(always)
    chosen |= set(candidates[: limits.keep_first])
    if limits.keep_last:
        chosen |= set(candidates[-limits.keep_last :])
    errors = document.error_signals()
    chosen |= {i for i in candidates if errors[i] >= 1.0}
    if notable is not None and limits.keep_notable:
        chosen |= keep_notable(notable, candidates)
    anomalies = document.anomaly_signals()
    unusual = [i for i in candidates if anomalies[i] >= 0.5 and i not in chosen]
    chosen |= set(rank(unusual, scores)[: scaled(limits.max_anomalies, block.bias)])
    allowed = set(candidates) if matchable is None else set(candidates) & set(matchable)
    matches = [i for i in matching_units(block, document.units) if i in allowed]
    chosen |= set(rank(matches, scores)[: scaled(limits.max_matches, block.bias)])
    return chosen, matches, scores


def keep_notable(notable: Notable, candidates: Iterable[int]) -> set[int]:
    """The rows the record rules flag, among `candidates`. They are kept, not pinned: when a budget
    cuts later, their anomaly signal ranks them above plain rows, but not above the rows the request
    is about (a pin is for what the request asks, and a dozen findings in a small map of big records
    would otherwise crowd out the one record the question names)."""
    return {i for i in candidates if i in notable.keep}


def numeric_extremes(rows: Mapping[int, Mapping[str, Any]]) -> set[int]:
    """For each field that is a number (in any notation, `columns.numeric_column`) in at least two rows:
    the rows with its smallest and largest value. Among the rows a request matches, these answer
    "which is the most / the least ..."."""
    rows = flat_rows(rows)
    indices = list(rows)
    found: set[int] = set()
    for name in _fields(rows):
        column = numeric_column([rows[i].get(name) for i in indices])
        if column is not None:
            found |= _ends(indices, column, None, 1)
    return found


# The request asks for an extreme ----------------------------------------------------------------

Side = Literal["max", "min"]
_MAX_WORDS = frozenset(
    "highest largest biggest greatest most maximum max top best longest heaviest slowest costliest "
    "priciest latest newest recent recently".split()
)
_MIN_WORDS = frozenset(
    "lowest smallest least fewest minimum min bottom worst shortest lightest fastest cheapest earliest "
    "oldest".split()
)
_RECENCY_WORDS = frozenset("latest newest recent recently earliest oldest".split())
_RANK_NAMES = re.compile(r"rank|position|place", re.IGNORECASE)
_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
}
_COUNT = r"(\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")"
_COUNTED = re.compile(
    rf"\b(?:top|first|last|bottom|which|the|list|show)\s+{_COUNT}\b|\b{_COUNT}\s+(?:\w+\s+)?(?:"
    + "|".join(sorted(_MAX_WORDS | _MIN_WORDS))
    + r")\b",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[a-z]+")
# Rows kept per asked-for column: N from the request ("top 5"), this many when it names none.
ASKED_DEFAULT = 3
MAX_ASKED = 25
MAX_ASKED_COLUMNS = 6
MAX_TIME_COLUMNS = 2


@dataclass(frozen=True)
class ExtremeAsk:
    """What a request asks of a column's order: the end it wants, how many rows, and whether it
    speaks of time ("latest", "most recent"), so that a time column is meant when it names none."""

    side: Side | None  # None: the request asks for no end
    count: int
    recency: bool

    def side_for(self, column: str) -> Side | None:
        """The end of `column` the request wants. A rank counts the other way: its best, top, most
        (downloaded) end is its smallest number."""
        if self.side is None or not _RANK_NAMES.search(column):
            return self.side
        return "min" if self.side == "max" else "max"


def extreme_ask(query: str, fields: Sequence[str] = ()) -> ExtremeAsk:
    """Read a request for an extreme: the first end word it uses (`highest`, `smallest`, `most
    recent`) and the count it gives (`top 5`, `which 5`, `three largest`), capped at MAX_ASKED. A word that is
    part of the fields' names is no end word: "max input" names `max_input_tokens`."""
    named = {word for name in fields for word in _WORDS.findall(name.lower())}
    words = [word for word in _WORDS.findall(query.lower()) if word not in named]
    side: Side | None = None
    for word in words:
        if word in _MAX_WORDS:
            side = "max"
            break
        if word in _MIN_WORDS:
            side = "min"
            break
    counted = _COUNTED.search(query)
    count = ASKED_DEFAULT if side is not None else 1
    if counted is not None and side is not None:
        written = (counted[1] or counted[2]).lower()
        count = int(written) if written.isdigit() else _NUMBER_WORDS[written]
    return ExtremeAsk(side, max(1, min(count, MAX_ASKED)), any(w in _RECENCY_WORDS for w in words))


def asked_rows(block: BlockState, rows: Mapping[int, Mapping[str, Any]]) -> set[int]:
    """Every row the request asks for, by each rule below: an end of a field it names
    (`asked_extremes`), the set flags and minority values of a field it is about
    (`asked_categories`), a value it names (`asked_values`) and a name holding a text it gives
    (`asked_names`). The records are flattened once for all of them."""
    flat = flat_rows(rows)
    return (
        asked_extremes(block, flat)
        | asked_categories(block, flat)
        | asked_values(block, flat)
        | asked_names(block, rows)
    )


def asked_extremes(block: BlockState, rows: Mapping[int, Mapping[str, Any]]) -> set[int]:
    """The rows answering "which has the highest / the 5 smallest / the most recent ...", when the
    request asks for an end (`extreme_ask`): for each field the request names (`named_fields`; a
    field named exactly wins over ones merely holding a word) that is numeric or a time, the N rows
    at that end (N from the request, else ASKED_DEFAULT) and the one row at the other end. A request
    speaking of time that names no such field means the time fields. Nested fields count by their
    path (`records.flat_record`): `rows` are flat records (`asked_rows` flattens them)."""
    fields = _fields(rows)
    ask = extreme_ask(block.block.query, fields)
    if ask.side is None:
        return set()
    indices = list(rows)
    named = _asked_fields(block, fields)
    columns = [(name, ordered_column([rows[i].get(name) for i in indices])) for name in named]
    ordered = [(name, column) for name, column in columns if column is not None][:MAX_ASKED_COLUMNS]
    if not ordered and ask.recency:
        times = ((name, ordered_column([rows[i].get(name) for i in indices])) for name in fields)
        ordered = [(n, c) for n, c in times if c is not None and _is_time(c)][:MAX_TIME_COLUMNS]
    found: set[int] = set()
    for name, column in ordered:
        found |= _ends(indices, column, ask.side_for(name), ask.count)
    return found


def asked_categories(block: BlockState, rows: Mapping[int, Mapping[str, Any]]) -> set[int]:
    """The rows answering "which are not under ISC or MIT, and under which license?", "which ones
    failed?" or "which orders have the fraud flag set?": for each flag field the request names
    (`_set_rows`), the rows where it is set; then for each categorical field the request is about,
    the rows holding its minority values (`columns.minority_values`: each held by a quarter of the
    rows its most common value has, or fewer, whatever their share), at most MAX_ASKED rows in all.
    A request is about a field that it names whole (`license`), word by word ("fraud flag" for
    `risk.fraud_flag`, "flagged" for `flag`, "flag" for `flagged`) or one of whose values it names
    (`MIT`), these after."""
    if len(rows) < MIN_ASKED_ROWS:
        return set()
    fields = _fields(rows)
    indices = list(rows)
    terms = set(request_terms(block))
    found: set[int] = set()
    named = set(_fields_named(fields, terms))
    # The question's words naming no field whole may name a flag by a word of it ("which were
    # flagged?": `fraud_flag`; booleans only: a category needs its name).
    asked = _PartWords.of(_unspent(set(query_terms(block.block.query)), named))
    for name in fields:
        if name not in named and not asked.name_in_part(name):
            continue
        set_rows = _set_rows([rows[i].get(name, ABSENT) for i in indices], booleans_only=name not in named)
        if set_rows and len(found) + len(set_rows) <= MAX_ASKED:
            found.update(indices[position] for position in set_rows)
    for name in _category_fields(fields, terms, rows):
        values = [_category_value(rows[i].get(name)) for i in indices]
        for position in minority_values(values, MAX_ASKED - len(found)):
            found.add(indices[position])
        if len(found) >= MAX_ASKED:
            break
    return found


# A flag's unset values: false, null, empty or missing (None), and a table's spellings of false.
_UNSET_TEXT = frozenset({"", "false", "no", "n", "none", "null"})
# A table's spellings of true.
_TRUE_TEXT = frozenset({"true", "yes", "y"})


def _is_unset(value: Any) -> bool:
    if value is None or value is False or value is ABSENT:
        return True
    return isinstance(value, str) and value.strip().lower() in _UNSET_TEXT


def _set_rows(values: Sequence[Any], *, booleans_only: bool = False) -> list[int]:
    """Positions where a flag column is set, when it is a flag set in a few rows: true among
    false, null or missing (`fraud_flag`), or filled among rows that write it null or empty
    (`flagged_at`, a `fraud_reason` text; not when `booleans_only`); set in at most half the rows
    (a flag set in most picks nothing out). A column of other values (numbers, several strings
    besides true), or one most rows lack rather than leave unset (a member of some sub-objects
    only), is no flag: nothing."""
    set_positions = [p for p, value in enumerate(values) if not _is_unset(value)]
    if not set_positions or len(set_positions) * 2 > len(values):
        return []
    set_values = [values[p] for p in set_positions]
    if any(isinstance(value, (dict, list)) for value in set_values):
        return []
    if all(value is True or str(value).strip().lower() in _TRUE_TEXT for value in set_values):
        return set_positions
    if booleans_only:
        return []
    unset = [value for value in values if _is_unset(value)]
    written = [value for value in unset if value is not ABSENT]
    nulls = all(value is None or value == "" for value in written) and len(written) * 2 > len(unset)
    return set_positions if nulls else []


# A word of a field's name this short names nothing alone (`per` of `cost_per_token`, `is`, `id`).
_SHORT_PART = 3
# A word of a field's name this long is named by a question's word extending it (`fraud` by
# "fraudulent"); a shorter one only by itself or a word of its stem.
_PREFIX_WORD = 4
# A longer word names a field's word only with a suffix this long (`-ulent`, not the `l` of model).
_SUFFIX_MIN = 3


@dataclass(frozen=True)
class _PartWords:
    """The question's words longer than three letters (the parts of its terms) and their stems,
    read once for all of a block's fields."""

    words: frozenset[str]
    stems: frozenset[str]

    @classmethod
    def of(cls, terms: Iterable[str]) -> _PartWords:
        words = frozenset(
            part for term in terms for part in _NAME_WORDS.split(term) if len(part) > _SHORT_PART
        )
        return cls(words, frozenset(_stem(word) for word in words))

    def name_in_part(self, name: str) -> bool:
        """Whether the question names a word of a field's name (of any part of its path, longer
        than three letters): the word itself, one of the same stem (`flag`, `flags` and "flagged")
        or, for a word of at least _PREFIX_WORD letters, one extending it (`_extends`: `fraud` by
        "fraudulent")."""
        if not self.words:
            return False
        return any(
            _stem(word) in self.stems
            or (len(word) >= _PREFIX_WORD and any(_extends(term, word) for term in self.words))
            for word in {word.lower() for word in _NAME_WORDS.split(name) if len(word) > _SHORT_PART}
        )


def _extends(term: str, word: str) -> bool:
    """Whether `term` is `word` with a suffix of _SUFFIX_MIN letters or more: "fraudulent" of
    `fraud`; not "model" of `mode`, nor an inflection (stems compare those)."""
    return term.startswith(word) and len(term) - len(word) >= _SUFFIX_MIN


def _unspent(terms: set[str], named: set[str]) -> set[str]:
    """The terms that name none of the `named` fields (those the request names whole): "names and
    emails" name `name` and `email`, and "output_cost_per_token" its field, so none of their words
    is left to name another field in part; "fraudulent" in the same question is."""
    words = {_stem(word.lower()) for field in named for word in _NAME_WORDS.split(field) if word}
    return {
        term
        for term in terms
        if not all(_stem(part) in words for part in _NAME_WORDS.split(term) if len(part) > _SHORT_PART)
    }


@functools.lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    """A word less one ending of `_INFLECTIONS` (the longest that leaves three letters) and a doubled
    last consonant: flagged, flags -> flag; retries -> retri; model stays model."""
    for ending in sorted(_INFLECTIONS, key=len, reverse=True):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


# A collection this small is kept whole by every crusher: no need to read its categories.
MIN_ASKED_ROWS = 8
# The rows holding values the request names, at most this many in all (whole values, rarest first).
MAX_VALUE_ROWS = 60
# A value held by more than this share of the rows tells them apart no more than a common word.
VALUE_SHARE = 0.25
# A field with more distinct values than this share of its filled rows is no category.
CATEGORY_SHARE = 0.8


def asked_values(block: BlockState, rows: Mapping[int, Mapping[str, Any]]) -> set[int]:
    """The rows answering "which zones are there for CA and MX?" or "which packages are under
    Apache-2.0?": every row with a cell that is, whole, a value the user's question names (or an
    item of a comma-separated cell or of a list: `CH,DE,LI`) in a categorical field (one whose
    values repeat: at most CATEGORY_SHARE as many as its rows), for values held by at most
    VALUE_SHARE of the rows; each value's rows all or none, rarest value first, at most
    MAX_VALUE_ROWS rows in all. A term the tool call's arguments hold too names what was read
    (`npm` of `cd .../npm && npm query`), and one in a clause the question negates ("not under
    MIT") what is left out: neither is a value asked for."""
    if len(rows) < MIN_ASKED_ROWS:
        return set()
    call = block.block.tool_call
    given = set(query_terms(call.arguments)) if call is not None else set()
    terms = set(query_terms(block.block.query)) - given - _negated_terms(block.block.query)
    if not terms:
        return set()
    holders: dict[str, set[int]] = {}
    for field in _fields(rows):
        items = {index: _cell_items(row.get(field)) for index, row in rows.items()}
        hits = [(item, index) for index, found in items.items() for item in found if item in terms]
        if not hits:
            continue
        filled = sum(1 for found in items.values() if found)
        if len({item for found in items.values() for item in found}) > CATEGORY_SHARE * filled:
            continue  # names, ids, free text: a value of its own in each row, which pins find
        for item, index in hits:
            holders.setdefault(item, set()).add(index)
    chosen: set[int] = set()
    for _, held in sorted((len(held), sorted(held)) for held in holders.values()):
        if len(held) > VALUE_SHARE * len(rows) or len(chosen | set(held)) > MAX_VALUE_ROWS:
            continue
        chosen.update(held)
    return chosen


# "X in the name", "names containing X", "named like X", "matching *X*": the request asks for the
# rows whose name holds X anywhere (`jsonparse` and `@npmcli/package-json` for "json in their
# name"), as a word or not.
# (A glob's stars around the text are no part of it: `*.Extensions.*`, `%json%`.)
_PATTERN = r"[\"'`“]?[*%]*([-.@/]?[A-Za-z0-9][\w.@/+-]*)[*%]*[\"'`”]?"
_NAME_NOUN = r"(?:names?|ids?|identifiers?)"
_NAME_PATTERNS = (
    re.compile(
        _PATTERN + r"\s+in\s+(?:the|their|its|his|her)\s+(?:\w+\s+)?" + _NAME_NOUN + r"\b", re.IGNORECASE
    ),
    re.compile(
        r"\b" + _NAME_NOUN + r"\s+(?:that\s+)?(?:contains?|containing|includes?|including|with|holding|"
        r"matching|like|start(?:s|ing)?\s+with|end(?:s|ing)?\s+(?:with|in))\s+"
        + _PATTERN
        + r"(?=[\s,.;:?!)]|$)",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:named|match(?:es|ing)?)\s+(?:like\s+)?" + _PATTERN + r"(?=[\s,.;:?!)]|$)", re.IGNORECASE
    ),
)
# Words a pattern phrase catches that name no pattern ("which ones in their name").
_NOT_PATTERNS = frozenset(
    "which what ones one words word text something anything the an it its them that this those these".split()
)
# The rows whose name holds a pattern the request gives, at most this many in all.
MAX_NAME_ROWS = 60


def name_patterns(query: str) -> list[str]:
    """The texts the request says a name (or an id) holds ("json in their name", "names
    containing `-plugin`", "ids ending with .Abstractions", "named like extensions", "matching
    *.Extensions.*"), without a glob's stars, lower-cased, in order, each once."""
    found: dict[str, None] = {}
    for pattern in _NAME_PATTERNS:
        for match in pattern.finditer(query):
            text = match.group(1).strip(".").lower()
            if len(text) >= 2 and text not in _NOT_PATTERNS:
                found.setdefault(text, None)
    return list(found)


def asked_names(block: BlockState, rows: Mapping[int, Mapping[str, Any]]) -> set[int]:
    """The rows answering "which packages have json in their name?": every row whose name (a
    field whose own name holds `name`, else the first field) holds a text the request says a name
    holds (`name_patterns`), anywhere in it and in any case; none for a text most names hold (it
    tells nothing apart), at most MAX_NAME_ROWS in all, in order."""
    patterns = name_patterns(block.block.query)
    if not patterns or len(rows) < MIN_ASKED_ROWS:
        return set()
    fields = _fields(rows)
    names = [field for field in fields if "name" in field.lower()] or fields[:1]
    chosen: list[int] = []
    for pattern in patterns:
        holding = [
            index
            for index, row in rows.items()
            if any(pattern in str(row.get(field, "")).lower() for field in names)
        ]
        if len(holding) * 2 <= len(rows):
            chosen.extend(index for index in holding if index not in chosen)
    return set(chosen[:MAX_NAME_ROWS])


# What follows these words in its clause is what the request leaves out ("which are not strings
# or lists?"): its values are no rows to keep.
_NEGATION = re.compile(
    r"\b(?:not|except|excluding|other than|besides|apart from|without|\w+n't)\b([^.?!;:]*)", re.IGNORECASE
)


def _negated_terms(query: str) -> set[str]:
    """The request's terms in the clauses it negates, as `request_terms` writes them (stems too)."""
    spans = " ".join(match[1] for match in _NEGATION.finditer(query))
    return set(query_terms(spans)) if spans.strip() else set()


def _cell_items(value: Any) -> list[str]:
    """A cell's value, lower-cased, and the items of a comma-separated one or of a list of scalars."""
    if isinstance(value, list):
        return [
            item
            for element in value
            if not isinstance(element, (dict, list))
            for item in _cell_items(element)
        ]
    if isinstance(value, bool) or value is None or isinstance(value, dict):
        return []
    return _scalar_items(value)


# A table's cells repeat (a category's values): each distinct one is read once.
@functools.lru_cache(maxsize=8192, typed=True)
def _scalar_items(value: str | int | float) -> list[str]:
    text = str(value).strip().lower()
    if "," not in text:
        return [text]
    return [text, *(part.strip() for part in text.split(",") if part.strip())]


def _category_fields(
    fields: Sequence[str],
    terms: set[str],
    rows: Mapping[int, Mapping[str, Any]],
) -> list[str]:
    """The categorical fields the request is about: those it names whole (`license`, `exit_code`
    or "exit code" written as one term), then those holding one of its terms as a value."""
    by_name = set(_fields_named(fields, terms))
    named: list[str] = []
    valued: list[str] = []
    for name in fields:
        # category_counts skips containers as it skips None: the raw cells count as _category_value's.
        counts = category_counts([row.get(name) for row in rows.values()])
        if counts is None:
            continue
        if name in by_name:
            named.append(name)
        elif any(isinstance(value, str) and value.lower() in terms for _, value in counts):
            valued.append(name)
    return [*named, *valued][:MAX_ASKED_COLUMNS]


def _fields_named(fields: Sequence[str], terms: set[str]) -> list[str]:
    """The fields the request names whole (`license`, `exit_code` or "exit code" written as one
    term) or word by word (`_named_by_words`), in their order."""
    letters = {name_letters(term) for term in terms}
    asked = _AskedWords.of(terms)
    return [
        name
        for name in fields
        if name.lower() in terms or name_letters(name) in letters or _named_by_words(name, asked)
    ]


# The words of a field's name: split at anything not a letter or digit, and where camelCase turns.
_NAME_WORDS = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
_SHORT_WORD = 2  # `is` of `is_fraud`, `id`: no word of their own in a question
# The endings a request adds to a name's word: flag -> flags, flagged; retry -> retries, retried.
_INFLECTIONS = ("s", "es", "d", "ed", "ing")


@dataclass(frozen=True)
class _AskedWords:
    """The request's words longer than _SHORT_WORD (the parts of its terms: "fraud-flagged" gives
    `fraud` and `flagged`) and every inflection of them, read once for all of a block's fields."""

    words: frozenset[str]
    inflected: frozenset[str]

    @classmethod
    def of(cls, terms: Iterable[str]) -> _AskedWords:
        words = frozenset(
            part for term in terms for part in _NAME_WORDS.split(term) if len(part) > _SHORT_WORD
        )
        return cls(words, frozenset(form for word in words for form in _inflected(word)))

    def inflect(self, word: str) -> bool:
        """Whether an asked word is `word` or inflects it ("flagged" for `flag`), or `word`
        inflects an asked one (`flagged` for "flag")."""
        return word in self.words or word in self.inflected or not self.words.isdisjoint(_inflected(word))


def _named_by_words(name: str, asked: _AskedWords) -> bool:
    """Whether the request names a field word by word: each word of the last part of its name
    (`fraud_flag` of `risk.fraud_flag`, `isFlagged`) longer than two letters is a term of the
    request or a word of one ("fraud-flagged"), an inflection of one ("flagged", "flags"; not
    "model" for `mode`) or one the term inflects (`flagged` for "flag"); at least one such word."""
    leaf = name.rsplit(".", 1)[-1]
    words = [word.lower() for word in _NAME_WORDS.split(leaf) if len(word) > _SHORT_WORD]
    return bool(words) and all(asked.inflect(word) for word in words)


@functools.lru_cache(maxsize=4096)
def _inflected(word: str) -> frozenset[str]:
    """`word` with each ending (a doubled last consonant allowed: flag -> flagged; a final y as i:
    retry -> retried); none for a word under three letters."""
    if len(word) < 3:
        return frozenset()
    stems = {word, word + word[-1]}
    if word.endswith("y"):
        stems.add(word[:-1] + "i")
    return frozenset(stem + ending for stem in stems for ending in _INFLECTIONS)


def _category_value(value: Any) -> Any:
    """A value as a category: scalars as they are, containers as none."""
    return None if isinstance(value, (dict, list)) else value


def _asked_fields(block: BlockState, fields: Sequence[str]) -> list[str]:
    terms = set(request_terms(block))
    exact = [field for field in fields if field.lower() in terms]
    return exact or named_fields(block, fields)


def _is_time(column: Sequence[Any]) -> bool:
    return any(isinstance(value, str) for value in column)


def _ends(indices: Sequence[int], column: Sequence[Any], side: Side | None, count: int) -> set[int]:
    """The rows at the ends of a column: `count` at `side` and one at the other (ties: the first row)."""
    present = sorted(((value, position) for position, value in enumerate(column) if value is not None))
    if len(present) < 2:
        return set()
    low = [position for _, position in present]
    high = [position for _, position in sorted(present, key=lambda pair: (_negated(pair[0]), pair[1]))]
    wanted = {"max": high[:count] + low[:1], "min": low[:count] + high[:1], None: low[:1] + high[:1]}[side]
    return {indices[position] for position in wanted}


def _negated(value: Any) -> Any:
    """A sort key putting the largest first, for numbers and for time text alike."""
    if isinstance(value, str):
        return tuple(-ord(char) for char in value)
    return -value


def _fields(rows: Mapping[int, Mapping[str, Any]]) -> list[str]:
    return list(dict.fromkeys(name for row in rows.values() for name in row))


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
