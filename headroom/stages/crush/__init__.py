"""crush.*: type-specific compressors that drop low-scoring units and re-encode what they keep.

One module per content type, each imported when the registry first looks its
stage up (`headroom.pipeline.registry.BUILT_IN`). Every crusher works from the unit scores (when a
score stage ran) and the current keep mask, only ever narrows it, and never
drops a pinned unit. `policy` says what it may do:

- `lossless`: only a faithful re-encoding (the same values, more compactly);
- `lossy`: scored selection, with markers for what was dropped;
- `auto`: whichever of the two is smaller in the end, so a cheap fold that
  saves 1% never pre-empts a selection that saves 90%.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from headroom.content.base import Document
from headroom.pipeline.params import StageParams, param
from headroom.pipeline.stage import BlockState, Stage
from headroom.stages.selection import MARKER_TOKENS

Policy = Literal["lossless", "lossy", "auto"]


class CrushParams(StageParams):
    policy: Policy = "auto"


class RecordParams(CrushParams):
    """What the crushers of records (JSON arrays, nested JSON) share."""

    max_anomalies: int = param(
        8, ge=0, description="Unusual items (outliers, rare values, odd shapes) kept besides (scaled)"
    )
    keep_first: int = param(2, ge=0)
    keep_last: int = param(1, ge=0)
    summary: bool = param(
        True, description="Say what was dropped: counts per value, ranges of numbers and times"
    )
    keep_notable: bool = param(
        True,
        description="Keep the items the record rules flag: extremes of each numeric field, rare values, "
        "odd shapes, sign, zero and empty breaks, disagreeing derived values",
    )
    max_string_chars: int | None = param(
        2000, gt=0, description="Longer strings in kept items are cut to about this (scaled); None: never cut"
    )


class CrushStage(Stage):
    """Base for crushers: works on blocks whose parsed document is of `document_type`."""

    requires = frozenset({"labels"})
    provides = frozenset({"selection"})
    document_type: ClassVar[type[Document]]

    def applies_to(self, block: BlockState) -> bool:
        return super().applies_to(block) and isinstance(block.document, self.document_type)

    def may_drop(self) -> bool:
        return getattr(self.params, "policy", "auto") != "lossless"


__all__ = ["MARKER_TOKENS", "CrushParams", "CrushStage", "RecordParams"]
