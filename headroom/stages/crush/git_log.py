"""crush.git_log.v1: git history (`git log` in every form, and the commits of `git log -p`).

The commit is the unit. Commits are ranked by the request (the user's question and the tool
call's identifiers: a file it names, a function, an author, a sha prefix, a version; a term
found in most commits weighs nothing) and by their signals (a revert, a security fix, a breaking
change, a fix), newest first among equals. Always kept: a commit holding a line the request pins,
one whose sha starts with a sha the request gives, a commit whose patch holds a hit of the pickaxe
the tool call ran (`git log -G<regex>` or `-S<string>`: the changed lines matching it, at most
MAX_PICKAXE_LINES, taken round the hunks: each hunk's first, then each one's second...; pinned,
they stay whatever the budget), a commit whose patch changes a line that raises (`raise`, `throw`,
a panic, a returned error; with the lines its statement continues over) when the request asks
about errors, exceptions or what code raises (at most MAX_RAISE_LINES, taken round the hunks),
and each commit touching a file the request
names (by a term that names the files of at most half the commits). Then the best commits while they fit the
budget (`target_ratio` of the log, the run's option when given, at least `min_tokens`, scaled
by bias).

A kept commit keeps its header whole (the sha line with its refs, `Merge:`, `Author:`, the dates
and the subject line) and, whatever the budget, the --name-status, --stat or --name-only lines
the request points to: those named by the most specific request term naming any (by path, file
name, module name or directory, a rename by either path; `packaging/tags.py` rather than
`packaging`, which names a dozen), or all of them when it has at most `few_files`. Then, best
commit first, as the budget allows, its message and stat summary and up to `max_files` of its
file lines (those the request names first), or its message alone. A run of dropped commits
becomes one marker in place, with a summary of how many commits it held, the days they span,
their authors and their signals. In `git log -p` a kept commit brings its patch's file headers
and a marker per file listing its hunk headers, so commits are chosen with that cost, within
half the budget (at least `min_tokens`); the kept commits' patches share the rest under the diff
rules of `crush.diff.v1`: every file header, every hunk header kept or listed, the best hunks'
changed lines, lock and generated files collapsed. There is no faithful re-encoding of a log:
`lossless` leaves it whole, and `auto` is the selection.
"""

from __future__ import annotations

import json
import re
import shlex
from itertools import zip_longest

from headroom.content.diff import CHANGES, FILE, HUNK
from headroom.content.git_log import GitLogDocument
from headroom.pipeline.params import param
from headroom.pipeline.registry import register
from headroom.pipeline.stage import BlockState, RunState
from headroom.stages.crush import CrushStage
from headroom.stages.crush.diff import (
    MARKER_COST,
    DiffParams,
    PatchChooser,
    collapsed_sections,
    fixed_header,
    named_by_request,
    note_collapsed,
    path_names,
    skeleton_cost,
)
from headroom.stages.crush.lines import group_matches, narrow_to
from headroom.stages.crush.scoring import request_identifiers, request_words
from headroom.stages.score import query_terms
from headroom.stages.selection import scaled, target_ratio

# What a signal adds to a commit's rank (a rare request term weighs 0.4 and up, several add up).
SIGNAL_WEIGHTS = {"security": 1.5, "revert": 1.0, "breaking": 1.0, "fix": 0.5}
HEADER_SHARE = 0.5  # in `git log -p`, the share of the budget commit headers may take
MIN_SHA = 7  # a request term this long made of hex digits may be a sha prefix
# The changed lines a pickaxe matched that are pinned, at most this many (scaled by bias), taken
# round the hunks (each hunk's first, then each one's second, ...).
MAX_PICKAXE_LINES = 120


def _rename_paths(line: str) -> list[str]:
    """The paths of a --name-status or --raw line after its status (a rename's or copy's two)."""
    fields = line.split("\t")
    return [field.strip() for field in fields[1:]] if len(fields) > 1 else []


class GitLogParams(DiffParams):
    min_lines: int = param(30, ge=0, description="Logs this short are left whole")
    target_ratio: float = param(
        0.25,
        gt=0,
        le=1,
        description="Keep about this share of the log's tokens, markers included (scaled by bias);"
        " commits the request names are kept beyond it",
    )
    max_files: int = param(
        10, ge=0, description="File lines a kept commit lists (those the request names first; scaled)"
    )
    few_files: int = param(
        4,
        ge=0,
        description="A kept commit with at most this many file lines keeps them all with its header"
        " (scaled); one with more keeps those the request names",
    )


