"""A stand-in LLM provider on 127.0.0.1 for tests: real HTTP, no network.

`StubUpstream` speaks enough of each provider's wire format for litellm and HTTP
clients to complete a call against it (streaming where noted):

- OpenAI chat completions: POST /v1/chat/completions and /chat/completions (streaming);
  Azure OpenAI: POST .../openai/deployments/{deployment}/chat/completions
- Anthropic messages: POST /v1/messages (streaming)
- OpenAI Responses: POST /v1/responses
- AWS Bedrock: POST /model/{model id}/converse (Converse) and /model/{model id}/invoke
  (InvokeModel, answering in the Anthropic format of the Claude models)
- Google Gemini and Vertex AI: POST ...:generateContent; and an OAuth token endpoint,
  POST /token, for Google credentials whose `token_uri` points here

Every request is recorded (path, headers, raw body) so a test can assert what
actually went over the wire. `serve_in_thread(app)` runs any ASGI app under a
real uvicorn server on a free port in a background thread; the stub uses it,
and tests can use it for their own apps.

    with StubUpstream() as upstream:
        litellm.completion(model="openai/gpt-4o", api_base=upstream.openai_base, ...)
        body = upstream.last("/v1/chat/completions").json()
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

REPLY_TEXT = "stub reply"
_STARTUP_LIMIT_SECONDS = 15.0


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve an ASGI app on 127.0.0.1 (a free port) until the block ends; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_until_started(server, thread)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + _STARTUP_LIMIT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)


def _sse(data: Any, event: str | None = None) -> bytes:
    prefix = f"event: {event}\n" if event else ""
    payload = data if isinstance(data, str) else json.dumps(data)
    return f"{prefix}data: {payload}\n\n".encode()


def _openai_completion(model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": REPLY_TEXT}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
    }


def _openai_chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


async def _openai_stream(model: str) -> AsyncIterator[bytes]:
    yield _sse(_openai_chunk(model, {"role": "assistant", "content": ""}))
    for word in REPLY_TEXT.split(" "):
        yield _sse(_openai_chunk(model, {"content": word + " "}))
    yield _sse(_openai_chunk(model, {}, finish="stop"))
    yield _sse("[DONE]")


def _anthropic_message(model: str) -> dict[str, Any]:
    return {
        "id": "msg_stub",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": REPLY_TEXT}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 2},
    }


async def _anthropic_stream(model: str) -> AsyncIterator[bytes]:
    start = {**_anthropic_message(model), "content": [], "stop_reason": None}
    yield _sse({"type": "message_start", "message": start}, "message_start")
    block_start = {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
    yield _sse(block_start, "content_block_start")
    delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": REPLY_TEXT}}
    yield _sse(delta, "content_block_delta")
    yield _sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
    finish = {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}}
    yield _sse({**finish, "usage": {"output_tokens": 2}}, "message_delta")
    yield _sse({"type": "message_stop"}, "message_stop")


def _bedrock_converse_reply() -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": REPLY_TEXT}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 10, "outputTokens": 2, "totalTokens": 12},
        "metrics": {"latencyMs": 1},
    }


def _gemini_reply() -> dict[str, Any]:
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": REPLY_TEXT}]},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 2, "totalTokenCount": 12},
        "modelVersion": "stub",
    }


def _responses_reply(model: str) -> dict[str, Any]:
    text = {"type": "output_text", "text": REPLY_TEXT, "annotations": []}
    return {
        "id": "resp_stub",
        "object": "response",
        "created_at": 1_700_000_000,
        "status": "completed",
        "model": model,
        "output": [
            {
                "type": "message",
                "id": "msg_stub",
                "status": "completed",
                "role": "assistant",
                "content": [text],
            }
        ],
        "usage": {"input_tokens": 10, "output_tokens": 2, "total_tokens": 12},
    }


def _path_matches(actual: str, wanted: str) -> bool:
    return actual.startswith(wanted[:-1]) if wanted.endswith("*") else actual == wanted


class StubUpstream:
    """A recording fake of the OpenAI and Anthropic HTTP APIs, served on 127.0.0.1."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server: contextlib.ExitStack | None = None
        self.url = ""
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/messages", self._messages, methods=["POST"]),
                Route("/v1/responses", self._responses, methods=["POST"]),
                Route("/token", self._google_token, methods=["POST"]),
                Route("/{path:path}", self._by_suffix, methods=["POST"]),
            ]
        )

    @property
    def openai_base(self) -> str:
        """The api_base for OpenAI-compatible clients (they append /chat/completions)."""
        return f"{self.url}/v1"

    def __enter__(self) -> StubUpstream:
        stack = contextlib.ExitStack()
        self.url = stack.enter_context(serve_in_thread(self.app))
        self._server = stack
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def last(self, path: str | None = None) -> RecordedRequest:
        """The most recent request (to `path`, when given; a path ending in `*` is a prefix)."""
        with self._lock:
            matching = [r for r in self.requests if path is None or _path_matches(r.path, path)]
        if not matching:
            raise AssertionError(f"the stub received no request for {path or 'any path'}")
        return matching[-1]

    async def _record(self, request: Request) -> dict[str, Any]:
        body = await request.body()
        recorded = RecordedRequest(request.method, request.url.path, dict(request.headers), body)
        with self._lock:
            self.requests.append(recorded)
        parsed = recorded.json()
        return parsed if isinstance(parsed, dict) else {}

    async def _chat(self, request: Request) -> Response:
        body = await self._record(request)
        model = str(body.get("model", "stub"))
        if body.get("stream"):
            return StreamingResponse(_openai_stream(model), media_type="text/event-stream")
        return JSONResponse(_openai_completion(model))

    async def _messages(self, request: Request) -> Response:
        body = await self._record(request)
        model = str(body.get("model", "stub"))
        if body.get("stream"):
            return StreamingResponse(_anthropic_stream(model), media_type="text/event-stream")
        return JSONResponse(_anthropic_message(model))

    async def _responses(self, request: Request) -> Response:
        body = await self._record(request)
        return JSONResponse(_responses_reply(str(body.get("model", "stub"))))

    async def _google_token(self, request: Request) -> Response:
        """Google's OAuth token endpoint, for credentials whose token_uri points here."""
        await request.body()
        return JSONResponse({"access_token": "stub-access-token", "expires_in": 3600, "token_type": "Bearer"})

    async def _by_suffix(self, request: Request) -> Response:
        """Routes whose paths carry a model or deployment name: told apart by how they end."""
        path = request.url.path
        if path.endswith("/chat/completions") and "/openai/deployments/" in path:
            return await self._chat(request)
        if path.endswith("/converse"):
            await self._record(request)
            return JSONResponse(_bedrock_converse_reply())
        if path.endswith("/invoke"):
            body = await self._record(request)
            return JSONResponse(_anthropic_message(str(body.get("model", "stub"))))
        if path.endswith(":generateContent"):
            await self._record(request)
            return JSONResponse(_gemini_reply())
        return JSONResponse({"error": {"message": f"the stub has no route {path}"}}, status_code=404)
