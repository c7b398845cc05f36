"""`sqlite:///path/to/file.db`: originals that survive restarts, shared by processes on one machine.

One file, WAL mode, one connection per store guarded by a lock. Values are stored as
UTF-8 bytes (lone surrogates kept), so every text comes back byte for byte. A write that
finds the file locked by another process waits at most `timeout` seconds (1 by default,
`?timeout=` in the URL), then fails (and counts toward the breaker).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from headroom.ccr.stores.base import (
    DEFAULT_BREAKER_FAILURES,
    DEFAULT_BREAKER_SECONDS,
    DEFAULT_TTL,
    Kind,
    Lookup,
    Store,
    decode,
    encode,
    unavailable_on,
)

BUSY_TIMEOUT = 1.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    kind TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
    expires_at REAL NOT NULL, used_at REAL NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_by_use ON entries (kind, used_at);
CREATE INDEX IF NOT EXISTS entries_by_expiry ON entries (kind, expires_at);
CREATE TABLE IF NOT EXISTS forgotten (
    kind TEXT NOT NULL, key TEXT NOT NULL, until REAL NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS forgotten_by_time ON forgotten (kind, until);
"""
# SQLite's default limit on bound parameters is 999 in older builds.
_BATCH = 500


class SqliteStore(Store):
    """The store contract over one SQLite file."""

    def __init__(
        self,
        path: str | Path,
        *,
        ttl: float = DEFAULT_TTL,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.time,
        timeout: float = BUSY_TIMEOUT,
        breaker_failures: int = DEFAULT_BREAKER_FAILURES,
        breaker_seconds: float = DEFAULT_BREAKER_SECONDS,
    ):
        super().__init__(
            ttl=ttl,
            max_entries=max_entries,
            breaker_failures=breaker_failures,
            breaker_seconds=breaker_seconds,
        )
        self.path = str(path)
        self.url = f"sqlite:///{self.path}"  # four slashes before an absolute path, as SQLAlchemy writes it
        self._clock = clock
        self._lock = threading.Lock()
        with unavailable_on(self.url, sqlite3.Error, OSError):
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def _lookup_many(self, kind: Kind, keys: Sequence[str]) -> list[Lookup]:
        now = self._clock()
        with self._lock, unavailable_on(self.url, sqlite3.Error):
            rows = self._select(
                "SELECT key, value, expires_at FROM entries WHERE kind = ? AND key IN ({})", kind, keys
            )
            live = {key: decode(value) for key, value, expires_at in rows if expires_at > now}
            expired = [(key, expires_at) for key, _, expires_at in rows if expires_at <= now]
            missing = [key for key in keys if key not in live]
            remembered = {
                key
                for key, until in self._select(
                    "SELECT key, until FROM forgotten WHERE kind = ? AND key IN ({})", kind, missing
                )
                if until > now
            }
            if live or expired:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._touch(kind, live, now)
                    self._forget(kind, [(key, at + self.ttl) for key, at in expired])
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            remembered.update(key for key, _ in expired)
        return [
            Lookup("found", live[key])
            if key in live
            else Lookup("expired" if key in remembered else "unknown")
            for key in keys
        ]

    def _select(self, sql: str, kind: Kind, keys: Sequence[str]) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(keys), _BATCH):
            chunk = list(dict.fromkeys(keys[start : start + _BATCH]))
            marks = ",".join("?" * len(chunk))
            rows.extend(self._db.execute(sql.format(marks), (kind, *chunk)).fetchall())
        return rows

    def _touch(self, kind: Kind, keys: Mapping[str, str], now: float) -> None:
        self._db.executemany(
            "UPDATE entries SET used_at = ?, expires_at = ? WHERE kind = ? AND key = ?",
            [(now, now + self.ttl, kind, key) for key in keys],
        )

    def _forget(self, kind: Kind, keys: Sequence[tuple[str, float]]) -> None:
        """Drop entries and remember their keys until the given times."""
        if not keys:
            return
        self._db.executemany("DELETE FROM entries WHERE kind = ? AND key = ?", [(kind, k) for k, _ in keys])
        self._db.executemany(
            "INSERT OR REPLACE INTO forgotten (kind, key, until) VALUES (?, ?, ?)",
            [(kind, key, until) for key, until in keys],
        )

    def _put_many(self, kind: Kind, items: Mapping[str, str]) -> None:
        now = self._clock()
        with self._lock, unavailable_on(self.url, sqlite3.Error):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT OR REPLACE INTO entries (kind, key, value, expires_at, used_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [(kind, key, encode(value), now + self.ttl, now) for key, value in items.items()],
                )
                self._db.executemany(
                    "DELETE FROM forgotten WHERE kind = ? AND key = ?", [(kind, key) for key in items]
                )
                self._evict(kind, now)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _evict(self, kind: Kind, now: float) -> None:
        """Expired entries, then the least recently used over the bound; then old remembered keys."""
        expired = self._db.execute(
            "SELECT key, expires_at FROM entries WHERE kind = ? AND expires_at <= ?", (kind, now)
        ).fetchall()
        self._forget(kind, [(key, at + self.ttl) for key, at in expired])
        (count,) = self._db.execute("SELECT COUNT(*) FROM entries WHERE kind = ?", (kind,)).fetchone()
        if count > self.max_entries:
            oldest = self._db.execute(
                "SELECT key FROM entries WHERE kind = ? ORDER BY used_at, key LIMIT ?",
                (kind, count - self.max_entries),
            ).fetchall()
            self._forget(kind, [(key, now + self.ttl) for (key,) in oldest])
        self._db.execute("DELETE FROM forgotten WHERE kind = ? AND until <= ?", (kind, now))
        (remembered,) = self._db.execute("SELECT COUNT(*) FROM forgotten WHERE kind = ?", (kind,)).fetchone()
        if remembered > self.max_entries:
            self._db.execute(
                "DELETE FROM forgotten WHERE kind = ? AND key IN"
                " (SELECT key FROM forgotten WHERE kind = ? ORDER BY until, key LIMIT ?)",
                (kind, kind, remembered - self.max_entries),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
