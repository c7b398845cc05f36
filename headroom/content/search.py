"""Search results: `grep -rn`, `git grep -n`, ripgrep (also `--heading`), with or without context lines.

Units are lines. Each line is a match (`path:12:text`, `path:12:3:text` with a
column, `12:text` under a `--heading` path line), a context line (`path-12-text`,
`12-text`), a heading (the path alone), a `--` separator, or other text. Lines
are grouped by file. `grep -n` over a single file names no file at all: its
`12:text` and `13-text` lines are read as the results of one unnamed file.
Without `-n` (`grep -r`, ripgrep piped) a match is `dir/file.py:text`. A
dropped run's marker carries a marked summary naming the files and counting
what was dropped in each:

    [headroom: omitted lines 12-40 of 300; hash=...] [headroom: summary of 29 omitted lines:
    matches: src/app.py x17; context: src/app.py x12; file_lines: 88..412]

(on one line). In heading mode a file's path line is shown whenever any of its
lines is, so a kept match never loses its file. `git grep -p` and `-W` lines
naming the function or class a hit is in (`path=12=class Foo:`) read as context.

With `-A`, `-B` or `-C`, a match's context lines belong to it (`hit_of`): they are
the body the search was asked to show around the match. Which match a context
line belongs to follows from how the results are laid out: where every run of
lines (between `--` separators) opens with a match, the context follows its
match (`-A`); where every run ends with one, it leads up to it (`-B`); otherwise
(`-C`) a context line belongs to the nearer match of its run, the one above on a tie.

A hit's scope (`scopes`) is its file and the class it sits in, as far as the
results show it: the nearest class header above it in the same file and less
indented (a `class`, `struct`, `impl`... line the search matched or showed as
context), or a Go method's receiver. So `AbstractDataset.load` finds the
`def load(` hit under `class AbstractDataset`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from headroom.content.base import Scope
from headroom.content.lines import LinesDocument
from headroom.markers import Scalar, SummaryEntry, summary

MATCH, CONTEXT, HEADING, SEPARATOR, OTHER = "match", "context", "heading", "separator", "other"
# The path of results that name no file: `grep -n` (with or without -A/-B/-C) over a single file
# writes `12:text` and `13-text` lines and no heading.
ONE_FILE = ""

# path:12:text or path:12:3:text; the path is the shortest prefix followed by :digits:
_MATCH = re.compile(r"(?P<path>[^\n:]+(?::[^\n:\d][^\n:]*)*?):(?P<line>\d+):(?:\d+:)?")
_HEADED = re.compile(r"(?P<line>\d+)(?P<kind>[:-])(?:\d+[:-])?")
_CONTEXT_FALLBACK = re.compile(r"(?P<path>.+?)-(?P<line>\d+)-")
# grep -r without -n, ripgrep piped: `dir/file.py:text` (a directory and an extension in the path).
_UNNUMBERED = re.compile(r"(?P<path>(?:[\w.@+~-]*/)+[\w@+~-]+(?:\.[\w-]+)*\.[A-Za-z]\w*):(?!:)")
# What a result line's text (after its `path:12:` prefix) says it defines.
_CLASS_HEADER = re.compile(
    r"^(?P<indent>\s*)(?:(?:export|public|private|protected|internal|abstract|final|sealed|data|static|pub"
    r"(?:\([\w:]+\))?|async|unsafe|default)\s+)*(?:class|struct|interface|trait|impl(?:<[^>]*>)?|object"
    r"|module|enum|record|namespace)\s+(?:[\w:]+\s+for\s+)?(?P<name>[A-Za-z_]\w*)"
)
_GO_RECEIVER = re.compile(r"^\s*func\s+\(\s*\w+\s+\*?(?P<name>[A-Za-z_]\w*)")
_PREFIX = re.compile(r"(?:[:=-]\d+[:=-](?:\d+[:=-])?)")
_PATH_WORDS = re.compile(r"[^/\\]+")
# Files listed one by one in a summary; beyond this, the first and last path by name.
MAX_LISTED_FILES = 8


@dataclass(frozen=True)
class SearchLine:
    kind: str
    path: str | None = None
    line: int | None = None


class SearchDocument(LinesDocument):
    def __init__(self, text: str):
        super().__init__(text)
        self.heading_mode = _is_heading_mode(self.units)
        self.lines = _parse_headed(self.units) if self.heading_mode else _parse_flat(self.units)
        # No line numbers anywhere (grep -r without -n): each `dir/file.py:text` line is a match.
        self.unnumbered = not self.heading_mode and not any(line.kind == MATCH for line in self.lines)
        if self.unnumbered:
            self.lines = _parse_unnumbered(self.units)
        self._files: list[range] | None = None
        self._hit_of: list[int | None] | None = None

    @classmethod
    def parse(cls, text: str) -> SearchDocument:
        return cls(text)

    def files(self) -> list[range]:
        """Runs of lines that belong to one file (its heading, matches, context), in order."""
        if self._files is None:
            self._files = _file_runs(self.lines)
        return self._files

    def groups(self) -> list[range]:
        return self.files()

    def hit_of(self, index: int) -> int | None:
        """The match a line belongs to: itself for a match, the match it is shown around for a
        context line (see the module doc), None for anything else."""
        if self._hit_of is None:
            self._hit_of = _hits(self.lines)
        return self._hit_of[index]

    def hit_lines(self, match: int) -> range:
        """A match and the context lines that belong to it, in order."""
        start = match
        while start > 0 and self.lines[start - 1].kind == CONTEXT and self.hit_of(start - 1) == match:
            start -= 1
        stop = match + 1
        while stop < len(self.lines) and self.lines[stop].kind == CONTEXT and self.hit_of(stop) == match:
            stop += 1
        return range(start, stop)

    def error_signals(self) -> list[float]:
        # Matched source text saying "error" reports no failure of the search.
        return [0.0] * len(self.units)

    def anchors(self) -> set[int]:
        return set()  # no line of a result must survive for its file's sake

    def scopes(self) -> list[Scope]:
        """Each line's file and the class it sits in, as far as the results show (see the module doc)."""
        scopes: list[Scope] = []
        open_classes: list[tuple[int, str]] = []  # (indent, name) of the class headers seen in this file
        current: str | None = None
        for index, parsed in enumerate(self.lines):
            if parsed.path is None or parsed.kind not in (MATCH, CONTEXT):
                # A `--` between context groups or a heading's blank line ends no class: the
                # next group of the same file is still inside it (`grep -A2` of its methods).
                scopes.append(Scope())
                continue
            if parsed.path != current:
                open_classes, current = [], parsed.path
            code = self._code(index)
            indent = len(code) - len(code.lstrip())
            # A blank context line has no depth: it closes nothing (the blank line after a docstring).
            while code.strip() and open_classes and open_classes[-1][0] >= indent:
                open_classes.pop()
            names = [name for _, name in reversed(open_classes)]
            receiver = _GO_RECEIVER.match(code)
            if receiver:
                names.insert(0, receiver["name"])
            scopes.append(Scope(tuple(names), _file_names(parsed.path)))
            header = _CLASS_HEADER.match(code)
            if header:
                open_classes.append((indent, header["name"]))
        return scopes

    def class_members(self) -> dict[str, list[int]]:
        """Each class header the results show, by name: its header lines and the lines directly
        inside it (their innermost enclosing class is it: `def send(` under `class HTTPAdapter`),
        in order. The members of a class nested inside are its own, not the outer class's."""
        members: dict[str, list[int]] = {}
        for index, scope in enumerate(self.scopes()):
            header = (
                _CLASS_HEADER.match(self._code(index)) if self.lines[index].kind in (MATCH, CONTEXT) else None
            )
            if header:
                members.setdefault(header["name"], []).append(index)
            if scope.names and not _GO_RECEIVER.match(self._code(index)):
                members.setdefault(scope.names[0], []).append(index)
        return {name: sorted(set(lines)) for name, lines in members.items()}

    def _code(self, index: int) -> str:
        """A result line's text, without its path and number."""
        unit = self.units[index]
        path = self.lines[index].path
        rest = (
            unit[len(path) :]
            if path is not None and not self.heading_mode and unit.startswith(path)
            else unit
        )
        if self.unnumbered and path is not None:
            return rest[1:]  # after the path's `:`
        prefix = _PREFIX.match(rest) if not self.heading_mode else _HEADED.match(rest)
        return rest[prefix.end() :] if prefix else rest

    def render(self, keep: list[bool] | None, ref: str) -> str:
        return super().render(self._with_headings(keep), ref)

    def _with_headings(self, keep: list[bool] | None) -> list[bool] | None:
        """The mask with each file's heading kept whenever one of its lines is."""
        if keep is None or not self.heading_mode:
            return keep
        shown = list(keep)
        for run in self.files():
            heading = run.start
            if self.lines[heading].kind == HEADING and not shown[heading] and any(keep[i] for i in run):
                shown[heading] = True
        return shown

    def describe_runs(self, keep: list[bool], spans: list[tuple[int, int]]) -> list[str]:
        return [self._describe(first, last) for first, last in spans]

    def _describe(self, first: int, last: int) -> str:
        matches: Counter[str] = Counter()
        context: Counter[str] = Counter()
        seen: dict[str, None] = {}  # files in the order the run shows them
        numbers: list[int] = []
        for index in range(first, last + 1):
            parsed = self.lines[index]
            if parsed.path is None or parsed.kind not in (MATCH, CONTEXT):
                continue
            seen.setdefault(parsed.path)
            (matches if parsed.kind == MATCH else context)[parsed.path] += 1
            if parsed.line is not None:
                numbers.append(parsed.line)
        if not matches and not context:
            return ""
        return summary(
            last - first + 1, self.unit_name, _summary_entries(matches, context, list(seen), numbers)
        )


