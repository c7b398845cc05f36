"""Cache-stable compression across the turns of a session: earlier messages never change bytes."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import textwrap
import uuid
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headroom import CompressionHooks, compress, samples
from headroom.ccr import retrieve
from headroom.ccr.stores import MemoryStore, StoreConfigError
from headroom.markers import find_markers
from headroom.pipeline.loading import load_pipeline, spec_of
from tests.store_fixtures import require_redis

QUERIES = [
    "Why did checkout fail?",
    "Now look at the billing records: which order failed?",
    "What happened to request req-7f3a9c?",
    "Switch topics: is the search service slow?",
    "Summarise the auth errors.",
]


def tool_output(kind: str, seed: int, size: int) -> str:
    if kind == "log":
        return samples.application_log(lines=size, seed=seed)[0]
    if kind == "json":
        return json.dumps(samples.json_records(size, error_at=size // 2, seed=seed)[0], indent=2)
    if kind == "text":
        return "\n".join(f"step {i}: processed shard {seed}-{i} in {i % 7 + 1}ms" for i in range(size))
    return f"ok ({seed})"


class Session:
    """An agent session that grows by one tool call per turn and is sent whole each turn."""

    def __init__(self, fmt: str):
        self.fmt = fmt
        self.history: list[dict[str, Any]] = (
            [
                {"role": "system", "content": "You are a coding agent."},
                {"role": "user", "content": QUERIES[0]},
            ]
            if fmt == "openai"
            else [{"role": "user", "content": [{"type": "text", "text": QUERIES[0]}]}]
        )
        self.turns = 0

    def add_turn(self, output: str, query: str | None) -> None:
        call_id = f"call_{self.turns}"
        arguments = {"path": f"/srv/output-{self.turns}.txt"}
        self.turns += 1
        if self.fmt == "openai":
            self.history.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {"name": "read", "arguments": json.dumps(arguments)},
                        }
                    ],
                }
            )
            self.history.append({"role": "tool", "tool_call_id": call_id, "content": output})
            if query:
                self.history.append({"role": "assistant", "content": "Noted."})
                self.history.append({"role": "user", "content": query})
            return
        use = {"type": "tool_use", "id": call_id, "name": "read", "input": arguments}
        self.history.append({"role": "assistant", "content": [use]})
        self.history.append(
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call_id, "content": output}]}
        )
        if query:
            self.history += [
                {"role": "assistant", "content": [{"type": "text", "text": "Noted."}]},
                {"role": "user", "content": [{"type": "text", "text": query}]},
            ]

    def request(self) -> list[dict[str, Any]]:
        """The history as an agent sends it; Anthropic's cache_control sits on the newest block."""
        messages = copy.deepcopy(self.history)
        last = messages[-1]["content"]
        if self.fmt == "anthropic":
            last[-1]["cache_control"] = {"type": "ephemeral"}
        return messages


def without_cache_control(messages: list[dict[str, Any]]) -> bytes:
    """The bytes a provider caches: the moving cache_control marker is not part of the content."""
    clean = copy.deepcopy(messages)
    for message in clean:
        if isinstance(message["content"], list):
            for part in message["content"]:
                part.pop("cache_control", None)
    return orjson.dumps(clean)


def assert_prefix_stable(outputs: list[list[dict[str, Any]]]) -> None:
    for turn in range(1, len(outputs)):
        before, after = outputs[turn - 1], outputs[turn]
        earlier = after[: len(before)]
        assert without_cache_control(earlier) == without_cache_control(before), f"turn {turn + 1} rewrote it"


def pipeline_with(**classify: Any) -> dict[str, Any]:
    spec = spec_of(load_pipeline("default")).model_dump(mode="json", exclude_none=True)
    spec["stages"]["classify"].setdefault("params", {}).update(classify)
    return spec


turns = st.lists(
    st.tuples(
        st.sampled_from(["log", "json", "text", "small"]),
        st.integers(0, 50),
        st.integers(60, 400),
        st.sampled_from([None, *QUERIES[1:]]),
    ),
    min_size=2,
    max_size=5,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    turns=turns,
    fmt=st.sampled_from(["openai", "anthropic"]),
    shared=st.booleans(),
    recent=st.sampled_from([0, 1, 2]),
    max_tokens=st.sampled_from([None, 6_000]),
)
def test_earlier_messages_never_change_bytes(
    turns: list[tuple[str, int, int, str | None]], fmt: str, shared: bool, recent: int, max_tokens: int | None
) -> None:
    """Fresh stores (no shared state at all) or one shared store; with or without a recency window
    (kept as first sent) and an overall budget tight enough to cut: the history stays put."""
    session = Session(fmt)
    store = MemoryStore()
    pipeline = pipeline_with(protect_recent_tool_outputs=recent)
    outputs = []
    for kind, seed, size, query in turns:
        session.add_turn(tool_output(kind, seed, size), query)
        result = compress(
            session.request(),
            model="claude-sonnet-4-5" if fmt == "anthropic" else "gpt-4o",
            store=store if shared else MemoryStore(),
            pipeline=pipeline,
            max_tokens=max_tokens,
        )
        assert not result.failures, result.failures
        outputs.append(result.messages)
    assert_prefix_stable(outputs)


