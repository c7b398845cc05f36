"""JSON arrays: units are the array's items.

Rendering is a faithful re-encoding: kept items are minified JSON of the same
values, dropped runs become marker strings (the array stays valid JSON), and the
first marker carries a marked summary of every dropped item (counts per value of
low-cardinality fields, ranges of numbers and timestamps, and first how many dropped
items the record rules of `headroom.content.records` flagged past their caps). When the items are
objects with (nearly) the same keys, a compact table is offered too: the keys
once, constant columns once, then one row per item, with an empty slot for a key
an item does not have. An item with keys of its own, and any item a compressor
marks as mattering (`whole_rows`), is written whole as a JSON object on its row.
`decode_table` reads a table back to the same values.

A compressor may also cut very long strings inside kept items (`cut_long_strings`):
the kept parts stay verbatim and each cut is marked with the key path and the
dropped line or character range.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from headroom.content.base import Document
from headroom.content.columns import SUMMARY_MIN_UNITS, column_outliers, summarize_columns
from headroom.content.records import FLAGGED_KEY, Notable, Record, notable_records
from headroom.content.signals import (
    ERROR_KEYS,
    ERROR_TERMS,
    STATUS_KEYS,
    WARN_TERMS,
    errors_entry,
    line_starts,
    lines_mentioning,
    text_error_signal,
)
from headroom.json_text import MAX_JSON_DEPTH, too_deep
from headroom.markers import (
    Scalar,
    SummaryEntry,
    json_path,
    omitted,
    runs,
    summary,
    with_first_entry,
    with_markers,
)

SIGNAL_TERMS = (*ERROR_TERMS, *WARN_TERMS, *sorted(ERROR_KEYS))

# orjson reads integers past 64 bits as floats and huge exponents as infinity; text that may
# hold either goes through the standard library, which keeps big integers and lets us refuse
# floats that do not survive.
_BIG_INT = re.compile(r"\d{19,}")
_LONG_EXPONENT = re.compile(r"\d[eE][+-]?\d{3,}")


def exact_float(text: str) -> float:
    """A JSON number as a float, refusing one that reads as infinity or as a zero it is not."""
    number = float(text)
    mantissa = text.lower().partition("e")[0]
    if math.isinf(number) or (number == 0.0 and mantissa.strip("-0.") != ""):
        raise ValueError(f"number {text[:40]} has an exponent a float cannot hold; not re-encoded")
    return number


def reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_json(text: str) -> Any:
    """Parse JSON with no silent loss of numeric precision. Raises ValueError, also for JSON
    nested past `MAX_JSON_DEPTH` (opaque text: `headroom.json_text.too_deep`)."""
    refuse_deep(text)
    if _BIG_INT.search(text) or _LONG_EXPONENT.search(text):
        return json.loads(text, parse_float=exact_float, parse_constant=reject_constant)
    return orjson.loads(text)


def refuse_deep(text: str) -> None:
    if too_deep(text):
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels is read as opaque text")


def dump_json(value: Any) -> str:
    """Minified JSON with keys in their original order."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # integers past 64 bits
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


TABLE_SLOT_NOTE = "an empty slot is a key the item does not have"
TABLE_WHOLE_NOTE = "a row in braces is a whole item"
_TABLE_HEADER = re.compile(r"\[headroom: table of (?P<count>\d+) items; columns=")
# A table is offered when at most this share of its cells are absent keys.
MAX_ABSENT_SHARE = 1 / 3


