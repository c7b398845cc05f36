"""The store contract, the same suite over memory, SQLite and a real Redis server."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest
import yaml

from headroom.ccr.stores import (
    Kind,
    Lookup,
    MemoryStore,
    Store,
    StoreConfigError,
    StoreUnavailable,
    check_url,
    default_store,
    open_store,
    resolve_store,
)
from headroom.ccr.stores.memory import entry_size
from headroom.ccr.stores.redis import RedisStore
from headroom.ccr.stores.sqlite import SqliteStore
from tests.store_fixtures import MakeStore, require_redis

TEXTS = [
    "",
    "plain ascii",
    "ünïcödé ✓ 漢字 🙂",
    "lone surrogate \ud800 kept",
    "line 1\nline 2\r\n\ttabbed\x00nul",
    "x" * 1_000_000,
]


def test_every_text_comes_back_byte_for_byte(make_store: MakeStore) -> None:
    store, _ = make_store()
    items = {f"k{i}": text for i, text in enumerate(TEXTS)}
    store.put_many("original", items)
    found = store.lookup_many("original", list(items))
    assert [lookup.status for lookup in found] == ["found"] * len(TEXTS)
    assert [lookup.value for lookup in found] == TEXTS
    assert store.get("k3") == TEXTS[3]


def test_a_key_never_stored_is_unknown(make_store: MakeStore) -> None:
    store, _ = make_store()
    assert store.lookup("0123456789abcdef").status == "unknown"
    assert store.get("0123456789abcdef") is None


def test_after_the_ttl_a_key_is_expired_then_after_another_ttl_unknown(make_store: MakeStore) -> None:
    store, clock = make_store(ttl=0.5)
    store.put("k", "original")
    clock.advance(0.6)
    assert store.lookup("k").status == "expired"
    assert store.get("k") is None
    clock.advance(0.6)
    assert store.lookup("k").status == "unknown"


def test_reading_an_entry_starts_its_lifetime_again(make_store: MakeStore) -> None:
    store, clock = make_store(ttl=0.5)
    store.put("k", "original")
    clock.advance(0.3)
    assert store.get("k") == "original"
    clock.advance(0.3)  # 0.6 after the write, 0.3 after the read
    assert store.get("k") == "original"


def test_over_the_bound_the_least_recently_used_is_evicted_and_answered_expired(
    make_store: MakeStore,
) -> None:
    store, clock = make_store(max_entries=3)
    for key in "abc":
        store.put(key, key.upper())
        clock.advance(0.01)
    assert store.get("a") == "A"  # a is now the most recently used
    clock.advance(0.01)
    store.put("d", "D")
    assert store.lookup("b").status == "expired"
    assert [store.get(key) for key in "acd"] == ["A", "C", "D"]


def test_rewriting_a_key_replaces_it_and_counts_as_use(make_store: MakeStore) -> None:
    store, clock = make_store(max_entries=2)
    store.put("a", "old")
    clock.advance(0.01)
    store.put("b", "B")
    clock.advance(0.01)
    store.put("a", "new")
    clock.advance(0.01)
    store.put("c", "C")
    assert store.get("a") == "new"
    assert store.lookup("b").status == "expired"


def test_kinds_are_separate_key_spaces(make_store: MakeStore) -> None:
    store, _ = make_store()
    store.put("k", "original")
    store.put_memo("k", "memo")
    store.put_many("session", {"k": "session"})
    assert store.get("k") == "original"
    assert store.get_memo("k") == "memo"
    assert store.lookup("k", "session").value == "session"
    assert store.lookup("other", "memo").status == "unknown"


def test_batches_keep_their_order_and_may_repeat_keys(make_store: MakeStore) -> None:
    store, _ = make_store()
    store.put_many("memo", {"a": "1", "b": "2"})
    found = store.lookup_many("memo", ["b", "missing", "a", "b"])
    assert [(f.status, f.value) for f in found] == [
        ("found", "2"),
        ("unknown", None),
        ("found", "1"),
        ("found", "2"),
    ]
    assert store.lookup_many("memo", []) == []
    store.put_many("memo", {})


def test_a_redis_server_that_cannot_be_reached_raises_store_unavailable() -> None:
    store = RedisStore("redis://127.0.0.1:1/0", connect_timeout=0.2)
    with pytest.raises(StoreUnavailable, match=r"store redis://127\.0\.0\.1:1/0: ConnectionError"):
        store.get("k")
    with pytest.raises(StoreUnavailable):
        store.put("k", "v")


def test_a_sqlite_file_that_cannot_be_opened_raises_store_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreUnavailable, match="store sqlite:///"):
        SqliteStore(blocker / "store.db")


def test_a_sqlite_store_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    first = SqliteStore(path)
    first.put("k", "kept \ud800")
    first.close()
    assert SqliteStore(path).get("k") == "kept \ud800"


def test_urls_open_the_right_store_once(tmp_path: Path) -> None:
    assert open_store("memory://") is default_store()
    limited = open_store(f"memory://?ttl=5&max_entries=7&name={uuid.uuid4().hex}")
    assert isinstance(limited, MemoryStore) and (limited.ttl, limited.max_entries) == (5.0, 7)
    url = f"sqlite:///{tmp_path}/a.db?max_entries=9"
    sqlite = open_store(url)
    assert isinstance(sqlite, SqliteStore) and sqlite.path == f"{tmp_path}/a.db" and sqlite.max_entries == 9
    assert open_store(url) is sqlite
    redis_store = open_store("redis://127.0.0.1:1/3?prefix=p&ttl=60")
    assert isinstance(redis_store, RedisStore) and redis_store.prefix == "p" and redis_store.ttl == 60
    mine = MemoryStore()
    assert open_store(mine) is mine


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgres://db/x", "unknown kind of store"),
        ("sqlite:///", "no file"),
        ("memory://?ttl=soon", "ttl='soon' is not a valid float"),
        ("memory://?ttl=-1", "ttl='-1' must be positive"),
        ("memory://?max_bytes=0", "max_bytes='0' must be at least 1"),
        ("memory://?max_entires=5", "unknown parameter 'max_entires' \\(did you mean \"max_entries\"\\?\\)"),
        ("sqlite:///x.db?prefix=a", "unknown parameter 'prefix'"),
        ("redis://h/0?breaker_seconds=soon", "breaker_seconds='soon' is not a valid float"),
    ],
)
def test_bad_urls_are_configuration_errors_named_in_the_error(url: str, message: str) -> None:
    with pytest.raises(StoreConfigError, match=message):
        open_store(url)
    with pytest.raises(StoreConfigError, match=message):
        check_url(url)


def test_the_callers_store_wins_over_the_pipelines(tmp_path: Path) -> None:
    from headroom.pipeline.loading import load_pipeline

    spec = yaml.safe_load(load_pipeline("default").to_yaml())
    spec["stages"]["cache"].setdefault("params", {})["store"] = f"sqlite:///{tmp_path}/yaml.db"
    pipeline = load_pipeline(spec)
    assert isinstance(resolve_store(None, pipeline), SqliteStore)
    mine = MemoryStore()
    assert resolve_store(mine, pipeline) is mine
    assert resolve_store(None, load_pipeline("default")) is default_store()


_CHILD = textwrap.dedent(
    """
    import sys
    from headroom.ccr.stores import open_store
    store = open_store(sys.argv[1])
    if sys.argv[2] == "put":
        store.put(sys.argv[3], sys.argv[4])
    else:
        print(store.lookup(sys.argv[3]).value)
    """
)


def _child(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


def test_two_processes_sharing_redis_each_read_what_the_other_stored() -> None:
    url = f"{require_redis()}?prefix=test-{uuid.uuid4().hex}"
    _child(url, "put", "from-child", "written by the child")
    assert open_store(url).get("from-child") == "written by the child"
    open_store(url).put("from-parent", "written by the parent")
    assert _child(url, "get", "from-parent") == "written by the parent"
    assert _child(url, "get", "from-child") == "written by the child"


def test_two_processes_sharing_a_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shared.db"
    _child(url, "put", "k", "from the child")
    assert _child(url, "get", "k") == "from the child"


def test_every_store_is_a_store() -> None:
    assert all(issubclass(kind, Store) for kind in (MemoryStore, SqliteStore, RedisStore))


# the memory store's byte bound ---------------------------------------------------------------------


def test_the_memory_store_is_bounded_by_bytes_least_recently_used_first_across_kinds() -> None:
    text = "x" * 1_000
    size = entry_size("a", text)
    store = MemoryStore(max_bytes=3 * size)
    store.put("a", text)
    store.put_memo("b", text)
    store.put_many("session", {"c": text})
    assert store.bytes == 3 * size
    assert store.get("a") == text  # a is now the most recently used; b the least
    store.put("d", text)
    assert store.lookup("b", "memo").status == "expired"
    assert [store.get("a"), store.lookup("c", "session").value, store.get("d")] == [text] * 3
    assert store.bytes <= store.max_bytes


def test_an_entry_counts_its_key_and_value_once_however_often_it_is_written() -> None:
    store = MemoryStore()
    store.put("k", "v" * 100)
    store.put("k", "w" * 10)
    assert store.bytes == entry_size("k", "w" * 10)
    assert entry_size("k", "é" * 100) > entry_size("k", "e" * 100)  # what CPython holds, not characters


def test_an_entry_larger_than_the_bound_is_not_kept() -> None:
    store = MemoryStore(max_bytes=100)
    store.put("big", "x" * 1_000)
    assert store.lookup("big").status == "expired" and store.bytes == 0


def test_the_byte_bound_is_256_mb_by_default_and_set_by_url() -> None:
    assert default_store().max_bytes == 256 * 1024 * 1024
    store = open_store(f"memory://?max_bytes=5000&name={uuid.uuid4().hex}")
    assert isinstance(store, MemoryStore) and store.max_bytes == 5000


# timeouts and the circuit breaker ------------------------------------------------------------------


class Flaky(Store):
    """A store whose backend fails while `down` is set, counting the calls that reach it."""

    def __init__(self) -> None:
        super().__init__(breaker_failures=3, breaker_seconds=30)
        self.url = "redis://***@flaky:6379/0"
        self.down = True
        self.calls = 0
        self.now = 0.0
        self.breaker._clock = lambda: self.now

    def _lookup_many(self, kind: Kind, keys: Sequence[str]) -> list[Lookup]:
        self.calls += 1
        if self.down:
            raise StoreUnavailable(self.url, "TimeoutError: Timeout reading from socket")
        return [Lookup("unknown") for _ in keys]

    def _put_many(self, kind: Kind, items: Mapping[str, str]) -> None:
        self._lookup_many(kind, list(items))


def test_after_three_failures_in_a_row_the_store_is_skipped_for_a_while() -> None:
    store = Flaky()
    for _ in range(3):
        with pytest.raises(StoreUnavailable, match="TimeoutError"):
            store.get("k")
    assert store.breaker.is_open and store.calls == 3
    store.now += 10
    with pytest.raises(
        StoreUnavailable,
        match=r"^store redis://\*\*\*@flaky:6379/0: skipped for 20 s after 3 failures in a row \(last: T",
    ):
        store.put("k", "v")
    assert store.calls == 3 and store.breaker.skipped == 1  # the backend was not called
    store.now += 21  # the breaker lets one call through: it fails, so it opens again at once
    with pytest.raises(StoreUnavailable, match="TimeoutError"):
        store.get("k")
    assert store.breaker.is_open and store.calls == 4
    store.now += 31
    store.down = False
    assert store.lookup("k").status == "unknown"  # a success closes it
    assert not store.breaker.is_open and store.breaker.in_a_row == 0


def test_a_failure_between_successes_does_not_open_the_breaker() -> None:
    store = Flaky()
    for _ in range(5):
        store.down = True
        with pytest.raises(StoreUnavailable):
            store.get("k")
        store.down = False
        store.get("k")
    assert not store.breaker.is_open and store.calls == 10


def test_timeouts_and_breaker_settings_come_from_the_url() -> None:
    redis_store = open_store("redis://127.0.0.1:1/0?prefix=q&socket_timeout=0.1&breaker_failures=5")
    assert isinstance(redis_store, RedisStore) and redis_store.breaker.failures == 5
    kwargs = redis_store._client.connection_pool.connection_kwargs
    assert (kwargs["socket_timeout"], kwargs["socket_connect_timeout"]) == (0.1, 0.25)
    default = open_store("redis://127.0.0.1:1/0?prefix=r")
    assert default._client.connection_pool.connection_kwargs["socket_timeout"] == 0.5  # type: ignore[attr-defined]
    assert (default.breaker.failures, default.breaker.seconds) == (3, 30.0)


@pytest.fixture
def frozen_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A private redis-server the test may stop (SIGSTOP) and resume; always resumed and killed."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no redis-server; .ci/run should have installed one")
        pytest.skip("no redis-server")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_for(url)
        yield url, server
    finally:
        os.kill(server.pid, signal.SIGCONT)
        server.kill()
        server.wait()


def _wait_for(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=0.2)
    for _ in range(100):
        try:
            client.ping()
            return
        except redis.ConnectionError:
            time.sleep(0.05)
    raise AssertionError(f"redis-server at {url} did not start")


def test_a_frozen_redis_is_skipped_by_the_breaker_and_nothing_is_elided_meanwhile(
    frozen_redis: tuple[str, subprocess.Popen[bytes]],
) -> None:
    from headroom import compress, samples

    base, server = frozen_redis
    url = f"{base}?prefix=p&socket_timeout=0.2&breaker_seconds=600"
    store = open_store(url)
    now = [0.0]
    store.breaker._clock = lambda: now[0]
    messages = samples.openai_conversation()
    healthy = compress(messages, store=url)
    assert not healthy.failures and healthy.messages != messages
    os.kill(server.pid, signal.SIGSTOP)
    attempts = store.breaker.attempts
    frozen = [compress(messages, store=url) for _ in range(6)]
    assert store.breaker.is_open
    assert store.breaker.attempts - attempts == 3  # three calls waited for the socket timeout ...
    assert store.breaker.skipped == 3  # ... and the next three never touched the server
    for result in frozen:
        assert result.messages == messages  # nothing elided that could not be retrieved
    assert all("TimeoutError" in result.failures[0] for result in frozen[:3])
    assert all("skipped for 600 s after 3 failures in a row" in result.failures[0] for result in frozen[3:])
    os.kill(server.pid, signal.SIGCONT)
    now[0] += 601
    recovered = compress(messages, store=url)
    assert not recovered.failures and recovered.messages == healthy.messages
    assert not store.breaker.is_open
