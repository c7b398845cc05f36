"""headroom/content/types.py: one declaration per content type, and every reader agrees with it."""

from __future__ import annotations

import pytest

from headroom.content import CONTENT_TYPES, DOCUMENT_TYPES, LABELS, Document, document_type
from headroom.content.detect import Candidate
from headroom.pipeline import registry
from headroom.stages import classify
from headroom.stages.crush import CrushStage


def test_labels_are_unique_and_in_table_order() -> None:
    assert tuple(t.label for t in CONTENT_TYPES) == LABELS
    assert len(set(LABELS)) == len(LABELS)


@pytest.mark.parametrize("kind", [t for t in CONTENT_TYPES if t.crusher is not None], ids=lambda t: t.label)
def test_each_crusher_is_built_in_and_handles_its_label(kind) -> None:
    assert kind.crusher in registry.BUILT_IN
    crusher = registry.lookup(kind.crusher)
    assert crusher is not None and issubclass(crusher, CrushStage)
    assert crusher.handles is not None and kind.label in crusher.handles
    # the crusher works on the documents its type parses into
    parsed_as = document_type(kind.label)
    assert parsed_as is not None and issubclass(parsed_as, crusher.document_type)


def test_documents_and_the_classify_stage_read_the_table() -> None:
    assert set(DOCUMENT_TYPES) == {t.label for t in CONTENT_TYPES if t.document is not None}
    assert dict(classify.CRUSHER_OF) == {t.label: t.crusher for t in CONTENT_TYPES if t.crusher}
    for label in DOCUMENT_TYPES:
        cls = document_type(label)
        assert cls is not None and issubclass(cls, Document)


def test_every_built_in_stage_is_a_core_stage_or_a_declared_crusher() -> None:
    crushers = {t.crusher for t in CONTENT_TYPES if t.crusher}
    assert {n for n in registry.BUILT_IN if n.startswith("crush.")} == crushers


def test_detection_cannot_propose_an_undeclared_type() -> None:
    with pytest.raises(ValueError, match="no content type declares"):
        Candidate("yaml", 0.8, "indented keys")


def test_a_crusher_that_declares_its_own_labels_keeps_them() -> None:
    with registry.scoped() as stages:
        stages.pop("crush.json.v1")  # this block's registry only

        @registry.register("crush.json.v1")
        class Narrow(CrushStage):
            document_type = Document
            handles = frozenset({"prose"})

            def process_block(self, block, state) -> None:  # pragma: no cover - never run
                pass

        assert Narrow.handles == frozenset({"prose"})
    assert registry.lookup("crush.json.v1").handles == frozenset({"json_array"})