class JsonArrayDocument(Document):
    unit_name = "items"
    first_number = 0

    def __init__(self, text: str, items: list[Any]):
        super().__init__(text, [dump_json(item) for item in items])
        self.items = items
        self.encoding = "json"  # or "table"; chosen by the crusher
        self.summarize = True  # the first marker carries a summary of what was dropped
        self.cut: dict[int, Any] = {}  # item index -> the item with its long strings cut (crusher's choice)
        # Items a table writes whole, keys and all, so the ones that matter read on their own.
        self.whole_rows: frozenset[int] = frozenset()
        self._shape: TableShape | None = None
        self._shape_known = False

    @classmethod
    def parse(cls, text: str) -> JsonArrayDocument | None:
        try:
            value = load_json(text)
        except ValueError:
            return None
        if not isinstance(value, list):
            return None
        return cls(text, value)

    # rendering -----------------------------------------------------------------

    def render(self, keep: list[bool] | None, ref: str) -> str:
        if self.encoding == "table":
            table = self.render_table(keep, ref)
            if table is not None:
                return table
        return self.render_json(keep, ref)

    def _segments(self, keep: list[bool] | None, ref: str) -> list[tuple[int | None, str]]:
        """(item index, "") for kept items and (None, marker) for dropped runs, in order."""
        total = len(self.items)
        if keep is None:
            return [(i, "") for i in range(total)]
        spans = runs(keep)
        note = self.dropped_summary(keep)

        def marker(first: int, last: int) -> str:
            text = omitted(self.unit_name, first, last, total, ref)
            return text + " " + note if note and first == spans[0][0] else text

        return [
            (None, part) if isinstance(part, str) else (part, "")
            for part in with_markers(keep, range(total), marker)
        ]

    def dropped_summary(self, keep: list[bool]) -> str:
        """The marked summary of every dropped item, or "" when there is nothing worth saying."""
        return self.remember("dropped_summary", (tuple(keep), self.summarize), lambda: self._summarize(keep))

    def _summarize(self, keep: list[bool]) -> str:
        if not self.summarize:
            return ""
        positions = [i for i, kept in enumerate(keep) if not kept]
        # Where the dropped items that report an error are: always said, first.
        signals = self.error_signals()
        errors = errors_entry([i for i in positions if signals[i] >= 1.0], self.unit_name)
        note = summarize_values(
            [self.items[i] for i in positions],
            self.unit_name,
            empty=errors is not None,
            flagged=self.notable().counts(positions),
        )
        return with_first_entry(note, errors) if errors else note

    def item_text(self, index: int) -> str:
        cut = self.cut.get(index)
        return self.units[index] if cut is None else dump_json(cut)

    def render_json(self, keep: list[bool] | None, ref: str) -> str:
        parts = [
            self.item_text(index) if index is not None else dump_json(marker)
            for index, marker in self._segments(keep, ref)
        ]
        return "[" + ",".join(parts) + "]"

    def table_columns(self) -> tuple[list[str], dict[str, Any]] | None:
        """(varying columns, constant columns) when the items are objects with (nearly) the same keys."""
        shape = self._table_shape()
        return None if shape is None else (shape.varying, shape.constant)

    def _table_shape(self) -> TableShape | None:
        if not self._shape_known:
            self._shape = _table_shape(self.items)
            self._shape_known = True
        return self._shape

    def render_table(self, keep: list[bool] | None, ref: str) -> str | None:
        shape = self._table_shape()
        if shape is None:
            return None
        whole = shape.whole | (self.whole_rows if shape.can_write_whole else frozenset())
        if keep is not None:
            whole = frozenset(i for i in whole if keep[i])
        notes = "".join(
            f"; {note}"
            for note, applies in ((TABLE_SLOT_NOTE, shape.has_absent), (TABLE_WHOLE_NOTE, bool(whole)))
            if applies
        )
        header = (
            f"[headroom: table of {len(self.items)} items; columns={dump_json(shape.varying)}"
            f" constant={dump_json(shape.constant)}; each row is one item's values as JSON, without brackets"
            f"{notes}]"
        )
        lines = [header]
        for index, marker in self._segments(keep, ref):
            if index is None:
                lines.append(marker)
                continue
            item = self.cut.get(index, self.items[index])
            if index in whole:
                lines.append(dump_json(item))
            else:
                lines.append(",".join(dump_json(item[key]) if key in item else "" for key in shape.varying))
        return "\n".join(lines)

    # signals ---------------------------------------------------------------------

    def error_signals(self) -> list[float]:
        # One fast pass finds the items that mention an error word at all; only those are inspected.
        signals = [0.0] * len(self.items)
        for index in lines_mentioning("\n".join(self.units), line_starts(self.units), SIGNAL_TERMS):
            signals[index] = item_error_signal(self.items[index])
        return signals

    def anomaly_signals(self) -> list[float]:
        return sibling_anomalies(self.items, self.notable())

    def notable(self) -> Notable:
        """The items that stand out under the record rules (`headroom.content.records`)."""
        return self.remember("notable", None, lambda: notable_records(as_records(self.items)))


