"""retrieval.py: `headroom_retrieve` answered inside the proxy, JSON and SSE, for the Anthropic
Messages, Chat Completions and Responses APIs.

The client side is the real `anthropic` and `openai` SDKs (their stream parsers check every
event they get); the upstream is a scripted loopback provider that records every request.
Between them runs a small app that calls `retrieval.complete` the way the proxy's routes do.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anthropic
import anyio
import httpx
import openai
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from headroom import ccr, samples
from headroom.ccr import TOOL_NAME, retrieve_tool
from headroom.integrations._compressor import credential_in_headers
from headroom.markers import content_hash
from headroom.proxy import retrieval
from headroom.proxy.sse import SSESplitter
from headroom.proxy.upstream import UpstreamFailure, UpstreamReply, forwarded_headers, http_upstream
from headroom.stores import MemoryStore, ScopedStore, namespace_for_credential
from tests.proxy.conftest import running_proxy
from tests.proxy.scripted import (
    PATHS,
    Call,
    Format,
    Reply,
    ScriptedUpstream,
    Turn,
    anthropic_events,
    anthropic_message,
    chat_events,
    error_reply,
    json_reply,
    responses_events,
    sse_reply,
)
from tests.stub_upstream import serve_in_thread

API_KEY = "sk-test-retrieval-key"
ORIGINAL = "\n".join(f"2026-01-01 12:00:{i:02d} worker-{i % 4} processed job {i}" for i in range(60))
ORIGINAL += "\n2026-01-01 12:01:00 worker-2 ERROR job 61 failed: disk quota exceeded"
HASH = content_hash(ORIGINAL)
MARKER = f"[headroom: omitted lines 3-61 of 61; hash={HASH}]"
APIS: list[Format] = ["anthropic", "chat", "responses"]


@dataclass
class Proxy:
    url: str
    upstream: ScriptedUpstream
    store: MemoryStore


def _app(upstream: ScriptedUpstream, store: MemoryStore, rounds: int) -> Starlette:
    client = httpx.AsyncClient(trust_env=False)

    def route(api: retrieval.Api) -> Any:
        async def handle(request: Request) -> Response:
            body = await request.body()
            parsed = json.loads(body)
            headers = forwarded_headers(request.headers.items())
            url = upstream.url + PATHS[api]
            exchange = retrieval.Exchange(
                api=api,
                request=parsed,
                body=body,
                streaming=bool(parsed.get("stream")),
                upstream=http_upstream(client, "POST", url, headers),
                store=store,
                namespace=namespace_for_credential(credential_in_headers(request.headers.raw)),
                rounds=rounds,
                headers={"x-headroom-tokens-saved": "7"},
            )
            return await retrieval.complete(exchange)

        return handle

    return Starlette(routes=[Route(PATHS[api], route(api), methods=["POST"]) for api in APIS])


@contextlib.contextmanager
def proxy(rounds: int = 3) -> Iterator[Proxy]:
    store = MemoryStore()
    ScopedStore(store, namespace_for_credential(API_KEY)).put_many("original", {HASH: ORIGINAL})
    with ScriptedUpstream() as upstream, serve_in_thread(_app(upstream, store, rounds)) as url:
        yield Proxy(url, upstream, store)


@pytest.fixture
def running() -> Iterator[Proxy]:
    with proxy() as running:
        yield running


# what the clients send and read -------------------------------------------------------------

USER_TEXT = f"Why did job 61 fail? Here is the worker log:\n2026-01-01 12:00:00 start\n{MARKER}"
CLIENT_TOOL = {"name": "run_shell", "description": "Run a command", "input_schema": {"type": "object"}}


def _retrieve_call(call_id: str = "call_r1", ref: str = HASH, query: str | None = None) -> Call:
    arguments: dict[str, Any] = {"hash": ref}
    if query is not None:
        arguments["query"] = query
    return Call(call_id, TOOL_NAME, arguments)


def _anthropic_client(running: Proxy) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=running.url, api_key=API_KEY, max_retries=0)


def _openai_client(running: Proxy) -> openai.OpenAI:
    return openai.OpenAI(base_url=running.url + "/v1", api_key=API_KEY, max_retries=0)


def _anthropic_request() -> dict[str, Any]:
    return {
        "model": "claude-test",
        "max_tokens": 256,
        "system": "You debug logs.",
        "messages": [{"role": "user", "content": USER_TEXT}],
        "tools": [CLIENT_TOOL, retrieve_tool("anthropic")],
    }


def _chat_request() -> dict[str, Any]:
    client_tool = {"type": "function", "function": {"name": "run_shell", "parameters": {"type": "object"}}}
    return {
        "model": "gpt-test",
        "messages": [
            {"role": "system", "content": "You debug logs."},
            {"role": "user", "content": USER_TEXT},
        ],
        "tools": [client_tool, retrieve_tool("openai")],
    }


def _responses_request() -> dict[str, Any]:
    client_tool = {"type": "function", "name": "run_shell", "parameters": {"type": "object"}}
    flat_retrieve = {"type": "function", **retrieve_tool("openai")["function"]}
    return {
        "model": "gpt-test",
        "instructions": "You debug logs.",
        "input": [{"role": "user", "content": USER_TEXT}],
        "tools": [client_tool, flat_retrieve],
    }


@dataclass
class Seen:
    """What the client made of the response: the text, the tool calls, the usage."""

    text: str
    tool_names: list[str]
    usage: dict[str, Any]


def _ask(running: Proxy, api: Format, streaming: bool) -> Seen:
    if api == "anthropic":
        client = _anthropic_client(running)
        if streaming:
            with client.messages.stream(**_anthropic_request()) as stream:
                message = stream.get_final_message()
        else:
            message = client.messages.create(**_anthropic_request())
        text = "".join(block.text for block in message.content if block.type == "text")
        names = [block.name for block in message.content if block.type == "tool_use"]
        return Seen(text, names, message.usage.model_dump())
    client_o = _openai_client(running)
    if api == "chat":
        if streaming:
            with client_o.chat.completions.stream(
                **_chat_request(), stream_options={"include_usage": True}
            ) as s:
                completion = s.get_final_completion()
        else:
            completion = client_o.chat.completions.create(**_chat_request())
        chat_message = completion.choices[0].message
        names = [call.function.name for call in chat_message.tool_calls or []]  # type: ignore[union-attr]
        usage = completion.usage.model_dump() if completion.usage else {}
        return Seen(chat_message.content or "", names, usage)
    if streaming:
        with client_o.responses.stream(**_responses_request()) as s:
            response = s.get_final_response()
    else:
        response = client_o.responses.create(**_responses_request())
    names = [item.name for item in response.output if item.type == "function_call"]
    return Seen(response.output_text, names, response.usage.model_dump() if response.usage else {})


def _round_two_turn(api: Format, body: dict[str, Any]) -> list[Any]:
    """The messages / input items the second upstream request added to the first's."""
    key = "input" if api == "responses" else "messages"
    return body[key]


