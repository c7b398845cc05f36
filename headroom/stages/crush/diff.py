"""crush.diff.v1: unified diffs (`git diff`, `git show`, `diff -u`), hunk by hunk.

A hunk is the unit. What always stays: a commit's header and message, verbatim, and every file
header and hunk header, in one of two forms. Verbatim, above the lines its file or hunk keeps
(and always for a file whose header says more than its path: new, deleted, renamed, copied, a
mode change, binary; and for a collapsed lock or generated file). Or, for a hunk that keeps no
line, listed in the summary of the marker standing for it, by the line ranges it gave and the
function git printed after them, with its file's path when the file keeps nothing either
(`hunks: -27,16 +26,14 "class Lexer:", -58,11 +55,14, tests/t.py -3,7 +3,8`, see
`headroom.markers.Hunks`).

Why listed, not kept: a dropped hunk kept as its header and a marker of its own costs some
seventy tokens, and a file keeping nothing some forty more for its four header lines, so a diff
of many small hunks (a rename across a code base, a formatter's sweep) saved a quarter at best.
Listed, a run of consecutive dropped hunks, across any number of plain files, is ONE marker,
about ten tokens a hunk and a few a path: such diffs save about as much as any. Every hunk's
place and its +/- counts stay readable without retrieving, and the lines by the hash.

Then, within a token budget (`target_ratio` of the diff, the run's option when given, headers and
markers included, scaled by bias; the changed lines get at least `min_tokens` whatever the headers
cost), the hunks' changed lines:

- every hunk of a file the request or the tool call's arguments name (by path, file name or
  module name), when the term names at most half the files: one naming every file (`git diff --
  jwt`) singles nothing out. A directory the request names (`src/`, `urllib3` in a diff of
  urllib3) puts its files' hunks first in the ranking below, not whole: it says which part of the
  diff is meant. The parts of a path the request writes (`src`, `jinja2` of
  src/jinja2/sandbox.py) name nothing on their own unless it also writes them alone. And every
  hunk whose header (what
  git prints after the line counts: the enclosing function or class) holds an identifier the
  request names (`SkipTo`, `decode` of `jwt.decode`), or defines a name that is a plain word of
  the request ("init": `func (c *Ring) init()`; but "lexer" names no `class PythonLexer`);
- the changed lines of the signature of a function or class the request names (from its `def
  name(` line, changed or not, to the line closing its parameters, on the old and the new side),
  with that line: a release that changes `connected_to`'s hints changes lines below an unchanged
  `def connected_to(` that no term of the request is in. A name defined in more than half the hunks
  (`__init__`) names none;
- every hunk whose changed lines carry a security or TODO word (`security`, `CVE-...`, `unsafe`,
  `TODO`, `FIXME`): rare, and never to be summarised away;
- then the other hunks, best first: the request's terms in their changed lines or header (each
  by how few hunks hold it, a term in more than half of them weighing nothing, a name the
  request gives three times a plain word, and words it writes side by side as much as a name,
  also when joined or shortened: "template strings" finds `t-strings`), a line the request
  pins, an error word among the changes; a name the request writes capitalised (`Self`) also
  counts in its own case, where its lower case (`self`) is in most hunks. A term naming the
  diffed files (`pygments`, `lexer` of pygments/lexers/python.py, in any inflection) says which
  file, never which hunk, and
  counts for none; nor do the tool call's programs, options and path parts (`git`, `--stat`).
  First the changed lines that define what the request names (`def name(`, `fn name`, `class
  Name`), then the other changed lines its terms are in, each with a line on each side, from
  the best-matching hunk down; then whole hunks by worth per token, so a small hunk that
  matches comes before a long rewrite.

A kept hunk keeps `context_lines` unchanged lines on each side of its changes (one, by default:
the hunk header already says where it is and in which function, and unchanged lines are the
cheapest thing to drop), plus unchanged lines the request matches. A dropped run's summary also
says which file's lines, of which kind (added, removed, unchanged), it stands for. Lock files
and generated files (package-lock.json, yarn.lock, go.sum, *.min.js, dist/ ...) collapse to
their file header plus a marker counting their lines (and their hunk headers). Every marker
carries the hash that retrieves the whole diff. There is no faithful re-encoding that keeps
lines verbatim: `lossless` leaves the diff whole, and `auto` is the selection.

`git log -p` reuses these rules for the patches of the commits it keeps (`crush.git_log.v1`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from headroom.content.diff import (
    ADDED,
    CHANGES,
    CONTEXT,
    HUNK,
    META,
    NOTE,
    REMOVED,
    DiffDocument,
    FileSection,
)
from headroom.content.signals import ERROR_TERMS, Accept, line_starts, lines_holding, whole_word
from headroom.pipeline.params import param
from headroom.pipeline.registry import register
from headroom.pipeline.stage import BlockState, RunState
from headroom.stages.crush import MARKER_TOKENS, CrushParams, CrushStage
from headroom.stages.crush.lines import (
    NAME_WEIGHT,
    SATURATION,
    GroupMatches,
    group_matches,
    narrow_to,
    relevant,
    starts_a_word,
    word_family,
)
from headroom.stages.crush.scoring import request_identifiers, request_words
from headroom.stages.score import phrase_pairs, phrase_pattern, phrase_short_form
from headroom.stages.selection import scaled, target_ratio
from headroom.tokens import approx_tokens

GENERATED_PATHS = (
    # lock files
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "poetry.lock",
    "Pipfile.lock", "uv.lock", "pdm.lock", "Cargo.lock", "go.sum", "Gemfile.lock", "composer.lock",
    "mix.lock", "pubspec.lock", "Podfile.lock", "flake.lock", "packages.lock.json", "gradle.lockfile",
    # build output and generated code
    "*.min.js", "*.min.css", "*.map", "*_pb2.py", "*_pb2_grpc.py", "*.pb.go", "*.generated.*",
    "dist/*", "build/*", "out/*", ".next/*", "__generated__/*",
    # vendored dependencies
    "vendor/*", "node_modules/*", "third_party/*",
)  # fmt: skip

# Words a changed line must never lose: rare in code, and what a reviewer looks for first. Each is
# found where a word starts: `unsafe_load`, `UnsafeLoader`, "vulnerability", "CVE-2024-1234".
MUST_KEEP_WORDS = (
    "security", "insecure", "unsafe", "vulnerab", "exploit", "cve-", "xss", "csrf", "injection",
    "todo", "fixme", "xxx", "hack",
)  # fmt: skip
NOTE_PATHS = 5  # collapsed files named in the note
_DEFINITION = re.compile(
    r"\b(?:def|fn|func(?:\s*\([^)]*\))?|function\*?|class|struct|interface|trait|enum|type)\s+(\w+)"
)
_CAPITALISED_IN_SENTENCE = re.compile(r"(?<=[a-z,] )[A-Z][A-Za-z0-9_]*\b")
_CAMEL_CASE = re.compile(r"\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+\b")
_HUNK_CONTEXT = re.compile(r"^@{2,} .*? @{2,}(.*)$")  # what git prints after a hunk's counts: its function
# What a dropped run costs in the output: its marker and the summary beside it.
MARKER_COST = MARKER_TOKENS + 16
# What a dropped hunk's header costs listed in its run's summary: `-27,16 +26,14 "def f():", `
HUNK_LISTING_COST = 10
ERROR_BONUS = 0.2  # an error word among a hunk's changes: less than one rare request term (0.4 and up)
PIN_BONUS = 2.0  # a line the request pins
MAX_SIGNATURE_LINES = 40  # a signature longer than this is a body: its changes are not all kept
SCOPE_BONUS = 0.2  # in a directory the request names: like an error word, less than a rare term


class DiffParams(CrushParams):
    min_lines: int = param(30, ge=0, description="Diffs this short are left whole")
    target_ratio: float = param(
        0.4,
        gt=0,
        le=1,
        description="Keep about this share of the diff's tokens, headers and markers included (scaled by"
        " bias); hunks the request names, and security and TODO changes, are kept beyond it",
    )
    min_tokens: int = param(
        600,
        ge=0,
        description="The changed lines get at least this many tokens (scaled by bias), whatever the"
        " file and hunk headers and the markers cost",
    )
    context_lines: int = param(
        1, ge=0, description="Unchanged lines a kept hunk keeps on each side of its changes (scaled by bias)"
    )
    max_relevant_lines: int = param(
        10, ge=0, description="Further unchanged lines kept because they match the request (scaled)"
    )
    collapse_generated: bool = param(
        True, description="Lock files and generated files keep only their file header and a count"
    )
    generated_paths: list[str] = param(
        default_factory=lambda: list(GENERATED_PATHS),
        description="Glob patterns of generated files: a file name, or a path part like `dist/*`",
    )


@register("crush.diff.v1")
class CrushDiff(CrushStage):
    """Diffs: every header, the best hunks' changes within a budget, lock and generated files collapsed."""

    document_type = DiffDocument
    Params = DiffParams
    params: DiffParams

    def process_block(self, block: BlockState, state: RunState) -> None:
        document = block.document
        assert isinstance(document, DiffDocument)
        if self.params.policy == "lossless" or len(document.units) <= self.params.min_lines:
            return
        collapsed = collapsed_sections(document, self.params)
        document.collapse(collapsed)
        meta = {i for i, kind in enumerate(document.kinds) if kind == META}
        chooser = PatchChooser(block, state, document, self.params)
        budget = diff_budget(block, state, self.params)
        spent = sum(chooser.tokens[i] for i in meta)
        chosen = meta | chooser.choose(range(len(document.sections)), collapsed, budget - spent)
        chosen |= block.pinned
        narrow_to(block, state, chosen | document.implied(chosen), self.name)
        note_collapsed(block, document, collapsed, self.name)


