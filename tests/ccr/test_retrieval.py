"""CCR: retrieval by hash and by query, the headroom_retrieve tool and its answers, in both formats."""

from __future__ import annotations

import copy
import json
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from headroom import compress, samples
from headroom.ccr import (
    MAX_QUERY_CHARS,
    TOOL_NAME,
    answer_retrieve_calls,
    lookup,
    pipeline_can_drop,
    retrieve,
    retrieve_tool,
    with_retrieve_tool,
)
from headroom.ccr.stores import MemoryStore, ScopedStore, Store, open_store
from headroom.markers import content_hash, find_markers, find_retrieval_notes
from tests.store_fixtures import MakeStore

LOG, LOG_FACTS = samples.application_log()
RECORDS, FAILED = samples.json_records()


def keep_original(store: Store, text: str, namespace: str = "default") -> str:
    """Store a text as compress() does (verified, in a namespace); returns its hash."""
    ref = content_hash(text)
    ScopedStore(store, namespace).put_many("original", {ref: text})
    return ref


def compressed_incident(store: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    messages = samples.openai_conversation()
    return messages, compress(copy.deepcopy(messages), store=store).messages


# retrieval -------------------------------------------------------------------------------------


def test_every_marker_hash_retrieves_its_original_exactly_in_every_store(store_url: str) -> None:
    messages, output = compressed_incident(store_url)
    for before, after in zip(messages[3:], output[3:], strict=True):
        markers = find_markers(after["content"])
        assert markers, "the sample's tool outputs are compressed"
        assert {marker.hash for marker in markers} == {content_hash(before["content"])}
        assert retrieve(markers[0].hash, store_url) == before["content"]
        assert retrieve(f"hash={markers[0].hash}", store=store_url) == before["content"]


def test_a_query_returns_the_matching_lines_numbered_as_the_markers_number_them() -> None:
    store = MemoryStore()
    _, output = compressed_incident(store)
    (note,) = find_retrieval_notes(output[4]["content"])
    assert (note.unit, note.total) == ("lines", 2000)
    matches = retrieve(note.hash, store, query=LOG_FACTS["request_id"])
    assert isinstance(matches, list) and len(matches) == 2
    lines = LOG.split("\n")
    for match in matches:
        assert lines[match.position - 1] == match.text  # lines count from 1
        assert LOG_FACTS["request_id"] in match.text


def test_a_query_on_records_returns_items_numbered_from_zero() -> None:
    store = MemoryStore()
    compressed_incident(store)
    ref = content_hash(json.dumps(RECORDS, indent=2))
    matches = retrieve(ref, store, query="PAYMENTS-V2")  # any case
    assert matches is not None
    assert [(m.position, json.loads(m.text)) for m in matches] == [(187, FAILED)]


def test_a_query_of_several_words_falls_back_to_units_holding_every_word() -> None:
    store = MemoryStore()
    text = "\n".join(["alpha beta", "beta gamma alpha", "gamma"] * 100)
    keep_original(store, text)
    phrase = lookup(content_hash(text), "gamma alpha", store=store)
    assert [m.position for m in phrase.matches][:2] == [2, 5]
    words = lookup(content_hash(text), "alpha gamma", store=store)
    assert [m.position for m in words.matches][:2] == [2, 5]
    assert lookup(content_hash(text), "delta", store=store).matches == []


@pytest.mark.parametrize(
    ("ref", "query", "status"),
    [
        ("not-a-hash", None, "invalid"),
        (None, None, "invalid"),
        (12345, None, "invalid"),
        ("0123456789abcdef", None, "unknown"),
        ("0123456789abcdef", "x" * (MAX_QUERY_CHARS + 1), "query too long"),
        ("0123456789abcdef", ["a list"], "invalid"),
    ],
)
def test_bad_hashes_and_queries_get_a_clear_answer(ref: Any, query: Any, status: str) -> None:
    found = lookup(ref, query, store=MemoryStore())
    assert found.status == status
    assert retrieve(str(ref), MemoryStore()) is None
    assert found.answer().startswith(f"[headroom: {status}, ")


def test_an_expired_hash_is_answered_expired(make_store: MakeStore) -> None:
    store, clock = make_store(ttl=0.5)
    ScopedStore(store).put_many("original", {"0123456789abcdef": "original"})
    clock.advance(0.6)
    found = lookup("0123456789abcdef", store=store)
    assert found.status == "expired"
    assert found.answer() == ("[headroom: expired, the original is no longer stored; hash=0123456789abcdef]")


def test_a_store_that_cannot_be_reached_is_answered_unavailable() -> None:
    found = lookup("0123456789abcdef", store="redis://127.0.0.1:1/0?prefix=unreachable")
    assert found.status == "unavailable"
    assert "cannot be reached" in found.answer()


# the tool --------------------------------------------------------------------------------------


def test_the_tool_definition_has_the_same_bytes_every_time() -> None:
    for kind in ("openai", "anthropic"):
        first = orjson.dumps(retrieve_tool(kind))  # type: ignore[arg-type]
        tool = retrieve_tool(kind)  # type: ignore[arg-type]
        tool["mutated"] = True  # a caller's change never reaches the next copy
        assert orjson.dumps(retrieve_tool(kind)) == first  # type: ignore[arg-type]
    openai = retrieve_tool("openai")
    assert openai["type"] == "function" and openai["function"]["name"] == TOOL_NAME
    assert openai["function"]["parameters"]["required"] == ["hash"]
    anthropic = retrieve_tool("anthropic")
    assert anthropic["name"] == TOOL_NAME and anthropic["input_schema"]["required"] == ["hash"]
    with pytest.raises(ValueError, match="format"):
        retrieve_tool("gemini")  # type: ignore[arg-type]


def test_with_retrieve_tool_adds_it_last_once_without_touching_the_request() -> None:
    own = {"type": "function", "function": {"name": "search", "parameters": {"type": "object"}}}
    request = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "tools": [own]}
    before = copy.deepcopy(request)
    first = with_retrieve_tool(request)
    assert request == before
    assert [tool["function"]["name"] for tool in first["tools"]] == ["search", TOOL_NAME]
    again = with_retrieve_tool(first)
    assert orjson.dumps(again) == orjson.dumps(first)  # every turn, the same tools list
    anthropic = with_retrieve_tool({"model": "claude", "system": "s", "messages": []})
    assert anthropic["tools"] == [retrieve_tool("anthropic")]


