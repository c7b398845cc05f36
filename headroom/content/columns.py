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


# anomalies ---------------------------------------------------------------------------------


def column_outliers(values: Sequence[Any]) -> dict[int, float]:
    """Index -> anomaly strength for a column: far numeric outliers and rare categories."""
    numbers = [(i, n) for i, v in enumerate(values) if (n := as_number(v)) is not None]
    if len(numbers) >= 8 and len(numbers) >= len(values) * 0.8:
        return _numeric_outliers(numbers)
    categories = [(i, v) for i, v in enumerate(values) if isinstance(v, (str, bool)) or v is None]
    if len(categories) >= len(values) * 0.8:
        return _rare_values(categories, len(values))
    return {}


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


def _rare_values(values: list[tuple[int, Any]], total: int) -> dict[int, float]:
    counts = Counter(v for _, v in values)
    if len(counts) < 2 or len(counts) > max(12, total // 10):
        return {}  # free text or identifiers, not a category
    rare_limit = max(1, total // 50)
    import statistics

    # Rare against the others: an account seen 12 times among accounts each seen 12 times is not.
    typical = statistics.median(counts.values())
    return {i: 0.7 for i, v in values if counts[v] <= rare_limit and counts[v] * 5 <= typical}


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
        skeleton = _DIGIT.sub("0", texts[0])
        # Same digits-in-the-same-places shape: text order is time order.
        if _TIMESTAMP.match(texts[0]) and all(_DIGIT.sub("0", t) == skeleton for t in texts):
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