def _summary_entries(
    matches: Counter[str], context: Counter[str], files: list[str], numbers: list[int]
) -> list[SummaryEntry]:
    """A dropped run's summary: matches and context lines per file (a single unnamed file: by kind),
    the source lines they span when they are of one file; over many files, the first and last path."""
    entries: list[SummaryEntry] = []
    if files == [ONE_FILE]:  # results over one file that is never named: count, do not name
        kinds_of_lines: list[tuple[Scalar, int]] = [("match", matches[ONE_FILE])]
        if context:
            kinds_of_lines.append(("context", context[ONE_FILE]))
        entries.append(("kind", kinds_of_lines))
        if numbers:
            entries.append(("file_lines", (min(numbers), max(numbers))))
    elif len(files) <= MAX_LISTED_FILES:
        for key, counts in (("matches", matches), ("context", context)):
            if counts:
                entries.append((key, [(path, counts[path]) for path in files if counts[path]]))
        if len(files) == 1 and numbers:
            entries.append(("file_lines", (min(numbers), max(numbers))))
    else:
        kinds: list[tuple[Scalar, int]] = [("match", sum(matches.values()))]
        if context:
            kinds.append(("context", sum(context.values())))
        entries.append(("kind", kinds))
        entries.append(("files", (min(files), max(files))))
        per_file = [matches[path] for path in files]
        entries.append(("matches_per_file", (min(per_file), max(per_file))))
    return entries


