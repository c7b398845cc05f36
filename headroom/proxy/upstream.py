"""The upstream: one abstraction over every way the proxy reaches a provider.

An `Upstream` takes a request body and returns an `UpstreamReply`: status, headers and a
body that is read as it arrives. Native backends (Anthropic, OpenAI) are an HTTP call with
httpx (`http_upstream`); the cloud backends (`headroom.proxy.backends`) go through litellm
and hand back the same kind of reply. The routes, the retrieval loop and `relay` only ever
see this shape, so a route can call its upstream again with a new body (the retrieval loop
does) without knowing what is behind it.

Transport errors become `UpstreamFailure`: a connection refused or reset before any reply is
a 502, a timeout a 504 (`failure_status`). `relay` streams a reply to the client as it
arrives, chunk by chunk: nothing is buffered, so the first byte of an SSE stream leaves as
soon as it comes in. A failure after the status was sent ends the stream with the
provider's own error event.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import httpx
from starlette.responses import Response, StreamingResponse

from headroom.proxy.errors import Api, error_response, stream_error_event

FailureKind = Literal["connect", "timeout", "protocol"]

# Headers that describe one connection, not the message: never passed on (RFC 9110 7.6.1).
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
)
_REQUEST_DROPPED = HOP_BY_HOP | {"host", "content-length"}
# A decoded body is no longer in its encoding and may differ in length.
_DECODED_DROPPED = HOP_BY_HOP | {"content-length", "content-encoding"}
HEADROOM_PREFIX = "x-headroom-"


class UpstreamFailure(Exception):
    """The upstream could not be reached or stopped answering."""

    def __init__(self, kind: FailureKind, detail: str) -> None:
        super().__init__(f"upstream {kind} failure: {detail}")
        self.kind = kind
        self.detail = detail

    @property
    def status(self) -> int:
        return 504 if self.kind == "timeout" else 502


def failure_status(failure: UpstreamFailure) -> int:
    return failure.status


def _failure(error: httpx.HTTPError) -> UpstreamFailure:
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if isinstance(error, httpx.TimeoutException):
        return UpstreamFailure("timeout", detail)
    if isinstance(error, httpx.ConnectError):
        return UpstreamFailure("connect", detail)
    return UpstreamFailure("protocol", detail)


@dataclass
class UpstreamReply:
    """One upstream response, its body not yet read.

    `raw_chunks()` gives the body as it came over the wire (in its `content-encoding`), for
    relaying byte for byte; `chunks()` gives it decoded, for reading it (the retrieval loop).
    Either raises `UpstreamFailure` if the connection breaks. Read one of them, once.
    """

    status: int
    headers: list[tuple[str, str]]
    _raw: Callable[[], AsyncIterator[bytes]]
    _decoded: Callable[[], AsyncIterator[bytes]]
    _close: Callable[[], Awaitable[None]]
    closed: bool = field(default=False, init=False)

    @classmethod
    def of_bytes(cls, status: int, headers: Iterable[tuple[str, str]], body: bytes) -> UpstreamReply:
        """A reply made in the proxy (a backend's translation, a test) from a whole body."""
        return cls.of_chunks(status, headers, _once(body))

    @classmethod
    def of_chunks(
        cls, status: int, headers: Iterable[tuple[str, str]], chunks: AsyncIterator[bytes]
    ) -> UpstreamReply:
        """A reply made in the proxy from a body produced piece by piece (a translated stream)."""

        def produce() -> AsyncIterator[bytes]:
            return chunks

        async def close() -> None:
            closer = getattr(chunks, "aclose", None)
            if closer is not None:
                await closer()

        kept = [(name, value) for name, value in headers if name.lower() not in _DECODED_DROPPED]
        return cls(status, kept, produce, produce, close)

    @property
    def media_type(self) -> str:
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value.split(";", 1)[0].strip().lower()
        return ""

    @property
    def is_stream(self) -> bool:
        return self.media_type == "text/event-stream"

    def raw_chunks(self) -> AsyncIterator[bytes]:
        return self._raw()

    def chunks(self) -> AsyncIterator[bytes]:
        return self._decoded()

    def decoded_headers(self) -> list[tuple[str, str]]:
        """The headers to send with the decoded body (no content-encoding or length)."""
        return [(name, value) for name, value in self.headers if name.lower() not in _DECODED_DROPPED]

    async def read(self) -> bytes:
        """The whole decoded body (and the reply closed)."""
        try:
            return b"".join([chunk async for chunk in self.chunks()])
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        if not self.closed:
            self.closed = True
            await self._close()


async def _once(body: bytes) -> AsyncIterator[bytes]:
    yield body


Upstream = Callable[[bytes], Awaitable[UpstreamReply]]


def forwarded_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The client's request headers as they go upstream: all of them, credentials and
    provider headers included, except the connection's own and Headroom's (`x-headroom-*`)."""
    return [
        (name, value)
        for name, value in headers
        if name.lower() not in _REQUEST_DROPPED and not name.lower().startswith(HEADROOM_PREFIX)
    ]


def _reply_headers(response: httpx.Response) -> list[tuple[str, str]]:
    return [(name, value) for name, value in response.headers.multi_items() if name.lower() not in HOP_BY_HOP]


async def _guarded(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    try:
        async for chunk in chunks:
            yield chunk
    except httpx.HTTPError as error:
        raise _failure(error) from error


async def send_request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    content: bytes | AsyncIterator[bytes] | None,
) -> UpstreamReply:
    """Send one request and return its reply as soon as the status and headers are in."""
    request = client.build_request(method, url, headers=headers, content=content)
    try:
        response = await client.send(request, stream=True)
    except httpx.HTTPError as error:
        raise _failure(error) from error
    return UpstreamReply(
        response.status_code,
        _reply_headers(response),
        lambda: _guarded(response.aiter_raw()),
        lambda: _guarded(response.aiter_bytes()),
        response.aclose,
    )


def http_upstream(
    client: httpx.AsyncClient, method: str, url: str, headers: Iterable[tuple[str, str]]
) -> Upstream:
    """An upstream that sends `method url` with these headers (already filtered) and a body."""
    sent_headers = list(headers)

    async def call(body: bytes) -> UpstreamReply:
        return await send_request(client, method, url, sent_headers, body)

    return call


def relay(
    reply: UpstreamReply,
    api: Api,
    extra_headers: Mapping[str, str] | None = None,
    *,
    on_done: Callable[[], None] | None = None,
) -> Response:
    """The reply streamed to the client as it arrives, with Headroom's headers added."""
    encoded = any(name.lower() == "content-encoding" for name, _ in reply.headers)
    # an event can end a broken stream only where the client reads events as plain text
    can_signal = reply.is_stream and not encoded

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in reply.raw_chunks():
                yield chunk
        except UpstreamFailure as failure:
            if can_signal:
                yield stream_error_event(api, f"the upstream stream broke: {failure.detail}")
        finally:
            await reply.aclose()
            if on_done is not None:
                on_done()

    headers = [*reply.headers, *(extra_headers or {}).items()]
    response = StreamingResponse(body(), status_code=reply.status)
    response.raw_headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers
    ]
    return response


