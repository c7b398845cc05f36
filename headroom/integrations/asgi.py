"""`CompressionMiddleware`: compress LLM requests inside any ASGI app.

    from headroom.integrations.asgi import CompressionMiddleware
    app.add_middleware(CompressionMiddleware)          # FastAPI, Starlette, LiteLLM's proxy app
    app = CompressionMiddleware(app, pipeline="aggressive")   # any other ASGI app

It intercepts POST requests whose path ends in `/v1/chat/completions`,
`/chat/completions`, `/v1/messages` or `/v1/responses` (so a prefix such as
`/openai/v1/chat/completions` works too) and compresses, before the app sees the
request:

- Chat Completions: `messages`;
- Anthropic Messages: `messages` (`system` is left alone);
- Responses: the text of the `input` items (messages, tool outputs), keeping
  every item's type, id and other keys.

The app receives the body as it was sent except for the strings compression changed
(numbers as written, key order, whitespace, unknown fields and escapes stay byte for byte;
see `headroom.json_text`), with a matching `Content-Length`. When
tokens were saved the response carries `x-headroom-compressed: true` and
`x-headroom-tokens-saved: N`; the response body itself passes through untouched
and unbuffered, streaming included.

Every other request passes through untouched, and so does, unchanged, any request
it cannot or should not compress: a body that is not JSON, JSON that is not an
object, a body over `max_body_bytes`, a compressed (`Content-Encoding`) or
non-JSON body, a request too small to be worth it (`min_tokens`), or any internal
error (logged once with its reason, logger `headroom.integrations.asgi`). The
middleware never answers with an error of its own.

Big bodies are parsed and rewritten in worker threads; compressing, and counting
the tokens saved, always run in worker threads (`headroom.workers`, bounded), so
other requests keep being served meanwhile. On the ASGI lifespan's startup the
middleware loads the tokenizer and the pipeline (`headroom.awarm`) before the app
starts, so the first request does not wait for them.
"""

from __future__ import annotations

import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from headroom import workers
from headroom.compress import PipelineLike, awarm
from headroom.integrations._compressor import (
    DEFAULT_MIN_TOKENS,
    Compressed,
    RequestCompressor,
    Totals,
    credential_in_headers,
)
from headroom.json_text import rewrite_json
from headroom.pipeline.hooks import CompressionHooks

__all__ = ["DEFAULT_MAX_BODY_BYTES", "CompressionMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Kind = Literal["chat", "anthropic", "responses"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
# JSON bodies larger than this are parsed and rewritten in a worker thread.
THREAD_THRESHOLD_BYTES = 256 * 1024

_ROUTES: tuple[tuple[str, Kind], ...] = (
    ("/v1/messages", "anthropic"),
    ("/chat/completions", "chat"),  # also matches /v1/chat/completions
    ("/v1/responses", "responses"),
)
_FIELDS: dict[Kind, str] = {"chat": "messages", "anthropic": "messages", "responses": "input"}


def route_kind(path: str) -> Kind | None:
    """Which API a request path is, or None when the middleware leaves it alone."""
    trimmed = path.rstrip("/")
    for suffix, kind in _ROUTES:
        if trimmed.endswith(suffix):  # the suffix starts with "/", so it matches whole segments
            return kind
    return None


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


def _declared_length(scope: Scope) -> int | None:
    raw = _header(scope, b"content-length")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1  # unparseable: treat as unreadable


class _BodyReader:
    """Reads a request body up to a limit, keeping every message so it can be replayed as it came."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive = receive
        self._limit = limit
        self.messages: list[Message] = []

    async def read(self) -> bytes | None:
        """The whole body, or None when it is over the limit or the client went away."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self.receive()
            self.messages.append(message)
            if message["type"] != "http.request":
                return None  # http.disconnect: let the app see it
            chunk = bytes(message.get("body", b""))
            chunks.append(chunk)
            size += len(chunk)
            if size > self._limit:
                return None
            if not message.get("more_body", False):
                return b"".join(chunks)

    def replay(self) -> Receive:
        """A receive that first gives back what was read, then continues with the real one."""
        return _receive_first(list(self.messages), self.receive)


def _receive_first(messages: list[Message], receive: Receive) -> Receive:
    pending = deque(messages)

    async def replaying() -> Message:
        if pending:
            return pending.popleft()
        return await receive()

    return replaying


@dataclass(frozen=True)
class _Forward:
    """What to hand the app: the (maybe rewritten) request, and the tokens saved."""

    scope: Scope
    receive: Receive
    tokens_saved: int = 0


async def _maybe_in_thread(function: Callable[[Any], Any], value: Any, size: int) -> Any:
    if size > THREAD_THRESHOLD_BYTES:
        return await workers.run_sync(function, value)
    return function(value)


async def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        parsed = await _maybe_in_thread(orjson.loads, body, len(body))
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _with_length(scope: Scope, length: int) -> Scope:
    dropped = (b"content-length", b"transfer-encoding")
    headers = [(key, value) for key, value in scope.get("headers", ()) if key.lower() not in dropped]
    headers.append((b"content-length", str(length).encode()))
    return {**scope, "headers": headers}


def _with_savings_headers(send: Send, tokens_saved: int) -> Send:
    extra = [(b"x-headroom-compressed", b"true"), (b"x-headroom-tokens-saved", str(tokens_saved).encode())]

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), *extra]}
        await send(message)

    return sending


