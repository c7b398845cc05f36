"""crush.search.v1: grep, git grep and ripgrep results.

Keeps the first match of the best files (files matching the request first, then
in order), every match relevant to the request (the search pattern itself is in
every line, so relevance comes from the user's question and rarer terms), and a
little context around each kept match.

With `-A`, `-B` or `-C`, a match and its context lines are one hit
(`SearchDocument.hit_of`): the context is the body the search was asked to show.
Context lines relevant to the request are chosen too (for "what does
`Context.exit` raise?", the `raise Exit(code)` line after `def exit`), and each
kept context line keeps the match it belongs to, so the answer never loses its
file, line and definition. The hits the request is most about (pinned matches
first, then the best relevant ones) keep their context whole. The rest of each file is counted in a
marker whose summary names the file, how many matches were dropped and their
line numbers. There is no faithful re-encoding that keeps lines verbatim:
`lossless` leaves the results whole, and `auto` is the selection.
"""

from __future__ import annotations

import re

from headroom.content.search import CONTEXT, HEADING, MATCH, OTHER, SEPARATOR, SearchDocument
from headroom.content.spelled import spelled, spellings
from headroom.pipeline.params import param
from headroom.pipeline.registry import register
from headroom.pipeline.stage import BlockState, RunState
from headroom.stages.crush import CrushParams, CrushStage
from headroom.stages.crush.lines import narrow_to, relevant
from headroom.stages.selection import rank, scaled


class SearchParams(CrushParams):
    min_lines: int = param(40, ge=0, description="Results this short are left whole")
    max_files: int = param(25, ge=0, description="Files whose first matches are kept (scaled by bias)")
    matches_per_file: int = param(1, ge=0, description="Matches kept from the start of each of those files")
    max_relevant: int = param(
        25, ge=0, description="Matches relevant to the request kept wherever they are (scaled)"
    )
    context_lines: int = param(1, ge=0, description="Context lines kept on each side of a kept match")
    max_relevant_context: int = param(
        25,
        ge=0,
        description="Context lines (-A/-B/-C) relevant to the request kept, each with its match (scaled)",
    )
    max_whole_hits: int = param(
        4,
        ge=0,
        description="Hits the request is most about that keep all their context lines (scaled)",
    )
    max_hit_lines: int = param(
        24, ge=1, description="A hit kept whole keeps at most this many of its context lines"
    )
    max_class_members: int = param(
        200,
        ge=0,
        description='Lines of a class the request asks the methods of ("what methods does Session '
        'define?"), kept and pinned: its header and the hits directly inside it',
    )


