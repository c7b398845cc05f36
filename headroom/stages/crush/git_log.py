"""crush.git_log.v1: git history (`git log` in every form, and the commits of `git log -p`).

The commit is the unit. Commits are ranked by the request (the user's question and the tool
call's identifiers: a file it names, a function, an author, a sha prefix, a version; a term
found in most commits weighs nothing) and by their signals (a revert, a security fix, a breaking
change, a fix), newest first among equals. Always kept: a commit holding a line the request pins,
one whose sha starts with a sha the request gives, and each commit touching a file the request
names (by a term that names the files of at most half the commits). Then the best commits while they fit the
budget (`target_ratio` of the log, at least `min_tokens`, scaled by bias).

A kept commit keeps its header whole (the sha line with its refs, `Merge:`, `Author:`, the dates
and the subject line), then as the budget allows its message, its stat summary and up to
`max_files` of its file lines (those the request names first). A run of dropped commits becomes
one marker in place, with a summary of how many commits it held, the days they span, their
authors and their signals. In `git log -p` a kept commit brings its patch's file and hunk
headers (and a marker for each hunk body), so commits are chosen with that cost, within half the
budget (at least `min_tokens`); the kept commits' patches share the rest under the diff rules
of `crush.diff.v1`: every file header and hunk header, the best hunks' changed lines, lock and
generated files collapsed. There is no faithful re-encoding of a log: `lossless` leaves it
whole, and `auto` is the selection.
"""

from __future__ import annotations

from headroom.content.diff import CHANGES, FILE, HUNK
from headroom.content.git_log import GitLogDocument
from headroom.params import param
from headroom.registry import register
from headroom.selection import scaled
from headroom.stage import BlockState, RunState
from headroom.stages.crush import CrushStage
from headroom.stages.crush.diff import (
    MARKER_COST,
    DiffParams,
    PatchChooser,
    collapsed_sections,
    named_by_request,
    names_path,
    note_collapsed,
)
from headroom.stages.crush.lines import group_matches, narrow_to
from headroom.stages.crush.scoring import request_identifiers, request_words

# What a signal adds to a commit's rank (a rare request term weighs 0.4 and up, several add up).
SIGNAL_WEIGHTS = {"security": 1.5, "revert": 1.0, "breaking": 1.0, "fix": 0.5}
HEADER_SHARE = 0.5  # in `git log -p`, the share of the budget commit headers may take
MIN_SHA = 7  # a request term this long made of hex digits may be a sha prefix


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


@register("crush.git_log.v1")
class CrushGitLog(CrushStage):
    """Git logs: whole commit headers of the commits the request and the signals rank best, in budget."""

    document_type = GitLogDocument
    handles = frozenset({"git_log"})
    Params = GitLogParams
    params: GitLogParams

    def process_block(self, block: BlockState, state: RunState) -> None:
        document = block.document
        assert isinstance(document, GitLogDocument)
        if self.params.policy == "lossless" or len(document.units) <= self.params.min_lines:
            return
        if not document.commits:
            return  # read as a log, but no commit in it: nothing to choose from
        chooser = CommitChooser(block, state, document, self.params)
        narrow_to(block, state, chooser.choose() | block.pinned, self.name)
        block.note(f"{self.name}:commits {len(document.commits)}->{len(chooser.kept)}")
        note_collapsed(block, document, chooser.collapsed, self.name)


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

    def choose(self) -> set[int]:
        document = self.document
        budget = max(self.params.min_tokens, self.params.target_ratio * sum(self.tokens)) * self.block.bias
        patched = bool(document.sections)
        self.collapsed = collapsed_sections(document, self.params)
        # In `git log -p` a kept commit brings its patch's file and hunk headers, and a marker
        # for each hunk body: the commits take at most half the budget with those, the hunks the rest.
        frame_budget = max(budget * HEADER_SHARE, min(budget, self.params.min_tokens)) if patched else budget
        chosen = set(document.preamble())
        spent = sum(self.tokens[i] for i in chosen)
        must = self._must_keep()
        for position in sorted(must):
            spent += self._take(position, self._header(position), chosen) + self._skeleton_cost(position)
        for position in self._ranked():
            if position in must:
                continue
            header = self._header(position)
            for lines in (header | self._details(position), header):
                cost = self._cost(lines, chosen) + MARKER_COST + self._skeleton_cost(position)
                if spent + cost <= frame_budget:
                    spent += self._take(position, lines, chosen) + self._skeleton_cost(position)
                    break
        for position in sorted(must):  # the commits kept whatever the budget show their details as it allows
            details = self._details(position)
            if spent + self._cost(details, chosen) <= frame_budget:
                spent += self._take(position, details, chosen)
        if patched:
            skeletons = sum(self._skeleton_cost(position) for position in self.kept)
            chosen |= self._patches(budget - spent + skeletons)
        return chosen

    def _skeleton_cost(self, position: int) -> int:
        """What a commit's patch costs with every hunk body dropped: file and hunk headers, markers."""
        document = self.document
        commit = document.commits[position]
        cost = 0
        for index, section in enumerate(document.sections):
            if section.lines.start not in commit.lines:
                continue
            hunks = [] if index in self.collapsed else section.hunks
            headers = [i for i in section.lines if document.kinds[i] == FILE] + [h.start for h in hunks]
            cost += sum(self.tokens[i] for i in headers) + MARKER_COST * max(1, len(hunks))
        return cost

    def _take(self, position: int, lines: set[int], chosen: set[int]) -> int:
        cost = self._cost(lines, chosen)
        chosen |= lines
        if position not in self.kept:
            self.kept.append(position)
        return cost

    def _cost(self, lines: set[int], chosen: set[int]) -> int:
        return sum(self.tokens[i] for i in lines if i not in chosen)

    def _header(self, position: int) -> set[int]:
        return set(self.document.commits[position].header)

    def _details(self, position: int) -> set[int]:
        """A commit's message, stat summary and first `max_files` file lines, named ones first."""
        commit = self.document.commits[position]
        details = set(commit.message)
        if commit.stat_summary is not None:
            details.add(commit.stat_summary)
        terms = self.terms
        files = sorted(
            commit.file_lines,
            key=lambda i: (not any(names_path(term, commit.file_lines[i]) for term in terms), i),
        )
        details.update(files[: scaled(self.params.max_files, self.block.bias)])
        return details

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