class CompressionMiddleware:
    """Pure ASGI middleware that compresses OpenAI, Anthropic and Responses requests.

    pipeline, hooks, min_tokens, model_limit, compress_options: as for `HeadroomCallback`;
    the pipeline is loaded and every option checked here, so a bad one stops the app at start-up.
    max_body_bytes: bodies larger than this are passed through unread.
    Each request is compressed in its caller's namespace, from a hash of its `Authorization`
    (or `x-api-key`, `api-key`, `x-goog-api-key`) header (`headroom.ccr.stores.namespace_for_credential`).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        pipeline: PipelineLike = "default",
        hooks: CompressionHooks | None = None,
        min_tokens: int = DEFAULT_MIN_TOKENS,
        model_limit: int | None = None,
        compress_options: Mapping[str, Any] | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.compressor = RequestCompressor(
            pipeline=pipeline,
            hooks=hooks,
            min_tokens=min_tokens,
            model_limit=model_limit,
            compress_options=compress_options,
            logger=logger,
        )

    def totals(self) -> Totals:
        """Running totals: requests seen and compressed, tokens saved, failures."""
        return self.compressor.totals.snapshot()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") == "lifespan":
            await self.app(scope, self._warming_on_startup(receive), send)
            return
        kind = self._intercepted(scope)
        if kind is None:
            await self.app(scope, receive, send)
            return
        forward = await self._prepare(scope, receive, kind)
        if forward.tokens_saved > 0:
            send = _with_savings_headers(send, forward.tokens_saved)
        await self.app(forward.scope, forward.receive, send)

    def _warming_on_startup(self, receive: Receive) -> Receive:
        """A receive that warms Headroom up when the server announces startup, before the app hears it."""

        async def receiving() -> Message:
            message = await receive()
            if message.get("type") == "lifespan.startup":
                await self._warm()
            return message

        return receiving

    async def _warm(self) -> None:
        try:
            await awarm(None, self.compressor.pipeline)
        except Exception as error:  # requests still run; each reports what fails for it
            logger.warning("headroom: warming up at startup failed: %s: %s", type(error).__name__, error)

    def _intercepted(self, scope: Scope) -> Kind | None:
        if scope.get("type") != "http" or scope.get("method") != "POST":
            return None
        return route_kind(str(scope.get("path", "")))

    async def _prepare(self, scope: Scope, receive: Receive, kind: Kind) -> _Forward:
        """The request to forward. Never raises: on any error the original request goes on."""
        if not self._worth_reading(scope):
            return _Forward(scope, receive)
        reader = _BodyReader(receive, self.max_body_bytes)
        try:
            return await self._compressed(scope, reader, kind)
        except Exception as error:
            self.compressor.report_failure(error)
            return _Forward(scope, reader.replay())

    def _worth_reading(self, scope: Scope) -> bool:
        declared = _declared_length(scope)
        if declared is not None and not 0 <= declared <= self.max_body_bytes:
            return False
        encoding = _header(scope, b"content-encoding")
        if encoding not in (None, b"", b"identity"):
            return False  # gzip and friends: not ours to unpack
        content_type = _header(scope, b"content-type")
        return content_type is None or b"json" in content_type.lower()

    async def _compressed(self, scope: Scope, reader: _BodyReader, kind: Kind) -> _Forward:
        body = await reader.read()
        payload = None if body is None else await _json_object(body)
        if body is None or payload is None:
            return _Forward(scope, reader.replay())
        field = _FIELDS[kind]
        credential = credential_in_headers(scope.get("headers"))
        outcome = await self._compress_field(kind, payload.get(field), payload.get("model"), credential)
        if outcome is None:
            return _Forward(scope, reader.replay())
        # Only the compressed strings are written anew: every other byte goes on as the client sent it.
        rewrite = functools.partial(rewrite_json, body, payload)
        new_body: bytes = await _maybe_in_thread(rewrite, {**payload, field: outcome.payload}, len(body))
        request = {"type": "http.request", "body": new_body, "more_body": False}
        receive = _receive_first([request], reader.receive)  # later calls (http.disconnect) go to the client
        return _Forward(_with_length(scope, len(new_body)), receive, outcome.tokens_saved)

    async def _compress_field(
        self, kind: Kind, value: Any, model: Any, credential: str | None
    ) -> Compressed | None:
        model_name = model if isinstance(model, str) else None
        if kind == "responses":
            return await self.compressor.responses_input(value, model_name, credential)
        return await self.compressor.messages(value, model_name, credential)
