"""Shell output: test runners, package managers, builds, and `kubectl get` / `docker ps` listings.

Units are lines, each of one kind, found with one regex pass per kind over the
whole text (never one regex per line):

- `fail`: a failure or an error (`FAILED`, `--- FAIL:`, `error[E0308]:`, `npm error`,
  `make: ***`, pytest's `E   assert ...`), and listing rows that are not healthy;
- `warn`: a warning;
- `summary`: the lines that sum a run up (`=== 2 failed, 152 passed in 0.91s ===`,
  `Tests: 2 failed, 40 passed`, `test result:`, `Successfully installed ...`);
- `section`: a section header (`=== FAILURES ===`);
- `passed`, `skipped`: one test's (or suite's) result;
- `progress`: progress and routine steps (`Collecting ...`, `Downloading ...`, bars,
  pytest's dots, `Compiling ...`, compiler command lines, `Unpacking ...`);
- `header`, `row`: a listing's header row and its healthy rows;
- `path`: a line that is a file path alone, as `find`, `git ls-files`, `tar tf` and
  `pip show -f` list them;
- `tree`: a branch of a drawn tree (`npm ls`, `tree`, `cargo tree`: `├── x`, `│ └─┬ y`,
  `` `-- z``); each knows its parent, the nearest line above it drawn less deep;
- `other`: anything else.

`pip show` reads as a record per package: its `Name`, `Version`, `Location`,
`Requires` and `Required-by` fields sum the package up (`summary`), and its
`Files:` line opens a section of paths.

Groups are the blocks that explain a failure: a pytest failure section, a cargo
test's stdout, a Go test's indented output, a jest `●` block, a compiler message
with its source snippet, a Python traceback. A dropped run's marker carries a
marked summary counting its lines by kind (and a listing's rows by status):

    [headroom: omitted lines 5-230 of 400; hash=...] [headroom: summary of 226 omitted lines:
    kind: passed x212, progress x14]

(on one line). Paths are counted by directory too, as deep as keeps the list short:

    [headroom: summary of 3120 omitted lines: kind: path x3120; dir: litellm/llms x1810,
    litellm/proxy x960, litellm/types x350]
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter

from headroom.content.detect import PATH_LINE, TREE_LINE
from headroom.content.lines import LinesDocument
from headroom.content.signals import line_starts, per_line_error_signals
from headroom.content.templates import MASK, masked_lines
from headroom.markers import Scalar, SummaryEntry, summary

FAIL, WARN, SUMMARY, SECTION = "fail", "warn", "summary", "section"
PASSED, SKIPPED, PROGRESS, HEADER, ROW, OTHER = "passed", "skipped", "progress", "header", "row", "other"
PATH, TREE = "path", "tree"
ROUTINE = frozenset({PASSED, SKIPPED, PROGRESS, ROW, PATH, TREE})

_M = re.MULTILINE


def _line_start(source: str) -> re.Pattern[str]:
    """A `^...` pattern, compiled to find its lines by their leading newline (see `_lines_matching`):
    the regex engine jumps from newline to newline instead of trying `^` at every character."""
    assert source.startswith("^"), source
    return re.compile("\n" + source[1:], _M)


_TREE_BRANCH = re.compile(r"[├└+`][─-]")
# Each kind's lines; where two kinds claim a line, the one listed first in _PRECEDENCE wins.
_PATTERNS: dict[str, re.Pattern[str]] = {
    SUMMARY: _line_start(
        r"^(?:=+ [^\n]*\b(?:passed|failed|errors?|skipped|deselected|xfailed|xpassed|no tests ran)\b"
        r"[^\n]* =+$"
        r"|(?:Tests|Test Suites|Snapshots|Time):\s+\S|\s*(?:Test Files|Tests|Duration)\s{2,}\S"
        r"|PASS$|FAIL$|test result: |running \d+ tests?$|Ran \d+ tests? in |OK(?: \(|$)|FAILED \("
        r"|(?:\[\w+\] )?Tests run: \d+, Failures: \d+, Errors: \d+, Skipped: \d+$"
        r"|(?:\[\w+\] )?(?:BUILD (?:SUCCESS|FAILURE)|Total time:)"
        r"|Successfully installed |Would install |Installing collected packages:"
        r"|(?:added|removed|changed|audited) \d+ packages?|up to date|found \d+ vulnerabilit|\d+ vulnerabilit"
        r"|\d+ upgraded, \d+ newly installed|Need to get |After this operation"
        r"|The following (?:NEW |additional )?packages will be|make: (?:Target|Nothing to be done)"
        r"|\s+Finished |Found \d+ errors?|webpack [\d.]+ compiled|compiled (?:successfully|with)"
        r"|(?:warning|error): [^\n]* generated \d+ warnings?|error: could not compile"
        r"|(?:Name|Version|Location|Editable project location|Requires|Required-by): )",  # pip show
    ),
    FAIL: _line_start(
        r"^(?:FAILED\s|ERROR\s|[^\s:]+::\S[^\n]*?\s(?:FAILED|ERROR)\b|E {2,}\S"
        r"|\S+\.py [.sxFE]*[FE][.sxFE]*\s*(?:\[\s*\d+%\])?$|_{3,} \S[^\n]* _{3,}$"
        r"|\s*--- FAIL: |FAIL\s|panic: |test \S+ \.\.\. FAILED|---- \S+ stdout ----"
        r"|thread '[^\n]*' (?:\(\d+\) )?panicked at|error(?:\[E\d+\])?: |\s*[✕×✗✘] |\s*● "
        r"|npm (?:ERR!|error)\s|make(?:\[\d+\])?: \*\*\*|ERROR in |(?:\w+\.)*\w*Error: |E: |ERROR: |Err:\d+ "
        r"|\[(?:ERROR|FATAL)\]"
        r"|(?:\[\w+\] )?Tests run: [^\n]*(?:Failures: [1-9]|Errors: [1-9])|FAILURE: )",
    ),
    WARN: _line_start(
        r"^(?:npm (?:WARN|warn)\s|warning(?:\[\S+\])?: |WARNING\b|W: |\[WARNING\]|\s*DEPRECATION: )",
    ),
    SECTION: _line_start(r"^(?:=+ [^\n]* =+|-+ [^\n]* -+|failures:|warnings summary|Files:)$"),
    SKIPPED: _line_start(
        r"^(?:[^\s:]+::\S[^\n]*?\s(?:SKIPPED|XFAIL|XPASS)\b|\s*--- SKIP: |test \S+ \.\.\. ignored$"
        r"|\?\s+\S+\s+\[no test files\])",
    ),
    PASSED: _line_start(
        r"^(?:[^\s:]+::\S[^\n]*?\sPASSED\b|\s*--- PASS: |test \S+ \.\.\. ok$|\w+ \([\w.]+\)[^\n]* \.\.\. ok$"
        r"|\s*[✓✔√] |PASS\s+\S|ok\s+\S+\s+(?:[\d.]+s|\(cached\))"
        r"|(?:\[INFO\] )?Tests run: \d+, Failures: 0, Errors: 0, Skipped: \d+, Time elapsed: [^\n]* - in \S)",
    ),
    PROGRESS: _line_start(
        r"^(?:\S+\.py [.sx]+\s*(?:\[\s*\d+%\])?$|[.sx]{3,}\s*(?:\[\s*\d+%\])?$|=== (?:RUN|PAUSE|CONT|NAME)\s"
        r"|\s*(?:Collecting|Downloading|Using cached|Requirement already satisfied|Processing|Obtaining"
        r"|Building wheels? for|Created wheel for|Stored in directory|Preparing metadata|Getting requirements"
        r"|Installing build dependencies|Looking in (?:indexes|links)|Attempting uninstall"
        r"|Found existing installation|Uninstalling|Successfully uninstalled|Running setup\.py)\b"
        r"|\s*[━╸╺]{3,}|(?:Get|Hit|Ign):\d+\s|\(Reading database|Reading (?:package lists|state information)"
        r"|Building dependency tree|Selecting previously unselected package|Preparing to unpack|Unpacking "
        r"|Setting up |Processing triggers for|Fetched [\d.,]+ \w?B in|update-alternatives: |Created symlink"
        r"|npm (?:http|verbose|info|timing|sill|notice)\b|\s*[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]"
        r"|make(?:\[\d+\])?: (?:Entering|Leaving) directory"
        r"|\[\s*\d+%\] (?:Building|Linking|Built target|Scanning|Generating|Automatic)"
        r"|(?:gcc|g\+\+|cc|c\+\+|clang|clang\+\+|ar|ld|ranlib|nvcc|libtool) "
        r"|\s+(?:CC|LD|AR|CXX|GEN|INSTALL|HOSTCC) |\s+(?:Compiling|Downloaded|Downloading|Checking|Fresh"
        r"|Updating|Locking|Adding|Blocking|Documenting|Packaging|Verifying|Unpacking|Installing|Installed"
        r"|Replacing|Removing) \S|> Task :|(?:\[INFO\] )?(?:Download(?:ing|ed) from|Progress \()"
        r"|(?:\[INFO\] )?Running [\w.]+$|#\d+ (?:\[|sha256:|DONE|CACHED|extracting|resolve|transferring"
        r"|naming|exporting|writing)|\s*(?:asset|orphan modules|runtime modules|cacheable modules"
        r"|modules by path|built modules) |\s*\./\S+ [\d.]+ (?:bytes|KiB|MiB))",
    ),
}
# Markers that may stand anywhere in a line: found by their literal text, which the regex
# engine searches for quickly, instead of scanning every line from its start.
_ANYWHERE: dict[str, re.Pattern[str]] = {
    FAIL: re.compile(r": (?:fatal )?error: |\): error TS\d+| - error TS\d+"),
    WARN: re.compile(r": warning: |Warning: "),
    PROGRESS: re.compile(r"\r(?!\n|$)"),  # a line redrawn in place: a progress bar or counter
}
_PATTERNS[PATH] = _line_start(PATH_LINE)
_PATTERNS[TREE] = _line_start(TREE_LINE)
_PRECEDENCE = (SUMMARY, FAIL, WARN, SECTION, SKIPPED, PASSED, PROGRESS, TREE, PATH)

_LISTING_HEADER = _line_start(
    r"^(?:NAMESPACE|NAME|CONTAINER ID|REPOSITORY|IMAGE ID)\s{2,}"
    r"(?:[A-Z][A-Z0-9()-]*(?: [A-Z]+)?\s{2,})+[A-Z]",
)
_COLUMN = re.compile(r"\S+(?: \S+)*")
_HEALTHY_STATUS = re.compile(
    r"(?:Running|Completed|Succeeded|Active|Bound|Ready|Available|Healthy|True|Deployed|Synced|running)$"
    r"|Up (?!.*\((?:unhealthy|health: starting)\))|Exited \(0\)"
)
_READY = re.compile(r"(\d+)/(\d+)$")
# "Up 3 hours (healthy)" and "Up 2 days (healthy)" are one status in a summary: "Up (healthy)".
_AGE = re.compile(
    r" (?:About )?(?:an?|\d+|Less than a) (?:second|minute|hour|day|week|month|year)s?(?: ago)?"
)

_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`|‘[^’\n]*’")
# Lines that continue the message above them: a compiler's source snippet and notes, an indented body.
_CONTINUES = re.compile(r"^(?:\s|\||\S+:\d+:\d+: note: |In file included from |\s*= (?:note|help): )")
_FAILURE_SECTION = re.compile(r"^(?:_{3,} \S.* _{3,}|---- \S+ stdout ----)$")
# Where a failure section starts or the one before it ends.
_SECTION_EDGE = _line_start(
    r"^(?:=+ [^\n]* =+|_{3,} \S[^\n]* _{3,}|---- \S+ stdout ----|failures:|test result: [^\n]*)$"
)
_BLOCK_HEAD = _line_start(
    r"^(?:\s*--- FAIL: |\s*● |error(?:\[E\d+\])?: |warning(?:\[\S+\])?: "
    r"|\S+:\d+:\d+: (?:fatal error|error|warning): |\S+\(\d+,\d+\): error TS\d+|ERROR in |WARNING in )",
)
EXPLAINS_FAILURE = 0.7
KIND_ORDER = (FAIL, WARN, SUMMARY, SECTION, HEADER, PASSED, SKIPPED, PROGRESS, ROW, TREE, PATH, OTHER)
# A summary counts paths by directory, at the deepest level (up to this) that names at most
# MAX_LISTED_DIRS of them; beyond that, the first and last directory by name.
MAX_DIR_DEPTH = 3
MAX_LISTED_DIRS = 8
_NAME_PARTS = re.compile(r"[-_.]")


class ShellDocument(LinesDocument):
    def __init__(self, text: str):
        super().__init__(text)
        self._starts = line_starts(self.units)
        self.kinds = _classify(self.text, self._starts)
        self.status: dict[int, str] = {}  # listing row -> its status, without its age
        self.rows: set[int] = set()  # every listing row, healthy or not
        self._read_listings()
        self._shell_groups: list[range] | None = None

    @classmethod
    def parse(cls, text: str) -> ShellDocument:
        return cls(text)

    # listings --------------------------------------------------------------------

    def _read_listings(self) -> None:
        done = 0
        for header in _lines_matching(_LISTING_HEADER, self.text, self._starts):
            if header >= done and self.kinds[header] in (OTHER, PASSED):
                done = self._read_listing(header)

    def _read_listing(self, header: int) -> int:
        columns = [(m.start(), m[0]) for m in _COLUMN.finditer(self.units[header])]
        self.kinds[header] = HEADER
        index = header + 1
        while index < len(self.units) and self.units[index].strip():
            cells = _cells(self.units[index], columns)
            healthy, status = _row_health(cells)
            self.kinds[index] = ROW if healthy else FAIL
            self.rows.add(index)
            if status:
                self.status[index] = _AGE.sub("", status)
            index += 1
        return index

    # signals ---------------------------------------------------------------------

    def error_signals(self) -> list[float]:
        if self._errors is None:
            words = per_line_error_signals(self.text, self._starts)
            by_kind = {FAIL: 1.0, WARN: 0.5}
            signals = [
                by_kind.get(kind, 0.0 if kind in ROUTINE or kind == HEADER else words[i])
                for i, kind in enumerate(self.kinds)
            ]
            # The lines explaining a failure report it too, if less plainly than its first line.
            for group in self.groups():
                if any(self.kinds[i] == FAIL for i in group):
                    for index in group:
                        signals[index] = max(signals[index], EXPLAINS_FAILURE)
            self._errors = signals
        return self._errors

    def warning_kinds(self) -> dict[int, str]:
        """Each warning line's kind: its text with quoted parts and variable fields masked, so
        `WARNING: Location 'file:///a/' is ignored` and the same for `/b/` are one kind."""
        warnings = [i for i, kind in enumerate(self.kinds) if kind == WARN]
        if not warnings:
            return {}
        masked = masked_lines(_QUOTED.sub(MASK, "\n".join(self.units[i] for i in warnings)))
        return dict(zip(warnings, masked, strict=True))

    def groups(self) -> list[range]:
        """Blocks that explain a failure or warning, and Python tracebacks."""
        if self._shell_groups is None:
            found = [
                *_failure_sections(self.units, _lines_matching(_SECTION_EDGE, self.text, self._starts)),
                *_message_blocks(self.units, _lines_matching(_BLOCK_HEAD, self.text, self._starts)),
                *LinesDocument.groups(self),  # stack traces
            ]
            self._shell_groups = sorted(set(found), key=lambda group: (group.start, group.stop))
        return self._shell_groups

    def anchors(self) -> set[int]:
        """Summary lines, the first line of each block explaining a failure, and every stack trace's
        anchors (`headroom.content.lines.trace_anchors`)."""
        anchors = {i for i, kind in enumerate(self.kinds) if kind == SUMMARY}
        anchors.update(group.start for group in self.groups() if self.kinds[group.start] == FAIL)
        return anchors | LinesDocument.anchors(self)

    # summaries -------------------------------------------------------------------

    def describe_runs(self, keep: list[bool], spans: list[tuple[int, int]]) -> list[str]:
        return [self._describe(first, last) for first, last in spans]

    def _describe(self, first: int, last: int) -> str:
        span = range(first, last + 1)
        kinds = Counter(self.kinds[i] for i in span)
        counted: list[tuple[Scalar, int]] = [(kind, kinds[kind]) for kind in KIND_ORDER if kinds[kind]]
        entries: list[SummaryEntry] = [("kind", counted)]
        statuses = Counter(self.status[i] for i in span if i in self.status)
        if statuses:
            entries.append(("status", list(statuses.most_common())))
        paths = [path_parts(self.units[i]) for i in span if self.kinds[i] == PATH]
        if paths:
            entries.append(_directories(paths))
        return summary(len(span), self.unit_name, entries)

    def tree_parents(self) -> dict[int, int]:
        """Each tree branch's parent line: the nearest line above drawn less deep (a branch, or the
        root line the tree hangs from)."""
        parents: dict[int, int] = {}
        stack: list[tuple[int, int]] = []  # (depth, line) of the open ancestors
        for index, kind in enumerate(self.kinds):
            if kind != TREE:
                stack = [(-1, index)]  # a line outside the tree is the root of what follows
                continue
            branch = _TREE_BRANCH.search(self.units[index])
            depth = branch.start() if branch else 0
            while stack and stack[-1][0] >= depth:
                stack.pop()
            if stack:
                parents[index] = stack[-1][1]
            stack.append((depth, index))
        return parents

    def path_groups(self) -> dict[str, list[int]]:
        """The path lines under each top-level directory (`pkg` for `pkg/a.py` and `./pkg/b/c.py`;
        a file at the top stands for itself), in order."""
        groups: dict[str, list[int]] = {}
        for index, kind in enumerate(self.kinds):
            if kind == PATH:
                parts = path_parts(self.units[index])
                if parts:
                    groups.setdefault(parts[0], []).append(index)
        return groups


def name_words(name: str) -> set[str]:
    """A file or directory name, lower-cased, and the words it is made of:
    `tiktoken-0.14.0.dist-info` -> tiktoken-0.14.0.dist-info, tiktoken, 0, 14, dist, info."""
    lowered = name.lower()
    return {lowered, *_NAME_PARTS.split(lowered)}


def path_parts(line: str) -> list[str]:
    """A listed path's names, without `.`, `..` and empty parts: `../../bin/x` -> [bin, x]."""
    return [part for part in line.strip().split("/") if part not in ("", ".", "..")]