def _file_names(path: str) -> tuple[str, ...]:
    """A path's directories and the file's name without its extension: `kedro`, `io`, `data_catalog`."""
    parts = _PATH_WORDS.findall(path)
    if parts:
        parts[-1] = parts[-1].split(".", 1)[0]
    return tuple(part for part in parts if part not in (".", ".."))


def _is_heading_mode(units: list[str]) -> bool:
    """ripgrep --heading: a path line, then `12:text` lines, a blank line between files."""
    sample = units[:400]
    numbered = sum(1 for unit in sample if _HEADED.match(unit))
    flat = sum(1 for unit in sample if (match := _MATCH.match(unit)) and not match["path"].isdigit())
    return numbered > flat and numbered >= 0.5 * sum(1 for unit in sample if unit.strip())


def _parse_headed(units: list[str]) -> list[SearchLine]:
    parsed: list[SearchLine] = []
    path: str | None = None
    expect_heading = True
    for unit in units:
        if not unit.strip():
            parsed.append(SearchLine(SEPARATOR))
            expect_heading = True
            continue
        numbered = _HEADED.match(unit)
        if numbered and path is None:
            path = ONE_FILE  # no heading before the first result: grep -n over one file
            expect_heading = False
        if unit == "--":
            parsed.append(SearchLine(SEPARATOR, path))
        elif numbered and not expect_heading:
            kind = MATCH if numbered["kind"] == ":" else CONTEXT
            parsed.append(SearchLine(kind, path, int(numbered["line"])))
        elif expect_heading:
            path = unit
            parsed.append(SearchLine(HEADING, path))
        else:
            parsed.append(SearchLine(MATCH, path))  # ripgrep without line numbers
        expect_heading = False
    return parsed


def _parse_flat(units: list[str]) -> list[SearchLine]:
    parsed: list[SearchLine | None] = []
    for unit in units:
        match = _MATCH.match(unit)
        parsed.append(SearchLine(MATCH, match["path"], int(match["line"])) if match else None)
    # Context lines (`path-12-text`) are read with the path of a neighbouring match,
    # since a path may itself hold `-12-`.
    previous: str | None = None
    following = _following_paths(parsed)
    result: list[SearchLine] = []
    for index, unit in enumerate(units):
        line = parsed[index]
        if line is not None:
            previous = line.path
            result.append(line)
            continue
        result.append(_context_line(unit, previous, following[index]))
    return result


