"""Builders for the structured-data and prose crusher tests: a scored block, crushed, and checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from headroom import compress, retrieve
from headroom.ccr.stores import MemoryStore
from headroom.markers import MARKER_PATTERN, RETRIEVAL_NOTE_PATTERN, find_markers
from headroom.pipeline.stage import BlockState, Stage
from headroom.stages.score import Score
from headroom.tokens import count_tokens
from tests.helpers import labelled, make_state, openai_tool_turn, run_stage, tool_block

FIXTURES = Path(__file__).parent.parent.parent / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def crushed(
    stage: Stage,
    text: str,
    label: str,
    query: str = "Summarise the tool output.",
    *,
    arguments: dict[str, Any] | None = None,
    bias: float = 1.0,
    score: bool = True,
) -> BlockState:
    """The tool block of a one-turn conversation, labelled, scored (unless not) and crushed by `stage`."""
    messages = openai_tool_turn(text, query, arguments=arguments)
    state = labelled(make_state(messages, bias={3: bias}), label)
    if score:
        run_stage(Score(), state)
    run_stage(stage, state)
    return tool_block(state)


def compressed(
    text: str, query: str, *, arguments: dict[str, Any] | None = None, pipeline: str = "default"
) -> tuple[str, MemoryStore]:
    """The tool output after the whole pipeline, and the store holding the originals."""
    store = MemoryStore()
    messages = openai_tool_turn(text, query, tool="read", arguments=arguments)
    result = compress(messages, model="gpt-4o", pipeline=pipeline, store=store)
    return result.messages[3]["content"], store


def assert_markers_retrieve_the_original(output: str, original: str, store: MemoryStore) -> None:
    markers = find_markers(output)
    assert markers
    for marker in markers:
        assert retrieve(marker.hash, store) == original


def minified_tokens(text: str) -> int:
    return count_tokens(json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False))


def without_markers(text: str) -> str:
    return MARKER_PATTERN.sub("", text)


def body(output: str) -> str:
    """The output without the retrieval note the cache stage adds as its last line."""
    head, _, last = output.rpartition("\n")
    return head if head and RETRIEVAL_NOTE_PATTERN.fullmatch(last) else output


def botocore_model(service: str) -> dict[str, Any]:
    """The newest API model botocore ships for `service` (package data: real, and large)."""
    import gzip

    import pytest

    botocore = pytest.importorskip("botocore")
    versions = sorted((Path(botocore.__file__).parent / "data" / service).glob("*/service-2.json*"))
    if not versions:
        pytest.skip(f"botocore ships no model for {service}")
    path = versions[-1]
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    model: dict[str, Any] = json.loads(raw)
    return model
