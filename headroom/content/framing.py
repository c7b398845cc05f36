"""Framing: what an agent wraps around a tool's output before the model sees it.

Coding agents rarely pass a command's output on bare. Two wrappings are common, alone or
together, and both hide the output's type from detection:

- A preamble: a few short `Key: value` lines, often ending with a lead-in, a key alone
  (`Output:`), then the output. Codex writes `Chunk ID: 3f2a1b`, `Wall time: 0.0123 seconds`,
  `Process exited with code 0`, `Original token count: 5210`, `Output:`; Cursor writes
  `Exit code: 0`, a blank line, `Command output:`, then the output in a Markdown fence (the
  fence is part of the frame too).
- A line-number gutter (`cat -n`, `nl`, an editor tool's Read): every line opens with its
  number and a separator (`NUMBERED_LINE`: a tab, `→`, `: ` or ` | `),
  the numbers strictly increasing; a blank line may go unnumbered (`nl`).

The rule, as `find_frame` applies it:

    preamble  at most MAX_HEADER_LINES lines before the body; the first is a key line
              (`Key: value`, a key of at most 40 characters, a value of at most 200); the
              others are key lines, blank lines, or short lines (at most 80 characters) that
              open with a letter; the header ends at a lead-in (a key line with no value) or
              at the first line that is none of these. At least two key lines, or one and a
              lead-in. The body has at least as many characters as the header.
    gutter    three numbered lines at least; every line numbered, or blank.

The body is detected on its own (`settle`). With a gutter, the frame holds whenever the
body's type is one whose units map back onto its lines: JSON arrays and objects (each unit's
values found by `headroom.json_text.locate`) and the line types; numbered code is left to
`headroom.content.code`, which reads numbers itself. With a preamble alone, the body must be
a structured type (not prose), read at least as surely as the whole text; strictly more
surely when the header does not end plainly (a lead-in, a blank line, a fence), so pip's own
`Looking in indexes:` lines over its output are no header.

A framed block is compressed as its body's type, by that type's own crusher, and the frame
is kept verbatim:

- JSON, HTML (units that are not lines) behind a preamble: the document is the body's, of a
  subclass (`Framed`) that writes the header and any fence back around what the body renders.
- Line types behind a preamble: the document is the whole text's, so markers count the
  block's own lines, of a subclass (`Anchored`) whose header and fence lines are anchors
  (`Document.anchors`), which the score stage pins and no cut drops.
- Anything in a gutter: the body's document (`Framed`), rendered in the listing's own unit:
  each kept line is written as it came, number and all, and each dropped run of lines is one
  marker naming the numbers it covers, `[headroom: omitted lines 12-88 of 250; hash=...]`
  ("of" the last number the listing shows); the first carries a JSON array's summary of
  what went, or, for lines, where the run's dropped errors are (by their numbers). A query on
  the original (`headroom.ccr`) is answered in the same lines.

The hash is the block's, so retrieval gives back the whole original, frame and all. The
same text always settles on the same frame: detection and parsing both ask `settle`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from headroom.content.base import Document
from headroom.markers import omitted, runs, summary, with_first_entry

if TYPE_CHECKING:
    pass

MAX_HEADER_LINES = 8
_KEY_LINE = re.compile(r"^[A-Za-z][\w .()/#-]{0,39}: \S.{0,199}$")
_LEAD_IN = re.compile(r"^[A-Za-z][\w .()/#-]{0,39}:\s*$")
_SHORT_LINE = re.compile(r"^[A-Za-z].{0,79}$")
_FENCE = re.compile(r"^```[\w+-]*[ \t]*$")
# Body types a gutter can be put back on: their units are the body's lines, or JSON values
# whose lines `json_text.locate` finds. Numbered code is `CodeDocument`'s own.
# A line-number gutter: the number, then a tab, an arrow (Claude Code's Read), `: ` or ` | `.
NUMBERED_LINE = re.compile(r"^\s*(\d+)(?:\t|→|: | \| )")

GUTTERED = frozenset(
    {"json_array", "json_object", "log", "shell", "search", "git_log", "diff", "table", "prose"}
)
UNSTRUCTURED = frozenset({"prose", "empty"})


@dataclass(frozen=True)
class Gutter:
    """A numbered listing: each line's gutter as written (a blank unnumbered line's whole text)
    and its number (None: unnumbered)."""

    prefixes: tuple[str, ...]
    numbers: tuple[int | None, ...]
    listing: str  # the numbered text, as it came

    @property
    def last_number(self) -> int:
        return max(n for n in self.numbers if n is not None)


@dataclass(frozen=True)
class Frame:
    """`head + listing-or-body + tail` is the text: the head and tail are kept verbatim."""

    head: str
    body: str  # what detection and the body's document read: without head, tail and gutter
    tail: str = ""
    gutter: Gutter | None = None

    @property
    def separated(self) -> bool:
        """Whether the header ends plainly: with a lead-in, a blank line or a fence."""
        last = self.head[:-1].rpartition("\n")[2]
        return not last.strip() or bool(_LEAD_IN.match(last) or _FENCE.match(last))

    def without_gutter(self) -> Frame | None:
        """The frame with its gutter left in the body (None: the gutter was all there was)."""
        if self.gutter is None:
            return self
        if not self.head and not self.tail:
            return None
        return replace(self, body=self.gutter.listing, gutter=None)


# finding a frame ------------------------------------------------------------------------------


def find_frame(text: str) -> Frame | None:
    """The frame around a text's output (see the module docstring), or None when it has none."""
    head, rest = _split_preamble(text)
    tail = ""
    if head:
        blank = len(rest) - len(rest.lstrip("\n"))  # blank lines between the header and the output
        head, rest = head + rest[:blank], rest[blank:]
        rest, opening, tail = _split_fence(rest)
        head += opening
    gutter = read_gutter(rest)
    if gutter is None:
        return Frame(head, rest, tail) if head else None
    body = "\n".join(
        line[len(prefix) :] for line, prefix in zip(rest.split("\n"), gutter.prefixes, strict=True)
    )
    return Frame(head, body, tail, gutter)


