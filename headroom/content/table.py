"""Tables: CSV, TSV, `|`-separated and whitespace-aligned (`ps aux`, `df -h`). Units are rows.

A row is one record: usually one line, several when a quoted CSV field holds a
newline (the csv module reads them; text it cannot read falls back to one row a
line). Lines before the header (a preamble: comments, a title) are rows of their
own, kept with the header. Kept rows are verbatim. Each run of dropped rows becomes one marker in
place, numbered in the text's own lines (from 1); the first marker carries a
summary of every dropped row, column by column (counts per value, ranges of
numbers and timestamps), under the header's names, first saying how many dropped
rows the record rules flagged past their caps (`flagged: units:negative x3`).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from headroom.content.base import Document
from headroom.content.columns import SUMMARY_MIN_UNITS, numeric_column, numeric_outliers, summarize_columns
from headroom.content.records import ABSENT, FLAGGED_KEY, Notable, notable_columns
from headroom.content.signals import (
    ERROR_KEYS,
    STATUS_KEYS,
    errors_entry,
    line_starts,
    per_line_error_signals,
    text_error_signal,
)
from headroom.content.table_sniff import MAX_PREAMBLE, TableFormat, sniff_table
from headroom.markers import SummaryEntry, omitted, runs, summary, with_markers

# No two quantifiers may share the same spaces: `\s*\|?\s*` backtracks for seconds on a long blank row.
_MARKDOWN_RULE = re.compile(r"^\s*(?:\|\s*)?:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*(?:\|\s*)?$")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?")
# A label before a cell's value: words without digits (a letter first) ending at a colon or an
# equals sign, and the blanks after it (`import time:   `; `worker --id ` is no label, but words).
_SHARED_LABEL = re.compile(r"[A-Za-z][^\d\n:=]*[:=][ \t]*")


class TableDocument(Document):
    unit_name = "lines"
    first_number = 1

    def __init__(
        self,
        text: str,
        rows: list[str],
        spans: list[tuple[int, int]],
        cells: list[list[str]],
        fmt: TableFormat,
    ):
        super().__init__(text, rows)
        self.spans = spans  # per row: (first line, last line), from 0
        self.cells = cells
        self.format = fmt
        self.total_lines = text.count("\n") + 1
        self.header_row = _header_row(rows, fmt)  # the header's row, after the preamble's
        self.summarize = True
        self._values: list[list[str]] | None = None

    @classmethod
    def parse(cls, text: str) -> TableDocument | None:
        lines = text.split("\n")
        fmt = sniff_table(lines) or TableFormat(None, 1, False)  # rows the sniffer cannot read: whole lines
        if fmt.delimiter is None:
            cells = [line.split(None, fmt.columns - 1) for line in lines]
            spans = [(i, i) for i in range(len(lines))]
            return cls(text, lines, spans, cells, fmt)
        # The preamble is not read as CSV: a quote in a comment must not open a field.
        preamble = _preamble_lines(lines, fmt.preamble)
        rows, spans, cells = _records(lines[preamble:], fmt.delimiter)
        spans = [(first + preamble, last + preamble) for first, last in spans]
        rows = lines[:preamble] + rows
        spans = [(i, i) for i in range(preamble)] + spans
        cells = [[line] for line in lines[:preamble]] + cells
        return cls(text, rows, spans, cells, fmt)

    # rendering -----------------------------------------------------------------

    def render(self, keep: list[bool] | None, ref: str) -> str:
        if keep is None:
            return self.text
        spans = runs(keep)
        note = self.dropped_summary(keep)

        def marker(first: int, last: int) -> str:
            first_line, last_line = self.spans[first][0], self.spans[last][1]
            text = omitted(self.unit_name, first_line + 1, last_line + 1, self.total_lines, ref)
            return text + " " + note if note and first == spans[0][0] else text

        return "\n".join(with_markers(keep, self.units, marker))

    def column_names(self) -> list[str]:
        if self.format.has_header and self.header_row < len(self.cells):
            names = [cell.strip() for cell in self.cells[self.header_row]]
            if self.format.delimiter == "|" and names and not names[0]:
                names = names[1:]
            return names
        return [f"column {n}" for n in range(1, self.format.columns + 1)]

    def data_rows(self) -> range:
        """Rows that hold values: not the preamble, not the header."""
        return range(self.header_row + 1 if self.format.has_header else self.header_row, len(self.units))

    def row_values(self, index: int) -> list[str]:
        if self._values is None:  # every signal and summary reads them: strip the cells once
            values = [self._stripped(cells) for cells in self.cells]
            self._values = _without_shared_labels(values, list(self.data_rows()))
        return self._values[index]

    def _stripped(self, row: list[str]) -> list[str]:
        cells = [cell.strip() for cell in row]
        if self.format.delimiter == "|" and cells and not cells[0]:
            cells = cells[1:]
        return cells

    def dropped_summary(self, keep: list[bool]) -> str:
        if not self.summarize:
            return ""
        return self.remember("dropped_summary", tuple(keep), lambda: self._summarize_dropped(keep))

    def _summarize_dropped(self, keep: list[bool]) -> str:
        dropped = [i for i in self.data_rows() if not keep[i] and not _MARKDOWN_RULE.match(self.units[i])]
        signals = self.error_signals()
        # Where the dropped rows that report an error are, by line (as markers number them): always said.
        found = errors_entry([self.spans[i][0] + 1 for i in dropped if signals[i] >= 1.0], "lines")
        flagged = self.notable().counts(dropped)
        head: list[SummaryEntry] = [found] if found else []
        if flagged:
            head.append((FLAGGED_KEY, flagged))
        if len(dropped) < SUMMARY_MIN_UNITS:
            return summary(len(dropped), "rows", head) if head else ""
        names = self.column_names()
        rows = [values for i in dropped if self._aligned_cells(values := self.row_values(i), len(names))]
        columns = [
            (name, [_cell_value(row[c]) for row in rows if c < len(row) and row[c]])
            for c, name in enumerate(names)
        ]
        entries = [*head, *summarize_columns(columns)]
        return summary(len(dropped), "rows", entries) if entries else ""

    def _aligned_cells(self, values: list[str], width: int) -> bool:
        """Whether a row's cells stand under the header's names: all of them, or (delimited text,
        whose cells count from the left) the first ones, its last columns left out."""
        return len(values) == width or (self.format.delimiter is not None and len(values) < width)

    def records(self) -> dict[int, Mapping[str, Any]]:
        """Each data row as a record (column name -> cell): a row with fewer cells lacks the last
        columns, one with more has `column N` fields. Blank and rule lines are none."""
        names = self.column_names()
        return {
            index: {(names[c] if c < len(names) else f"column {c + 1}"): v for c, v in enumerate(values)}
            for index in self._record_rows()
            if (values := self.row_values(index)) is not None
        }

    def _record_rows(self) -> list[int]:
        return [
            index
            for index in self.data_rows()
            if any(self.row_values(index)) and not _MARKDOWN_RULE.match(self.units[index])
        ]

    def notable(self) -> Notable:
        """The rows that stand out under the record rules (`headroom.content.records`), by row index."""
        return self.remember("notable", None, self._notable)

    def _notable(self) -> Notable:
        # Read column by column from the cells: no record is built for each row.
        indices = self._record_rows()
        names = self.column_names()
        width = max((len(self.row_values(i)) for i in indices), default=0)
        keys = [names[c] if c < len(names) else f"column {c + 1}" for c in range(width)]
        columns = {}
        for c, key in enumerate(keys):
            columns[key] = [values[c] if c < len(values := self.row_values(i)) else ABSENT for i in indices]
        return notable_columns(indices, columns)

    # signals ---------------------------------------------------------------------

    def error_signals(self) -> list[float]:
        """A row is an error when its status or error column says so; an error word elsewhere in the
        row (a command line's `--startup-timeout`, a description) only counts for 0.8 of it."""
        signals = per_line_error_signals("\n".join(self.units), line_starts(self.units))
        if not self.format.has_header or not signals:
            return signals
        for row in range(self.header_row + 1):
            signals[row] = 0.0  # a column named "error" is not an error, nor is a comment above it
        names = [name.lower() for name in self.column_names()]
        status_columns = [c for c, name in enumerate(names) if name in STATUS_KEYS or name in ERROR_KEYS]
        for index, signal in enumerate(signals):
            if signal == 0.0:
                continue
            values = self.row_values(index)
            said = [text_error_signal(values[c]) for c in status_columns if c < len(values) and values[c]]
            signals[index] = max([signal * 0.8, *said])
        return signals

    def anomaly_signals(self) -> list[float]:
        signals = [0.0] * len(self.units)
        notable = self.notable()
        for index, strength in notable.keep.items():
            signals[index] = strength
        # Far outliers of the numeric columns, as the record rules read them (each cell read once).
        for column in notable.numbers.values():
            if len(column) >= 8 and len(column) >= 0.8 * len(self.data_rows()):
                rows = list(column)
                for position, strength in numeric_outliers(list(column.values())).items():
                    signals[rows[position]] = max(signals[rows[position]], strength)
        width = len(self.column_names())
        widths = Counter(len(self.row_values(i)) for i in self.data_rows())
        for i in self.data_rows():  # a row with another number of cells
            if (
                len(self.row_values(i)) != width
                and widths[len(self.row_values(i))] <= 2
                and self.units[i].strip()
            ):
                signals[i] = max(signals[i], 0.6)
        return signals

    def anchors(self) -> set[int]:
        """The header and the lines above it: what the columns are, and what the table is. Of a
        long comment block above the rows, its first line and the last MAX_PREAMBLE (a title, then
        what the columns hold): the rest is prose, dropped or kept like any row."""
        end = min(self.header_row + 1 if self.format.has_header else self.header_row, len(self.units))
        if not self.units or (not self.format.has_header and not self.format.preamble):
            return set()
        preamble = range(min(self.header_row, len(self.units)))
        if len(preamble) <= MAX_PREAMBLE + 1:
            return set(range(end))
        return {0, *preamble[-MAX_PREAMBLE:], *range(self.header_row, end)}


def _preamble_lines(lines: list[str], preamble: int) -> int:
    """How many lines the preamble spans: its `preamble` non-blank lines and the blank ones among them."""
    seen = 0
    for index, line in enumerate(lines):
        if seen == preamble:
            return index
        seen += bool(line.strip())
    return len(lines)


def _header_row(rows: list[str], fmt: TableFormat) -> int:
    """The row of the header: the first non-blank row after the preamble."""
    seen = 0
    for index, row in enumerate(rows):
        if row.strip():
            if seen == fmt.preamble:
                return index
            seen += 1
    return 0


def _without_shared_labels(values: list[list[str]], data_rows: list[int]) -> list[list[str]]:
    """The rows' cells with a label every data row writes before a number taken off (`import time:`
    in `import time:   462 |`): words repeated on every row say nothing of the row, and the numbers
    behind them are still a numeric column, whose ends the record rules keep."""
    rows = [values[i] for i in data_rows if values[i]]
    if len(rows) < 2:
        return values
    width = max(len(row) for row in rows)
    labels: dict[int, int] = {}
    for column in range(width):
        cells = [row[column] for row in rows if column < len(row)]
        if len(cells) < len(rows) or not all(cells):
            continue  # a label is on every row's cell, or it is no label
        found = _SHARED_LABEL.match(_shared_start(cells))
        if found and numeric_column([cell[found.end() :].strip() for cell in cells]) is not None:
            labels[column] = found.end()
    if not labels:
        return values
    unlabelled = list(values)
    for index in data_rows:
        row = values[index]
        unlabelled[index] = [
            cell[labels[c] :].strip() if c in labels and c < len(row) else cell for c, cell in enumerate(row)
        ]
    return unlabelled


def _shared_start(texts: list[str]) -> str:
    """The longest text every one of `texts` starts with (that of the first and last in sorted order)."""
    first, last = min(texts), max(texts)
    size = next(
        (i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), min(len(first), len(last))
    )
    return first[:size]


def _cell_value(cell: str) -> str | int | float:
    """A cell as a summary shows it: a number when the text is one exactly as JSON writes it."""
    if _JSON_NUMBER.fullmatch(cell):
        # As json.loads then json.dumps would read and write it (repr is how JSON writes a float),
        # without their cost on every cell of a long table.
        number: int | float = float(cell) if "." in cell else int(cell)
        if (repr(number) if isinstance(number, float) else str(number)) == cell:
            return number
    return cell


def _records(lines: list[str], delimiter: str) -> tuple[list[str], list[tuple[int, int]], list[list[str]]]:
    """Rows (their text), their line spans and their cells; one row a line when csv cannot read the text."""
    reader = csv.reader((line.removesuffix("\r") for line in lines), delimiter=delimiter, strict=True)
    rows: list[str] = []
    spans: list[tuple[int, int]] = []
    cells: list[list[str]] = []
    first = 0
    try:
        for record in reader:
            last = reader.line_num - 1
            rows.append("\n".join(lines[first : last + 1]))
            spans.append((first, last))
            cells.append(record)
            first = last + 1
    except csv.Error:
        return lines, [(i, i) for i in range(len(lines))], [line.split(delimiter) for line in lines]
    if first < len(lines):  # csv reads no record from a trailing empty line
        for index in range(first, len(lines)):
            rows.append(lines[index])
            spans.append((index, index))
            cells.append([])
    return rows, spans, cells