def _tool_results(api: Format, added: list[Any]) -> list[str]:
    if api == "anthropic":
        return [
            block["content"]
            for message in added
            if message["role"] == "user" and isinstance(message["content"], list)
            for block in message["content"]
            if block.get("type") == "tool_result"
        ]
    if api == "chat":
        return [message["content"] for message in added if message.get("role") == "tool"]
    return [item["output"] for item in added if item.get("type") == "function_call_output"]


def _script_rounds(running: Proxy, api: Format, streaming: bool, *turns: Turn) -> None:
    build = sse_reply if streaming else json_reply
    running.upstream.queue(PATHS[api], *(build(api, turn) for turn in turns))


# the loop, JSON and SSE ---------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("api", APIS)
def test_a_retrieve_only_round_is_answered_and_the_client_gets_one_complete_response(
    running: Proxy, api: Format, streaming: bool
) -> None:
    first = Turn("Let me read the full log. ", [_retrieve_call()], input_tokens=100, output_tokens=20)
    second = Turn("Job 61 failed: disk quota exceeded.", input_tokens=400, output_tokens=30, id_suffix="2")
    _script_rounds(running, api, streaming, first, second)

    seen = _ask(running, api, streaming)

    assert seen.text == "Let me read the full log. Job 61 failed: disk quota exceeded."
    assert TOOL_NAME not in seen.tool_names and seen.tool_names == []
    sent = running.upstream.requests_to(PATHS[api])
    assert len(sent) == 2
    first_body, second_body = sent[0].json(), sent[1].json()
    key = "input" if api == "responses" else "messages"
    earlier = first_body[key]
    added = _round_two_turn(api, second_body)
    assert added[: len(earlier)] == earlier  # the conversation is kept and extended
    results = _tool_results(api, added[len(earlier) :])
    assert results == [ORIGINAL]  # the original, byte for byte
    assert second_body["tools"] == first_body["tools"]  # the tools list never changes between rounds
    input_key, output_key = (
        ("prompt_tokens", "completion_tokens") if api == "chat" else ("input_tokens", "output_tokens")
    )
    assert seen.usage[input_key] == 500 and seen.usage[output_key] == 50  # summed over both rounds