def as_records(items: Sequence[Any]) -> list[Record]:
    """Items as records for the record rules: objects as they are, scalars as one `value` field when
    the array holds no containers (a list of prices is a column), anything else none."""
    if any(isinstance(item, dict) for item in items):
        return [item if isinstance(item, dict) else None for item in items]
    if any(isinstance(item, list) for item in items):
        return [None] * len(items)
    return [{"value": item} for item in items]


def sibling_anomalies(items: Sequence[Any], notable: Notable | None = None) -> list[float]:
    """Per item, 0..1: how unusual it is among its siblings (shape, type, numeric outlier, rare value,
    and what the record rules flag: extremes, breaks, disagreeing derived values)."""
    signals = [0.0] * len(items)
    for index, strength in (notable or notable_records(as_records(items))).keep.items():
        signals[index] = strength
    if len(items) < 8:
        return signals
    for index in _type_outliers(items):
        signals[index] = 0.6
    records = [(i, item) for i, item in enumerate(items) if isinstance(item, dict)]
    if len(records) >= len(items) * 0.8:
        record_items = [item for _, item in records]
        for position in _shape_outliers(record_items):
            signals[records[position][0]] = max(signals[records[position][0]], 0.6)
        for key in _shared_keys(record_items):
            values = [item.get(key) for item in record_items]
            for position, strength in column_outliers(values, rare=False).items():
                index = records[position][0]
                signals[index] = max(signals[index], strength)
    elif not any(isinstance(item, (dict, list)) for item in items):
        for index, strength in column_outliers(items, rare=False).items():
            signals[index] = max(signals[index], strength)
    return signals


def summarize_values(
    values: Sequence[Any], unit: str, *, empty: bool = False, flagged: Sequence[tuple[Scalar, int]] = ()
) -> str:
    """`[headroom: summary of N omitted <unit>: ...]` over dropped records (per field) or scalars;
    "" when there is nothing to say, unless `empty` (a summary is needed in any case). Fewer than
    SUMMARY_MIN_UNITS values get no summary of their fields. `flagged`: how many of the dropped
    records each record rule flagged past its cap (`flagged: units:negative x3`), said first and always."""
    head: list[SummaryEntry] = [(FLAGGED_KEY, list(flagged))] if flagged else []
    if len(values) < SUMMARY_MIN_UNITS:
        return summary(len(values), unit, head) if head or (empty and values) else ""
    if values and all(isinstance(value, dict) for value in values):
        presence = Counter(key for value in values for key in value)
        # Fields most records have first: a field few of them carry says little about the rest.
        keys = sorted(presence, key=lambda key: -presence[key])
        columns = [(str(key), [value[key] for value in values if key in value]) for key in keys]
    else:
        columns = [("value", list(values))]
    entries = [*head, *summarize_columns(columns)]
    return summary(len(values), unit, entries) if entries or empty else ""


@dataclass(frozen=True)
class TableShape:
    varying: list[str]  # the columns each row gives values for
    constant: dict[str, Any]  # columns with one value in every row
    whole: frozenset[int]  # items written whole (they have keys no column holds)
    has_absent: bool  # some row lacks a column
    can_write_whole: bool  # no row starts with "{", so an item may be written whole


