"""A scriptable stand-in provider on 127.0.0.1: replies queued per path, every request recorded.

Where `tests.stub_upstream.StubUpstream` always gives the same reply, this one plays a
script: a test queues the replies a path gives, in order, and reads back the raw body of
every request it received. A reply is a JSON body, a list of SSE events, or a fault
(a delay before the status, an error status with its body, a connection dropped in the
middle of a stream). The replies are built in each API's real wire format from one
neutral description of a model turn (`Turn`: text and tool calls), so one test can run
against all three APIs:

    turn = Turn(text="Let me look.", calls=[Call("call_1", "headroom_retrieve", {"hash": h})])
    with ScriptedUpstream() as upstream:
        upstream.queue("/v1/messages", sse_reply("anthropic", turn), json_reply("anthropic", Turn("done")))
        ...
        first_body = upstream.requests_to("/v1/messages")[0].json()

Formats: "anthropic" (Messages API: /v1/messages), "chat" (Chat Completions:
/v1/chat/completions) and "responses" (Responses API: /v1/responses). Streams are the
event sequences those APIs send: Anthropic's message_start ... message_stop with
`input_json_delta` for tool input, Chat Completions chunks with streamed `tool_calls`
arguments and `data: [DONE]`, Responses' `response.created` ... `response.completed` with
`function_call_arguments.delta`. A path with nothing queued answers 500 with a message
saying so, so a test that calls upstream more often than it scripted fails clearly.
"""

from __future__ import annotations

import contextlib
import json
import threading
import zlib
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from tests.stub_upstream import RecordedRequest, serve_in_thread

Format = Literal["anthropic", "chat", "responses"]
PATHS: dict[Format, str] = {
    "anthropic": "/v1/messages",
    "chat": "/v1/chat/completions",
    "responses": "/v1/responses",
}
MODEL = "scripted-model"


class DropConnection(Exception):
    """Raised inside a streaming body: uvicorn then closes the connection mid-stream."""


@dataclass(frozen=True)
class Call:
    """One tool call a model turn makes."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Turn:
    """What the model says in one reply: text (possibly none) and tool calls, in that order."""

    text: str | None = None
    calls: list[Call] = field(default_factory=list)
    input_tokens: int = 100
    output_tokens: int = 20
    id_suffix: str = "1"


@dataclass
class Reply:
    """One scripted reply: a status, headers and a body (bytes, or SSE events sent one by one)."""

    status: int = 200
    body: bytes = b""
    events: list[bytes] | None = None
    media_type: str = "application/json"
    delay: float = 0.0  # seconds before the status line is sent
    event_delay: float = 0.0  # seconds between events
    drop_after: int | None = None  # events sent before the connection is dropped
    headers: dict[str, str] = field(default_factory=dict)


Script = Reply | Callable[[dict[str, Any]], Reply]


# building replies in each format -------------------------------------------------------------


def _sse(data: Any, event: str | None = None) -> bytes:
    prefix = f"event: {event}\n" if event else ""
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return f"{prefix}data: {payload}\n\n".encode()


def _pieces(text: str, size: int = 7) -> list[str]:
    """Text cut into small deltas, the way providers stream it."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _arguments(call: Call) -> str:
    return json.dumps(call.arguments, separators=(",", ":"))


def json_reply(api: Format, turn: Turn, *, status: int = 200, delay: float = 0.0) -> Reply:
    body = {"anthropic": anthropic_message, "chat": chat_completion, "responses": responses_object}[api](turn)
    return Reply(status=status, body=json.dumps(body).encode(), delay=delay)


def sse_reply(
    api: Format,
    turn: Turn,
    *,
    event_delay: float = 0.0,
    drop_after: int | None = None,
    include_usage: bool = True,
) -> Reply:
    if api == "anthropic":
        events = anthropic_events(turn)
    elif api == "chat":
        events = chat_events(turn, include_usage=include_usage)
    else:
        events = responses_events(turn)
    return Reply(
        events=events, media_type="text/event-stream", event_delay=event_delay, drop_after=drop_after
    )


def error_reply(api: Format, status: int, message: str) -> Reply:
    """An error in the provider's own shape."""
    if api == "anthropic":
        kinds = {400: "invalid_request_error", 429: "rate_limit_error", 529: "overloaded_error"}
        body: dict[str, Any] = {
            "type": "error",
            "error": {"type": kinds.get(status, "api_error"), "message": message},
        }
    else:
        body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}}
    return Reply(status=status, body=json.dumps(body).encode())