def _split_preamble(text: str) -> tuple[str, str]:
    """(the header with its line ends, the rest); ("", text) when the text opens with none."""
    lines = text.split("\n", MAX_HEADER_LINES + 1)
    if len(lines) <= 1 or not _KEY_LINE.match(lines[0]):
        return "", text
    keys = 1
    for index in range(1, min(len(lines) - 1, MAX_HEADER_LINES)):
        line = lines[index]
        if _LEAD_IN.match(line):
            return _header(text, lines, index + 1, keys >= 1)
        if _KEY_LINE.match(line):
            keys += 1
        elif line.strip() and not _SHORT_LINE.match(line):
            return _header(text, lines, index, keys >= 2)
        elif not line.strip() and keys >= 2 and not _continues_header(lines, index):
            return _header(text, lines, index + 1, True)
    return "", text


def _continues_header(lines: list[str], blank: int) -> bool:
    """Whether a key line or lead-in follows a blank line inside the header (Cursor writes
    `Exit code: 0`, a blank line, `Command output:`)."""
    following = lines[blank + 1] if blank + 1 < len(lines) else ""
    return bool(_LEAD_IN.match(following) or _KEY_LINE.match(following))


def _header(text: str, lines: list[str], count: int, enough: bool) -> tuple[str, str]:
    """The first `count` lines as the header, when there are enough key lines and the body is
    at least as long as the header (in characters: a JSON array may be one line)."""
    if not enough:
        return "", text
    head = "".join(line + "\n" for line in lines[:count])
    rest = text[len(head) :]
    if len(rest.strip()) < len(head):
        return "", text
    return head, rest


def _split_fence(rest: str) -> tuple[str, str, str]:
    """(body, opening fence line, closing fence) when the body is one fenced Markdown block."""
    first, newline, inside = rest.partition("\n")
    if not newline or not _FENCE.match(first):
        return rest, "", ""
    body, closing_newline, closing = inside.rstrip("\n").rpartition("\n")
    if not closing_newline or closing.strip() != "```":
        return rest, "", ""
    return body, first + "\n", inside[len(body) :]


def read_gutter(text: str) -> Gutter | None:
    """The listing's gutter when every line is numbered (numbers strictly increasing) or blank."""
    first_line = text[: text.find("\n")] if "\n" in text[:4096] else text[:4096]
    if NUMBERED_LINE.match(first_line) is None and first_line.strip():
        return None  # the common case, decided without splitting the text
    lines = text.split("\n")
    prefixes: list[str] = []
    numbers: list[int | None] = []
    last = -1
    for line in lines:
        match = NUMBERED_LINE.match(line)
        if match is None:
            if line.strip():
                return None
            prefixes.append(line)
            numbers.append(None)
            continue
        number = int(match[1])
        if number <= last:
            return None
        last = number
        prefixes.append(line[: match.end()])
        numbers.append(number)
    if sum(1 for n in numbers if n is not None) < 3:
        return None
    return Gutter(tuple(prefixes), tuple(numbers), text)


# deciding --------------------------------------------------------------------------------------


def describe(frame: Frame) -> str:
    parts = []
    if frame.head:
        parts.append(f"behind a {frame.head.count(chr(10))}-line header")
    if frame.gutter is not None:
        parts.append("in a line-number gutter")
    return " and ".join(parts)


