"""The content types, declared once: each type's label, how detection recognises it, the
Document class that parses it and the crusher that compresses it in the shipped pipelines.

Everything that needs one of these facts reads it from `CONTENT_TYPES`:

- detection (`headroom.content.detect`), whose checks may propose only these labels;
- parsing (`headroom.content.document_type`, `parse`), which imports a type's module on first use;
- the registry (`headroom.pipeline.registry.BUILT_IN`), which registers each crusher and gives
  a built-in crusher the labels it handles;
- classification (`headroom.stages.classify`), which tries a rival type's crusher on a block.

Adding a content type means one entry here, its Document module and its crusher module (and a
check in `detect` that proposes it). Module paths are strings so that reading the table imports
nothing: a process that only sees logs never loads the HTML parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class ContentType:
    label: str
    detected_by: str  # the evidence detection looks for, in a few words
    document: str | None = None  # "module:Class" of its Document; None: nothing parses it
    crusher: str | None = None  # the registered stage that compresses it by default

    @property
    def document_where(self) -> tuple[str, str] | None:
        """(module, class name) of the Document, or None."""
        if self.document is None:
            return None
        module, _, name = self.document.partition(":")
        return module, name


def _doc(module: str, name: str) -> str:
    return f"headroom.content.{module}:{name}"


CONTENT_TYPES: tuple[ContentType, ...] = (
    ContentType(
        "json_array", "brackets at both ends", _doc("json_array", "JsonArrayDocument"), "crush.json.v1"
    ),
    ContentType(
        "json_object",
        "braces at both ends",
        _doc("json_object", "JsonObjectDocument"),
        "crush.json_object.v1",
    ),
    ContentType(
        "log",
        "timestamped or levelled lines, or one JSON object a line",
        _doc("log", "LogDocument"),
        "crush.log.v1",
    ),
    ContentType(
        "search",
        "path:line: hits, or path headings over numbered lines",
        _doc("search", "SearchDocument"),
        "crush.search.v1",
    ),
    ContentType(
        "git_log",
        "commit headers, or one-line commits",
        _doc("git_log", "GitLogDocument"),
        "crush.git_log.v1",
    ),
    ContentType("diff", "file and hunk headers", _doc("diff", "DiffDocument"), "crush.diff.v1"),
    ContentType(
        "code",
        "statement-shaped lines outside comments, numbered or blamed source",
        _doc("code", "CodeDocument"),
        "crush.code.v1",
    ),
    ContentType(
        "html", "a doctype, or a page that opens with a tag", _doc("html", "HtmlDocument"), "crush.html.v1"
    ),
    ContentType(
        "table",
        "delimited rows under a header, or aligned columns",
        _doc("table", "TableDocument"),
        "crush.table.v1",
    ),
    ContentType(
        "shell",
        "command output: a listing's header row, build or test runner lines",
        _doc("shell", "ShellDocument"),
        "crush.shell.v1",
    ),
    ContentType("prose", "no other shape", _doc("prose", "ProseDocument"), "crush.prose.v1"),
    ContentType("empty", "blank"),
)

BY_LABEL: MappingProxyType[str, ContentType] = MappingProxyType({t.label: t for t in CONTENT_TYPES})
LABELS: tuple[str, ...] = tuple(t.label for t in CONTENT_TYPES)
# label -> (module, document class), for the types something parses
DOCUMENT_TYPES: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {t.label: where for t in CONTENT_TYPES if (where := t.document_where) is not None}
)
# label -> the crusher the shipped pipelines compress it with
CRUSHER_OF: MappingProxyType[str, str] = MappingProxyType(
    {t.label: t.crusher for t in CONTENT_TYPES if t.crusher is not None}
)


def labels_crushed_by(stage_name: str) -> frozenset[str]:
    """The labels whose default crusher is `stage_name` (empty for any other stage)."""
    return frozenset(label for label, crusher in CRUSHER_OF.items() if crusher == stage_name)
