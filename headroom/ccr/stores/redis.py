"""`redis://host:port/db`: one store shared by several processes or machines.

Each kind keeps its values under `<prefix>:<kind>:v:<key>` (Redis expires them after
`ttl`), a marker `<prefix>:<kind>:t:<key>` that outlives the value (so a lookup can say
"expired" rather than "unknown"), and a sorted set `<prefix>:<kind>:lru` of keys by
last use, trimmed to `max_entries`. Every lookup and every write is one Lua script, so a
batch costs one round trip and other processes never see half of it.

Redis forgets the remembered keys by time alone: a key is answered "expired" until
`ttl` after it expired or was evicted. Needs the `redis` client (`pip install
'headroom-ai[redis]'`).

Timeouts are short, so a server that hangs costs little before the breaker
(`headroom.ccr.stores.base`) skips it: connecting gives up after 0.25 s, and a reply that
takes longer than 0.5 s fails the call (`socket_connect_timeout` and `socket_timeout`,
in seconds, in the URL's query change them). A refused or dropped connection is tried
once more at once (a pooled connection may be stale after a server restart); a timeout
is not retried.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from headroom.ccr.stores.base import (
    DEFAULT_BREAKER_FAILURES,
    DEFAULT_BREAKER_SECONDS,
    DEFAULT_TTL,
    Kind,
    Lookup,
    Store,
    StoreConfigError,
    StoreUnavailable,
    decode,
    encode,
)
from headroom.ccr.stores.urls import redact

CONNECT_TIMEOUT = 0.25
SOCKET_TIMEOUT = 0.5

_LOOKUP = """
local now, ttl, values, marks = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4]
local out = {}
for n = 5, #ARGV do
  local key = ARGV[n]
  local value = redis.call('GET', values .. key)
  if value then
    redis.call('PEXPIRE', values .. key, ttl)
    redis.call('PEXPIRE', marks .. key, 2 * ttl)
    redis.call('ZADD', KEYS[1], now, key)
    out[n - 4] = value
  elseif redis.call('EXISTS', marks .. key) == 1 then
    out[n - 4] = 1
  else
    out[n - 4] = 0
  end
end
return out
"""

_PUT = """
local now, ttl, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local values, marks = ARGV[4], ARGV[5]
for n = 6, #ARGV, 2 do
  local key = ARGV[n]
  redis.call('SET', values .. key, ARGV[n + 1], 'PX', ttl)
  redis.call('SET', marks .. key, '1', 'PX', 2 * ttl)
  redis.call('ZADD', KEYS[1], now, key)
end
local count = redis.call('ZCARD', KEYS[1])
if count > limit then
  local oldest = redis.call('ZPOPMIN', KEYS[1], count - limit)
  for i = 1, #oldest, 2 do
    redis.call('DEL', values .. oldest[i])
    redis.call('SET', marks .. oldest[i], '1', 'PX', ttl)
  end
end
return count
"""


class RedisStore(Store):
    """The store contract over a Redis server."""

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        *,
        ttl: float = DEFAULT_TTL,
        max_entries: int = 100_000,
        prefix: str = "headroom",
        clock: Callable[[], float] = time.time,
        connect_timeout: float = CONNECT_TIMEOUT,
        timeout: float = SOCKET_TIMEOUT,
        breaker_failures: int = DEFAULT_BREAKER_FAILURES,
        breaker_seconds: float = DEFAULT_BREAKER_SECONDS,
        client: Any = None,
    ):
        super().__init__(
            ttl=ttl,
            max_entries=max_entries,
            breaker_failures=breaker_failures,
            breaker_seconds=breaker_seconds,
        )
        self.url = redact(url)  # what is shown; the real one (the client holds it too) only scrubs errors
        self._real_url = url
        self.prefix = prefix
        self._clock = clock
        if client is None:
            client = _client(url, connect_timeout, timeout)
        self._client = client
        self._lookup = client.register_script(_LOOKUP)
        self._put = client.register_script(_PUT)

    def _names(self, kind: Kind) -> tuple[str, str, str]:
        base = f"{self.prefix}:{kind}"
        return f"{base}:lru", f"{base}:v:", f"{base}:t:"

    def _ttl_ms(self) -> int:
        return max(1, round(self.ttl * 1000))

    def _lookup_many(self, kind: Kind, keys: Sequence[str]) -> list[Lookup]:
        lru, values, marks = self._names(kind)
        replies = self._call(self._lookup, [lru], [self._clock(), self._ttl_ms(), values, marks, *keys])
        return [_as_lookup(reply) for reply in replies]

    def _put_many(self, kind: Kind, items: Mapping[str, str]) -> None:
        lru, values, marks = self._names(kind)
        pairs: list[Any] = []
        for key, value in items.items():
            pairs.extend((key, encode(value)))
        self._call(self._put, [lru], [self._clock(), self._ttl_ms(), self.max_entries, values, marks, *pairs])

    def _call(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        try:
            return script(keys=keys, args=args)
        except Exception as error:  # the client's errors (connection, timeout, response) all mean the same
            raise StoreUnavailable(self._real_url, f"{type(error).__name__}: {error}") from error

    def close(self) -> None:
        self._client.close()


def _client(url: str, connect_timeout: float, timeout: float) -> Any:
    try:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
    except ImportError as error:
        raise StoreConfigError(
            url, "the redis client is not installed: pip install 'headroom-ai[redis]'"
        ) from error
    try:
        return redis.Redis.from_url(
            url,
            socket_connect_timeout=connect_timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
        )
    except ValueError as error:  # a malformed URL or query value
        raise StoreConfigError(url, str(error)) from error


def _as_lookup(reply: Any) -> Lookup:
    if isinstance(reply, bytes):
        return Lookup("found", decode(reply))
    return Lookup("expired" if reply == 1 else "unknown")
