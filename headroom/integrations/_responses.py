"""OpenAI Responses API `input` items, seen as a message list that `compress()` understands.

`compress()` reads Chat Completions and Anthropic messages. A Responses request
carries its conversation as typed items instead; the ones with text worth
compressing are:

- `message` items (or the short form `{"role": ..., "content": ...}`), whose
  content is a string or a list of `input_text` / `output_text` parts;
- `function_call_output` and `custom_tool_call_output` items, whose `output`
  is a string or a list of `input_text` parts.

`to_messages` turns each of those into one chat message with the same text at
the same list positions, plus an assistant `tool_calls` message for every
`function_call` / `custom_tool_call` so tool outputs keep the call that produced
them. Everything else (reasoning, web search calls, images, item references) is
left out and never changes. `restore` writes the compressed text back into
copies of the original items: item types, ids, statuses and every other key stay
as they were, and unchanged items are the same objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

TEXT_PART_TYPES = frozenset({"input_text", "output_text"})
TOOL_OUTPUT_TYPES = frozenset({"function_call_output", "custom_tool_call_output"})
TOOL_CALL_TYPES = frozenset({"function_call", "custom_tool_call"})
# Stands in for a part that carries no compressible text, so positions line up.
_OPAQUE_PART: dict[str, str] = {"type": "headroom_opaque"}


@dataclass(frozen=True)
class ConvertedInput:
    """The chat messages made from a Responses input, and where each one's text lives."""

    messages: list[dict[str, Any]]
    sources: list[tuple[int, str] | None]  # per message: (item index, item key holding the text)


def _text_part(part: Any) -> bool:
    return (
        isinstance(part, Mapping)
        and part.get("type") in TEXT_PART_TYPES
        and isinstance(part.get("text"), str)
    )


def _as_chat_content(value: Any) -> Any:
    """A Responses content/output value as chat content: a string, or text parts at the same positions."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return [
            {"type": "text", "text": part["text"]} if _text_part(part) else _OPAQUE_PART for part in value
        ]
    return None


def _is_message(item: Mapping[str, Any]) -> bool:
    return item.get("type", "message") == "message" and isinstance(item.get("role"), str)


def _tool_call_message(item: Mapping[str, Any]) -> dict[str, Any]:
    arguments = item.get("arguments", item.get("input", ""))
    call = {
        "id": str(item.get("call_id", "")),
        "type": "function",
        "function": {"name": str(item.get("name", "")), "arguments": arguments},
    }
    return {"role": "assistant", "content": None, "tool_calls": [call]}


def to_messages(items: Sequence[Any]) -> ConvertedInput:
    messages: list[dict[str, Any]] = []
    sources: list[tuple[int, str] | None] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            continue
        kind = item.get("type")
        if _is_message(item):
            content = _as_chat_content(item.get("content"))
            if content is not None:
                messages.append({"role": item["role"], "content": content})
                sources.append((index, "content"))
        elif kind in TOOL_OUTPUT_TYPES:
            output = _as_chat_content(item.get("output"))
            if output is not None:
                messages.append(
                    {"role": "tool", "tool_call_id": str(item.get("call_id", "")), "content": output}
                )
                sources.append((index, "output"))
        elif kind in TOOL_CALL_TYPES:
            messages.append(_tool_call_message(item))
            sources.append(None)  # context for the outputs; never written back
    return ConvertedInput(messages, sources)


def _merged(original: Any, compressed: Any) -> Any:
    """`original` with each text leaf taken from `compressed` (same shape, built by `_as_chat_content`)."""
    if isinstance(compressed, str):
        return compressed
    merged = list(original)
    for position, part in enumerate(compressed):
        if part.get("type") == "text" and part["text"] != original[position]["text"]:
            merged[position] = {**original[position], "text": part["text"]}
    return merged


def restore(items: Sequence[Any], converted: ConvertedInput, compressed: Sequence[Any]) -> list[Any]:
    """A copy of `items` with the compressed text written back; unchanged items are the same objects."""
    result = list(items)
    for before, after, source in zip(converted.messages, compressed, converted.sources, strict=True):
        if after is before or source is None:
            continue
        index, key = source
        result[index] = {**items[index], key: _merged(items[index][key], after["content"])}
    return result
