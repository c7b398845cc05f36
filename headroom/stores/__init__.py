"""Stores for CCR (compress, cache, retrieve): where originals, memos and session state live.

Choose one by URL, in options (`compress(..., store="sqlite:///tmp/headroom.db")`) or in
the pipeline YAML (the cache stage's `store` param):

    memory://                      this process only (the default)
    sqlite:///path/to/file.db      survives restarts; shared by processes on one machine
    redis://host:6379/0            shared by processes and machines

Each URL takes `ttl` (seconds) and `max_entries` as query parameters, e.g.
`sqlite:///var/lib/headroom.db?ttl=3600&max_entries=50000`; Redis also takes `prefix`.
The lifetime and eviction rules are the same for all three (`headroom.stores.base`).
A `Store` instance is accepted wherever a URL is.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from headroom.stores.base import DEFAULT_TTL, KINDS, Kind, Lookup, Store, StoreUnavailable
from headroom.stores.memory import MemoryStore

StoreLike = Store | str

_default_store = MemoryStore()
_opened: dict[str, Store] = {}
_opening = threading.Lock()
_OWN_PARAMS = {"ttl": float, "max_entries": int, "prefix": str}


def default_store() -> MemoryStore:
    """The process-wide memory store `compress()` uses when no store is given."""
    return _default_store


def open_store(store: StoreLike) -> Store:
    """The store for a URL (opened once per process and reused) or the given instance.

    Raises `StoreUnavailable` for a URL that names no known kind of store or cannot be opened.
    """
    if isinstance(store, Store):
        return store
    if not isinstance(store, str):
        raise StoreUnavailable(repr(store), "a store is a URL or a Store instance")
    url = store.strip()
    if url in ("memory://", "memory:"):
        return _default_store
    with _opening:
        opened = _opened.get(url)
        if opened is None:
            try:
                opened = _open(url)
            except ValueError as error:  # a bad ttl or max_entries
                raise StoreUnavailable(url, str(error)) from error
            _opened[url] = opened
        return opened


def _open(url: str) -> Store:
    parts = urlsplit(url)
    params = _own_params(url, parts.query)
    kept_query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k not in _OWN_PARAMS])
    if parts.scheme == "memory":
        params.pop("prefix", None)
        return MemoryStore(url=url, **params)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy writes them
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        if not path:
            raise StoreUnavailable(url, "no file: write sqlite:///path/to/file.db")
        params.pop("prefix", None)
        from headroom.stores.sqlite import SqliteStore

        return SqliteStore(path, **params)
    if parts.scheme in ("redis", "rediss", "unix"):
        from headroom.stores.redis import RedisStore

        client_url = urlunsplit(parts._replace(query=kept_query))
        return RedisStore(client_url, **params)
    raise StoreUnavailable(
        url, "unknown kind of store; use memory://, sqlite:///path or redis://host:port/db"
    )


def _own_params(url: str, query: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in parse_qsl(query):
        convert = _OWN_PARAMS.get(key)
        if convert is None:
            continue
        try:
            params[key] = convert(value)
        except ValueError as error:
            raise StoreUnavailable(url, f"{key}={value!r} is not a valid {convert.__name__}") from error
    return params


def resolve_store(explicit: StoreLike | None, pipeline: Any = None) -> Store:
    """The store a run uses: the caller's, else the one the pipeline names, else the default."""
    if explicit is not None:
        return open_store(explicit)
    params = pipeline.params() if pipeline is not None else {}
    for values in params.values():
        url = values.get("store")
        if url:
            return open_store(url)
    return _default_store


def retrieve(ref: str, store: StoreLike | None = None) -> str | None:
    """The original text behind a marker's hash, byte for byte; None when it is not there.

    `headroom.ccr.lookup` says why (expired, unknown) and answers queries.
    """
    lookup = open_store(store if store is not None else _default_store).lookup(
        ref.strip().removeprefix("hash=")
    )
    return lookup.value


__all__ = [
    "DEFAULT_TTL",
    "KINDS",
    "Kind",
    "Lookup",
    "MemoryStore",
    "Store",
    "StoreLike",
    "StoreUnavailable",
    "default_store",
    "open_store",
    "resolve_store",
    "retrieve",
]