def run_session(store_for_turn: Any, pipeline: Any = "default", turns: int = 4, **options: Any) -> list[Any]:
    session = Session("openai")
    outputs = []
    for turn in range(turns):
        kind = "log" if turn % 2 == 0 else "json"
        session.add_turn(tool_output(kind, turn, 300), QUERIES[turn % len(QUERIES)])
        result = compress(session.request(), store=store_for_turn(), pipeline=pipeline, **options)
        outputs.append(result.messages)
    return outputs


def tool_contents(messages: list[dict[str, Any]]) -> list[str]:
    return [m["content"] for m in messages if m["role"] == "tool"]


def test_a_recent_output_is_kept_as_first_sent_by_default() -> None:
    store = MemoryStore()
    outputs = run_session(lambda: store, pipeline_with(protect_recent_tool_outputs=1))
    first_output = tool_output("log", 0, 300)
    assert [tool_contents(out)[0] == first_output for out in outputs] == [True] * 4
    assert_prefix_stable(outputs)


def test_compress_once_compresses_a_recent_output_when_it_leaves_the_window_then_keeps_it() -> None:
    pipeline = pipeline_with(protect_recent_tool_outputs=1, recent_policy="compress_once")
    outputs = run_session(MemoryStore, pipeline)
    first_output = tool_output("log", 0, 300)
    forms = [tool_contents(out)[0] for out in outputs]
    assert forms[0] == first_output  # the newest: whole
    assert forms[1] != first_output and find_markers(forms[1])  # out of the window: compressed once
    assert forms[1] == forms[2] == forms[3]  # then the same bytes on every turn
    assert tool_contents(outputs[1])[1] == tool_output("json", 1, 300)  # the new newest is whole


def test_a_named_session_answers_later_turns_from_the_store() -> None:
    store = MemoryStore()
    session = Session("openai")
    session.add_turn(tool_output("log", 3, 300), None)
    first = compress(session.request(), store=store, session="abc")
    session.add_turn(tool_output("json", 4, 300), QUERIES[2])
    second = compress(session.request(), store=store, session="abc")
    assert "cache.v1:as sent before" in second.transforms_applied
    assert second.messages[: len(first.messages)] == first.messages


def test_a_hook_whose_bias_changes_each_turn_cannot_rewrite_history_within_a_session() -> None:
    class FavourTheNewest(CompressionHooks):
        def compute_biases(self, messages: list[Any], ctx: Any, **kwargs: Any) -> dict[int, float]:
            return {index: (3.0 if index == len(messages) - 1 else 1.0) for index in range(len(messages))}

    store = MemoryStore()
    outputs = run_session(lambda: store, hooks=FavourTheNewest())
    assert_prefix_stable(outputs)


def test_the_session_records_are_only_an_accelerator() -> None:
    warm_store = MemoryStore()
    warm = run_session(lambda: warm_store)
    cold = run_session(MemoryStore)
    assert [orjson.dumps(out) for out in warm] == [orjson.dumps(out) for out in cold]


_FRESH_PROCESS = textwrap.dedent(
    """
    import json, sys
    from headroom import compress
    from headroom.ccr.stores import MemoryStore
    request = json.load(sys.stdin)
    print(json.dumps(compress(request["messages"], store=MemoryStore(), **request["options"]).messages))
    """
)


def test_a_fresh_process_sends_the_same_bytes_as_a_warm_one() -> None:
    store = MemoryStore()
    session = Session("openai")
    outputs = []
    for turn in range(3):
        session.add_turn(tool_output("log" if turn != 1 else "json", 20 + turn, 300), QUERIES[turn + 1])
        outputs.append(compress(session.request(), store=store).messages)
    request = json.dumps({"messages": session.request(), "options": {}})
    done = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS], input=request, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == outputs[-1]


_REDIS_TURN = textwrap.dedent(
    """
    import json, sys
    from headroom import compress
    request = json.load(sys.stdin)
    result = compress(request["messages"], store=request["store"])
    print(json.dumps({"messages": result.messages, "transforms": result.transforms_applied}))
    """
)