@pytest.mark.parametrize("api", APIS)
def test_the_next_round_carries_the_models_call_paired_with_its_answer(running: Proxy, api: Format) -> None:
    _script_rounds(running, api, True, Turn("Checking. ", [_retrieve_call("call_77")]), Turn("Done."))
    _ask(running, api, True)
    added = running.upstream.requests_to(PATHS[api])[1].json()["input" if api == "responses" else "messages"][
        -2:
    ]
    if api == "anthropic":
        assert added[0]["role"] == "assistant"
        assert added[0]["content"] == [
            {"type": "text", "text": "Checking. "},
            {"type": "tool_use", "id": "call_77", "name": TOOL_NAME, "input": {"hash": HASH}},
        ]
        assert added[1]["content"][0]["tool_use_id"] == "call_77"
    elif api == "chat":
        assert added[0]["role"] == "assistant" and added[0]["content"] == "Checking. "
        call = added[0]["tool_calls"][0]
        assert call["id"] == "call_77" and json.loads(call["function"]["arguments"]) == {"hash": HASH}
        assert added[1] == {"role": "tool", "tool_call_id": "call_77", "content": ORIGINAL}
    else:
        call, answer = added
        assert call["type"] == "function_call" and call["call_id"] == "call_77"
        assert json.loads(call["arguments"]) == {"hash": HASH}
        assert answer == {"type": "function_call_output", "call_id": "call_77", "output": ORIGINAL}


