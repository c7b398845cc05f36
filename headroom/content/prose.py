"""Prose and Markdown (docs, READMEs, man pages, changelogs, long tool text): units are lines.

The text is read once into chunks: headings (Markdown `#`, setext and reST
underlines, and the unindented titles of man pages and changelogs, whose bodies are
indented: a short line alone at the margin, not one of a run of lines written there),
fenced code blocks, list items and option entries, and paragraphs. Every line belongs to the
section of the heading above it. Kept lines are verbatim; each run of dropped lines
becomes one marker naming the line range and the section it sits in:

    [headroom: omitted lines 40-88 of 300 (section "Installation"); hash=...]

Headings are anchors: they are the outline and always survive.

Man pages, `--help` output, definition lists and nested list items write an
entry as a hanging indent: the entry's first line (`--one-file-system`, `-A`,
`* item`) and, indented deeper under it, what it says. `entry_heads` gives the
lines that introduce a line: the nearest line above it that is indented less,
and so on up to the margin, so a kept description keeps the option it describes.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

from headroom.content.base import Document
from headroom.content.signals import line_starts, per_line_error_signals
from headroom.markers import omitted, with_markers

_ATX = re.compile(r"^ {0,3}(#{1,6})\s+(\S.*?)\s*#*\s*$")
_UNDERLINE = re.compile(r"^ {0,3}([=\-~^*+#\"'`])\1{2,}\s*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+\u2022]|\d{1,3}[.)])\s+\S")
# An option entry of a man page or `--help` output: `-A, --catenate   append ...`, `--delete`,
# `--atime-preserve[=METHOD]   preserve ...`, `-m, --max-time <seconds> Maximum time ...`. The option
# is followed by more options, a description or nothing (a wrapped sentence's `--sparse.` is none).
_OPTION_ENTRY = re.compile(
    r"^\s*--?[A-Za-z0-9?#][\w#?-]*(?:[=\[]\S*| <[^>\n]+>| [A-Z][A-Z_-]+)?"
    r"(?:,\s*--?[A-Za-z0-9].*|\s+\S.*|\s*)$"
)
_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
_MIN_LINES = 3
# How far up `entry_heads` looks for the line an indented line belongs to.
ENTRY_REACH = 60


@dataclass
class Chunk:
    kind: str  # "heading", "code", "item" (a list item) or "paragraph"
    start: int  # first line (from 0)
    stop: int  # one past the last line
    section: int  # the heading chunk it sits under; -1 before the first heading
    level: int = 0  # headings: 1 is the top


class ProseDocument(Document):
    unit_name = "lines"
    first_number = 1

    def __init__(self, text: str):
        super().__init__(text, text.split("\n"))
        self.chunks = _chunks(self.units)
        self.section_titles = {
            index: _title(self.units, chunk)
            for index, chunk in enumerate(self.chunks)
            if chunk.kind == "heading"
        }
        self.chunk_of_line = [0] * len(self.units)
        for index, chunk in enumerate(self.chunks):
            for line in range(chunk.start, chunk.stop):
                self.chunk_of_line[line] = index

    @classmethod
    def parse(cls, text: str) -> ProseDocument | None:
        if text.count("\n") + 1 < _MIN_LINES:
            return None  # one or two lines: nothing to choose between
        return cls(text)

    def render(self, keep: list[bool] | None, ref: str) -> str:
        if keep is None:
            return self.text
        total = len(self.units)

        def marker(first: int, last: int) -> str:
            return omitted(self.unit_name, first + 1, last + 1, total, ref, section=self.section_name(first))

        return "\n".join(with_markers(keep, self.units, marker))

    def section_name(self, line: int) -> str | None:
        chunk = self.chunks[self.chunk_of_line[line]]
        heading = self.chunk_of_line[line] if chunk.kind == "heading" else chunk.section
        return self.section_titles.get(heading)

    def heading_lines(self) -> set[int]:
        return {
            line
            for chunk in self.chunks
            if chunk.kind == "heading"
            for line in range(chunk.start, chunk.stop)
            if self.units[line].strip()
        }

    def entry_heads(self, lines: set[int]) -> set[int]:
        """The lines introducing each of `lines` in a hanging indent (see the module doc): the nearest
        non-blank line above that is indented less, then the one above that indented less again, up to
        the margin or a heading, looking at most ENTRY_REACH lines up from each."""
        heads: set[int] = set()
        for line in lines:
            indent = _indent(self.units[line])
            position = line - 1
            while indent > 0 and position >= max(0, line - ENTRY_REACH):
                text = self.units[position]
                if text.strip():
                    if self.chunks[self.chunk_of_line[position]].kind == "heading":
                        break
                    width = _indent(text)
                    if width < indent:
                        heads.add(position)
                        indent = width
                position -= 1
        return heads - lines

    def error_signals(self) -> list[float]:
        # Documentation mentions errors all the time; a mention is a hint, never a reason to pin.
        signals = per_line_error_signals(self.text, line_starts(self.units))
        return [signal * 0.5 for signal in signals]

    def anchors(self) -> set[int]:
        return self.heading_lines()

    def groups(self) -> list[range]:
        return [range(chunk.start, chunk.stop) for chunk in self.chunks if chunk.kind == "code"]

    # text statistics ---------------------------------------------------------------------

    def chunk_words(self) -> list[list[str]]:
        """Each chunk's words, lower-cased and lightly stemmed, in one pass over the text."""
        return [stem_words(" ".join(self.units[chunk.start : chunk.stop])) for chunk in self.chunks]

    def first_sentence_lines(self, chunk: Chunk, max_lines: int = 3) -> range:
        """The whole lines that hold the chunk's first sentence (at most `max_lines`)."""
        for line in range(chunk.start, min(chunk.stop, chunk.start + max_lines)):
            if _SENTENCE_END.search(self.units[line]):
                return range(chunk.start, line + 1)
        return range(chunk.start, min(chunk.stop, chunk.start + max_lines))


