"""Loopback stand-ins for the cloud providers litellm calls for the proxy's cloud backends.

Each speaks its provider's real wire format, JSON and streaming, so litellm's own request
building, signing, parsing and translation run unchanged:

- AWS Bedrock InvokeModel for Claude models: POST /model/{id}/invoke answers an Anthropic
  message; /model/{id}/invoke-with-response-stream answers AWS event-stream binary frames
  (prelude, headers, CRC32s), each a `chunk` whose `bytes` is one Anthropic event, base64.
- Google Vertex AI, Claude partner models: POST ...:rawPredict (Anthropic JSON) and
  ...:streamRawPredict (Anthropic SSE); POST /token is the OAuth endpoint of a service account.
- Azure OpenAI: POST /openai/deployments/{deployment}/chat/completions, JSON or SSE.
- OpenRouter: POST /api/v1/chat/completions, OpenAI chat completions, JSON or SSE.

What a stub answers is a `Script`: text, optionally one tool call, or an error status that
comes back in the provider's own error shape; `answers` queues one per model call, each a
Script or a function of the request received (to answer with a hash the request names).
Every request is recorded with its raw body.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import struct
import threading
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.stub_upstream import RecordedRequest, serve_in_thread

EVENT_STREAM = "application/vnd.amazon.eventstream"
_HOLD_LIMIT_SECONDS = 15.0


@dataclass
class ToolCall:
    name: str
    input: dict[str, Any]
    id: str = "toolu_stub_1"


@dataclass
class Script:
    """What every provider route answers next."""

    text: str = "stub reply from the provider"
    tool: ToolCall | None = None
    status: int = 200
    error_message: str = "the stub refused this request"
    usage: tuple[int, int] = (21, 7)  # input and output tokens the provider reports
    delay: float = 0.0  # seconds before answering
    break_after: int | None = None  # a stream fails after this many events
    # when set, a stream sends its first event, then waits for this (at most 15 s) to send the rest
    hold: threading.Event | None = None


# --- Anthropic format (Bedrock InvokeModel and Vertex rawPredict answer in it) ---------------


def anthropic_message(script: Script, model: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": script.text}]
    if script.tool is not None:
        tool = script.tool
        content.append({"type": "tool_use", "id": tool.id, "name": tool.name, "input": tool.input})
    return {
        "id": "msg_provider_stub",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": "tool_use" if script.tool else "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": script.usage[0], "output_tokens": script.usage[1]},
    }


def _halves(text: str) -> list[str]:
    middle = len(text) // 2
    return [text[:middle], text[middle:]]


def anthropic_events(script: Script, model: str) -> list[dict[str, Any]]:
    """The event sequence of Anthropic's streaming Messages API for this script."""
    start = {**anthropic_message(script, model), "content": [], "stop_reason": None}
    start["usage"] = {"input_tokens": script.usage[0], "output_tokens": 1}
    events: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
    events.append({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
    for piece in _halves(script.text):
        events.append(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}
        )
    events.append({"type": "content_block_stop", "index": 0})
    if script.tool is not None:
        tool = script.tool
        block = {"type": "tool_use", "id": tool.id, "name": tool.name, "input": {}}
        events.append({"type": "content_block_start", "index": 1, "content_block": block})
        for piece in _halves(json.dumps(tool.input)):
            delta = {"type": "input_json_delta", "partial_json": piece}
            events.append({"type": "content_block_delta", "index": 1, "delta": delta})
        events.append({"type": "content_block_stop", "index": 1})
    stop = {"stop_reason": "tool_use" if script.tool else "end_turn", "stop_sequence": None}
    events.append({"type": "message_delta", "delta": stop, "usage": {"output_tokens": script.usage[1]}})
    events.append({"type": "message_stop"})
    return events


def sse(data: Any, event: str | None = None) -> bytes:
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {data if isinstance(data, str) else json.dumps(data)}\n\n".encode()


# --- AWS event-stream framing (application/vnd.amazon.eventstream) ---------------------------


def _string_header(name: str, value: str) -> bytes:
    encoded_name, encoded_value = name.encode(), value.encode()
    header_type_string = 7
    return (
        struct.pack("!B", len(encoded_name))
        + encoded_name
        + struct.pack("!BH", header_type_string, len(encoded_value))
        + encoded_value
    )


def event_stream_frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One message: total and header lengths, prelude CRC, headers, payload, message CRC."""
    encoded_headers = b"".join(_string_header(name, value) for name, value in headers.items())
    total = 12 + len(encoded_headers) + len(payload) + 4
    prelude = struct.pack("!II", total, len(encoded_headers))
    prelude += struct.pack("!I", zlib.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + encoded_headers + payload
    return message + struct.pack("!I", zlib.crc32(message) & 0xFFFFFFFF)


def bedrock_chunk(event: dict[str, Any]) -> bytes:
    """An InvokeModelWithResponseStream `chunk` event carrying one Anthropic event."""
    payload = json.dumps({"bytes": base64.b64encode(json.dumps(event).encode()).decode()}).encode()
    headers = {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}
    return event_stream_frame(headers, payload)


def bedrock_exception(kind: str, message: str) -> bytes:
    headers = {":exception-type": kind, ":content-type": "application/json", ":message-type": "exception"}
    return event_stream_frame(headers, json.dumps({"message": message}).encode())


# --- OpenAI chat completions (Azure OpenAI and OpenRouter answer in it) ----------------------


def chat_completion(script: Script, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": script.text}
    if script.tool is not None:
        call = {"name": script.tool.name, "arguments": json.dumps(script.tool.input)}
        message["tool_calls"] = [{"id": script.tool.id, "type": "function", "function": call}]
    prompt, completion = script.usage
    return {
        "id": "chatcmpl-provider-stub",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {"index": 0, "message": message, "finish_reason": "tool_calls" if script.tool else "stop"}
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-provider-stub",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def chat_chunks(script: Script, model: str) -> list[dict[str, Any]]:
    chunks = [_chunk(model, {"role": "assistant", "content": ""})]
    chunks += [_chunk(model, {"content": piece}) for piece in _halves(script.text)]
    if script.tool is not None:
        tool = script.tool
        opening = {
            "index": 0,
            "id": tool.id,
            "type": "function",
            "function": {"name": tool.name, "arguments": ""},
        }
        chunks.append(_chunk(model, {"tool_calls": [opening]}))
        for piece in _halves(json.dumps(tool.input)):
            chunks.append(_chunk(model, {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
    chunks.append(_chunk(model, {}, finish="tool_calls" if script.tool else "stop"))
    prompt, completion = script.usage
    usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    chunks.append({**_chunk(model, {}), "choices": [], "usage": usage})
    return chunks


class StreamBroken(Exception):
    """Raised inside a stub's stream: uvicorn drops the connection mid-body."""


async def _frames(frames: list[bytes], script: Script | None = None) -> AsyncIterator[bytes]:
    break_after = script.break_after if script else None
    for number, frame in enumerate(frames):
        if number == 1 and script and script.hold is not None:
            await asyncio.to_thread(script.hold.wait, _HOLD_LIMIT_SECONDS)
        if number == break_after:
            raise StreamBroken("the stub broke the stream")
        yield frame


# --- the server ------------------------------------------------------------------------------


@dataclass
class ProviderStub:
    """One loopback server for every provider; `script` decides the next answers."""

    script: Script = field(default_factory=Script)
    requests: list[RecordedRequest] = field(default_factory=list)
    # answers for the next model calls, in order, before `script` answers the rest
    answers: list[Script | Callable[[RecordedRequest], Script]] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stack: contextlib.ExitStack | None = None
        self.app = Starlette(
            routes=[
                Route("/token", self._google_token, methods=["POST"]),
                Route("/{path:path}", self._dispatch, methods=["POST"]),
            ]
        )

    def __enter__(self) -> ProviderStub:
        self._stack = contextlib.ExitStack()
        self.url = self._stack.enter_context(serve_in_thread(self.app))
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None

    def last(self) -> RecordedRequest:
        with self._lock:
            if not self.requests:
                raise AssertionError("the provider stub received no request")
            return self.requests[-1]

    def provider_requests(self) -> list[RecordedRequest]:
        """Requests to a model, leaving out OAuth token exchanges."""
        with self._lock:
            return [r for r in self.requests if r.path != "/token"]

    @contextlib.contextmanager
    def scripted(self, script: Script) -> Iterator[None]:
        previous, self.script = self.script, script
        try:
            yield
        finally:
            self.script = previous

    async def _record(self, request: Request) -> RecordedRequest:
        recorded = RecordedRequest(
            request.method, request.url.path, dict(request.headers), await request.body()
        )
        with self._lock:
            self.requests.append(recorded)
        return recorded

    async def _google_token(self, request: Request) -> Response:
        await self._record(request)
        return JSONResponse({"access_token": "stub-access-token", "expires_in": 3600, "token_type": "Bearer"})

    async def _dispatch(self, request: Request) -> Response:
        recorded = await self._record(request)
        script = self._next_script(recorded)
        if script.delay:
            await asyncio.sleep(script.delay)
        path = recorded.path
        if "/invoke" in path and path.startswith("/model/"):
            return self._bedrock(path, script)
        if path.endswith(":rawPredict") or path.endswith(":streamRawPredict"):
            return self._vertex(path, script)
        if path.endswith("/chat/completions"):
            return self._chat(recorded.json(), script)
        return JSONResponse({"error": {"message": f"the provider stub has no route {path}"}}, status_code=404)

    def _next_script(self, recorded: RecordedRequest) -> Script:
        with self._lock:
            queued = self.answers.pop(0) if self.answers else self.script
        return queued if isinstance(queued, Script) else queued(recorded)

    def _bedrock(self, path: str, script: Script) -> Response:
        model = path.split("/")[2]
        if script.status != 200:
            error = {"message": script.error_message}
            return JSONResponse(error, script.status, headers={"x-amzn-ErrorType": "ValidationException"})
        if path.endswith("/invoke-with-response-stream"):
            frames = [bedrock_chunk(event) for event in anthropic_events(script, model)]
            cut = script.break_after
            if cut is not None:  # Bedrock reports a failure mid-stream as an exception frame
                frames = [
                    *frames[:cut],
                    bedrock_exception("internalServerException", "the stub failed midway"),
                ]
            return StreamingResponse(_frames(frames, script), media_type=EVENT_STREAM)
        return JSONResponse(anthropic_message(script, model))

    def _vertex(self, path: str, script: Script) -> Response:
        model = path.rsplit("/", 1)[-1].split(":")[0]
        if script.status != 200:
            error = {
                "code": script.status,
                "message": script.error_message,
                "status": "INVALID_ARGUMENT",
            }
            return JSONResponse({"error": error}, script.status)
        if path.endswith(":streamRawPredict"):
            events = [sse(event, event["type"]) for event in anthropic_events(script, model)]
            return StreamingResponse(_frames(events, script), media_type="text/event-stream")
        return JSONResponse(anthropic_message(script, model))

    def _chat(self, body: dict[str, Any], script: Script) -> Response:
        model = str(body.get("model", "stub"))
        if script.status != 200:
            error = {"message": script.error_message, "type": "invalid_request_error", "code": None}
            return JSONResponse({"error": error}, script.status)
        if body.get("stream"):
            events = [sse(chunk) for chunk in chat_chunks(script, model)] + [sse("[DONE]")]
            return StreamingResponse(_frames(events, script), media_type="text/event-stream")
        return JSONResponse(chat_completion(script, model))
