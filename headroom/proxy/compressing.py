"""The compressed routes: Anthropic Messages, Chat Completions and the Responses API.

For each request:

1. The body is read whole (the guard has already refused one over the size limit).
   `x-headroom-bypass: true` sends it on as it came, unread.
2. Its conversation (`messages`, or the Responses `input`) is compressed in the caller's
   namespace (a hash of its API key), with the proxy's store and the library's session
   mechanism: a message's compressed form depends only on it and the turns before it, so
   every earlier message goes out in the same bytes on every turn and the provider's prompt
   cache keeps hitting. Nothing else in the request is read: `system`, tools, `cache_control`
   breakpoints, unknown fields and block types pass through untouched.
3. When the pipeline can drop content, `headroom_retrieve` is added to the tools of every
   request that has tools or names a marker, so the tools list, which opens the cached
   prefix, does not change between turns; its calls are answered inside the proxy
   (`headroom.proxy.retrieval`).
4. The body goes upstream byte for byte as it came except for the strings compression
   changed and the added tool (`headroom.json_text.rewrite_json`); a request the proxy does
   not change goes as the exact bytes it received.

Anything that goes wrong while compressing fails open: the original bytes go upstream and
the reason is logged. Responses carry `x-headroom-tokens-before`, `-after` and `-saved`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from headroom import ccr, workers
from headroom.integrations._compressor import Attempt, credential_in_headers
from headroom.json_text import rewrite_json
from headroom.proxy import backends, retrieval
from headroom.proxy.config import LITELLM_BACKENDS
from headroom.proxy.errors import Api
from headroom.proxy.ops import log_request
from headroom.proxy.state import ProxyState, state_of
from headroom.proxy.upstream import (
    Upstream,
    UpstreamFailure,
    failure_response,
    forwarded_headers,
    http_upstream,
    relay,
    upstream_url,
)
from headroom.stores import namespace_for_credential
from headroom.tokens import count_message_tokens

logger = logging.getLogger("headroom.proxy")

BYPASS_HEADER = "x-headroom-bypass"
_TRUE = frozenset({"1", "true", "yes", "on"})
# JSON bodies larger than this are parsed and rewritten in a worker thread.
_THREAD_THRESHOLD_BYTES = 256 * 1024
# A body this small has at most about a thousand tokens: counting them takes a tenth of a millisecond.
_COUNT_ON_LOOP_BYTES = 4096
_FIELD: dict[Api, str] = {"anthropic": "messages", "chat": "messages", "responses": "input"}
_TOOL_FORMAT: dict[Api, ccr.Format] = {"anthropic": "anthropic", "chat": "openai", "responses": "responses"}


@dataclass(frozen=True)
class Outgoing:
    """What goes upstream for one request, and what compressing it came to."""

    body: bytes
    request: dict[str, Any] | None  # the parsed request as sent; None when it was not read
    attempt: Attempt
    tokens_before: int = 0
    tokens_after: int = 0
    has_retrieve_tool: bool = False

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after


def _bypassed(request: Request) -> bool:
    return request.headers.get(BYPASS_HEADER, "").strip().lower() in _TRUE


async def _off_loop(function: Any, *args: Any, size: int) -> Any:
    if size > _THREAD_THRESHOLD_BYTES:
        return await workers.run_sync(function, *args)
    return function(*args)


async def _parsed(body: bytes) -> dict[str, Any] | None:
    try:
        payload = await _off_loop(orjson.loads, body, size=len(body))
    except orjson.JSONDecodeError:
        return None
    return payload if isinstance(payload, dict) else None


def _names_a_marker(value: Any) -> bool:
    return isinstance(value, list) and bool(ccr.hashes_in(value))


def _with_tool(state: ProxyState, api: Api, payload: dict[str, Any], conversation: Any) -> dict[str, Any]:
    """The request with `headroom_retrieve` in its tools, where the model may need it."""
    if not state.can_drop:
        return payload
    if not payload.get("tools") and not _names_a_marker(conversation):
        return payload  # a request without tools, and nothing to get back: leave it as it is
    return ccr.with_retrieve_tool(payload, _TOOL_FORMAT[api])


async def _attempt(state: ProxyState, api: Api, value: Any, model: Any, credential: str | None) -> Attempt:
    name = model if isinstance(model, str) else None
    if api == "responses":
        return await state.compressor.attempt_responses_input(value, name, credential)
    return await state.compressor.attempt_messages(value, name, credential)


async def _counted(attempt: Attempt, value: Any, model: Any, size: int) -> tuple[int, int]:
    """Tokens before and after: the attempt's when the pipeline ran, else counted here (on the
    loop for a small body, where a thread hop would cost more than the count)."""
    if attempt.ran:
        return attempt.tokens_before, attempt.tokens_before - attempt.tokens_saved
    name = model if isinstance(model, str) else None
    messages = value if isinstance(value, list) else []
    if size <= _COUNT_ON_LOOP_BYTES:
        tokens = count_message_tokens(messages, name)
    else:
        tokens = await workers.run_sync(count_message_tokens, messages, name)
    return tokens, tokens


async def outgoing(state: ProxyState, api: Api, body: bytes, credential: str | None) -> Outgoing:
    """The request to send upstream. Raises only for an internal error (the caller fails open)."""
    payload = await _parsed(body)
    if payload is None:
        return Outgoing(body, None, Attempt(None))  # not a JSON object: the upstream will say so
    field = _FIELD[api]
    conversation = payload.get(field)
    attempt = await _attempt(state, api, conversation, payload.get("model"), credential)
    sent_conversation = attempt.payload if attempt.payload is not None else conversation
    changed = dict(payload)
    if attempt.payload is not None:
        changed[field] = attempt.payload
    changed = _with_tool(state, api, changed, sent_conversation)
    before, after = await _counted(attempt, conversation, payload.get("model"), len(body))
    # Only a tool the proxy added is answered here: a client that brings its own answers it.
    added_tool = _has_retrieve_tool(changed) and not _has_retrieve_tool(payload)
    if attempt.payload is None and not added_tool:
        return Outgoing(body, payload, attempt, before, after)
    new_body = await _off_loop(rewrite_json, body, payload, changed, size=len(body))
    return Outgoing(new_body, changed, attempt, before, after, added_tool)


def _has_retrieve_tool(payload: Mapping[str, Any]) -> bool:
    tools = payload.get("tools")
    return isinstance(tools, list) and any(ccr.tool_name(tool) == ccr.TOOL_NAME for tool in tools)


def token_headers(sent: Outgoing) -> dict[str, str]:
    headers = {
        "x-headroom-tokens-before": str(sent.tokens_before),
        "x-headroom-tokens-after": str(sent.tokens_after),
        "x-headroom-tokens-saved": str(sent.tokens_saved),
    }
    if sent.attempt.payload is not None:
        headers["x-headroom-compressed"] = "true"
    return headers


def _upstream(state: ProxyState, request: Request, api: Api) -> Upstream:
    headers = forwarded_headers(request.headers.items())
    if api == "anthropic" and state.config.backend in LITELLM_BACKENDS:
        return backends.litellm_upstream(state.config, headers)
    if api == "anthropic":
        url = upstream_url(state.config.anthropic_api_url, "anthropic", request.url.path, request.url.query)
    else:
        url = upstream_url(state.config.openai_api_url, "openai", request.url.path, request.url.query)
    return http_upstream(state.client, "POST", url, headers)


async def _fail_open(state: ProxyState, api: Api, body: bytes, credential: str | None) -> Outgoing:
    try:
        return await outgoing(state, api, body, credential)
    except Exception as error:
        state.compressor.report_failure(error)
        return Outgoing(body, None, Attempt(None, failed=True))


async def _send(
    state: ProxyState, api: Api, sent: Outgoing, upstream: Upstream, credential: str | None
) -> Response:
    headers = token_headers(sent)
    if sent.has_retrieve_tool and sent.request is not None:
        exchange = retrieval.Exchange(
            api=api,
            request=sent.request,
            body=sent.body,
            streaming=sent.request.get("stream") is True,
            upstream=upstream,
            store=state.store,
            namespace=namespace_for_credential(credential),
            rounds=state.config.retrieve_rounds,
            headers=headers,
        )
        return await retrieval.complete(exchange)
    return relay(await upstream(sent.body), api, headers)


async def handle(request: Request, api: Api) -> Response:
    """One compressed route's request, start to finish."""
    state = state_of(request)
    started = time.perf_counter()
    body = await request.body()
    credential = credential_in_headers(request.scope.get("headers"))
    if _bypassed(request):
        sent = Outgoing(body, None, Attempt(None))
    else:
        sent = await _fail_open(state, api, body, credential)
    upstream = _upstream(state, request, api)
    try:
        response = await _send(state, api, sent, upstream, credential)
    except UpstreamFailure as failure:
        logger.warning("headroom proxy: %s %s: %s", request.method, request.url.path, failure)
        response = failure_response(api, failure)
    _record(state, request, sent, response.status_code, started)
    return response


def _model(sent: Outgoing) -> str | None:
    model = sent.request.get("model") if sent.request is not None else None
    return model if isinstance(model, str) else None


def _record(state: ProxyState, request: Request, sent: Outgoing, status: int, started: float) -> None:
    seconds = time.perf_counter() - started
    state.stats.record(
        _model(sent),
        sent.tokens_before,
        sent.tokens_after,
        compressed=sent.attempt.payload is not None,
        failed=sent.attempt.failed,
        status=status,
        seconds=seconds,
    )
    content = sent.request.get("messages", sent.request.get("input")) if sent.request is not None else None
    log_request(
        log_messages=state.config.log_messages,
        method=request.method,
        path=request.url.path,
        status=status,
        ms=round(seconds * 1000, 2),
        model=_model(sent),
        tokens_before=sent.tokens_before,
        tokens_after=sent.tokens_after,
        tokens_saved=sent.tokens_saved,
        messages=content,
    )