def diff_budget(block: BlockState, state: RunState, params: DiffParams) -> float:
    """`target_ratio` of the diff, scaled by bias: the run's option when the caller gives one (it
    asks every block to keep about that share), else this stage's own."""
    return target_ratio(state, params.target_ratio) * state.block_tokens(block) * block.bias


def collapsed_sections(document: DiffDocument, params: DiffParams) -> set[int]:
    """The file sections of lock files and generated files."""
    if not params.collapse_generated:
        return set()
    patterns = params.generated_paths
    return {
        position
        for position, section in enumerate(document.sections)
        if section.marked_generated or is_generated(section.path, patterns)
    }


def note_collapsed(block: BlockState, document: DiffDocument, collapsed: set[int], stage_name: str) -> None:
    if not collapsed:
        return
    paths = list(dict.fromkeys(document.sections[position].path for position in sorted(collapsed)))
    shown = ", ".join(paths[:NOTE_PATHS]) + (
        f" and {len(paths) - NOTE_PATHS} more" if len(paths) > NOTE_PATHS else ""
    )
    block.note(f"{stage_name}:collapsed {shown}")


@dataclass
class Hunk:
    section: int  # its file section
    lines: range  # its header and body
    changes: list[int]  # its added and removed lines


class PatchChooser:
    """Which lines of a diff's file sections stay, hunk by hunk, within a token budget."""

    def __init__(self, block: BlockState, state: RunState, document: DiffDocument, params: DiffParams):
        self.block = block
        self.document = document
        self.params = params
        self.tokens = state.unit_tokens(block)
        self.reach = scaled(params.context_lines, block.bias)
        pairs = phrase_pairs(block.block.query)
        # Words written side by side name one thing, also shortened: "template strings", `t-strings`.
        short_forms = [phrase_short_form(*pair) for pair in pairs]
        self.terms = [*request_words(block), *short_forms]
        self.names = frozenset([*request_identifiers(block), *short_forms])
        self.phrases = [phrase_pattern(*pair) for pair in pairs]
        self._phrase_words = {phrase_pattern(*pair): pair for pair in pairs}
        self._path_words = [path_words([section.path]) for section in document.sections]
        self._ignored_for: dict[tuple[int, ...], dict[str, set[int]]] = {}
        # Only hunk headers and changed lines are searched for words: unchanged lines decide nothing.
        self.searched = [i for i, kind in enumerate(document.kinds) if kind == HUNK or kind in CHANGES]
        self.texts = [document.units[i] for i in self.searched]
        self.starts = line_starts(self.texts)
        joined = "\n".join(self.texts)
        lowered = (
            joined.lower() if len(joined.lower()) == len(joined) else "\n".join(t.lower() for t in self.texts)
        )
        self.must_words = self._found(lowered, MUST_KEEP_WORDS, starts_a_word)
        self.error_words = self._found(lowered, ERROR_TERMS, whole_word)

    def choose(self, sections: Iterable[int], collapsed: set[int], budget: float) -> set[int]:
        """File headers of `sections`, then their hunks' changes while they fit `budget` tokens. A
        hunk keeps its header when any of its lines stay; a dropped one is listed in its run's marker."""
        document = self.document
        positions = list(sections)
        open_sections = [p for p in positions if p not in collapsed]
        hunks = [
            Hunk(p, hunk, [i for i in hunk if document.kinds[i] in CHANGES])
            for p in open_sections
            for hunk in document.sections[p].hunks
        ]
        # A file whose header says more than its path (new, renamed, binary) and a collapsed file keep
        # their header; a plain file's goes with its last kept line, listed in its run's marker.
        chosen = {i for p in positions for i in fixed_header(document, p, collapsed)}
        # Every hunk starts dropped: listed in its file's one marker.
        spent: float = sum(self.tokens[i] for i in chosen) + skeleton_cost(document, open_sections)
        # A diff of many small hunks may spend its whole budget on headers and markers: the changed
        # lines always get `min_tokens` besides.
        budget = max(budget, spent + self.params.min_tokens * self.block.bias)
        matches = self._matches(hunks)
        named, self.scoped = self._named(open_sections)
        in_named = self._in_named_definitions(hunks)
        signatures = self._named_signatures(hunks)
        for position, hunk in enumerate(hunks):
            # The hunks of a file the request names, or inside a function or class it names (the hunk
            # header says which), stay whole; a security or TODO change and a pinned line, with context;
            # and the changes to the signature of a function the request names, with its `def` line.
            whole = hunk.section in named or position in in_named
            defining, signature = signatures.get(position, (set(), []))
            kept = hunk.changes if whole else sorted({*self._must_keep(hunk), *signature})
            body = self._body(hunk, kept) | (defining if kept else set())
            spent += self._cost(body, chosen)
            chosen |= body
        ranked = self._ranked(hunks, matches)
        # Within the budget: first the changed lines that define what the request names (`def
        # name(`, `fn name`, `class Name`), then the other changed lines its terms are in, each
        # with a line on each side, hunk by hunk from the best match down (they cost what they
        # hold, whatever the hunk's size); then whole hunks, by worth per token.
        by_match = sorted(range(len(hunks)), key=lambda p: (-matches.weights[p], p))
        defining = self._definitions(matches)
        passes: tuple[Callable[[int], bool], ...] = (lambda i: i in defining, lambda i: True)
        for wanted in passes:
            for position in by_match:
                lines = sorted(
                    i for i in matches.lines[position] if i in hunks[position].changes and wanted(i)
                )
                if lines:
                    body = self._around(hunks[position], lines)
                    cost = self._cost(body, chosen)
                    if spent + cost <= budget:
                        spent += cost
                        chosen |= body
        for position in ranked:
            body = self._body(hunks[position], hunks[position].changes)
            cost = self._cost(body, chosen)
            if spent + cost <= budget:
                spent += cost
                chosen |= body
        chosen |= self._relevant_context(chosen, hunks)
        chosen |= self._collapsed_lines_kept_anyway(positions, collapsed)
        return chosen

    def _named(self, sections: list[int]) -> tuple[set[int], set[int]]:
        """(named, scoped): the sections whose file the request names by its path, file name or
        module name (`named_sections`), and those it only names a directory of (`src/`, `urllib3`
        in a diff of urllib3): a directory says which part of the diff is meant, so its files'
        hunks come first, not whole."""
        named = named_sections(self.block, self.document, sections)
        terms = file_naming_terms(self.block)
        files = {p for p in named if any(names_file(t, self.document.sections[p].path) for t in terms)}
        return files, named - files

    def _found(self, lowered: str, words: Sequence[str], accept: Accept) -> set[int]:
        """The searched lines holding any of `words` where `accept` allows the hit."""
        if len(lowered) != sum(len(text) + 1 for text in self.texts) - 1:
            return set()  # a character whose lower case is longer moved the offsets
        return {self.searched[k] for word in words for k in lines_holding(lowered, self.starts, word, accept)}

    def _ignored(self, hunks: list[Hunk]) -> dict[str, set[int]]:
        """For each term and phrase, the hunks whose file it names (`pygments` and `lexer` for
        pygments/lexers/python.py, in any inflection): there it says which file, never which of
        its hunks (files are chosen by `named_sections`), so it counts for none of them; in the
        other files' hunks it counts (`option` names docs/options.md, not click's `class Option`)."""
        key = tuple(hunk.lines.start for hunk in hunks)
        if key in self._ignored_for:
            return self._ignored_for[key]
        ignored: dict[str, set[int]] = {}
        sections = sorted({hunk.section for hunk in hunks})
        for term in [*self.terms, *self.names, *self.phrases]:
            words = self._phrase_words.get(term, (term,))
            naming = {p for p in sections if any(names_a_path(word, self._path_words[p]) for word in words)}
            if naming:
                ignored[term] = {position for position, hunk in enumerate(hunks) if hunk.section in naming}
        self._ignored_for[key] = ignored
        return ignored

    def _matches(self, hunks: list[Hunk]) -> GroupMatches:
        """The request's terms in each hunk's header and changed lines."""
        where = {
            index: position
            for position, hunk in enumerate(hunks)
            for index in (hunk.lines.start, *hunk.changes)
        }
        owner = [where.get(index, -1) for index in self.searched]
        found = group_matches(
            self.texts,
            owner,
            len(hunks),
            self.terms,
            self.starts,
            self.names,
            self.phrases,
            self._ignored(hunks),
        )
        weights = list(found.weights)
        lines = [{self.searched[k] for k in held} for held in found.lines]
        for position, (weight, held) in enumerate(self._cased_matches(owner, len(hunks))):
            weights[position] += weight
            lines[position] |= held
        return GroupMatches(weights, lines)

    def _cased_matches(self, owner: list[int], groups: int) -> list[tuple[float, set[int]]]:
        """Per hunk, the weight and the lines of the names the request writes capitalised (`Self`,
        `Response`) where fewer hunks hold them in that case than in lower case (`self`,
        `response`, which may be everywhere): in its own case such a name is rarer and names one
        thing, so it counts as a name of that rarity, besides whatever its lower case counts."""
        found: list[tuple[float, set[int]]] = [(0.0, set()) for _ in range(groups)]
        lowered = [text.lower() for text in self.texts]
        for name in cased_names(self.block.block.query):
            pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")
            held: dict[int, set[int]] = {}
            for k, text in enumerate(self.texts):
                if owner[k] >= 0 and pattern.search(text):
                    held.setdefault(owner[k], set()).add(self.searched[k])
            lower = name.lower()
            common = {owner[k] for k, text in enumerate(lowered) if owner[k] >= 0 and lower in text}
            if not held or len(held) >= len(common) or len(held) > groups / 2:
                continue
            tells = math.log((groups + 1) / (len(held) + 0.5))
            weight = tells * NAME_WEIGHT
            for position, holding in held.items():
                gained = weight * len(holding) * (SATURATION + 1) / (len(holding) + SATURATION)
                found[position] = (found[position][0] + gained, found[position][1] | holding)
        return found

    def _definitions(self, matches: GroupMatches) -> set[int]:
        """The matched lines that define a term of the request: the term right after `def`, `fn`,
        `func` (and a Go receiver), `function`, `class`, `struct`, `interface`, `trait`, `enum`, `type`."""
        terms = set(self.terms)
        units = self.document.units
        return {
            i
            for lines in matches.lines
            for i in lines
            if any(name.lower() in terms for name in _DEFINITION.findall(units[i]))
        }

    def _in_named_definitions(self, hunks: list[Hunk]) -> set[int]:
        """Hunks whose header names, after its line counts, a function or class the request names:
        by an identifier (a term in at most half the hunk headers), or by a plain word that is the
        defined name itself ("init" for `func (c *Ring) init()`; "lexer" names no `class
        PythonLexer`), when at most half the hunks are in a definition of that name."""
        contexts = []
        for hunk in hunks:
            found = _HUNK_CONTEXT.match(self.document.units[hunk.lines.start])
            contexts.append(found[1] if found is not None else "")
        ignored = self._ignored(hunks)
        matches = group_matches(contexts, range(len(hunks)), len(hunks), sorted(self.names), ignored=ignored)
        named = {position for position, lines in enumerate(matches.lines) if lines}
        words = set(self.terms)
        defined: dict[str, set[int]] = {}
        for position, context in enumerate(contexts):
            for name in _DEFINITION.findall(context):
                if name.lower() in words:
                    defined.setdefault(name.lower(), set()).add(position)
        return named.union(*(held for held in defined.values() if len(held) <= len(hunks) / 2))

    def _named_signatures(self, hunks: list[Hunk]) -> dict[int, tuple[set[int], list[int]]]:
        """Per hunk, the definition lines (`def name(`, changed or not) of a function or class the
        request names, and the changed lines of their signatures, up to the line closing the
        parameters: a release that changes a function's hints or parameters changes those lines,
        often below an unchanged `def` line that no term of the request matches. A name counts
        when at most half the hunks define it (an `__init__` in every class names none)."""
        terms = set(self.terms)
        units = self.document.units
        found: dict[str, dict[int, tuple[set[int], list[int]]]] = {}
        for position, hunk in enumerate(hunks):
            for index in hunk.lines[1:]:
                if self.document.kinds[index] not in (CONTEXT, *CHANGES):
                    continue
                for name in _DEFINITION.findall(units[index]):
                    if name.lower() in terms:
                        of_name = found.setdefault(name.lower(), {})
                        defining, changes = of_name.setdefault(position, (set(), []))
                        defining.add(index)
                        changes.extend(self._signature_changes(hunk, index))
        signatures: dict[int, tuple[set[int], list[int]]] = {}
        for held in found.values():
            if len(held) > len(hunks) / 2:
                continue
            for position, (defining, changes) in held.items():
                lines, changed = signatures.setdefault(position, (set(), []))
                lines |= defining
                changed.extend(changes)
        return signatures

    def _signature_changes(self, hunk: Hunk, start: int) -> list[int]:
        """The changed lines from a definition line at `start` to the line that closes its
        parameters, on the old side (unchanged and removed lines) and the new (unchanged and added)."""
        units, kinds = self.document.units, self.document.kinds
        # Each side the definition is on counts its own parentheses: old and new may differ.
        depth = {side: 0 for side in (ADDED, REMOVED) if kinds[start] in (CONTEXT, side)}
        changes: list[int] = []
        for index in range(start, min(hunk.lines.stop, start + MAX_SIGNATURE_LINES)):
            kind = kinds[index]
            if kind in CHANGES:
                changes.append(index)
            elif kind != CONTEXT:
                continue  # a note
            text = units[index][1:]
            for side in depth:
                if kind in (CONTEXT, side):
                    depth[side] += text.count("(") - text.count(")")
            if all(level <= 0 for level in depth.values()):
                break
        return [i for i in changes if units[i][1:].strip()]

    def _must_keep(self, hunk: Hunk) -> list[int]:
        return [i for i in hunk.changes if i in self.block.pinned or i in self.must_words]

    def _ranked(self, hunks: list[Hunk], matches: GroupMatches) -> list[int]:
        """Best first: the request's terms, a pinned line, an error word; then the cheaper; then in order."""
        pinned = self.block.pinned

        def key(position: int) -> tuple[float, int, int]:
            hunk = hunks[position]
            score = matches.weights[position]
            score += PIN_BONUS if any(i in pinned for i in hunk.changes) else 0.0
            score += ERROR_BONUS if any(i in self.error_words for i in hunk.changes) else 0.0
            score += SCOPE_BONUS if hunk.section in self.scoped else 0.0
            cost = sum(self.tokens[i] for i in hunk.changes)
            # Worth per token, with returns that diminish as a hunk grows: a small hunk that matches
            # comes before a long rewrite that matches a little more.
            return (-score / math.sqrt(max(1, cost)), cost, hunk.lines.start)

        return sorted(range(len(hunks)), key=key)

    def _body(self, hunk: Hunk, changes: Sequence[int]) -> set[int]:
        """The changes with their notes and `reach` unchanged lines on each side, within the hunk,
        and the hunk's and its file's headers when any stay."""
        kinds = self.document.kinds
        body: set[int] = set(changes) | (self._headers(hunk) if changes else set())
        for index in changes:
            for step in (-1, 1):
                position, walked = index + step, 0
                while position in hunk.lines and kinds[position] != HUNK:
                    kind = kinds[position]
                    if kind in CHANGES:
                        break  # that change keeps its own context
                    if kind == NOTE:
                        body.add(position)
                    elif walked < self.reach:
                        body.add(position)
                        walked += 1
                    else:
                        break
                    position += step
        return body

    def _around(self, hunk: Hunk, lines: Sequence[int]) -> set[int]:
        """The lines with `reach` lines of any kind on each side, within the hunk's body, and the
        hunk's and its file's headers."""
        body: set[int] = self._headers(hunk)
        for index in lines:
            low, high = (
                max(hunk.lines.start + 1, index - self.reach),
                min(hunk.lines.stop, index + self.reach + 1),
            )
            body.update(range(low, high))
        return body

    def _headers(self, hunk: Hunk) -> set[int]:
        """A hunk's header and its file's."""
        return {hunk.lines.start, *self.document.sections[hunk.section].header(self.document.kinds)}

    def _cost(self, lines: set[int], chosen: set[int]) -> float:
        """What keeping `lines` adds: their tokens, and a marker for each dropped run they split
        in two, less the listing of each hunk header (and file path) they bring back."""
        new = sorted(i for i in lines if i not in chosen)
        document = self.document
        kinds = document.kinds
        cost: float = sum(self.tokens[i] for i in new)
        cost -= HUNK_LISTING_COST * sum(1 for i in new if kinds[i] == HUNK)
        starts = {section.lines.start: section for section in document.sections}
        cost -= sum(path_listing_cost(starts[i].path) for i in new if i in starts)
        return cost + MARKER_COST * sum(self._splits(first, last, chosen) for first, last in spans(new))

    def _splits(self, first: int, last: int, chosen: set[int]) -> int:
        """+1 when lines first..last fall inside a dropped run (splitting it), -1 when they join two
        kept runs (closing the dropped run between), else 0. Meta lines count as kept."""
        kinds = self.document.kinds

        def kept(index: int) -> bool:
            return not 0 <= index < len(kinds) or index in chosen or kinds[index] == META

        return {(False, False): 1, (True, True): -1}.get((kept(first - 1), kept(last + 1)), 0)

    def _relevant_context(self, chosen: set[int], hunks: list[Hunk]) -> set[int]:
        """Unchanged lines the request matches, in hunks whose changes are kept."""
        kept = [h for h in hunks if any(i in chosen for i in h.changes)]
        context = [i for h in kept for i in h.lines if self.document.kinds[i] == CONTEXT]
        return relevant(self.block, scaled(self.params.max_relevant_lines, self.block.bias), context)

    def _collapsed_lines_kept_anyway(self, positions: list[int], collapsed: set[int]) -> set[int]:
        """In a collapsed file, a pinned line (it holds what the request names) keeps its hunk's header."""
        kept: set[int] = set()
        for position in positions:
            if position not in collapsed:
                continue
            section: FileSection = self.document.sections[position]
            for hunk in section.hunks:
                pinned = {i for i in hunk[1:] if i in self.block.pinned}
                if pinned:
                    kept |= pinned | {hunk.start}
        return kept


