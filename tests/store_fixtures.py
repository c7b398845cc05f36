"""Stores for the contract suite: memory, SQLite and a real Redis, each with a clock the test moves.

Redis comes from HEADROOM_TEST_REDIS_URL (`.ci/run` starts a server and sets it), else
redis://127.0.0.1:6379/0. Without a reachable server the Redis cases skip locally and
FAIL in CI (CI=true), so a broken setup cannot pass unnoticed.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from headroom.ccr.stores import MemoryStore, Store
from headroom.ccr.stores.redis import RedisStore
from headroom.ccr.stores.sqlite import SqliteStore

KINDS_OF_STORE = ["memory", "sqlite", "redis"]


def redis_server_url() -> str:
    return os.environ.get("HEADROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis() -> str:
    """The test Redis URL; skips (or fails in CI) when no server answers there."""
    url = redis_server_url()
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as error:
        message = f"no Redis server at {url} ({type(error).__name__}: {error})"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; .ci/run should have started one")
        pytest.skip(message)
    return url


class Clock:
    """A clock the test moves by hand (memory, SQLite); Redis expires keys on its own clock, so
    for Redis `advance` really waits."""

    def __init__(self, real: bool):
        self.real = real
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return time.time() if self.real else self.now

    def advance(self, seconds: float) -> None:
        if self.real:
            time.sleep(seconds)
        else:
            self.now += seconds


MakeStore = Callable[..., tuple[Store, Clock]]


@pytest.fixture(params=KINDS_OF_STORE)
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeStore]:
    """Builds a fresh, isolated store of each kind: make_store(ttl=..., max_entries=...) -> (store, clock)."""
    kind = request.param
    opened: list[Store] = []
    url = require_redis() if kind == "redis" else ""

    def make(ttl: float = 60.0, max_entries: int = 1000) -> tuple[Store, Clock]:
        clock = Clock(real=kind == "redis")
        store: Store
        if kind == "memory":
            store = MemoryStore(max_entries, ttl=ttl, clock=clock)
        elif kind == "sqlite":
            path = tmp_path / f"{uuid.uuid4().hex}.db"
            store = SqliteStore(path, ttl=ttl, max_entries=max_entries, clock=clock)
        else:
            prefix = f"test-{uuid.uuid4().hex}"
            store = RedisStore(url, ttl=ttl, max_entries=max_entries, prefix=prefix, clock=clock)
        opened.append(store)
        return store, clock

    yield make
    for store in opened:
        store.close()


@pytest.fixture(params=KINDS_OF_STORE)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for each kind of store, isolated from every other test."""
    if request.param == "memory":
        return f"memory://?max_entries=1000&name={uuid.uuid4().hex}"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ccr.db"
    base = require_redis()
    return f"{base}{'&' if '?' in base else '?'}prefix=test-{uuid.uuid4().hex}"