def failure_response(api: Api, failure: UpstreamFailure) -> Response:
    """The client's answer when the upstream could not be reached, in the provider's shape."""
    if failure.kind == "timeout":
        message = f"the upstream did not answer in time ({failure.detail})"
    elif failure.kind == "connect":
        message = f"the upstream could not be reached ({failure.detail})"
    else:
        message = f"the upstream broke the connection ({failure.detail})"
    return error_response(api, failure.status, message)


# where a request goes ------------------------------------------------------------------------

Vendor = Literal["anthropic", "openai"]
_ANTHROPIC_PATHS = ("/v1/messages", "/v1/complete")
_OPENAI_PATHS = ("/chat/completions", "/responses", "/embeddings", "/completions", "/moderations")


def vendor_for(default: Vendor, path: str, headers: Mapping[str, str]) -> Vendor:
    """Whose API a request path is: by the path where it tells, else by the client's headers
    (Anthropic's SDKs send `anthropic-version` and `x-api-key`), else the configured backend's."""
    trimmed = path.rstrip("/")
    if trimmed.startswith(_ANTHROPIC_PATHS):
        return "anthropic"
    if any(trimmed.endswith(suffix) or f"{suffix}/" in trimmed for suffix in _OPENAI_PATHS):
        return "openai"
    if "anthropic-version" in headers or "x-api-key" in headers:
        return "anthropic"
    if "authorization" in headers:
        return "openai"
    return default


def upstream_url(base: str, vendor: Vendor, path: str, query: str) -> str:
    """The upstream URL for a request path. Each base is written the way its vendor's SDK writes
    it: Anthropic's without /v1 (the path carries it), OpenAI's with it, so the path's own
    `/v1` (and anything before it, as in `/openai/v1/chat/completions`) is dropped there."""
    if vendor == "openai":
        _, marker, after = path.partition("/v1/")
        path = "/" + after if marker else path
    url = base.rstrip("/") + path
    return f"{url}?{query}" if query else url
