"""Prefix stability over an agent session: every earlier message goes upstream in the same
bytes on every later turn, so the provider's prompt cache keeps hitting.

The session is built the way Claude Code sends one: the whole history on every turn, 40 KB
of tool definitions, several tool calls merged into one assistant message, a `system`
message inside `messages`, and a `cache_control` breakpoint that moves to the newest block
each turn. It must hold with one proxy, with a fresh proxy process on the same SQLite store,
and with several proxies (workers) sharing one Redis store."""

from __future__ import annotations

import copy
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from headroom import ccr
from tests.proxy.conftest import running_proxy
from tests.stub_upstream import StubUpstream

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tool_output"
# Real command outputs, two per turn (they become tool results merged into one user message).
OUTPUTS = [
    ("http_server_access.log", "payments_client_errors.log"),
    ("dpkg.log", "pytest_verbose_failures.txt"),
    ("grep_rn_def_init.txt", "npm_install_verbose.txt"),
]
HEADERS = {"x-api-key": "sk-ant-session-key", "anthropic-version": "2023-06-01"}


def _tools() -> list[dict[str, Any]]:
    """About 40 KB of tool definitions, as an agent sends them."""
    schema = {
        "type": "object",
        "properties": {f"option_{i}": {"type": "string", "description": "x" * 80} for i in range(12)},
    }
    return [
        {"name": f"tool_{n}", "description": "Does one thing. " * 20, "input_schema": schema}
        for n in range(24)
    ]


def _turn(history: list[dict[str, Any]], turn: int) -> list[dict[str, Any]]:
    """The history with turn `turn`'s tool calls and results appended, the breakpoint moved there."""
    messages = copy.deepcopy(history)
    for message in messages:  # the client drops the old breakpoint ...
        if isinstance(message["content"], list):
            for block in message["content"]:
                block.pop("cache_control", None)
    calls = [
        {"type": "tool_use", "id": f"toolu_{turn}_{i}", "name": "tool_1", "input": {"path": name}}
        for i, name in enumerate(OUTPUTS[turn])
    ]
    results = [
        {"type": "tool_result", "tool_use_id": call["id"], "content": (FIXTURES / name).read_text()}
        for call, name in zip(calls, OUTPUTS[turn], strict=True)
    ]
    results[-1]["cache_control"] = {"type": "ephemeral"}  # ... and marks the newest block
    return [*messages, {"role": "assistant", "content": calls}, {"role": "user", "content": results}]


def _opening() -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": "You are a coding agent in /work/repo."},
        {"role": "user", "content": [{"type": "text", "text": "Find why checkout and the build fail."}]},
    ]


def _without_breakpoints(message: dict[str, Any]) -> bytes:
    stripped = copy.deepcopy(message)
    if isinstance(stripped["content"], list):
        for block in stripped["content"]:
            block.pop("cache_control", None)
    return orjson.dumps(stripped)


def _send(proxy: str, messages: list[dict[str, Any]]) -> None:
    body = {"model": "claude-sonnet-4-5", "max_tokens": 256, "system": "Be terse.", "tools": _tools()}
    reply = httpx.post(f"{proxy}/v1/messages?beta=true", json={**body, "messages": messages}, headers=HEADERS)
    assert reply.status_code == 200, reply.text


def _session(proxies: Iterator[str], upstream: StubUpstream) -> list[dict[str, Any]]:
    """Three turns, each through the next proxy; the bodies the upstream received."""
    history = _opening()
    received = []
    for turn in range(len(OUTPUTS)):
        history = _turn(history, turn)
        upstream.clear()
        _send(next(proxies), history)
        received.append(upstream.last("/v1/messages").json())
    return received


def _assert_prefix_stable(received: list[dict[str, Any]]) -> None:
    for earlier, later in itertools.pairwise(received):
        assert orjson.dumps(later["tools"]) == orjson.dumps(earlier["tools"])
        assert later["tools"][-1]["name"] == ccr.TOOL_NAME
        for index, message in enumerate(earlier["messages"]):
            assert _without_breakpoints(later["messages"][index]) == _without_breakpoints(message), index
    # and the tool results were compressed, on every turn
    for body in received:
        newest = body["messages"][-1]["content"]
        assert all("[headroom: " in block["content"] for block in newest)
        assert newest[-1]["cache_control"] == {"type": "ephemeral"}


def test_one_proxy_keeps_every_earlier_message_byte_identical(upstream: StubUpstream) -> None:
    with running_proxy(upstream.url) as proxy:
        received = _session(iter([proxy] * 3), upstream)
    _assert_prefix_stable(received)


def test_a_fresh_proxy_process_on_the_same_sqlite_store_sends_the_same_bytes(
    upstream: StubUpstream, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'proxy.db'}"

    def fresh_proxies() -> Iterator[str]:
        for _ in range(3):  # each turn a new app: nothing shared but the file
            with running_proxy(upstream.url, store=store) as proxy:
                yield proxy

    _assert_prefix_stable(_session(fresh_proxies(), upstream))


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("HEADROOM_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("HEADROOM_TEST_REDIS_URL is not set in CI")
        pytest.skip("no Redis server (set HEADROOM_TEST_REDIS_URL)")
    return url


def test_workers_sharing_a_redis_store_send_the_same_bytes(upstream: StubUpstream, redis_url: str) -> None:
    import uuid

    store = f"{redis_url}?prefix=proxy-test-{uuid.uuid4().hex}:"
    with (
        running_proxy(upstream.url, store=store) as first,
        running_proxy(upstream.url, store=store) as second,
    ):
        received = _session(iter([first, second, first]), upstream)
    _assert_prefix_stable(received)