@register("crush.search.v1")
class CrushSearch(CrushStage):
    """Search results: the first match of the best files, matches the request asks for, the rest counted."""

    document_type = SearchDocument
    Params = SearchParams
    params: SearchParams

    def process_block(self, block: BlockState, state: RunState) -> None:
        document = block.document
        assert isinstance(document, SearchDocument)
        if self.params.policy == "lossless" or len(document.units) <= self.params.min_lines:
            return
        narrow_to(block, state, self._selection(block, document), self.name)

    def _selection(self, block: BlockState, document: SearchDocument) -> set[int]:
        p = self.params
        lines = document.lines
        matches = [i for i, line in enumerate(lines) if line.kind == MATCH]
        best = relevant(block, scaled(p.max_relevant, block.bias), matches)
        members = self._asked_members(block, document)
        block.pinned |= members  # the answer is every one of them: no later cut may drop one
        chosen = set(block.pinned) | best
        for run in self._best_files(block, document, scaled(p.max_files, block.bias)):
            chosen.update([i for i in run if lines[i].kind == MATCH][: p.matches_per_file])
        context = [i for i, line in enumerate(lines) if line.kind == CONTEXT]
        if context:
            chosen |= relevant(block, scaled(p.max_relevant_context, block.bias), context)
            chosen |= self._whole_hits(block, document, best)
        # A context line chosen for itself keeps its match; one kept as a neighbour does not.
        chosen |= {hit for i in chosen if (hit := document.hit_of(i)) is not None}
        chosen |= _context_around(document, chosen, p.context_lines)
        for run in document.files():
            if lines[run.start].kind == HEADING and any(i in chosen for i in run):
                chosen.add(run.start)
        return chosen | _other_lines(document, chosen)

    def _asked_members(self, block: BlockState, document: SearchDocument) -> set[int]:
        """For a request asking for the methods (functions, members) of a class it names, written
        as the results write it ("the methods of HTTPAdapter", "Context's methods") or spelled as
        words ("the methods of the HTTP adapter", `headroom.content.spelled`): the class's
        header and every hit directly inside it (`SearchDocument.class_members`), at most
        `max_class_members` lines for each class: its hits first, then its context lines, in order."""
        query = block.block.query
        if not _MEMBERS_ASKED.search(query):
            return set()
        found: set[int] = set()
        words = spellings(query)  # "the working set class" names `WorkingSet`
        for name, lines in document.class_members().items():
            written = len(name) > 1 and re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", query)
            if written or spelled(name, words):
                # The hits first: with -A/-B the context lines inside the class outnumber them, and
                # the answer is the hits (each kept hit still gets a context line on either side).
                hits = [i for i in lines if document.lines[i].kind == MATCH]
                shown = [i for i in lines if document.lines[i].kind != MATCH]
                found.update((hits + shown)[: self.params.max_class_members])
        return found

    def _whole_hits(self, block: BlockState, document: SearchDocument, best: set[int]) -> set[int]:
        """The lines of the hits the request is most about: its pinned matches, then its best relevant
        ones, at most `max_whole_hits` (scaled), each with at most `max_hit_lines` context lines."""
        p = self.params
        pinned = [i for i in block.pinned if document.lines[i].kind == MATCH]
        order = rank(pinned, block.scores) + [i for i in rank(best, block.scores) if i not in block.pinned]
        found: set[int] = set()
        for match in order[: scaled(p.max_whole_hits, block.bias)]:
            hit = document.hit_lines(match)
            context = [i for i in hit if i != match]
            after = [i for i in context if i > match][: p.max_hit_lines]
            before = [i for i in context if i < match][-max(0, p.max_hit_lines - len(after)) :]
            found.update((match, *after, *(before if len(after) < p.max_hit_lines else ())))
        return found

    @staticmethod
    def _best_files(block: BlockState, document: SearchDocument, limit: int) -> list[range]:
        """Files ranked by their best match's score (when scored), then in order of appearance."""
        files = document.files()
        scores = block.scores

        def best(run: range) -> float:
            return max((scores[i] for i in run), default=0.0) if scores is not None else 0.0

        order = sorted(range(len(files)), key=lambda position: (-best(files[position]), position))
        return [files[position] for position in order[:limit]]


# A request asking for a class's members: "which methods", "its functions", "the members of" (plural:
# "the invoke method of Context" asks for one), one word for all of them ("every method of Entry",
# "each member", "all the functions", "every def"), or what the class defines ("what does the
# ConnectionPool class define?", "what's defined inside class X", "its API", "the operations it
# provides"). "Where is X defined?" asks where X is, not what it holds.
_MEMBERS_ASKED = re.compile(
    r"\b(?:methods|member functions|members|functions|operations|defs|API)\b"
    r"|\b(?:every|each|all(?: the)?|any)\s+(?:method|member|function|def)\b"
    r"|\bdefines?\b|\bdefined\s+(?:inside|within)\b",
    re.IGNORECASE,
)


def _context_around(document: SearchDocument, chosen: set[int], reach: int) -> set[int]:
    """Context lines of the same file next to a kept match, up to `reach` on each side."""
    lines = document.lines
    found: set[int] = set()
    for index in chosen:
        if lines[index].kind != MATCH:
            continue
        for step in (-1, 1):
            position = index + step
            while 0 <= position < len(lines) and abs(position - index) <= reach:
                line = lines[position]
                if line.kind != CONTEXT or line.path != lines[index].path:
                    break
                found.add(position)
                position += step
    return found


def _other_lines(document: SearchDocument, chosen: set[int]) -> set[int]:
    """Lines that are not results (a grep warning), and separators (`--`, blank lines) next to a kept line."""
    found: set[int] = set()
    for index, line in enumerate(document.lines):
        unusual = line.kind == OTHER and bool(document.units[index].strip())
        separating = line.kind == SEPARATOR and (index - 1 in chosen or index + 1 in chosen)
        if unusual or separating:
            found.add(index)
    return found
