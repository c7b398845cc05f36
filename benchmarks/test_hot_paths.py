"""pytest-benchmark suite for Headroom's hot paths. Not part of the test suite (`testpaths = ["tests"]`).

    /tmp/venv/bin/python -m pytest benchmarks/test_hot_paths.py --benchmark-only

Each benchmark also checks what it timed did its job, so a fast wrong answer fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from scaling_input import NEEDLE, log_text, make_input  # noqa: E402

from headroom import MemoryStore, compress  # noqa: E402
from headroom.messages import extract_blocks  # noqa: E402
from headroom.pipeline.hooks import provider_for  # noqa: E402
from headroom.pipeline.registry import lookup  # noqa: E402
from headroom.pipeline.stage import BlockState, RunContext, RunState  # noqa: E402
from headroom.tokens import count_tokens, counter_for  # noqa: E402

CORPUS = HERE / "corpus"


def corpus_messages(case_id: str) -> list[Any]:
    return json.loads((CORPUS / f"{case_id}.json").read_text(encoding="utf-8"))["messages"]


def fresh_compress(messages: list[Any]) -> Any:
    # A new store every call: the memo cache must not answer, or this would time a lookup.
    return compress(messages, model="gpt-4o", store=MemoryStore())


def check_compressed(messages: list[Any], result: Any) -> None:
    assert isinstance(result.messages, list)
    assert len(result.messages) == len(messages)
    assert 0 < result.tokens_after <= result.tokens_before
    assert not result.failures, result.failures


@pytest.mark.parametrize("case_id", ["pip_inspect_metadata", "github_issues_api"])
def test_compress_json_array_case(benchmark: Any, case_id: str) -> None:
    messages = corpus_messages(case_id)
    result = benchmark(fresh_compress, messages)
    check_compressed(messages, result)


@pytest.mark.parametrize("case_id", ["dpkg_log", "apt_term_log"])
def test_compress_log_case(benchmark: Any, case_id: str) -> None:
    messages = corpus_messages(case_id)
    result = benchmark(fresh_compress, messages)
    check_compressed(messages, result)


def test_compress_100k_token_log(benchmark: Any) -> None:
    messages, _ = make_input("log", 100_000)
    result = benchmark.pedantic(fresh_compress, args=(messages,), rounds=3, iterations=1)
    check_compressed(messages, result)
    assert result.tokens_after < result.tokens_before


def test_token_counting_100k_tokens(benchmark: Any) -> None:
    text = log_text(100_000)
    count_tokens(text, "gpt-4o")  # load the encoding outside the timing
    tokens = benchmark(count_tokens, text, "gpt-4o")
    assert 90_000 < tokens < 110_000


def _state(messages: list[Any]) -> RunState:
    """A run state built as compress() builds one, with no pipeline around it."""
    conversation = extract_blocks(messages)
    context = RunContext(
        model="gpt-4o",
        provider=provider_for("gpt-4o", conversation.format),
        format=conversation.format,
        user_query=conversation.last_user_text,
        turn_number=conversation.user_turns,
        tool_calls=conversation.tool_calls,
    )
    return RunState(
        messages=messages,
        blocks=[BlockState(block) for block in conversation.blocks],
        context=context,
        count_tokens=counter_for("gpt-4o"),
    )


def _classify_and_score(messages: list[Any]) -> RunState:
    state = _state(messages)
    for name in ("classify.v1", "score.v1"):
        stage_type = lookup(name)
        assert stage_type is not None, name
        anyio.run(stage_type().run, state)
    return state


def test_classify_and_score_large_block(benchmark: Any) -> None:
    messages, text = make_input("log", 100_000)
    state = benchmark.pedantic(_classify_and_score, args=(messages,), rounds=5, iterations=1)
    (block,) = [b for b in state.blocks if b.block.origin == "tool"]
    assert block.label == "log"
    assert block.scores is not None and len(block.scores) == text.count("\n") + 1
    needle = next(i for i, line in enumerate(text.split("\n")) if NEEDLE in line)
    assert needle in block.pinned
