"""HeadroomChatModel with the real LangChain, LangGraph and langchain-openai, against a scripted
provider on 127.0.0.1 that speaks the Chat Completions wire format (tests/proxy/scripted.py)."""

from __future__ import annotations

import asyncio
import copy
import importlib
import json
import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field, ValidationError

from headroom import CompressEvent, CompressionHooks, retrieve
from headroom.ccr.retrieval import retrieve_tool
from headroom.ccr.stores import StoreConfigError
from headroom.integrations import HeadroomChatModel
from headroom.integrations.langchain import HeadroomChatModel as DirectHeadroomChatModel
from headroom.pipeline.errors import ConfigurationError, UnknownOptionError
from tests.proxy.scripted import Call, Reply, ScriptedUpstream, Turn, json_reply, sse_reply

CHAT = "/v1/chat/completions"
LOGGER = "headroom.integrations.langchain"
ANSWER = "Order ord-10187 failed: upstream timeout calling payments-v2."
_HASH = re.compile(r"hash=([0-9a-f]{16})")


@pytest.fixture
def upstream() -> Iterator[ScriptedUpstream]:
    with ScriptedUpstream() as scripted:
        yield scripted


def openai_model(upstream: ScriptedUpstream, **extra: Any) -> ChatOpenAI:
    return ChatOpenAI(model="gpt-4o", base_url=upstream.openai_base, api_key="test", max_retries=0, **extra)


def conversation(records_json: str) -> list[BaseMessage]:
    """An agent turn whose tool returned 300 JSON records."""
    return [
        SystemMessage("You are an operations assistant."),
        HumanMessage("Which order failed, and why?"),
        AIMessage("", tool_calls=[{"name": "list_orders", "args": {"day": "2026-11-10"}, "id": "call_1"}]),
        ToolMessage(records_json, tool_call_id="call_1", name="list_orders"),
    ]


def bodies(upstream: ScriptedUpstream) -> list[dict[str, Any]]:
    return [request.json() for request in upstream.requests_to(CHAT)]


def tool_contents(body: dict[str, Any]) -> list[str]:
    return [message["content"] for message in body["messages"] if message["role"] == "tool"]


def assert_tool_output_compressed(body: dict[str, Any], original: str) -> None:
    """The request carried the tool output compressed: far smaller, with a retrievable marker."""
    (sent,) = [content for content in tool_contents(body) if content != original] or [None]
    assert sent is not None, "the tool output went out as it was"
    assert len(sent) < len(original) / 2
    assert "[headroom: omitted" in sent
    assert _HASH.search(sent)


# construction ----------------------------------------------------------------------------------


def test_importing_headroom_imports_no_framework_and_the_name_resolves_on_first_use() -> None:
    code = (
        "import sys, headroom, headroom.integrations\n"
        "frameworks = {'langchain', 'langchain_core', 'langgraph'}\n"
        "assert not frameworks & {name.split('.')[0] for name in sys.modules}\n"
        "from headroom.integrations import HeadroomChatModel\n"
        "print(HeadroomChatModel.__module__)\n"
    )
    root = str(Path(__file__).resolve().parents[2])  # this checkout's headroom, whatever is installed
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment
    )
    assert done.stdout.strip() == "headroom.integrations.langchain"
    assert HeadroomChatModel is DirectHeadroomChatModel


def test_positional_and_keyword_construction(upstream: ScriptedUpstream) -> None:
    inner = openai_model(upstream)
    positional = HeadroomChatModel(inner)
    keyword = HeadroomChatModel(wrapped_model=inner, hooks=None, pipeline="aggressive", store="memory://")

    assert positional.wrapped_model is inner and keyword.wrapped_model is inner
    assert keyword.compressor.pipeline.name == "aggressive"
    assert positional.model_name == "gpt-4o"
    with pytest.raises(TypeError, match="twice"):
        HeadroomChatModel(inner, wrapped_model=inner)


def test_settings_langchain_applies_around_a_call_come_from_the_wrapped_model(
    upstream: ScriptedUpstream,
) -> None:
    inner = openai_model(upstream, disable_streaming=True)
    upstream.queue(CHAT, json_reply("chat", Turn("Hi!")))

    llm = HeadroomChatModel(inner)
    chunks = list(llm.stream("Hello!"))

    assert llm.disable_streaming is True
    assert [chunk.content for chunk in chunks] == ["Hi!"]
    assert "stream" not in bodies(upstream)[0] or bodies(upstream)[0]["stream"] is False
    assert HeadroomChatModel(inner, disable_streaming=False).disable_streaming is False