def test_pipelines_that_can_drop_content_need_the_tool() -> None:
    assert pipeline_can_drop("default")
    assert pipeline_can_drop("aggressive")
    assert not pipeline_can_drop("lossless")
    request = {"model": "gpt-4o", "messages": []}
    assert with_retrieve_tool(request, pipeline="lossless") == request
    assert with_retrieve_tool(request, pipeline="default")["tools"] == [retrieve_tool("openai")]


# answering the model ---------------------------------------------------------------------------


def openai_response(*calls: tuple[str, Any]) -> dict[str, Any]:
    return {
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": f"call_{i}",
                            "type": "function",
                            "function": {
                                "name": name,
                                "arguments": args if isinstance(args, str) else json.dumps(args),
                            },
                        }
                        for i, (name, args) in enumerate(calls)
                    ],
                }
            }
        ]
    }


def test_openai_calls_are_answered_with_tool_messages() -> None:
    store = MemoryStore()
    messages, output = compressed_incident(store)
    ref = find_markers(output[4]["content"])[0].hash
    response = openai_response(
        (TOOL_NAME, {"hash": ref}),
        ("read_log", {"path": "x"}),  # the application's own tool: not ours to answer
        (TOOL_NAME, {"hash": ref, "query": LOG_FACTS["request_id"]}),
    )
    answers = answer_retrieve_calls(response, output, store=store, max_chars=None)
    assert [a["tool_call_id"] for a in answers] == ["call_0", "call_2"]
    assert answers[0] == {"role": "tool", "tool_call_id": "call_0", "content": messages[4]["content"]}
    header, *lines = answers[1]["content"].split("\n")
    assert header == f'[headroom: 2 of 2000 lines match "{LOG_FACTS["request_id"]}"; hash={ref}]'
    assert all(line.startswith("line ") and LOG_FACTS["request_id"] in line for line in lines)