def spans(indices: Sequence[int]) -> list[tuple[int, int]]:
    """The (first, last) of each run of consecutive numbers in sorted `indices`."""
    found: list[tuple[int, int]] = []
    for index in indices:
        if found and found[-1][1] == index - 1:
            found[-1] = (found[-1][0], index)
        else:
            found.append((index, index))
    return found


def fixed_header(document: DiffDocument, position: int, collapsed: Iterable[int]) -> list[int]:
    """The header lines a file keeps whatever stays of it: all of them for a file whose header says
    more than its path (new, deleted, renamed, mode, binary) or that collapses; none for a plain one."""
    section = document.sections[position]
    return [] if section.plain and position not in collapsed else list(section.header(document.kinds))


def path_listing_cost(path: str) -> int:
    """What a path costs written in a run's summary."""
    return approx_tokens(path) + 1


def skeleton_cost(document: DiffDocument, sections: Iterable[int]) -> int:
    """What the hunks of `sections` cost with every one dropped: each hunk header listed in its
    run's summary, a plain file's path there too, and a marker per run (a run ends where a file
    keeps its header)."""
    cost = MARKER_COST
    for position in sections:
        section = document.sections[position]
        if not section.hunks:
            continue
        cost += HUNK_LISTING_COST * len(section.hunks)
        cost += path_listing_cost(section.path) if section.plain else MARKER_COST
    return cost