def test_bad_configuration_raises_when_the_model_is_built(upstream: ScriptedUpstream, tmp_path: Path) -> None:
    inner = openai_model(upstream)
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: broken\nstages: [this is: not a pipeline\n")

    with pytest.raises(ConfigurationError):
        HeadroomChatModel(inner, pipeline=str(broken))
    with pytest.raises(UnknownOptionError):
        HeadroomChatModel(inner, compress_options={"target_ratoi": 0.3})
    with pytest.raises(StoreConfigError):
        HeadroomChatModel(inner, store="postgres://db/ccr")
    with pytest.raises(ValidationError, match="pipline"):
        HeadroomChatModel(inner, pipline="aggressive")
    with pytest.raises(ValueError, match="min_tokens"):
        HeadroomChatModel(inner, min_tokens=-1)
    assert upstream.requests == []


# the four ways of calling ---------------------------------------------------------------------

Mode = Literal["invoke", "ainvoke", "stream", "astream"]


def call(llm: Any, messages: list[BaseMessage], mode: Mode) -> BaseMessage:
    """One call in the given mode; a stream's chunks are added up into the whole message."""
    if mode == "invoke":
        return llm.invoke(messages)  # type: ignore[no-any-return]
    if mode == "ainvoke":
        return asyncio.run(llm.ainvoke(messages))  # type: ignore[no-any-return]
    if mode == "stream":
        chunks = list(llm.stream(messages))
    else:

        async def collect() -> list[AIMessageChunk]:
            return [chunk async for chunk in llm.astream(messages)]

        chunks = asyncio.run(collect())
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total  # type: ignore[no-any-return]


def reply_for(mode: Mode, turn: Turn) -> Reply:
    return sse_reply("chat", turn) if mode in ("stream", "astream") else json_reply("chat", turn)


@pytest.mark.parametrize("mode", ["invoke", "ainvoke", "stream", "astream"])
def test_every_call_mode_sends_the_request_compressed(
    upstream: ScriptedUpstream, records_json: str, mode: Mode
) -> None:
    upstream.queue(CHAT, reply_for(mode, Turn(ANSWER)))
    llm = HeadroomChatModel(openai_model(upstream))
    messages = conversation(records_json)
    before = copy.deepcopy(messages)

    answer = call(llm, messages, mode)

    assert answer.content == ANSWER
    (body,) = bodies(upstream)
    assert body.get("stream", False) is (mode in ("stream", "astream"))
    assert_tool_output_compressed(body, records_json)
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "tool"]
    assert body["messages"][2]["tool_calls"][0]["id"] == "call_1"
    assert llm.total_tokens_saved > 0
    record = llm.last_call
    assert record is not None and record.compressed and record.failures == ()
    assert record.tokens_saved == llm.total_tokens_saved
    assert messages == before  # the caller's messages are untouched


class Recorder(CompressionHooks):
    def __init__(self) -> None:
        self.events: list[CompressEvent] = []

    def post_compress(self, event: CompressEvent, **kwargs: Any) -> None:
        self.events.append(event)


def test_hooks_run_and_the_originals_are_retrievable_in_the_models_namespace(
    upstream: ScriptedUpstream, records_json: str
) -> None:
    upstream.queue(CHAT, json_reply("chat", Turn(ANSWER)))
    hooks = Recorder()
    llm = HeadroomChatModel(openai_model(upstream), hooks=hooks, store="memory://?name=langchain-test")

    llm.invoke(conversation(records_json))

    (event,) = hooks.events
    assert event.tokens_saved == llm.total_tokens_saved > 0
    (sent,) = tool_contents(bodies(upstream)[0])
    (marker_hash,) = set(_HASH.findall(sent))
    assert retrieve(marker_hash, "memory://?name=langchain-test", namespace=llm.namespace) == records_json
    assert retrieve(marker_hash, namespace=llm.namespace) is None  # kept in the store it was given


