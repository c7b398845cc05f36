"""HeadroomAgnoModel inside real agno agents, against loopback providers speaking the real wire formats.

Each agent run is scripted: the model first calls a tool that returns 300 JSON records, then
answers. The second request is the one that carries the tool result, so it is the one that
must reach the provider compressed, while the agent keeps the original in its own messages.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from agno.agent import Agent
from agno.models.anthropic import Claude
from agno.models.base import Model
from agno.models.message import Message
from agno.models.openai import OpenAIChat, OpenAIResponses
from agno.models.openai.like import OpenAILike
from agno.run.agent import RunContentEvent, RunOutput

from headroom.integrations.agno import COMPRESSING_METHODS, HeadroomAgnoModel, delegated_methods
from headroom.pipeline.errors import ConfigurationError
from headroom.pipeline.hooks import CompressionHooks
from tests.helpers import modules_loaded_by, record_parse_and_tokenizer_threads
from tests.proxy.scripted import Call, Format, Reply, ScriptedUpstream, Turn, json_reply, sse_reply

ANSWER = "Service api ran out of disk on /var/data."
ERROR_RECORD = 217


def search_logs(service: str) -> str:
    """Recent log records of a service, as JSON."""
    return json.dumps(
        [
            {
                "id": i,
                "service": service,
                "level": "ERROR" if i == ERROR_RECORD else "INFO",
                "message": "disk quota exceeded on /var/data"
                if i == ERROR_RECORD
                else f"request {i} handled",
                "latency_ms": 20 + i % 7,
            }
            for i in range(300)
        ]
    )


ORIGINAL = search_logs("api")
LOOK = Turn("Let me look.", [Call("call_logs", "search_logs", {"service": "api"})])
DONE = Turn(ANSWER, id_suffix="2")
MODES = ["run", "run stream", "arun", "arun stream"]


@dataclass(frozen=True)
class Provider:
    format: Format
    path: str
    make: Callable[[str], Model]

    def tool_results(self, body: dict[str, Any]) -> dict[str, str]:
        """Each tool result's text in a request body, by tool call id."""
        found: dict[str, str] = {}
        for message in body["messages"]:
            if self.format == "chat" and message["role"] == "tool":
                found[message["tool_call_id"]] = message["content"]
            elif self.format == "anthropic" and isinstance(message["content"], list):
                for block in message["content"]:
                    if block.get("type") == "tool_result":
                        found[block["tool_use_id"]] = _text(block["content"])
        return found

    def tool_names(self, body: dict[str, Any]) -> list[str]:
        return [tool.get("name") or tool["function"]["name"] for tool in body.get("tools", [])]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content)


PROVIDERS = {
    "claude": Provider(
        "anthropic",
        "/v1/messages",
        lambda url: Claude(id="claude-sonnet-4-20250514", client_params={"base_url": url}),
    ),
    "openai": Provider(
        "chat",
        "/v1/chat/completions",
        lambda url: OpenAIChat(id="gpt-4o", base_url=url + "/v1", api_key="test"),
    ),
}


@pytest.fixture(autouse=True)
def anthropic_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")


@pytest.fixture
def upstream() -> Iterator[ScriptedUpstream]:
    with ScriptedUpstream() as scripted:
        yield scripted


@pytest.fixture(params=list(PROVIDERS))
def provider(request: pytest.FixtureRequest) -> Provider:
    return PROVIDERS[request.param]


def queue(
    upstream: ScriptedUpstream, provider: Provider, *turns: Turn | Callable[..., Reply], stream: bool
) -> None:
    reply = sse_reply if stream else json_reply
    upstream.queue(
        provider.path,
        *(turn if callable(turn) else reply(provider.format, turn) for turn in turns),
    )


def bodies(upstream: ScriptedUpstream, provider: Provider) -> list[dict[str, Any]]:
    return [request.json() for request in upstream.requests_to(provider.path)]


