"""cache.v1 on hand-built states: originals stored by hash, outputs memoized by every input they depend on."""

from __future__ import annotations

import json

import anyio
import pytest

from headroom.ccr.stores import MemoryStore, StoreUnavailable, retrieve
from headroom.markers import RetrievalNote, content_digest, find_retrieval_notes
from headroom.stages.cache import Cache, CacheParams, memo_key
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
    assert retrieve(content_digest(RECORDS), store) == RECORDS  # it lives under its full digest
    assert len(store) == 2  # that entry and the short hash's pointer; unchanged blocks are not stored


def test_unchanged_blocks_are_not_stored(store: MemoryStore) -> None:
    state = labelled(make_state(openai_tool_turn(RECORDS), store=store), "prose")
    finish(state)
    assert len(store) == 0


def test_a_repeat_is_answered_from_the_memo_before_any_stage(store: MemoryStore) -> None:
    state, block = narrowed_state(store)
    finish(state, sessions=False)  # the memo alone (a session would answer first)
    rendered = block.render()
    again = labelled(make_state(openai_tool_turn(RECORDS, "show"), store=store), "json_array")
    again.pipeline_id = "pipeline-a"
    prepare(again, sessions=False)
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
    finish(state, memoize=False, sessions=False)
    assert retrieve(block.ref, store) == RECORDS
    again, fresh = narrowed_state(store)
    fresh.keep = None
    prepare(again, sessions=False)
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


# sessions, notes and failing stores --------------------------------------------------------------

LOG = "\n".join(f"INFO request {i} served in {i % 9}ms" for i in range(80))


def later_turn(messages: list, content: str = LOG, call_id: str = "call_2") -> list:
    """The same conversation one tool turn later, as an agent sends it."""
    return [
        *messages,
        {"role": "user", "content": "Now something else entirely."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": "read", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": content},
    ]


def test_the_memo_key_does_not_change_as_later_turns_arrive(store: MemoryStore) -> None:
    state, block = narrowed_state(store)
    grown = labelled(make_state(later_turn(openai_tool_turn(RECORDS, "show")), store=store), "json_array")
    grown.pipeline_id = "pipeline-a"
    assert memo_key(grown.blocks[2], grown) == memo_key(block, state)


def test_a_cut_block_ends_with_a_retrieval_note_in_the_marker_grammar(store: MemoryStore) -> None:
    state, block = narrowed_state(store)
    finish(state)
    items = json.loads(block.output)  # still a JSON array: the note is its last element
    (note,) = find_retrieval_notes(items[-1])
    assert (note.unit, note.total, note.hash) == ("items", 50, block.ref)
    log_state = labelled(make_state(openai_tool_turn(LOG), store=store), "log")
    log_block = tool_block(log_state)
    log_block.keep = [i < 5 or i > 70 for i in range(80)]
    finish(log_state)
    *_, last_line = log_block.output.split("\n")
    assert find_retrieval_notes(last_line) == [RetrievalNote("lines", 80, log_block.ref)]


def test_a_re_encoding_that_omits_nothing_carries_no_note(store: MemoryStore) -> None:
    state, block = narrowed_state(store)
    block.keep = None
    finish(state)
    assert block.output == block.document.render(None, block.ref)  # minified, nothing dropped
    assert not find_retrieval_notes(block.output)


def test_a_block_sent_whole_is_recorded_and_answered_whole_on_the_next_turn(store: MemoryStore) -> None:
    state = labelled(make_state(openai_tool_turn(LOG), store=store), "log")
    finish(state)  # nothing cut
    assert tool_block(state).output == LOG
    again = labelled(make_state(openai_tool_turn(LOG), store=store), "log")
    prepare(again)
    assert tool_block(again).output == LOG
    assert tool_block(again).notes == ["cache.v1:as sent before"]


def test_a_memo_made_when_fewer_outputs_followed_is_not_used_for_a_newer_block(store: MemoryStore) -> None:
    grown = labelled(make_state(later_turn(openai_tool_turn(LOG), LOG), store=store), "log")
    old, new = grown.blocks[2], grown.blocks[4]
    old.keep = [i < 5 for i in range(80)]
    finish(grown, sessions=False)  # the old block was cut with one output after it
    fresh = labelled(make_state(openai_tool_turn(LOG), store=store), "log")
    prepare(fresh, sessions=False)  # the same text, now the newest: the memo does not apply
    assert tool_block(fresh).output is None
    assert new.output == LOG


class Unreachable(MemoryStore):
    def lookup_many(self, kind, keys):
        raise StoreUnavailable("redis://10.0.0.1:6379/0", "ConnectionError: refused")

    def put_many(self, kind, items):
        raise StoreUnavailable("redis://10.0.0.1:6379/0", "ConnectionError: refused")


def test_a_store_that_fails_on_write_puts_every_block_back_and_says_why() -> None:
    state, block = narrowed_state(Unreachable())
    finish(state)
    assert block.render() == RECORDS
    (failure,) = state.failures
    assert failure.where == "stage cache.v1 (cache.v1)"
    assert "store redis://10.0.0.1:6379/0: ConnectionError: refused" in failure.error
    assert "nothing new was compressed" in failure.error


def test_a_store_that_fails_on_read_stops_every_stage_from_working() -> None:
    state, block = narrowed_state(Unreachable())
    block.keep = None
    prepare(state)
    assert block.failed is not None and not block.compressible
    assert len(state.failures) == 1


def test_the_store_param_names_the_kinds_of_store_it_knows() -> None:
    assert CacheParams(store="sqlite:///tmp/ccr.db").store == "sqlite:///tmp/ccr.db"
    with pytest.raises(ValueError, match=r"store postgres://db: unknown kind of store; use memory://"):
        CacheParams(store="postgres://db")
    with pytest.raises(
        ValueError, match=r"store redis://\*\*\*@db/0\?ttl=soon: ttl='soon' is not a valid float"
    ):
        CacheParams(store="redis://:hunter2pass@db/0?ttl=soon")  # shown redacted


def test_a_compressed_json_object_stays_json_with_the_note_as_its_last_member() -> None:
    from headroom import compress
    from headroom.markers import find_markers

    record = {"name": "pkg", "info": {f"k{i}": {"desc": "x" * 200, "n": i} for i in range(200)}}
    messages = [
        {"role": "user", "content": "what is k17?"},
        {"role": "tool", "tool_call_id": "a", "content": json.dumps(record, indent=2)},
    ]
    result = compress(messages, store=MemoryStore())
    value = json.loads(result.messages[1]["content"])
    note = list(value.items())[-1]
    assert note[0] == "[headroom]" and note[1].startswith("[headroom: compressed;")
    assert value["info"]["k17"] == record["info"]["k17"]
    assert find_markers(result.messages[1]["content"])
