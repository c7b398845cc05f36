"""The case modules: each registers its cases with `corpus_kit.case` when imported."""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    """Import every case module here, in name order, so the registry's order is stable."""
    for module in sorted(info.name for info in pkgutil.iter_modules(__path__)):
        importlib.import_module(f"{__name__}.{module}")
