"""crush.shell.v1: test runs, package installs, builds, and `kubectl get` / `docker ps` listings.

Keeps failures and errors with the blocks that explain them (a pytest failure
section, a compiler message with its source snippet, a traceback), warnings (up
to a cap), summary and section lines, a listing's header row and its unhealthy
rows, lines relevant to the request, the head and the tail. Passing tests,
progress lines and healthy rows collapse into markers whose summary counts them
by kind (and rows by status). Other lines are kept up to a cap, from the start
and the end. There is no faithful re-encoding that keeps lines verbatim:
`lossless` leaves the output whole, and `auto` is the selection.
"""

from __future__ import annotations

from headroom.content.shell import FAIL, HEADER, OTHER, SECTION, SUMMARY, WARN, ShellDocument, name_words
from headroom.pipeline.params import param
from headroom.pipeline.registry import register
from headroom.pipeline.stage import BlockState, RunState
from headroom.stages.crush import CrushParams, CrushStage
from headroom.stages.crush.lines import around, head_and_tail, head_and_tail_of, narrow_to, relevant
from headroom.stages.score import query_terms
from headroom.stages.selection import rank, scaled

ALWAYS_KEPT = frozenset({FAIL, SUMMARY, SECTION, HEADER})
# The paths under a directory the request names are kept whole up to this many (scaled by bias).
MAX_NAMED_DIRECTORY_PATHS = 60


class ShellParams(CrushParams):
    min_lines: int = param(40, ge=0, description="Output this short is left whole")
    head_lines: int = param(3, ge=0)
    tail_lines: int = param(5, ge=0)
    context_lines: int = param(2, ge=0, description="Lines kept on each side of a failure (scaled by bias)")
    max_failure_lines: int = param(
        60, ge=2, description="A block explaining a failure is kept whole up to this long (scaled)"
    )
    max_warnings: int = param(20, ge=0, description="Warnings kept, each with a line on each side (scaled)")
    max_other_lines: int = param(
        30, ge=0, description="Unclassified lines kept, half from the start, half from the end (scaled)"
    )
    max_relevant_lines: int = param(
        20, ge=0, description="Lines matching the request kept whatever their kind (scaled)"
    )


@register("crush.shell.v1")
class CrushShell(CrushStage):
    """Shell output: failures explained, warnings, summaries, unhealthy rows; the rest counted by kind."""

    document_type = ShellDocument
    Params = ShellParams
    params: ShellParams

    def process_block(self, block: BlockState, state: RunState) -> None:
        document = block.document
        assert isinstance(document, ShellDocument)
        if self.params.policy == "lossless" or len(document.units) <= self.params.min_lines:
            return
        narrow_to(block, state, self._selection(block, document), self.name)

    def _selection(self, block: BlockState, document: ShellDocument) -> set[int]:
        p = self.params
        bias = block.bias
        kinds = document.kinds
        total = len(kinds)
        chosen = set(block.pinned)
        chosen |= head_and_tail(total, scaled(p.head_lines, bias), scaled(p.tail_lines, bias))
        failures = [i for i, kind in enumerate(kinds) if kind in ALWAYS_KEPT]
        chosen.update(failures)
        context = scaled(p.context_lines, bias)
        # A listing's rows stand alone: an unhealthy row needs no neighbours.
        reports = [i for i in failures if kinds[i] == FAIL and i not in document.rows]
        chosen |= around(reports, context, context, total)
        warnings = self._warnings(block, document, scaled(p.max_warnings, bias))
        chosen |= {i for i in around(warnings, 1, 1, total) if kinds[i] in (WARN, OTHER)}
        limit = scaled(p.max_failure_lines, bias)
        for group in document.groups():
            if kinds[group.start] == FAIL or group.start in warnings or any(kinds[i] == FAIL for i in group):
                chosen.update(head_and_tail_of(group, limit))
        chosen |= relevant(block, scaled(p.max_relevant_lines, bias))
        chosen |= _named_directories(block, document, scaled(MAX_NAMED_DIRECTORY_PATHS, bias))
        others = [i for i, kind in enumerate(kinds) if kind == OTHER and i not in chosen]
        half = scaled(p.max_other_lines, bias) // 2
        chosen.update(others[:half])
        chosen.update(others[len(others) - half :] if half else [])
        return chosen | _ancestors(document, chosen)

    @staticmethod
    def _warnings(block: BlockState, document: ShellDocument, limit: int) -> set[int]:
        """The first and last warning of each kind, the best of them (by score when scored, else
        spread over the output) up to `limit`."""
        instances: dict[str, list[int]] = {}
        for index, kind in document.warning_kinds().items():
            instances.setdefault(kind, []).append(index)
        candidates = {index for found in instances.values() for index in (found[0], found[-1])}
        return set(rank(sorted(candidates), block.scores)[:limit])


def _ancestors(document: ShellDocument, chosen: set[int]) -> set[int]:
    """The branches every chosen tree branch hangs from, up to the root."""
    parents = document.tree_parents()
    found: set[int] = set()
    for index in chosen:
        parent = parents.get(index)
        while parent is not None and parent not in found:
            found.add(parent)
            parent = parents.get(parent)
    return found


def _named_directories(block: BlockState, document: ShellDocument, limit: int) -> set[int]:
    """The path lines under each top-level directory whose name holds a word of the request (by
    itself or as a part: `tiktoken_ext` and `tiktoken-0.14.0.dist-info` for "tiktoken"), when the
    directories so named hold at most `limit` paths together."""
    terms = set(query_terms(block.block.query))
    if not terms:
        return set()
    named = [
        lines
        for directory, lines in document.path_groups().items()
        if terms.intersection(name_words(directory))
    ]
    found = {index for lines in named for index in lines}
    return found if len(found) <= limit else set()
