"""Where originals are kept so that every elision can be undone by its hash.

This is the in-memory store that `compress()` uses by default. The contract is
small on purpose (put, get, memo) so that persistent stores (SQLite, Redis) can
stand behind it later without changing a stage.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Protocol


class Store(Protocol):
    def put(self, key: str, original: str) -> None: ...

    def get(self, key: str) -> str | None: ...

    def get_memo(self, key: str) -> str | None: ...

    def put_memo(self, key: str, output: str) -> None: ...


class MemoryStore:
    """A bounded LRU of originals and of memoized outputs. Thread-safe."""

    def __init__(self, max_entries: int = 10_000):
        self.max_entries = max_entries
        self._originals: OrderedDict[str, str] = OrderedDict()
        self._memo: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def _put(self, table: OrderedDict[str, str], key: str, value: str) -> None:
        with self._lock:
            table[key] = value
            table.move_to_end(key)
            while len(table) > self.max_entries:
                table.popitem(last=False)

    def _get(self, table: OrderedDict[str, str], key: str) -> str | None:
        with self._lock:
            value = table.get(key)
            if value is not None:
                table.move_to_end(key)
            return value

    def put(self, key: str, original: str) -> None:
        self._put(self._originals, key, original)

    def get(self, key: str) -> str | None:
        return self._get(self._originals, key)

    def put_memo(self, key: str, output: str) -> None:
        self._put(self._memo, key, output)

    def get_memo(self, key: str) -> str | None:
        return self._get(self._memo, key)

    def __len__(self) -> int:
        return len(self._originals)


_default_store = MemoryStore()


def default_store() -> MemoryStore:
    return _default_store


def retrieve(ref: str, store: Store | None = None) -> str | None:
    """The original text behind a marker's hash, byte for byte; None if unknown."""
    return (store or _default_store).get(ref.strip().removeprefix("hash="))