@register("crush.git_log.v1")
class CrushGitLog(CrushStage):
    """Git logs: whole commit headers of the commits the request and the signals rank best, in budget."""

    document_type = GitLogDocument
    Params = GitLogParams
    params: GitLogParams

    def process_block(self, block: BlockState, state: RunState) -> None:
        document = block.document
        assert isinstance(document, GitLogDocument)
        if self.params.policy == "lossless" or len(document.units) <= self.params.min_lines:
            return
        if not document.commits:
            return  # read as a log, but no commit in it: nothing to choose from
        block.pinned |= pickaxe_hits(block, document) | raise_lines(block, document)
        chooser = CommitChooser(block, state, document, self.params)
        narrow_to(block, state, chooser.choose() | block.pinned, self.name)
        block.note(f"{self.name}:commits {len(document.commits)}->{len(chooser.kept)}")
        note_collapsed(block, document, chooser.collapsed, self.name)


def pickaxe(arguments: str) -> re.Pattern[str] | None:
    """What a `git log -G<regex>` or `-S<string>` in the tool call's arguments searched for (`-S` is
    a string unless `--pickaxe-regex`; a regex Python cannot read is taken as a string)."""
    for command in _string_values(arguments):
        if "git" not in command:
            continue
        try:
            words = shlex.split(command)
        except ValueError:
            words = command.split()
        regex_s = "--pickaxe-regex" in words
        for index, word in enumerate(words):
            found = re.fullmatch(r"-([GS])(.*)", word)
            if found is None:
                continue
            text = found[2] or (words[index + 1] if index + 1 < len(words) else "")
            if not text:
                continue
            if found[1] == "G" or regex_s:
                try:
                    return re.compile(text)
                except re.error:
                    pass
            return re.compile(re.escape(text))
    return None


def _string_values(arguments: str) -> list[str]:
    """The string values of a tool call's JSON arguments, as written (options and all); the text
    itself when it is not JSON."""
    try:
        parsed = json.loads(arguments)
    except ValueError:
        return [arguments]
    found: list[str] = []
    pending = [parsed]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return found


def pickaxe_hits(block: BlockState, document: GitLogDocument) -> set[int]:
    """The changed lines of the patches that the tool call's pickaxe matches: what its search found."""
    call = block.block.tool_call
    wanted = pickaxe(call.arguments) if call is not None else None
    if wanted is None:
        return set()
    lines = document.units
    by_hunk: dict[int, list[int]] = {}
    hunk = -1
    for index, kind in enumerate(document.kinds):
        if kind in (FILE, HUNK):
            hunk = index
        elif kind in CHANGES and wanted.search(lines[index][1:]):
            by_hunk.setdefault(hunk, []).append(index)
    most = scaled(MAX_PICKAXE_LINES, block.bias)
    rounds = zip_longest(*by_hunk.values())
    taken = [index for round_ in rounds for index in round_ if index is not None]
    return set(taken[:most])


# The request asks which errors code raises: "which exceptions does X raise", "the errors it throws"
# (not "raised the version").
_ASKS_RAISED = re.compile(r"\b(?:raises?|throws?|thrown|exceptions?|errors?|panics?)\b", re.IGNORECASE)
# A changed line that raises: Python's raise, throw (Java, JavaScript, C#), Rust's and Go's panics,
# Go's returned errors.
_RAISING = re.compile(
    r"^\s*(?:raise\b|throw\b|panic!?\(|return\s+(?:nil,\s*|None,\s*)?(?:err\b|errors?\.New|fmt\.Errorf))"
)
_OPENERS, _CLOSERS = "([{", ")]}"
MAX_RAISE_LINES = 80  # changed lines that raise, pinned when the request asks about errors (scaled)
MAX_CONTINUATION = 4  # lines a raise statement continues over, pinned with it


def raise_lines(block: BlockState, document: GitLogDocument) -> set[int]:
    """When the request asks which errors code raises, the changed lines of the patches that raise
    (each with the lines its statement continues over, when it leaves a bracket open): what the
    answer quotes. At most MAX_RAISE_LINES, taken round the hunks as the pickaxe's are. Before
    them, the error lines of the concept the request asks the errors of (`concept_error_lines`)."""
    if not _ASKS_RAISED.search(block.block.query):
        return set()
    lines, kinds = document.units, document.kinds
    by_hunk: dict[int, list[int]] = {}
    hunk = -1
    for index, kind in enumerate(kinds):
        if kind in (FILE, HUNK):
            hunk = index
        elif kind in CHANGES and _RAISING.match(lines[index][1:]):
            by_hunk.setdefault(hunk, []).extend(_statement(lines, kinds, index))
    rounds = zip_longest(*by_hunk.values())
    taken = [index for round_ in rounds for index in round_ if index is not None]
    return concept_error_lines(block, document) | set(taken[: scaled(MAX_RAISE_LINES, block.bias)])


