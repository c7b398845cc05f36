"""Every request the proxy does not compress, forwarded verbatim.

Any method and path other than the compressed routes (`/v1/messages/count_tokens`,
`/v1/models`, embeddings, files, ...) goes to the upstream whose API it is
(`headroom.proxy.upstream.vendor_for`) with its headers and body untouched: the body
streams through as the client sends it and the reply streams back as the upstream sends
it, so uploads and streaming downloads work too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import httpx
import orjson
from starlette.requests import Request
from starlette.responses import Response

from headroom import workers
from headroom.proxy.config import LITELLM_BACKENDS
from headroom.proxy.errors import api_for_path, error_response
from headroom.proxy.ops import log_request
from headroom.proxy.state import state_of
from headroom.proxy.upstream import (
    UpstreamFailure,
    UpstreamReply,
    Vendor,
    failure_response,
    forwarded_headers,
    relay,
    send_request,
    upstream_url,
    vendor_for,
)
from headroom.tokens import count_message_tokens, counter_for, iter_text

logger = logging.getLogger("headroom.proxy")
COUNT_TOKENS_PATH = "/v1/messages/count_tokens"


async def forward(request: Request) -> Response:
    started = time.perf_counter()
    response = await _forwarded(request)
    log_request(
        method=request.method,
        path=request.url.path,
        status=response.status_code,
        ms=round((time.perf_counter() - started) * 1000, 2),
        forwarded=True,
    )
    return response


async def _forwarded(request: Request) -> Response:
    state = state_of(request)
    config = state.config
    api = api_for_path(request.url.path)
    default: Vendor = "openai" if config.backend == "openai" else "anthropic"
    vendor = vendor_for(default, request.url.path, request.headers)
    if vendor == "anthropic" and config.backend in LITELLM_BACKENDS:
        if request.method == "POST" and request.url.path.rstrip("/") == COUNT_TOKENS_PATH:
            return await _counted_here(request)
        message = f"{request.url.path} is not available through the {config.backend} backend"
        return error_response("anthropic", 404, message)  # an Anthropic client reads Anthropic's shape
    base = config.anthropic_api_url if vendor == "anthropic" else config.openai_api_url
    url = upstream_url(base, vendor, request.url.path, request.url.query)
    try:
        reply = await _send(state.client, request, url)
    except UpstreamFailure as failure:
        logger.warning("headroom proxy: %s %s: %s", request.method, request.url.path, failure)
        return failure_response(api, failure)
    return relay(reply, api)


async def _counted_here(request: Request) -> Response:
    """count_tokens with a cloud backend, which has no such route: the request's tokens as this
    proxy counts them (every text of the system prompt, the messages and the tools, with
    per-message framing), marked as an estimate in `x-headroom-token-count`."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as error:
        return error_response("anthropic", 400, f"the body is not JSON: {error}")
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return error_response("anthropic", 400, "messages: expected a list")
    tokens = await workers.run_sync(_estimated_input_tokens, body)
    headers = {"x-headroom-token-count": "estimate"}
    return Response(orjson.dumps({"input_tokens": tokens}), 200, headers, media_type="application/json")


def _estimated_input_tokens(body: dict[str, object]) -> int:
    model = body.get("model")
    counted = count_message_tokens(body["messages"], model if isinstance(model, str) else None)
    count = counter_for(model if isinstance(model, str) else None)
    extra = (body.get("system"), body.get("tools"))
    return counted + sum(count(text) for part in extra for text in iter_text(part))


async def _body(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        if chunk:
            yield chunk


async def _send(client: httpx.AsyncClient, request: Request, url: str) -> UpstreamReply:
    has_body = "content-length" in request.headers or "transfer-encoding" in request.headers
    headers = _with_length(request, forwarded_headers(request.headers.items()))
    return await send_request(client, request.method, url, headers, _body(request) if has_body else None)


def _with_length(request: Request, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Keep the client's declared length, so a streamed body is not sent chunked when it was not."""
    length = request.headers.get("content-length")
    return [*headers, ("content-length", length)] if length is not None else headers
