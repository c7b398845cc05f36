"""A scripted model behind the Anthropic Messages API, for driving Claude Code in tests.

`ScriptedClaude` is a Starlette app that plays the model for a real Claude Code process:
the agent's own turns (requests that offer the `Bash` tool) follow a script of tool calls,
one per turn, then a final answer; every other call Claude Code makes (a title or topic
request with no tools, `count_tokens`, anything else) gets a short, well-formed answer.
Every request is recorded with its raw body, so a test can check what reached the "model".

With `retrieve=True` the model also asks for the originals: when the newest tool result holds a
Headroom marker and it has not just retrieved, it calls `headroom_retrieve` with the marker's
hash instead of going on with the script (the proxy is to answer that call itself).

Replies are SSE when the request asks for a stream (Claude Code always does for its turns),
in the wire format of the Messages API: message_start, ping, content_block_start/delta/stop,
message_delta with the stop reason, message_stop.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from headroom.markers import MARKER_PATTERN
from tests.stub_upstream import RecordedRequest

FINAL_ANSWER = "Both files are read; the failing request is req-7f3a9c."
SIDE_ANSWER = "Stub session"
RETRIEVE_TOOL = "headroom_retrieve"


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


@dataclass(frozen=True)
class ToolCall:
    """One tool call the model asks for: the tool's name and its input."""

    name: str
    input: dict[str, Any]


def _message_start(model: str, message_id: str) -> dict[str, Any]:
    usage = {
        "input_tokens": 100,
        "output_tokens": 1,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
    }
    message: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }
    return {"type": "message_start", "message": message}