# the framed document ---------------------------------------------------------------------------


class Framed(Document):
    """Mixed in before a content type's Document class: the body's document, rendered with its
    frame around it (see the module docstring)."""

    frame: Frame

    @property
    def unit_lines(self) -> list[Sequence[int]]:
        """With a gutter: the body lines each unit spans (found on the first render that drops
        something; a listing whose units cannot be found fails that render, and the block goes
        out as it came)."""
        held: list[Sequence[int]] | None = self.__dict__.get("_unit_lines")
        if held is None:
            held = unit_lines(self, self.frame.body)
            if held is None:
                raise ValueError("a unit of the numbered listing is not where its document says")
            self.__dict__["_unit_lines"] = held
        return held

    def render(self, keep: list[bool] | None, ref: str) -> str:
        frame = self.frame
        if frame.gutter is None:
            body = super().render(keep, ref)  # type: ignore[safe-super]  # the content type's render, next in line
        elif keep is None:
            body = frame.gutter.listing
        else:
            body = self.remember("framed", (tuple(keep), ref), lambda: self._listing(keep, ref))
        return frame.head + body + frame.tail

    def retrieval_units(self) -> tuple[str, int, list[str]]:
        """What a query on the original is answered in: a numbered listing's markers count its
        lines, so the block's lines (each with its own number), from 1; else the body's units."""
        if self.frame.gutter is None:
            return self.unit_name, self.first_number, self.units
        text = self.frame.head + self.frame.gutter.listing + self.frame.tail
        return "lines", 1, text.split("\n")

    def _listing(self, keep: list[bool], ref: str) -> str:
        gutter = self.frame.gutter
        assert gutter is not None
        lines = gutter.listing.split("\n")
        kept = lines_kept(self.unit_lines, keep, len(lines))
        spans = runs(kept)
        out: list[str] = []
        position = 0
        for order, (first, last) in enumerate(spans):
            out.extend(lines[position:first])
            out.append(self._marker(keep, first, last, ref, first_run=order == 0))
            position = last + 1
        out.extend(lines[position:])
        return "\n".join(out)

    def _marker(self, keep: list[bool], first: int, last: int, ref: str, *, first_run: bool) -> str:
        gutter = self.frame.gutter
        assert gutter is not None
        covered = [n for n in gutter.numbers[first : last + 1] if n is not None]
        low, high = (covered[0], covered[-1]) if covered else _around(gutter.numbers, first)
        marker = omitted("lines", low, high, gutter.last_number, ref)
        note = self._note(keep, first, last, first_run=first_run)
        return marker + (" " + note if note else "")

    def _note(self, keep: list[bool], first: int, last: int, *, first_run: bool) -> str:
        """A JSON array's summary of every dropped item (on the first marker); for lines, where
        the run's dropped errors are, by their numbers."""
        dropped_summary = getattr(self, "dropped_summary", None)
        if dropped_summary is not None:
            note: str = dropped_summary(keep) if first_run else ""
            return note
        gutter = self.frame.gutter
        assert gutter is not None
        signals = self.error_signals()
        errors = [
            number
            for unit, span in enumerate(self.unit_lines)
            if not keep[unit]
            and signals[unit] >= 1.0
            and span
            and first <= span[0] <= last
            and (number := _number_of(gutter.numbers, span)) is not None
        ]
        if not errors:
            return ""
        from headroom.content.signals import errors_entry

        entry = errors_entry(errors, "lines")
        assert entry is not None
        return with_first_entry(summary(last - first + 1, "lines", []), entry)


def _number_of(numbers: Sequence[int | None], span: Sequence[int]) -> int | None:
    return next((numbers[i] for i in span if numbers[i] is not None), None)


def _around(numbers: Sequence[int | None], index: int) -> tuple[int, int]:
    """For a run of unnumbered lines: the number before it (a blank line sits after it)."""
    before = [n for n in numbers[:index] if n is not None]
    number = before[-1] if before else next(n for n in numbers if n is not None)
    return number, number


def lines_kept(unit_lines: Sequence[Sequence[int]], keep: list[bool], count: int) -> list[bool]:
    """Per body line: kept when a kept unit spans it; a line no unit spans (a JSON array's
    brackets, a blank line between items) goes only when the units on both sides of it go."""
    state: list[bool | None] = [None] * count
    for unit, span in enumerate(unit_lines):
        for line in span:
            state[line] = bool(state[line]) or keep[unit]
    before = _nearest(state)
    after = _nearest(state[::-1])[::-1]
    return [
        value if value is not None else not (before[i] is False and after[i] is False)
        for i, value in enumerate(state)
    ]


