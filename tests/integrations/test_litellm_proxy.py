"""The integrations inside the real LiteLLM proxy: its config loader, its server app, its middleware stack."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import litellm
import pytest
from litellm.proxy import proxy_server

from headroom.integrations.asgi import CompressionMiddleware
from headroom.integrations.litellm_callback import HeadroomCallback, HeadroomCallbackType
from tests.integrations.checks import assert_compressed
from tests.stub_upstream import StubUpstream

GUIDE_SETTINGS = """\
litellm_settings:
  callbacks: ["headroom.integrations.litellm_callback.HeadroomCallback"]
"""


def write_config(folder: Path, upstream: StubUpstream, settings: str = GUIDE_SETTINGS) -> Path:
    """A proxy config with one model served by the stub, plus `settings` exactly as given."""
    model_list = f"""\
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: {upstream.openai_base}
      api_key: sk-stub
"""
    path = folder / "litellm_config.yaml"
    path.write_text(model_list + settings)
    return path


pytestmark = pytest.mark.usefixtures("clean_litellm_callbacks")


def proxy_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy_server.app), base_url="http://proxy")


def test_guide_config_line_loads_in_the_proxy_loader_and_compresses(
    tmp_path, upstream, openai_messages
) -> None:
    config = write_config(tmp_path, upstream)

    async def load_and_call() -> Any:
        router, _, _ = await proxy_server.ProxyConfig().load_config(router=None, config_file_path=str(config))
        return await router.acompletion(model="gpt-4o", messages=openai_messages)

    response = asyncio.run(load_and_call())

    assert HeadroomCallback in litellm.callbacks  # the name resolved to the shared instance
    assert response.choices[0].message.content == "stub reply"
    assert_compressed(openai_messages, upstream.last("/v1/chat/completions").json()["messages"])
    assert HeadroomCallback.requests_compressed >= 1


def test_proxy_server_with_the_callback_compresses_what_it_forwards(
    tmp_path, upstream, openai_messages
) -> None:
    config = write_config(tmp_path, upstream)

    async def serve_one() -> httpx.Response:
        await proxy_server.initialize(config=str(config))
        async with proxy_client() as client:
            return await client.post(
                "/v1/chat/completions", json={"model": "gpt-4o", "messages": openai_messages}
            )

    response = asyncio.run(serve_one())

    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "stub reply"
    assert_compressed(openai_messages, upstream.last("/v1/chat/completions").json()["messages"])


def test_middleware_added_to_the_litellm_proxy_app_compresses_requests(
    tmp_path, upstream, openai_messages, fresh_proxy_app
) -> None:
    fresh_proxy_app.add_middleware(CompressionMiddleware)
    config = write_config(tmp_path, upstream, settings="")

    async def serve_one() -> httpx.Response:
        await proxy_server.initialize(config=str(config))
        async with proxy_client() as client:
            return await client.post(
                "/v1/chat/completions", json={"model": "gpt-4o", "messages": openai_messages}
            )

    response = asyncio.run(serve_one())

    assert response.status_code == 200
    assert response.headers["x-headroom-compressed"] == "true"
    assert int(response.headers["x-headroom-tokens-saved"]) > 10_000
    assert not any(isinstance(callback, HeadroomCallbackType) for callback in litellm.callbacks)
    assert_compressed(openai_messages, upstream.last("/v1/chat/completions").json()["messages"])