@pytest.mark.parametrize("streaming", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("api", APIS)
def test_retrieve_mixed_with_a_client_tool_call_passes_through_untouched(
    running: Proxy, api: Format, streaming: bool
) -> None:
    mixed = Turn("Two things. ", [_retrieve_call(), Call("call_c", "run_shell", {"cmd": "df -h"})])
    _script_rounds(running, api, streaming, mixed)
    seen = _ask(running, api, streaming)
    assert seen.tool_names == [TOOL_NAME, "run_shell"]
    assert seen.text == "Two things. "
    assert len(running.upstream.requests_to(PATHS[api])) == 1


@pytest.mark.parametrize("streaming", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("api", APIS)
def test_past_the_round_limit_the_last_reply_is_returned_as_is(api: Format, streaming: bool) -> None:
    with proxy(rounds=2) as running:
        again = [Turn(f"Round {n}. ", [_retrieve_call(f"call_{n}")], id_suffix=str(n)) for n in range(3)]
        _script_rounds(running, api, streaming, *again)
        seen = _ask(running, api, streaming)
        assert len(running.upstream.requests_to(PATHS[api])) == 3
        assert seen.tool_names == [TOOL_NAME]  # the third reply's call, not answered
        assert seen.text == "Round 0. Round 1. Round 2. "


@pytest.mark.parametrize("streaming", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("api", APIS)
def test_a_client_tool_call_alone_is_untouched(running: Proxy, api: Format, streaming: bool) -> None:
    _script_rounds(running, api, streaming, Turn("Running it.", [Call("call_c", "run_shell", {"cmd": "ls"})]))
    seen = _ask(running, api, streaming)
    assert seen.tool_names == ["run_shell"] and seen.text == "Running it."
    assert len(running.upstream.requests_to(PATHS[api])) == 1


def test_an_unchanged_stream_reaches_the_client_byte_for_byte(running: Proxy) -> None:
    events = anthropic_events(Turn("Plain answer.", [Call("call_c", "run_shell", {"cmd": "ls"})]))
    running.upstream.queue(
        PATHS["anthropic"],
        sse_reply("anthropic", Turn("Plain answer.", [Call("call_c", "run_shell", {"cmd": "ls"})])),
    )
    body = {**_anthropic_request(), "stream": True}
    reply = httpx.post(running.url + "/v1/messages", json=body, headers={"x-api-key": API_KEY})
    assert reply.content == b"".join(events)
    assert reply.headers["x-headroom-tokens-saved"] == "7"


# which originals a retrieve call may read ---------------------------------------------------


def _answer_seen(running: Proxy, api: Format, call: Call) -> str:
    _script_rounds(running, api, False, Turn(None, [call]), Turn("ok"))
    _ask(running, api, False)
    added = _round_two_turn(api, running.upstream.requests_to(PATHS[api])[-1].json())
    return _tool_results(api, added)[-1]


@pytest.mark.parametrize("api", APIS)
def test_a_hash_no_marker_in_the_conversation_names_is_unknown_even_when_stored(
    running: Proxy, api: Format
) -> None:
    other = "a different original, stored in the same namespace\n" * 20
    ScopedStore(running.store, namespace_for_credential(API_KEY)).put_many(
        "original", {content_hash(other): other}
    )
    answer = _answer_seen(running, api, _retrieve_call(ref=content_hash(other)))
    assert "unknown" in answer and other not in answer


def test_an_original_stored_under_another_callers_key_is_unknown() -> None:
    with ScriptedUpstream() as upstream:
        store = MemoryStore()
        ScopedStore(store, namespace_for_credential("sk-someone-else")).put_many("original", {HASH: ORIGINAL})
        with serve_in_thread(_app(upstream, store, 3)) as url:
            other = Proxy(url, upstream, store)
            answer = _answer_seen(other, "anthropic", _retrieve_call())
    assert "unknown" in answer and ORIGINAL not in answer


@pytest.mark.parametrize("api", APIS)
def test_a_query_returns_only_the_matching_lines(running: Proxy, api: Format) -> None:
    answer = _answer_seen(running, api, _retrieve_call(query="ERROR"))
    assert "disk quota exceeded" in answer
    assert "processed job 5" not in answer


# streaming: held back only the retrieve call ------------------------------------------------


_WATCHED: dict[Format, tuple[type[retrieval._StreamWatcher], Any, Any]] = {
    "anthropic": (retrieval._AnthropicWatcher, anthropic_events, _anthropic_request),
    "chat": (retrieval._ChatWatcher, chat_events, _chat_request),
    "responses": (retrieval._ResponsesWatcher, responses_events, _responses_request),
}


@pytest.mark.parametrize("api", APIS)
def test_text_is_relayed_as_soon_as_it_arrives_and_only_the_retrieve_call_is_held(api: Format) -> None:
    kind, events_of, request_of = _WATCHED[api]
    watcher = kind(request_of())
    watcher.begin(last=False)
    splitter = SSESplitter()
    events = events_of(Turn("Looking it up. ", [_retrieve_call()]))
    call_starts = next(i for i, e in enumerate(events) if TOOL_NAME.encode() in e)
    relayed: list[bytes] = []
    for position, raw in enumerate(events):
        out = [piece for event in splitter.feed(raw) for piece in watcher.feed(event)]
        if position < call_starts:
            assert out == [raw]  # passed on at once, byte for byte
            relayed.extend(out)
        else:
            assert out == []  # the retrieve call, then the round's close: held
    assert watcher.end() == []
    assert watcher.round.calls is not None and watcher.round.calls[0].arguments == {"hash": HASH}
    assert any(b"Looking" in raw for raw in relayed)


@pytest.mark.parametrize("api", APIS)
def test_a_round_without_the_retrieve_call_is_relayed_whole_and_unchanged(api: Format) -> None:
    kind, events_of, request_of = _WATCHED[api]
    watcher = kind(request_of())
    watcher.begin(last=False)
    splitter = SSESplitter()
    events = events_of(Turn("Just text.", [Call("call_c", "run_shell", {"cmd": "ls"})]))
    out = [piece for raw in events for event in splitter.feed(raw) for piece in watcher.feed(event)]
    assert out + watcher.end() == events
    assert watcher.round.calls is None


def test_thinking_and_its_signature_go_back_in_the_next_rounds_assistant_turn() -> None:
    events = [
        b'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message",'
        b'"role":"assistant","content":[],"model":"x","usage":{"input_tokens":5,"output_tokens":1}}}\n\n',
        b'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
        b'"content_block":{"type":"thinking","thinking":"","signature":""}}\n\n',
        b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
        b'"delta":{"type":"thinking_delta","thinking":"I need the log."}}\n\n',
        b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
        b'"delta":{"type":"signature_delta","signature":"sig=="}}\n\n',
        b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
        *anthropic_events(Turn(None, [_retrieve_call("call_t")]))[1:],
    ]
    # the scripted events number their block 0: make it block 1, after the thinking block
    events = [e.replace(b'"index":0', b'"index":1') if i >= 5 else e for i, e in enumerate(events)]
    watcher = retrieval._AnthropicWatcher(_anthropic_request())
    watcher.begin(last=False)
    splitter = SSESplitter()
    for raw in events:
        for event in splitter.feed(raw):
            watcher.feed(event)
    watcher.end()
    assert watcher.round.calls is not None
    turn = watcher.next_request([("call_t", "the original")])["messages"][-2:]
    assert turn[0]["content"] == [
        {"type": "thinking", "thinking": "I need the log.", "signature": "sig=="},
        {"type": "tool_use", "id": "call_t", "name": TOOL_NAME, "input": {"hash": HASH}},
    ]
    assert turn[1] == {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "call_t", "content": "the original"}],
    }


def test_a_responses_string_input_becomes_a_user_message_before_the_round() -> None:
    request = {"model": "m", "input": "hello", "tools": []}
    call = {"type": "function_call", "call_id": "c", "name": TOOL_NAME, "arguments": "{}"}
    following = retrieval._responses_next(request, [call], [("c", "text")])
    assert following["input"] == [
        {"type": "message", "role": "user", "content": "hello"},
        call,
        {"type": "function_call_output", "call_id": "c", "output": "text"},
    ]


def test_the_client_reads_the_first_rounds_text_before_that_round_ends(running: Proxy) -> None:
    slow = sse_reply("anthropic", Turn("First words. " * 3, [_retrieve_call()]), event_delay=0.05)
    running.upstream.queue(PATHS["anthropic"], slow, sse_reply("anthropic", Turn("Done.", id_suffix="2")))
    body = {**_anthropic_request(), "stream": True}
    started = time.monotonic()
    first_text = None
    with httpx.stream(
        "POST", running.url + PATHS["anthropic"], json=body, headers={"x-api-key": API_KEY}
    ) as r:
        for chunk in r.iter_bytes():
            if first_text is None and b"text_delta" in chunk:
                first_text = time.monotonic() - started
    total = time.monotonic() - started
    events_in_round = len(anthropic_events(Turn("First words. " * 3, [_retrieve_call()])))
    assert first_text is not None
    assert total >= 0.05 * (events_in_round - 1)  # the round took its time ...
    assert first_text < total / 2  # ... and its text was already with the client


def _raw_stream(running: Proxy, api: Format, **fields: Any) -> bytes:
    body: dict[str, Any] = {
        "anthropic": _anthropic_request,
        "chat": _chat_request,
        "responses": _responses_request,
    }[api]()
    body.update(stream=True, **fields)
    return httpx.post(
        running.url + PATHS[api], json=body, headers={"authorization": f"Bearer {API_KEY}"}
    ).content


def _data_of(stream: bytes) -> list[dict[str, Any]]:
    splitter = SSESplitter()
    events = splitter.feed(stream) + splitter.finish()
    return [orjson.loads(e.data) for e in events if e.has_data and e.data.startswith("{")]


def test_the_spliced_anthropic_stream_has_one_start_one_stop_and_contiguous_indexes(running: Proxy) -> None:
    first = Turn("A. ", [_retrieve_call()])
    second = Turn("B.", [Call("call_c", "run_shell", {"cmd": "df"})], id_suffix="2")
    _script_rounds(running, "anthropic", True, first, second)
    events = _data_of(_raw_stream(running, "anthropic"))
    kinds = [event["type"] for event in events]
    assert kinds.count("message_start") == 1 and kinds.count("message_stop") == 1
    assert kinds.count("message_delta") == 1
    starts = [event for event in events if event["type"] == "content_block_start"]
    assert [event["index"] for event in starts] == [0, 1, 2]
    assert [event["content_block"].get("name") for event in starts] == [None, None, "run_shell"]
    assert TOOL_NAME.encode() not in json.dumps(events).encode()


def test_the_spliced_responses_stream_numbers_events_and_outputs_in_order(running: Proxy) -> None:
    first = Turn("A. ", [_retrieve_call()])
    second = Turn("B.", id_suffix="2")
    _script_rounds(running, "responses", True, first, second)
    events = _data_of(_raw_stream(running, "responses"))
    assert [event["sequence_number"] for event in events] == list(range(len(events)))
    assert [event["type"] for event in events].count("response.created") == 1
    added = [event for event in events if event["type"] == "response.output_item.added"]
    assert [event["output_index"] for event in added] == [0, 1]
    completed = events[-1]
    assert completed["type"] == "response.completed"
    assert [item["type"] for item in completed["response"]["output"]] == ["message", "message"]
    assert TOOL_NAME not in json.dumps(events)


def test_the_spliced_chat_stream_keeps_one_id_and_ends_once(running: Proxy) -> None:
    _script_rounds(running, "chat", True, Turn("A. ", [_retrieve_call()]), Turn("B.", id_suffix="2"))
    stream = _raw_stream(running, "chat")
    assert stream.count(b"data: [DONE]") == 1
    chunks = _data_of(stream)
    assert {chunk["id"] for chunk in chunks} == {"chatcmpl-scripted-1"}
    finishes = [
        c["choices"][0]["finish_reason"] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]
    ]
    assert finishes == ["stop"]


