"""The document contract every content type implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar


class Document(ABC):
    """A block's text cut into units (lines, items) that can be scored and dropped.

    `units` holds each unit's text as a scorer should read it. `render(keep, ref)`
    gives the text with every dropped run replaced by one marker in place;
    `render(None, ref)` (nothing dropped) must give the original text or a
    faithful re-encoding of it.
    """

    unit_name: ClassVar[str]
    first_number: ClassVar[int]  # how the marker numbers the first unit (1 for lines, 0 for items)

    def __init__(self, text: str, units: list[str]):
        self.text = text
        self.units = units

    @classmethod
    @abstractmethod
    def parse(cls, text: str) -> Document | None:
        """The document, or None when the text is not of this type after all."""

    @abstractmethod
    def render(self, keep: list[bool] | None, ref: str) -> str:
        """The text with dropped units replaced by markers."""

    def error_signals(self) -> list[float]:
        """Per unit, 0..1: how strongly it reports an error (1.0 = error, 0.5 = warning)."""
        return [0.0] * len(self.units)

    def anomaly_signals(self) -> list[float]:
        """Per unit, 0..1: how unusual it is among its siblings."""
        return [0.0] * len(self.units)

    def anchors(self) -> set[int]:
        """Units the structure says must survive (a stack trace's first and last frame)."""
        return set()

    def groups(self) -> list[range]:
        """Runs of units that belong together (a whole stack trace)."""
        return []
