"""Errors the proxy itself answers with, in the shape of the API the client called.

A client's SDK reads an error by its provider's shape: Anthropic's
`{"type": "error", "error": {"type", "message"}}`, OpenAI's `{"error": {"message", "type",
"param", "code"}}`. The proxy answers its own errors (an upstream it cannot reach, a
timeout, a body over the limit) in that same shape and status, so the client reports and
retries them as it would the provider's. In a stream that breaks after it started, the
status is already sent: the stream ends with the provider's error event instead.
"""

from __future__ import annotations

from typing import Literal

import orjson
from starlette.responses import Response

Api = Literal["anthropic", "chat", "responses"]

_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}
_OPENAI_TYPES = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error"}


def error_body(api: Api, status: int, message: str) -> dict[str, object]:
    """The error object the API answers with for this status."""
    if api == "anthropic":
        kind = _ANTHROPIC_TYPES.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": message}}
    kind = _OPENAI_TYPES.get(status, "invalid_request_error" if status < 500 else "server_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def error_response(api: Api, status: int, message: str) -> Response:
    return Response(orjson.dumps(error_body(api, status, message)), status, media_type="application/json")


def stream_error_event(api: Api, message: str) -> bytes:
    """One server-sent event that ends a broken stream the way the provider ends one."""
    if api == "anthropic":
        return b"event: error\ndata: " + orjson.dumps(error_body(api, 500, message)) + b"\n\n"
    if api == "responses":
        event = {"type": "error", "code": "server_error", "message": message, "param": None}
        return b"event: error\ndata: " + orjson.dumps(event) + b"\n\n"
    return b"data: " + orjson.dumps(error_body(api, 500, message)) + b"\n\n"


def api_for_path(path: str) -> Api:
    """Which API's error shape a path's client reads (the OpenAI shape for any non-Anthropic path)."""
    trimmed = path.split("?", 1)[0].rstrip("/")
    if trimmed.startswith("/v1/messages") or trimmed.startswith("/v1/complete"):
        return "anthropic"
    return "responses" if trimmed.endswith("/responses") else "chat"
