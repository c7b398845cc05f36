"""Records that stand out among their siblings: the rows a question about extremes or anomalies needs.

Shared by every collection of records: JSON array items, the members of a map or the items of an
array inside a JSON object, table rows. A collection is a list of records, each a mapping from
field to value (JSON scalars, or a table's cells as text); a field a record lacks is absent, and
None or "" is empty. The scalar members of a nested object are fields of their own, named by
their path (`risk.fraud_flag`, `customer.email`; up to NESTED_DEPTH levels down, at most
MAX_NESTED_COLUMNS of them read after the record's own fields): a flag an API writes inside a
sub-object is as much a column as one written at the top. They take part in every rule but the
shape rule (a sub-object's members vary with what it describes, as a schema's properties do).
Other nested values (lists, objects deeper down) take part in a record's shape only.

The rules (`notable_records`), each flagging rows with a label a summary can count:

- extremes: for every numeric column (`columns.numeric_column`: any number notation, one unit),
  the first row holding its smallest and its largest value;
- rare values: in a column of few distinct values, each value that is rare (`columns.rare_values`:
  held by at most max(RARE_MIN, RARE_SHARE of the rows), and by a quarter of the rows the column's
  most common value has, or fewer): `status:disputed`, `fraud_flag:true`;
- shape: a record without a field nearly every record has (`email:missing`), or with a field only
  a rare few have (`error:present`);
- breaks: a negative number where a column is otherwise >= 0 (`units:negative`), a zero where it is
  otherwise non-zero (`price:zero`; -0.0 is zero), an empty value or text that is not a number where
  it is otherwise filled (`email:empty`, `price:text`), each only while rare; a column of distinct
  whole numbers (ids, counters) has no sign or zero breaks;
- derived: where one numeric column is the product or the sum of two others (within rounding: 1%)
  in at least DERIVED_SHARE of the rows, the rows where it is not
  (`revenue:not-units-times-price`).

Bounds: a collection of fewer than MIN_RECORDS records flags nothing (it is kept whole anyway); at most
MAX_COLUMNS fields are read (in order of first appearance); each label keeps at most PER_LABEL rows
and each column at most PER_COLUMN. Rows flagged past a cap are `overflow`: a compressor that drops
them says so in its marked summary (`flagged: units:negative x3`), so nothing goes unsaid.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from headroom.content.columns import numeric_column, rare_limit, rare_values
from headroom.markers import Scalar

MIN_RECORDS = 8
MAX_COLUMNS = 24
MAX_NESTED_COLUMNS = 24
NESTED_DEPTH = 3
PER_LABEL = 5
PER_COLUMN = 10
DERIVED_SHARE = 0.9
DERIVED_TOLERANCE = 0.01
# A relation is tried on every row only when it holds on this many of the first rows.
_DERIVED_SAMPLE = 24
# Strengths as anomaly signals: an extreme is worth keeping (but is no anomaly: below 0.5, where
# crushers count an item as unusual); a break or a disagreement is a finding.
EXTREME = 0.4
FINDING = 0.7
MAX_LABEL_VALUE_CHARS = 40
_BARE_VALUE = re.compile(r"[A-Za-z0-9_/@+%-]+(?:\.[A-Za-z0-9_/@+%-]+)*")
MAX_FLAGGED_LABELS = 6
# The summary entry that counts the dropped rows each rule flagged past its cap.
FLAGGED_KEY = "flagged"

Record = Mapping[str, Any] | None  # None: not a record (a scalar among records); it takes no part


@dataclass
class Notable:
    """What the rules found, by row position in the collection."""

    keep: dict[int, float] = field(default_factory=dict)  # row -> strength; within the caps
    labels: dict[int, list[str]] = field(default_factory=dict)  # row -> labels (extremes have none)
    overflow: set[int] = field(default_factory=set)  # flagged past a cap: not kept by the rules
    # The numeric columns as read (`columns.numeric_column`), by row: for other statistics over them.
    numbers: dict[str, dict[int, float]] = field(default_factory=dict)

    def flag(self, row: int, strength: float, label: str | None = None) -> None:
        self.keep[row] = max(self.keep.get(row, 0.0), strength)
        if label is not None:
            self.labels.setdefault(row, []).append(label)

    def renumbered(self, indices: Sequence[int]) -> Notable:
        """The same findings with row positions mapped to `indices` (a table's row numbers)."""
        return Notable(
            keep={indices[p]: strength for p, strength in self.keep.items()},
            labels={indices[p]: labels for p, labels in self.labels.items()},
            overflow={indices[p] for p in self.overflow},
            numbers={
                name: {indices[p]: n for p, n in column.items()} for name, column in self.numbers.items()
            },
        )

    def counts(self, rows: Iterable[int]) -> list[tuple[Scalar, int]]:
        """How many of `rows` carry each label, most first: what a summary of dropped rows says.
        Past MAX_FLAGGED_LABELS labels, the rest are counted together as `other`."""
        counted = Counter(label for row in rows for label in self.labels.get(row, ()))
        ordered: list[tuple[Scalar, int]] = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
        if len(ordered) <= MAX_FLAGGED_LABELS:
            return ordered
        rest = sum(count for _, count in ordered[MAX_FLAGGED_LABELS - 1 :])
        return [*ordered[: MAX_FLAGGED_LABELS - 1], ("other", rest)]


class _Absent(Enum):
    TOKEN = 0


ABSENT = _Absent.TOKEN  # in a column: the record does not have the field (None is a value: JSON null)


def notable_records(records: Sequence[Record]) -> Notable:
    """Rows that stand out under the rules above."""
    rows = [(i, record) for i, record in enumerate(records) if record is not None]
    if len(rows) < MIN_RECORDS:
        return Notable()
    names = _columns([record for _, record in rows])
    flat = [(i, flat_record(record)) for i, record in rows]
    nested = _nested_columns([(record, flat[p][1]) for p, (_, record) in enumerate(rows)])
    columns = {name: [record.get(name, ABSENT) for _, record in flat] for name in names + nested}
    return notable_columns([i for i, _ in rows], columns, most=len(columns), values_only=frozenset(nested))


def notable_columns(
    ids: Sequence[int],
    columns: Mapping[str, Sequence[Any]],
    most: int = MAX_COLUMNS,
    values_only: frozenset[str] = frozenset(),
) -> Notable:
    """The same rules over records given column by column: `ids[p]` is the row whose values are
    each column's `[p]` (ABSENT where the record lacks the field). At most `most` columns are read
    (records: MAX_COLUMNS of their own fields and MAX_NESTED_COLUMNS nested ones). The columns in
    `values_only` (nested fields) take no part in the shape rule: a sub-object's members vary
    with what it describes (a schema's properties), and the sub-object's presence is a shape of
    its record already."""
    found = Notable()
    if len(ids) < MIN_RECORDS:
        return found
    numbers: dict[str, list[float | None]] = {}
    candidates = _Candidates(found)
    for name, raw in list(columns.items())[:most]:
        present = [value is not ABSENT for value in raw]
        values = [None if value is ABSENT or isinstance(value, (dict, list)) else value for value in raw]
        column = numeric_column(values)
        if column is not None:
            numbers[name] = column
            found.numbers[name] = {ids[p]: n for p, n in enumerate(column) if n is not None}
            _extremes(found, ids, column)
        if name not in values_only:
            _shape(candidates, ids, name, present)
        _rare(candidates, ids, name, values)
        _breaks(candidates, ids, name, values, present, column)
    _derived(candidates, ids, numbers)
    candidates.settle()
    return found


def _columns(records: Sequence[Mapping[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for record in records:
        for name in record:
            if len(names) >= MAX_COLUMNS:
                return list(names)
            names.setdefault(name, None)
    return list(names)


def flat_record(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The record with the scalar members of its nested objects added as fields named by their
    path (`risk.fraud_flag`), NESTED_DEPTH levels down; a field of that name the record has itself
    wins. The record itself when it nests no object."""
    if not any(isinstance(value, dict) and value for value in record.values()):
        return record
    flat = dict(record)
    pending = [(f"{name}.", value, 1) for name, value in record.items() if isinstance(value, dict)]
    while pending:
        prefix, inner, depth = pending.pop(0)
        for name, value in inner.items():
            path = f"{prefix}{name}"
            if isinstance(value, dict):
                if depth < NESTED_DEPTH:
                    pending.append((f"{path}.", value, depth + 1))
            elif not isinstance(value, list):
                flat.setdefault(path, value)
    return flat


def flat_rows(rows: Mapping[int, Mapping[str, Any]]) -> dict[int, Mapping[str, Any]]:
    """`flat_record` of every row, by the same keys."""
    return {index: flat_record(row) for index, row in rows.items()}


def _nested_columns(pairs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> list[str]:
    """The fields `flat_record` added, over (record, its flat record) pairs, in order of first
    appearance, at most MAX_NESTED_COLUMNS."""
    names: dict[str, None] = {}
    for record, flat in pairs:
        if flat is record:
            continue
        for name in flat:
            if name in record or name in names:
                continue
            if len(names) >= MAX_NESTED_COLUMNS:
                return list(names)
            names[name] = None
    return list(names)


def _extremes(found: Notable, ids: Sequence[int], column: list[float | None]) -> None:
    present = [(value, position) for position, value in enumerate(column) if value is not None]
    if len(present) < 2:
        return
    low = min(present, key=lambda pair: (pair[0], pair[1]))
    high = max(present, key=lambda pair: (pair[0], -pair[1]))
    if low[0] != high[0]:
        found.flag(ids[low[1]], EXTREME)
        found.flag(ids[high[1]], EXTREME)


class _Candidates:
    """Flags gathered per column and label, then capped in order (first rows first)."""

    def __init__(self, found: Notable):
        self.found = found
        self.by_column: dict[str, dict[str, list[int]]] = {}

    def add(self, column: str, label: str, rows: Iterable[int]) -> None:
        self.by_column.setdefault(column, {}).setdefault(label, []).extend(rows)

    def settle(self) -> None:
        for labels in self.by_column.values():
            spent = 0
            for label, rows in labels.items():
                for count, row in enumerate(rows):
                    if count < PER_LABEL and spent < PER_COLUMN:
                        self.found.flag(row, FINDING, label)
                        spent += 1
                    else:
                        self.found.labels.setdefault(row, []).append(label)
                        self.found.overflow.add(row)
        self.found.overflow -= self.found.keep.keys()


def _shape(candidates: _Candidates, ids: Sequence[int], name: str, present: list[bool]) -> None:
    """Records without a field nearly all have, or with one only a rare few have."""
    limit = rare_limit(len(ids))
    having = sum(present)
    if having < len(ids) and len(ids) - having <= limit:
        candidates.add(name, f"{name}:missing", (ids[p] for p, here in enumerate(present) if not here))
    elif having <= limit:
        candidates.add(name, f"{name}:present", (ids[p] for p, here in enumerate(present) if here))


def _rare(candidates: _Candidates, ids: Sequence[int], name: str, values: list[Any]) -> None:
    for position, value in rare_values(values).items():
        text = "true" if value is True else "false" if value is False else str(value)
        # The value names the label when a summary can write it bare, else the label says "rare".
        plain = len(text) <= MAX_LABEL_VALUE_CHARS and _BARE_VALUE.fullmatch(text) is not None
        candidates.add(name, f"{name}:{text if plain else 'rare'}", [ids[position]])


def _breaks(
    candidates: _Candidates,
    ids: Sequence[int],
    name: str,
    values: list[Any],
    present: list[bool],
    numbers: list[float | None] | None,
) -> None:
    limit = rare_limit(len(ids))
    # A record without the field is of another shape (`_shapes`), not an empty value.
    empty = [p for p, value in enumerate(values) if present[p] and (value is None or value == "")]
    absent = {p for p, here in enumerate(present) if not here}
    if 0 < len(empty) <= limit:
        candidates.add(name, f"{name}:empty", (ids[p] for p in empty))
    if numbers is None:
        return
    blank = set(empty) | absent
    text = [p for p in range(len(values)) if numbers[p] is None and p not in blank]
    if 0 < len(text) <= limit:
        candidates.add(name, f"{name}:text", (ids[p] for p in text))
    measured = [(p, n) for p, n in enumerate(numbers) if n is not None]
    if _is_sequence(n for _, n in measured):
        return  # ids and counters: a 0 or a -1 among them is where they start, not a break
    negative = [p for p, n in measured if n < 0]
    if 0 < len(negative) <= limit and len(measured) - len(negative) >= MIN_RECORDS:
        candidates.add(name, f"{name}:negative", (ids[p] for p in negative))
    zero = [p for p, n in measured if n == 0]
    if 0 < len(zero) <= limit and len(measured) - len(zero) >= MIN_RECORDS:
        candidates.add(name, f"{name}:zero", (ids[p] for p in zero))


def _is_sequence(numbers: Iterable[float]) -> bool:
    """Distinct whole numbers throughout: an identifier or a counter."""
    seen: set[float] = set()
    for number in numbers:
        if number in seen or not number.is_integer():
            return False
        seen.add(number)
    return True


def _derived(candidates: _Candidates, ids: Sequence[int], numbers: dict[str, list[float | None]]) -> None:
    """A column that is the product or the sum of two others in nearly every row: the rows where not.
    Only columns filled in DERIVED_SHARE of the rows can hold in nearly every row; constant ones take
    no part (x = x * 1 says nothing); the first MAX_DERIVED_COLUMNS are tried, each relation first
    on a sample of rows."""
    names = [name for name, column in numbers.items() if _filled_and_varied(column)][:MAX_DERIVED_COLUMNS]
    for target in names:
        others = [name for name in names if name != target]
        relation = next(
            (
                (first, second, sign)
                for position, first in enumerate(others)
                for second in others[position + 1 :]
                for sign in ("*", "+")
                if _holds_on_sample(numbers[target], numbers[first], numbers[second], sign)
            ),
            None,
        )
        if relation is None:
            continue
        first, second, sign = relation
        misses = _misses(numbers[target], numbers[first], numbers[second], sign)
        if misses:
            word = "times" if sign == "*" else "plus"
            candidates.add(target, f"{target}:not-{first}-{word}-{second}", (ids[p] for p in misses))


MAX_DERIVED_COLUMNS = 10


def _filled_and_varied(column: list[float | None]) -> bool:
    present = [value for value in column if value is not None]
    return len(present) >= DERIVED_SHARE * len(column) and len(set(present)) > 1


def _complete(target: list[float | None], first: list[float | None], second: list[float | None]) -> Any:
    return (
        (p, t, a, b)
        for p, (t, a, b) in enumerate(zip(target, first, second, strict=True))
        if t is not None and a is not None and b is not None
    )


def _holds_on_sample(
    target: list[float | None], first: list[float | None], second: list[float | None], sign: str
) -> bool:
    """Whether the relation holds on the first _DERIVED_SAMPLE complete rows; given up as soon as it
    cannot (most pairs of columns fail on their first rows, so this stays cheap)."""
    allowed = int((1 - DERIVED_SHARE) * _DERIVED_SAMPLE)
    seen = misses = meaningful = 0
    for _, t, a, b in _complete(target, first, second):
        seen += 1
        if not _agrees(t, a, b, sign):
            misses += 1
            if misses > allowed:
                return False
        elif t != 0:
            meaningful += 1
        if seen >= _DERIVED_SAMPLE:
            break
    # Zeros agree with any product by a zero: at least MIN_RECORDS agreements must be of other values.
    return seen >= MIN_RECORDS and misses <= (1 - DERIVED_SHARE) * seen and meaningful >= MIN_RECORDS


def _misses(
    target: list[float | None], first: list[float | None], second: list[float | None], sign: str
) -> list[int]:
    """Positions where the relation fails, when it holds in at least DERIVED_SHARE of the rows."""
    complete = list(_complete(target, first, second))
    misses = [p for p, t, a, b in complete if not _agrees(t, a, b, sign)]
    return misses if len(misses) <= (1 - DERIVED_SHARE) * len(complete) else []


def _agrees(target: float, first: float, second: float, sign: str) -> bool:
    expected = first * second if sign == "*" else first + second
    return math.isclose(target, expected, rel_tol=DERIVED_TOLERANCE, abs_tol=1e-12)
