"""A cheap stand-in LLM provider for benchmarks/proxy.py, served by uvicorn in its own process.

    python benchmarks/proxy_stub.py --port 9100 [--gap-ms 3]

It speaks just enough of two wire formats for a proxy to relay it:

- `POST /v1/messages`: the Anthropic Messages API, JSON or SSE (`"stream": true`);
- `POST /v1/chat/completions` and `/chat/completions`: OpenAI Chat Completions, JSON or SSE.

Every reply is the same bytes for every request (fixed ids, fixed usage figures), so a client can
compare a stream relayed by a proxy with the one it gets direct, byte for byte. A stream is 20 SSE
events: the first is written as soon as the request body has been read, the others `--gap-ms`
apart, like a model producing tokens. The replies are built once at import, and a request costs one
JSON parse (for `stream`), so the stub stays far from being the bottleneck.

`GET /_bench/last` returns the raw body of the last request a message route received (the session
cost measurement reads what each path actually sent upstream); `GET /_bench/count` the number of
requests per route; `GET /health` says it is up. It is a bare ASGI app: no framework on the hot path.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

EVENTS_PER_STREAM = 20
MODEL = "stub-model"
_WORDS = [f"word{n} " for n in range(16)]
_INPUT_TOKENS = 1000  # fixed, so every path gets the same bytes back
_OUTPUT_TOKENS = 16


def _sse(event: str | None, data: dict[str, Any] | str) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


def anthropic_json() -> bytes:
    message = {
        "id": "msg_stub_000000000000000000000001",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [{"type": "text", "text": "".join(_WORDS[:14]).strip()}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": _INPUT_TOKENS, "output_tokens": _OUTPUT_TOKENS},
    }
    return json.dumps(message, separators=(",", ":")).encode()


def anthropic_events() -> list[bytes]:
    """message_start, ping, a text block of 14 deltas, message_delta, message_stop: 20 events."""
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_stub_000000000000000000000001",
            "type": "message",
            "role": "assistant",
            "model": MODEL,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": _INPUT_TOKENS, "output_tokens": 1},
        },
    }
    events = [
        _sse("message_start", start),
        _sse("ping", {"type": "ping"}),
        _sse(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
    ]
    for word in _WORDS[:14]:
        delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": word}}
        events.append(_sse("content_block_delta", delta))
    events.append(_sse("content_block_stop", {"type": "content_block_stop", "index": 0}))
    events.append(
        _sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": _OUTPUT_TOKENS},
            },
        )
    )
    events.append(_sse("message_stop", {"type": "message_stop"}))
    assert len(events) == EVENTS_PER_STREAM
    return events


def _chunk(delta: dict[str, Any] | None, finish: str | None = None, usage: Any = None) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "id": "chatcmpl-stub000000000000000001",
        "object": "chat.completion.chunk",
        "created": 1767225600,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}] if delta is not None else [],
    }
    if usage is not None:
        chunk["usage"] = usage
    return chunk


def openai_json() -> bytes:
    completion = {
        "id": "chatcmpl-stub000000000000000001",
        "object": "chat.completion",
        "created": 1767225600,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "".join(_WORDS).strip()},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": _INPUT_TOKENS,
            "completion_tokens": _OUTPUT_TOKENS,
            "total_tokens": _INPUT_TOKENS + _OUTPUT_TOKENS,
        },
    }
    return json.dumps(completion, separators=(",", ":")).encode()


def openai_events() -> list[bytes]:
    """A role chunk, 16 content chunks, the finish chunk, the usage chunk and [DONE]: 20 events."""
    events = [_sse(None, _chunk({"role": "assistant", "content": ""}))]
    events += [_sse(None, _chunk({"content": word})) for word in _WORDS]
    events.append(_sse(None, _chunk({}, "stop")))
    usage = {
        "prompt_tokens": _INPUT_TOKENS,
        "completion_tokens": _OUTPUT_TOKENS,
        "total_tokens": _INPUT_TOKENS + _OUTPUT_TOKENS,
    }
    events.append(_sse(None, _chunk(None, usage=usage)))
    events.append(_sse(None, "[DONE]"))
    assert len(events) == EVENTS_PER_STREAM
    return events


REPLIES: dict[str, tuple[bytes, list[bytes]]] = {
    "anthropic": (anthropic_json(), anthropic_events()),
    "openai": (openai_json(), openai_events()),
}
ROUTES = {"/v1/messages": "anthropic", "/v1/chat/completions": "openai", "/chat/completions": "openai"}


class Stub:
    """The ASGI app. `gap` is the pause between two events of a stream, in seconds."""

    def __init__(self, gap: float) -> None:
        self.gap = gap
        self.last_body = b""
        self.counts: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        path = scope["path"]
        api = ROUTES.get(path)
        if api is not None and scope["method"] == "POST":
            body = await _body(receive)
            self.last_body = body
            self.counts[path] += 1
            await self._reply(api, body, send)
        elif path == "/_bench/last":
            await _send_whole(send, 200, self.last_body, b"application/json")
        elif path == "/_bench/count":
            await _send_whole(send, 200, json.dumps(self.counts).encode(), b"application/json")
        elif path == "/health":
            await _send_whole(send, 200, b'{"status":"ok"}', b"application/json")
        else:
            await _send_whole(send, 404, b'{"error":"not found"}', b"application/json")

    async def _reply(self, api: str, body: bytes, send: Send) -> None:
        whole, events = REPLIES[api]
        if not _streaming(body):
            await _send_whole(send, 200, whole, b"application/json")
            return
        headers = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for number, event in enumerate(events):
            if number:
                await asyncio.sleep(self.gap)
            await send({"type": "http.response.body", "body": event, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _streaming(body: bytes) -> bool:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return isinstance(payload, dict) and payload.get("stream") is True


async def _body(receive: Receive) -> bytes:
    parts = []
    while True:
        message = await receive()
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(parts)


async def _send_whole(send: Send, status: int, body: bytes, media_type: bytes) -> None:
    headers = [(b"content-type", media_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--gap-ms", type=float, default=3.0, help="pause between two SSE events (ms)")
    args = parser.parse_args(argv)
    uvicorn.run(
        Stub(args.gap_ms / 1000),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        server_header=False,
        date_header=False,  # no per-second header: every reply is the same bytes
        backlog=2048,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