def named_sections(block: BlockState, document: DiffDocument, positions: Sequence[int]) -> set[int]:
    """The file sections whose file the request or the tool arguments name."""
    paths = {p: document.sections[p].path for p in positions}
    return named_by_request(file_naming_terms(block), {p: [path] for p, path in paths.items()})


def file_naming_terms(block: BlockState) -> list[str]:
    """The request's terms that may name files: all of them but the parts of a path the request
    writes (`src`, `jinja2` of src/jinja2/sandbox.py) that it never writes on their own. Such a part
    says where the named file is, not that every file beside it is asked about."""
    terms = request_words(block)
    paths = [term for term in terms if "/" in term]
    if not paths:
        return terms
    rest = block.block.query.lower()
    for path in paths:
        rest = rest.replace(path, " ")
    parts = {part for path in paths for part in re.split(r"[/.]", path) if part}
    return [term for term in terms if term not in parts or written_alone(term, rest)]


def written_alone(term: str, text: str) -> bool:
    """Whether `term` stands in `text` as a word of its own, not as a part of a path or a name."""
    return re.search(rf"(?<![\w/.-]){re.escape(term)}(?![\w/-]|\.\w)", text) is not None


def named_by_request(terms: Sequence[str], paths_of: dict[int, list[str]]) -> set[int]:
    """The keys whose paths a request term names, counting only terms that name at most half of
    them: a term naming every file (`-- jwt` in `git diff -- jwt`) or most of them singles none out."""
    named: set[int] = set()
    names_of = {key: [path_names(path) for path in paths] for key, paths in paths_of.items()}
    for term in terms:
        bare = term.strip("/")
        hits = {key for key, names in names_of.items() if any(bare in held for held in names)}
        if hits and len(hits) <= len(paths_of) / 2:
            named |= hits
    return named


