"""Fixtures shared by the whole suite. Builders live in tests/helpers.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from headroom import samples
from headroom.ccr import stores
from headroom.ccr.stores import MemoryStore
from headroom.pipeline import registry
from tests.store_fixtures import make_store, store_url  # noqa: F401  (the store contract's fixtures)


@pytest.fixture(scope="session", autouse=True)
def built_in_registry() -> Iterator[None]:
    """The suite sees the built-in stages alone: a plugin installed on this machine is not read."""
    with registry.scoped():
        yield


@pytest.fixture(autouse=True)
def fresh_default_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with an empty process-wide default store: an original one test kept
    there is never found by another (the order tests run in decides nothing)."""
    monkeypatch.setattr(stores, "_default_store", MemoryStore())


@pytest.fixture
def store() -> MemoryStore:
    """A fresh store, so no test sees another's originals or memoized outputs."""
    return MemoryStore()


@pytest.fixture(scope="session")
def records() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """300 order records, one of which failed: (records, the failed record)."""
    return samples.json_records()


@pytest.fixture(scope="session")
def records_json(records: tuple[list[dict[str, Any]], dict[str, Any]]) -> str:
    return json.dumps(records[0], indent=2)


@pytest.fixture(scope="session")
def app_log() -> tuple[str, dict[str, Any]]:
    """A 2,000-line log with three stack traces and one request id: (text, facts)."""
    return samples.application_log()