def _text_events(index: int, text: str) -> list[bytes]:
    start = {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}
    delta = {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": text}}
    return [
        _sse("content_block_start", start),
        _sse("content_block_delta", delta),
        _sse("content_block_stop", {"type": "content_block_stop", "index": index}),
    ]


def _tool_use_events(index: int, call_id: str, call: ToolCall) -> list[bytes]:
    block = {"type": "tool_use", "id": call_id, "name": call.name, "input": {}}
    arguments = json.dumps(call.input)
    # The input arrives in pieces, as a real model streams it.
    pieces = [arguments[i : i + 16] for i in range(0, len(arguments), 16)]
    events = [
        _sse("content_block_start", {"type": "content_block_start", "index": index, "content_block": block})
    ]
    for piece in pieces:
        delta = {"type": "input_json_delta", "partial_json": piece}
        events.append(
            _sse("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
        )
    events.append(_sse("content_block_stop", {"type": "content_block_stop", "index": index}))
    return events


def _message_end(stop_reason: str) -> list[bytes]:
    delta = {"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None}}
    return [
        _sse("message_delta", {**delta, "usage": {"output_tokens": 20}}),
        _sse("message_stop", {"type": "message_stop"}),
    ]


def _blocks(message: Any, kind: str) -> list[dict[str, Any]]:
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        return []
    return [block for block in content if isinstance(block, dict) and block.get("type") == kind]


def _tool_uses_so_far(body: dict[str, Any]) -> int:
    """How many of the script's tool calls the assistant turns hold: the script's position."""
    messages = [m for m in body.get("messages", []) if isinstance(m, dict) and m.get("role") == "assistant"]
    return sum(1 for m in messages for block in _blocks(m, "tool_use") if block.get("name") != RETRIEVE_TOOL)


def _hash_to_retrieve(body: dict[str, Any]) -> str | None:
    """The first marker hash in the newest message's tool results, unless the turn before it
    was already a retrieve call (the answer is what the newest message holds then)."""
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    if len(messages) < 2 or any(b.get("name") == RETRIEVE_TOOL for b in _blocks(messages[-2], "tool_use")):
        return None
    for block in _blocks(messages[-1], "tool_result"):
        content = block.get("content")
        text = content if isinstance(content, str) else json.dumps(content)
        found = MARKER_PATTERN.search(text)
        if found:
            return found.group("hash")
    return None


def offers_tool(body: dict[str, Any], name: str) -> bool:
    return any(isinstance(tool, dict) and tool.get("name") == name for tool in body.get("tools") or [])


class ScriptedClaude:
    """The model for one Claude Code session: `script` tool calls, one a turn, then FINAL_ANSWER."""

    def __init__(
        self, script: Sequence[ToolCall], agent_tool: str = "Bash", *, retrieve: bool = False
    ) -> None:
        self.script = list(script)
        self.agent_tool = agent_tool
        self.retrieve = retrieve
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._next_id = 0
        self.app = Starlette(
            routes=[
                Route("/v1/messages", self._messages, methods=["POST"]),
                Route("/v1/messages/count_tokens", self._count_tokens, methods=["POST"]),
                Route("/{path:path}", self._anything_else, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
            ]
        )

    def agent_turns(self) -> list[RecordedRequest]:
        """The recorded requests of the agent's own loop (those offering its tool), in order."""
        with self._lock:
            recorded = list(self.requests)
        return [r for r in recorded if r.path == "/v1/messages" and offers_tool(r.json(), self.agent_tool)]

    async def _record(self, request: Request) -> bytes:
        body = await request.body()
        recorded = RecordedRequest(request.method, request.url.path, dict(request.headers), body)
        with self._lock:
            self.requests.append(recorded)
        return body

    def _new_id(self, prefix: str) -> str:
        with self._lock:
            self._next_id += 1
            return f"{prefix}_stub{self._next_id:04d}"

    async def _messages(self, request: Request) -> Response:
        body = json.loads(await self._record(request))
        model = str(body.get("model", "stub"))
        if offers_tool(body, self.agent_tool):
            wanted = _hash_to_retrieve(body) if self.retrieve else None
            if wanted is not None:
                return self._reply(body, model, tool_call=ToolCall(RETRIEVE_TOOL, {"hash": wanted}))
            position = _tool_uses_so_far(body)
            if position < len(self.script):
                return self._reply(body, model, tool_call=self.script[position])
            return self._reply(body, model, text=FINAL_ANSWER)
        return self._reply(body, model, text=SIDE_ANSWER)

    def _reply(
        self, body: dict[str, Any], model: str, *, text: str | None = None, tool_call: ToolCall | None = None
    ) -> Response:
        message_id = self._new_id("msg")
        if not body.get("stream"):
            return JSONResponse(self._json_message(model, message_id, text, tool_call))
        # As the real API does, a ping follows message_start.
        events = [_sse("message_start", _message_start(model, message_id)), _sse("ping", {"type": "ping"})]
        if tool_call is not None:
            events += _text_events(0, "Reading it.")
            events += _tool_use_events(1, self._new_id("toolu"), tool_call)
            events += _message_end("tool_use")
        else:
            events += _text_events(0, text or "")
            events += _message_end("end_turn")
        return StreamingResponse(_stream(events), media_type="text/event-stream")

    def _json_message(
        self, model: str, message_id: str, text: str | None, tool_call: ToolCall | None
    ) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if tool_call is not None:
            content.append(
                {
                    "type": "tool_use",
                    "id": self._new_id("toolu"),
                    "name": tool_call.name,
                    "input": tool_call.input,
                }
            )
        else:
            content.append({"type": "text", "text": text or ""})
        return {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": "tool_use" if tool_call else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 100, "output_tokens": 20},
        }

    async def _count_tokens(self, request: Request) -> Response:
        body = await self._record(request)
        # A rough count (4 bytes a token) is all Claude Code needs from this endpoint.
        return JSONResponse({"input_tokens": max(1, len(body) // 4)})

    async def _anything_else(self, request: Request) -> Response:
        await self._record(request)
        return JSONResponse(
            {"type": "error", "error": {"type": "not_found_error", "message": "not served"}}, 404
        )


async def _stream(events: list[bytes]) -> AsyncIterator[bytes]:
    for event in events:
        yield event
