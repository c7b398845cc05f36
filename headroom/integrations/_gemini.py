"""Google's `generateContent` request `contents` (Gemini, Vertex AI), seen as a message list that
`compress()` understands.

A Gemini request carries its conversation as `contents`: entries with a `role` ("user" or
"model") and a list of `parts`. The parts with text worth compressing are:

- `text` parts, the user's and the model's words;
- `function_response` (or `functionResponse`) parts whose `response` holds its text under
  `content`, which is how LiteLLM writes a tool's output.

`to_messages` turns each run of text parts into one chat message (other parts in the run, such
as inline images, stand at their positions as opaque parts), each function response into a tool
message, and each run of `function_call` parts into an assistant message with `tool_calls`, so
a tool output keeps the call that produced it (Gemini pairs them by name and order; so do the
ids made here). `restore` writes the compressed text back into copies of the original
entries: every other key stays as it was, and unchanged entries are the same objects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_OPAQUE_PART: dict[str, str] = {"type": "headroom_opaque"}
_CALL_KEYS = ("function_call", "functionCall")
_RESPONSE_KEYS = ("function_response", "functionResponse")


@dataclass(frozen=True)
class TextRun:
    """Where a chat message's parts came from: an entry and the index of each of its parts."""

    entry: int
    parts: tuple[int, ...]


@dataclass(frozen=True)
class FunctionResponse:
    """Where a tool message's text came from: an entry, one part, and the key holding the response."""

    entry: int
    part: int
    key: str


Source = TextRun | FunctionResponse | None  # None: a tool call, context only, never written back


@dataclass(frozen=True)
class ConvertedContents:
    """The chat messages made from `contents`, and where each one's text lives."""

    messages: list[dict[str, Any]]
    sources: list[Source]


def _first_key(part: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    return next((key for key in keys if isinstance(part.get(key), Mapping)), None)


def _response_text(part: Mapping[str, Any], key: str) -> str | None:
    response = part[key].get("response")
    if isinstance(response, Mapping) and isinstance(response.get("content"), str):
        return str(response["content"])
    return None


class _Builder:
    """Builds the messages entry by entry, pairing each function response with its call."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.sources: list[Source] = []
        self._calls: dict[str, int] = {}
        self._responses: dict[str, int] = {}

    def _id(self, counts: dict[str, int], name: str) -> str:
        counts[name] = counts.get(name, 0) + 1
        return f"{name}:{counts[name]}"

    def text_run(self, role: str, entry: int, run: list[tuple[int, Mapping[str, Any]]]) -> None:
        if not run:
            return
        parts = [
            {"type": "text", "text": part["text"]} if isinstance(part.get("text"), str) else _OPAQUE_PART
            for _, part in run
        ]
        self.messages.append({"role": role, "content": parts})
        self.sources.append(TextRun(entry, tuple(index for index, _ in run)))
        run.clear()

    def calls(self, parts: list[Mapping[str, Any]]) -> None:
        tool_calls = []
        for part in parts:
            call = part[_first_key(part, _CALL_KEYS) or ""]
            name = str(call.get("name", ""))
            arguments = json.dumps(call.get("args", {}), ensure_ascii=False, default=str)
            tool_calls.append(
                {
                    "id": self._id(self._calls, name),
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
            )
        self.messages.append({"role": "assistant", "content": None, "tool_calls": tool_calls})
        self.sources.append(None)

    def response(self, entry: int, index: int, part: Mapping[str, Any], key: str, text: str) -> None:
        name = str(part[key].get("name", ""))
        self.messages.append(
            {"role": "tool", "tool_call_id": self._id(self._responses, name), "content": text}
        )
        self.sources.append(FunctionResponse(entry, index, key))


def to_messages(contents: Sequence[Any]) -> ConvertedContents:
    built = _Builder()
    for entry, content in enumerate(contents):
        if not isinstance(content, Mapping) or not isinstance(content.get("parts"), list):
            continue
        role = "assistant" if content.get("role") == "model" else "user"
        run: list[tuple[int, Mapping[str, Any]]] = []
        calls: list[Mapping[str, Any]] = []
        for index, part in enumerate(content["parts"]):
            if not isinstance(part, Mapping):
                continue
            if _first_key(part, _CALL_KEYS) is not None:
                built.text_run(role, entry, run)
                calls.append(part)
                continue
            if calls:
                built.calls(calls)
                calls = []
            key = _first_key(part, _RESPONSE_KEYS)
            text = _response_text(part, key) if key is not None else None
            if key is not None and text is not None:
                built.text_run(role, entry, run)
                built.response(entry, index, part, key, text)
            else:
                run.append((index, part))
        if calls:
            built.calls(calls)
        built.text_run(role, entry, run)
    return ConvertedContents(built.messages, built.sources)


def restore(contents: Sequence[Any], converted: ConvertedContents, compressed: Sequence[Any]) -> list[Any]:
    """A copy of `contents` with the compressed text written back; unchanged entries are the same objects."""
    result = list(contents)
    parts_of: dict[int, list[Any]] = {}
    for before, after, source in zip(converted.messages, compressed, converted.sources, strict=True):
        if after is before or source is None or after["content"] == before["content"]:
            continue
        parts = parts_of.setdefault(source.entry, list(contents[source.entry]["parts"]))
        if isinstance(source, FunctionResponse):
            part = parts[source.part]
            response = {**part[source.key]["response"], "content": after["content"]}
            parts[source.part] = {**part, source.key: {**part[source.key], "response": response}}
            continue
        for position, index in enumerate(source.parts):
            new = after["content"][position]
            if new.get("type") == "text" and new["text"] != parts[index].get("text"):
                parts[index] = {**parts[index], "text": new["text"]}
    for entry, parts in parts_of.items():
        result[entry] = {**contents[entry], "parts": parts}
    return result
