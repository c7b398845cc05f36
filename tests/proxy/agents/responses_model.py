"""A scripted model behind the OpenAI Responses API, for driving Codex in tests.

`ScriptedCodexModel` is a Starlette app that plays the model for a real `codex exec`: each of
the agent's turns (a POST /v1/responses offering a shell tool) asks for the next command of
the script, as a function call to whichever shell tool Codex offers (`exec_command`, `shell`
or `shell_command`, each with its own argument shape); after the script, a final answer.
Any other call is recorded and answered with a short reply or a 404.

With `retrieve=True` the model also asks for the originals: when the newest item is a tool
output holding a Headroom marker (and not the answer to its own retrieve call), it calls
`headroom_retrieve` with the marker's hash before going on (the proxy is to answer it).

Replies are SSE when the request asks for a stream (Codex always does), in the Responses
wire format: response.created, response.in_progress, output_item.added, the arguments or
text as deltas, output_item.done, response.completed with usage.
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from headroom.markers import MARKER_PATTERN
from tests.stub_upstream import RecordedRequest

FINAL_ANSWER = "Both files are read; order ord-10061 failed with an upstream timeout."
SHELL_TOOLS = ("exec_command", "shell_command", "shell")
RETRIEVE_TOOL = "headroom_retrieve"


def _tool_name(tool: Any) -> str | None:
    if not isinstance(tool, dict):
        return None
    name = tool.get("name") or (tool.get("function") or {}).get("name")
    return str(name) if name else None


def shell_tool(body: dict[str, Any]) -> str | None:
    """The shell tool this request offers, by our order of preference, or None."""
    offered = {_tool_name(tool) for tool in body.get("tools") or []}
    return next((name for name in SHELL_TOOLS if name in offered), None)


def shell_arguments(tool: str, command: str, workdir: str) -> dict[str, Any]:
    """The arguments of one call to `tool` running `command`, in that tool's own shape."""
    if tool == "exec_command":
        return {"cmd": command, "workdir": workdir}
    if tool == "shell_command":
        return {"command": command, "workdir": workdir}
    return {"command": ["bash", "-lc", command], "workdir": workdir}


def _items(body: dict[str, Any]) -> list[dict[str, Any]]:
    items = body.get("input")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _calls_so_far(body: dict[str, Any]) -> int:
    """How many of the script's commands the conversation has called: the script's position."""
    return sum(
        1
        for item in _items(body)
        if item.get("type") == "function_call" and item.get("name") != RETRIEVE_TOOL
    )


def _hash_to_retrieve(body: dict[str, Any]) -> str | None:
    """The first marker hash in the newest item, when it is the output of one of the script's calls."""
    items = _items(body)
    if not items or items[-1].get("type") != "function_call_output":
        return None
    newest = items[-1]
    calls = {item.get("call_id"): item.get("name") for item in items if item.get("type") == "function_call"}
    if calls.get(newest.get("call_id")) == RETRIEVE_TOOL:
        return None
    output = newest.get("output")
    found = MARKER_PATTERN.search(output if isinstance(output, str) else json.dumps(output))
    return found.group("hash") if found else None


def _sse(data: dict[str, Any]) -> bytes:
    return f"event: {data['type']}\ndata: {json.dumps(data)}\n\n".encode()


def _usage() -> dict[str, Any]:
    return {
        "input_tokens": 100,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 20,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 120,
    }


def _response(response_id: str, model: str, status: str, output: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": response_id,
        "object": "response",
        "created_at": 1_700_000_000,
        "status": status,
        "model": model,
        "output": output,
        "usage": _usage() if status == "completed" else None,
    }