def _table_shape(items: list[Any]) -> TableShape | None:
    """Columns: the keys at least half the items have. An item with another key is written whole."""
    if len(items) < 2 or not all(isinstance(item, dict) for item in items):
        return None
    counts = Counter(key for item in items for key in item)
    keys = [
        key for key in dict.fromkeys(key for item in items for key in item) if counts[key] * 2 >= len(items)
    ]
    if not keys:
        return None
    key_set = set(keys)
    whole = frozenset(i for i, item in enumerate(items) if not key_set.issuperset(item))
    rows = [item for i, item in enumerate(items) if i not in whole]
    if len(whole) * 4 > len(items) or len(rows) < 2:
        return None
    present = Counter(key for item in rows for key in item)
    if not any(present[key] == len(rows) for key in keys):
        return None  # no key every row has: not one kind of record
    absent = sum(len(rows) - present[key] for key in keys)
    if absent > MAX_ABSENT_SHARE * len(rows) * len(keys):
        return None
    first = rows[0]
    constant = {
        key: first[key]
        for key in keys
        if present[key] == len(rows) and all(_same(item[key], first[key]) for item in rows[1:])
    }
    varying = [key for key in keys if key not in constant]
    can_write_whole = bool(varying) and not any(isinstance(item.get(varying[0]), dict) for item in rows)
    if whole and not can_write_whole:
        return None  # a row would start with "{" like a whole item: not readable back
    return TableShape(varying, constant, whole, absent > 0, can_write_whole)


def _same(a: Any, b: Any) -> bool:
    # 1 == 1.0 == True in Python, but they are different JSON values.
    return type(a) is type(b) and a == b


def decode_table(text: str) -> list[Any]:
    """The items a table rendering stands for; each marker line comes back as that line's text.

    Raises ValueError when the text is not a table rendering."""
    decoder = json.JSONDecoder()
    header, _, body = text.partition("\n")
    match = _TABLE_HEADER.match(header)
    if match is None:
        raise ValueError("not a headroom table")
    varying, position = decoder.raw_decode(header, match.end())
    if not header.startswith(" constant=", position):
        raise ValueError("table header without constant columns")
    constant, _ = decoder.raw_decode(header, position + len(" constant="))
    whole_rows = TABLE_WHOLE_NOTE in header
    items: list[Any] = []
    for line in body.split("\n") if body or varying == [] else []:
        if line.startswith("[headroom:"):
            items.append(line)
            continue
        if whole_rows and line.startswith("{"):
            items.append(json.loads(line))
            continue
        values = _decode_row(decoder, line, len(varying))
        item = {key: value for key, value in zip(varying, values, strict=True) if value is not _ABSENT}
        items.append({**item, **constant})
    return items


_ABSENT = object()


def decode_items(text: str) -> list[Any]:
    """The items of a rendering of a JSON array, in either writing (JSON or table)."""
    if _TABLE_HEADER.match(text):
        return decode_table(text)
    value = json.loads(text)
    if not isinstance(value, list):
        raise ValueError("not a JSON array")
    return value


def _decode_row(decoder: json.JSONDecoder, line: str, width: int) -> list[Any]:
    values: list[Any] = []
    position = 0
    for slot in range(width):
        if position == len(line) or line[position] == ",":
            values.append(_ABSENT)
        else:
            value, position = decoder.raw_decode(line, position)
            values.append(value)
        if slot < width - 1:
            if line[position : position + 1] != ",":
                raise ValueError(f"row {line[:40]!r}: expected ',' at {position}")
            position += 1
    if position != len(line):
        raise ValueError(f"row {line[:40]!r}: more values than columns")
    return values


# cutting long strings ---------------------------------------------------------------------


