"""Line templates: a line with its variable fields masked, and summaries of those fields.

Two log lines that differ only in timestamps, numbers, IDs, hex, UUIDs or IP
addresses share a template. Templates are found with one regex pass over the
whole text (never one per line), and the values of the fields are read back
only for the lines a summary describes.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import lru_cache
from itertools import chain

from headroom.markers import Scalar, SummaryEntry, find_summaries, summary

MASK = "\x00"

# A field: a token holding a digit, starting at the digit or at the hex letters before it
# (`7f3a9c`, `2026-11-27T08:00:01Z`, `10.0.0.12:5432`, `a3f2...-0123456789ab`, `12.5ms`). A pattern
# that opens with a character class lets the regex engine skip ahead: one pass runs at >10 MB/s.
# A field never starts just after a hex letter (a match from that letter would have begun there),
# so a long run of letters without a digit is scanned once, not once from each of its letters.
FIELD = re.compile(r"(?<![a-fA-F])[0-9a-fA-F]*[0-9](?:[\w.:-]*\w)?")
_KINDS = (
    (
        "time",
        re.compile(r"\d{4}-\d{2}-\d{2}[T ][\d:.,]+(?:Z|[+-][\d:]+)?|\d{1,4}(?::\d{2}){2,3}(?:[.,]\d+)?"),
    ),
    ("date", re.compile(r"\d{4}-\d{2}-\d{2}")),
    ("uuid", re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")),
    ("ip", re.compile(r"\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?")),
    ("number", re.compile(r"\d+(?:\.\d+)?")),
    ("hex", re.compile(r"(?:0x)?[0-9a-fA-F]+")),
)


_KIND_KEYS = frozenset(kind for kind, _ in _KINDS) | {"id"}
_TIME_PATTERN = dict(_KINDS)["time"].pattern
_DATE_PATTERN = dict(_KINDS)["date"].pattern
# Every value of a column at once: one regex call over the values joined, not one per value.
_ALL_TIMES = re.compile(
    rf"(?:(?:{_TIME_PATTERN})\n)*(?:{_TIME_PATTERN})|(?:(?:{_DATE_PATTERN})\n)*(?:{_DATE_PATTERN})"
)
_ALL_NUMBERS = re.compile(r"(?:\d+(?:\.\d+)?\n)*\d+(?:\.\d+)?")


def field_kind(value: str) -> str:
    """What a field holds: time, date, uuid, ip, number, hex, or (anything else) id."""
    if value.isdigit():
        return "number"  # the common case, without a regex
    for kind, pattern in _KINDS:
        if pattern.fullmatch(value):
            return kind
    return "id"


# `status=200`, `took: 12`, `"user": 7`: the field takes the key's name; `attempt 3`: the word's.
_KEY_BEFORE = re.compile(r"""([A-Za-z_][\w.-]*)(?:["']?\s*=\s*["']?|:\s+["']?|":\s*"?)$""")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z_]+)([ #/])$")
_NOT_NAMES = frozenset("to of at in on by for from with and or the after before is was are as via".split())
_NAMED_BY_WORD = frozenset({"number", "id"})
# Fields with this many distinct values or fewer are counted value by value.
MAX_COUNTED_VALUES = 3


def masked_lines(text: str) -> list[str]:
    """Each line's template (variable fields replaced by MASK), from one pass over the text."""
    return FIELD.sub(MASK, text).split("\n")


def unit_templates(units: Sequence[str]) -> list[str]:
    """Each unit's template (a unit may span lines)."""
    return [FIELD.sub(MASK, unit) for unit in units]


@lru_cache(maxsize=4096)
def field_names(template: str) -> list[str | None]:
    """Each field's name: the key written before it (`status=`), else the word before it
    (`attempt 3`), else None."""
    parts = template.split(MASK)
    names: list[str | None] = []
    for prefix in parts[:-1]:
        tail = prefix[-40:]
        key = _KEY_BEFORE.search(tail)
        word = _WORD_BEFORE.search(tail)
        if key:
            names.append(key[1])
        elif word and word[1].lower() not in _NOT_NAMES and (word[2] != "/" or word[1].isupper()):
            # `attempt 3` names numbers and identifiers; `HTTP/1.1` only numbers (a date's `Nov/2026`
            # names nothing).
            names.append(("~" if word[2] in " #" else "#") + word[1])
        else:
            names.append(None)
    return names