def _nearest(state: list[bool | None]) -> list[bool | None]:
    """For each position, the last spanned line's state before it (None: none before)."""
    nearest: list[bool | None] = []
    last: bool | None = None
    for value in state:
        nearest.append(last)
        if value is not None:
            last = value
    return nearest


@functools.cache
def framed_class(cls: type[Document]) -> type[Document]:
    """`cls` with its frame rendered around it: still a `cls`, so its crusher works on it."""
    return type(f"Framed{cls.__name__}", (Framed, cls), {"__doc__": cls.__doc__})


def parse_framed(cls: type[Document], label: str, text: str, frame: Frame) -> Document | None:
    """The body's document of type `cls`, the text read through `frame` (which detection settled
    on, `headroom.content.detect.settle`, for a body whose candidates include `label`)."""
    if frame.gutter is None and cls.unit_name == "lines":
        return _anchored(cls, frame, text)
    document: Any = framed_class(cls).parse(frame.body)
    if document is None:
        return None
    document.frame = frame
    framed: Document = document
    return framed


class Anchored(Document):
    """Mixed in before a content type's Document class whose units are the text's lines: the
    whole text is its document, so markers count the block's own lines, and the frame's lines
    (the header, a fence) are anchors, which no cut drops."""

    frame_lines: frozenset[int]

    def anchors(self) -> set[int]:
        return super().anchors() | self.frame_lines


@functools.cache
def anchored_class(cls: type[Document]) -> type[Document]:
    return type(f"Anchored{cls.__name__}", (Anchored, cls), {"__doc__": cls.__doc__})


def _anchored(cls: type[Document], frame: Frame, text: str) -> Document | None:
    """The whole text's document of type `cls`, the frame's lines anchored; None when its units
    are not the text's lines after all."""
    document: Any = anchored_class(cls).parse(text)
    if document is None or document.units != text.split("\n"):
        return None
    count = len(document.units)
    tail_start = len(text) - len(frame.tail) + (1 if frame.tail.startswith("\n") else 0)
    tail_lines = range(text.count("\n", 0, tail_start), count) if frame.tail else range(0)
    document.frame_lines = frozenset(range(frame.head.count("\n"))) | frozenset(tail_lines)
    anchored: Document = document
    return anchored


def unit_lines(document: Document, body: str) -> list[Sequence[int]] | None:
    """The body lines each unit spans: JSON values where `json_text.locate` finds them, other
    units where they occur, in order; None when a unit is not found."""
    from headroom.content.json_array import JsonArrayDocument
    from headroom.content.json_object import JsonObjectDocument

    if isinstance(document, JsonArrayDocument):
        return _value_lines(body, [[(index,)] for index in range(len(document.units))])
    if isinstance(document, JsonObjectDocument):
        return _value_lines(body, [_unit_paths(node) for node in document.unit_nodes])
    lines = body.split("\n")
    if document.units == lines:
        return [range(i, i + 1) for i in range(len(lines))]
    return _found_lines(body, document.units)


def _unit_paths(node: Any) -> list[tuple[str | int, ...]]:
    """The JSON values a nested document's unit is: a whole value, or an opened record's frame
    (its small members, the ones with no node of their own)."""
    if not node.opened:
        return [node.path]
    return [(*node.path, key) for key, child in node.children if child is None]


def _value_lines(body: str, unit_paths: list[list[tuple[str | int, ...]]]) -> list[Sequence[int]] | None:
    from headroom.json_text import SpliceError, locate

    data = body.encode("utf-8", "surrogatepass")
    try:
        spans = locate(data, [path for paths in unit_paths for path in paths])
    except SpliceError:
        return None
    newlines = [match.start() for match in re.finditer(b"\n", data)]
    found: list[Sequence[int]] = []
    for paths in unit_paths:
        lines = sorted({line for path in paths for line in _line_range(newlines, *spans[path])})
        found.append(lines)
    return found


def _found_lines(body: str, units: list[str]) -> list[Sequence[int]] | None:
    newlines = [match.start() for match in re.finditer("\n", body)]
    found: list[Sequence[int]] = []
    cursor = 0
    for unit in units:
        start = body.find(unit, cursor)
        if start < 0:
            return None
        end = start + len(unit)
        found.append(_line_range(newlines, start, end))
        cursor = end + 1 if body.startswith("\n", end) else end
    return found


def _line_range(newlines: list[int], start: int, end: int) -> range:
    """The lines a span [start, end) lies on, given the offsets of the text's newlines."""
    import bisect

    first = bisect.bisect_left(newlines, start)
    last = bisect.bisect_left(newlines, max(start, end - 1))
    return range(first, last + 1)