def cased_names(query: str) -> list[str]:
    """The words a request writes capitalised inside a sentence, or in CamelCase (`Self`, `PoolManager`):
    names, which the code writes in the same case."""
    found = _CAPITALISED_IN_SENTENCE.findall(query) + _CAMEL_CASE.findall(query)
    return sorted(set(found))


def names_file(term: str, path: str) -> bool:
    """Whether a (lower-cased) request term names a path's file itself: the path or a tail of it
    holding the file name (`jwt/api_jwt.py`, `api_jwt.py`), or its module name (`api_jwt`)."""
    parts = path.lower().split("/")
    bare = term.strip("/")
    return bare == parts[-1].split(".", 1)[0] or any(bare == "/".join(parts[i:]) for i in range(len(parts)))


def names_path(term: str, path: str) -> bool:
    """Whether a (lower-cased) request term names a path: the path itself or its tail, its file name,
    its module name (`api_jwt` for jwt/api_jwt.py), or a directory it sits in (or a run of them)."""
    return term.strip("/") in path_names(path)


def path_names(path: str) -> frozenset[str]:
    """Every run of a path's parts (`src/jwt/api_jwt.py`: src, jwt, src/jwt, jwt/api_jwt.py, ...),
    and its file name up to the first dot, lower-cased: each names it (`names_path`)."""
    parts = path.lower().split("/")
    runs = {"/".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1)}
    return frozenset({*runs, parts[-1].split(".", 1)[0]})


