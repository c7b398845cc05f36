"""Statistics over columns of values, shared by JSON records and tables: which values are
anomalies among their siblings, and a faithful summary of the values a compressor dropped.

A column is a list of scalar values (JSON values, or table cells as text). Table cells that
read as numbers ("42", "3.5", "24%", "1.2G") count as numbers; their text is what a summary shows.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from headroom.markers import Scalar, SummaryEntry

# A summary lists every distinct value of a column only when there are this few of them.
MAX_COUNTED_VALUES = 5
MAX_SUMMARY_FIELDS = 8
MAX_SUMMARY_VALUE_CHARS = 40
# Fewer dropped units than this get no summary: the marker alone says enough.
SUMMARY_MIN_UNITS = 10

_CELL_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?:%|[KMGTP]i?B?|[kmgtp])?")
_SUFFIX_SCALE = {"k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12, "p": 1e15}
_TIMESTAMP = re.compile(r"\d{4}-\d{2}(?:-\d{2})?|\d{1,2}:\d{2}(?::\d{2})?")
_DIGIT = re.compile(r"\d")


_NUMBER_STARTS = frozenset("+-.0123456789")


def as_number(value: Any) -> float | None:
    """A JSON number, or a table cell that reads as one (with %, K/M/G suffixes); else None."""
    kind = type(value)  # exact types: bool is not a number here, and this runs once per cell
    if kind is int or kind is float:
        number = float(value)
        return number if math.isfinite(number) else None
    if kind is not str or value[:1] not in _NUMBER_STARTS or not _CELL_NUMBER.fullmatch(value):
        return None
    digits = value.rstrip("%BiKMGTPkmgtp")
    try:
        number = float(digits)
    except ValueError:
        return None
    suffix = value[len(digits) : len(digits) + 1].lower()
    return number * _SUFFIX_SCALE.get(suffix, 1.0)


# numbers in any notation ---------------------------------------------------------------------
#
# What counts as a number in a column of records (`read_number`, `numeric_column`): a JSON number
# (not a boolean), or text that is one number in a common notation: an optional sign and currency
# sign ($ € £ ¥), digits with optional thousands commas in groups of three (`1,234,567`), an optional
# fraction and exponent (`6.6e-05`, `1E+2`, `-0.0`), and an optional unit right after it or after one
# space (`12%`, `3.5ms`, `1.2G`, `512 MiB`). A column is numeric when at least NUMERIC_SHARE of its
# filled cells read so and their units agree: one unit throughout, or units of one scaled family
# (sizes B/K/KB/KiB/M/..., durations ns/us/ms/s/min/h), a bare number fitting any. Dates, times,
# versions (`1.2.3`), hex and identifiers are not numbers. `-0.0` is zero.

NUMERIC_SHARE = 0.8
_NOTATION = re.compile(
    r"(?P<sign>[-+]?)[$€£¥]?(?P<digits>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)"
    r"(?P<exponent>[eE][-+]?\d+)?(?: ?(?P<unit>%|[A-Za-zµμ]{1,5}))?"
)
_NOTATION_STARTS = frozenset("+-.0123456789$€£¥")
_SIZE_UNITS = {
    prefix + tail: scale
    for prefix, scale, binary in (
        ("k", 1e3, 2**10), ("m", 1e6, 2**20), ("g", 1e9, 2**30), ("t", 1e12, 2**40), ("p", 1e15, 2**50)
    )
    for tail, scale in (("", scale), ("b", scale), ("ib", binary), ("i", binary))
} | {"b": 1.0}  # fmt: skip
_TIME_UNITS = {
    "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "sec": 1.0, "secs": 1.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "d": 86400.0,
}  # fmt: skip


def read_number(value: Any) -> tuple[float, str] | None:
    """(the number as written, its unit lower-cased; "" for none) for a JSON number or a cell in one
    of the notations above; None for anything else."""
    kind = type(value)
    if kind is int or kind is float:
        number = float(value)
        return (number, "") if math.isfinite(number) else None
    if kind is not str or value[:1] not in _NOTATION_STARTS:
        return None
    match = _NOTATION.fullmatch(value)
    if match is None:
        return None
    number = float(match["sign"] + match["digits"].replace(",", "") + (match["exponent"] or ""))
    if not math.isfinite(number):
        return None
    return number, (match["unit"] or "").lower()


def numeric_column(values: Sequence[Any]) -> list[float | None] | None:
    """Each value of a numeric column on one scale (None where a value is empty or not a number),
    or None when the column is not numeric (see above)."""
    readings = [read_number(value) for value in values]
    filled = sum(1 for value in values if value is not None and value != "")
    numbers = [reading for reading in readings if reading is not None]
    if len(numbers) < 2 or len(numbers) < NUMERIC_SHARE * filled:
        return None
    scale = _unit_scale({unit for _, unit in numbers if unit})
    if scale is None:
        return None
    return [None if reading is None else reading[0] * scale.get(reading[1], 1.0) for reading in readings]


def ordered_column(values: Sequence[Any]) -> list[float | str | None] | None:
    """Each value as a key that sorts it (None where empty or not of the column's kind): a numeric
    column on one scale, or timestamps all written in one shape (text order is then time order)."""
    numbers = numeric_column(values)
    if numbers is not None:
        return list(numbers)
    texts: list[str] = [value for value in values if isinstance(value, str) and value]
    filled = sum(1 for value in values if value is not None and value != "")
    if len(texts) < 2 or len(texts) < NUMERIC_SHARE * filled or not _same_time_shape(texts):
        return None
    return [value if isinstance(value, str) and value else None for value in values]


def _same_time_shape(texts: Sequence[str]) -> bool:
    skeleton = _DIGIT.sub("0", texts[0])
    return bool(_TIMESTAMP.match(texts[0])) and all(_DIGIT.sub("0", text) == skeleton for text in texts)


def _unit_scale(units: set[str]) -> dict[str, float] | None:
    """How each unit of a column converts to one scale, or None when the units do not agree."""
    if len(units) <= 1:
        return {}
    for family in (_SIZE_UNITS, _TIME_UNITS):
        if units <= family.keys():
            return family
    return None


# anomalies ---------------------------------------------------------------------------------


def column_outliers(values: Sequence[Any], *, rare: bool = True) -> dict[int, float]:
    """Index -> anomaly strength for a column: far numeric outliers and (unless not `rare`: a caller
    that has the record rules' findings has them already) rare categories."""
    numbers = [(i, n) for i, v in enumerate(values) if (n := as_number(v)) is not None]
    if len(numbers) >= 8 and len(numbers) >= len(values) * 0.8:
        return _numeric_outliers(numbers)
    if not rare:
        return {}
    categories = [(i, v) for i, v in enumerate(values) if isinstance(v, (str, bool)) or v is None]
    if len(categories) >= len(values) * 0.8:
        return {i: 0.7 for i in rare_values(values)}
    return {}


def numeric_outliers(numbers: Sequence[float]) -> dict[int, float]:
    """Position -> anomaly strength of the far outliers among numbers (see `_numeric_outliers`)."""
    return _numeric_outliers(list(enumerate(numbers)))


def _numeric_outliers(numbers: list[tuple[int, float]]) -> dict[int, float]:
    """Robust z-score (median and MAD): far outliers are anomalies."""
    import statistics  # only here: detection loads this module and need not pay for it

    data = [v for _, v in numbers]
    if len(data) < 8:
        return {}
    median = statistics.median(data)
    mad = statistics.median(abs(v - median) for v in data)
    if mad == 0:
        others = sum(1 for d in data if d != median)
        return {i: 0.6 for i, v in numbers if v != median and others <= 3}
    # Far beyond the spread is an anomaly; very far (a bill 400 times the usual) a stronger one.
    spread = 1.4826 * mad
    return {
        i: 0.8 if abs(v - median) / spread > 30 else 0.6 for i, v in numbers if abs(v - median) / spread > 6
    }


# A value is rare in a column of n values when at most max(RARE_MIN, RARE_SHARE x n) hold it and the
# column's most common value is held at least RARE_RATIO times as often: `fraud_flag: true` twice
# among 40 orders, `status: disputed` once among 500 paid and shipped ones; and the rows holding
# any rare value are no more than that limit in all (a long tail of months is no rare value).
# A column is categorical (its values can be rare) when it has at most max(12, n / 10) distinct
# values, or at most MAX_NUMERIC_CATEGORIES when they are numbers (exit codes, 0/1 flags); empty
# values take no part.
RARE_MIN = 2
RARE_SHARE = 0.02
RARE_RATIO = 4
MAX_NUMERIC_CATEGORIES = 5


def rare_limit(count: int) -> int:
    """How many of `count` values a value may be held by and still be rare."""
    return max(RARE_MIN, int(RARE_SHARE * count))


def rare_values(values: Sequence[Any]) -> dict[int, Any]:
    """Position -> value, for each position holding a rare value of a categorical column (see above)."""
    counts = category_counts(values)
    if counts is None:
        return {}
    limit = rare_limit(len(values))
    common = max(counts.values())
    rare = {key for key, count in counts.items() if count <= limit and count * RARE_RATIO <= common}
    if not rare or sum(counts[key] for key in rare) > limit:
        return {}  # none, or a long tail (months, versions) rather than a few odd values
    return _holding(values, rare)


def minority_values(values: Sequence[Any], most: int) -> dict[int, Any]:
    """Position -> value, for the positions holding a categorical column's minority values: each
    held by a RARE_RATIO-th of the rows its most common value has, or fewer, whatever their share
    (what a request about the column asks for: "which are not under MIT or ISC?"). The rarest first
    (ties: the first seen), each value whole, at most `most` positions in all."""
    counts = category_counts(values)
    if counts is None:
        return {}
    common = max(counts.values())
    order = {key: index for index, key in enumerate(counts)}
    minority = sorted(
        (key for key, count in counts.items() if count * RARE_RATIO <= common),
        key=lambda key: (counts[key], order[key]),
    )
    chosen: set[tuple[type, Any]] = set()
    spent = 0
    for key in minority:
        if spent + counts[key] > most:
            break
        chosen.add(key)
        spent += counts[key]
    return _holding(values, chosen) if chosen else {}


def category_counts(values: Sequence[Any]) -> dict[tuple[type, Any], int] | None:
    """How many times each value of a categorical column is held, by (type, value), in the order
    first seen; None when the column is not categorical (see above) or holds one value only."""
    most_distinct = max(12, len(values) // 10)
    # Equal values of different types (1 and 1.0 and True) are different JSON values.
    counts: dict[tuple[type, Any], int] = {}
    for value in values:
        if value is None or value == "" or isinstance(value, (dict, list)):
            continue
        key = (type(value), value)
        seen = counts.get(key)
        if seen is None and len(counts) >= most_distinct:
            return None  # free text or identifiers, not a category
        counts[key] = 1 if seen is None else seen + 1
    if len(counts) < 2:
        return None
    if len(counts) > MAX_NUMERIC_CATEGORIES and all(as_number(v) is not None for _, v in counts):
        return None  # measurements, not codes: their extremes and breaks are what stand out
    return counts


def _holding(values: Sequence[Any], keys: set[tuple[type, Any]]) -> dict[int, Any]:
    return {
        i: v
        for i, v in enumerate(values)
        if not isinstance(v, (dict, list)) and v is not None and v != "" and (type(v), v) in keys
    }


# summaries -----------------------------------------------------------------------------------


def summarize_columns(columns: Iterable[tuple[str, Sequence[Any]]]) -> list[SummaryEntry]:
    """Summary entries for the dropped values of each column, in column order, at most MAX_SUMMARY_FIELDS.

    A column with few distinct values gets counts per value; numbers and timestamps get
    their range; free text, identifiers and nested values get nothing.
    """
    entries: list[SummaryEntry] = []
    for key, values in columns:
        entry = _column_entry(values)
        if entry is not None:
            entries.append((key, entry))
            if len(entries) >= MAX_SUMMARY_FIELDS:
                break
    return entries


def _column_entry(values: Sequence[Any]) -> list[tuple[Scalar, int]] | tuple[Scalar, Scalar] | None:
    if not values or any(isinstance(v, (dict, list)) for v in values):
        return None
    if any(isinstance(v, str) and len(v) > MAX_SUMMARY_VALUE_CHARS for v in values):
        return None
    counts = Counter(values)
    if len(counts) <= MAX_COUNTED_VALUES and (len(counts) < len(values) or len(values) <= 2):
        # Equal values of different types (1 and 1.0 and True) were merged by Counter: keep them apart.
        typed = Counter((type(v).__name__, v) for v in values)
        if len(typed) == len(counts):
            first_seen = {value: index for index, value in reversed(list(enumerate(values)))}
            ordered = sorted(counts.items(), key=lambda item: (-item[1], first_seen[item[0]]))
            return [(value, seen) for value, seen in ordered]
    return _range(values)


def _range(values: Sequence[Any]) -> tuple[Scalar, Scalar] | None:
    numbers = _all_numbers(values)
    if numbers is not None:
        low = min(numbers, key=lambda pair: pair[0])[1]
        high = max(numbers, key=lambda pair: pair[0])[1]
        return low, high
    if all(isinstance(v, str) for v in values):
        texts: list[str] = list(values)
        # Same digits-in-the-same-places shape: text order is time order.
        if _same_time_shape(texts):
            return min(texts), max(texts)
    return None


def _all_numbers(values: Sequence[Any]) -> list[tuple[float, Any]] | None:
    """(number, value) for each value, or None as soon as one is not a number."""
    numbers = []
    for value in values:
        number = as_number(value)
        if number is None:
            return None
        numbers.append((number, value))
    return numbers
