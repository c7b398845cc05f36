"""Fixtures for the proxy tests: a stub provider, and the proxy in front of it, both real HTTP on
127.0.0.1 (the proxy served by uvicorn in a thread; tests/proxy/test_serve.py runs `headroom
proxy` as a process)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from headroom.proxy import ProxyConfig, create_app
from tests.stub_upstream import StubUpstream, serve_in_thread


@pytest.fixture(scope="session")
def stub_server() -> Iterator[StubUpstream]:
    with StubUpstream() as upstream:
        yield upstream


@pytest.fixture
def upstream(stub_server: StubUpstream) -> StubUpstream:
    stub_server.clear()
    return stub_server


def config_for(upstream_url: str, **settings: Any) -> ProxyConfig:
    """A proxy configuration whose upstreams are the stub (a fresh memory store unless given)."""
    settings.setdefault("store", f"memory://?name=proxy-test-{uuid.uuid4().hex}")
    return ProxyConfig(anthropic_api_url=upstream_url, openai_api_url=f"{upstream_url}/v1", **settings)


@contextlib.contextmanager
def running_proxy(upstream_url: str, **settings: Any) -> Iterator[str]:
    """The proxy, in front of `upstream_url`, served until the block ends; yields its base URL."""
    with serve_in_thread(create_app(config_for(upstream_url, **settings))) as url:
        yield url


@pytest.fixture
def proxy(upstream: StubUpstream) -> Iterator[str]:
    with running_proxy(upstream.url) as url:
        yield url