def _directories(paths: list[list[str]]) -> SummaryEntry:
    """How many paths each directory holds, at the deepest level that lists few enough."""
    for depth in range(MAX_DIR_DEPTH, 0, -1):
        counts = Counter("/".join(parts[: min(depth, len(parts) - 1)]) or "." for parts in paths)
        if len(counts) <= MAX_LISTED_DIRS:
            return ("dir", list(counts.most_common()))
    return ("dirs", (min(counts), max(counts)))


def _classify(text: str, starts: list[int]) -> list[str]:
    kinds = [OTHER] * len(starts)
    for kind in reversed(_PRECEDENCE):  # later writes win: the first kind in _PRECEDENCE last
        for index in _lines_matching(_PATTERNS[kind], text, starts):
            kinds[index] = kind
        anywhere = _ANYWHERE.get(kind)
        if anywhere is not None:
            for index in _matching_lines(anywhere, text, starts):
                kinds[index] = kind
    return kinds


def _matching_lines(pattern: re.Pattern[str], text: str, starts: list[int]) -> list[int]:
    """Indices of the lines where a pattern matches anywhere (its first match in each line counts
    as the line's): one pass over the text."""
    return [bisect_right(starts, match.start()) - 1 for match in pattern.finditer(text)]


def _lines_matching(pattern: re.Pattern[str], text: str, starts: list[int]) -> list[int]:
    """Indices of the lines a `_line_start` pattern matches from their start: one pass over the text
    behind a leading newline, so a match at offset o of the padded text is the line starting at o."""
    return [bisect_right(starts, match.start()) - 1 for match in pattern.finditer("\n" + text)]