def _function_call_events(
    item_id: str, call_id: str, name: str, arguments: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The events of one streamed function call, and the finished item."""
    item = {
        "type": "function_call",
        "id": item_id,
        "call_id": call_id,
        "name": name,
        "arguments": "",
        "status": "in_progress",
    }
    events: list[dict[str, Any]] = [{"type": "response.output_item.added", "output_index": 0, "item": item}]
    for start in range(0, len(arguments), 16):  # the arguments arrive in pieces, as a real model streams them
        piece = arguments[start : start + 16]
        events.append(
            {
                "type": "response.function_call_arguments.delta",
                "item_id": item_id,
                "output_index": 0,
                "delta": piece,
            }
        )
    events.append(
        {
            "type": "response.function_call_arguments.done",
            "item_id": item_id,
            "output_index": 0,
            "arguments": arguments,
        }
    )
    done = {**item, "arguments": arguments, "status": "completed"}
    events.append({"type": "response.output_item.done", "output_index": 0, "item": done})
    return events, done


def _message_events(item_id: str, text: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The events of one streamed assistant message, and the finished item."""
    empty = {"type": "message", "id": item_id, "role": "assistant", "status": "in_progress", "content": []}
    part = {"type": "output_text", "text": "", "annotations": []}
    where = {"item_id": item_id, "output_index": 0, "content_index": 0}
    full_part = {**part, "text": text}
    done = {**empty, "status": "completed", "content": [full_part]}
    events = [
        {"type": "response.output_item.added", "output_index": 0, "item": empty},
        {"type": "response.content_part.added", **where, "part": part},
        {"type": "response.output_text.delta", **where, "delta": text},
        {"type": "response.output_text.done", **where, "text": text},
        {"type": "response.content_part.done", **where, "part": full_part},
        {"type": "response.output_item.done", "output_index": 0, "item": done},
    ]
    return events, done


class ScriptedCodexModel:
    """The model for one Codex session: one shell command a turn from `commands`, then FINAL_ANSWER."""

    def __init__(self, commands: Sequence[str], workdir: str, *, retrieve: bool = False) -> None:
        self.commands = list(commands)
        self.workdir = workdir
        self.retrieve = retrieve
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._next_id = 0
        self.app = Starlette(
            routes=[
                Route("/v1/responses", self._responses, methods=["POST"]),
                Route("/{path:path}", self._anything_else, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
            ]
        )

    def agent_turns(self) -> list[RecordedRequest]:
        """The recorded requests of the agent's own loop (those offering a shell tool), in order."""
        with self._lock:
            recorded = list(self.requests)
        return [r for r in recorded if r.path == "/v1/responses" and shell_tool(r.json()) is not None]

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

    async def _responses(self, request: Request) -> Response:
        body = json.loads(await self._record(request))
        model = str(body.get("model", "stub"))
        tool = shell_tool(body)
        position = _calls_so_far(body)
        wanted = _hash_to_retrieve(body) if self.retrieve and tool is not None else None
        if wanted is not None:
            arguments = json.dumps({"hash": wanted})
            events, item = _function_call_events(
                self._new_id("fc"), self._new_id("call"), RETRIEVE_TOOL, arguments
            )
        elif tool is not None and position < len(self.commands):
            arguments = json.dumps(shell_arguments(tool, self.commands[position], self.workdir))
            events, item = _function_call_events(self._new_id("fc"), self._new_id("call"), tool, arguments)
        else:
            events, item = _message_events(self._new_id("msg"), FINAL_ANSWER)
        response_id = self._new_id("resp")
        if not body.get("stream"):
            return JSONResponse(_response(response_id, model, "completed", [item]))
        opening = _response(response_id, model, "in_progress", [])
        stream = [
            {"type": "response.created", "response": opening},
            {"type": "response.in_progress", "response": opening},
            *events,
            {"type": "response.completed", "response": _response(response_id, model, "completed", [item])},
        ]
        numbered = [{**event, "sequence_number": n} for n, event in enumerate(stream)]
        return StreamingResponse(_stream([_sse(event) for event in numbered]), media_type="text/event-stream")

    async def _anything_else(self, request: Request) -> Response:
        await self._record(request)
        return JSONResponse(
            {"error": {"message": f"the stub does not serve {request.url.path}", "type": "not_found"}}, 404
        )


async def _stream(events: list[bytes]) -> AsyncIterator[bytes]:
    for event in events:
        yield event
