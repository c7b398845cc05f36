"""ProxyGuard (the token for non-loopback callers, the body limit), is_loopback, and log redaction."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import io
import json
import logging
import secrets
import socket
import threading
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from headroom.proxy.security import (
    MASK,
    ProxyGuard,
    install_redaction,
    is_loopback,
    redact_headers,
    redact_text,
    remember_secret,
)
from tests.stub_upstream import serve_in_thread

REMOTE = ("203.0.113.7", 40000)  # TEST-NET-3: never loopback
LOCAL = ("127.0.0.1", 40000)
TOKEN = "proxy-token-" + secrets.token_hex(8)
app_log = logging.getLogger("tests.proxy.echo_app")


def _fresh(prefix: str) -> str:
    """A secret no earlier test has sent, so a pass cannot come from a value the guard learned."""
    return prefix + secrets.token_hex(12)


# ---------------------------------------------------------------------------------------------------
# An app behind the guard that reports what reached it


class Seen:
    def __init__(self) -> None:
        self.calls = 0
        self.errors: list[str] = []


def echo_app(seen: Seen) -> Starlette:
    async def echo(request: Request) -> Response:
        seen.calls += 1
        app_log.debug("request headers: %s", request.headers)
        try:
            body = await request.body()
        except Exception as error:
            seen.errors.append(type(error).__name__)
            raise
        return JSONResponse(
            {"headers": dict(request.headers), "length": len(body), "sha": hashlib.sha256(body).hexdigest()}
        )

    async def swallowing(request: Request) -> Response:
        """Turns any failure reading the body into its own 502, as an upstream wrapper might."""
        seen.calls += 1
        try:
            await request.body()
        except Exception as error:
            seen.errors.append(type(error).__name__)
            return JSONResponse({"error": "bad gateway"}, status_code=502)
        return JSONResponse({"ok": True})

    async def ws(websocket: WebSocket) -> None:
        seen.calls += 1
        await websocket.accept()
        await websocket.send_json({"headers": dict(websocket.headers)})
        await websocket.close()

    return Starlette(
        routes=[
            Route("/echo", echo, methods=["GET", "POST"]),
            Route("/swallowing", swallowing, methods=["POST"]),
            WebSocketRoute("/ws", ws),
        ]
    )


def request(
    app: Any, method: str, path: str, *, client: tuple[str, int] = REMOTE, **kwargs: Any
) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy") as http:
            return await http.request(method, path, **kwargs)

    return asyncio.run(go())


def chunks(count: int, size: int) -> Any:
    """A body with no content-length: it arrives chunked, one chunk per ASGI message."""

    async def body() -> AsyncIterator[bytes]:
        for index in range(count):
            yield bytes([65 + index % 26]) * size

    return body()


# ---------------------------------------------------------------------------------------------------
# is_loopback


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "[::1]",
        "0:0:0:0:0:0:0:1",
        "::ffff:127.0.0.1",
        "localhost",
        "LocalHost",
    ],
)
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host",
    ["0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "::ffff:10.0.0.1", "2001:db8::1", "example.com",
     "localhost.example.com", "testclient", "", None, "127.0.0.1.nip.io"],
)  # fmt: skip
def test_other_hosts_are_not_loopback(host: str | None) -> None:
    assert not is_loopback(host)


# ---------------------------------------------------------------------------------------------------
# The token


def test_a_loopback_caller_needs_no_token() -> None:
    seen = Seen()
    guard = ProxyGuard(echo_app(seen), token=TOKEN)
    for client in (LOCAL, ("::1", 5), ("::ffff:127.0.0.1", 5)):
        assert request(guard, "GET", "/echo", client=client).status_code == 200
    assert seen.calls == 3


@pytest.mark.parametrize("presented", [None, "wrong-" + TOKEN, TOKEN[:-1], ""])
def test_a_remote_caller_without_the_right_token_is_refused(presented: str | None) -> None:
    seen = Seen()
    guard = ProxyGuard(echo_app(seen), token=TOKEN)
    headers = {} if presented is None else {"x-headroom-proxy-token": presented}
    reply = request(guard, "POST", "/echo", headers=headers, content=b"{}")
    assert reply.status_code == 401
    assert reply.json()["error"]["type"] == "authentication_error"
    assert "x-headroom-proxy-token" in reply.json()["error"]["message"]
    assert seen.calls == 0


def test_a_remote_caller_with_the_token_gets_through_without_it() -> None:
    seen = Seen()
    guard = ProxyGuard(echo_app(seen), token=TOKEN)
    key = _fresh("sk-ant-")
    reply = request(
        guard, "POST", "/echo", headers={"x-headroom-proxy-token": TOKEN, "x-api-key": key}, content=b"{}"
    )
    assert reply.status_code == 200
    headers = reply.json()["headers"]
    assert "x-headroom-proxy-token" not in headers
    assert headers["x-api-key"] == key  # the caller's own credential reaches the app unchanged


def test_with_no_token_configured_only_loopback_callers_get_in() -> None:
    seen = Seen()
    guard = ProxyGuard(echo_app(seen))
    assert request(guard, "GET", "/echo", client=LOCAL).status_code == 200
    refused = request(guard, "GET", "/echo", client=REMOTE, headers={"x-headroom-proxy-token": "anything"})
    assert refused.status_code == 401
    assert "loopback" in refused.json()["error"]["message"]
    assert seen.calls == 1


def test_a_caller_with_no_address_counts_as_remote() -> None:
    sent: list[dict[str, Any]] = []
    called: list[bool] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        called.append(True)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "client": None}
    asyncio.run(ProxyGuard(inner, token=TOKEN)(scope, receive, send))
    assert sent[0]["status"] == 401
    assert not called


def test_lifespan_passes_through() -> None:
    scopes: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        scopes.append(scope["type"])

    async def nothing(*args: Any) -> Any:
        return {}

    asyncio.run(ProxyGuard(inner)({"type": "lifespan"}, nothing, nothing))
    assert scopes == ["lifespan"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"token": ""}, "empty"),
        ({"token": "   "}, "empty"),
        ({"max_body_bytes": 0}, "positive"),
        ({"max_body_bytes": -5}, "positive"),
        ({"max_body_bytes": "10"}, "positive"),
        ({"max_body_bytes": True}, "positive"),
    ],
)
def test_bad_configuration_fails_loudly(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ProxyGuard(echo_app(Seen()), **kwargs)


# ---------------------------------------------------------------------------------------------------
# Websockets


def _websocket_client(app: Any, client: tuple[str, int]) -> Any:
    with warnings.catch_warnings():  # starlette prefers httpx2 for its TestClient; httpx works
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

        return TestClient(app, client=client)


def test_a_remote_websocket_without_the_token_is_closed_before_it_opens() -> None:
    seen = Seen()
    client = _websocket_client(ProxyGuard(echo_app(seen), token=TOKEN), REMOTE)
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/ws"):
        pass
    assert refused.value.code == 1008
    assert seen.calls == 0


def test_a_remote_websocket_with_the_token_opens_without_it() -> None:
    seen = Seen()
    client = _websocket_client(ProxyGuard(echo_app(seen), token=TOKEN), REMOTE)
    with client.websocket_connect("/ws", headers={"x-headroom-proxy-token": TOKEN}) as ws:
        headers = ws.receive_json()["headers"]
    assert seen.calls == 1
    assert "x-headroom-proxy-token" not in headers


def test_a_loopback_websocket_needs_no_token() -> None:
    client = _websocket_client(ProxyGuard(echo_app(Seen()), token=TOKEN), LOCAL)
    with client.websocket_connect("/ws") as ws:
        assert "headers" in ws.receive_json()


# ---------------------------------------------------------------------------------------------------
# The body limit


def test_a_declared_length_over_the_limit_is_refused_before_the_app_runs() -> None:
    seen = Seen()
    guard = ProxyGuard(echo_app(seen), max_body_bytes=100)
    reply = request(guard, "POST", "/echo", client=LOCAL, content=b"x" * 101)
    assert reply.status_code == 413
    assert reply.json()["error"]["type"] == "request_too_large"
    assert "100 bytes" in reply.json()["error"]["message"]
    assert seen.calls == 0


def test_a_body_of_exactly_the_limit_passes_intact() -> None:
    guard = ProxyGuard(echo_app(Seen()), max_body_bytes=100)
    body = secrets.token_bytes(100)
    reply = request(guard, "POST", "/echo", client=LOCAL, content=body)
    assert reply.status_code == 200
    assert reply.json()["sha"] == hashlib.sha256(body).hexdigest()


def test_a_streamed_body_over_the_limit_is_refused_while_it_arrives() -> None:
    seen = Seen()
    guard = ProxyGuard(echo_app(seen), max_body_bytes=450)
    reply = request(guard, "POST", "/echo", client=LOCAL, content=chunks(10, 100))
    assert reply.status_code == 413
    assert reply.json()["error"]["type"] == "request_too_large"
    assert seen.calls == 1
    assert seen.errors == ["BodyTooLarge"]  # the app was stopped reading, not left to finish


def test_a_streamed_body_under_the_limit_passes_byte_for_byte() -> None:
    guard = ProxyGuard(echo_app(Seen()), max_body_bytes=1000)
    expected = b"".join(bytes([65 + index % 26]) * 100 for index in range(10))
    reply = request(guard, "POST", "/echo", client=LOCAL, content=chunks(10, 100))
    assert reply.status_code == 200
    assert reply.json()["length"] == 1000
    assert reply.json()["sha"] == hashlib.sha256(expected).hexdigest()


def test_the_413_stands_when_the_app_turns_the_failure_into_its_own_error() -> None:
    seen = Seen()
    guard = ProxyGuard(echo_app(seen), max_body_bytes=150)
    reply = request(guard, "POST", "/swallowing", client=LOCAL, content=chunks(5, 100))
    assert reply.status_code == 413
    assert seen.errors == ["BodyTooLarge"]


def test_no_limit_when_none_is_set() -> None:
    guard = ProxyGuard(echo_app(Seen()), max_body_bytes=None)
    assert request(guard, "POST", "/echo", client=LOCAL, content=chunks(20, 1000)).json()["length"] == 20000


def _run_raw(
    guard: ProxyGuard, headers: list[tuple[bytes, bytes]], bodies: list[bytes]
) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    pending = [
        {"type": "http.request", "body": body, "more_body": index < len(bodies) - 1}
        for index, body in enumerate(bodies)
    ]

    async def receive() -> dict[str, Any]:
        return pending.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers, "client": LOCAL}
    asyncio.run(guard(scope, receive, send))
    return sent


@pytest.mark.parametrize("length", [b"ten", b"-1", b"12, 13"])
def test_an_unreadable_content_length_is_a_400(length: bytes) -> None:
    called: list[bool] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        called.append(True)

    sent = _run_raw(ProxyGuard(inner), [(b"content-length", length)], [b""])
    assert sent[0]["status"] == 400
    assert not called


def test_a_response_already_started_is_ended_when_the_body_goes_over() -> None:
    async def streams_back_while_reading(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while True:
            message = await receive()
            await send({"type": "http.response.body", "body": message["body"], "more_body": True})

    sent = _run_raw(ProxyGuard(streams_back_while_reading, max_body_bytes=10), [], [b"12345", b"678901"])
    assert [message.get("body") for message in sent[1:]] == [b"12345", b""]
    assert sent[-1]["more_body"] is False  # the response is closed, and nothing the app sent after


# ---------------------------------------------------------------------------------------------------
# Under a real uvicorn (X-Forwarded-For from 127.0.0.1 is trusted by default: a remote caller)


@pytest.fixture
def served() -> Iterator[tuple[str, Seen]]:
    seen = Seen()
    with serve_in_thread(ProxyGuard(echo_app(seen), token=TOKEN, max_body_bytes=1000)) as url:
        yield url, seen


def test_under_uvicorn_the_guard_refuses_and_admits(served: tuple[str, Seen]) -> None:
    url, seen = served
    remote = {"x-forwarded-for": "198.51.100.20"}
    with httpx.Client(base_url=url) as http:
        assert http.get("/echo").status_code == 200  # the real peer is 127.0.0.1
        assert http.get("/echo", headers=remote).status_code == 401
        admitted = http.get("/echo", headers={**remote, "x-headroom-proxy-token": TOKEN})
        assert admitted.status_code == 200
        assert "x-headroom-proxy-token" not in admitted.json()["headers"]
        too_large = http.post("/echo", content=b"y" * 1001)
        assert too_large.status_code == 413
        assert too_large.json()["error"]["type"] == "request_too_large"
        assert http.post("/echo", content=b"y" * 2_000_000).status_code == 413  # not read, still answered
        streamed = http.post("/echo", content=(b"z" * 1000 for _ in range(50)))  # chunked: counted
        assert streamed.status_code == 413
        assert streamed.json()["error"]["type"] == "request_too_large"
    assert seen.calls == 3
    assert seen.errors == ["BodyTooLarge"]


# ---------------------------------------------------------------------------------------------------
# Redaction of text and headers


@pytest.mark.parametrize(
    ("template", "kept"),
    [
        ("Headers({{'x-api-key': '{s}', 'accept': 'json'}})", "'x-api-key': '***', 'accept': 'json'"),
        (
            "[(b'authorization', b'Bearer {s}'), (b'host', b'h')]",
            "(b'authorization', b'***'), (b'host', b'h')",
        ),
        ('{{"x-goog-api-key": "{s}", "n": 1}}', '"x-goog-api-key": "***", "n": 1'),
        ("authorization: Bearer {s}\nhost: h", "authorization: ***\nhost: h"),
        ("x-api-key={s}&model=m", "x-api-key=***&model=m"),
        ("sent Bearer {s} upstream", "sent Bearer *** upstream"),
        ("GET https://g.example/v1/m?alt=sse&key={s}", "GET https://g.example/v1/m?alt=sse&key=***"),
        ("redis://user:{s}@cache:6379/0", "redis://user:***@cache:6379/0"),
        ("api-key: {s}", "api-key: ***"),
    ],
)
def test_credentials_are_masked_however_they_are_printed(template: str, kept: str) -> None:
    secret = _fresh("cred")
    out = redact_text(template.format(s=secret))
    assert secret not in out
    assert kept in out  # the structure around the value survives


@pytest.mark.parametrize(
    "make", [lambda: _fresh("sk-ant-api03-"), lambda: _fresh("sk-proj-"), lambda: _fresh("sk-")]
)
def test_provider_keys_are_masked_anywhere(make: Any) -> None:
    key = make()
    out = redact_text(f"calling with {key}.")
    assert key not in out
    assert out == f"calling with sk-{MASK}."


def test_cloud_key_shapes_are_masked() -> None:
    aws = "AKIA" + secrets.token_hex(8).upper()
    google = "AIza" + secrets.token_urlsafe(26)[:35]
    out = redact_text(f"aws {aws} google {google}")
    assert aws not in out and google not in out


@pytest.mark.parametrize(
    "text",
    [
        "the basic idea, tokens_saved=5, tokens before 120",
        "authorization failed for this caller",
        "missing x-api-key, please send one",
        "using sk-learn for the model",
        "cache key abc123 for /v1/messages",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_a_configured_or_learned_secret_is_masked_whatever_its_shape() -> None:
    configured, learned = _fresh("tok_"), _fresh("gw.")
    install_redaction([configured])
    remember_secret(learned)
    out = redact_text(f"plain {configured} and {learned} here")
    assert out == f"plain {MASK} and {MASK} here"


def test_a_short_value_is_not_learned() -> None:
    remember_secret("abc")
    assert redact_text("abc abcdef") == "abc abcdef"


def test_redact_headers() -> None:
    key = _fresh("sk-ant-")
    shown = redact_headers(
        [
            (b"X-Api-Key", key.encode()),
            (b"authorization", b"Bearer " + _fresh("t").encode()),
            (b"x-custom-secret", b"hidden"),
            (b"x-headroom-tokens-saved", b"120"),
            (b"accept", b"a"),
            (b"accept", b"b"),
            (b"x-note", f"relay {key}".encode()),
        ]
    )
    assert shown == {
        "x-api-key": MASK,
        "authorization": f"Bearer {MASK}",
        "x-custom-secret": MASK,
        "x-headroom-tokens-saved": "120",
        "accept": "a, b",
        "x-note": f"relay sk-{MASK}",
    }
    assert redact_headers({"Cookie": "s=1"}) == {"cookie": MASK}


# ---------------------------------------------------------------------------------------------------
# No secret in the logs, at any level


@pytest.fixture
def captured_log() -> Iterator[io.StringIO]:
    """Everything logged anywhere at DEBUG and up, with `extra=` fields printed when present."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        logging.Formatter(
            "%(levelname)s %(name)s %(message)s %(extra_headers)s", defaults={"extra_headers": ""}
        )
    )
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_no_secret_reaches_the_logs_at_debug_level(captured_log: io.StringIO) -> None:
    anthropic_key, openai_key = _fresh("sk-ant-api03-"), _fresh("sk-proj-")
    gateway_key = _fresh("gateway-credential-")  # no known shape: masked because the guard saw it
    google_key = "AIza" + secrets.token_urlsafe(30)[:35]
    token = _fresh("proxy-token-")

    async def logs_everything(request: Request) -> Response:
        headers = request.headers
        for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL):
            app_log.log(level, "headers %s", headers)
        app_log.debug("raw scope headers %r", request.scope["headers"])
        app_log.debug("as dict %s", dict(headers))
        app_log.debug("as json %s", json.dumps(dict(headers)))
        app_log.info(f"the key is {headers['x-api-key']} and the auth is {headers['authorization']}")
        app_log.debug("bare gateway key %s; google %s", headers["api-key"], headers["x-goog-api-key"])
        app_log.debug("the configured token is %s", token)
        app_log.debug("with extra", extra={"extra_headers": dict(headers)})
        try:
            raise RuntimeError(f"upstream refused {headers['authorization']} / {headers['x-api-key']}")
        except RuntimeError:
            app_log.exception("call failed")
        app_log.debug("stack here", stack_info=True)
        return JSONResponse({"ok": True})

    guard = ProxyGuard(
        Starlette(routes=[Route("/v1/messages", logs_everything, methods=["POST"])]), token=token
    )
    headers = {
        "x-api-key": anthropic_key,
        "authorization": f"Bearer {openai_key}",
        "api-key": gateway_key,
        "x-goog-api-key": google_key,
        "x-headroom-proxy-token": token,
    }
    assert request(guard, "POST", "/v1/messages", headers=headers, json={"model": "m"}).status_code == 200
    logging.getLogger("httpx").debug("outgoing %s", httpx.Headers(headers))

    text = captured_log.getvalue()
    assert "headers Headers(" in text and "call failed" in text and "Traceback" in text
    assert text.count(MASK) >= 20  # the lines are there, masked
    for secret in (anthropic_key, openai_key, gateway_key, google_key, token):
        assert secret not in text
    # the keys' distinctive tails are gone too, not just the exact strings
    for secret in (anthropic_key, openai_key, gateway_key, token):
        assert secret[-12:] not in text