# A changed line about an error: one that raises, catches, or defines an error class.
_ERROR_LINE = re.compile(
    r"^\s*(?:raise\b|throw\b|except\b|\}?\s*catch\b|panic!?\("
    r"|class\s+\w*(?:Error|Exception|Warning)\w*\b|class\s+\w+\([\w.]*(?:Error|Exception|Warning)\w*)"
)
MAX_CONCEPT_LINES = 60  # error lines of the concept the request names, pinned (scaled)
# A concept is a word of the request this long, not one of the words asking for errors.
_CONCEPT_MIN = 4


# The words (and stems) that ask for errors: no concept of their own.
_ERROR_WORDS = ("rais", "throw", "error", "except", "catch", "caught", "panic", "fail", "fault", "bug")


def _asks_errors(term: str) -> bool:
    return any(term.startswith(word) or word.startswith(term) for word in _ERROR_WORDS)


def concept_error_lines(block: BlockState, document: GitLogDocument) -> set[int]:
    """For "which errors about timeouts did these releases change?": the changed lines that raise,
    catch or define an error class (`_ERROR_LINE`) and name a concept of the request (one of its
    words, or the word's stem, anywhere in the line and in any case: `_TimeoutError`,
    `ReadTimeoutError`, "timed out" for "timeouts"), each with the lines its statement continues
    over. At most MAX_CONCEPT_LINES, in order."""
    concepts = [
        term
        for term in query_terms(block.block.query)
        if len(term) >= _CONCEPT_MIN and term.isalpha() and not _asks_errors(term)
    ]
    if not concepts:
        return set()
    lines, kinds = document.units, document.kinds
    found: list[int] = []
    for index, kind in enumerate(kinds):
        if kind not in CHANGES or not _ERROR_LINE.match(lines[index][1:]):
            continue
        lowered = lines[index].lower()
        if any(concept in lowered for concept in concepts):
            found.extend(_statement(lines, kinds, index))
    return set(found[: scaled(MAX_CONCEPT_LINES, block.bias)])


def _statement(lines: list[str], kinds: list[str], first: int) -> list[int]:
    """A changed line and the changed lines of the same side its statement continues over."""
    depth = _depth(lines[first][1:])
    found = [first]
    index = first + 1
    while depth > 0 and index < len(lines) and len(found) <= MAX_CONTINUATION:
        if kinds[index] not in CHANGES or lines[index][:1] != lines[first][:1]:
            break
        depth += _depth(lines[index][1:])
        found.append(index)
        index += 1
    return found


def _depth(code: str) -> int:
    """How many brackets a line leaves open (strings are not read: a rough count is enough here)."""
    return sum(code.count(ch) for ch in _OPENERS) - sum(code.count(ch) for ch in _CLOSERS)


