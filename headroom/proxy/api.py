"""The HTTP compression API, for clients that are not Python (the TypeScript SDK, litellm's
`headroom` guardrail, any gateway): compress a message list, get an original back.

    POST /v1/compress   {"messages": [...], "model": "gpt-4o", "token_budget"?: 8000,
                         "config"?: {"mode"?: "ccr" | "lossless" | "aggressive",
                                     "target_ratio"?: 0.3, "user_query"?: "...", "session"?: "..."}}
      -> {"messages", "tokens_before", "tokens_after", "tokens_saved", "compression_ratio",
          "transforms_applied", "ccr_hashes", "failures"}

- `messages` comes back with as many messages as were sent, in the same format (OpenAI or
  Anthropic). A `tool` message whose assistant call was not sent (litellm's guardrail sends
  those) is compressed like any other tool output.
- `compression_ratio` is the fraction of tokens removed, 0.0 (nothing) to 1.0, the same as
  `CompressResult.compression_ratio` in Python. (headroom-ai 0.42's HTTP field of that name
  meant the opposite, the share kept.)
- `ccr_hashes`: every hash a marker in the returned messages names whose original this
  caller can retrieve, for a client that answers `headroom_retrieve` itself.
- `mode`: `ccr` (or none) compresses with the proxy's pipeline, which keeps every original
  retrievable; `lossless` drops nothing (faithful re-encoding only); `aggressive` the
  built-in aggressive pipeline. `token_budget` is an overall budget for the request's text.
  `session` names the conversation (otherwise the `x-headroom-affinity` header, then the
  conversation's first texts), which keeps earlier messages byte-identical turn to turn.
- Errors are 400 with `{"error": {"type", "message", "param"}}`: a body that is not JSON, a
  missing or mistyped field (named), a config key no one knows (named, with "did you mean").
  A compression that fails on the data fails open: the messages come back as sent, the
  reasons in `failures`.

    GET /v1/retrieve/{hash}?query=...     POST /v1/retrieve {"hash": ..., "query"?: ...}
      -> {"hash", "status": "found", "original_content", and with a query: "query", "unit",
          "total", "matches": [{"position", "text"}]}

Without a query `original_content` is the original byte for byte; with one it is the answer
the model would get from `headroom_retrieve` (the matching lines or items, numbered as the
markers number them). A miss is a 404 whose message starts with `unknown` or `expired`
(`corrupt` when the stored text no longer matches its hash); a bad hash or an oversized
query a 400; a store that cannot be reached a 503.

Each compression is counted in the proxy's `/stats` and `/metrics` under its model. Every
call is scoped by the caller's credential (`authorization`, `x-api-key`, ...): it
compresses into, and retrieves from, the namespace named by a hash of that credential, so
one caller cannot read another's originals even with the hash.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from headroom import ccr, workers
from headroom.compress import acompress, check_configuration
from headroom.errors import did_you_mean
from headroom.graph import Pipeline
from headroom.integrations._compressor import credential_in_headers
from headroom.markers import HASH_LENGTH
from headroom.proxy.state import ProxyState, state_of
from headroom.stores import ScopedStore, StoreUnavailable, namespace_for_credential

logger = logging.getLogger("headroom.proxy")

# mode -> the built-in pipeline it runs (None: the proxy's own)
MODES: dict[str, str | None] = {"ccr": None, "lossless": "lossless", "aggressive": "aggressive"}
CONFIG_KEYS = ("mode", "target_ratio", "user_query", "session")
AFFINITY_HEADER = "x-headroom-affinity"
_MAX_SESSION_CHARS = 200
_pipelines: dict[str, Pipeline] = {}


class BadRequest(Exception):
    """A request the API cannot take, with the field it is about."""

    def __init__(self, message: str, param: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.status = status


def _error(
    status: int, message: str, param: str | None = None, kind: str = "invalid_request_error"
) -> Response:
    body = {"error": {"type": kind, "message": message, "param": param}}
    return Response(orjson.dumps(body), status, media_type="application/json")


def _ok(body: Mapping[str, Any]) -> Response:
    return Response(orjson.dumps(body), 200, media_type="application/json")


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise BadRequest(f"the body is not valid JSON: {error}") from error
    if not isinstance(parsed, dict):
        raise BadRequest(f"the body must be a JSON object, not {type(parsed).__name__}")
    return parsed


def _namespace(request: Request) -> str:
    return namespace_for_credential(credential_in_headers(request.scope.get("headers")))


# POST /v1/compress ---------------------------------------------------------------------------


def _field(body: Mapping[str, Any], name: str, kind: type | tuple[type, ...], what: str) -> Any:
    if name not in body or body[name] is None:
        raise BadRequest(f"missing required field: {name}", name)
    value = body[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise BadRequest(f"{name} must be {what}, not {type(value).__name__}", name)
    return value


def _config(body: Mapping[str, Any]) -> dict[str, Any]:
    config = body.get("config")
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise BadRequest(f"config must be an object, not {type(config).__name__}", "config")
    unknown = [key for key in config if key not in CONFIG_KEYS]
    if unknown:
        named = "; ".join(f"{key!r}{did_you_mean(key, CONFIG_KEYS)}" for key in unknown)
        raise BadRequest(f"unknown config key(s): {named}; known: {', '.join(CONFIG_KEYS)}", "config")
    mode = config.get("mode")
    if mode is not None and mode not in MODES:
        raise BadRequest(
            f"config.mode {mode!r} is not a mode{did_you_mean(str(mode), MODES)}; modes: {', '.join(MODES)}",
            "config.mode",
        )
    for key in ("user_query", "session"):
        if config.get(key) is not None and not isinstance(config[key], str):
            raise BadRequest(f"config.{key} must be a string", f"config.{key}")
    return dict(config)


def _options(body: Mapping[str, Any], config: Mapping[str, Any], request: Request) -> dict[str, Any]:
    """The keywords for `acompress`, each checked the way `compress()` checks it."""
    options: dict[str, Any] = {}
    budget = body.get("token_budget")
    if budget is not None:
        if isinstance(budget, bool) or not isinstance(budget, int) or budget <= 0:
            raise BadRequest("token_budget must be a positive whole number of tokens", "token_budget")
        options["max_tokens"] = budget
    ratio = config.get("target_ratio")
    if ratio is not None:
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= 1:
            raise BadRequest("config.target_ratio must be a number in (0, 1]", "config.target_ratio")
        options["target_ratio"] = float(ratio)
    if config.get("user_query") is not None:
        options["user_query"] = config["user_query"]
    session = config.get("session") or request.headers.get(AFFINITY_HEADER)
    if session:
        options["session"] = str(session)[:_MAX_SESSION_CHARS]
    return options


def _pipeline(state: ProxyState, mode: str | None) -> Pipeline:
    name = MODES.get(mode or "ccr")
    if name is None:
        return state.compressor.pipeline
    if name not in _pipelines:
        _pipelines[name] = check_configuration(pipeline=name)  # a built-in: loads, or the install is broken
    return _pipelines[name]


def _retrievable(state: ProxyState, namespace: str, hashes: set[str]) -> list[str]:
    """The hashes whose original this namespace holds (blocking: the store is read)."""
    wanted = sorted(hashes)
    if not wanted:
        return []
    try:
        found = ScopedStore(state.store, namespace).lookup_many("original", wanted)
    except StoreUnavailable as error:
        logger.warning("headroom proxy: the store could not be read for ccr_hashes: %s", error.reason)
        return []
    return [key for key, lookup in zip(wanted, found, strict=True) if lookup.found]


async def compress_route(request: Request) -> Response:
    state = state_of(request)
    try:
        body = await _json_body(request)
        messages = _field(body, "messages", list, "a list of messages")
        model = _field(body, "model", str, "a model name")
        config = _config(body)
        options = _options(body, config, request)
        pipeline = await workers.run_sync(_pipeline, state, config.get("mode"))
    except BadRequest as bad:
        return _error(bad.status, bad.message, bad.param)
    namespace = _namespace(request)
    started = time.perf_counter()
    try:
        result = await acompress(
            messages,
            model,
            pipeline=pipeline,
            hooks=state.compressor.hooks,
            store=state.store,
            namespace=namespace,
            **options,
        )
    except (TypeError, ValueError) as error:  # an option value compress() refuses
        return _error(400, str(error))
    await result.acount_tokens()
    for reason in result.failures:
        state.compressor.failures.report(reason)
    state.stats.record(
        model,
        result.tokens_before,
        result.tokens_after,
        compressed=result.tokens_saved > 0,
        failed=bool(result.failures) and result.tokens_saved <= 0,  # it came back as it was sent
        seconds=time.perf_counter() - started,
    )
    compressed = result.messages if isinstance(result.messages, list) else messages
    hashes = await workers.run_sync(_retrievable, state, namespace, ccr.hashes_in(compressed))
    return _ok(
        {
            "messages": compressed,
            "tokens_before": result.tokens_before,
            "tokens_after": result.tokens_after,
            "tokens_saved": result.tokens_saved,
            "compression_ratio": result.compression_ratio,
            "transforms_applied": list(result.transforms_applied),
            "ccr_hashes": hashes,
            "failures": list(result.failures),
        }
    )


# GET /v1/retrieve/{hash}, POST /v1/retrieve --------------------------------------------------

_MISS = {"unknown", "expired", "corrupt"}
_BAD = {"invalid", "query too long"}


def _retrieved(found: ccr.Retrieval) -> Response:
    if found.found:
        body: dict[str, Any] = {"hash": found.hash, "status": "found"}
        if found.query is None:
            body["original_content"] = found.text
        else:
            body["original_content"] = found.answer(max_chars=None)
            body.update(
                query=found.query,
                unit=found.unit,
                total=found.total,
                matches=[{"position": m.position, "text": m.text} for m in found.matches],
            )
        return _ok(body)
    message = f"{found.status}: {found.reason}"
    if found.status in _MISS:
        response = _error(404, message, "hash", "not_found_error")
    elif found.status in _BAD:
        response = _error(400, message, "query" if found.status == "query too long" else "hash")
    else:
        response = _error(503, message, None, "unavailable")
    return response


async def _retrieve(request: Request, ref: Any, query: Any) -> Response:
    state = state_of(request)
    namespace = _namespace(request)
    found = await workers.run_sync(_lookup, ref, query, state, namespace)
    return _retrieved(found)


def _lookup(ref: Any, query: Any, state: ProxyState, namespace: str) -> ccr.Retrieval:
    return ccr.lookup(ref, query or None, store=state.store, namespace=namespace)


async def retrieve_get(request: Request) -> Response:
    return await _retrieve(request, request.path_params["hash"], request.query_params.get("query"))


async def retrieve_post(request: Request) -> Response:
    try:
        body = await _json_body(request)
        ref = _field(body, "hash", str, f"a hash ({HASH_LENGTH} hex digits)")
    except BadRequest as bad:
        return _error(bad.status, bad.message, bad.param)
    query = body.get("query")
    if query is not None and not isinstance(query, str):
        return _error(400, "query must be a string", "query")
    return await _retrieve(request, ref, query)


def routes() -> list[Route]:
    return [
        Route("/v1/compress", compress_route, methods=["POST"]),
        Route("/v1/retrieve/{hash}", retrieve_get, methods=["GET"]),
        Route("/v1/retrieve", retrieve_post, methods=["POST"]),
    ]


__all__ = ["CONFIG_KEYS", "MODES", "routes"]
