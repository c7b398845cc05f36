"""CompressionMiddleware on a FastAPI app: in-process (httpx.ASGITransport) and under real uvicorn."""

from __future__ import annotations

import importlib
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from hypothesis import given, settings

from headroom import CompressContext, CompressionHooks, samples
from headroom.integrations import asgi
from headroom.integrations.asgi import CompressionMiddleware, route_kind
from tests import strategies
from tests.helpers import openai_tool_turn, record_parse_and_tokenizer_threads
from tests.integrations.checks import assert_compressed
from tests.stub_upstream import serve_in_thread

INTERCEPTED = ("/v1/chat/completions", "/chat/completions", "/v1/messages", "/v1/responses")
PREFIXED = "/openai/v1/chat/completions"
FIXTURES = Path(__file__).parent.parent / "fixtures"
STREAM_CHUNKS = [b"data: one\n\n", b"data: two\n\n", b"data: [DONE]\n\n"]


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class EchoApp:
    """A FastAPI app that records each request as it reached the route, and answers 200."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.stream_may_finish = threading.Event()  # set by a client that has read the first chunk
        self.app = FastAPI()
        for path in (*INTERCEPTED, PREFIXED, "/other"):
            self.app.add_api_route(path, self.record, methods=["POST", "GET"])
        self.app.add_api_route("/stream/v1/chat/completions", self.stream, methods=["POST"])

    async def record(self, request: Request) -> JSONResponse:
        body = await request.body()
        self.received.append(Received(request.url.path, dict(request.headers), body))
        return JSONResponse({"ok": True})

    async def stream(self, request: Request) -> StreamingResponse:
        await self.record(request)
        return StreamingResponse(self._chunks(), media_type="text/event-stream")

    async def _chunks(self) -> AsyncIterator[bytes]:
        yield STREAM_CHUNKS[0]
        # A buffering middleware would hold the first chunk back and the client would never signal.
        released = await anyio.to_thread.run_sync(self.stream_may_finish.wait, 10)
        yield STREAM_CHUNKS[1] if released else b"data: the first chunk was held back\n\n"
        yield STREAM_CHUNKS[2]

    @property
    def last(self) -> Received:
        return self.received[-1]


@pytest.fixture
def echo() -> EchoApp:
    echo = EchoApp()
    echo.app.add_middleware(CompressionMiddleware)
    return echo


def post(app: Any, path: str, content: bytes, **headers: str) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await client.post(
                path, content=content, headers={"content-type": "application/json", **headers}
            )

    return anyio.run(send)


def chat_body(**extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o", "messages": samples.openai_conversation(), "temperature": 0.2, **extra}


def assert_forwarded_compressed(received: Received, response: httpx.Response) -> dict[str, Any]:
    forwarded: dict[str, Any] = received.json()  # parses as JSON
    assert int(received.headers["content-length"]) == len(received.body)
    assert response.status_code == 200
    assert response.headers["x-headroom-compressed"] == "true"
    assert int(response.headers["x-headroom-tokens-saved"]) > 10_000
    return forwarded


def test_chat_completions_body_is_compressed_with_a_matching_content_length(echo) -> None:
    sent = chat_body(tools=[{"type": "function", "function": {"name": "read_log"}}])

    response = post(echo.app, "/v1/chat/completions", json.dumps(sent).encode())

    forwarded = assert_forwarded_compressed(echo.last, response)
    assert_compressed(sent["messages"], forwarded["messages"])
    assert {k: v for k, v in forwarded.items() if k != "messages"} == {
        k: v for k, v in sent.items() if k != "messages"
    }


@pytest.mark.parametrize("path", ["/chat/completions", PREFIXED])
def test_other_chat_paths_and_prefixed_paths_are_compressed(echo, path) -> None:
    sent = chat_body()

    response = post(echo.app, path, json.dumps(sent).encode())

    assert echo.last.path == path
    assert_compressed(sent["messages"], assert_forwarded_compressed(echo.last, response)["messages"])


def test_anthropic_messages_are_compressed_and_system_is_left_alone(echo) -> None:
    system = [
        {
            "type": "text",
            "text": "You are an on-call assistant. " * 200,
            "cache_control": {"type": "ephemeral"},
        }
    ]
    sent = {
        "model": "claude-3-5-sonnet",
        "max_tokens": 512,
        "system": system,
        "messages": samples.anthropic_conversation(),
    }

    response = post(echo.app, "/v1/messages", json.dumps(sent).encode())

    forwarded = assert_forwarded_compressed(echo.last, response)
    assert forwarded["system"] == system
    assert_compressed(sent["messages"], forwarded["messages"])
    assert forwarded["messages"][2]["content"][1]["cache_control"] == {"type": "ephemeral"}


def responses_input() -> list[dict[str, Any]]:
    records, _ = samples.json_records()
    log, _ = samples.application_log()
    return [
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "Why did ord-10187 fail?"}],
        },
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "Check the tools."}],
        },
        {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "call_orders",
            "name": "list_orders",
            "arguments": "{}",
        },
        {"type": "function_call_output", "call_id": "call_orders", "output": json.dumps(records, indent=2)},
        {
            "type": "function_call",
            "id": "fc_2",
            "call_id": "call_logs",
            "name": "read_log",
            "arguments": "{}",
        },
        {
            "type": "function_call_output",
            "call_id": "call_logs",
            "output": [{"type": "input_text", "text": log}],
        },
    ]


def test_responses_input_text_is_compressed_and_the_items_keep_their_structure(echo) -> None:
    items = responses_input()
    sent = {"model": "gpt-4o", "instructions": "Be brief.", "input": items}

    response = post(echo.app, "/v1/responses", json.dumps(sent).encode())

    forwarded = assert_forwarded_compressed(echo.last, response)
    received = forwarded["input"]
    assert forwarded["instructions"] == "Be brief."
    assert [i["type"] for i in received] == [i["type"] for i in items]
    assert received[:3] == items[:3] and received[4] == items[4]  # no text to compress: untouched
    assert "[headroom: omitted" in received[3]["output"]
    assert [part["type"] for part in received[5]["output"]] == ["input_text"]
    assert len(received[5]["output"][0]["text"]) < len(items[5]["output"][0]["text"]) / 4


def test_the_issue_repro_a_big_integer_beside_a_big_tool_message_arrives_as_written(echo) -> None:
    messages = json.dumps(samples.openai_conversation())
    sent = (
        '{"model": "gpt-4o",  "x_big": 123456789012345678901234567890, "n": -9223372036854775809,\n'
        ' "e": 1E+2, "z": -0, "f": 1.0e-7, "s": "caf\\u00e9", "messages": ' + messages + "}"
    ).encode()

    response = post(echo.app, "/v1/chat/completions", sent)

    assert_forwarded_compressed(echo.last, response)
    prefix = sent[: sent.index(b'"messages": ') + len(b'"messages": ')]
    assert echo.last.body.startswith(prefix)  # every number as written, not as a float
    assert echo.last.body.endswith(b"}")


_TOOL_OUTPUTS = [
    (FIXTURES / "tool_output" / name).read_text(encoding="utf-8")[:20_000]
    for name in ("http_server_access.log", "payments_client_errors.log", "dpkg.log")
]


def _through_middleware(middleware: CompressionMiddleware, received: list[bytes], body: bytes) -> None:
    """One POST straight through the ASGI interface (no HTTP client: hundreds of examples run)."""
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/chat/completions",
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }
    sent = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return sent.pop(0) if sent else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        return None

    anyio.run(middleware, scope, receive, send)


class _Recorder:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        self.bodies.append(b"".join(chunks))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


_RECORDER = _Recorder()
_MIDDLEWARE = CompressionMiddleware(_RECORDER)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(strategies.chat_body(_TOOL_OUTPUTS))
def test_the_app_receives_every_byte_as_sent_except_the_compressed_strings(segments) -> None:
    body = strategies.joined(segments).encode()

    _through_middleware(_MIDDLEWARE, _RECORDER.bodies, body)

    arrived = strategies.assert_only_slots_changed(segments, _RECORDER.bodies[-1].decode())
    changed = [slot for slot, value in arrived if value != slot.value]
    assert changed  # the tool output was compressed
    assert all(slot.value in _TOOL_OUTPUTS for slot in changed)


def passes_through(echo: EchoApp, response: httpx.Response, sent: bytes) -> None:
    assert 200 <= response.status_code < 300
    assert echo.last.body == sent  # byte for byte
    assert echo.last.headers["content-length"] == str(len(sent))
    assert "x-headroom-compressed" not in response.headers


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"model": "gpt-4o", "messages": [', id="broken-json"),
        pytest.param(json.dumps([chat_body()]).encode(), id="json-array"),
        pytest.param(b'"just a string"', id="json-string"),
        pytest.param(
            json.dumps({"model": "gpt-4o", "messages": "not a list"}).encode(), id="messages-not-a-list"
        ),
        pytest.param(
            json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}).encode(),
            id="small",
        ),
    ],
)
def test_bodies_it_cannot_or_need_not_compress_pass_through_unchanged(echo, body) -> None:
    passes_through(echo, post(echo.app, "/v1/chat/completions", body), body)


def test_an_oversized_body_passes_through_unread() -> None:
    echo = EchoApp()
    app = CompressionMiddleware(echo.app, max_body_bytes=1024)
    sent = json.dumps(chat_body()).encode()

    passes_through(echo, post(app, "/v1/chat/completions", sent), sent)


def test_a_chunked_body_that_grows_past_the_limit_passes_through_as_it_came() -> None:
    echo = EchoApp()
    app = CompressionMiddleware(echo.app, max_body_bytes=100_000)
    sent = json.dumps(chat_body()).encode()

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length, so the size is only known by reading
        for start in range(0, len(sent), 32 * 1024):
            yield sent[start : start + 32 * 1024]

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
            return await client.post("/v1/chat/completions", content=chunks())

    response = anyio.run(send)

    assert response.status_code == 200
    assert echo.last.body == sent
    assert "x-headroom-compressed" not in response.headers


@pytest.mark.parametrize("path", ["/other", "/v1/chat/completions/extra", "/v1/models"])
def test_paths_it_does_not_intercept_pass_through(path) -> None:
    echo = EchoApp()
    echo.app.add_api_route("/v1/chat/completions/extra", echo.record, methods=["POST"])
    echo.app.add_api_route("/v1/models", echo.record, methods=["POST"])
    echo.app.add_middleware(CompressionMiddleware)
    sent = json.dumps(chat_body()).encode()

    passes_through(echo, post(echo.app, path, sent), sent)


def test_a_get_request_passes_through(echo) -> None:
    async def get() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=echo.app), base_url="http://app"
        ) as client:
            return await client.get("/v1/chat/completions")

    response = anyio.run(get)

    assert response.status_code == 200
    assert echo.last.body == b""
    assert "x-headroom-compressed" not in response.headers


@pytest.mark.parametrize("headers", [{"content-type": "text/plain"}, {"content-encoding": "gzip"}])
def test_non_json_or_encoded_bodies_pass_through(echo, headers) -> None:
    sent = json.dumps(chat_body()).encode()

    passes_through(echo, post(echo.app, "/v1/chat/completions", sent, **headers), sent)


def test_an_internal_error_passes_the_request_through_and_is_logged(monkeypatch, caplog) -> None:
    async def explode(body: bytes) -> None:
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(asgi, "_json_object", explode)
    echo = EchoApp()
    middleware = CompressionMiddleware(echo.app)
    sent = json.dumps(chat_body()).encode()
    caplog.set_level(logging.WARNING, logger="headroom.integrations.asgi")

    passes_through(echo, post(middleware, "/v1/chat/completions", sent), sent)

    assert [r.getMessage() for r in caplog.records if r.name == "headroom.integrations.asgi"] == [
        "headroom: request sent uncompressed or partly compressed: RuntimeError: parser exploded"
    ]
    assert middleware.totals().failures == 1


def test_totals_count_requests_seen_and_compressed() -> None:
    echo = EchoApp()
    middleware = CompressionMiddleware(echo.app)
    small = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}).encode()

    response = post(middleware, "/v1/chat/completions", json.dumps(chat_body()).encode())
    post(middleware, "/v1/chat/completions", small)

    totals = middleware.totals()
    assert (totals.requests_seen, totals.requests_compressed) == (2, 1)
    assert totals.total_tokens_saved == int(response.headers["x-headroom-tokens-saved"])


class WaitForOtherRequest(CompressionHooks):
    """Holds compression until another request has been served on the same event loop."""

    def __init__(self) -> None:
        self.compressing = anyio.Event()
        self.other_request_served = anyio.Event()
        self.released = False

    async def pre_compress(self, messages: list[Any], ctx: CompressContext, **kwargs: Any) -> list[Any]:
        self.compressing.set()
        with anyio.move_on_after(10):  # a bound, not a measurement: a blocked loop never serves the other
            await self.other_request_served.wait()
        self.released = self.other_request_served.is_set()
        return messages


def test_other_requests_are_served_while_a_big_body_is_being_compressed() -> None:
    hooks = WaitForOtherRequest()
    echo = EchoApp()

    async def other(request: Request) -> JSONResponse:
        hooks.other_request_served.set()
        return JSONResponse({"ok": True})

    echo.app.add_api_route("/health", other, methods=["GET"])
    app = CompressionMiddleware(echo.app, hooks=hooks)

    async def both() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
            big: httpx.Response | None = None

            async def send_big() -> None:
                nonlocal big
                big = await client.post("/v1/chat/completions", content=json.dumps(chat_body()).encode())

            async with anyio.create_task_group() as group:
                group.start_soon(send_big)
                with anyio.move_on_after(10):
                    await hooks.compressing.wait()
                await client.get("/health")
            assert big is not None
            return big

    response = anyio.run(both)

    assert hooks.released
    assert response.headers["x-headroom-compressed"] == "true"


def test_route_kinds() -> None:
    assert route_kind("/v1/messages") == "anthropic"
    assert route_kind("/anthropic/v1/messages/") == "anthropic"
    assert route_kind("/v1/messages/count_tokens") is None
    assert route_kind("/v1/chat/completions") == "chat"
    assert route_kind("/openai/deployments/gpt-4o/chat/completions") == "chat"
    assert route_kind("/v1/responses") == "responses"
    assert route_kind("/xv1/responses") is None


# Under a real server: what a client and an app see over real sockets.


@pytest.fixture
def served(echo: EchoApp) -> Iterator[tuple[EchoApp, str]]:
    with serve_in_thread(echo.app) as url:
        yield echo, url


def test_real_server_forwards_a_compressed_body_with_its_length(served) -> None:
    echo, url = served
    sent = chat_body()

    response = httpx.post(f"{url}/v1/chat/completions", json=sent, timeout=30)

    assert_compressed(sent["messages"], assert_forwarded_compressed(echo.last, response)["messages"])


def test_real_server_rewrites_a_chunked_request_with_a_content_length(served) -> None:
    echo, url = served
    sent = json.dumps(chat_body()).encode()

    def chunks() -> Iterator[bytes]:  # no Content-Length: httpx sends it chunked
        for start in range(0, len(sent), 64 * 1024):
            yield sent[start : start + 64 * 1024]

    response = httpx.post(f"{url}/v1/chat/completions", content=chunks(), timeout=30)

    assert "transfer-encoding" not in echo.last.headers
    assert_forwarded_compressed(echo.last, response)


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2, 3]"], ids=["broken-json", "json-array"])
def test_real_server_passes_bad_bodies_through_with_a_2xx(served, body) -> None:
    echo, url = served

    response = httpx.post(f"{url}/v1/chat/completions", content=body, timeout=30)

    passes_through(echo, response, body)


def test_real_server_streams_the_response_unbuffered_and_byte_for_byte(served) -> None:
    echo, url = served
    received: list[bytes] = []

    with httpx.stream(
        "POST", f"{url}/stream/v1/chat/completions", json=chat_body(stream=True), timeout=30
    ) as response:
        chunks = response.iter_raw()
        received.append(next(chunks))  # arrives while the app is still waiting to send the rest
        echo.stream_may_finish.set()
        received.extend(chunks)

    assert received[0] == STREAM_CHUNKS[0]
    assert b"".join(received) == b"".join(STREAM_CHUNKS)
    assert response.headers["x-headroom-compressed"] == "true"
    assert json.loads(echo.last.body)["stream"] is True


# The event loop serving requests never waits on compression. ---------------------------------------


def test_compressing_a_request_parses_and_counts_tokens_off_the_event_loop(echo, monkeypatch) -> None:
    calls = record_parse_and_tokenizer_threads(monkeypatch)
    log, _ = samples.application_log()
    mid_sized = log[: log.index("\n", 40_000)]  # requests this small were once compressed on the loop
    sent = {"model": "gpt-4o", "messages": openai_tool_turn(mid_sized, "Which requests failed?")}

    async def on_the_loop() -> tuple[httpx.Response, int]:
        transport = httpx.ASGITransport(app=echo.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            response = await client.post("/v1/chat/completions", content=json.dumps(sent).encode())
        return response, threading.get_ident()

    response, loop_thread = anyio.run(on_the_loop)

    assert int(response.headers["x-headroom-tokens-saved"]) > 0  # counted, for the header
    assert {what for what, _ in calls} == {"parse", "tokenizer"}
    assert all(thread != loop_thread for _, thread in calls)


class LifespanApp:
    """An app that answers the lifespan protocol and records the messages it received."""

    def __init__(self) -> None:
        self.received: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "lifespan"
        while True:
            message = await receive()
            self.received.append(message["type"])
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return


def run_lifespan(app: Any) -> list[str]:
    """Start and stop an app's lifespan as a server does; the messages the server got back."""
    replies: list[str] = []

    async def serve() -> None:
        messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

        async def receive() -> dict[str, str]:
            return next(messages)

        async def send(message: dict[str, str]) -> None:
            replies.append(message["type"])

        await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)

    anyio.run(serve)
    return replies