class CommitChooser:
    """Which commits of a log stay, and how much of each."""

    def __init__(self, block: BlockState, state: RunState, document: GitLogDocument, params: GitLogParams):
        self.block = block
        self.state = state
        self.document = document
        self.params = params
        self.tokens = state.unit_tokens(block)
        self.kept: list[int] = []
        self.collapsed: set[int] = set()
        self.terms = request_words(block)
        self.names = frozenset(request_identifiers(block))
        self._named: dict[int, dict[int, int]] = {}

    def choose(self) -> set[int]:
        document = self.document
        ratio = target_ratio(self.state, self.params.target_ratio)  # the run's option when given
        budget = max(self.params.min_tokens, ratio * sum(self.tokens)) * self.block.bias
        patched = bool(document.sections)
        self.collapsed = collapsed_sections(document, self.params)
        document.collapse(self.collapsed)
        # In `git log -p` a kept commit brings its patch's file and hunk headers, and a marker
        # for each hunk body: the commits take at most half the budget with those, the hunks the rest.
        frame_budget = max(budget * HEADER_SHARE, min(budget, self.params.min_tokens)) if patched else budget
        chosen = set(document.preamble())
        spent = sum(self.tokens[i] for i in chosen)
        must = self._must_keep()
        for position in sorted(must):
            spent += self._take(position, self._header(position), chosen) + self._skeleton_cost(position)
        # Best first, each commit as full as the budget allows: with its message and file lines,
        # with its message, or its header alone (a commit kept whatever the budget has that already).
        for position in self._ranked():
            skeleton = 0 if position in must else self._skeleton_cost(position)  # counted already
            marker = 0 if position in must else MARKER_COST
            for lines in self._fullest_first(position):
                if spent + self._cost(lines, chosen) + skeleton + marker <= frame_budget:
                    spent += self._take(position, lines, chosen) + skeleton
                    break
        if patched:
            skeletons = sum(self._skeleton_cost(position) for position in self.kept)
            chosen |= self._patches(budget - spent + skeletons)
        return chosen

    def _skeleton_cost(self, position: int) -> int:
        """What a commit's patch costs with every hunk dropped: the file headers that stay whatever
        (`fixed_header`), the hunks (and plain files) listed in markers."""
        document = self.document
        commit = document.commits[position]
        sections = [p for p, section in enumerate(document.sections) if section.lines.start in commit.lines]
        if not sections:
            return 0
        fixed = sum(self.tokens[i] for p in sections for i in fixed_header(document, p, self.collapsed))
        listed = [p for p in sections if p not in self.collapsed]
        return fixed + skeleton_cost(document, listed) + MARKER_COST * (len(sections) - len(listed))

    def _take(self, position: int, lines: set[int], chosen: set[int]) -> int:
        cost = self._cost(lines, chosen)
        chosen |= lines
        if position not in self.kept:
            self.kept.append(position)
        return cost

    def _cost(self, lines: set[int], chosen: set[int]) -> int:
        return sum(self.tokens[i] for i in lines if i not in chosen)

    def _header(self, position: int) -> set[int]:
        """What a kept commit always keeps: its header, and the file lines the request names (all of
        them when it has at most `few_files`)."""
        commit = self.document.commits[position]
        if len(commit.file_lines) <= scaled(self.params.few_files, self.block.bias):
            return set(commit.header) | set(commit.file_lines)
        named = self._named_files(position)
        closest = min(named.values(), default=0)
        return set(commit.header) | {index for index, hits in named.items() if hits == closest}

    def _fullest_first(self, position: int) -> list[set[int]]:
        """A commit's header with its message, stat summary and first `max_files` file lines (named
        ones first); with its message and stat summary; alone."""
        commit = self.document.commits[position]
        header = self._header(position)
        described = header | set(commit.message)
        if commit.stat_summary is not None:
            described.add(commit.stat_summary)
        named = self._named_files(position)
        files = sorted(commit.file_lines, key=lambda i: (named.get(i, len(commit.file_lines) + 1), i))
        return [described | set(files[: scaled(self.params.max_files, self.block.bias)]), described, header]

    def _named_files(self, position: int) -> dict[int, int]:
        """The commit's file lines whose paths (both of a rename's) a request term names, each with
        how many of them the most specific such term names: `packaging/tags.py` names one where
        `packaging` names a dozen. A term naming more than half of them names none. Read once."""
        if position in self._named:
            return self._named[position]
        commit = self.document.commits[position]
        lines = self.document.diff_lines()
        paths = {
            index: [path_names(p) for p in (*_rename_paths(lines[index]), path)]
            for index, path in commit.file_lines.items()
        }
        named: dict[int, int] = {}
        for term in self.terms:
            bare = term.strip("/")
            hits = [i for i, held in paths.items() if any(bare in names for names in held)]
            if hits and len(hits) <= len(paths) / 2:
                for index in hits:
                    named[index] = min(named.get(index, len(hits)), len(hits))
        self._named[position] = named
        return named

    def _must_keep(self) -> set[int]:
        """Commits holding a pinned line, named by a sha prefix, or touching a file the request names."""
        document = self.document
        pinned = self.block.pinned
        terms = self.terms
        shas = [t for t in terms if len(t) >= MIN_SHA and all(ch in "0123456789abcdef" for ch in t)]
        must = set()
        for position, commit in enumerate(document.commits):
            if any(i in pinned for i in commit.lines) or any(commit.sha.startswith(sha) for sha in shas):
                must.add(position)
        files = {position: document.files_of(commit) for position, commit in enumerate(document.commits)}
        return must | named_by_request(terms, files)

    def _ranked(self) -> list[int]:
        """The commits best first: the request's terms, then the signals; newest (first in the log)
        among equals."""
        document = self.document
        owner = [-1] * len(document.units)
        for position, commit in enumerate(document.commits):
            for index in commit.lines:
                if document.kinds[index] not in (FILE, HUNK) or index in commit.header:
                    owner[index] = position
        matches = group_matches(document.units, owner, len(document.commits), self.terms, names=self.names)

        scores = [
            matches.weights[position] + sum(SIGNAL_WEIGHTS[signal] for signal in commit.signals)
            for position, commit in enumerate(document.commits)
        ]
        return sorted(range(len(document.commits)), key=lambda p: (-scores[p], p))

    def _patches(self, budget: float) -> set[int]:
        """The kept commits' patches, under the diff rules, within what the headers left."""
        document = self.document
        kept_lines = {i for position in self.kept for i in document.commits[position].lines}
        sections = [p for p, section in enumerate(document.sections) if section.lines.start in kept_lines]
        self.collapsed &= set(sections)
        chooser = PatchChooser(self.block, self.state, document, self.params)
        chosen = chooser.choose(sections, self.collapsed, budget)
        # A patch's file and hunk headers belong to their commit: a dropped commit's never stay.
        return {i for i in chosen if i in kept_lines or document.kinds[i] not in (FILE, HUNK, *CHANGES)}