def test_anthropic_calls_are_answered_with_one_user_message_of_tool_results() -> None:
    store = MemoryStore()
    messages = samples.anthropic_conversation()
    output = compress(copy.deepcopy(messages), model="claude-sonnet-4-5", store=store).messages
    ref = find_markers(output[2]["content"][0]["content"])[0].hash
    response = SimpleNamespace(  # an SDK object, read through model_dump()
        model_dump=lambda: {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me see the records."},
                {"type": "tool_use", "id": "toolu_9", "name": TOOL_NAME, "input": {"hash": ref}},
            ],
        }
    )
    (answer,) = answer_retrieve_calls(response, output, store=store, max_chars=None)
    assert answer == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_9", "content": messages[2]["content"][0]["content"]}
        ],
    }
    # The answered conversation compresses again without touching the retrieved original.
    follow_up = [*output, {"role": "assistant", "content": response.model_dump()["content"]}, answer]
    again = compress(follow_up, model="claude-sonnet-4-5", store=store).messages
    assert again[-1] == answer


def test_a_hash_from_another_conversation_is_not_answered() -> None:
    store = MemoryStore()
    secret = "another tenant's original\n" * 50
    keep_original(store, secret)
    _, output = compressed_incident(store)
    response = openai_response((TOOL_NAME, {"hash": content_hash(secret)}))
    (answer,) = answer_retrieve_calls(response, output, store=store)
    assert answer["content"].startswith("[headroom: unknown, no marker in this conversation names this hash")
    assert secret not in answer["content"]


@pytest.mark.parametrize(
    "arguments",
    ['{"hash": 12}', "not json", "{}", '{"hash": "0123456789abcdef", "query": 7}', '["a"]'],
)
def test_malformed_calls_are_answered_not_raised(arguments: str) -> None:
    (answer,) = answer_retrieve_calls(openai_response((TOOL_NAME, arguments)), store=MemoryStore())
    assert answer["content"].startswith("[headroom: ")


def test_nothing_to_answer_gives_no_messages() -> None:
    assert answer_retrieve_calls(openai_response(("other", {})), []) == []
    assert answer_retrieve_calls({"role": "assistant", "content": "done"}) == []
    assert answer_retrieve_calls(None) == []


def test_a_long_original_is_cut_at_a_line_with_a_marker_for_the_rest() -> None:
    store = MemoryStore()
    ref = content_hash(LOG)
    keep_original(store, LOG)
    text = lookup(ref, store=store).answer(max_chars=2_000)
    kept, marker_line = text.rsplit("\n", 1)
    assert LOG.startswith(kept + "\n")
    (marker,) = find_markers(marker_line)
    assert (marker.first, marker.last, marker.total, marker.hash) == (kept.count("\n") + 2, 2000, 2000, ref)


def test_the_retrieval_note_is_stable_and_parses() -> None:
    first = compress(samples.openai_conversation(), store=MemoryStore()).messages
    again = compress(samples.openai_conversation(), store=open_store("memory://")).messages
    for message in (first[3], first[4]):
        (note,) = find_retrieval_notes(message["content"])
        assert message["content"].index(note.hash) < len(message["content"])
    assert orjson.dumps(first) == orjson.dumps(again)
    records_out = json.loads(first[3]["content"]) if first[3]["content"].startswith("[{") else None
    if records_out is not None:  # as JSON, the note is the array's last string element
        assert find_retrieval_notes(records_out[-1])
