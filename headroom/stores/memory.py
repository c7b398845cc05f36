"""`memory://`: a bounded LRU in this process. The default for `compress()`; thread-safe."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence

from headroom.stores.base import DEFAULT_TTL, KINDS, Kind, Lookup, Store


class _Table:
    """One kind's live entries (oldest use first) and the keys it remembers having had."""

    def __init__(self) -> None:
        self.live: OrderedDict[str, tuple[str, float]] = OrderedDict()  # key -> (value, expires_at)
        self.forgotten: OrderedDict[str, float] = OrderedDict()  # key -> remembered until


class MemoryStore(Store):
    """Originals, memos and session state in dictionaries; gone when the process ends."""

    def __init__(
        self,
        max_entries: int = 10_000,
        *,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.time,
        url: str = "memory://",
    ):
        super().__init__(ttl=ttl, max_entries=max_entries)
        self.url = url
        self._clock = clock
        self._tables = {kind: _Table() for kind in KINDS}
        self._lock = threading.Lock()

    def lookup_many(self, kind: Kind, keys: Sequence[str]) -> list[Lookup]:
        now = self._clock()
        table = self._tables[kind]
        with self._lock:
            return [self._lookup(table, key, now) for key in keys]

    def _lookup(self, table: _Table, key: str, now: float) -> Lookup:
        entry = table.live.get(key)
        if entry is not None:
            value, expires_at = entry
            if expires_at > now:
                table.live[key] = (value, now + self.ttl)
                table.live.move_to_end(key)
                return Lookup("found", value)
            del table.live[key]
            self._forget(table, key, expires_at + self.ttl)
        remembered_until = table.forgotten.get(key)
        if remembered_until is not None and remembered_until > now:
            return Lookup("expired")
        return Lookup("unknown")

    def put_many(self, kind: Kind, items: Mapping[str, str]) -> None:
        now = self._clock()
        table = self._tables[kind]
        with self._lock:
            for key, value in items.items():
                table.live[key] = (value, now + self.ttl)
                table.live.move_to_end(key)
                table.forgotten.pop(key, None)
            while len(table.live) > self.max_entries:
                key, _ = table.live.popitem(last=False)
                self._forget(table, key, now + self.ttl)

    def _forget(self, table: _Table, key: str, until: float) -> None:
        table.forgotten[key] = until
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
            return {key: value for key, (value, _) in self._tables["memo"].live.items()}