def field_values(text: str, templates: Sequence[str]) -> list[list[str]]:
    """The values of every field of each line of `text` (whose lines' templates are `templates`),
    from one regex pass. No field spans a newline, so the matches fall to the lines in order,
    as many to each line as its template has masks."""
    found = FIELD.findall(text)
    per_line: list[list[str]] = []
    position = 0
    for template in templates:
        count = template.count(MASK)
        per_line.append(found[position : position + count])
        position += count
    return per_line


def _as_number(value: str) -> int | float | None:
    """The number a field holds, when writing it back as JSON gives the same text."""
    try:
        number: int | float = int(value)
    except ValueError:
        try:
            number = float(value)
        except ValueError:
            return None
    return number if json.dumps(number) == value else None


def summarize_fields(
    templates: Sequence[str], values: Sequence[list[str]], max_keys: int = 4
) -> list[SummaryEntry]:
    """Summary entries for the variable fields of some lines (their templates and field values):
    per field name, every value counted when there are few, else the smallest and largest
    for numbers and timestamps. Identifiers with many values are left out.

    Work is per template and per column (a column's first value tells its kind), so the cost
    per value is a C-level count, not a Python step."""
    rows: dict[str, list[list[str]]] = defaultdict(list)
    for template, row in zip(templates, values, strict=True):
        if row:
            rows[template].append(row)
    columns: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    kinds: dict[str, str] = {}
    for template, table in rows.items():
        names = field_names(template)
        for position, column in enumerate(zip(*table, strict=True)):
            first = column[0]
            kind = kinds.get(first) or kinds.setdefault(first, field_kind(first))
            key = _column_key(names[position] if position < len(names) else None, kind)
            if key is not None:
                columns[key].append(column)
    entries: list[SummaryEntry] = []
    # Time first (when the omitted lines happened), then named fields, then the rest by kind.
    for key in sorted(columns, key=_key_order):
        entry = _field_entry(key, Counter(chain.from_iterable(columns[key])))
        if entry is not None and reads_back(entry):
            entries.append(entry)
        if len(entries) >= max_keys:
            break
    return entries


def _column_key(name: str | None, kind: str) -> str | None:
    """The key a column is summarised under: its name, else its kind; None for an unnamed
    number or identifier, which means nothing across lines."""
    if name is not None and name[0] in "~#":
        named = kind in _NAMED_BY_WORD if name[0] == "~" else kind == "number"
        name = name[1:] if named else None
    if name is None and kind in _NAMED_BY_WORD:
        return None
    return name or kind


def _key_order(key: str) -> int:
    if key == "time":
        return 0
    return 2 if key in _KIND_KEYS else 1


def reads_back(entry: SummaryEntry) -> bool:
    """Whether a summary entry, once written, reads back to the same values (a value the
    grammar would misread, such as some dotted numbers, is left out rather than misreported)."""
    try:
        (written,) = find_summaries(summary(1, "lines", [entry]))
    except ValueError:
        return False
    key, stats = entry
    return written.entries == {key: stats}


def _field_entry(key: str, counts: Counter[str]) -> SummaryEntry | None:
    distinct = list(counts)
    if len(distinct) > 1 and _ALL_TIMES.fullmatch("\n".join(distinct)):
        return key, (min(distinct), max(distinct))  # one format compares in time order as text
    total = sum(counts.values())
    # Counted when few values each recur: a list of values seen once would just repeat the lines.
    if len(distinct) == 1 or (len(distinct) <= MAX_COUNTED_VALUES and total >= 2 * len(distinct)):
        return key, [(_scalar(value, _as_number(value)), seen) for value, seen in counts.most_common()]
    if _ALL_NUMBERS.fullmatch("\n".join(distinct)):
        low = min(distinct, key=float)
        high = max(distinct, key=float)
        return key, (_scalar(low, _as_number(low)), _scalar(high, _as_number(high)))
    return None


def _scalar(value: str, number: int | float | None) -> Scalar:
    return value if number is None else number