def test_an_empty_secret_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="empty secret"):
        install_redaction([""])


@contextlib.contextmanager
def uvicorn_logging_to_root(app: Any) -> Iterator[str]:
    """Real uvicorn with its access log on and its loggers propagating to the root (an earlier
    uvicorn in this process may have given them their own handlers: put aside for the test)."""
    loggers = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.error", "uvicorn.access")]
    saved = [(logger.handlers, logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.handlers, logger.propagate = [], True
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_config=None, log_level="debug", access_log=True, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        for logger, (handlers, propagate) in zip(loggers, saved, strict=True):
            logger.handlers, logger.propagate = handlers, propagate


def test_uvicorn_logs_no_secret_either(captured_log: io.StringIO) -> None:
    query_key = "AIza" + secrets.token_urlsafe(30)[:35]
    header_key = _fresh("sk-ant-api03-")

    async def fails(request: Request) -> Response:
        raise RuntimeError(f"upstream said no to {request.headers['x-api-key']}")

    async def models(request: Request) -> Response:
        return JSONResponse({"data": []})

    app = Starlette(routes=[Route("/v1/models", models), Route("/v1/messages", fails, methods=["POST"])])
    with uvicorn_logging_to_root(ProxyGuard(app)) as url, httpx.Client(base_url=url) as http:
        assert (
            http.get(f"/v1/models?key={query_key}&limit=5", headers={"x-api-key": header_key}).status_code
            == 200
        )
        assert http.post("/v1/messages", headers={"x-api-key": header_key}, content=b"{}").status_code == 500
    text = captured_log.getvalue()
    assert "GET /v1/models?key=***&limit=5" in text  # uvicorn's access line, masked
    assert "Exception in ASGI application" in text and "upstream said no to ***" in text
    assert query_key not in text and header_key not in text


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text")

    __repr__ = __str__


def test_a_record_that_cannot_be_scrubbed_is_withheld_and_the_call_does_not_raise(
    captured_log: io.StringIO,
) -> None:
    install_redaction()
    Pair = collections.namedtuple("Pair", "name value")
    key = _fresh("sk-ant-")
    app_log.warning("odd %s", _Unprintable())
    app_log.warning("extra", extra={"extra_headers": Pair("x-api-key", key.encode())})
    text = captured_log.getvalue()
    assert "[log record withheld: redaction failed (RuntimeError)]" in text
    assert key not in text
    assert "sk-***" in text