# faults in a later round --------------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_an_error_in_a_later_json_round_reaches_the_client_as_sent(running: Proxy, api: Format) -> None:
    running.upstream.queue(
        PATHS[api], json_reply(api, Turn(None, [_retrieve_call()])), error_reply(api, 529, "overloaded now")
    )
    body = {"anthropic": _anthropic_request, "chat": _chat_request, "responses": _responses_request}[api]()
    reply = httpx.post(running.url + PATHS[api], json=body, headers={"x-api-key": API_KEY})
    assert reply.status_code == 529
    assert "overloaded now" in reply.text


@pytest.mark.parametrize("api", APIS)
def test_an_error_in_a_later_stream_round_ends_the_stream_with_the_providers_error_event(
    running: Proxy, api: Format
) -> None:
    running.upstream.queue(
        PATHS[api], sse_reply(api, Turn("A. ", [_retrieve_call()])), error_reply(api, 500, "it broke")
    )
    stream = _raw_stream(running, api)
    last = _data_of(stream)[-1]
    assert "it broke" in json.dumps(last)
    assert last.get("type") == "error" or "error" in last


@pytest.mark.parametrize("api", APIS)
def test_a_connection_dropped_mid_stream_in_a_later_round_ends_with_an_error_event(
    running: Proxy, api: Format
) -> None:
    broken = sse_reply(api, Turn("B is a long answer that never ends", id_suffix="2"), drop_after=3)
    running.upstream.queue(PATHS[api], sse_reply(api, Turn("A. ", [_retrieve_call()])), broken)
    stream = _raw_stream(running, api)
    last = _data_of(stream)[-1]
    assert "stream broke" in json.dumps(last)


