"""cache.v1 on hand-built states: originals stored by hash, outputs memoized by every input they depend on."""

from __future__ import annotations

import json

import anyio

from headroom.stages.cache import Cache, CacheParams, memo_key
from headroom.store import MemoryStore, retrieve
from tests.helpers import labelled, make_state, openai_tool_turn, tool_block

RECORDS = json.dumps([{"id": i, "v": f"value {i}"} for i in range(50)])


def narrowed_state(store: MemoryStore, query: str = "show", **options):
    state = labelled(make_state(openai_tool_turn(RECORDS, query), store=store, **options), "json_array")
    state.pipeline_id = "pipeline-a"
    block = tool_block(state)
    block.keep = [i < 5 for i in range(50)]
    block.note("crush.json.v1:items 50->5 (json)")
    return state, block


def finish(state, **params) -> None:
    anyio.run(Cache(CacheParams(**params)).finish, state)


def prepare(state, **params) -> None:
    anyio.run(Cache(CacheParams(**params)).prepare, state)


def test_finish_stores_the_original_of_every_changed_block(store: MemoryStore) -> None:
    state, block = narrowed_state(store)
    finish(state)
    assert retrieve(block.ref, store) == RECORDS
    assert retrieve(f"hash={block.ref}", store) == RECORDS
    assert len(store) == 1  # unchanged and protected blocks are not stored


def test_unchanged_blocks_are_not_stored(store: MemoryStore) -> None:
    state = labelled(make_state(openai_tool_turn(RECORDS), store=store), "prose")
    finish(state)
    assert len(store) == 0


def test_a_repeat_is_answered_from_the_memo_before_any_stage(store: MemoryStore) -> None:
    state, block = narrowed_state(store)
    finish(state)
    rendered = block.render()
    again = labelled(make_state(openai_tool_turn(RECORDS, "show"), store=store), "json_array")
    again.pipeline_id = "pipeline-a"
    prepare(again)
    hit = tool_block(again)
    assert hit.output == rendered
    assert hit.notes == ["crush.json.v1:items 50->5 (json)", "cache.v1:memo hit"]
    assert not hit.compressible  # no other stage touches it


def test_memo_is_not_used_when_the_original_is_gone(store: MemoryStore) -> None:
    state, _ = narrowed_state(store)
    finish(state)
    evicted = MemoryStore()
    for key, value in store._memo.items():
        evicted.put_memo(key, value)
    again, block = narrowed_state(evicted)
    block.keep = None
    prepare(again)
    assert block.output is None


def test_memoize_false_stores_originals_only(store: MemoryStore) -> None:
    state, block = narrowed_state(store)
    finish(state, memoize=False)
    assert retrieve(block.ref, store) == RECORDS
    again, fresh = narrowed_state(store)
    fresh.keep = None
    prepare(again)
    assert fresh.output is None


def test_memo_key_changes_with_every_input_the_output_depends_on(store: MemoryStore) -> None:
    state, block = narrowed_state(store)
    base = memo_key(block, state)
    assert memo_key(block, state) == base

    other_query, b = narrowed_state(store, query="show me ord-7")
    assert memo_key(b, other_query) != base

    other_options, b = narrowed_state(store, max_tokens=100)
    assert memo_key(b, other_options) != base

    other_pipeline, b = narrowed_state(store)
    other_pipeline.pipeline_id = "pipeline-b"
    assert memo_key(b, other_pipeline) != base

    other_bias, b = narrowed_state(store)
    b.bias = 2.0
    assert memo_key(b, other_bias) != base

    other_model, b = narrowed_state(store)
    other_model.context.model = "gpt-4"
    assert memo_key(b, other_model) != base


def test_failed_or_protected_blocks_are_never_stored(store: MemoryStore) -> None:
    state, block = narrowed_state(store)
    block.failed = "crush failed"
    finish(state)
    assert len(store) == 0


def test_lone_surrogates_in_an_output_are_memoized_and_restored(store: MemoryStore) -> None:
    text = "\n".join(f"INFO line {i} \ud800" for i in range(50))
    state = labelled(make_state(openai_tool_turn(text), store=store), "log")
    block = tool_block(state)
    block.keep = [i < 5 for i in range(50)]
    finish(state)
    assert retrieve(block.ref, store) == text
    again = labelled(make_state(openai_tool_turn(text), store=store), "log")
    prepare(again)
    assert tool_block(again).output == block.render()
