"""Reading text blocks out of OpenAI and Anthropic message lists, and writing
compressed text back without touching anything else.

A *block* is one string leaf that a stage may compress: a message's string
content, a text part, or the content of a tool result. Everything else (roles,
ids, images, `cache_control`, unknown block types, extra keys) is never read
for compression and is carried through as it was. Writing back copies only the
messages that change; the caller's list is never mutated.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

Origin = Literal["system", "user", "assistant", "tool", "other"]
Path = tuple[str | int, ...]

_ROLE_ORIGINS: dict[str, Origin] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
    "function": "tool",
}


@dataclass(frozen=True)
class ToolCall:
    """A tool call the assistant made: what produced a tool output."""

    id: str
    name: str
    arguments: str  # the arguments as JSON text, exactly as sent


@dataclass
class Block:
    """One compressible string leaf of the conversation."""

    id: int
    message_index: int
    path: Path
    role: str
    origin: Origin
    text: str
    tool_call: ToolCall | None = None
    query: str = ""  # the user's request that led to this block (the last user turn before it)
    tool_call_id: str | None = None


@dataclass
class Conversation:
    """What `extract_blocks` found: the blocks plus the context around them."""

    blocks: list[Block]
    tool_calls: list[ToolCall]
    format: Literal["openai", "anthropic", "unknown"]
    user_turns: int
    last_user_text: str
    skipped: list[str] = field(default_factory=list)  # why messages were passed over


def _user_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            part["text"]
            for part in content
            if isinstance(part, Mapping) and part.get("type") == "text" and isinstance(part.get("text"), str)
        ]
        return "\n".join(texts)
    return ""


def _arguments_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # an integer past 64 bits, an object orjson cannot write, nesting past 255 levels
        pass
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError, RecursionError):
        return ""  # arguments only inform relevance: none is better than a failed request


def _text_of(value: Any) -> str:
    """An id or a name as text; one that is not a string or a number reads as empty."""
    if isinstance(value, str):
        return value
    return str(value) if isinstance(value, (int, float)) else ""


def _collect_tool_calls(messages: Sequence[Any], skipped: list[str]) -> dict[str, ToolCall]:
    """Every tool call in the conversation by id. A malformed call, or a `tool_calls` that is not
    a list, is reported in `skipped` and left out; the rest of the message and the request go on."""
    calls: dict[str, ToolCall] = {}
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            continue
        try:
            _message_calls(index, message, calls, skipped)
        except Exception as error:  # extraction reports this message as passed through
            skipped.append(f"message {index}: its tool calls could not be read ({type(error).__name__})")
    return calls


def _message_calls(
    index: int, message: Mapping[str, Any], calls: dict[str, ToolCall], skipped: list[str]
) -> None:
    listed = message.get("tool_calls")
    if listed is not None and not isinstance(listed, (list, tuple)):
        skipped.append(f"message {index}: tool_calls is {type(listed).__name__}, not a list; ignored")
        listed = None
    for call in listed or ():
        if isinstance(call, Mapping):
            function = call.get("function")
            if not isinstance(function, Mapping):
                function = {}
            call_id = _text_of(call.get("id", ""))
            arguments = _arguments_text(function.get("arguments", ""))
            calls[call_id] = ToolCall(call_id, _text_of(function.get("name", "")), arguments)
    content = message.get("content")
    if isinstance(content, list):
        for part in content:
            if isinstance(part, Mapping) and part.get("type") == "tool_use":
                call_id = _text_of(part.get("id", ""))
                arguments = _arguments_text(part.get("input", {}))
                calls[call_id] = ToolCall(call_id, _text_of(part.get("name", "")), arguments)


def detect_format(messages: Sequence[Any]) -> Literal["openai", "anthropic", "unknown"]:
    for message in messages:
        try:
            found = _format_of(message)
        except Exception:  # a message that cannot be read tells nothing; extraction reports it
            continue
        if found is not None:
            return found
    return "unknown"


def _format_of(message: Any) -> Literal["openai", "anthropic"] | None:
    if isinstance(message, Mapping):
        if message.get("role") in ("tool", "function", "developer") or "tool_calls" in message:
            return "openai"
        content = message.get("content")
        for part in content if isinstance(content, list) else ():
            if not isinstance(part, Mapping):
                continue
            kind = part.get("type")
            if kind in ("tool_use", "tool_result") or (kind in ("image", "document") and "source" in part):
                return "anthropic"
            if kind in ("image_url", "input_audio", "file"):
                return "openai"
    return None


class _Extractor:
    def __init__(self, messages: Sequence[Any]):
        self.messages = messages
        self.blocks: list[Block] = []
        self.skipped: list[str] = []
        self.calls = _collect_tool_calls(messages, self.skipped)
        self.last_user_text = ""
        self.user_turns = 0

    def add(self, index: int, path: Path, role: str, origin: Origin, text: str, call_id: str | None) -> None:
        if not text:
            return
        call = self.calls.get(call_id) if call_id is not None else None
        self.blocks.append(
            Block(len(self.blocks), index, path, role, origin, text, call, self.last_user_text, call_id)
        )

    def message(self, index: int, message: Any) -> None:
        if not isinstance(message, Mapping):
            self.skipped.append(f"message {index}: not an object ({type(message).__name__}), passed through")
            return
        role = message.get("role")
        role_name = role if isinstance(role, str) else ""
        origin = _ROLE_ORIGINS.get(role_name, "other")
        if origin == "other":
            self.skipped.append(f"message {index}: unknown role {_shown(role)}, passed through")
        typed = _user_text(message.get("content")) if origin == "user" else ""
        if typed:
            # A user turn's own text is the query for what follows it, and for itself.
            self.last_user_text = typed
            self.user_turns += 1
        call_id = message.get("tool_call_id") if origin == "tool" else None
        content = message.get("content")
        if isinstance(content, str):
            self.add(index, ("content",), role_name, origin, content, _as_id(call_id))
        elif isinstance(content, list):
            self.parts(index, role_name, origin, content, _as_id(call_id))
        elif content is not None:
            self.skipped.append(f"message {index}: content of type {type(content).__name__}, passed through")

    def parts(self, index: int, role: str, origin: Origin, parts: list[Any], call_id: str | None) -> None:
        for position, part in enumerate(parts):
            if not isinstance(part, Mapping):
                continue
            kind = part.get("type")
            if kind == "text" and isinstance(part.get("text"), str):
                self.add(index, ("content", position, "text"), role, origin, part["text"], call_id)
            elif kind == "tool_result":
                self.tool_result(index, role, position, part)

    def tool_result(self, index: int, role: str, position: int, part: Mapping[str, Any]) -> None:
        call_id = _as_id(part.get("tool_use_id"))
        inner = part.get("content")
        if isinstance(inner, str):
            self.add(index, ("content", position, "content"), role, "tool", inner, call_id)
        elif isinstance(inner, list):
            for sub, item in enumerate(inner):
                if (
                    isinstance(item, Mapping)
                    and item.get("type") == "text"
                    and isinstance(item.get("text"), str)
                ):
                    path = ("content", position, "content", sub, "text")
                    self.add(index, path, role, "tool", item["text"], call_id)


def _shown(value: Any) -> str:
    """A value for a report: a short string or a scalar as written, anything else by its type (a
    role may be any JSON value, of any size or depth)."""
    if (
        value is None
        or isinstance(value, (bool, int, float))
        or (isinstance(value, str) and len(value) <= 60)
    ):
        return repr(value)
    return f"of type {type(value).__name__}"


def _as_id(value: Any) -> str | None:
    return None if value is None else _text_of(value)


def extract_blocks(messages: Sequence[Any]) -> Conversation:
    """Find every compressible string leaf, with the request and tool call behind it."""
    extractor = _Extractor(messages)
    for index, message in enumerate(messages):
        found = len(extractor.blocks)
        try:
            extractor.message(index, message)
        except Exception as error:  # a message of a shape nobody foresaw: it alone passes through
            del extractor.blocks[found:]
            extractor.skipped.append(f"message {index}: {type(error).__name__}: {error}; passed through")
    return Conversation(
        blocks=extractor.blocks,
        tool_calls=list(extractor.calls.values()),
        format=detect_format(messages),
        user_turns=extractor.user_turns,
        last_user_text=extractor.last_user_text,
        skipped=extractor.skipped,
    )


def _replace_at(node: Any, path: Path, text: str) -> Any:
    """A copy of `node` with the leaf at `path` replaced; siblings are shared, not copied."""
    if not path:
        return text
    head, rest = path[0], path[1:]
    if isinstance(node, Mapping) and isinstance(head, str):
        updated = dict(node)
        updated[head] = _replace_at(node[head], rest, text)
        return updated
    if isinstance(node, list) and isinstance(head, int):
        items = list(node)
        items[head] = _replace_at(node[head], rest, text)
        return items
    raise KeyError(f"path {path} does not fit the message")


def write_back(messages: Sequence[Any], blocks: Sequence[Block], outputs: Mapping[int, str]) -> list[Any]:
    """A new message list with each block's output in place. Untouched messages are the same objects."""
    result = list(messages)
    for block in blocks:
        new_text = outputs.get(block.id)
        if new_text is None or new_text == block.text:
            continue
        result[block.message_index] = _replace_at(result[block.message_index], block.path, new_text)
    return result


def snapshot(messages: Any) -> Any:
    """A deep copy used where a caller's list must be protected from a hook that mutates it."""
    return copy.deepcopy(messages)
