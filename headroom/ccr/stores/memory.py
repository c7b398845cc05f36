"""`memory://`: a bounded LRU in this process. The default for `compress()`; thread-safe.

Bounded twice: each kind holds at most `max_entries` entries, and all kinds together at
most `max_bytes` (256 MB by default). Over either bound the least recently used entry
(written or read) goes first; over the byte bound, whichever kind it is in. An entry's
size is what CPython holds for its key and value strings (`sys.getsizeof`: about one
byte a character for ASCII text, two or four for other text, plus about 50 bytes a
string), so the bound is close to the memory the store really keeps alive. The keys it
remembers as expired are not counted (at most `max_entries` short strings per kind).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from headroom.ccr.stores.base import DEFAULT_TTL, KINDS, Kind, Lookup, Store

DEFAULT_MAX_BYTES = 256 * 1024 * 1024


@dataclass
class _Entry:
    value: str
    expires_at: float
    used: int  # the store's use counter when last written or read: orders the kinds' entries
    size: int


class _Table:
    """One kind's live entries (oldest use first) and the keys it remembers having had."""

    def __init__(self) -> None:
        self.live: OrderedDict[str, _Entry] = OrderedDict()
        self.forgotten: OrderedDict[str, float] = OrderedDict()  # key -> remembered until


def entry_size(key: str, value: str) -> int:
    """The bytes one entry counts against `max_bytes`."""
    return sys.getsizeof(key) + sys.getsizeof(value)


class MemoryStore(Store):
    """Originals, memos and session state in dictionaries; gone when the process ends."""

    def __init__(
        self,
        max_entries: int = 10_000,
        *,
        ttl: float = DEFAULT_TTL,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.time,
        url: str = "memory://",
    ):
        super().__init__(ttl=ttl, max_entries=max_entries)  # never fails, so the breaker never opens
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be at least 1, not {max_bytes}")
        self.max_bytes = int(max_bytes)
        self.url = url
        self._clock = clock
        self._tables = {kind: _Table() for kind in KINDS}
        self._lock = threading.Lock()
        self._uses = 0
        self._bytes = 0

    @property
    def bytes(self) -> int:
        """What the live entries count against `max_bytes`."""
        return self._bytes

    def _tick(self) -> int:
        self._uses += 1
        return self._uses

    def _lookup_many(self, kind: Kind, keys: Sequence[str]) -> list[Lookup]:
        now = self._clock()
        table = self._tables[kind]
        with self._lock:
            return [self._lookup(table, key, now) for key in keys]

    def _lookup(self, table: _Table, key: str, now: float) -> Lookup:
        entry = table.live.get(key)
        if entry is not None:
            if entry.expires_at > now:
                entry.expires_at = now + self.ttl
                entry.used = self._tick()
                table.live.move_to_end(key)
                return Lookup("found", entry.value)
            self._drop(table, key, entry.expires_at + self.ttl)
        remembered_until = table.forgotten.get(key)
        if remembered_until is not None and remembered_until > now:
            return Lookup("expired")
        return Lookup("unknown")

    def _put_many(self, kind: Kind, items: Mapping[str, str]) -> None:
        now = self._clock()
        table = self._tables[kind]
        with self._lock:
            for key, value in items.items():
                old = table.live.pop(key, None)
                if old is not None:
                    self._bytes -= old.size
                entry = _Entry(value, now + self.ttl, self._tick(), entry_size(key, value))
                table.live[key] = entry
                self._bytes += entry.size
                table.forgotten.pop(key, None)
            while len(table.live) > self.max_entries:
                self._drop(table, next(iter(table.live)), now + self.ttl)
            while self._bytes > self.max_bytes:
                oldest = self._least_recently_used()
                if oldest is None:
                    break
                self._drop(oldest, next(iter(oldest.live)), now + self.ttl)

    def _least_recently_used(self) -> _Table | None:
        """The table whose oldest entry was used longest ago (each table is in order of use)."""
        heads = [
            (next(iter(table.live.values())).used, kind) for kind, table in self._tables.items() if table.live
        ]
        return self._tables[min(heads)[1]] if heads else None

    def _drop(self, table: _Table, key: str, remember_until: float) -> None:
        entry = table.live.pop(key)
        self._bytes -= entry.size
        table.forgotten[key] = remember_until
        table.forgotten.move_to_end(key)
        while len(table.forgotten) > self.max_entries:
            table.forgotten.popitem(last=False)

    def __len__(self) -> int:
        """Originals held (live or not yet noticed as expired)."""
        return len(self._tables["original"].live)

    @property
    def _memo(self) -> dict[str, str]:
        """The memo table as key -> value (a copy), for tests that look inside."""
        with self._lock:
            return {key: entry.value for key, entry in self._tables["memo"].live.items()}

    def __repr__(self) -> str:
        return (
            f"MemoryStore({self.url!r}, ttl={self.ttl:g}, max_entries={self.max_entries}, "
            f"max_bytes={self.max_bytes})"
        )
