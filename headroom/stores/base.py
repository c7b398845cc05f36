"""The one contract every store keeps, whatever stands behind it (memory, SQLite, Redis).

A store keeps three kinds of entry, each in its own key space:

- `original`: a block's original text under its hash (what `headroom.retrieve` returns);
- `memo`: a compressed output under everything it depends on (answers repeats);
- `session`: the form a block was sent in, per session and position (keeps later turns
  byte-identical, so the provider's prompt cache keeps hitting).

Lifetime, the same in every store:

- An entry lives `ttl` seconds from the last time it was written or read.
- Each kind holds at most `max_entries` entries; over that, the least recently used
  (written or read) are evicted first.
- A key that expired or was evicted is remembered for another `ttl` seconds (at most
  `max_entries` such keys per kind): looking it up answers "expired". Past that, and
  for a key never stored, the answer is "unknown".

Values are text and come back byte for byte, lone surrogates included. A store that
cannot be reached raises `StoreUnavailable` (never the driver's own error), so a caller
can fail open.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from headroom.errors import HeadroomError

Kind = Literal["original", "memo", "session"]
KINDS: tuple[Kind, ...] = ("original", "memo", "session")
Status = Literal["found", "expired", "unknown"]

DEFAULT_TTL = 24 * 3600.0


class StoreUnavailable(HeadroomError):
    """The store cannot be reached or used; carries its URL and the reason."""

    def __init__(self, url: str, reason: str):
        self.url = url
        self.reason = reason
        super().__init__(f"store {url}: {reason}")


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


class Store(ABC):
    """Keeps originals, memoized outputs and session state, each with a TTL and a size bound.

    Backends implement `lookup_many` and `put_many`; everything else is built on them.
    """

    url: str = ""

    def __init__(self, *, ttl: float = DEFAULT_TTL, max_entries: int = 10_000):
        if ttl <= 0:
            raise ValueError(f"ttl must be positive, not {ttl}")
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, not {max_entries}")
        self.ttl = float(ttl)
        self.max_entries = int(max_entries)

    @abstractmethod
    def lookup_many(self, kind: Kind, keys: Sequence[str]) -> list[Lookup]:
        """One `Lookup` per key, in order. A found entry's lifetime starts again."""

    @abstractmethod
    def put_many(self, kind: Kind, items: Mapping[str, str]) -> None:
        """Write every item, then evict the least recently used past `max_entries`."""

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
