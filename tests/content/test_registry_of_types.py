"""headroom/content/__init__.py: every label maps to its Document class, imported on first use."""

from __future__ import annotations

from headroom.content import DOCUMENT_TYPES, LABELS, Document, document_type, parse
from tests.helpers import modules_loaded_by


def test_each_entry_names_a_document_class_for_a_detected_label() -> None:
    for label in DOCUMENT_TYPES:
        cls = document_type(label)
        assert cls is not None and issubclass(cls, Document), label
        assert label in LABELS
    assert document_type("empty") is None
    assert parse("empty", "") is None


def test_parsing_one_type_imports_only_its_module() -> None:
    loaded = modules_loaded_by("from headroom.content import parse\nparse('log', 'a\\nb')\n")
    assert "headroom.content.log" in loaded
    assert not {"headroom.content.html", "headroom.content.code", "headroom.content.json_array"} & loaded