def run_agent(agent: Agent, mode: str) -> tuple[str, list[Message]]:
    """The agent's final answer and its stored run messages, in the given way of running."""
    prompt = "Investigate the issue"
    if mode == "run":
        output = agent.run(prompt)
        return str(output.content), list(output.messages or [])
    if mode == "arun":
        output = asyncio.run(agent.arun(prompt))
        return str(output.content), list(output.messages or [])
    # streamed: the answer as the deltas spell it, the messages from the RunOutput yielded last
    if mode == "run stream":
        events = list(agent.run(prompt, stream=True, yield_run_output=True))
    else:

        async def collect() -> list[Any]:
            return [event async for event in agent.arun(prompt, stream=True, yield_run_output=True)]

        events = asyncio.run(collect())
    *deltas, output = events
    assert isinstance(output, RunOutput)
    streamed = "".join(str(event.content or "") for event in deltas if isinstance(event, RunContentEvent))
    assert streamed == output.content
    return streamed, list(output.messages or [])


# a whole run, four ways, two providers --------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_an_agent_run_sends_the_tool_result_compressed_and_keeps_the_original(
    upstream: ScriptedUpstream, provider: Provider, mode: str
) -> None:
    queue(upstream, provider, LOOK, DONE, stream="stream" in mode)
    model = HeadroomAgnoModel(provider.make(upstream.url))
    agent = Agent(model=model, tools=[search_logs])

    answer, stored = run_agent(agent, mode)

    first, second = bodies(upstream, provider)
    assert provider.tool_results(first) == {}
    sent = provider.tool_results(second)["call_logs"]
    assert len(sent) < len(ORIGINAL) / 4
    assert re.search(r"\[headroom: omitted items \d+-\d+ of 300; hash=[0-9a-f]{16}\]", sent)
    assert "disk quota exceeded on /var/data" in sent  # the one error record is kept
    assert answer.endswith(ANSWER)
    assert model.total_tokens_saved > 0
    assert model.records[-1].compressed and model.records[-1].tokens_saved > 0
    assert model.total_tokens_saved == sum(record.tokens_saved for record in model.records)
    # the agent's own messages keep the tool result as the tool returned it
    assert [m.content for m in stored if m.role == "tool"] == [ORIGINAL]
    assert "headroom_retrieve" in provider.tool_names(second)


