"""Upstream faults reach the client in the provider's own error shape and status: a refused
connection is a 502, a timeout a 504, the upstream's own errors pass through as sent, and a
stream that breaks ends with the provider's error event, which the real SDKs raise."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx
import openai
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from headroom.proxy.upstream import upstream_url, vendor_for
from tests.proxy.conftest import running_proxy
from tests.stub_upstream import serve_in_thread

SMALL = {"model": "claude-sonnet-4-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_refused_connection_is_a_502_in_each_providers_shape() -> None:
    with running_proxy(f"http://127.0.0.1:{_closed_port()}") as proxy:
        anthropic_reply = httpx.post(f"{proxy}/v1/messages", json=SMALL, headers={"x-api-key": "k"})
        openai_reply = httpx.post(
            f"{proxy}/v1/chat/completions", json=SMALL, headers={"authorization": "Bearer k"}
        )
        forwarded = httpx.get(f"{proxy}/v1/models", headers={"authorization": "Bearer k"})
    assert anthropic_reply.status_code == openai_reply.status_code == forwarded.status_code == 502
    assert anthropic_reply.json()["type"] == "error"
    assert anthropic_reply.json()["error"]["type"] == "api_error"
    assert openai_reply.json()["error"]["type"] == "server_error"
    with running_proxy(f"http://127.0.0.1:{_closed_port()}") as proxy:
        client = anthropic.Anthropic(base_url=proxy, api_key="k", max_retries=0)
        with pytest.raises(anthropic.InternalServerError):
            client.messages.create(**SMALL)  # type: ignore[arg-type]


def _slow_app(delay: float) -> Starlette:
    async def slow(request: Request) -> Response:
        await asyncio.sleep(delay)
        return JSONResponse({})

    return Starlette(routes=[Route("/{path:path}", slow, methods=["GET", "POST"])])


def test_a_timeout_is_a_504() -> None:
    with serve_in_thread(_slow_app(3.0)) as url, running_proxy(url, read_timeout=0.3) as proxy:
        reply = httpx.post(f"{proxy}/v1/messages", json=SMALL, headers={"x-api-key": "k"}, timeout=10)
        client = openai.OpenAI(base_url=f"{proxy}/v1", api_key="k", max_retries=0)
        with pytest.raises(openai.APIStatusError) as raised:
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert reply.status_code == 504
    assert reply.json()["type"] == "error"
    assert raised.value.status_code == 504


def _erroring_app() -> Starlette:
    async def limited(request: Request) -> Response:
        body = b'{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}'
        return Response(body, 429, headers={"retry-after": "7", "content-type": "application/json"})

    return Starlette(routes=[Route("/{path:path}", limited, methods=["GET", "POST"])])


def test_upstream_errors_pass_through_as_sent() -> None:
    with serve_in_thread(_erroring_app()) as url, running_proxy(url) as proxy:
        reply = httpx.post(f"{proxy}/v1/messages", json=SMALL, headers={"x-api-key": "k"})
        counted = httpx.post(f"{proxy}/v1/messages/count_tokens", json=SMALL, headers={"x-api-key": "k"})
    for answer in (reply, counted):
        assert answer.status_code == 429
        assert answer.headers["retry-after"] == "7"
        assert answer.content == b'{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}'


async def _broken_anthropic_stream() -> AsyncIterator[bytes]:
    start = {"type": "message_start", "message": {"id": "m", "type": "message", "role": "assistant",
             "model": "c", "content": [], "stop_reason": None, "stop_sequence": None,
             "usage": {"input_tokens": 1, "output_tokens": 0}}}  # fmt: skip
    import json

    yield f"event: message_start\ndata: {json.dumps(start)}\n\n".encode()
    block = {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
    yield f"event: content_block_start\ndata: {json.dumps(block)}\n\n".encode()
    await asyncio.sleep(0.05)
    raise RuntimeError("the upstream died mid-stream")


async def _broken_openai_stream() -> AsyncIterator[bytes]:
    choice = {"index": 0, "delta": {"role": "assistant", "content": "par"}, "finish_reason": None}
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [choice]}
    yield b"data: " + orjson.dumps(chunk) + b"\n\n"
    await asyncio.sleep(0.05)
    raise RuntimeError("the upstream died mid-stream")


def _dying_app() -> Starlette:
    async def messages(request: Request) -> Response:
        return StreamingResponse(_broken_anthropic_stream(), media_type="text/event-stream")

    async def chat(request: Request) -> Response:
        return StreamingResponse(_broken_openai_stream(), media_type="text/event-stream")

    return Starlette(
        routes=[
            Route("/v1/messages", messages, methods=["POST"]),
            Route("/chat/completions", chat, methods=["POST"]),
        ]
    )


def test_a_stream_that_breaks_ends_with_the_providers_error_event() -> None:
    with serve_in_thread(_dying_app()) as url, running_proxy(url) as proxy:
        raw = httpx.post(f"{proxy}/v1/messages", json={**SMALL, "stream": True}, headers={"x-api-key": "k"})
        assert raw.status_code == 200
        assert raw.text.rstrip().split("\n\n")[-1].startswith("event: error\ndata: ")
        client = anthropic.Anthropic(base_url=proxy, api_key="k", max_retries=0)
        with pytest.raises(anthropic.APIStatusError), client.messages.stream(**SMALL) as stream:  # type: ignore[arg-type]
            for _ in stream:
                pass
        chat = openai.OpenAI(base_url=f"{proxy}/v1", api_key="k", max_retries=0)
        with pytest.raises(openai.APIError):
            for _ in chat.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}], stream=True
            ):
                pass


@pytest.mark.parametrize(
    ("path", "headers", "vendor"),
    [
        ("/v1/messages", {}, "anthropic"),
        ("/v1/messages/count_tokens", {}, "anthropic"),
        ("/v1/chat/completions", {"x-api-key": "k"}, "openai"),
        ("/openai/v1/responses", {}, "openai"),
        ("/v1/embeddings", {}, "openai"),
        ("/v1/models", {"anthropic-version": "2023-06-01"}, "anthropic"),
        ("/v1/models", {"authorization": "Bearer k"}, "openai"),
        ("/v1/models", {}, "anthropic"),
    ],
)
def test_each_path_goes_to_the_vendor_whose_api_it_is(
    path: str, headers: dict[str, Any], vendor: str
) -> None:
    assert vendor_for("anthropic", path, headers) == vendor


def test_upstream_urls_follow_how_each_sdk_writes_its_base() -> None:
    assert upstream_url("https://api.anthropic.com", "anthropic", "/v1/messages", "beta=true") == (
        "https://api.anthropic.com/v1/messages?beta=true"
    )
    assert upstream_url("https://api.openai.com/v1", "openai", "/v1/chat/completions", "") == (
        "https://api.openai.com/v1/chat/completions"
    )
    assert upstream_url("https://gw.example/v1/", "openai", "/chat/completions", "") == (
        "https://gw.example/v1/chat/completions"
    )
    assert upstream_url("https://gw.example/v1", "openai", "/openai/v1/responses", "") == (
        "https://gw.example/v1/responses"
    )