def test_the_retrieve_tool_answers_only_for_hashes_this_model_sent(
    upstream: ScriptedUpstream, records_json: str
) -> None:
    """Two models share one store (and, with no caller credential, one namespace): each one's
    retrieve tool reads back what it was shown, never the other's originals."""
    store = "memory://?name=langchain-shared"
    upstream.queue(CHAT, json_reply("chat", Turn(ANSWER)), json_reply("chat", Turn(ANSWER)))
    mine, theirs = (HeadroomChatModel(openai_model(upstream), store=store) for _ in range(2))
    mine.invoke(conversation(records_json))
    other_records = records_json.replace('"status"', '"state"')
    theirs.invoke(conversation(other_records))
    my_hash, their_hash = (set(_HASH.findall(tool_contents(body)[0])).pop() for body in bodies(upstream))

    assert mine.retrieve_tool().invoke({"hash": my_hash}) == records_json
    refused = mine.retrieve_tool().invoke({"hash": their_hash})
    assert "no marker in this conversation names this hash" in refused
    assert retrieve(their_hash, store, namespace=theirs.namespace) == other_records  # it is there


def test_a_small_request_goes_out_as_it_came(upstream: ScriptedUpstream) -> None:
    upstream.queue(CHAT, json_reply("chat", Turn("Hi!")))
    llm = HeadroomChatModel(openai_model(upstream))

    assert llm.invoke("Hello!").content == "Hi!"

    assert bodies(upstream)[0]["messages"] == [{"role": "user", "content": "Hello!"}]
    assert llm.total_tokens_saved == 0
    assert llm.last_call is not None and not llm.last_call.compressed