def test_an_async_run_compresses_off_the_event_loop(
    upstream: ScriptedUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = PROVIDERS["openai"]
    queue(upstream, provider, LOOK, DONE, stream=False)
    model = HeadroomAgnoModel(provider.make(upstream.url))
    agent = Agent(model=model, tools=[search_logs])
    calls = record_parse_and_tokenizer_threads(monkeypatch)

    async def run() -> int:
        await agent.arun("Investigate the issue")
        return threading.get_ident()

    loop_thread = asyncio.run(run())

    assert model.total_tokens_saved > 0
    assert calls  # the records were parsed and counted ...
    assert all(thread != loop_thread for _, thread in calls)  # ... never on the event loop


def test_a_tool_result_from_an_earlier_round_of_the_same_run_stays_compressed(
    upstream: ScriptedUpstream, provider: Provider
) -> None:
    again = Turn(
        "And the worker?", [Call("call_worker", "search_logs", {"service": "worker"})], id_suffix="3"
    )
    queue(upstream, provider, LOOK, again, DONE, stream=False)
    model = HeadroomAgnoModel(provider.make(upstream.url))

    Agent(model=model, tools=[search_logs]).run("Investigate the issue")

    second, third = bodies(upstream, provider)[1:]
    assert provider.tool_results(third)["call_logs"] == provider.tool_results(second)["call_logs"]
    assert len(provider.tool_results(third)["call_worker"]) < len(search_logs("worker")) / 4


# construction -------------------------------------------------------------------------------


def test_positional_and_keyword_construction_wrap_the_model(upstream: ScriptedUpstream) -> None:
    claude = PROVIDERS["claude"].make(upstream.url)
    hooks = CompressionHooks()

    positional = HeadroomAgnoModel(claude)
    keyword = HeadroomAgnoModel(wrapped_model=claude, hooks=hooks, pipeline="aggressive", store="memory://")

    assert positional.wrapped_model is claude and keyword.wrapped_model is claude
    assert positional.id == keyword.id == "claude-sonnet-4-20250514"
    assert positional.compressor.pipeline.name == "default"
    assert keyword.compressor.pipeline.name == "aggressive"
    assert keyword.compressor.hooks is hooks
    assert isinstance(positional, Model)


@pytest.mark.parametrize(
    "options, error",
    [
        ({"pipeline": "/no/such/pipeline.yaml"}, ConfigurationError),
        ({"compress_options": {"no_such_option": 1}}, ConfigurationError),
        ({"store": "ftp://nowhere"}, ConfigurationError),
        ({"min_tokens": -1}, ValueError),
        ({"store": "memory://", "compress_options": {"store": "memory://"}}, ValueError),
    ],
)
def test_a_bad_configuration_raises_when_the_model_is_built(options: dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        HeadroomAgnoModel(OpenAIChat(id="gpt-4o", api_key="test"), **options)


def test_only_an_agno_model_can_be_wrapped() -> None:
    with pytest.raises(TypeError, match="agno Model"):
        HeadroomAgnoModel("gpt-4o")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="already"):
        HeadroomAgnoModel(HeadroomAgnoModel(OpenAIChat(id="gpt-4o", api_key="test")))


# delegation ---------------------------------------------------------------------------------


class Custom(OpenAIChat):
    """A provider class overriding methods agno's Model defines, two levels down."""

    def get_instructions_for_model(self, tools: Any = None) -> list[str]:
        return ["answer in French"]

    def format_function_call_results(
        self, messages: list[Message], function_call_results: Any, **kwargs: Any
    ) -> None:
        for result in function_call_results:
            result.content = f"<result>{result.content}</result>"
        messages.extend(function_call_results)


@pytest.mark.parametrize("model_class", [Claude, OpenAIChat, OpenAIResponses, OpenAILike, Custom])
def test_every_method_the_wrapped_class_defines_over_model_is_the_wrapped_models(model_class: type) -> None:
    wrapped = model_class(id="some-model", api_key="test")
    model = HeadroomAgnoModel(wrapped)
    overridden = {
        name
        for klass in model_class.__mro__
        if klass is not Model and issubclass(klass, Model)
        for name, value in vars(klass).items()
        if callable(value) or isinstance(value, (staticmethod, classmethod))
    }
    overridden = {name for name in overridden if not name.startswith("__")}

    assert delegated_methods(model_class) == overridden - COMPRESSING_METHODS
    for name in delegated_methods(model_class):
        mine, theirs = getattr(model, name), getattr(wrapped, name)
        assert getattr(mine, "__self__", None) is getattr(theirs, "__self__", None), name
        assert getattr(mine, "__func__", mine) is getattr(theirs, "__func__", theirs), name
    for name in COMPRESSING_METHODS:
        assert getattr(model, name).__func__ is getattr(HeadroomAgnoModel, name)


def test_the_methods_named_in_the_issue_are_delegated() -> None:
    assert {"get_system_message_for_model", "count_tokens", "to_dict"} <= delegated_methods(Claude)
    assert {
        "parse_tool_calls",
        "_parse_provider_response",
        "_parse_provider_response_delta",
        "_format_message",
    } <= (delegated_methods(OpenAIChat))
    claude = Claude(id="claude-sonnet-4-20250514", system_prompt="Be brief.")
    model = HeadroomAgnoModel(claude)
    assert model.to_dict() == claude.to_dict()
    assert model.get_system_message_for_model() == claude.get_system_message_for_model()


def test_model_fields_and_the_wrapped_models_own_fields_read_and_write_through(
    upstream: ScriptedUpstream,
) -> None:
    wrapped = OpenAIChat(id="gpt-4o", base_url=upstream.url + "/v1", api_key="test")
    model = HeadroomAgnoModel(wrapped)

    model.retries = 3  # a field of agno's Model
    model.temperature = 0.25  # a field of OpenAIChat
    assert wrapped.retries == 3 and wrapped.temperature == 0.25
    assert model.provider == wrapped.provider and model.get_provider() == wrapped.get_provider()
    assert model.base_url == wrapped.base_url


def test_an_override_of_a_tool_loop_helper_is_used_in_a_run(upstream: ScriptedUpstream) -> None:
    provider = PROVIDERS["openai"]
    queue(upstream, provider, LOOK, DONE, stream=False)
    model = HeadroomAgnoModel(Custom(id="gpt-4o", base_url=upstream.url + "/v1", api_key="test"))
    agent = Agent(model=model, tools=[search_logs], instructions=None)

    agent.run("Investigate the issue")

    second = bodies(upstream, provider)[1]
    assert provider.tool_results(second)["call_logs"].startswith("<result>")
    assert model.get_instructions_for_model() == ["answer in French"]


def test_a_deep_copy_wraps_a_copy_of_the_model_and_keeps_the_totals(upstream: ScriptedUpstream) -> None:
    model = HeadroomAgnoModel(PROVIDERS["openai"].make(upstream.url))
    clone = copy.deepcopy(model)

    assert isinstance(clone, HeadroomAgnoModel)
    assert clone.wrapped_model is not model.wrapped_model
    assert clone.wrapped_model.id == model.id
    assert clone.to_dict.__self__ is clone.wrapped_model  # type: ignore[attr-defined]
    assert clone.compressor is model.compressor


# failing open -------------------------------------------------------------------------------


def test_a_pipeline_that_breaks_at_call_time_sends_the_originals_and_records_why(
    upstream: ScriptedUpstream, provider: Provider, caplog: pytest.LogCaptureFixture
) -> None:
    queue(upstream, provider, LOOK, DONE, stream=False)
    model = HeadroomAgnoModel(provider.make(upstream.url))
    model.compressor.pipeline = object()  # type: ignore[assignment]

    with caplog.at_level(logging.DEBUG, logger="headroom.integrations.agno"):
        answer, _ = run_agent(Agent(model=model, tools=[search_logs]), "run")

    assert answer.endswith(ANSWER)
    assert provider.tool_results(bodies(upstream, provider)[1])["call_logs"] == ORIGINAL
    record = model.records[-1]
    assert not record.compressed and record.tokens_saved == 0
    assert record.failures and "object" in record.failures[0]
    assert any(record.failures[0] in entry.getMessage() for entry in caplog.records)
    assert model.total_tokens_saved == 0
    assert model.totals().failures >= 1


class DropsAMessage(CompressionHooks):
    def pre_compress(self, messages: list[Any], ctx: Any) -> list[Any]:
        return messages[1:]


def test_a_hook_that_changes_the_message_count_sends_the_originals(
    upstream: ScriptedUpstream, provider: Provider, caplog: pytest.LogCaptureFixture
) -> None:
    queue(upstream, provider, LOOK, DONE, stream=False)
    model = HeadroomAgnoModel(provider.make(upstream.url), hooks=DropsAMessage())

    with caplog.at_level(logging.WARNING, logger="headroom.integrations.agno"):
        run_agent(Agent(model=model, tools=[search_logs]), "run")

    assert provider.tool_results(bodies(upstream, provider)[1])["call_logs"] == ORIGINAL
    assert any("messages" in reason for reason in model.records[-1].failures)
    assert not model.records[-1].compressed
    assert model.total_tokens_saved == 0
    assert caplog.records


@pytest.mark.parametrize("mode", ["run", "arun stream"])
def test_an_error_in_the_wrapper_itself_sends_the_originals(
    upstream: ScriptedUpstream, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    provider = PROVIDERS["openai"]
    queue(upstream, provider, LOOK, DONE, stream="stream" in mode)
    model = HeadroomAgnoModel(provider.make(upstream.url))

    def broken(messages: Any) -> set[str]:
        raise RuntimeError("marker scan failed")

    monkeypatch.setattr("headroom.integrations.agno.retrieval.hashes_in", broken)
    answer, _ = run_agent(Agent(model=model, tools=[search_logs]), mode)

    assert answer.endswith(ANSWER)
    assert provider.tool_results(bodies(upstream, provider)[1])["call_logs"] == ORIGINAL
    assert model.records[-1].failures == ("RuntimeError: marker scan failed",)
    assert not model.records[-1].compressed
    assert model.total_tokens_saved == 0


class Raises(CompressionHooks):
    def compute_biases(self, messages: list[Any], ctx: Any) -> dict[int, float]:
        raise RuntimeError("bias service down")


def test_a_hook_that_raises_is_recorded_and_never_reaches_the_agent(
    upstream: ScriptedUpstream, provider: Provider
) -> None:
    queue(upstream, provider, LOOK, DONE, stream=False)
    model = HeadroomAgnoModel(provider.make(upstream.url), hooks=Raises())

    answer, _ = run_agent(Agent(model=model, tools=[search_logs]), "run")

    assert answer.endswith(ANSWER)
    assert any("bias service down" in reason for reason in model.records[-1].failures)


# the retrieve tool --------------------------------------------------------------------------


def _retrieve_the_marked_original(provider: Provider) -> Callable[[dict[str, Any]], Reply]:
    """The model's second turn: call headroom_retrieve with the hash the compressed result names."""

    def reply(body: dict[str, Any]) -> Reply:
        sent = provider.tool_results(body)["call_logs"]
        found = re.search(r"hash=([0-9a-f]{16})", sent)
        assert found is not None, "the tool result reached the model without a marker"
        turn = Turn(
            "Getting the rest.",
            [Call("call_get", "headroom_retrieve", {"hash": found.group(1)})],
            id_suffix="3",
        )
        return (sse_reply if body.get("stream") else json_reply)(provider.format, turn)

    return reply


@pytest.mark.parametrize("mode", MODES)
def test_a_retrieve_call_inside_the_agent_loop_gets_the_original_back(
    upstream: ScriptedUpstream, provider: Provider, mode: str
) -> None:
    queue(upstream, provider, LOOK, _retrieve_the_marked_original(provider), DONE, stream="stream" in mode)
    model = HeadroomAgnoModel(provider.make(upstream.url))

    answer, stored = run_agent(Agent(model=model, tools=[search_logs]), mode)

    third = bodies(upstream, provider)[2]
    assert provider.tool_results(third)["call_get"] == ORIGINAL  # byte for byte, and not compressed again
    assert answer.endswith(ANSWER)
    assert [m.tool_name for m in stored if m.role == "tool"] == ["search_logs", "headroom_retrieve"]


def test_the_retrieve_tool_answers_only_hashes_this_model_sent(upstream: ScriptedUpstream) -> None:
    from headroom.markers import content_hash

    other = "x" * 10
    model = HeadroomAgnoModel(PROVIDERS["openai"].make(upstream.url))

    answer = model.retrieve_function().entrypoint(hash=content_hash(other))  # type: ignore[misc]

    assert answer.startswith("[headroom: unknown, no marker in this conversation names this hash")


def test_the_retrieve_tool_can_be_left_out(upstream: ScriptedUpstream) -> None:
    provider = PROVIDERS["claude"]
    queue(upstream, provider, LOOK, DONE, stream=False)
    model = HeadroomAgnoModel(provider.make(upstream.url), retrieve_tool=False)

    Agent(model=model, tools=[search_logs]).run("Investigate the issue")

    assert all(provider.tool_names(body) == ["search_logs"] for body in bodies(upstream, provider))
    assert model.total_tokens_saved > 0


# imports ------------------------------------------------------------------------------------


def test_importing_headroom_never_imports_agno() -> None:
    loaded = modules_loaded_by("import headroom, headroom.integrations, headroom.integrations.asgi")
    assert not any(name == "agno" or name.startswith("agno.") for name in loaded)
    assert "agno" in modules_loaded_by("import headroom.integrations.agno")