def _cells(line: str, columns: list[tuple[int, str]]) -> dict[str, str]:
    """A listing row's cells, cut at the header's column starts (kubectl and docker align them)."""
    cells: dict[str, str] = {}
    for position, (start, name) in enumerate(columns):
        stop = columns[position + 1][0] if position + 1 < len(columns) else len(line)
        cells[name] = line[start:stop].strip()
    return cells


def _row_health(cells: dict[str, str]) -> tuple[bool, str]:
    """(healthy, status): a status that is not a healthy one, restarts, or fewer ready than wanted."""
    status = cells.get("STATUS") or cells.get("STATE") or cells.get("PHASE") or ""
    healthy = not status or bool(_HEALTHY_STATUS.match(status))
    restarts = cells.get("RESTARTS", "").split(" ", 1)[0]
    if restarts.isdigit() and int(restarts) > 0:
        healthy = False
    ready = _READY.match(cells.get("READY", ""))
    if ready and ready[1] != ready[2] and status not in ("Completed", "Succeeded"):
        healthy = False
    return healthy, status


def _failure_sections(units: list[str], edges: list[int]) -> list[range]:
    """pytest's per-test failure sections and cargo's per-test stdout, each up to the next edge."""
    sections: list[range] = []
    start: int | None = None
    for index in edges:
        if start is not None:
            sections.append(range(start, index))
            start = None
        if _FAILURE_SECTION.match(units[index]):
            start = index
    if start is not None:
        sections.append(range(start, len(units)))
    return [section for section in sections if len(section) >= 2]


def _message_blocks(units: list[str], heads: list[int]) -> list[range]:
    """A failing Go test, a jest failure or a compiler message, with the indented lines below it."""
    blocks: list[range] = []
    reached = 0
    for index in heads:
        if index < reached:
            continue
        end = index + 1
        while end < len(units) and units[end].strip() and _CONTINUES.match(units[end]):
            end += 1
        if end - index >= 2:
            blocks.append(range(index, end))
        reached = end
    return blocks
