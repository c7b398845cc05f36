"""The one contract every store keeps, whatever stands behind it (memory, SQLite, Redis).

A store keeps three kinds of entry, each in its own key space:

- `original`: a block's original text under its hash (what `headroom.retrieve` returns);
- `memo`: a compressed output under everything it depends on (answers repeats);
- `session`: the form a block was sent in, per session and position (keeps later turns
  byte-identical, so the provider's prompt cache keeps hitting).

Lifetime, the same in every store:

- An entry lives `ttl` seconds from the last time it was written or read.
- Each kind holds at most `max_entries` entries; over that, the least recently used
  (written or read) are evicted first. The memory store is also bounded by bytes.
- A key that expired or was evicted is remembered for another `ttl` seconds (at most
  `max_entries` such keys per kind): looking it up answers "expired". Past that, and
  for a key never stored, the answer is "unknown".

Values are text and come back byte for byte, lone surrogates included. A store that
cannot be reached raises `StoreUnavailable` (never the driver's own error), so a caller
can fail open; its URL is always shown redacted (`headroom.ccr.stores.urls.redact`).

Failing fast: after `breaker_failures` failures in a row (3 by default) a store is skipped
for `breaker_seconds` (30 by default): every call raises `StoreUnavailable` at once,
saying so, without touching the server. After that one call is let through; a success
closes the breaker, a failure opens it again. One breaker per store instance.

This is the raw contract: keys and values as given. Namespaces and verified reads are
built on it (`headroom.ccr.stores.namespaces`).
"""

from __future__ import annotations

import math
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, TypeVar

from headroom.ccr.stores.urls import redact, scrub
from headroom.pipeline.errors import ConfigurationError, HeadroomError

Kind = Literal["original", "memo", "session"]
KINDS: tuple[Kind, ...] = ("original", "memo", "session")
Status = Literal["found", "expired", "unknown", "corrupt"]

DEFAULT_TTL = 24 * 3600.0
DEFAULT_BREAKER_FAILURES = 3
DEFAULT_BREAKER_SECONDS = 30.0

T = TypeVar("T")


class StoreUnavailable(HeadroomError):
    """The store cannot be reached or used; carries its URL (redacted) and the reason."""

    def __init__(self, url: str, reason: str):
        self.url = redact(url)
        self.reason = scrub(reason, url)
        super().__init__(f"store {self.url}: {self.reason}")


class StoreConfigError(ConfigurationError, ValueError):
    """A store URL of no known kind, or a bad setting in one. Raised at the call site."""

    def __init__(self, url: str, reason: str):
        self.url = redact(url)
        self.reason = scrub(reason, url)
        super().__init__(f"store {self.url}: {self.reason}")


@dataclass(frozen=True)
class Lookup:
    """What a store knows about one key: the value, or why there is none."""

    status: Status
    value: str | None = None

    @property
    def found(self) -> bool:
        return self.status == "found"


FOUND_NOTHING = Lookup("unknown")


def encode(value: str) -> bytes:
    """UTF-8 that keeps lone surrogates, so every str round-trips byte for byte."""
    return value.encode("utf-8", "surrogatepass")


def decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogatepass")


class Breaker:
    """Skips a store for `seconds` after `failures` failures in a row (see the module docstring)."""

    def __init__(
        self,
        failures: int = DEFAULT_BREAKER_FAILURES,
        seconds: float = DEFAULT_BREAKER_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        if failures < 1:
            raise ValueError(f"breaker_failures must be at least 1, not {failures}")
        if seconds < 0:
            raise ValueError(f"breaker_seconds must not be negative, not {seconds}")
        self.failures = int(failures)
        self.seconds = float(seconds)
        self._clock = clock
        self._lock = threading.Lock()
        self.in_a_row = 0  # failures since the last success
        self.open_until: float | None = None
        self.last_error = ""
        self.attempts = 0  # calls that reached the store
        self.skipped = 0  # calls refused while open

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self.open_until is not None and self._clock() < self.open_until

    def call(self, url: str, work: Callable[[], T]) -> T:
        with self._lock:
            now = self._clock()
            if self.open_until is not None and now < self.open_until:
                self.skipped += 1
                left = math.ceil(self.open_until - now)
                raise StoreUnavailable(
                    url,
                    f"skipped for {left} s after {self.in_a_row} failures in a row (last: {self.last_error})",
                )
            self.attempts += 1
        try:
            result = work()
        except StoreUnavailable as error:
            self._failed(error.reason)
            raise
        with self._lock:
            self.in_a_row = 0
            self.open_until = None
        return result

    def _failed(self, reason: str) -> None:
        with self._lock:
            self.in_a_row += 1
            self.last_error = reason
            if self.in_a_row >= self.failures:
                self.open_until = self._clock() + self.seconds


class Store(ABC):
    """Keeps originals, memoized outputs and session state, each with a TTL and a size bound.

    Backends implement `_lookup_many` and `_put_many`; calls reach them through the breaker.
    """

    url: str = ""  # always redacted: safe to print

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_TTL,
        max_entries: int = 10_000,
        breaker_failures: int = DEFAULT_BREAKER_FAILURES,
        breaker_seconds: float = DEFAULT_BREAKER_SECONDS,
    ):
        if ttl <= 0:
            raise ValueError(f"ttl must be positive, not {ttl}")
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, not {max_entries}")
        self.ttl = float(ttl)
        self.max_entries = int(max_entries)
        self.breaker = Breaker(breaker_failures, breaker_seconds)

    def lookup_many(self, kind: Kind, keys: Sequence[str]) -> list[Lookup]:
        """One `Lookup` per key, in order. A found entry's lifetime starts again."""
        if not keys:
            return []
        return self.breaker.call(self.url, lambda: self._lookup_many(kind, keys))

    def put_many(self, kind: Kind, items: Mapping[str, str]) -> None:
        """Write every item, then evict the least recently used past the bounds."""
        if items:
            self.breaker.call(self.url, lambda: self._put_many(kind, items))

    @abstractmethod
    def _lookup_many(self, kind: Kind, keys: Sequence[str]) -> list[Lookup]:
        """The backend's lookup of a non-empty batch."""

    @abstractmethod
    def _put_many(self, kind: Kind, items: Mapping[str, str]) -> None:
        """The backend's write of a non-empty batch."""

    def ping(self) -> None:
        """Raise `StoreUnavailable` when the store cannot be used."""
        self.lookup_many("original", ["ping"])

    def close(self) -> None:  # noqa: B027  (most stores hold nothing to release)
        """Release connections. The store may not be used afterwards."""

    # conveniences over the contract ------------------------------------------------------

    def lookup(self, key: str, kind: Kind = "original") -> Lookup:
        return self.lookup_many(kind, [key])[0]

    def put(self, key: str, original: str) -> None:
        self.put_many("original", {key: original})

    def get(self, key: str) -> str | None:
        return self.lookup(key).value

    def put_memo(self, key: str, output: str) -> None:
        self.put_many("memo", {key: output})

    def get_memo(self, key: str) -> str | None:
        return self.lookup(key, "memo").value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r}, ttl={self.ttl:g}, max_entries={self.max_entries})"


@contextmanager
def unavailable_on(url: str, *errors: type[BaseException]) -> Iterator[None]:
    """Turn a driver's errors into `StoreUnavailable`, keeping the driver's error as the cause."""
    try:
        yield
    except StoreUnavailable:
        raise
    except errors as error:
        raise StoreUnavailable(url, f"{type(error).__name__}: {error}") from error