def _indent(line: str) -> int:
    expanded = line.expandtabs(8)
    return len(expanded) - len(expanded.lstrip(" "))


def stem_words(text: str) -> list[str]:
    return [_stem(word) for word in _WORD.findall(text.lower())]


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _title(lines: Sequence[str], chunk: Chunk) -> str:
    for line in lines[chunk.start : chunk.stop]:
        match = _ATX.match(line)
        if match:
            return match[2]
        if line.strip() and not _UNDERLINE.match(line):
            return line.strip()
    return lines[chunk.start].strip()


def _chunks(lines: list[str]) -> list[Chunk]:
    kinds, levels = _line_kinds(lines)
    chunks: list[Chunk] = []
    section = -1
    index = 0
    while index < len(lines):
        kind, level = kinds[index]
        if kind == "blank":
            index += 1
            continue
        end = index + 1
        if kind in ("heading", "code"):  # a heading's lines (title, underline) share its first line's number
            while end < len(lines) and kinds[end] == (kind, level):
                end += 1
        else:
            while end < len(lines) and kinds[end][0] == "text" and not _starts_entry(lines[end]):
                end += 1
        if kind == "heading":
            chunks.append(Chunk("heading", index, end, section, levels[level]))
            section = len(chunks) - 1
        else:
            chunk_kind = "code" if kind == "code" else "item" if _starts_entry(lines[index]) else "paragraph"
            chunks.append(Chunk(chunk_kind, index, end, section))
        index = end
    # Blank lines belong to the chunk before them, so every line has a chunk.
    covered: list[Chunk] = []
    for position, chunk in enumerate(chunks):
        stop = chunks[position + 1].start if position + 1 < len(chunks) else len(lines)
        covered.append(
            Chunk(
                chunk.kind,
                chunk.start,
                stop if chunk.kind != "code" else chunk.stop,
                chunk.section,
                chunk.level,
            )
        )
        if chunk.kind == "code" and chunk.stop < stop:
            covered.append(Chunk("paragraph", chunk.stop, stop, chunk.section))
    if covered and covered[0].start > 0:
        covered.insert(0, Chunk("paragraph", 0, covered[0].start, -1))
    if not covered:
        covered.append(Chunk("paragraph", 0, len(lines), -1))
    return _renumber_sections(covered)


def _starts_entry(line: str) -> bool:
    """A list item's or an option's first line: each is a chunk of its own, with the lines under it."""
    return bool(_LIST_ITEM.match(line) or _OPTION_ENTRY.match(line))


def _renumber_sections(chunks: list[Chunk]) -> list[Chunk]:
    section = -1
    for index, chunk in enumerate(chunks):
        if chunk.kind == "heading":
            chunk.section = section
            section = index
        else:
            chunk.section = section
    return chunks


