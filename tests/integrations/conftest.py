"""Fixtures for the integration tests: one stub provider per session, emptied before each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from headroom import samples
from tests.stub_upstream import StubUpstream


@pytest.fixture(scope="session")
def stub_server() -> Iterator[StubUpstream]:
    with StubUpstream() as upstream:
        yield upstream


@pytest.fixture
def upstream(stub_server: StubUpstream) -> StubUpstream:
    stub_server.clear()
    return stub_server


@pytest.fixture
def openai_messages() -> list[dict[str, Any]]:
    return samples.openai_conversation()


@pytest.fixture
def anthropic_messages() -> list[dict[str, Any]]:
    return samples.anthropic_conversation()


@pytest.fixture
def clean_litellm_callbacks() -> Iterator[None]:
    """Empties litellm's callback lists after the test (litellm copies callbacks into them on first use)."""
    yield
    import litellm

    litellm.logging_callback_manager._reset_all_callbacks()


@pytest.fixture
def fresh_proxy_app() -> Iterator[Any]:
    """LiteLLM's proxy app, ready to take middleware, with its middleware list restored afterwards.

    The app is one object for the whole process and an earlier test may already have
    started it (Starlette then refuses new middleware), so its built stack is dropped
    before and after: Starlette rebuilds it from `user_middleware` on the next request.
    """
    from litellm.proxy import proxy_server

    app = proxy_server.app
    kept = list(app.user_middleware)
    app.middleware_stack = None
    yield app
    app.user_middleware[:] = kept
    app.middleware_stack = None
