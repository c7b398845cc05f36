"""The document contract every content type implements."""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

T = TypeVar("T")

# Signals the score stage and the crushers both read: computed once per document, then shared.
_MEMOIZED = ("error_signals", "anomaly_signals")


def _memoized(owner: type, method: Callable[[Any], list[float]]) -> Callable[[Any], list[float]]:
    key = (owner, method.__name__)  # per defining class, so an override may still call super()

    @functools.wraps(method)
    def signals(self: Any) -> list[float]:
        cache = self.__dict__.setdefault("_signals", {})
        if key not in cache:
            cache[key] = method(self)
        found: list[float] = cache[key]
        return found

    return signals


@dataclass(frozen=True)
class Scope:
    """What encloses a unit: the names of the definitions around it (innermost first: a class, its
    method) and the names of the file it belongs to (its directories and its stem, `kedro`, `io`,
    `data_catalog` for `kedro/io/data_catalog.py`)."""

    names: tuple[str, ...] = ()
    file_names: tuple[str, ...] = ()

    def within(self, owner: str) -> bool:
        """Whether a unit so enclosed is inside `owner` (a class's letters and digits, lower-cased):
        a definition of that name encloses it, or a name of its file is the owner's name or its
        last word (`catalog.py` for DataCatalog, `loaders.py` for PrefixLoader)."""
        if any(name_letters(name) == owner for name in self.names):
            return True
        for name in self.file_names:
            letters = name_letters(name)
            singular = letters[:-1] if letters.endswith("s") else letters
            if letters == owner or (len(singular) >= 4 and owner.endswith(singular)):
                return True
        return False


@dataclass(frozen=True)
class Key:
    """Where a unit is filed: the names on its path, outermost first, its own last (an array's index
    is no name: ""), and how many members the container holding it has (its own among them)."""

    path: tuple[str, ...]
    siblings: int

    @property
    def own(self) -> str:
        return self.path[-1] if self.path else ""


def name_letters(name: str) -> str:
    """A name's letters and digits, lower-cased: `data_catalog`, `DataCatalog` and `data-catalog` are one."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


class Document(ABC):
    """A block's text cut into units (lines, items) that can be scored and dropped.

    `units` holds each unit's text as a scorer should read it. `render(keep, ref)`
    gives the text with every dropped run replaced by one marker in place;
    `render(None, ref)` (nothing dropped) must give the original text or a
    faithful re-encoding of it. `error_signals` and `anomaly_signals` are computed
    once per document (every override is memoized); callers must not change the lists.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in _MEMOIZED:
            if name in cls.__dict__:
                setattr(cls, name, _memoized(cls, cls.__dict__[name]))

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

    def remember(self, slot: str, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, or the value it gave last time for this slot and key. One selection is often
        rendered more than once (a crusher compares two encodings; the budget and the cache both
        read the final text), so the costly part of a render is kept for the last key only."""
        last = self.__dict__.setdefault("_last", {})
        held = last.get(slot)
        if held is not None and held[0] == key:
            value: T = held[1]
            return value
        value = compute()
        last[slot] = (key, value)
        return value

    def error_signals(self) -> list[float]:
        """Per unit, 0..1: how strongly it reports an error (1.0 = error, 0.5 = warning)."""
        return [0.0] * len(self.units)

    def anomaly_signals(self) -> list[float]:
        """Per unit, 0..1: how unusual it is among its siblings."""
        return [0.0] * len(self.units)

    def anchors(self) -> set[int]:
        """Units the structure says must survive (a stack trace's first and last frame)."""
        return set()

    def implied(self, chosen: set[int]) -> set[int]:
        """Units that kept `chosen` units need beside them (a diff line's hunk and file headers, a
        commit line's header): a selecting stage that keeps a unit keeps these too."""
        return set()

    def templates(self) -> list[str]:
        """Each unit's template: its text with the variable fields (numbers, IDs, times) masked,
        so the units of one kind share it (`headroom.content.templates`)."""
        from headroom.content.templates import unit_templates

        return unit_templates(self.units)

    def scopes(self) -> list[Scope] | None:
        """Per unit, what encloses it (`Scope`); None when this type has no such notion."""
        return None

    def keys(self) -> list[Key] | None:
        """Per unit, where it is filed (`Key`: a JSON value's path); None when this type has no such
        notion."""
        return None

    def groups(self) -> list[range]:
        """Runs of units that belong together (a whole stack trace)."""
        return []