def _line_kinds(lines: list[str]) -> tuple[list[tuple[str, int]], dict[int, int]]:
    """Per line: ("blank"|"heading"|"code"|"text", number). A heading's number is its title line's
    index (shared by its underline), a code line's the block's; plus each heading's level."""
    kinds: list[tuple[str, int]] = [("text", 0)] * len(lines)
    levels: dict[int, int] = {}
    indented_body = _has_indented_body(lines)
    fence: str | None = None
    block = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        fence_match = _FENCE.match(line)
        if fence is not None:
            kinds[index] = ("code", block)
            if fence_match and fence_match[1][0] == fence[0] and len(fence_match[1]) >= len(fence):
                fence = None
            continue
        if fence_match:
            fence, block = fence_match[1], block + 1
            kinds[index] = ("code", block)
            continue
        if not stripped:
            kinds[index] = ("blank", 0)
            continue
        if kinds[index][0] == "heading":
            continue  # an underline, marked with the line above
        atx = _ATX.match(line)
        if atx:
            kinds[index], levels[index] = ("heading", index), len(atx[1])
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if _UNDERLINE.match(following) and not _UNDERLINE.match(line) and not _LIST_ITEM.match(line):
            previous = index - 1
            if previous >= 0 and _UNDERLINE.match(lines[previous]) and kinds[previous][0] == "text":
                kinds[previous] = ("heading", previous)  # a reST overline: the heading starts there
                kinds[index] = kinds[index + 1] = ("heading", previous)
                levels[previous] = 1
            else:
                kinds[index] = kinds[index + 1] = ("heading", index)
                levels[index] = 1 if following.strip()[0] == "=" else 2
            continue
        if indented_body and _is_margin_title(lines, index):
            kinds[index], levels[index] = ("heading", index), 1
    return kinds, levels


def _is_margin_title(lines: list[str], index: int) -> bool:
    """In a text whose body is indented (`_has_indented_body`), a short line at the margin that stands
    alone there: NAME, DESCRIPTION, `apt (2.6.1) unstable; urgency=medium`. Lines at the margin next
    to each other are a paragraph written there (a package's `Key: value` metadata), not titles."""
    line = lines[index]
    if line[0].isspace() or len(line.strip()) > 80 or _LIST_ITEM.match(line):
        return False
    return not any(
        0 <= neighbour < len(lines) and lines[neighbour].strip() and not lines[neighbour][0].isspace()
        for neighbour in (index - 1, index + 1)
    )


def _has_indented_body(lines: list[str]) -> bool:
    """Man pages and Debian changelogs: titles at the margin, everything else indented."""
    text_lines = [line for line in lines if line.strip()]
    if len(text_lines) < 10:
        return False
    indented = sum(1 for line in text_lines if line[0].isspace())
    return indented >= len(text_lines) * 0.6


_BANDS = (
    (0x9E3779B1, 0x7F4A7C15),
    (0x85EBCA77, 0x165667B1),
    (0xC2B2AE3D, 0x27D4EB2F),
    (0x61C88647, 0x2545F491),
)
_MAX_CANDIDATES = 20


def near_duplicates(chunk_words: list[list[str]], kinds: Sequence[str], threshold: float = 0.7) -> set[int]:
    """Chunks that repeat an earlier chunk: the same words, or word 3-grams with a Jaccard overlap of at
    least `threshold`. Candidates come from four min-hash bands (two must agree), so the cost stays linear."""
    duplicates: set[int] = set()
    exact: dict[str, int] = {}
    shingle_sets: dict[int, set[int]] = {}
    buckets: dict[tuple[int, int], list[int]] = {}
    for index, words in enumerate(chunk_words):
        if kinds[index] == "heading" or len(words) < 4:
            continue
        normal = " ".join(words)
        if normal in exact:
            duplicates.add(index)
            continue
        exact[normal] = index
        if len(words) < 8:
            continue
        shingles = {zlib.crc32(" ".join(words[i : i + 3]).encode()) for i in range(len(words) - 2)}
        keys = [(band, min((h * a + b) & 0xFFFFFFFF for h in shingles)) for band, (a, b) in enumerate(_BANDS)]
        seen = Counter(chain.from_iterable(buckets.get(key, ())[-_MAX_CANDIDATES:] for key in keys))
        if any(
            votes >= 2 and _similar(shingles, shingle_sets[other], threshold) for other, votes in seen.items()
        ):
            duplicates.add(index)
            continue
        shingle_sets[index] = shingles
        for key in keys:
            buckets.setdefault(key, []).append(index)
    return duplicates


def _similar(a: set[int], b: set[int], threshold: float) -> bool:
    """Whether the Jaccard overlap of two non-empty sets is at least `threshold`. Sets whose sizes
    differ by more than it allows are told apart by their sizes alone."""
    small, large = sorted((len(a), len(b)))
    if small / large < threshold:  # the overlap is at most small / large
        return False
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared) >= threshold
