"""Deeply nested JSON: linear cost, opaque text past MAX_JSON_DEPTH, and a result whose figures never raise.

The cost of every depth is measured in benchmarks/deep_json.py; here a fresh interpreter with a
generous deadline only checks that depth 100,000 finishes (it took minutes, or never ended, when
every subtree was written again at each level).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from headroom import compress
from headroom.ccr.stores import MemoryStore
from headroom.content import detect_label, parse
from headroom.json_text import MAX_JSON_DEPTH, nesting_depth, too_deep
from tests.test_containment import OUTPUTS, QUERY


def nested_arrays(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def nested_objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def padded_objects(depth: int) -> str:
    """Every level has a field of its own and is big enough to be opened (OPEN_CHARS)."""
    return '{"note":"a level with a field of its own","child":' * depth + '"leaf"' + "}" * depth


@pytest.mark.parametrize("make", [nested_arrays, nested_objects, padded_objects])
def test_json_past_the_depth_limit_is_opaque_text_and_within_it_is_read(make: Any) -> None:
    deep, shallow = make(MAX_JSON_DEPTH + 1), make(MAX_JSON_DEPTH - 1)
    assert nesting_depth(deep) == MAX_JSON_DEPTH + 1 and too_deep(deep) and not too_deep(shallow)
    assert parse(detect_label(deep), deep) is None
    assert parse(detect_label(shallow), shallow) is not None


def test_brackets_inside_strings_do_not_count() -> None:
    assert nesting_depth(json.dumps({"a": "[[[[{{{{", "b": ["]]]", {"c": "}}"}]})) == 3


def test_the_issue_repro_a_tool_output_990_levels_deep_is_left_alone_and_the_rest_compressed() -> None:
    deep = nested_objects(990)
    assert 5_000 < len(deep) < 7_000
    messages = [
        {"role": "user", "content": QUERY},
        {"role": "tool", "tool_call_id": "a", "content": OUTPUTS[0]},
        {"role": "tool", "tool_call_id": "b", "content": deep},
    ]

    result = compress(messages, store=MemoryStore(), strict=True)

    assert result.failures == []
    assert result.messages[2] == messages[2]
    assert len(result.messages[1]["content"]) < len(OUTPUTS[0]) / 2
    assert result.tokens_saved > 0


def deep_value(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"inner": [value]}
    return value


def test_a_deep_value_anywhere_in_the_messages_never_makes_the_figures_raise() -> None:
    deep = deep_value(5_000)  # Python values, through the library API: no parser limits their depth
    messages = [
        {"role": "user", "content": [{"type": "text", "text": QUERY}], "x_meta": deep},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "run", "input": deep}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": OUTPUTS[0]}]},
    ]

    result = compress(messages, store=MemoryStore())

    assert result.messages[0] is messages[0] and result.messages[1] is messages[1]
    assert result.tokens_before > result.tokens_after > 0
    assert result.tokens_saved > 0 and 0 < result.compression_ratio < 1
    assert not any(failure.startswith("tokens:") for failure in result.failures)


def test_a_failure_to_count_is_reported_in_failures_and_the_figure_is_estimated(monkeypatch) -> None:
    messages = [
        {"role": "user", "content": QUERY},
        {"role": "tool", "tool_call_id": "a", "content": OUTPUTS[0]},
    ]
    result = compress(messages, store=MemoryStore())

    def broken(messages: Any) -> int:
        raise RuntimeError("tokenizer went away")

    assert result._meter is not None
    monkeypatch.setattr(result._meter, "messages", broken)

    assert result.tokens_before > result.tokens_after > 0  # estimated from characters
    assert result.failures[-2:] == [
        "tokens: the before count failed (RuntimeError: tokenizer went away); estimated",
        "tokens: the after count failed (RuntimeError: tokenizer went away); estimated",
    ]


_SCRIPT = """
import json, sys
from headroom import compress
from headroom.content import DOCUMENT_TYPES, parse
from headroom.ccr.stores import MemoryStore

texts = json.loads(sys.stdin.read())
report = {}
for name, text in texts.items():
    for kind in DOCUMENT_TYPES:
        parse(kind, text)
    messages = [
        {"role": "user", "content": "What is at the bottom?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "read", "arguments": text}}]},
        {"role": "tool", "tool_call_id": "c", "content": text},
    ]
    result = compress(messages, store=MemoryStore())
    report[name] = {"failures": result.failures, "saved": result.tokens_saved}
print(json.dumps(report))
"""


def test_depth_100000_and_a_wide_structure_at_the_depth_limit_finish() -> None:
    wide_and_deep = json.dumps(
        [{"id": i, "rows": json.loads(padded_objects(MAX_JSON_DEPTH - 2))} for i in range(20)]
    )
    texts = {
        "arrays": nested_arrays(100_000),
        "objects": nested_objects(100_000),
        "padded": padded_objects(10_000),  # 530 KB
        "wide_and_deep": wide_and_deep,
    }
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=180,  # a hang guard, not a timing: the battery takes a few seconds
        check=True,
    )
    report = json.loads(done.stdout)
    assert set(report) == set(texts)
    assert all(entry["failures"] == [] for entry in report.values()), report
