"""Content types: how each kind of text is detected, cut into units and rendered.

Stages never parse text themselves; they ask `parse(label, text)` for a
`Document` and work on its units. One module per content type.
"""

from __future__ import annotations

from headroom.content.base import Document
from headroom.content.code import CodeDocument
from headroom.content.detect import LABELS, detect_label
from headroom.content.html import HtmlDocument
from headroom.content.json_array import JsonArrayDocument
from headroom.content.json_object import JsonObjectDocument
from headroom.content.lines import LinesDocument
from headroom.content.prose import ProseDocument
from headroom.content.table import TableDocument

_DOCUMENTS: dict[str, type[Document]] = {
    "json_array": JsonArrayDocument,
    "log": LinesDocument,
    "shell": LinesDocument,
    "search": LinesDocument,
    "diff": LinesDocument,
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


__all__ = ["LABELS", "CodeDocument", "Document", "HtmlDocument", "JsonArrayDocument", "JsonObjectDocument", "LinesDocument", "ProseDocument", "TableDocument", "detect_label", "parse"]
