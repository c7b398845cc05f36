"""Acceptance: the default pipeline on the two shapes of tool output that fill context windows.

(a) 300 JSON records with one failed record: at least 80% saved, measured against the
    pretty-printed and against the minified input, and the failed record survives verbatim.
(b) a 2,000-line application log with three stack traces: at least 80% saved, each trace's
    first and last frame survive verbatim, and so does the request id the user asked about.

Both in OpenAI and in Anthropic format. Figures are exact tokens of the whole message list.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from headroom import compress, retrieve, samples
from headroom.ccr.stores import MemoryStore
from headroom.markers import find_markers
from headroom.tokens import count_tokens
from tests.helpers import anthropic_tool_turn, openai_tool_turn, tool_text

FORMATS = {
    "openai": (openai_tool_turn, "gpt-4o"),
    "anthropic": (anthropic_tool_turn, "claude-sonnet-4-5"),
    "anthropic-parts": (lambda *a, **k: anthropic_tool_turn(*a, as_parts=True, **k), "claude-sonnet-4-5"),
}
MIN_SAVED = 0.80


def run(format_name: str, content: str, query: str, **arguments: Any):
    build, model = FORMATS[format_name]
    messages = build(content, query, arguments=arguments or None)
    store = MemoryStore()
    result = compress(messages, model=model, store=store)
    assert result.failures == []
    return messages, result, store, model


def check_retrievable(original: str, output: str, store: MemoryStore) -> None:
    markers = find_markers(output)
    assert markers, "nothing was dropped?"
    assert all(retrieve(marker.hash, store) == original for marker in markers)


# (a) JSON records -----------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["pretty", "minified"])
@pytest.mark.parametrize("format_name", list(FORMATS))
@pytest.mark.parametrize(
    "query", ["Why did order ord-10187 fail?", "Which orders had problems today?"], ids=["named", "unnamed"]
)
def test_json_records_save_80_percent_and_keep_the_failed_record(
    form: str, format_name: str, query: str
) -> None:
    records, failed = samples.json_records()
    assert failed["id"] == "ord-10187"
    content = (
        json.dumps(records, indent=2) if form == "pretty" else json.dumps(records, separators=(",", ":"))
    )
    _, result, store, model = run(format_name, content, query, limit=300)

    assert result.compression_ratio >= MIN_SAVED, f"saved {result.compression_ratio:.1%}"
    output = tool_text(result.messages)
    assert count_tokens(output, model) <= (1 - MIN_SAVED) * count_tokens(content, model)
    assert orjson.dumps(failed).decode() in output  # verbatim, as minified JSON
    check_retrievable(content, output, store)


@pytest.mark.parametrize("format_name", list(FORMATS))
def test_json_savings_hold_against_the_minified_input(format_name: str) -> None:
    # Minifying alone saves a lot on pretty JSON; the selection must save 80% beyond that too.
    records, failed = samples.json_records()
    pretty = json.dumps(records, indent=2)
    minified = json.dumps(records, separators=(",", ":"))
    _, result, _, model = run(format_name, pretty, "Why did order ord-10187 fail?")
    output = tool_text(result.messages)
    assert count_tokens(output, model) <= (1 - MIN_SAVED) * count_tokens(minified, model)
    assert orjson.dumps(failed).decode() in output


# (b) application log --------------------------------------------------------------------------------


@pytest.mark.parametrize("format_name", list(FORMATS))
def test_log_saves_80_percent_and_keeps_every_trace_end_and_the_request_id(format_name: str) -> None:
    log, facts = samples.application_log()
    assert len(log.split("\n")) == 2000
    query = f"Checkout is failing. What happened to request {facts['request_id']}?"
    _, result, store, model = run(format_name, log, query, path="/var/log/app/checkout.log")

    assert result.compression_ratio >= MIN_SAVED, f"saved {result.compression_ratio:.1%}"
    output = tool_text(result.messages)
    assert count_tokens(output, model) <= (1 - MIN_SAVED) * count_tokens(log, model)
    kept_lines = set(output.split("\n"))
    for frame in facts["trace_first_frames"] + facts["trace_last_frames"]:
        assert frame in kept_lines, f"lost {frame!r}"
    request_lines = [line for line in log.split("\n") if facts["request_id"] in line]
    assert request_lines and all(line in kept_lines for line in request_lines)
    check_retrievable(log, output, store)


# Needles in other haystacks --------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "error_at", "seed"), [(120, 3, 1), (500, 250, 2), (1000, 998, 3)])
@pytest.mark.parametrize("format_name", ["openai", "anthropic"])
def test_the_failed_record_survives_wherever_it_is(
    count: int, error_at: int, seed: int, format_name: str
) -> None:
    records, failed = samples.json_records(count, error_at=error_at, seed=seed)
    _, result, _, _ = run(format_name, json.dumps(records, indent=2), "summarise the orders")
    assert orjson.dumps(failed).decode() in tool_text(result.messages)


@pytest.mark.parametrize("target", [5, 150, 290])
def test_the_record_the_user_names_survives(target: int) -> None:
    records, failed = samples.json_records()
    wanted = records[target]
    _, result, _, _ = run("openai", json.dumps(records, indent=2), f"Show me order {wanted['id']} please")
    output = tool_text(result.messages)
    assert orjson.dumps(wanted).decode() in output
    assert orjson.dumps(failed).decode() in output


@pytest.mark.parametrize(("lines", "request_id", "seed"), [(600, "req-0b1c2d", 5), (5000, "req-99aa01", 6)])
@pytest.mark.parametrize("format_name", ["openai", "anthropic"])
def test_trace_ends_and_the_asked_for_id_survive_in_logs_of_any_size(
    lines: int, request_id: str, seed: int, format_name: str
) -> None:
    log, facts = samples.application_log(lines, request_id=request_id, seed=seed)
    _, result, _, _ = run(format_name, log, f"what happened to {request_id}?")
    kept = set(tool_text(result.messages).split("\n"))
    for frame in facts["trace_first_frames"] + facts["trace_last_frames"]:
        assert frame in kept
    assert any(request_id in line for line in kept)
    assert result.compression_ratio >= 0.5


def test_the_sample_incident_keeps_every_fact_in_both_formats() -> None:
    _, failed = samples.json_records()
    _, facts = samples.application_log()
    for messages, model in (
        (samples.openai_conversation(), "gpt-4o"),
        (samples.anthropic_conversation(), "claude-sonnet-4-5"),
    ):
        result = compress(messages, model=model, store=MemoryStore())
        text = json.dumps(result.messages)
        assert result.compression_ratio >= MIN_SAVED
        assert json.dumps(orjson.dumps(failed).decode())[1:-1] in text
        assert facts["request_id"] in text
        for frame in facts["trace_first_frames"] + facts["trace_last_frames"]:
            assert json.dumps(frame)[1:-1] in text
