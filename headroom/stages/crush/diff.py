"""crush.diff.v1: unified diffs (`git diff`, `git show`, `git log -p`, `diff -u`).

Keeps every changed line, every file header and hunk header (verbatim: line
numbers are never rewritten), commit headers and messages, and `context_lines`
unchanged lines on each side of a change; longer runs of unchanged lines become
markers. Lock files and generated files (package-lock.json, yarn.lock, go.sum,
*.min.js, dist/ ...) collapse to their file header plus a marker whose summary
counts the added and removed lines. There is no faithful re-encoding that keeps
lines verbatim: `lossless` leaves the diff whole, and `auto` is the selection.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from headroom.content.diff import CHANGES, CONTEXT, FILE, HUNK, META, NOTE, DiffDocument, FileSection
from headroom.params import param
from headroom.registry import register
from headroom.selection import scaled
from headroom.stage import BlockState, RunState
from headroom.stages.crush import CrushParams, CrushStage
from headroom.stages.crush.lines import narrow_to, relevant

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


NOTE_PATHS = 5  # collapsed files named in the note


class DiffParams(CrushParams):
    min_lines: int = param(30, ge=0, description="Diffs this short are left whole")
    context_lines: int = param(
        2, ge=0, description="Unchanged lines kept on each side of a change (scaled by bias)"
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
    """Diffs: every change and header, a little context, lock and generated files collapsed to a count."""

    document_type = DiffDocument
    handles = frozenset({"diff"})
    Params = DiffParams
    params: DiffParams

    def process_block(self, block: BlockState, state: RunState) -> None:
        document = block.document
        assert isinstance(document, DiffDocument)
        if self.params.policy == "lossless" or len(document.units) <= self.params.min_lines:
            return
        collapsed = self._collapsed(document)
        narrow_to(block, state, self._selection(block, document, collapsed), self.name)
        if collapsed:
            paths = list(dict.fromkeys(document.sections[position].path for position in sorted(collapsed)))
            shown = ", ".join(paths[:NOTE_PATHS]) + (
                f" and {len(paths) - NOTE_PATHS} more" if len(paths) > NOTE_PATHS else ""
            )
            block.note(f"{self.name}:collapsed {shown}")

    def _collapsed(self, document: DiffDocument) -> set[int]:
        if not self.params.collapse_generated:
            return set()
        patterns = self.params.generated_paths
        return {
            position
            for position, section in enumerate(document.sections)
            if section.marked_generated or is_generated(section.path, patterns)
        }

    def _selection(self, block: BlockState, document: DiffDocument, collapsed: set[int]) -> set[int]:
        kinds = document.kinds
        owner = document.file_of()
        total = len(kinds)
        chosen = set(block.pinned)
        changes: list[int] = []
        for index, kind in enumerate(kinds):
            if kind in (META, FILE):
                chosen.add(index)
            elif owner[index] not in collapsed and kind in (HUNK, NOTE, *CHANGES):
                chosen.add(index)
                if kind in CHANGES:
                    changes.append(index)
        reach = scaled(self.params.context_lines, block.bias)
        chosen |= _context(kinds, changes, reach, total)
        open_context = [i for i, kind in enumerate(kinds) if kind == CONTEXT and owner[i] not in collapsed]
        chosen |= relevant(block, scaled(self.params.max_relevant_lines, block.bias), open_context)
        chosen |= _headers_of_kept_hunks(document, chosen, collapsed)
        return chosen


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


def _context(kinds: list[str], changes: list[int], reach: int, total: int) -> set[int]:
    """Unchanged lines within `reach` of a change, in the same hunk."""
    found: set[int] = set()
    for index in changes:
        for step in (-1, 1):
            position, walked = index + step, 0
            while 0 <= position < total and walked < reach and kinds[position] in (CONTEXT, NOTE, *CHANGES):
                if kinds[position] == CONTEXT:
                    found.add(position)
                    walked += 1
                elif kinds[position] in CHANGES:
                    break  # that change keeps its own context
                position += step
    return found


def _headers_of_kept_hunks(document: DiffDocument, chosen: set[int], collapsed: set[int]) -> set[int]:
    """In a collapsed file, a line kept anyway (it holds what the request names) keeps its hunk's header."""
    headers: set[int] = set()
    for position in collapsed:
        section: FileSection = document.sections[position]
        for hunk in section.hunks:
            if any(index in chosen for index in hunk[1:]):
                headers.add(hunk.start)
    return headers