def test_the_anthropic_sdk_reports_a_later_round_failure_as_an_error(running: Proxy) -> None:
    running.upstream.queue(
        PATHS["anthropic"],
        sse_reply("anthropic", Turn("A. ", [_retrieve_call()])),
        error_reply("anthropic", 500, "it broke"),
    )
    with (
        pytest.raises(anthropic.APIStatusError, match="it broke"),
        _anthropic_client(running).messages.stream(**_anthropic_request()) as stream,
    ):
        stream.get_final_message()


def test_usage_is_summed_over_rounds_including_nested_figures() -> None:
    total = retrieval.summed(
        [
            {"input_tokens": 1, "details": {"cached": 2}, "tier": "a"},
            None,
            {"input_tokens": 3, "details": {"cached": 4}, "tier": "b", "new": 5},
        ]
    )
    assert total == {"input_tokens": 4, "details": {"cached": 6}, "tier": "b", "new": 5}


def test_retrieve_only_needs_every_call_to_be_the_retrieve_tool() -> None:
    assert retrieval.retrieve_only([]) is None
    assert retrieval.retrieve_only([(TOOL_NAME, "a", '{"hash":"x"}'), ("other", "b", "{}")]) is None
    calls = retrieval.retrieve_only([(TOOL_NAME, "a", '{"hash":"x"}')])
    assert calls is not None and calls[0].arguments == {"hash": "x"}


# through the proxy app: compressed on the way up, the marker's hash retrieved on the way back ---


def _marker_hash(request: dict[str, Any]) -> str:
    found = re.findall(r"hash=([0-9a-f]{16})", json.dumps(request.get("messages") or request.get("input")))
    assert found, "the proxy sent the tool output uncompressed"
    return found[0]