# Anthropic Messages


def _anthropic_blocks(turn: Turn) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if turn.text is not None:
        blocks.append({"type": "text", "text": turn.text})
    blocks.extend({"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in turn.calls)
    return blocks


def anthropic_message(turn: Turn) -> dict[str, Any]:
    return {
        "id": f"msg_scripted_{turn.id_suffix}",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": _anthropic_blocks(turn),
        "stop_reason": "tool_use" if turn.calls else "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": turn.input_tokens,
            "output_tokens": turn.output_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


def anthropic_events(turn: Turn) -> list[bytes]:
    message = anthropic_message(turn)
    start = {**message, "content": [], "stop_reason": None, "usage": {**message["usage"], "output_tokens": 1}}
    events = [_sse({"type": "message_start", "message": start}, "message_start")]
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            opened: dict[str, Any] = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": piece} for piece in _pieces(block["text"])]
        else:
            opened = {**block, "input": {}}
            raw = json.dumps(block["input"], separators=(",", ":"))
            deltas = [{"type": "input_json_delta", "partial_json": ""}]
            deltas += [{"type": "input_json_delta", "partial_json": piece} for piece in _pieces(raw, 5)]
        events.append(
            _sse(
                {"type": "content_block_start", "index": index, "content_block": opened},
                "content_block_start",
            )
        )
        if index == 0:
            events.append(_sse({"type": "ping"}, "ping"))
        events.extend(
            _sse({"type": "content_block_delta", "index": index, "delta": delta}, "content_block_delta")
            for delta in deltas
        )
        events.append(_sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
    finish = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    events.append(
        _sse(
            {"type": "message_delta", "delta": finish, "usage": {"output_tokens": turn.output_tokens}},
            "message_delta",
        )
    )
    events.append(_sse({"type": "message_stop"}, "message_stop"))
    return events


# OpenAI Chat Completions


def _usage_chat(turn: Turn) -> dict[str, Any]:
    return {
        "prompt_tokens": turn.input_tokens,
        "completion_tokens": turn.output_tokens,
        "total_tokens": turn.input_tokens + turn.output_tokens,
    }


def chat_completion(turn: Turn) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": turn.text}
    if turn.calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": _arguments(c)}}
            for c in turn.calls
        ]
    return {
        "id": f"chatcmpl-scripted-{turn.id_suffix}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if turn.calls else "stop",
            }
        ],
        "usage": _usage_chat(turn),
    }


def _chunk(turn: Turn, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-scripted-{turn.id_suffix}",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


def chat_events(turn: Turn, *, include_usage: bool = True) -> list[bytes]:
    events = [_sse(_chunk(turn, {"role": "assistant", "content": ""}))]
    if turn.text:
        events.extend(_sse(_chunk(turn, {"content": piece})) for piece in _pieces(turn.text))
    for index, call in enumerate(turn.calls):
        opening = {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        events.append(_sse(_chunk(turn, {"tool_calls": [opening]})))
        for piece in _pieces(_arguments(call), 5):
            events.append(
                _sse(_chunk(turn, {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}))
            )
    events.append(_sse(_chunk(turn, {}, "tool_calls" if turn.calls else "stop")))
    if include_usage:
        usage_chunk = {**_chunk(turn, {}), "choices": [], "usage": _usage_chat(turn)}
        events.append(_sse(usage_chunk))
    events.append(_sse("[DONE]"))
    return events


# OpenAI Responses


def _responses_items(turn: Turn, *, done: bool = True) -> list[dict[str, Any]]:
    status = "completed" if done else "in_progress"
    items: list[dict[str, Any]] = []
    if turn.text is not None:
        text = turn.text if done else ""
        part = {"type": "output_text", "text": text, "annotations": []}
        items.append(
            {
                # unique per item, as the provider's are (the SDK checks item identities)
                "id": f"msg_scripted_{turn.id_suffix}_{zlib.crc32(turn.text.encode()):08x}",
                "type": "message",
                "status": status,
                "role": "assistant",
                "content": [part] if done else [],
            }
        )
    for call in turn.calls:
        items.append(
            {
                "id": f"fc_{call.id}",
                "type": "function_call",
                "status": status,
                "arguments": _arguments(call) if done else "",
                "call_id": call.id,
                "name": call.name,
            }
        )
    return items


def _usage_responses(turn: Turn) -> dict[str, Any]:
    return {
        "input_tokens": turn.input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": turn.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": turn.input_tokens + turn.output_tokens,
    }


def responses_object(turn: Turn, *, done: bool = True) -> dict[str, Any]:
    return {
        "id": f"resp_scripted_{turn.id_suffix}",
        "object": "response",
        "created_at": 1_700_000_000,
        "status": "completed" if done else "in_progress",
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "model": MODEL,
        "output": _responses_items(turn) if done else [],
        "parallel_tool_calls": True,
        "temperature": 1.0,
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "usage": _usage_responses(turn) if done else None,
    }


def responses_events(turn: Turn) -> list[bytes]:
    sequence = iter(range(10_000))

    def event(kind: str, **fields: Any) -> bytes:
        return _sse({"type": kind, "sequence_number": next(sequence), **fields}, kind)

    events = [
        event("response.created", response=responses_object(turn, done=False)),
        event("response.in_progress", response=responses_object(turn, done=False)),
    ]
    started = _responses_items(turn, done=False)
    finished = _responses_items(turn)
    for index, (opened, item) in enumerate(zip(started, finished, strict=True)):
        events.append(event("response.output_item.added", output_index=index, item=opened))
        if item["type"] == "message":
            where = {"item_id": item["id"], "output_index": index, "content_index": 0}
            empty = {"type": "output_text", "text": "", "annotations": []}
            events.append(event("response.content_part.added", **where, part=empty))
            for piece in _pieces(item["content"][0]["text"]):
                events.append(event("response.output_text.delta", **where, delta=piece, logprobs=[]))
            events.append(
                event("response.output_text.done", **where, text=item["content"][0]["text"], logprobs=[])
            )
            events.append(event("response.content_part.done", **where, part=item["content"][0]))
        else:
            where = {"item_id": item["id"], "output_index": index}
            for piece in _pieces(item["arguments"], 5):
                events.append(event("response.function_call_arguments.delta", **where, delta=piece))
            events.append(
                event("response.function_call_arguments.done", **where, arguments=item["arguments"])
            )
        events.append(event("response.output_item.done", output_index=index, item=item))
    events.append(event("response.completed", response=responses_object(turn)))
    return events


# the server ----------------------------------------------------------------------------------


class ScriptedUpstream:
    """A loopback provider that plays queued replies per path and records every request."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._scripts: dict[str, deque[Script]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._stack: contextlib.ExitStack | None = None
        self.url = ""
        self.app = Starlette(routes=[Route("/{path:path}", self._answer, methods=["GET", "POST"])])

    @property
    def openai_base(self) -> str:
        return f"{self.url}/v1"

    def __enter__(self) -> ScriptedUpstream:
        stack = contextlib.ExitStack()
        self.url = stack.enter_context(serve_in_thread(self.app))
        self._stack = stack
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None

    def queue(self, path: str, *replies: Script) -> None:
        """Replies `path` gives, in order (a callable gets the request's JSON and returns the reply)."""
        with self._lock:
            self._scripts[path].extend(replies)

    def pending(self, path: str) -> int:
        with self._lock:
            return len(self._scripts[path])

    def requests_to(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    async def _answer(self, request: Request) -> Response:
        body = await request.body()
        recorded = RecordedRequest(request.method, request.url.path, dict(request.headers), body)
        with self._lock:
            self.requests.append(recorded)
            scripts = self._scripts[request.url.path]
            script = scripts.popleft() if scripts else None
        if script is None:
            message = f"scripted upstream: no reply queued for {request.url.path}"
            return Response(json.dumps({"error": {"message": message}}), 500, media_type="application/json")
        reply = script(_json_or_empty(body)) if callable(script) else script
        if reply.delay:
            await anyio.sleep(reply.delay)
        if reply.events is None:
            return Response(reply.body, reply.status, headers=reply.headers, media_type=reply.media_type)
        return StreamingResponse(
            _play(reply), reply.status, headers=reply.headers, media_type=reply.media_type
        )


def _json_or_empty(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


async def _play(reply: Reply) -> AsyncIterator[bytes]:
    for count, event in enumerate(reply.events or []):
        if reply.drop_after is not None and count >= reply.drop_after:
            raise DropConnection("scripted: connection dropped mid-stream")
        if reply.event_delay and count:
            await anyio.sleep(reply.event_delay)
        yield event


@contextlib.contextmanager
def scripted() -> Iterator[ScriptedUpstream]:
    with ScriptedUpstream() as upstream:
        yield upstream