def test_workers_sharing_redis_share_originals_and_session_state() -> None:
    url = f"{require_redis()}?prefix=test-{uuid.uuid4().hex}"
    session = Session("openai")
    session.add_turn(tool_output("log", 7, 400), QUERIES[1])

    def worker() -> dict[str, Any]:
        request = json.dumps({"messages": session.request(), "store": url})
        done = subprocess.run(
            [sys.executable, "-c", _REDIS_TURN], input=request, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    first = worker()
    (marker, *_) = find_markers(tool_contents(first["messages"])[0])
    assert retrieve(marker.hash, url) == tool_output("log", 7, 400)  # stored by the other process
    session.add_turn(tool_output("json", 8, 300), QUERIES[2])
    second = worker()
    assert "cache.v1:as sent before" in second["transforms"]  # the first worker's session record
    assert second["messages"][: len(first["messages"])] == first["messages"]


def test_an_unreachable_store_fails_open_with_the_reason() -> None:
    session = Session("openai")
    session.add_turn(tool_output("log", 1, 400), None)
    messages = session.request()
    result = compress(messages, store="redis://127.0.0.1:1/0?prefix=fail-open")
    assert result.messages == messages
    (failure,) = result.failures
    assert "store redis://127.0.0.1:1/0" in failure and "nothing was compressed" in failure


class _WritesFail(MemoryStore):
    """A store that, once told to, answers reads but refuses writes (Redis gone read-only, a full disk)."""

    refuse_writes = False

    def _put_many(self, kind: Any, items: Any) -> None:
        from headroom.ccr.stores import StoreUnavailable

        if self.refuse_writes:
            raise StoreUnavailable(self.url, "writes refused")
        super()._put_many(kind, items)


def test_a_store_failing_on_a_later_turn_keeps_the_earlier_turns_as_they_were_sent() -> None:
    """The prompt cache never breaks on a store failure: a block answered from the session keeps its
    form (its original is in the store already); only the new block goes out as it came."""
    store = _WritesFail()
    session = Session("openai")
    session.add_turn(tool_output("log", 11, 400), QUERIES[0])
    first = compress(session.request(), store=store)
    assert find_markers(tool_contents(first.messages)[0])
    store.refuse_writes = True
    session.add_turn(tool_output("log", 12, 400), QUERIES[1])
    second = compress(session.request(), store=store)
    assert second.messages[: len(first.messages)] == first.messages
    assert tool_contents(second.messages)[-1] == tool_output("log", 12, 400)
    assert any("nothing new was compressed" in failure for failure in second.failures)


def test_an_unknown_kind_of_store_is_a_configuration_error_raised_at_the_call_site() -> None:
    session = Session("openai")
    session.add_turn(tool_output("log", 1, 400), None)
    for strict in (False, True):
        with pytest.raises(StoreConfigError, match="unknown kind of store"):
            compress(session.request(), store="postgres://db/headroom", strict=strict)


class KeepLessOfTools(CompressionHooks):
    def compute_biases(self, messages: list[Any], ctx: Any, **kwargs: Any) -> dict[int, float]:
        return {index: 0.3 for index, message in enumerate(messages) if message.get("role") == "tool"}


def one_turn() -> list[dict[str, Any]]:
    session = Session("openai")
    session.add_turn(tool_output("log", 5, 400), QUERIES[2])
    session.add_turn(tool_output("json", 6, 300), None)
    return session.request()


@pytest.mark.parametrize(
    "changed",
    [
        {"hooks": KeepLessOfTools()},
        {"target_ratio": 0.05},
        {"max_tokens": 3_000},
        {"user_query": "Which records failed?"},
        {"pipeline": "aggressive"},
    ],
    ids=["hook biases", "target_ratio", "max_tokens", "user_query", "pipeline"],
)
def test_a_repeat_with_anything_that_changes_the_output_is_not_answered_from_the_first(
    changed: dict[str, Any],
) -> None:
    store = MemoryStore()
    plain = compress(one_turn(), store=store)
    repeat = compress(one_turn(), store=store, **changed)
    fresh = compress(one_turn(), store=MemoryStore(), **changed)
    assert fresh.messages != plain.messages, "the change matters to the output"
    assert repeat.messages == fresh.messages
    unchanged = compress(one_turn(), store=store)
    assert unchanged.messages == plain.messages
    assert "cache.v1:as sent before" in unchanged.transforms_applied


def test_a_hook_whose_biases_stay_the_same_keeps_every_earlier_turn_from_the_session_records() -> None:
    store = MemoryStore()
    outputs = run_session(lambda: store, hooks=KeepLessOfTools())
    assert_prefix_stable(outputs)
    session = Session("openai")
    session.add_turn(tool_output("log", 0, 300), QUERIES[0])
    session.add_turn(tool_output("json", 1, 300), QUERIES[1])
    again = compress(session.request(), store=store, hooks=KeepLessOfTools())
    assert again.transforms_applied.count("cache.v1:as sent before") == 2
