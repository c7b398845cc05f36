"""Hooks: sync or async, biases that change what survives in proportion, failures reported or raised."""

from __future__ import annotations

import json
from typing import Any

import pytest

from headroom import CompressContext, CompressEvent, CompressionHooks, compress, samples
from headroom.ccr.stores import MemoryStore
from headroom.pipeline.errors import HookError
from headroom.pipeline.hooks import call_hook, provider_for
from tests.helpers import kept_records, openai_tool_turn


class Bias(CompressionHooks):
    def __init__(self, weights: dict[int, float]):
        self.weights = weights

    def compute_biases(self, messages: list[Any], ctx: CompressContext, **kwargs: Any) -> dict[int, float]:
        return dict(self.weights)


class AsyncBias(Bias):
    async def compute_biases(
        self, messages: list[Any], ctx: CompressContext, **kwargs: Any
    ) -> dict[int, float]:  # type: ignore[override]
        return dict(self.weights)


def orders(count: int) -> list[dict[str, Any]]:
    records, _ = samples.json_records(count, error_at=count // 2)
    return openai_tool_turn(json.dumps(records, indent=2), "list the orders")


def kept_items(messages: list[Any]) -> int:
    return kept_records(messages[3]["content"])


def kept_lines(messages: list[Any]) -> int:
    return sum(not line.startswith("[headroom:") for line in messages[3]["content"].split("\n"))


@pytest.mark.parametrize("count", [300, 2000])
@pytest.mark.parametrize("hook_type", [Bias, AsyncBias])
def test_bias_changes_what_survives_in_proportion(count: int, hook_type: type[Bias]) -> None:
    messages = orders(count)
    kept = {
        bias: kept_items(compress(messages, hooks=hook_type({3: bias}), store=MemoryStore()).messages)
        for bias in (0.5, 1.0, 2.0, 4.0)
    }
    assert kept[0.5] < kept[1.0] < kept[2.0] < kept[4.0]
    # In proportion: doubling the bias about doubles what is kept besides the pinned items.
    assert (kept[2.0] - 1) / (kept[1.0] - 1) == pytest.approx(2.0, rel=0.25)
    assert (kept[4.0] - 1) / (kept[2.0] - 1) == pytest.approx(2.0, rel=0.25)


def test_bias_on_a_log_keeps_more_lines() -> None:
    text, _ = samples.application_log()
    messages = openai_tool_turn(text, "show the log")
    lines = {
        bias: kept_lines(compress(messages, hooks=Bias({3: bias}), store=MemoryStore()).messages)
        for bias in (0.5, 1.0, 2.0)
    }
    assert lines[0.5] < lines[1.0] < lines[2.0]


def test_bias_applies_only_to_the_message_it_names() -> None:
    records, _ = samples.json_records()
    payload = json.dumps(records, indent=2)
    messages = [
        {"role": "user", "content": "list"},
        {"role": "tool", "tool_call_id": "a", "content": payload},
        {"role": "tool", "tool_call_id": "b", "content": payload},
    ]
    result = compress(messages, hooks=Bias({2: 3.0}), store=MemoryStore())
    first = kept_records(result.messages[1]["content"])
    second = kept_records(result.messages[2]["content"])
    assert second > 2 * first


@pytest.mark.parametrize(
    ("weights", "reason"),
    [
        ({3: -1.0}, "entry 3: -1.0 is not index -> non-negative number"),
        ({"3": 2.0}, "entry '3': 2.0 is not index -> non-negative number"),
        ({3: float("nan")}, "entry 3: nan is not index -> non-negative number"),
        ({3: "high"}, "entry 3: 'high' is not index -> non-negative number"),
    ],
)
def test_bad_bias_entries_are_reported_and_ignored(weights: dict[Any, Any], reason: str) -> None:
    messages = orders(300)
    plain = compress(messages, store=MemoryStore())
    result = compress(messages, hooks=Bias(weights), store=MemoryStore())
    assert result.messages == plain.messages
    assert result.failures == [f"hook compute_biases failed: ValueError: {reason}"]
    with pytest.raises(HookError, match=r"hook compute_biases failed: ValueError: entry"):
        compress(messages, hooks=Bias(weights), strict=True, store=MemoryStore())


def test_compute_biases_returning_a_non_dict_is_reported() -> None:
    class Wrong(CompressionHooks):
        def compute_biases(self, messages: list[Any], ctx: CompressContext, **kwargs: Any) -> Any:
            return [2.0]

    result = compress(orders(300), hooks=Wrong(), store=MemoryStore())
    assert result.failures == ["hook compute_biases failed: ValueError: returned list, not a dict; ignored"]


class Raising(CompressionHooks):
    def __init__(self, where: str):
        self.where = where

    def pre_compress(self, messages: list[Any], ctx: CompressContext, **kwargs: Any) -> list[Any]:
        if self.where == "pre_compress":
            raise RuntimeError("pre hook broke")
        return messages

    def compute_biases(self, messages: list[Any], ctx: CompressContext, **kwargs: Any) -> dict[int, float]:
        if self.where == "compute_biases":
            raise RuntimeError("bias hook broke")
        return {}

    async def post_compress(self, event: CompressEvent, **kwargs: Any) -> None:  # type: ignore[override]
        if self.where == "post_compress":
            raise RuntimeError("post hook broke")


@pytest.mark.parametrize("where", ["pre_compress", "compute_biases", "post_compress"])
def test_a_raising_hook_is_reported_never_swallowed(where: str) -> None:
    messages = orders(300)
    plain = compress(messages, store=MemoryStore())
    result = compress(messages, hooks=Raising(where), store=MemoryStore())
    assert result.messages == plain.messages  # compression still happened
    assert result.tokens_after < result.tokens_before
    said = {
        "pre_compress": "pre hook broke",
        "compute_biases": "bias hook broke",
        "post_compress": "post hook broke",
    }
    assert result.failures == [f"hook {where} failed: RuntimeError: {said[where]}"]


@pytest.mark.parametrize("where", ["pre_compress", "compute_biases", "post_compress"])
def test_a_raising_hook_raises_hook_error_in_strict_mode(where: str) -> None:
    with pytest.raises(HookError, match=rf"hook {where} failed: RuntimeError") as info:
        compress(orders(300), hooks=Raising(where), strict=True, store=MemoryStore())
    assert info.value.hook == where
    assert isinstance(info.value.__cause__, RuntimeError)


class Dedup(CompressionHooks):
    """pre_compress that drops the duplicated tool output and tags the system prompt."""

    def __init__(self) -> None:
        self.contexts: list[CompressContext] = []

    async def pre_compress(self, messages: list[Any], ctx: CompressContext, **kwargs: Any) -> list[Any]:  # type: ignore[override]
        self.contexts.append(ctx)
        seen: set[str] = set()
        kept = []
        for message in messages:
            content = message.get("content")
            if message["role"] == "tool" and content in seen:
                continue
            seen.add(content)
            kept.append(message)
        return kept


def test_pre_compress_can_change_the_messages() -> None:
    messages = orders(300)
    duplicated = [*messages, {**messages[3], "tool_call_id": "call_2"}]
    hooks = Dedup()
    result = compress(duplicated, hooks=hooks, store=MemoryStore())
    assert len(result.messages) == 4
    assert kept_items(result.messages) < 300
    (ctx,) = hooks.contexts
    assert ctx.user_query == "list the orders"
    assert ctx.turn_number == 1
    assert ctx.model == "gpt-4o" and ctx.provider == "openai"
    assert [call.id for call in ctx.tool_calls] == ["call_1"]


def test_pre_compress_returning_a_non_list_is_reported_and_ignored() -> None:
    class Wrong(CompressionHooks):
        def pre_compress(self, messages: list[Any], ctx: CompressContext, **kwargs: Any) -> Any:
            return None

    result = compress(orders(300), hooks=Wrong(), store=MemoryStore())
    assert result.failures == ["hook pre_compress failed: ValueError: returned NoneType, not a list; ignored"]
    assert kept_items(result.messages) < 300


def test_post_compress_receives_the_token_figures() -> None:
    events: list[CompressEvent] = []

    class Observe(CompressionHooks):
        def post_compress(self, event: CompressEvent, **kwargs: Any) -> None:
            events.append(event)

    messages = orders(300)
    result = compress(messages, model="gpt-4o", hooks=Observe(), store=MemoryStore())
    (event,) = events
    assert event.tokens_before == result.tokens_before > 0
    assert event.tokens_after == result.tokens_after > 0
    assert event.tokens_saved == result.tokens_before - result.tokens_after > 0
    assert event.compression_ratio == pytest.approx(result.compression_ratio)
    assert event.transforms_applied == result.transforms_applied
    assert event.messages_before == messages
    assert event.messages_after == result.messages
    assert event.pipeline == "default" and event.model == "gpt-4o"


def test_hooks_accept_future_keyword_arguments() -> None:
    # The base class methods take **kwargs, so a hook written today survives new arguments.
    hooks = CompressionHooks()
    ctx = CompressContext("gpt-4o", "q", 1)
    assert hooks.pre_compress([1], ctx, later_argument=True) == [1]
    assert hooks.compute_biases([], ctx, later_argument=True) == {}
    assert hooks.post_compress(None, later_argument=True) is None  # type: ignore[arg-type]


def test_call_hook_runs_sync_and_async_functions() -> None:
    import anyio

    async def twice_async(x: int) -> int:
        return 2 * x

    assert anyio.run(call_hook, lambda x: x + 1, 1) == 2
    assert anyio.run(call_hook, twice_async, 4) == 8


@pytest.mark.parametrize(
    ("model", "message_format", "provider"),
    [
        ("gpt-4o", "unknown", "openai"),
        ("o3-mini", "unknown", "openai"),
        ("azure/gpt-4o", "openai", "openai"),
        ("claude-sonnet-4-5", "openai", "anthropic"),
        ("anthropic.claude-3", "unknown", "anthropic"),
        ("gemini-2.5-pro", "unknown", "google"),
        ("mistral/mistral-large", "unknown", "mistral"),
        (None, "anthropic", "anthropic"),
        (None, "unknown", "unknown"),
    ],
)
def test_provider_for(model: str | None, message_format: str, provider: str) -> None:
    assert provider_for(model, message_format) == provider
