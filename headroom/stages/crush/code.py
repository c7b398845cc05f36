"""crush.code.v1: source code, outlined.

Kept: imports, every signature (decorators and headers of functions, methods
and classes), the summary of each docstring and doc comment (up to the end of
its first sentence or paragraph, at most `max_doc_lines`: PEP 257's summary
line, javadoc's first sentence), module- and class-level statements
(constants), and in full every function the request or the tool call names or
that a stack trace earlier in the conversation points into. A function holding
a pinned line stays whole when it is short (PINNED_BODY_LINES) and fits the
relevance capacity, those holding the most pinned lines first; a longer one
keeps its pinned lines with their neighbours. Functions that match the request
best are kept whole too, up to a capacity the hook bias scales; the functions
already kept whole for the request (named, traced, holding pinned lines) take
their share of it first (never more than two thirds): they are what it asks
about. One that matches but does not fit keeps the
lines that match, each with the line on either side; the first MAX_EXIT_BODIES
such functions (the best matches, then the first with pinned lines) keep their
control-flow exits and error paths too (`CodeDocument.exit_lines`: every return,
raise, throw, panic or exit, the catch and except headers, and the `if` rows
guarding them), nearest those lines first. The lines that call a function the
request names stay too, with a line on either side (for "what does `npm cache
verify` call?", the `case 'verify': return await this.verify()` that
dispatches to it). A function the request names as code (`Class.method`,
`method()`, `snake_case`, `camelCase`) or spells as words ("compute if absent" for
`computeIfAbsent`, `headroom.content.spelled`; such a spelling names it too) also keeps the
functions of the file it calls, CALLEE_DEPTH calls deep, nearest first: a short one whole (up to
MAX_CALLEE_LINES of them), a longer one its exits (for "what does get() throw
for a cancelled task?", the helper two calls down that builds the exception).
Every other function body becomes one marker line naming it; long data
statements keep their first lines.

Which function a trace frame points into comes from its file and line:
`File "x.py", line 88, in handle`, `at f (src/x.js:27:19)`, `x.go:123`. Frames
are read from the turns before the block (its request, earlier tool outputs)
and matched to the file the tool call read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from headroom.content.code import CodeDocument, language_for_path
from headroom.content.code_outline import Definition
from headroom.content.spelled import spelled, spellings
from headroom.pipeline.params import param
from headroom.pipeline.registry import register
from headroom.pipeline.stage import BlockState, RunState, for_each_block
from headroom.stages.crush import MARKER_TOKENS, CrushParams, CrushStage
from headroom.stages.crush.lines import RELEVANCE_FLOOR
from headroom.stages.score import members_in_words
from headroom.stages.selection import fill_small_gaps, scaled

# A code marker names its function, so it costs a little more than a plain one.
CODE_MARKER_TOKENS = MARKER_TOKENS + 8
# A function that matches the request but is too long to keep whole keeps at most this many of
# its matching lines (scaled by bias), each with a line of context on either side.
MAX_MATCHING_LINES_PER_BODY = 4
# Call sites kept for each function the request names (scaled by bias).
MAX_CALL_SITES = 6
# Exits and error paths kept in a function too long to keep whole (scaled by bias).
MAX_EXIT_LINES_PER_BODY = 32
# A function holding a pinned line stays whole when it is at most this long (scaled).
PINNED_BODY_LINES = 60
# Functions matching the request but too long to keep whole that keep their exits, the best first (scaled).
MAX_EXIT_BODIES = 3
# The functions a named one calls, and those they call: kept whole up to this many body lines in all
# (scaled), each at most CALLEE_BODY_LINES long; longer ones (the first MAX_CALLEE_EXIT_BODIES) keep
# their exits.
CALLEE_DEPTH = 2
MAX_CALLEE_LINES = 80
CALLEE_BODY_LINES = 40
MAX_CALLEE_EXIT_BODIES = 2
# A call: a name and its opening parenthesis (`report(s)`, `this.report(s)`, `Task.<T>sneaky(t)`).
_CALL = re.compile(r"(?<![\w$])([A-Za-z_$][\w$]*)\s*\(")
_CODE_EXTENSIONS = (
    "py|pyi|js|mjs|cjs|jsx|ts|mts|cts|tsx|go|rs|java|kt|kts|c|h|cc|cpp|cxx|hpp|hh|cs|rb|php|sh|scala|swift"
)
# A path starts where path characters start: tried from inside a long run of them, the scan would
# repeat once per character.
_PATH = re.compile(r"(?<![\w.$@~+/\\-])(?:[A-Za-z]:)?[\w.$@~+/\\-]*\.(?:" + _CODE_EXTENSIONS + r")\b")
# Frames are found from a literal anchor (one pass each, no scan from every position):
# Python's `File "...", line N, in f`, and `name.ext:N` for the rest (`at f (src/x.js:27:19)`, `x.go:123`).
_PYTHON_FRAME = re.compile(r'File "(?P<path>[^"\n]+)", line (?P<line>\d+)(?:, in (?P<function>[\w.<>]+))?')
_FILE_LINE = re.compile(r"\.(?:" + _CODE_EXTENSIONS + r"):(?P<line>\d+)")
_PATH_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.$@~+/\\-")
_AT_FUNCTION = re.compile(r"\bat (?P<function>[\w$.<>\[\]]+) ?\($")  # JS, Java: `at f (x.js:1)`
_IN_FUNCTION = re.compile(r": in (?P<function>[\w.<>]+)")  # pytest: `tests/x.py:42: in test_y`
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*(?:(?:\.|::|#|->)[A-Za-z_$][\w$]*)*")
# A doc line's comment marks and quotes, before its words: `/**`, ` * `, `///`, `#`, `"""`.
_DOC_DECORATION = re.compile(r"^[\s/*#!\"'`]+|[\s/*\"'`]+$")
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
_SED_RANGE = re.compile(r"sed\s+-n\s+['\"]?(\d+),\d+p")
# Words of a request that name no definition, however a file spells its functions.
_PLAIN_WORDS = frozenset(
    (
        "the and for with that this from what why how when where which who are was were has have had not but "
        "all any can could should would will into about there their them they then than you your our out get "
        "did does done show tell find look see give need want please just only also some more most much many "
        "each every other true false null none file files code function functions method methods "
        "class classes "
        "line lines error errors test tests read open return returns fix bug issue work works use used"
    ).split()
)


class CodeParams(CrushParams):
    min_lines: int = param(80, ge=0, description="Files this short are left whole")
    max_relevant_lines: int = param(
        120,
        ge=0,
        description="Body lines kept whole for the functions that best match the request, besides the "
        "named ones, of which these take up to two thirds (scaled by bias)",
    )
    max_named_class_lines: int = param(
        300, ge=0, description="A named class longer than this is outlined member by member (scaled by bias)"
    )
    max_doc_lines: int = param(
        4,
        ge=1,
        description="Docstrings and doc comments of outlined definitions keep this many first lines "
        "(scaled by "
        "bias); those of definitions kept whole stay whole",
    )
    max_statement_lines: int = param(
        12, ge=2, description="Long statements (data tables) keep this many first lines (scaled by bias)"
    )
    use_traces: bool = param(
        True, description="Keep the functions a stack trace earlier in the conversation names"
    )


@dataclass(frozen=True)
class Frame:
    """One stack frame seen in the conversation."""

    message_index: int
    path: str
    line: int
    function: str


@register("crush.code.v1")
class CrushCode(CrushStage):
    """Source code: keep signatures, docstrings and what the request names; outline other function bodies."""

    document_type = CodeDocument
    Params = CodeParams
    params: CodeParams

    async def run(self, state: RunState) -> None:
        # The frames are read once per run, not once per code block.
        frames = conversation_frames(state) if self.params.use_traces else []

        def work(block: BlockState, run_state: RunState) -> None:
            self._outline(block, run_state, frames)

        await for_each_block(self, state, work)

    def process_block(self, block: BlockState, state: RunState) -> None:
        self._outline(block, state, conversation_frames(state) if self.params.use_traces else [])

    def _outline(self, block: BlockState, state: RunState, frames: list[Frame]) -> None:
        # Only traces from turns before this block count, so its outline never changes as the
        # conversation grows (a provider's prompt cache keeps hitting).
        frames = [frame for frame in frames if frame.message_index < block.block.message_index]
        document = block.document
        assert isinstance(document, CodeDocument)
        total = len(document.units)
        if self.params.policy == "lossless" or total <= self.params.min_lines:
            return  # code has no faithful shorter form: leave it whole
        path = tool_path(block)
        document.analyse(language_for_path(path) if path else None)
        plan = _Plan(document, self.params, block.bias)
        spelled = plan.spelled_out(block.block.query)
        reasons = plan.want_named([*_named_identifiers(block, path), *spelled])
        reasons += plan.want_callees([*_code_identifiers(block), *spelled])
        if path:
            reasons += plan.want_trace_targets(
                [
                    f
                    for f in frames
                    if f.message_index < block.block.message_index and same_file(f.path, path)
                ],
                document,
            )
        plan.want_pinned(block.pinned)
        plan.want_relevant(block.scores, block.relevance)
        keep = plan.keep()
        keep = fill_small_gaps(keep, state.unit_tokens(block), CODE_MARKER_TOKENS)
        before = len(block.kept_indices())
        block.narrow(keep)
        after = len(block.kept_indices())
        whole = ", ".join(sorted(reasons)[:5]) or "none"
        block.note(
            f"{self.name}:lines {before}->{after} ({document.language or 'unknown'} by {document.parser};"
            f" {plan.outlined} bodies outlined; kept whole: {whole})"
        )


class _Plan:
    """Which definitions stay whole, and from that, which lines survive."""

    def __init__(self, document: CodeDocument, params: CodeParams, bias: float):
        self.document = document
        self.params = params
        self.bias = bias
        self.definitions = list(document.all_definitions())
        self.wanted: set[Definition] = set()
        self.matching_lines: set[int] = set()  # kept inside bodies too long to keep whole
        self.outlined = 0
        self.named: dict[str, list[Definition]] = {}  # identifier -> the functions it named

    # what must stay whole ---------------------------------------------------------------

    def spelled_out(self, query: str) -> list[str]:
        """The names of this file's functions the request spells as words, in the order of the
        file: "compute if absent" for `computeIfAbsent`, "Floyd-Warshall" for `floyd_warshall`
        (`headroom.content.spelled`)."""
        found = spellings(query)
        return list(
            dict.fromkeys(
                d.simple_name
                for d in self.definitions
                if d.kind == "function" and d.name and spelled(d.simple_name, found)
            )
        )

    def want_named(self, identifiers: Iterable[str]) -> list[str]:
        by_name: dict[str, list[Definition]] = {}
        for definition in self.definitions:
            scope = definition.parent
            in_body = scope is not None and scope.kind == "function" and not scope.container
            if (
                definition.name
                and definition.kind != "comment"
                and not (definition.kind == "statement" and in_body)
            ):
                by_name.setdefault(definition.simple_name, []).append(definition)
        named: list[str] = []
        class_limit = scaled(self.params.max_named_class_lines, self.bias)
        for identifier in identifiers:
            found = _matches(identifier, by_name)
            self.named[identifier] = [d for d in found if d.kind == "function"]
            self._want_call_sites([d for d in found if d.kind == "function"])
            for definition in found:
                holds_others = definition.kind == "class" or definition.container
                if holds_others and definition.end - definition.start + 1 > class_limit:
                    continue  # too big to keep whole: its members' signatures stay anyway
                if definition not in self.wanted:
                    self.wanted.add(definition)
                    named.append(definition.label)
        return named

    def _want_call_sites(self, functions: list[Definition]) -> None:
        """The lines calling these functions (outside their own bodies), each with its neighbours."""
        if not functions:
            return
        units = self.document.units
        call = re.compile(rf"(?<![\w$]){re.escape(functions[0].simple_name)}\s*\(")
        own = {i for d in functions for i in range(d.start, d.end + 1)}
        sites = [i for i, line in enumerate(units) if i not in own and call.search(line)]
        for index in sites[: scaled(MAX_CALL_SITES, self.bias)]:
            self.matching_lines.update(i for i in (index - 1, index, index + 1) if 0 <= i < len(units))

    def want_callees(self, identifiers: Iterable[str]) -> list[str]:
        """The functions of this file that the functions named by `identifiers` call, breadth first
        to CALLEE_DEPTH: each short one (CALLEE_BODY_LINES) kept whole while MAX_CALLEE_LINES last,
        the first MAX_CALLEE_EXIT_BODIES longer ones their exits. Their answer to "what happens
        when" often lies a call or two down. Returns the labels of those kept whole."""
        functions: dict[str, list[Definition]] = {}
        for definition in self.definitions:
            if (
                definition.kind == "function"
                and definition.name
                and definition.body
                and not definition.container
            ):
                functions.setdefault(definition.simple_name, []).append(definition)
        frontier = [d for identifier in identifiers for d in self.named.get(identifier, [])]
        seen = set(frontier)
        room = scaled(MAX_CALLEE_LINES, self.bias)
        each = scaled(CALLEE_BODY_LINES, self.bias)
        exit_bodies = scaled(MAX_CALLEE_EXIT_BODIES, self.bias)
        kept: list[str] = []
        for _ in range(CALLEE_DEPTH):
            callees = [c for caller in frontier for c in self._callees(caller, functions) if c not in seen]
            callees = list(dict.fromkeys(callees))
            seen.update(callees)
            for callee in callees:
                if callee in self.wanted:
                    continue
                if len(callee.body) <= min(each, room):
                    self.wanted.add(callee)
                    room -= len(callee.body)
                    kept.append(callee.label)
                elif exit_bodies > 0:
                    self._want_exits(callee, [])
                    exit_bodies -= 1
            frontier = callees
        return kept

    def _callees(self, caller: Definition, functions: dict[str, list[Definition]]) -> list[Definition]:
        """The functions of this file a function's own lines call, in the order of their first call."""
        units = self.document.units
        found: list[Definition] = []
        for index in caller.body:
            if index >= len(units) or not self._own_line(caller, index):
                continue
            for name in (m[1] for m in _CALL.finditer(units[index])):
                found.extend(d for d in functions.get(name, []) if d is not caller and d not in found)
        return found

    def want_trace_targets(self, frames: list[Frame], document: CodeDocument) -> list[str]:
        hit: list[str] = []
        functions = {d.simple_name: d for d in self.definitions if d.kind == "function" and d.name}
        for frame in frames:
            index = document.line_index(frame.line)
            target = self._outer_function_at(index) if index is not None else None
            if target is None and frame.function:
                target = functions.get(frame.function.rsplit(".", 1)[-1])
            if target is not None and target not in self.wanted:
                self.wanted.add(target)
                hit.append(target.label)
        return hit

    def want_pinned(self, pinned: set[int]) -> None:
        """The definitions holding pinned lines stay whole: long statements always; functions and
        comments when short (PINNED_BODY_LINES), those holding the most pinned lines first, while they
        fit the relevance capacity together. Every other one keeps its pinned lines with a line on
        either side, and the first MAX_EXIT_BODIES functions among them their exits."""
        holding: dict[Definition, list[int]] = {}
        for index in sorted(pinned):
            target = self._function_at(index)
            if target is not None:
                holding.setdefault(target, []).append(index)
        capacity = scaled(self.params.max_relevant_lines, self.bias)
        exit_bodies = scaled(MAX_EXIT_BODIES, self.bias)
        each = scaled(PINNED_BODY_LINES, self.bias)
        for target in sorted(holding, key=lambda d: (-len(holding[d]), _size(d), d.start)):
            if target.kind == "statement" or target in self.wanted:
                self.wanted.add(target)
                continue
            if _size(target) <= min(capacity, each):
                self.wanted.add(target)
                capacity -= _size(target)
                continue
            lines = holding[target]
            inside = target.body if target.kind == "function" else range(target.start, target.end + 1)
            self.matching_lines.update(i for n in lines for i in (n - 1, n, n + 1) if i in inside)
            if exit_bodies > 0 and target.kind == "function":
                self._want_exits(target, lines)
                exit_bodies -= 1

    def want_relevant(self, scores: list[float] | None, relevance: list[float] | None = None) -> None:
        """The functions that match the request best, kept whole while they fit the capacity.
        With score.v1's relevance, the request's own match decides; else the combined score."""
        capacity = scaled(self.params.max_relevant_lines, self.bias)
        # What is already kept whole for the request is what it asks about: the rest share what is left.
        kept_whole = sum(len(d.body) for d in self.wanted if d.kind == "function")
        capacity = max(capacity // 3, capacity - kept_whole)
        signal, threshold = (relevance, RELEVANCE_FLOOR) if relevance is not None else (scores, 0.5)
        if signal is None or capacity == 0:
            return
        candidates = []
        for definition in self.definitions:
            if definition.kind != "function" or not definition.body or definition.container:
                continue
            if definition in self.wanted:
                continue
            match = max((signal[i] for i in definition.body if i < len(signal)), default=0.0)
            if match > threshold:
                candidates.append((-match, len(definition.body), definition.start, definition))
        per_body = scaled(MAX_MATCHING_LINES_PER_BODY, self.bias)
        exit_bodies = scaled(MAX_EXIT_BODIES, self.bias)
        for _, size, _, definition in sorted(candidates, key=lambda c: c[:3]):
            if size <= capacity:
                self.wanted.add(definition)
                capacity -= size
                continue
            body = definition.body
            matching = sorted(
                (i for i in body if i < len(signal) and signal[i] > threshold), key=lambda i: (-signal[i], i)
            )
            for index in matching[:per_body]:
                self.matching_lines.update(i for i in (index - 1, index, index + 1) if i in body)
            if exit_bodies > 0:  # the best matches only: a word in every function is no reason
                self._want_exits(definition, matching[:per_body])
                exit_bodies -= 1

    def _want_exits(self, definition: Definition, near: list[int]) -> None:
        """A function kept for the request but too long to keep whole keeps its control-flow exits and
        error paths (return, raise, throw, panic, exit; catch and except headers; the `if` rows
        guarding them), so "what happens when X fails" is answered: those nearest the lines it keeps
        for the request first, at most MAX_EXIT_LINES_PER_BODY (scaled)."""
        body = definition.body
        exits = [i for i in sorted(self.document.exit_lines()) if i in body and self._own_line(definition, i)]
        if near:
            exits.sort(key=lambda i: (min(abs(i - n) for n in near), i))
        self.matching_lines.update(exits[: scaled(MAX_EXIT_LINES_PER_BODY, self.bias)])

    def _own_line(self, definition: Definition, index: int) -> bool:
        """Whether a line belongs to the definition itself, not to a function nested in it."""
        owner = self.document.owner(index)
        while owner is not None and owner.kind != "function":
            owner = owner.parent
        return owner is definition

    def _outer_function_at(self, index: int) -> Definition | None:
        """A frame's function with the closures around the line: the outermost function that is not
        a container (a frame inside a callback keeps the method that holds it)."""
        target = self._function_at(index)
        while (
            target is not None
            and target.parent is not None
            and target.parent.kind == "function"
            and not target.parent.container
        ):
            target = target.parent
        return target

    def _function_at(self, index: int) -> Definition | None:
        """What must stay whole for a line to survive: its long statement or its function.
        A container's own lines survive anyway, so a container is never the answer."""
        owner = self.document.owner(index)
        if owner is not None and owner.kind == "comment":
            return owner
        if owner is not None and owner.kind == "statement":
            scope = owner.parent
            if scope is None or scope.kind != "function" or scope.container:
                return owner  # a statement outlined on its own, not as part of a body
        while owner is not None and owner.kind != "function":
            owner = owner.parent
        return owner if owner is not None and not owner.container else None

    # the lines -------------------------------------------------------------------------------

    def keep(self) -> list[bool]:
        keep = [True] * len(self.document.units)
        self._holding = self._ancestors_of_wanted()
        for definition in self.document.definitions:
            self._visit(definition, keep)
        for index in self.matching_lines:
            keep[index] = True
        return keep

    def _ancestors_of_wanted(self) -> set[Definition]:
        holding: set[Definition] = set()
        for definition in self.wanted:
            parent = definition.parent
            while parent is not None and parent not in holding:
                holding.add(parent)
                parent = parent.parent
        return holding

    def _visit(self, definition: Definition, keep: list[bool]) -> None:
        if definition in self.wanted:
            return
        outlined_whole = (
            definition.kind == "function"
            and bool(definition.body)
            and not definition.container
            and definition not in self._holding
        )
        self._trim_doc(
            definition, keep, joins_body=outlined_whole and definition.doc.stop == definition.body.start
        )
        if definition.kind == "class" or (definition.kind == "statement" and definition.children):
            self._visit_all(definition.children, keep)
        elif definition.kind == "statement":
            limit = scaled(self.params.max_statement_lines, self.bias)
            self._drop(range(definition.start + limit, definition.end), keep)
        elif definition.container:
            self._visit_all(definition.children, keep)
        elif definition in self._holding:
            # Only the wanted definitions inside survive; the rest of this body goes.
            inner = [c for c in definition.children if c in self.wanted or c in self._holding]
            spared = {line for child in inner for line in range(child.start, child.end + 1)}
            self._drop([i for i in definition.body if i not in spared], keep)
            self._visit_all(inner, keep)
        elif definition.body:
            self._drop(definition.body, keep)
            self.outlined += 1

    def _trim_doc(self, definition: Definition, keep: list[bool], *, joins_body: bool) -> None:
        """Keep a doc's summary: its lines up to the end of its first sentence or paragraph (PEP 257's
        summary line, javadoc's first sentence), at most `max_doc_lines`. Its closing line stays,
        unless the body right after it goes too (a Python docstring), so that one marker covers both."""
        doc = definition.doc
        kept = self._summary_length(doc, scaled(self.params.max_doc_lines, self.bias))
        if len(doc) <= kept:
            return
        self._drop(range(doc.start + kept, doc.stop if joins_body else doc.stop - 1), keep)

    def _summary_length(self, doc: range, limit: int) -> int:
        """How many first lines of a doc hold its summary (see `_trim_doc`)."""
        seen_text = False
        for offset, index in enumerate(doc[:limit]):
            words = _DOC_DECORATION.sub("", self.document.code_lines[index])
            if not words.strip():
                if seen_text:
                    return offset  # a blank doc line: the summary's paragraph has ended
                continue
            seen_text = True
            if _SENTENCE_END.search(words):
                return offset + 1
        return min(limit, len(doc))

    def _visit_all(self, definitions: list[Definition], keep: list[bool]) -> None:
        for child in definitions:
            self._visit(child, keep)

    @staticmethod
    def _drop(lines: Iterable[int], keep: list[bool]) -> None:
        for index in lines:
            if 0 <= index < len(keep):
                keep[index] = False


def _size(definition: Definition) -> int:
    """The lines keeping a definition whole costs: a function's body, a comment's every line."""
    return len(definition.body) if definition.kind == "function" else definition.end - definition.start + 1


def _matches(identifier: str, by_name: dict[str, list[Definition]]) -> list[Definition]:
    """Definitions an identifier names: `Parser.parse` the method; `parse` every parse."""
    parts = re.split(r"\.|::|#|->", identifier)
    candidates = by_name.get(parts[-1], [])
    if len(parts) == 1:
        return candidates
    dotted = ".".join(parts)
    exact = [
        d
        for d in candidates
        if d.name == dotted or d.name.endswith("." + dotted) or dotted.endswith("." + d.name)
    ]
    return exact or candidates


def _named_identifiers(block: BlockState, path: str | None) -> list[str]:
    """Identifiers in the request and the tool arguments, in order of first appearance."""
    arguments = block.block.tool_call.arguments if block.block.tool_call else ""
    texts = [block.block.query, _PATH.sub(" ", arguments)]
    # "the get method of FutureTask" names `FutureTask.get`, though `get` alone is a plain word.
    seen: dict[str, None] = {
        f"{owner}.{member}": None for owner, member in members_in_words(block.block.query)
    }
    for text in texts:
        for identifier in _IDENTIFIER.findall(text):
            if len(identifier) >= 3 and identifier.lower() not in _PLAIN_WORDS:
                seen.setdefault(identifier, None)
    return list(seen)


_CAMEL = re.compile(r"[a-z0-9][A-Z]")


def _code_identifiers(block: BlockState) -> list[str]:
    """The request's identifiers written as code: `Class.method`, `method()`, `snake_case` or
    `camelCase` (not a plain word that happens to name a function), and the members it names in
    words ("the get method of FutureTask": `FutureTask.get`)."""
    query = block.block.query
    found: dict[str, None] = {f"{owner}.{member}": None for owner, member in members_in_words(query)}
    for match in _IDENTIFIER.finditer(query):
        identifier = match[0]
        if len(identifier) < 3 or identifier.lower() in _PLAIN_WORDS:
            continue
        called = query[match.end() : match.end() + 1] == "("
        dotted = any(mark in identifier for mark in (".", "::", "#", "->"))
        if called or dotted or "_" in identifier.strip("_") or _CAMEL.search(identifier):
            found.setdefault(identifier, None)
    return list(found)


# the file and the frames -----------------------------------------------------------------------


def tool_path(block: BlockState) -> str | None:
    """The source file the tool call read, from its arguments: the first path with a code extension."""
    call = block.block.tool_call
    if call is None:
        return None
    match = _PATH.search(call.arguments.replace("\\\\", "/"))
    return match[0] if match else None


def conversation_frames(state: RunState) -> list[Frame]:
    """Every stack frame in the turns before the last code block, with the message it was seen in
    (each code block then uses only the frames from before itself)."""
    code_messages = [b.block.message_index for b in state.blocks if b.label == "code"]
    if not code_messages:
        return []
    frames: list[Frame] = []
    for block in state.blocks:
        if block.block.message_index < max(code_messages):
            frames.extend(_frames_in(block.text, block.block.message_index))
    return frames


def _frames_in(text: str, message_index: int) -> Iterable[Frame]:
    for match in _PYTHON_FRAME.finditer(text):
        yield Frame(message_index, match["path"], int(match["line"]), match["function"] or "")
    for match in _FILE_LINE.finditer(text):
        start = match.start()
        while start > 0 and text[start - 1] in _PATH_CHARS:
            start -= 1
        path = text[start : match.start("line") - 1]
        line_start = text.rfind("\n", 0, start) + 1
        named = _AT_FUNCTION.search(text, line_start, start) or _IN_FUNCTION.match(text, match.end())
        yield Frame(message_index, path, int(match["line"]), named["function"] if named else "")


def same_file(frame_path: str, tool_path: str) -> bool:
    """Same file name, and the same folder when both name one (checkouts live in different places)."""
    frame_parts = _path_parts(frame_path)
    tool_parts = _path_parts(tool_path)
    if not frame_parts or not tool_parts or frame_parts[-1] != tool_parts[-1]:
        return False
    if len(frame_parts) >= 2 and len(tool_parts) >= 2:
        return frame_parts[-2] == tool_parts[-2]
    return True


def _path_parts(path: str) -> list[str]:
    return [part for part in path.replace("\\", "/").split("/") if part not in ("", ".", "..")]