def _parse_unnumbered(units: list[str]) -> list[SearchLine]:
    """grep -r without -n: `dir/file.py:text` matches, `--` separators, anything else other text."""
    parsed: list[SearchLine] = []
    for unit in units:
        match = _UNNUMBERED.match(unit)
        if match:
            parsed.append(SearchLine(MATCH, match["path"]))
        elif unit == "--" or not unit.strip():
            parsed.append(SearchLine(SEPARATOR))
        else:
            parsed.append(SearchLine(OTHER))
    return parsed


def _following_paths(parsed: list[SearchLine | None]) -> list[str | None]:
    following: list[str | None] = [None] * len(parsed)
    upcoming: str | None = None
    for index in range(len(parsed) - 1, -1, -1):
        following[index] = upcoming
        line = parsed[index]
        if line is not None:
            upcoming = line.path
    return following


def _context_line(unit: str, previous: str | None, following: str | None) -> SearchLine:
    if unit == "--":
        return SearchLine(SEPARATOR)
    for path in (previous, following):
        for mark in "-=":  # `=`: git grep -p / -W naming the enclosing function
            if path is not None and unit.startswith(path + mark):
                rest = unit[len(path) + 1 :]
                digits = len(rest) - len(rest.lstrip("0123456789"))
                if digits and rest[digits : digits + 1] == mark:
                    return SearchLine(CONTEXT, path, int(rest[:digits]))
    fallback = _CONTEXT_FALLBACK.match(unit)
    if fallback and previous is None and following is None:
        return SearchLine(CONTEXT, fallback["path"], int(fallback["line"]))
    return SearchLine(OTHER)


def _result_runs(lines: list[SearchLine]) -> list[range]:
    """Runs of consecutive matches and context lines of one file (what `--` separates)."""
    found: list[range] = []
    start: int | None = None
    for index, line in enumerate(lines):
        inside = line.kind in (MATCH, CONTEXT) and line.path is not None
        if start is not None and not (inside and line.path == lines[start].path):
            found.append(range(start, index))
            start = None
        if inside and start is None:
            start = index
    if start is not None:
        found.append(range(start, len(lines)))
    return found


def _hits(lines: list[SearchLine]) -> list[int | None]:
    """Per line, the match it belongs to (see the module doc)."""
    hit_of: list[int | None] = [i if line.kind == MATCH else None for i, line in enumerate(lines)]
    runs = [run for run in _result_runs(lines) if any(lines[i].kind == CONTEXT for i in run)]
    follows = all(lines[run.start].kind == MATCH for run in runs)  # -A: context after its match
    leads = all(lines[run.stop - 1].kind == MATCH for run in runs)  # -B: context before its match
    for run in runs:
        below: list[int | None] = [None] * len(run)
        upcoming: int | None = None
        for offset in range(len(run) - 1, -1, -1):
            below[offset] = upcoming
            if lines[run[offset]].kind == MATCH:
                upcoming = run[offset]
        above: int | None = None
        for offset, index in enumerate(run):
            if lines[index].kind == MATCH:
                above = index
                continue
            hit_of[index] = _nearer(index, above, below[offset], follows, leads)
    return hit_of


def _nearer(index: int, above: int | None, below: int | None, follows: bool, leads: bool) -> int | None:
    """The match a context line belongs to, of the one above and the one below it in its run."""
    if above is None or below is None:
        return above if below is None else below
    if follows != leads:
        return above if follows else below
    return above if index - above <= below - index else below


def _file_runs(lines: list[SearchLine]) -> list[range]:
    runs: list[range] = []
    start: int | None = None
    current: str | None = None
    for index, line in enumerate(lines):
        if line.kind == HEADING or (line.path is not None and line.path != current):
            if start is not None:
                runs.append(range(start, index))
            start, current = index, line.path
        elif line.path is None and line.kind != SEPARATOR and start is not None:
            runs.append(range(start, index))
            start, current = None, None
    if start is not None:
        runs.append(range(start, len(lines)))
    return [_without_trailing_separators(run, lines) for run in runs]


def _without_trailing_separators(run: range, lines: list[SearchLine]) -> range:
    stop = run.stop
    while stop > run.start + 1 and lines[stop - 1].kind == SEPARATOR:
        stop -= 1
    return range(run.start, stop)
