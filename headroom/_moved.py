"""Import paths that moved in 0.2, kept working for one release.

`import headroom.stage` (and every other name below, submodules included) gives the module at
its new path, itself, not a copy, so monkeypatching and isinstance checks see one object; a
DeprecationWarning names the new path. Nothing inside the package imports an old path.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.abc import Loader
else:
    Loader = object  # the import system needs only the methods; importlib.abc costs a fresh process ~15 ms

MOVED = {
    "headroom.errors": "headroom.pipeline.errors",
    "headroom.executor": "headroom.pipeline.executor",
    "headroom.graph": "headroom.pipeline.loading",
    "headroom.hooks": "headroom.pipeline.hooks",
    "headroom.options": "headroom.pipeline.options",
    "headroom.params": "headroom.pipeline.params",
    "headroom.plan": "headroom.pipeline.plan",
    "headroom.registry": "headroom.pipeline.registry",
    "headroom.selection": "headroom.stages.selection",
    "headroom.session": "headroom.ccr.sessions",
    "headroom.shipped": "headroom.pipeline.shipped",
    "headroom.spec": "headroom.pipeline.spec",
    "headroom.stage": "headroom.pipeline.stage",
    "headroom.store": "headroom.ccr.stores",
    "headroom.stores": "headroom.ccr.stores",
    "headroom.trace": "headroom.pipeline.trace",
    "headroom.validation": "headroom.pipeline.validation",
}


def new_name(old: str) -> str | None:
    """Where an old module path lives now (a moved package's submodules move with it)."""
    for prefix, target in MOVED.items():
        if old == prefix or old.startswith(prefix + "."):
            return target + old[len(prefix) :]
    return None


class _Alias(Loader):
    def __init__(self, target: str):
        self.target = target
        self.own_spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"{spec.name} moved to {self.target}; the old path goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        module = importlib.import_module(self.target)
        self.own_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system set the alias's spec on the real module: give it back its own.
        module.__spec__ = self.own_spec


class MovedFinder:  # a meta path finder by protocol: find_spec is all the import system calls
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        moved = new_name(fullname)
        if moved is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(moved))


def install() -> None:
    if not any(isinstance(finder, MovedFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, MovedFinder())