def _log_request(api: Format, log: str) -> dict[str, Any]:
    if api == "anthropic":
        return {
            "model": "claude-test",
            "max_tokens": 256,
            "messages": [
                {"role": "user", "content": "Why did payments fail?"},
                {
                    "role": "assistant",
                    "content": [{"type": "tool_use", "id": "tu_1", "name": "read", "input": {}}],
                },
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": log}]},
            ],
            "tools": [CLIENT_TOOL],
        }
    if api == "chat":
        call = {"id": "c1", "type": "function", "function": {"name": "read", "arguments": "{}"}}
        return {
            "model": "gpt-test",
            "messages": [
                {"role": "user", "content": "Why did payments fail?"},
                {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "tool_call_id": "c1", "content": log},
            ],
        }
    return {
        "model": "gpt-test",
        "input": [
            {"role": "user", "content": "Why did payments fail?"},
            {"type": "function_call", "call_id": "c1", "name": "read", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": log},
        ],
    }


@pytest.mark.parametrize("streaming", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("api", APIS)
def test_through_the_proxy_the_model_gets_the_original_its_marker_names(api: Format, streaming: bool) -> None:
    log = samples.application_log(lines=600)[0]  # under the 100,000 characters one answer holds
    assert len(log) < ccr.DEFAULT_ANSWER_CHARS
    build = sse_reply if streaming else json_reply

    def ask_for_the_marked_original(request: dict[str, Any]) -> Reply:
        return build(api, Turn("Reading. ", [_retrieve_call("call_r", _marker_hash(request))]))

    with ScriptedUpstream() as upstream, running_proxy(upstream.url) as url:
        upstream.queue(PATHS[api], ask_for_the_marked_original, build(api, Turn("Timeouts.", id_suffix="2")))
        body = {**_log_request(api, log), "stream": streaming}
        reply = httpx.post(url + PATHS[api], json=body, headers={"x-api-key": API_KEY}, timeout=60)
        sent = upstream.requests_to(PATHS[api])
    assert reply.status_code == 200
    assert TOOL_NAME not in reply.text and "Timeout" in reply.text
    assert len(sent) == 2
    first, second = sent[0].json(), sent[1].json()
    assert log not in sent[0].body.decode()  # compressed on the way up
    assert any(ccr.tool_name(tool) == TOOL_NAME for tool in first["tools"])
    key = "input" if api == "responses" else "messages"
    assert _tool_results(api, second[key][len(first[key]) :]) == [log]
    assert int(reply.headers["x-headroom-tokens-saved"]) > 0


def test_a_later_request_chained_to_a_spliced_responses_stream_chains_to_the_last_round(
    running: Proxy,
) -> None:
    _script_rounds(running, "responses", True, Turn("A. ", [_retrieve_call()]), Turn("B.", id_suffix="2"))
    with _openai_client(running).responses.stream(**_responses_request()) as stream:
        shown = stream.get_final_response().id
    assert shown == "resp_scripted_1"  # one id for the whole stream, as the SDK requires
    running.upstream.queue(PATHS["responses"], json_reply("responses", Turn("C.", id_suffix="3")))
    follow_up = {**_responses_request(), "previous_response_id": shown, "input": "and then?"}
    _openai_client(running).responses.create(**follow_up)
    assert (
        running.upstream.requests_to(PATHS["responses"])[-1].json()["previous_response_id"]
        == "resp_scripted_2"
    )


def test_a_json_responses_reply_carries_the_last_rounds_id(running: Proxy) -> None:
    _script_rounds(running, "responses", False, Turn("A. ", [_retrieve_call()]), Turn("B.", id_suffix="2"))
    assert _openai_client(running).responses.create(**_responses_request()).id == "resp_scripted_2"


def test_a_chat_stream_with_several_choices_passes_through_unchanged(running: Proxy) -> None:
    one = chat_events(Turn(None, [_retrieve_call()]), include_usage=False)[:-1]
    other = [
        event.replace(b'"index":0,"delta"', b'"index":1,"delta"')
        for event in chat_events(Turn("hi"), include_usage=False)[:-1]
    ]
    events = [*one, *other, b"data: [DONE]\n\n"]
    running.upstream.queue(PATHS["chat"], Reply(events=events, media_type="text/event-stream"))
    assert _raw_stream(running, "chat", n=2) == b"".join(events)
    assert len(running.upstream.requests_to(PATHS["chat"])) == 1


def test_several_choices_seen_in_the_stream_stop_the_watching(running: Proxy) -> None:
    """A request that did not ask for several choices but gets them: all passes as it came."""
    other = [
        event.replace(b'"index":0,"delta"', b'"index":1,"delta"')
        for event in chat_events(Turn("hi"), include_usage=False)[:2]
    ]
    one = chat_events(Turn(None, [_retrieve_call()]), include_usage=False)
    events = [one[0], *other, *one[1:]]
    running.upstream.queue(PATHS["chat"], Reply(events=events, media_type="text/event-stream"))
    assert _raw_stream(running, "chat") == b"".join(events)
    assert len(running.upstream.requests_to(PATHS["chat"])) == 1


@pytest.mark.parametrize("streaming", [False, True], ids=["json", "sse"])
def test_the_next_rounds_body_keeps_every_byte_of_the_first_it_does_not_change(
    running: Proxy, streaming: bool
) -> None:
    _script_rounds(running, "anthropic", streaming, Turn("A. ", [_retrieve_call()]), Turn("B."))
    body = json.dumps({**_anthropic_request(), "stream": streaming}, indent=1).encode()
    body = body.replace(b'"max_tokens": 256', b'"max_tokens": 256, "temperature": 1E0, "note": "caf\\u00e9"')
    httpx.post(running.url + PATHS["anthropic"], content=body, headers={"x-api-key": API_KEY})
    first, second = (r.body for r in running.upstream.requests_to(PATHS["anthropic"]))
    assert first == body
    end_of_history = body.index(b"\n ],\n")  # the messages array closes here, on its own line
    assert second.startswith(body[:end_of_history])  # only appended to
    assert b'"temperature": 1E0, "note": "caf\\u00e9"' in second


def test_tools_the_provider_runs_itself_do_not_make_a_round_mixed() -> None:
    retrieve = {"type": "function_call", "call_id": "c", "name": TOOL_NAME, "arguments": '{"hash":"h"}'}
    hosted = {"type": "web_search_call", "id": "ws_1", "status": "completed"}
    assert retrieval.retrieve_only(retrieval._responses_calls([hosted, retrieve])) is not None
    for clients_own in (
        {"type": "custom_tool_call", "call_id": "x", "name": "apply_patch", "input": "..."},
        {"type": "local_shell_call", "call_id": "y", "action": {}},
        {"type": "mcp_approval_request", "id": "z", "name": "t", "server_label": "s"},
    ):
        assert retrieval.retrieve_only(retrieval._responses_calls([retrieve, clients_own])) is None
    server_tool = {"type": "server_tool_use", "id": "srv", "name": "web_search", "input": {"query": "q"}}
    tool_use = {"type": "tool_use", "id": "t", "name": TOOL_NAME, "input": {"hash": "h"}}
    assert retrieval.retrieve_only(retrieval._anthropic_calls([server_tool, tool_use])) is not None


def _fake_exchange(api: Format, streaming: bool, first: bytes, kind: str) -> retrieval.Exchange:
    """An exchange whose upstream answers `first`, then fails (`kind`: connect or timeout)."""
    calls: list[bytes] = []

    async def upstream(body: bytes) -> UpstreamReply:
        calls.append(body)
        if len(calls) > 1:
            raise UpstreamFailure(kind, "scripted")  # type: ignore[arg-type]
        media = "text/event-stream" if streaming else "application/json"
        return UpstreamReply.of_bytes(200, [("content-type", media)], first)

    store = MemoryStore()
    namespace = namespace_for_credential(API_KEY)
    ScopedStore(store, namespace).put_many("original", {HASH: ORIGINAL})
    request = {"anthropic": _anthropic_request, "chat": _chat_request, "responses": _responses_request}[api]()
    request["stream"] = streaming
    return retrieval.Exchange(
        api, request, json.dumps(request).encode(), streaming, upstream, store, namespace, 3
    )


@pytest.mark.parametrize(("kind", "status"), [("connect", 502), ("timeout", 504)])
def test_an_unreachable_upstream_in_a_later_json_round_is_a_502_or_504(kind: str, status: int) -> None:
    first = json.dumps(anthropic_message(Turn(None, [_retrieve_call()]))).encode()
    response = anyio.run(retrieval.complete, _fake_exchange("anthropic", False, first, kind))
    assert response.status_code == status
    assert json.loads(response.body)["type"] == "error"


@pytest.mark.parametrize("api", APIS)
def test_an_unreachable_upstream_in_a_later_stream_round_ends_with_an_error_event(api: Format) -> None:
    first = b"".join(sse_reply(api, Turn("A. ", [_retrieve_call()])).events or [])

    async def read() -> bytes:
        response = await retrieval.complete(_fake_exchange(api, True, first, "connect"))
        assert isinstance(response, StreamingResponse)
        return b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[misc]

    stream = anyio.run(read)
    assert stream.startswith(first[:40])
    assert "could not be reached" in json.dumps(_data_of(stream)[-1])
