"""Stores for CCR (compress, cache, retrieve): where originals, memos and session state live.

Choose one by URL, in options (`compress(..., store="sqlite:///tmp/headroom.db")`) or in
the pipeline YAML (the cache stage's `store` param):

    memory://                      this process only (the default)
    sqlite:///path/to/file.db      survives restarts; shared by processes on one machine
    redis://host:6379/0            shared by processes and machines

Query parameters (any other is a configuration error, except that Redis passes the rest
to its client):

    every kind      ttl (seconds), max_entries
    memory://       max_bytes (all kinds together; 256 MB by default),
                    name (a separate store: memory://?name=a and memory://?name=b share nothing)
    sqlite, redis   breaker_failures, breaker_seconds (see `headroom.ccr.stores.base`)
    sqlite          timeout (seconds a write waits for a locked file; 1)
    redis           prefix, socket_connect_timeout (0.25), socket_timeout (0.5)

e.g. `sqlite:///var/lib/headroom.db?ttl=3600&max_entries=50000`. The lifetime and eviction
rules are the same for all three (`headroom.ccr.stores.base`); namespaces and verified reads
are in `headroom.ccr.stores.namespaces`. A `Store` instance is accepted wherever a URL is.
A URL of no known kind, or with a bad parameter, raises `StoreConfigError` where it is given.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from headroom.ccr.stores.base import (
    DEFAULT_TTL,
    KINDS,
    Breaker,
    Kind,
    Lookup,
    Store,
    StoreConfigError,
    StoreUnavailable,
)
from headroom.ccr.stores.memory import MemoryStore
from headroom.ccr.stores.namespaces import (
    ANONYMOUS_NAMESPACE,
    DEFAULT_NAMESPACE,
    ScopedStore,
    check_namespace,
    namespace_for_credential,
    scoped,
)
from headroom.ccr.stores.urls import number, query_params, redact

StoreLike = Store | str

SCHEMES = ("memory", "sqlite", "redis", "rediss", "unix")
_KNOWN = "use memory://, sqlite:///path or redis://host:port/db"

_default_store = MemoryStore()
_opened: dict[str, Store] = {}
_opening = threading.Lock()

_EVERY_KIND: dict[str, Callable[[str], Any]] = {
    "ttl": number(float, minimum=0, above=True),
    "max_entries": number(int, minimum=1),
}
_BREAKER: dict[str, Callable[[str], Any]] = {
    "breaker_failures": number(int, minimum=1),
    "breaker_seconds": number(float, minimum=0),
}
_PARAMS: dict[str, dict[str, Callable[[str], Any]]] = {
    "memory": {**_EVERY_KIND, "max_bytes": number(int, minimum=1), "name": str},
    "sqlite": {**_EVERY_KIND, **_BREAKER, "timeout": number(float, minimum=0)},
    "redis": {**_EVERY_KIND, **_BREAKER, "prefix": str},
}


def default_store() -> MemoryStore:
    """The process-wide memory store `compress()` uses when no store is given."""
    return _default_store


def check_url(url: Any) -> str:
    """The URL, stripped, when it names a known kind of store; else `StoreConfigError`.

    Reads the parameters too (a typo or a value that does not convert raises), without
    opening anything.
    """
    if not isinstance(url, str):
        raise StoreConfigError(repr(url), "a store is a URL or a Store instance")
    text = url.strip()
    scheme = urlsplit(text).scheme if "://" in text or text.startswith("memory:") else ""
    if scheme not in SCHEMES:
        raise StoreConfigError(text, f"unknown kind of store; {_KNOWN}")
    _params(text, scheme)
    if scheme == "sqlite" and not _sqlite_path(text):
        raise StoreConfigError(text, "no file: write sqlite:///path/to/file.db")
    return text


def _sqlite_path(url: str) -> str:
    # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy writes them
    path = urlsplit(url).path
    return path[1:] if path.startswith("/") else path


def _params(url: str, scheme: str) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    family = "redis" if scheme in ("redis", "rediss", "unix") else scheme
    try:
        return query_params(url, _PARAMS[family], others_allowed=family == "redis")
    except ValueError as error:
        raise StoreConfigError(url, str(error)) from error


def open_store(store: StoreLike) -> Store:
    """The store for a URL (opened once per process and reused) or the given instance.

    Raises `StoreConfigError` for a URL that names no known kind of store or has a bad
    parameter, and `StoreUnavailable` for one that cannot be opened (a SQLite file that
    cannot be created).
    """
    if isinstance(store, Store):
        return store
    url = check_url(store)
    if url in ("memory://", "memory:"):
        return _default_store
    with _opening:
        opened = _opened.get(url)
        if opened is None:
            opened = _open(url)
            _opened[url] = opened
        return opened


def _open(url: str) -> Store:
    parts = urlsplit(url)
    params, rest = _params(url, parts.scheme)
    try:
        if parts.scheme == "memory":
            params.pop("name", None)
            return MemoryStore(url=redact(url), **params)
        if parts.scheme == "sqlite":
            from headroom.ccr.stores.sqlite import SqliteStore

            return SqliteStore(_sqlite_path(url), **params)
        from headroom.ccr.stores.redis import RedisStore

        return RedisStore(urlunsplit(parts._replace(query=urlencode(rest))), **params)
    except ValueError as error:  # a bad ttl, max_entries, ... (StoreConfigError is one too)
        if isinstance(error, StoreConfigError):
            raise
        raise StoreConfigError(url, str(error)) from error


def resolve_store(explicit: StoreLike | None, pipeline: Any = None) -> Store:
    """The store a run uses: the caller's, else the one the pipeline names, else the default."""
    if explicit is not None:
        return open_store(explicit)
    declared = getattr(pipeline, "store", None)  # read when the pipeline loaded (`Stage.store_param`)
    return open_store(declared) if declared else _default_store


def retrieve(ref: str, store: StoreLike | None = None, *, namespace: str | None = None) -> str | None:
    """The original text behind a marker's hash, byte for byte, from one namespace (the default
    when none is given); None when it is not there or does not verify.

    `headroom.ccr.lookup` says why (expired, unknown, corrupt) and answers queries.
    """
    opened = open_store(store if store is not None else _default_store)
    lookup = ScopedStore(opened, namespace or DEFAULT_NAMESPACE).lookup(ref.strip().removeprefix("hash="))
    return lookup.value


__all__ = [
    "ANONYMOUS_NAMESPACE",
    "DEFAULT_NAMESPACE",
    "DEFAULT_TTL",
    "KINDS",
    "SCHEMES",
    "Breaker",
    "Kind",
    "Lookup",
    "MemoryStore",
    "ScopedStore",
    "Store",
    "StoreConfigError",
    "StoreLike",
    "StoreUnavailable",
    "check_namespace",
    "check_url",
    "default_store",
    "namespace_for_credential",
    "open_store",
    "redact",
    "resolve_store",
    "retrieve",
    "scoped",
]
