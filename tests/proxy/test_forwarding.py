"""Every other method and path is forwarded verbatim: headers and body untouched, both ways,
streaming included."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from tests.proxy.conftest import running_proxy
from tests.stub_upstream import serve_in_thread


class Echo:
    """An upstream that records each request and answers with its body (or a stream)."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.app = Starlette(
            routes=[Route("/{path:path}", self.answer, methods=["GET", "POST", "PUT", "DELETE"])]
        )

    async def answer(self, request: Request) -> Response:
        body = await request.body()
        self.seen.append({"method": request.method, "path": request.url.path, "query": request.url.query,
                          "headers": dict(request.headers), "body": body})  # fmt: skip
        if request.url.path.endswith("/events"):
            return StreamingResponse(_ticks(), media_type="text/event-stream")
        return Response(body, 201, headers={"x-upstream": "yes", "content-type": "application/octet-stream"})


async def _ticks() -> AsyncIterator[bytes]:
    for n in range(3):
        yield f"data: tick {n}\n\n".encode()
        await asyncio.sleep(0.01)


def test_count_tokens_models_and_embeddings_are_forwarded_byte_for_byte() -> None:
    echo = Echo()
    body = b'{"model":"claude-sonnet-4-5",  "messages":[{"role":"user","content":"hi"}]}'
    with serve_in_thread(echo.app) as url, running_proxy(url) as proxy:
        counted = httpx.post(
            f"{proxy}/v1/messages/count_tokens?beta=true",
            content=body,
            headers={"x-api-key": "sk-ant-k", "anthropic-beta": "token-counting-2024-11-01"},
        )
        models = httpx.get(f"{proxy}/v1/models?limit=5", headers={"authorization": "Bearer sk-k"})
        embedded = httpx.post(
            f"{proxy}/v1/embeddings", content=b'{"input": "x"}', headers={"authorization": "Bearer k"}
        )
        deleted = httpx.delete(f"{proxy}/v1/files/file-1", headers={"authorization": "Bearer k"})
    assert counted.status_code == 201 and counted.content == body and counted.headers["x-upstream"] == "yes"
    assert echo.seen[0]["path"] == "/v1/messages/count_tokens" and echo.seen[0]["query"] == "beta=true"
    assert echo.seen[0]["body"] == body
    assert echo.seen[0]["headers"]["anthropic-beta"] == "token-counting-2024-11-01"
    assert echo.seen[0]["headers"]["x-api-key"] == "sk-ant-k"
    assert (models.status_code, echo.seen[1]["method"], echo.seen[1]["query"]) == (201, "GET", "limit=5")
    # the OpenAI base is written with /v1 (as the SDK writes it): the path's own /v1 is not doubled
    assert echo.seen[1]["path"] == "/v1/models"
    assert embedded.content == b'{"input": "x"}' and echo.seen[2]["path"] == "/v1/embeddings"
    assert deleted.status_code == 201 and echo.seen[3]["method"] == "DELETE"


def test_a_stream_on_a_forwarded_path_arrives_as_it_is_sent() -> None:
    echo = Echo()
    with (
        serve_in_thread(echo.app) as url,
        running_proxy(url) as proxy,
        httpx.stream("GET", f"{proxy}/v1/threads/events", headers={"authorization": "Bearer k"}) as reply,
    ):
        chunks = list(reply.iter_raw())
    assert b"".join(chunks) == b"data: tick 0\n\ndata: tick 1\n\ndata: tick 2\n\n"
    assert reply.headers["content-type"].startswith("text/event-stream")


def test_a_body_streamed_by_the_client_is_streamed_upstream_whole() -> None:
    echo = Echo()

    def upload() -> Any:
        for n in range(50):
            yield bytes([n % 256]) * 10_000

    with serve_in_thread(echo.app) as url, running_proxy(url) as proxy:
        reply = httpx.put(f"{proxy}/v1/uploads/u1", content=upload(), headers={"authorization": "Bearer k"})
    expected = b"".join(bytes([n % 256]) * 10_000 for n in range(50))
    assert reply.content == expected and echo.seen[0]["body"] == expected
