"""JSON arrays: units are the array's items.

Rendering is a faithful re-encoding: kept items are minified JSON of the same
values, dropped runs become marker strings (the array stays valid JSON). When
every item is an object with the same keys, a compact table is offered too:
the keys once, constant columns once, then one row per item.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections import Counter
from typing import Any

import orjson

from headroom.content.base import Document
from headroom.content.signals import (
    ERROR_KEYS,
    ERROR_TERMS,
    STATUS_KEYS,
    WARN_TERMS,
    line_starts,
    lines_mentioning,
    text_error_signal,
)
from headroom.markers import omitted, runs

_SIGNAL_TERMS = (*ERROR_TERMS, *WARN_TERMS, *sorted(ERROR_KEYS))

# orjson reads integers past 64 bits as floats and huge exponents as infinity;
# such text goes through the standard library, or is not treated as JSON.
_BIG_INT = re.compile(r"\d{19,}")
_HUGE_EXPONENT = re.compile(r"[eE][+-]?\d{3,}")


def load_json(text: str) -> Any:
    """Parse JSON with no silent loss of numeric precision. Raises ValueError."""
    if _HUGE_EXPONENT.search(text):
        raise ValueError("number with a three-digit exponent; not re-encoded")
    if _BIG_INT.search(text):
        return json.loads(text)
    return orjson.loads(text)


def dump_json(value: Any) -> str:
    """Minified JSON with keys in their original order."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # integers past 64 bits
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class JsonArrayDocument(Document):
    unit_name = "items"
    first_number = 0

    def __init__(self, text: str, items: list[Any]):
        super().__init__(text, [dump_json(item) for item in items])
        self.items = items
        self.encoding = "json"  # or "table"; chosen by the crusher

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
        """(item index, None) for kept items and (None, marker) for dropped runs, in order."""
        total = len(self.items)
        if keep is None:
            return [(i, "") for i in range(total)]
        starts = {first: last for first, last in runs(keep)}
        segments: list[tuple[int | None, str]] = []
        index = 0
        while index < total:
            if index in starts:
                last = starts[index]
                segments.append((None, omitted(self.unit_name, index, last, total, ref)))
                index = last + 1
            else:
                segments.append((index, ""))
                index += 1
        return segments

    def render_json(self, keep: list[bool] | None, ref: str) -> str:
        parts = [
            self.units[index] if index is not None else dump_json(marker)
            for index, marker in self._segments(keep, ref)
        ]
        return "[" + ",".join(parts) + "]"

    def table_columns(self) -> tuple[list[str], dict[str, Any]] | None:
        """(varying columns, constant columns) when every item is an object with the same keys."""
        if len(self.items) < 2 or not all(isinstance(item, dict) for item in self.items):
            return None
        keys = list(self.items[0])
        key_set = set(keys)
        if not keys or any(set(item) != key_set for item in self.items):
            return None
        constant = {
            key: self.items[0][key]
            for key in keys
            if all(item[key] == self.items[0][key] for item in self.items[1:])
        }
        varying = [key for key in keys if key not in constant]
        return varying, constant

    def render_table(self, keep: list[bool] | None, ref: str) -> str | None:
        shape = self.table_columns()
        if shape is None:
            return None
        varying, constant = shape
        header = (
            f"[headroom: table of {len(self.items)} items; columns={dump_json(varying)}"
            f" constant={dump_json(constant)}; each row is one item's values as JSON, without brackets]"
        )
        lines = [header]
        for index, marker in self._segments(keep, ref):
            if index is None:
                lines.append(marker)
            else:
                item = self.items[index]
                lines.append(dump_json([item[key] for key in varying])[1:-1])
        return "\n".join(lines)

    # signals ---------------------------------------------------------------------

    def error_signals(self) -> list[float]:
        # One fast pass finds the items that mention an error word at all; only those are inspected.
        signals = [0.0] * len(self.items)
        for index in lines_mentioning("\n".join(self.units), line_starts(self.units), _SIGNAL_TERMS):
            signals[index] = _item_error_signal(self.items[index])
        return signals

    def anomaly_signals(self) -> list[float]:
        if len(self.items) < 8 or not all(isinstance(item, dict) for item in self.items):
            return [0.0] * len(self.items)
        signals = [0.0] * len(self.items)
        for index in _shape_outliers(self.items):
            signals[index] = max(signals[index], 0.6)
        for key in _shared_keys(self.items):
            values = [item.get(key) for item in self.items]
            for index, strength in _column_outliers(values).items():
                signals[index] = max(signals[index], strength)
        return signals


def _item_error_signal(item: Any) -> float:
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
            strongest = max(strongest, _item_error_signal(value) * 0.9)
    return strongest


def _shared_keys(items: list[dict[str, Any]]) -> list[str]:
    counts = Counter(key for item in items for key in item)
    return [key for key, count in counts.items() if count >= len(items) * 0.8]


def _shape_outliers(items: list[dict[str, Any]]) -> list[int]:
    shapes = Counter(frozenset(item) for item in items)
    common, _ = shapes.most_common(1)[0]
    return [i for i, item in enumerate(items) if frozenset(item) != common and shapes[frozenset(item)] <= 2]


def _column_outliers(values: list[Any]) -> dict[int, float]:
    numbers = [
        (i, float(v)) for i, v in enumerate(values) if isinstance(v, (int, float)) and not isinstance(v, bool)
    ]
    if len(numbers) >= 8 and len(numbers) >= len(values) * 0.8:
        return _numeric_outliers(numbers)
    strings = [(i, v) for i, v in enumerate(values) if isinstance(v, (str, bool)) or v is None]
    if len(strings) >= len(values) * 0.8:
        return _rare_values(strings, len(values))
    return {}


def _numeric_outliers(numbers: list[tuple[int, float]]) -> dict[int, float]:
    """Robust z-score (median and MAD): far outliers are anomalies."""
    data = [v for _, v in numbers if math.isfinite(v)]
    if len(data) < 8:
        return {}
    median = statistics.median(data)
    mad = statistics.median(abs(v - median) for v in data)
    if mad == 0:
        return {i: 0.6 for i, v in numbers if v != median and sum(1 for d in data if d != median) <= 3}
    return {i: 0.6 for i, v in numbers if abs(v - median) / (1.4826 * mad) > 6}


def _rare_values(values: list[tuple[int, Any]], total: int) -> dict[int, float]:
    counts = Counter(v for _, v in values)
    if len(counts) < 2 or len(counts) > max(12, total // 10):
        return {}  # free text or identifiers, not a category
    rare_limit = max(1, total // 50)
    return {i: 0.7 for i, v in values if counts[v] <= rare_limit}