def path_words(paths: Iterable[str]) -> frozenset[str]:
    """The roots (`word_root`) of the words the paths are made of: each directory, file name, file
    name up to its first dot and extension, lower-cased (`pygments/lexers/python.py`: pygments,
    lexer, python.py, python, py)."""
    words: set[str] = set()
    for path in paths:
        for part in path.lower().split("/"):
            if part:
                words.update(word_root(word) for word in (part, *part.split(".")) if word)
    return frozenset(words)


def names_a_path(term: str, words: frozenset[str]) -> bool:
    """Whether a request term, or a stem of it, is one of a diff's path words, or a path ending in one."""
    return word_root(term) in words or word_root(term.strip("/").rsplit("/", 1)[-1]) in words


def word_root(word: str) -> str:
    """A word with its inflections taken off while any are (`testings`, `testing` and `test`, or
    `pyparsing` and its stem `pypars`, share one)."""
    shorter = word_family(word)
    while shorter != word:
        word, shorter = shorter, word_family(shorter)
    return word


def is_generated(path: str, patterns: list[str]) -> bool:
    """Whether a path matches a pattern: by file name, or (patterns with a `/`) from any directory on."""
    name = path.rsplit("/", 1)[-1]
    for pattern in patterns:
        if "/" not in pattern:
            if fnmatchcase(name, pattern):
                return True
            continue
        parts = path.split("/")
        if any(fnmatchcase("/".join(parts[start:]), pattern) for start in range(len(parts))):
            return True
    return False
