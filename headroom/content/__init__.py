"""Content types: how each kind of text is detected, cut into units and rendered.

Stages never parse text themselves; they ask `parse(label, text)` for a
`Document` and work on its units. One module per content type.
"""

from __future__ import annotations

from headroom.content.base import Document
from headroom.content.code import CodeDocument
from headroom.content.detect import LABELS, detect_label
from headroom.content.diff import DiffDocument
from headroom.content.html import HtmlDocument
from headroom.content.json_array import JsonArrayDocument
from headroom.content.json_object import JsonObjectDocument
from headroom.content.lines import LinesDocument
from headroom.content.log import LogDocument
from headroom.content.prose import ProseDocument
from headroom.content.search import SearchDocument
from headroom.content.shell import ShellDocument
from headroom.content.table import TableDocument

_DOCUMENTS: dict[str, type[Document]] = {
    "json_array": JsonArrayDocument,
    "log": LogDocument,
    "shell": ShellDocument,
    "search": SearchDocument,
    "diff": DiffDocument,
    "table": TableDocument,
    "json_object": JsonObjectDocument,
    "prose": ProseDocument,
    "code": CodeDocument,
    "html": HtmlDocument,
}


def parse(label: str, text: str) -> Document | None:
    """The document for a label, or None when no compressor understands it yet."""
    document_type = _DOCUMENTS.get(label)
    if document_type is None:
        return None
    return document_type.parse(text)


__all__ = [
    "LABELS",
    "CodeDocument",
    "DiffDocument",
    "Document",
    "HtmlDocument",
    "JsonArrayDocument",
    "JsonObjectDocument",
    "LinesDocument",
    "LogDocument",
    "ProseDocument",
    "SearchDocument",
    "ShellDocument",
    "TableDocument",
    "detect_label",
    "parse",
]
