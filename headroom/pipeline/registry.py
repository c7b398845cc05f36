"""Stage names -> stage classes. YAML names registered stages only, never import paths.

Names are namespaced and versioned (`crush.json.v1`): a stage whose behaviour
changes gets a new version, so an old pipeline file keeps its meaning.
Built-in stages are listed in `BUILT_IN` with their modules, so looking one
up imports that module alone (a fresh process loads only what its pipeline
uses). The built-in crushers come from the content-type table
(`headroom.content.types`), which also gives each one the labels it handles.
Third-party packages register through the entry-point group
`headroom.stages`, whose entries point at a Stage subclass (the entry's name is
the stage's name); those are read when a name is not a built-in, or when every
name is wanted. A plugin that fails to import is reported by its name ("plugin X failed to
import: ...") when that name is looked up; it never breaks lookups of other names.

A stage's `provides` and `requires` must name fields of the contract's vocabulary
(`headroom.pipeline.stage.FIELDS`): a misspelt field is refused when the stage registers.
`scoped()` gives a block of code (a test) a registry of its own.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from headroom.content.types import CRUSHER_OF, labels_crushed_by
from headroom.pipeline.errors import HeadroomError, did_you_mean
from headroom.pipeline.stage import FIELDS, Stage

ENTRY_POINT_GROUP = "headroom.stages"
_NAME_SHAPE = "family.name.vN"

S = TypeVar("S", bound=type[Stage])

# The stages every shipped pipeline builds on; the crushers come from the content-type table.
_CORE_STAGES = ("budget.v1", "cache.v1", "classify.v1", "score.v1")


def _module_of(name: str) -> str:
    """A built-in stage's module, by the naming rule: `crush.json.v1` lives in headroom.stages.crush.json."""
    return "headroom.stages." + name.rpartition(".")[0]


# built-in stage name -> the module that registers it; a test checks this against the modules
BUILT_IN: dict[str, str] = {name: _module_of(name) for name in sorted({*_CORE_STAGES, *CRUSHER_OF.values()})}

_stages: dict[str, type[Stage]] = {}
_broken: dict[str, str] = {}  # plugin name -> why it could not be loaded
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
        check_fields(name, cls)
        existing = _stages.get(name)
        if existing is not None and existing is not cls:
            raise RegistryError(
                f"stage name {name!r} is taken by {existing.__module__}.{existing.__qualname__}"
            )
        cls.name = name
        _give_table_labels(name, cls)
        _stages[name] = cls
        return cls

    return decorate


def _give_table_labels(name: str, cls: type[Stage]) -> None:
    """A built-in crusher handles the labels the content-type table gives it (declared there once)."""
    labels = labels_crushed_by(name)
    if labels and "handles" not in vars(cls):
        cls.handles = labels


def check_fields(name: str, cls: type[Stage]) -> None:
    """Refuse a stage whose `provides` or `requires` names a field outside the vocabulary."""
    for declared in ("provides", "requires"):
        for field_name in sorted(getattr(cls, declared)):
            if field_name not in FIELDS:
                raise RegistryError(
                    f"stage {name!r} ({cls.__module__}.{cls.__qualname__}) {declared} unknown field "
                    f"{field_name!r}{did_you_mean(field_name, FIELDS)}; fields: {', '.join(sorted(FIELDS))}"
                )


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
            _load_plugin(entry)
        _loaded = True


def _load_plugin(entry: Any) -> None:
    """Register one entry point's stage; a plugin that cannot is remembered with its reason."""
    try:
        cls = entry.load()
        if not (isinstance(cls, type) and issubclass(cls, Stage)):
            raise RegistryError(f"{getattr(entry, 'value', cls)!r} is not a Stage subclass")
        register(entry.name)(cls)
    except Exception as error:  # a third party's import error: theirs to fix, not every lookup's
        _broken[entry.name] = f"{type(error).__name__}: {error}"


def names() -> list[str]:
    _load_all()
    return sorted(_stages)


def lookup(name: str) -> type[Stage] | None:
    """The stage class registered under `name`, or None. A plugin of that name that failed to
    import raises RegistryError saying so."""
    if name in BUILT_IN and name not in _stages:
        importlib.import_module(BUILT_IN[name])
    if name not in _stages:
        _load_all()
    if name in _broken:
        raise RegistryError(plugin_failure(name))
    return _stages.get(name)


def plugin_failure(name: str) -> str:
    return f"plugin {name!r} ({ENTRY_POINT_GROUP} entry point) failed to import: {_broken[name]}"


def broken_plugins() -> dict[str, str]:
    """Plugins that could not be loaded, with why."""
    _load_all()
    return dict(_broken)


def builtin_names() -> list[str]:
    """The stages that ship with Headroom (what `headroom schema --write` describes)."""
    return sorted(BUILT_IN)


def unknown_stage_message(name: str) -> str:
    if name in _broken:
        return plugin_failure(name)
    return f"unknown stage {name!r}{did_you_mean(name, names())}; registered: {', '.join(names())}"


@contextlib.contextmanager
def scoped(*, plugins: bool = False) -> Iterator[dict[str, type[Stage]]]:
    """A registry of the block's own: what it registers is gone afterwards, and installed
    plugins are not read unless `plugins` (so a test sees the built-ins alone)."""
    global _stages, _broken, _loaded, entry_points
    saved = (_stages, _broken, _loaded, entry_points)
    _stages = {name: cls for name, cls in _stages.items() if name in BUILT_IN}
    _broken = {}
    _loaded = False
    if not plugins:
        entry_points = _no_entry_points
    try:
        yield _stages
    finally:
        built_in_meanwhile = {
            name: cls for name, cls in _stages.items() if BUILT_IN.get(name) == cls.__module__
        }
        _stages, _broken, _loaded, entry_points = saved
        _stages.update(built_in_meanwhile)  # a module imported once registers once


def _no_entry_points(group: str) -> list[Any]:
    return []
