"""Content types: how each kind of text is detected, cut into units and rendered.

Stages never parse text themselves; they ask `parse(label, text)` for a
`Document` and work on its units. Each type is declared once, in `headroom.content.types`.
One module per content type, imported the first time a block of that type is parsed: a
request of logs never loads the HTML parser or the tree-sitter grammars.
"""

from __future__ import annotations

import importlib

from headroom.content.base import Document
from headroom.content.detect import detect_label
from headroom.content.types import CONTENT_TYPES, DOCUMENT_TYPES, LABELS, ContentType


def document_type(label: str) -> type[Document] | None:
    """The Document class for a label, imported on first use; None when no compressor understands it."""
    where = DOCUMENT_TYPES.get(label)
    if where is None:
        return None
    module, name = where
    cls: type[Document] = getattr(importlib.import_module(module), name)
    return cls


def parse(label: str, text: str) -> Document | None:
    """The document for a label, or None when no compressor understands it yet. Framed output
    (`headroom.content.framing`) is the document of what is inside the frame, rendered with it."""
    from headroom.content.detect import settle
    from headroom.content.framing import parse_framed

    cls = document_type(label)
    if cls is None:
        return None
    settled = settle(text)
    if settled is None or all(c.label != label for c in settled.detection.candidates):
        return cls.parse(text)
    framed = parse_framed(cls, label, text, settled.frame)
    return framed if framed is not None else cls.parse(text)


__all__ = [
    "CONTENT_TYPES",
    "DOCUMENT_TYPES",
    "LABELS",
    "ContentType",
    "Document",
    "detect_label",
    "document_type",
    "parse",
]
