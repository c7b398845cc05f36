"""Whether a text is a table, and of which kind: a cheap look at its first lines.

Kept apart from `headroom.content.table` so content detection can ask without
loading the table document and its statistics.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from headroom.content.columns import as_number

DELIMITERS = ("\t", ",", "|", ";")
_SNIFF_ROWS = 50
_HEADER_WORD = re.compile(r"^[A-Za-z_%#][\w %#./()-]*$")


@dataclass(frozen=True)
class TableFormat:
    delimiter: str | None  # None: columns aligned with spaces
    columns: int
    has_header: bool


def sniff_table(lines: Sequence[str]) -> TableFormat | None:
    """How a text's first lines make a table, or None when they do not (cheap: reads a sample)."""
    sample = [line for line in lines[:_SNIFF_ROWS] if line.strip()]
    if len(sample) < 3:
        return None
    for delimiter in DELIMITERS:
        if delimiter not in sample[0]:
            continue
        rows = _read_rows("\n".join(sample), delimiter)
        if rows is None or len(rows) < 3:
            continue
        width = len(rows[0])
        if width < 2 or (width < 3 and delimiter in ",;" and not _is_header(rows[0])):
            continue  # one comma in a line is a sentence, not a table
        if sum(1 for row in rows if len(row) == width) >= len(rows) * 0.9:
            return TableFormat(delimiter, width, _is_header(rows[0]))
    return _sniff_aligned(sample)


def _read_rows(text: str, delimiter: str) -> list[list[str]] | None:
    try:
        lines = (line.removesuffix("\r") for line in text.split("\n"))
        return [row for row in csv.reader(lines, delimiter=delimiter, strict=True) if row]
    except csv.Error:
        return None


def _is_header(cells: Sequence[str]) -> bool:
    names = [cell.strip() for cell in cells]
    names = [name for name in names if name] if cells and not cells[0].strip() else names  # `| a | b |`
    return len(names) >= 2 and all(_is_column_name(name) for name in names) and len(set(names)) == len(names)


def _is_column_name(name: str) -> bool:
    """A few words, not starting with a digit: "latency_ms", "Use%", "Mounted on", "PID"."""
    return bool(name) and len(name) <= 40 and len(name.split()) <= 4 and not name[0].isdigit()


def _sniff_aligned(sample: list[str]) -> TableFormat | None:
    """A header of words, and rows whose values start or end where the header's names do."""
    header = sample[0]
    names = header.split()
    if len(names) < 3 or not all(_HEADER_WORD.match(name) for name in names):
        return None
    if header.startswith((" ", "\t")) or any(as_number(name) is not None for name in names):
        return None
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", header)]
    aligned_rows = 0
    for row in sample[1:]:
        hits = sum(1 for start, end in spans if _aligned(row, start, end))
        aligned_rows += hits >= len(spans) * 0.8 and len(row.split()) >= len(names) - 1
    if aligned_rows < (len(sample) - 1) * 0.9:
        return None
    # `df` writes "Mounted on" as two words over one column: count the columns the rows have.
    widths = Counter(min(len(row.split()), len(names)) for row in sample[1:])
    return TableFormat(None, widths.most_common(1)[0][0], True)


def _aligned(row: str, start: int, end: int) -> bool:
    def filled(at: int) -> bool:
        return 0 <= at < len(row) and not row[at].isspace()

    left = filled(start) and not filled(start - 1)
    right = filled(end - 1) and not filled(end)
    return left or right
