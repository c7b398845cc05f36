"""Where the shipped pipeline files live (kept apart from `headroom.pipeline.spec`, which loads pydantic)."""

from __future__ import annotations

from pathlib import Path

SHIPPED_DIR_NAME = "pipelines"


def builtin_dir() -> Path:
    """Where the shipped pipelines live: inside the installed package, or beside it in a checkout."""
    package = Path(__file__).resolve().parents[1]  # headroom/
    inside = package / SHIPPED_DIR_NAME
    return inside if inside.is_dir() else package.parent / SHIPPED_DIR_NAME


def builtin_names() -> list[str]:
    folder = builtin_dir()
    return sorted(path.name for path in folder.glob("*.yaml")) if folder.is_dir() else []