def cut_long_strings(
    value: Any, path: tuple[str | int, ...], limit: int, terms: Sequence[str], ref: str
) -> Any:
    """`value` with every string longer than `limit` characters cut to about `limit`.

    Multi-line strings keep whole lines: the first ones, those that mention a query term or an
    error, and the last; single-line strings keep their start and a window around the first
    query term. Each dropped run becomes a marker naming the key path and the line or character
    range. Returns `value` itself (the same object) when nothing was cut.
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return value
        if value.count("\n") >= 2:
            return _cut_lines(value, path, limit, terms, ref)
        return _cut_chars(value, path, limit, terms, ref)
    if isinstance(value, dict):
        changed = {key: cut_long_strings(v, (*path, key), limit, terms, ref) for key, v in value.items()}
        return value if all(changed[key] is value[key] for key in value) else changed
    if isinstance(value, list):
        items = [cut_long_strings(v, (*path, i), limit, terms, ref) for i, v in enumerate(value)]
        return value if all(new is old for new, old in zip(items, value, strict=True)) else items
    return value


_CUT_MARKER_CHARS = 80


def _cut_lines(text: str, path: tuple[str | int, ...], limit: int, terms: Sequence[str], ref: str) -> str:
    lines = text.split("\n")
    total = len(lines)
    keep = [False] * total
    spent = 0
    for index, line in enumerate(lines):  # the opening lines
        if spent + len(line) > limit // 2 and index > 0:
            break
        keep[index] = True
        spent += len(line) + 1
    keep[-1] = True
    spent += len(lines[-1])
    for index, line in enumerate(lines):  # then lines that matter, while they fit
        if keep[index] or spent + len(line) > limit:
            continue
        lowered = line.lower()
        if any(term in lowered for term in terms) or text_error_signal(line) >= 1.0:
            keep[index] = True
            spent += len(line) + 1
    for first, last in runs(keep):  # a marker must cost less than what it replaces
        if sum(len(line) + 1 for line in lines[first : last + 1]) <= _CUT_MARKER_CHARS:
            keep[first : last + 1] = [True] * (last - first + 1)
    where = json_path(path)
    return "\n".join(
        with_markers(
            keep, lines, lambda first, last: omitted("lines", first + 1, last + 1, total, ref, path=where)
        )
    )


def _cut_chars(text: str, path: tuple[str | int, ...], limit: int, terms: Sequence[str], ref: str) -> str:
    total = len(text)
    spans = [(0, max(1, limit * 7 // 10))]
    lowered = text.lower()
    hits = [at for term in terms if (at := lowered.find(term, spans[0][1])) != -1]
    if hits:
        half = max(1, limit * 15 // 100)
        spans.append((max(spans[0][1], min(hits) - half), min(total, min(hits) + half)))
    tail = max(1, limit // 10)
    spans.append((max(spans[-1][1], total - tail), total))
    where = json_path(path)
    out: list[str] = []
    position = 0
    for start, end in spans:
        if start - position > _CUT_MARKER_CHARS:
            out.append(f" {omitted('chars', position + 1, start, total, ref, path=where)} ")
        else:
            start = position
        out.append(text[start:end])
        position = end
    return "".join(out)


def item_error_signal(item: Any) -> float:
    if not isinstance(item, dict):
        return text_error_signal(item) if isinstance(item, str) else 0.0
    strongest = 0.0
    for key, value in item.items():
        lowered = str(key).lower()
        if lowered in ERROR_KEYS and value not in (None, "", [], {}, False, 0):
            return 1.0
        if lowered in STATUS_KEYS and isinstance(value, str):
            strongest = max(strongest, text_error_signal(value))
        elif isinstance(value, str) and len(value) < 2000:
            strongest = max(strongest, text_error_signal(value) * 0.8)
        elif isinstance(value, dict):
            strongest = max(strongest, item_error_signal(value) * 0.9)
        elif isinstance(value, list):  # records inside a record: the worst of them, a little weaker
            inner = (item_error_signal(v) for v in value if isinstance(v, dict))
            strongest = max(strongest, max(inner, default=0.0) * 0.9)
    return strongest


def _type_outliers(items: Sequence[Any]) -> list[int]:
    kinds = Counter(type(item).__name__ for item in items)
    if len(kinds) < 2:
        return []
    common, _ = kinds.most_common(1)[0]
    return [
        i for i, item in enumerate(items) if type(item).__name__ != common and kinds[type(item).__name__] <= 2
    ]


def _shared_keys(items: list[dict[str, Any]]) -> list[str]:
    counts = Counter(key for item in items for key in item)
    return [key for key, count in counts.items() if count >= len(items) * 0.8]


def _shape_outliers(items: list[dict[str, Any]]) -> list[int]:
    shapes = Counter(frozenset(item) for item in items)
    common, _ = shapes.most_common(1)[0]
    return [i for i, item in enumerate(items) if frozenset(item) != common and shapes[frozenset(item)] <= 2]
