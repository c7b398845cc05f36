"""HeadroomCallback with the real litellm, against a stub provider on 127.0.0.1."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import uuid
from typing import Any

import litellm
import pytest
from litellm.integrations.custom_logger import CustomLogger

from headroom import CompressEvent, CompressionHooks, retrieve, samples
from headroom.ccr.stores import StoreConfigError
from headroom.integrations.litellm_callback import HeadroomCallback, HeadroomCallbackType
from headroom.pipeline.errors import PipelineSpecError, UnknownPipelineError
from tests.integrations.checks import assert_compressed, tokens
from tests.stub_upstream import StubUpstream

OPENAI_MODEL = "openai/gpt-4o"
ANTHROPIC_MODEL = "anthropic/claude-3-5-sonnet-20241022"
LOGGER = "headroom.integrations.litellm_callback"
PASSWORD = "hunter2pass"


pytestmark = pytest.mark.usefixtures("clean_litellm_callbacks")


@pytest.fixture
def callback() -> HeadroomCallbackType:
    registered = HeadroomCallback()
    litellm.callbacks = [registered]
    return registered


def openai_call(upstream: StubUpstream, messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "model": OPENAI_MODEL,
        "messages": messages,
        "api_base": upstream.openai_base,
        "api_key": "sk-stub",
        **extra,
    }


def anthropic_call(upstream: StubUpstream, messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "model": ANTHROPIC_MODEL,
        "messages": messages,
        "api_base": f"{upstream.url}/v1/messages",
        "api_key": "sk-ant-stub",
        **extra,
    }


def received_messages(upstream: StubUpstream, path: str = "/v1/chat/completions") -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = upstream.last(path).json()["messages"]
    return messages


def test_sync_completion_sends_compressed_messages(callback, upstream, openai_messages) -> None:
    original = copy.deepcopy(openai_messages)

    response = litellm.completion(**openai_call(upstream, openai_messages))

    assert response.choices[0].message.content == "stub reply"
    received = received_messages(upstream)
    assert_compressed(openai_messages, received)
    assert [m["role"] for m in received] == [m["role"] for m in openai_messages]
    assert openai_messages == original  # the caller's list is never touched


def test_acompletion_sends_compressed_messages(callback, upstream, openai_messages) -> None:
    response = asyncio.run(litellm.acompletion(**openai_call(upstream, openai_messages)))

    assert response.choices[0].message.content == "stub reply"
    assert_compressed(openai_messages, received_messages(upstream))


def test_sync_streaming_call_sends_compressed_messages(callback, upstream, openai_messages) -> None:
    chunks = list(litellm.completion(**openai_call(upstream, openai_messages, stream=True)))

    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert text.strip() == "stub reply"
    assert upstream.last().json()["stream"] is True
    assert_compressed(openai_messages, received_messages(upstream))


def test_async_streaming_call_sends_compressed_messages(callback, upstream, openai_messages) -> None:
    async def stream() -> str:
        response = await litellm.acompletion(**openai_call(upstream, openai_messages, stream=True))
        return "".join([chunk.choices[0].delta.content or "" async for chunk in response])

    assert asyncio.run(stream()).strip() == "stub reply"
    assert_compressed(openai_messages, received_messages(upstream))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_anthropic_model_through_completion_is_compressed(callback, upstream, openai_messages, mode) -> None:
    call = anthropic_call(upstream, openai_messages)
    if mode == "sync":
        litellm.completion(**call)
    else:
        asyncio.run(litellm.acompletion(**call))

    body = upstream.last("/v1/messages").json()
    assert body["system"][0]["text"] == openai_messages[0]["content"]  # the system prompt is untouched
    assert_compressed(openai_messages, body["messages"])


def test_anthropic_format_call_keeps_system_and_compresses_messages(
    callback, upstream, anthropic_messages
) -> None:
    system = "You are an on-call assistant."
    asyncio.run(
        litellm.anthropic.messages.acreate(
            model=ANTHROPIC_MODEL,
            messages=anthropic_messages,
            system=system,
            max_tokens=64,
            api_base=upstream.url,
            api_key="sk-ant-stub",
        )
    )

    body = upstream.last("/v1/messages").json()
    assert body["system"] == system
    assert_compressed(anthropic_messages, body["messages"])
    tool_result = body["messages"][2]["content"][1]
    assert tool_result["cache_control"] == {"type": "ephemeral"}  # everything but the text is kept


def responses_input() -> list[dict[str, Any]]:
    records, _ = samples.json_records()
    log, _ = samples.application_log()
    return [
        {"role": "user", "content": "Why did order ord-10187 fail?"},
        {"type": "function_call", "call_id": "call_orders", "name": "list_orders", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_orders", "output": json.dumps(records, indent=2)},
        {"type": "function_call", "call_id": "call_logs", "name": "read_log", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_logs", "output": log},
    ]


def test_responses_call_compresses_tool_outputs_and_keeps_items(callback, upstream) -> None:
    items = responses_input()

    asyncio.run(
        litellm.aresponses(model=OPENAI_MODEL, input=items, api_base=upstream.openai_base, api_key="sk-stub")
    )

    sent = upstream.last("/v1/responses").json()["input"]
    assert [item.get("type") for item in sent] == [item.get("type") for item in items]
    assert [item.get("call_id") for item in sent] == [item.get("call_id") for item in items]
    assert len(json.dumps(sent)) < len(json.dumps(items)) / 2
    assert "[headroom: omitted" in sent[2]["output"]


def test_small_requests_are_sent_as_they_are(callback, upstream) -> None:
    messages = [{"role": "user", "content": "Hello there"}]

    litellm.completion(**openai_call(upstream, messages))

    assert received_messages(upstream) == messages
    assert (callback.requests_seen, callback.requests_compressed, callback.total_tokens_saved) == (1, 0, 0)


def test_running_totals_add_up_what_was_saved(callback, upstream, openai_messages) -> None:
    litellm.completion(**openai_call(upstream, openai_messages))
    first = tokens(openai_messages) - tokens(received_messages(upstream))
    asyncio.run(litellm.acompletion(**openai_call(upstream, openai_messages)))

    assert callback.requests_seen == 2
    assert callback.requests_compressed == 2
    assert callback.total_tokens_saved >= 2 * first * 0.9  # the engine's count, not ours: close, not equal
    assert callback.totals().failures == 0


def test_options_reach_the_engine(upstream, openai_messages) -> None:
    events: list[CompressEvent] = []

    class Recorder(CompressionHooks):
        def post_compress(self, event: CompressEvent, **kwargs: Any) -> None:
            events.append(event)

    tight = HeadroomCallback(pipeline="aggressive", hooks=Recorder(), min_tokens=10, model_limit=1500)
    litellm.callbacks = [tight]
    litellm.completion(**openai_call(upstream, openai_messages))

    assert [event.pipeline for event in events] == ["aggressive"]
    assert tokens(received_messages(upstream)) < 2500  # held near the 1,500-token limit


def test_errors_leave_the_request_as_it_was_and_are_logged_once(upstream, openai_messages, caplog) -> None:
    litellm.completion(**openai_call(upstream, openai_messages))
    without_headroom = upstream.last().body
    unreachable = f"redis://:{PASSWORD}@127.0.0.1:1/0?prefix=test-{uuid.uuid4().hex}"
    broken = HeadroomCallback(compress_options={"store": unreachable})
    litellm.callbacks = [broken]
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    litellm.completion(**openai_call(upstream, openai_messages))
    sync_body = upstream.last().body
    asyncio.run(litellm.acompletion(**openai_call(upstream, openai_messages)))

    assert sync_body == without_headroom
    assert upstream.last().body == without_headroom
    records = [r for r in caplog.records if r.name == LOGGER]
    assert [r.levelname for r in records] == ["WARNING", "DEBUG"]  # one record per failure; repeats quieter
    assert "store redis://***@127.0.0.1:1/0" in records[0].getMessage()
    assert PASSWORD not in caplog.text and PASSWORD not in repr(broken)
    assert (broken.requests_seen, broken.requests_compressed, broken.totals().failures) == (2, 0, 2)


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"pipeline": "no-such-pipeline"}, UnknownPipelineError),
        ({"pipeline": {"version": 1, "name": "x", "stages": {"a": {"use": "nope.v1"}}}}, PipelineSpecError),
        ({"compress_options": {"max_token": 10}}, TypeError),
        ({"compress_options": {"store": "postgres://db"}}, StoreConfigError),
        ({"compress_options": {"namespace": "mine"}}, ValueError),
    ],
)
def test_a_bad_configuration_stops_the_callback_when_it_is_built(
    settings: dict[str, Any], error: type
) -> None:
    with pytest.raises(error):
        HeadroomCallback(**settings)


def test_each_caller_is_compressed_in_the_namespace_of_its_key(callback, upstream, openai_messages) -> None:
    from headroom.ccr.stores import namespace_for_credential
    from headroom.markers import find_markers

    litellm.completion(**openai_call(upstream, openai_messages, api_key="sk-tenant-a"))
    asyncio.run(litellm.acompletion(**openai_call(upstream, openai_messages, api_key="sk-tenant-b")))
    (marker, *_) = find_markers(received_messages(upstream)[4]["content"])
    for key in ("sk-tenant-a", "sk-tenant-b"):
        assert retrieve(marker.hash, namespace=namespace_for_credential(key)) == openai_messages[4]["content"]
    assert retrieve(marker.hash) is None  # not in the default namespace
    assert retrieve(marker.hash, namespace=namespace_for_credential("sk-tenant-c")) is None


def test_the_proxy_callers_virtual_key_names_the_namespace() -> None:
    from headroom.integrations.litellm_callback import caller_credential

    proxied = {"api_key": "sk-provider", "metadata": {"user_api_key_hash": "hash-of-caller"}}
    assert caller_credential(proxied) == "hash-of-caller"
    assert caller_credential({"api_key": "sk-x"}) == "sk-x"
    assert caller_credential({"api_key": None, "litellm_params": {"api_key": "sk-y"}}) == "sk-y"
    assert caller_credential({}) is None


class Unreadable(dict):  # type: ignore[type-arg]
    def get(self, key: Any, default: Any = None) -> Any:
        raise RuntimeError(f"cannot read {key}")


def test_hooks_given_a_request_they_cannot_read_leave_it_alone(caplog) -> None:
    callback = HeadroomCallback()
    caplog.set_level(logging.WARNING, logger=LOGGER)

    assert asyncio.run(callback.async_pre_call_deployment_hook(Unreadable(), "acompletion")) is None
    callback.log_pre_api_call("gpt-4o", [], Unreadable())

    assert callback.totals().failures == 2
    assert "RuntimeError: cannot read" in caplog.records[0].getMessage()


def test_headroom_callback_is_an_instance_and_builds_new_ones() -> None:
    assert isinstance(HeadroomCallback, CustomLogger)  # what litellm's proxy loader insists on
    built = HeadroomCallback(pipeline="lossless", min_tokens=0)
    assert type(built) is HeadroomCallbackType
    assert built is not HeadroomCallback
    assert built.compressor.pipeline.name == "lossless"
    assert isinstance(built, HeadroomCallback)
    assert not isinstance(object(), HeadroomCallback)

    class Custom(HeadroomCallback):  # type: ignore[misc,valid-type]
        pass

    assert issubclass(Custom, HeadroomCallbackType)
    assert isinstance(Custom(), HeadroomCallback)


def test_litellm_calling_the_shared_instance_as_a_logger_function_does_nothing() -> None:
    # litellm calls every callable callback as fn(kwargs, response, start, end), awaited on async calls
    outcome = HeadroomCallback({"model": "gpt-4o"}, None, None, None)
    assert not isinstance(outcome, CustomLogger)
    assert asyncio.run(_await(outcome)) is None


async def _await(value: Any) -> Any:
    return await value
