"""User hooks: change messages before compression, weight messages, observe results.

Each hook is one method that may be sync or async (the caller detects which);
arguments are keyword-friendly and hooks accept **kwargs so that adding an
argument later breaks nobody. A hook that raises is reported on the result,
never swallowed, and raised in strict mode.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from headroom.messages import ToolCall


@dataclass(frozen=True)
class CompressContext:
    """What a hook knows about the request."""

    model: str | None
    user_query: str  # the conversation's latest user turn
    turn_number: int  # how many user turns the conversation has
    tool_calls: list[ToolCall] = field(default_factory=list)
    provider: str = "unknown"  # "openai", "anthropic", ... (from the model name or the message format)


@dataclass(frozen=True)
class CompressEvent:
    """What `post_compress` observes."""

    model: str | None
    tokens_before: int
    tokens_after: int
    tokens_saved: int
    compression_ratio: float
    transforms_applied: list[str]
    messages_before: list[Any]
    messages_after: list[Any]
    pipeline: str
    failures: list[str]


class CompressionHooks:
    """Subclass and override any of these. Each may be `def` or `async def`."""

    def pre_compress(
        self, messages: list[Any], ctx: CompressContext, **kwargs: Any
    ) -> list[Any] | Awaitable[list[Any]]:
        """Return the messages to compress (dedup, filter, inject). Default: unchanged."""
        return messages

    def compute_biases(
        self, messages: list[Any], ctx: CompressContext, **kwargs: Any
    ) -> dict[int, float] | Awaitable[dict[int, float]]:
        """Per-message weights by message index: >1.0 keeps more, <1.0 keeps less. Default: none."""
        return {}

    def post_compress(self, event: CompressEvent, **kwargs: Any) -> Awaitable[None] | None:
        """Observe the result (logging, analytics). Default: nothing."""


async def call_hook(function: Any, *args: Any) -> Any:
    """Call a hook that may be sync or async."""
    result = function(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


def provider_for(model: str | None, message_format: str) -> str:
    lowered = (model or "").lower()
    if "claude" in lowered or lowered.startswith("anthropic"):
        return "anthropic"
    if "gemini" in lowered:
        return "google"
    if lowered.startswith(("gpt", "o1", "o3", "o4", "openai/", "azure/", "chatgpt")):
        return "openai"
    if "/" in lowered:
        return lowered.split("/", 1)[0]
    return message_format if message_format != "unknown" else "unknown"
