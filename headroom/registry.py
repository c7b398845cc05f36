"""Stage names -> stage classes. YAML names registered stages only, never import paths.

Names are namespaced and versioned (`crush.json.v1`): a stage whose behaviour
changes gets a new version, so an old pipeline file keeps its meaning.
Built-in stages register when `headroom.stages` is imported; third-party
packages register through the entry-point group `headroom.stages`, whose
entries point at a Stage subclass (the entry's name is the stage's name).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import TypeVar

from headroom.errors import HeadroomError, did_you_mean
from headroom.stage import Stage

ENTRY_POINT_GROUP = "headroom.stages"
_NAME_SHAPE = "family.name.vN"

S = TypeVar("S", bound=type[Stage])

_stages: dict[str, type[Stage]] = {}
_loaded = False
_lock = threading.Lock()


class RegistryError(HeadroomError):
    pass


def _valid_name(name: str) -> bool:
    parts = name.split(".")
    return len(parts) >= 2 and parts[-1].startswith("v") and parts[-1][1:].isdigit() and all(parts)


def register(name: str) -> Callable[[S], S]:
    """Class decorator: `@register("crush.json.v1")`."""
    if not _valid_name(name):
        raise RegistryError(f"stage name {name!r} must look like {_NAME_SHAPE}")

    def decorate(cls: S) -> S:
        existing = _stages.get(name)
        if existing is not None and existing is not cls:
            raise RegistryError(
                f"stage name {name!r} is taken by {existing.__module__}.{existing.__qualname__}"
            )
        cls.name = name
        _stages[name] = cls
        return cls

    return decorate


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        import headroom.stages  # noqa: F401  (built-ins register on import)

        for entry in entry_points(group=ENTRY_POINT_GROUP):
            cls = entry.load()
            if not (isinstance(cls, type) and issubclass(cls, Stage)):
                raise RegistryError(
                    f"entry point {entry.name!r} in {ENTRY_POINT_GROUP} is not a Stage subclass"
                )
            register(entry.name)(cls)
        _loaded = True


def names() -> list[str]:
    _load_all()
    return sorted(_stages)


def lookup(name: str) -> type[Stage] | None:
    _load_all()
    return _stages.get(name)


def unknown_stage_message(name: str) -> str:
    return f"unknown stage {name!r}{did_you_mean(name, names())}; registered: {', '.join(names())}"
