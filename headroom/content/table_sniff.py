"""Whether a text is a table, and of which kind: a cheap look at its first lines.

Kept apart from `headroom.content.table` so content detection can ask without
loading the table document and its statistics.

What counts as a delimited table (CSV, TSV, `|` or `;` separated), read with the csv module so
quoted fields (a delimiter or a newline inside quotes) are one cell:
- rows of the same number of cells, or with fewer than a header names: a header of column names
  (at least MIN_RAGGED_COLUMNS) over rows that leave their last columns out when they have no value
  (distro-info's `eol-server,eol-esm`), each row at least two cells and none wider than the header;
- after a preamble of at most MAX_PREAMBLE lines, each a comment (`# Data source: ...`) or a line
  without the delimiter (a title), when a header of MIN_RAGGED_COLUMNS names or more follows and
  every row below it holds the delimiter;
- after a block of `#` comments of any length (a data file's description: tzdata's `zone.tab`,
  `iso3166.tab`), rows of MIN_RAGGED_COLUMNS cells or more that may leave their last one out (an
  optional comment column), or tab-separated pairs, with or without a header; `#` lines among
  the rows are comments too.
Rows that do not read so leave the text to the other types.
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
MAX_PREAMBLE = 3
MIN_RAGGED_COLUMNS = 3
# Rows that must read as the table does (the rest may be a stray line, a footer).
_FITTING_SHARE = 0.9


@dataclass(frozen=True)
class TableFormat:
    delimiter: str | None  # None: columns aligned with spaces
    columns: int
    has_header: bool
    preamble: int = 0  # lines before the header (comments, a title), not counting blank ones


def sniff_table(lines: Sequence[str]) -> TableFormat | None:
    """How a text's first lines make a table, or None when they do not (cheap: reads a sample)."""
    comments = _comment_block(lines)
    if comments > MAX_PREAMBLE:
        return _sniff_commented(lines, comments)
    sample = [line for line in lines[:_SNIFF_ROWS] if line.strip()]
    if len(sample) < 3:
        return None
    for delimiter in DELIMITERS:
        for start in _header_candidates(sample, delimiter):
            found = _sniff_delimited(sample[start:], delimiter, start)
            if found is not None:
                return found
    return _sniff_aligned(sample)


def _comment_block(lines: Sequence[str]) -> int:
    """How many non-blank lines the `#` comments opening the text hold (blank lines among them aside)."""
    count = 0
    for line in lines:
        if line.startswith("#"):
            count += 1
        elif line.strip():
            break
    return count


def _sniff_commented(lines: Sequence[str], comments: int) -> TableFormat | None:
    """A table under a long block of `#` comments: its rows (the `#` lines among them left out) read
    with one delimiter into MIN_RAGGED_COLUMNS cells or more, the last one optional."""
    seen, start = 0, len(lines)
    for index, line in enumerate(lines):  # the first line after the comment block
        if seen == comments and line.strip():
            start = index
            break
        seen += line.startswith("#")
    body = [line for line in lines[start:] if line.strip() and not line.startswith("#")][:_SNIFF_ROWS]
    if len(body) < 3:
        return None
    for delimiter in DELIMITERS:
        rows = _read_rows("\n".join(body), delimiter)
        if rows is None or len(rows) < 3:
            continue
        width = max(len(row) for row in rows)
        fitting = sum(1 for row in rows if width - 1 <= len(row) <= width and len(row) >= 2)
        pairs = width == 2 and delimiter in "\t|" and all(len(row) == 2 for row in rows)  # code, name
        if (width >= MIN_RAGGED_COLUMNS or pairs) and fitting >= len(rows) * _FITTING_SHARE:
            return TableFormat(delimiter, width, _is_header(rows[0]) and not _has_values(rows), comments)
    return None


def _has_values(rows: Sequence[Sequence[str]]) -> bool:
    """Whether the first row reads as data like the rows under it (a number or a sign where they have
    one): then it is no header."""
    first = rows[0]
    return any(cell[:1] in "+-0123456789" for cell in first if cell)


def _header_candidates(sample: Sequence[str], delimiter: str) -> list[int]:
    """Where a table using `delimiter` may start: the first line, if it holds the delimiter, and
    the first line holding it after a preamble of comments and lines without it."""
    starts = [0] if delimiter in sample[0] else []
    for index in range(1, min(MAX_PREAMBLE, len(sample) - 1) + 1):
        if not _preamble_line(sample[index - 1], delimiter):
            break
        if not _preamble_line(sample[index], delimiter):
            starts.append(index)
            break
    return starts


def _preamble_line(line: str, delimiter: str) -> bool:
    return line.startswith("#") or delimiter not in line


def _sniff_delimited(sample: Sequence[str], delimiter: str, preamble: int) -> TableFormat | None:
    rows = _read_rows("\n".join(sample), delimiter)
    if rows is None or len(rows) < 3:
        return None
    width = len(rows[0])
    header = _is_header(rows[0])
    if width < 2 or (width < 3 and delimiter in ",;" and not header):
        return None  # one comma in a line is a sentence, not a table
    if preamble and not _header_after_preamble(rows, width, header):
        return None
    if sum(1 for row in rows if len(row) == width) >= len(rows) * _FITTING_SHARE:
        return TableFormat(delimiter, width, header, preamble)
    if header and _optional_trailing_columns(rows, width):
        return TableFormat(delimiter, width, header, preamble)
    return None


def _header_after_preamble(rows: Sequence[Sequence[str]], width: int, header: bool) -> bool:
    """Lines above a table are a preamble only under a header of MIN_RAGGED_COLUMNS names or more,
    over rows that all hold the delimiter: a line like the preamble's among the rows (a commit line
    of `git log --name-status` between its `M<tab>path` lines) makes them something else."""
    return header and width >= MIN_RAGGED_COLUMNS and all(len(row) >= 2 for row in rows[1:])


def _optional_trailing_columns(rows: Sequence[Sequence[str]], width: int) -> bool:
    """A header's columns over rows that leave the last ones out: every row at least two cells and
    at most the header's, some row all of them, and names that do not start with a space (a
    sentence's words after its commas do)."""
    if width < MIN_RAGGED_COLUMNS or any(name[:1].isspace() for name in rows[0]):
        return False
    data = rows[1:]
    fitting = sum(1 for row in data if 2 <= len(row) <= width)
    return fitting >= len(data) * _FITTING_SHARE and any(len(row) == width for row in data)


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