def test_the_lifespan_startup_loads_the_tokenizer_off_the_loop_before_the_app_starts(monkeypatch) -> None:
    calls = record_parse_and_tokenizer_threads(monkeypatch)
    inner = LifespanApp()
    started_after: list[int] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        async def noting_receive() -> Any:
            message = await receive()
            started_after.append(len(calls))  # what had been loaded when the app heard of startup
            return message

        await inner(scope, noting_receive, send)

    replies = run_lifespan(CompressionMiddleware(app))

    assert replies == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert inner.received == ["lifespan.startup", "lifespan.shutdown"]
    assert ("tokenizer", threading.get_ident()) not in calls  # loaded in a worker thread
    assert started_after[0] >= 1 and calls[0][0] == "tokenizer"


def test_a_failed_warm_up_is_logged_and_the_app_still_starts(monkeypatch, caplog) -> None:
    def broken_warm(*args: Any) -> None:
        raise OSError("no tokenizer files here")

    monkeypatch.setattr(importlib.import_module("headroom.compress"), "warm", broken_warm)
    inner = LifespanApp()

    with caplog.at_level(logging.WARNING, logger="headroom.integrations.asgi"):
        replies = run_lifespan(CompressionMiddleware(inner))

    assert replies == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert "warming up at startup failed: OSError: no tokenizer files here" in caplog.text
