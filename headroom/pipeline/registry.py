"""Stage names -> stage classes. YAML names registered stages only, never import paths.

Names are namespaced and versioned (`crush.json.v1`): a stage whose behaviour
changes gets a new version, so an old pipeline file keeps its meaning.
Built-in stages are listed in `BUILT_IN` with their modules, so looking one
up imports that module alone (a fresh process loads only what its pipeline
uses). Third-party packages register through the entry-point group
`headroom.stages`, whose entries point at a Stage subclass (the entry's name is
the stage's name); those are read when a name is not a built-in, or when every
name is wanted.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from headroom.pipeline.errors import HeadroomError, did_you_mean
from headroom.pipeline.stage import Stage

ENTRY_POINT_GROUP = "headroom.stages"
_NAME_SHAPE = "family.name.vN"

S = TypeVar("S", bound=type[Stage])

# built-in stage name -> the module that registers it; a test checks this against the modules
BUILT_IN: dict[str, str] = {
    "budget.v1": "headroom.stages.budget",
    "cache.v1": "headroom.stages.cache",
    "classify.v1": "headroom.stages.classify",
    "crush.code.v1": "headroom.stages.crush.code",
    "crush.diff.v1": "headroom.stages.crush.diff",
    "crush.git_log.v1": "headroom.stages.crush.git_log",
    "crush.html.v1": "headroom.stages.crush.html",
    "crush.json.v1": "headroom.stages.crush.json",
    "crush.json_object.v1": "headroom.stages.crush.json_object",
    "crush.log.v1": "headroom.stages.crush.log",
    "crush.prose.v1": "headroom.stages.crush.prose",
    "crush.search.v1": "headroom.stages.crush.search",
    "crush.shell.v1": "headroom.stages.crush.shell",
    "crush.table.v1": "headroom.stages.crush.table",
    "score.v1": "headroom.stages.score",
}

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


def entry_points(group: str) -> Any:
    """The installed entry points of a group (importlib.metadata, imported only when needed)."""
    from importlib.metadata import entry_points as installed

    return installed(group=group)


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        for module in sorted(set(BUILT_IN.values())):
            importlib.import_module(module)  # built-ins register on import
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
    if name in BUILT_IN and name not in _stages:
        importlib.import_module(BUILT_IN[name])
    if name not in _stages:
        _load_all()
    return _stages.get(name)


def unknown_stage_message(name: str) -> str:
    return f"unknown stage {name!r}{did_you_mean(name, names())}; registered: {', '.join(names())}"