def test_async_compression_runs_off_the_event_loop(
    upstream: ScriptedUpstream, records_json: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = importlib.import_module("headroom.compress")  # the module, not the function of that name
    threads: list[int] = []
    extract = engine.extract_blocks

    def recording(messages: Any) -> Any:
        threads.append(threading.get_ident())
        return extract(messages)

    monkeypatch.setattr(engine, "extract_blocks", recording)
    upstream.queue(CHAT, json_reply("chat", Turn(ANSWER)))
    llm = HeadroomChatModel(openai_model(upstream))

    async def ask() -> tuple[BaseMessage, int]:
        return await llm.ainvoke(conversation(records_json)), threading.get_ident()

    answer, loop_thread = asyncio.run(ask())

    assert answer.content == ANSWER
    assert threads and loop_thread not in threads
    assert_tool_output_compressed(bodies(upstream)[0], records_json)


# tools and structured output ------------------------------------------------------------------


@tool
def list_orders(day: str) -> str:
    """List the orders of one day, as JSON."""
    raise AssertionError("replaced in each test")


def test_bind_tools_compresses_and_parses_the_tool_call(
    upstream: ScriptedUpstream, records_json: str
) -> None:
    turn = Turn(None, [Call("call_2", "list_orders", {"day": "2026-11-11"})])
    upstream.queue(CHAT, json_reply("chat", turn))
    llm = HeadroomChatModel(openai_model(upstream))

    answer = llm.bind_tools([list_orders]).invoke(conversation(records_json))

    assert isinstance(answer, AIMessage)
    assert answer.tool_calls == [
        {"name": "list_orders", "args": {"day": "2026-11-11"}, "id": "call_2", "type": "tool_call"}
    ]
    (body,) = bodies(upstream)
    assert [t["function"]["name"] for t in body["tools"]] == ["list_orders"]
    assert_tool_output_compressed(body, records_json)
    assert llm.total_tokens_saved > 0


class FailedOrder(BaseModel):
    order_id: str
    reason: str


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_structured_output_compresses(upstream: ScriptedUpstream, records_json: str, method: str) -> None:
    found = {"order_id": "ord-10187", "reason": "upstream timeout"}
    if method == "json_schema":
        turn = Turn(json.dumps(found))
    else:
        turn = Turn(None, [Call("call_3", "FailedOrder", found)])
    upstream.queue(CHAT, json_reply("chat", turn))
    llm = HeadroomChatModel(openai_model(upstream))

    answer = llm.with_structured_output(FailedOrder, method=method).invoke(conversation(records_json))

    assert answer == FailedOrder(**found)
    (body,) = bodies(upstream)
    assert ("response_format" in body) is (method == "json_schema")
    assert_tool_output_compressed(body, records_json)


def test_structured_output_with_raw(upstream: ScriptedUpstream, records_json: str) -> None:
    found = {"order_id": "ord-10187", "reason": "upstream timeout"}
    upstream.queue(CHAT, json_reply("chat", Turn(None, [Call("call_3", "FailedOrder", found)])))
    llm = HeadroomChatModel(openai_model(upstream))

    answer = llm.with_structured_output(FailedOrder, method="function_calling", include_raw=True).invoke(
        conversation(records_json)
    )

    assert answer["parsed"] == FailedOrder(**found)
    assert isinstance(answer["raw"], AIMessage)
    assert_tool_output_compressed(bodies(upstream)[0], records_json)


# every message type, every field --------------------------------------------------------------


class NoteMessage(BaseMessage):
    """A message class of the application's own."""

    type: Literal["note"] = "note"
    priority: int = 0


class RecordingModel(BaseChatModel):
    """A chat model with `_generate` only (no `_stream`): records what it was sent."""

    received: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "recording"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self.received.append(list(messages))
        answer = AIMessage(
            ANSWER,
            tool_calls=[{"name": "list_orders", "args": {"day": "2026-11-12"}, "id": "call_9"}],
            usage_metadata={"input_tokens": 10, "output_tokens": 5, "total_tokens": 15},
            response_metadata={"finish_reason": "tool_calls"},
        )
        return ChatResult(generations=[ChatGeneration(message=answer)], llm_output={"model_name": "recorder"})


def every_kind_of_message(records_json: str) -> list[BaseMessage]:
    return [
        SystemMessage(
            "Be brief.", id="m0", name="policy", additional_kwargs={"x": 1}, response_metadata={"y": 2}
        ),
        HumanMessage(
            [
                {"type": "text", "text": "Which order failed?"},
                {"type": "image_url", "image_url": {"url": "https://x/a.png"}},
            ],
            id="m1",
            name="ana",
            additional_kwargs={"k": "v"},
        ),
        AIMessage(
            "Looking.",
            id="m2",
            name="bot",
            tool_calls=[{"name": "list_orders", "args": {"day": "2026-11-10"}, "id": "call_1"}],
            invalid_tool_calls=[
                {
                    "name": "broken",
                    "args": "{not json",
                    "id": "call_x",
                    "error": "bad json",
                    "type": "invalid_tool_call",
                }
            ],
            usage_metadata={"input_tokens": 100, "output_tokens": 20, "total_tokens": 120},
            additional_kwargs={"refusal": None},
            response_metadata={"model_name": "gpt-4o", "finish_reason": "tool_calls"},
        ),
        ToolMessage(
            records_json,
            tool_call_id="call_1",
            id="m3",
            name="list_orders",
            status="success",
            artifact={"rows": 300},
            additional_kwargs={"a": 1},
            response_metadata={"b": 2},
        ),
        ToolMessage("no such tool", tool_call_id="call_x", status="error", id="m4"),
        ChatMessage("Looks fine to me.", role="critic", id="m5", name="reviewer"),
        ChatMessage("And the refund?", role="user", id="m6"),
        FunctionMessage("{}", name="legacy_fn", id="m7"),
        NoteMessage("remember the SLA", id="m8", priority=3),
        RemoveMessage(id="m-gone"),
        AIMessageChunk("partial", id="m9", tool_call_chunks=[]),
    ]


def test_every_message_type_keeps_every_field(records_json: str) -> None:
    inner = RecordingModel()
    llm = HeadroomChatModel(inner)
    messages = every_kind_of_message(records_json)
    before = [m.model_dump() for m in messages]

    answer = llm.invoke(messages)

    (sent,) = inner.received
    assert len(sent) == len(messages)
    for index, (original, out) in enumerate(zip(messages, sent, strict=True)):
        assert type(out) is type(original), index
        if index == 3:  # the tool output: only its text changed
            assert out.content != original.content and "[headroom: omitted" in out.content
            assert out.model_dump(exclude={"content"}) == original.model_dump(exclude={"content"})
        else:
            assert out is original, index
    assert [m.model_dump() for m in messages] == before  # nothing the caller holds was changed
    assert answer.content == ANSWER and answer.tool_calls[0]["id"] == "call_9"
    assert answer.usage_metadata == {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}


class KeepsTheStart(CompressionHooks):
    """A pre_compress hook that cuts every text content to its first 40 characters."""

    def pre_compress(self, messages: list[Any], ctx: Any, **kwargs: Any) -> list[Any]:
        return [{**m, "content": m["content"][:40]} if isinstance(m["content"], str) else m for m in messages]


def test_every_message_type_the_pipeline_changes_keeps_every_other_field(records_json: str) -> None:
    inner = RecordingModel()
    llm = HeadroomChatModel(inner, hooks=KeepsTheStart())
    messages = [
        m if isinstance(m, RemoveMessage) else m.model_copy(update={"content": records_json})
        for m in every_kind_of_message(records_json)
    ]

    llm.invoke(messages)

    (sent,) = inner.received
    passed_over = (NoteMessage, RemoveMessage)
    for original, out in zip(messages, sent, strict=True):
        if isinstance(original, passed_over) or (
            isinstance(original, ChatMessage) and original.role == "critic"
        ):
            assert out is original
            continue
        assert type(out) is type(original)
        assert out.content == records_json[:40]
        assert out.model_dump(exclude={"content"}) == original.model_dump(exclude={"content"})
    assert all(m.content == records_json for m in messages if not isinstance(m, RemoveMessage))


def test_a_tool_output_given_as_content_blocks_keeps_its_blocks(records_json: str) -> None:
    inner = RecordingModel()
    llm = HeadroomChatModel(inner)
    blocks: list[str | dict[str, Any]] = [
        {"type": "text", "text": records_json, "id": "b1"},
        {"type": "image_url", "image_url": {"url": "https://x/chart.png"}},
    ]
    messages = [*conversation(records_json)[:3], ToolMessage(blocks, tool_call_id="call_1", artifact=[1])]

    llm.invoke(messages)

    sent = inner.received[0][3]
    assert isinstance(sent, ToolMessage) and sent.artifact == [1] and sent.tool_call_id == "call_1"
    assert isinstance(sent.content, list) and len(sent.content) == 2
    first, second = sent.content
    assert isinstance(first, dict) and first["id"] == "b1" and "[headroom: omitted" in first["text"]
    assert second == blocks[1]
    assert messages[3].content[0] == {"type": "text", "text": records_json, "id": "b1"}


def test_a_model_without_stream_answers_a_stream_with_one_chunk(records_json: str) -> None:
    inner = RecordingModel()
    llm = HeadroomChatModel(inner)

    sync_chunks = list(llm.stream(conversation(records_json)))

    async def collect() -> list[AIMessageChunk]:
        return [chunk async for chunk in llm.astream(conversation(records_json))]

    async_chunks = asyncio.run(collect())

    for chunks in (sync_chunks, async_chunks):
        with_content = [chunk for chunk in chunks if chunk.content or chunk.tool_calls]
        assert len(with_content) == 1
        (whole,) = with_content
        assert whole.content == ANSWER
        assert [c["id"] for c in whole.tool_calls] == ["call_9"]
        assert whole.response_metadata["model_name"] == "recorder"
        assert whole.usage_metadata is not None and whole.usage_metadata["total_tokens"] == 15
    assert len(inner.received) == 2
    for sent in inner.received:
        assert sent[3].content != records_json and "[headroom: omitted" in sent[3].content


# failing open ---------------------------------------------------------------------------------


def test_an_unreachable_store_sends_the_originals_and_says_why(
    upstream: ScriptedUpstream, records_json: str, caplog: pytest.LogCaptureFixture
) -> None:
    upstream.queue(CHAT, json_reply("chat", Turn(ANSWER)))
    llm = HeadroomChatModel(openai_model(upstream), store="redis://127.0.0.1:1/0")

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        answer = llm.invoke(conversation(records_json))

    assert answer.content == ANSWER
    assert tool_contents(bodies(upstream)[0]) == [records_json]
    record = llm.last_call
    assert record is not None and not record.compressed and record.failures
    assert any("store" in reason for reason in record.failures)
    assert any("store" in r.getMessage() for r in caplog.records if r.name == LOGGER)
    assert llm.totals().failures == 1 and llm.total_tokens_saved == 0


class DropsAMessage(CompressionHooks):
    """Hooks whose pre_compress drops the system message: the list cannot be mapped back."""

    def pre_compress(self, messages: list[Any], ctx: Any) -> list[Any]:
        return messages[1:]


def test_a_pipeline_that_changes_the_message_count_sends_the_originals(
    upstream: ScriptedUpstream, records_json: str, caplog: pytest.LogCaptureFixture
) -> None:
    upstream.queue(CHAT, json_reply("chat", Turn(ANSWER)))
    llm = HeadroomChatModel(openai_model(upstream), hooks=DropsAMessage())

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        answer = llm.invoke(conversation(records_json))

    assert answer.content == ANSWER
    body = bodies(upstream)[0]
    assert len(body["messages"]) == 4 and tool_contents(body) == [records_json]
    record = llm.last_call
    assert record is not None and not record.compressed
    assert any("3 messages for 4" in reason for reason in record.failures)
    assert any("3 messages for 4" in r.getMessage() for r in caplog.records)
    assert llm.total_tokens_saved == 0
    totals = llm.totals()
    assert (totals.requests_compressed, totals.failures) == (0, 1)  # counted once, as a failure


# LangGraph ------------------------------------------------------------------------------------


def orders_tool(records_json: str) -> Any:
    @tool
    def list_orders(day: str) -> str:
        """List the orders of one day, as JSON."""
        return records_json

    return list_orders


def react_agent(kind: str, llm: Any, tools: list[Any]) -> Any:
    if kind == "create_agent":
        from langchain.agents import create_agent

        return create_agent(llm, tools)
    from langgraph.prebuilt import create_react_agent

    return create_react_agent(llm, tools)


@pytest.mark.parametrize("kind", ["create_agent", "create_react_agent"])
def test_a_react_agent_sends_the_tool_output_compressed_and_keeps_the_original(
    upstream: ScriptedUpstream, records_json: str, kind: str
) -> None:
    upstream.queue(
        CHAT,
        json_reply("chat", Turn(None, [Call("call_1", "list_orders", {"day": "2026-11-10"})])),
        json_reply("chat", Turn(ANSWER)),
    )
    llm = HeadroomChatModel(openai_model(upstream))
    agent = react_agent(kind, llm, [orders_tool(records_json)])

    state = agent.invoke({"messages": [HumanMessage("Which order failed, and why?")]})

    first, second = bodies(upstream)
    assert "[headroom:" not in json.dumps(first)  # a short first turn goes as it is
    assert_tool_output_compressed(second, records_json)
    tool_messages = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert [m.content for m in tool_messages] == [records_json]  # the graph keeps the original
    assert state["messages"][-1].content == ANSWER
    assert llm.total_tokens_saved > 0


def test_an_agent_with_a_response_format_gets_it_from_a_compressed_request(
    upstream: ScriptedUpstream, records_json: str
) -> None:
    found = {"order_id": "ord-10187", "reason": "upstream timeout"}
    upstream.queue(
        CHAT,
        json_reply("chat", Turn(None, [Call("call_1", "list_orders", {"day": "2026-11-10"})])),
        json_reply("chat", Turn(json.dumps(found))),
    )
    llm = HeadroomChatModel(openai_model(upstream))
    from langchain.agents import create_agent

    agent = create_agent(llm, [orders_tool(records_json)], response_format=FailedOrder)
    state = agent.invoke({"messages": [HumanMessage("Which order failed, and why?")]})

    assert state["structured_response"] == FailedOrder(**found)
    second = bodies(upstream)[1]
    assert "response_format" in second
    assert_tool_output_compressed(second, records_json)


def ask_for_the_original(body: dict[str, Any]) -> Reply:
    """The model's second turn: it calls headroom_retrieve with the hash of the marker it was sent."""
    (marker_hash,) = {h for content in tool_contents(body) for h in _HASH.findall(content)}
    return json_reply("chat", Turn(None, [Call("call_r", "headroom_retrieve", {"hash": marker_hash})]))


def test_headroom_retrieve_inside_the_agent_loop_returns_the_original(
    upstream: ScriptedUpstream, records_json: str
) -> None:
    upstream.queue(
        CHAT,
        json_reply("chat", Turn(None, [Call("call_1", "list_orders", {"day": "2026-11-10"})])),
        ask_for_the_original,
        json_reply("chat", Turn(ANSWER)),
    )
    llm = HeadroomChatModel(openai_model(upstream))
    from langchain.agents import create_agent

    agent = create_agent(llm, [orders_tool(records_json), llm.retrieve_tool()])

    state = asyncio.run(agent.ainvoke({"messages": [HumanMessage("Which order failed, and why?")]}))

    first, second, third = bodies(upstream)
    assert retrieve_tool("openai") in first["tools"]
    assert_tool_output_compressed(second, records_json)
    retrieved = [m for m in state["messages"] if isinstance(m, ToolMessage) and m.name == "headroom_retrieve"]
    assert [m.content for m in retrieved] == [records_json]  # the original, byte for byte
    assert tool_contents(third)[-1] == records_json  # sent to the model whole
    assert tool_contents(third)[0] == tool_contents(second)[0]  # the earlier turn, in the same bytes
    assert state["messages"][-1].content == ANSWER


def test_retrieve_says_why_when_there_is_nothing(upstream: ScriptedUpstream) -> None:
    llm = HeadroomChatModel(openai_model(upstream))

    assert llm.retrieve_tool().invoke({"hash": "0123456789abcdef"}).startswith("[headroom: unknown")
    assert llm.retrieve_tool().invoke({"hash": "nope"}).startswith("[headroom: invalid")
