"""The compressed routes, driven by the real anthropic and openai SDKs through the proxy to a
stub provider: what reaches the provider is compressed, valid and paired; what the proxy does
not change goes byte for byte; headers pass as sent."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import openai
import pytest

from headroom import ccr, samples
from tests.integrations.checks import assert_compressed
from tests.proxy.conftest import running_proxy
from tests.stub_upstream import StubUpstream

MODEL = "claude-sonnet-4-5"
TOOLS = [{"name": "read_log", "description": "Read a log file", "input_schema": {"type": "object"}}]


def _tool_use_ids(messages: list[dict[str, Any]]) -> list[str]:
    return [
        block["id"]
        for message in messages
        if isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_use"
    ]


def _tool_result_ids(messages: list[dict[str, Any]]) -> list[str]:
    return [
        block["tool_use_id"]
        for message in messages
        if isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]


def test_anthropic_sdk_json_call_is_compressed_and_paired(upstream: StubUpstream, proxy: str) -> None:
    messages = samples.anthropic_conversation()
    client = anthropic.Anthropic(base_url=proxy, api_key="sk-ant-test-key")
    raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=64, messages=messages, tools=TOOLS)
    assert raw.parse().content[0].text == "stub reply"
    sent = upstream.last("/v1/messages").json()
    assert_compressed(messages, sent["messages"])
    assert len(sent["messages"]) == len(messages)
    assert _tool_use_ids(sent["messages"]) == _tool_result_ids(sent["messages"]) == _tool_use_ids(messages)
    assert [tool["name"] for tool in sent["tools"]] == ["read_log", ccr.TOOL_NAME]
    before = int(raw.headers["x-headroom-tokens-before"])
    after = int(raw.headers["x-headroom-tokens-after"])
    assert before > after > 0
    assert int(raw.headers["x-headroom-tokens-saved"]) == before - after


def test_anthropic_sdk_stream_passes_through(upstream: StubUpstream, proxy: str) -> None:
    messages = samples.anthropic_conversation()
    client = anthropic.Anthropic(base_url=proxy, api_key="sk-ant-test-key")
    with client.messages.stream(model=MODEL, max_tokens=64, messages=messages, tools=TOOLS) as stream:
        assert stream.get_final_text() == "stub reply"
    assert_compressed(messages, upstream.last("/v1/messages").json()["messages"])


@pytest.mark.parametrize("stream", [False, True])
def test_openai_sdk_chat_is_compressed(upstream: StubUpstream, proxy: str, stream: bool) -> None:
    messages = samples.openai_conversation()
    client = openai.OpenAI(base_url=f"{proxy}/v1", api_key="sk-test-key")
    if stream:
        text = "".join(
            chunk.choices[0].delta.content or ""
            for chunk in client.chat.completions.create(model="gpt-4o", messages=messages, stream=True)  # type: ignore[arg-type]
            if chunk.choices
        )
    else:
        reply = client.chat.completions.create(model="gpt-4o", messages=messages)  # type: ignore[arg-type]
        text = reply.choices[0].message.content or ""
    assert text.strip() == "stub reply"
    sent = upstream.last("/v1/chat/completions").json()
    assert_compressed(messages, sent["messages"])
    assert [call["id"] for call in sent["messages"][2]["tool_calls"]] == [
        message["tool_call_id"] for message in sent["messages"][3:]
    ]


def test_openai_sdk_responses_input_is_compressed(upstream: StubUpstream, proxy: str) -> None:
    log, _ = samples.application_log()
    items: list[Any] = [
        {"role": "user", "content": "What failed in checkout?"},
        {"type": "function_call", "call_id": "call_1", "name": "read_log", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": log},
    ]
    client = openai.OpenAI(base_url=f"{proxy}/v1", api_key="sk-test-key")
    reply = client.responses.create(model="gpt-4o", input=items)
    assert reply.output_text == "stub reply"
    sent = upstream.last("/v1/responses").json()
    assert [item.get("type") for item in sent["input"]] == [None, "function_call", "function_call_output"]
    assert len(sent["input"][2]["output"]) < len(log) / 3
    assert "[headroom: omitted" in sent["input"][2]["output"]


def test_a_request_the_proxy_does_not_change_goes_as_the_exact_bytes(
    upstream: StubUpstream, proxy: str
) -> None:
    # Odd spacing, a number as written and an unknown field: none of it may be re-encoded.
    body = b'{"model": "gpt-4o",  "messages": [{"role": "user", "content": "hi \\u00e9"}], "x": 1E+2}'
    reply = httpx.post(
        f"{proxy}/v1/chat/completions",
        content=body,
        headers={"content-type": "application/json", "authorization": "Bearer sk-test"},
    )
    assert reply.status_code == 200
    assert upstream.last("/v1/chat/completions").body == body
    assert reply.headers["x-headroom-tokens-saved"] == "0"


def test_only_the_compressed_strings_change_in_a_compressed_body(upstream: StubUpstream, proxy: str) -> None:
    messages = samples.anthropic_conversation()
    written = '"x_big": 123456789012345678901234567890, "e": 1E+2, "s": "caf\\u00e9"'
    body = f'{{"model": "{MODEL}",  {written}, "max_tokens": 64, "messages": {json.dumps(messages)}}}'
    httpx.post(f"{proxy}/v1/messages", content=body, headers={"x-api-key": "sk-ant-k"})
    sent = upstream.last("/v1/messages").body
    assert sent.startswith(body[: body.index('"messages"')].encode())  # numbers and escapes as written
    assert len(sent) < len(body) / 3


def test_client_headers_go_upstream_unchanged_and_headroom_ones_are_stripped(
    upstream: StubUpstream, proxy: str
) -> None:
    headers = {
        "x-api-key": "sk-ant-secret",
        "anthropic-version": "2023-06-01",
        "anthropic-beta": "prompt-caching-2024-07-31,interleaved-thinking",
        "x-custom-client": "kept",
        "x-headroom-note": "not for the provider",
    }
    body = {"model": MODEL, "max_tokens": 8, "messages": samples.anthropic_conversation()}
    httpx.post(f"{proxy}/v1/messages?beta=true", json=body, headers=headers)
    received = upstream.last("/v1/messages")
    for name in ("x-api-key", "anthropic-version", "anthropic-beta", "x-custom-client"):
        assert received.headers[name] == headers[name]
    assert "x-headroom-note" not in received.headers


def test_the_query_string_is_kept() -> None:
    seen: list[str] = []

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from tests.stub_upstream import serve_in_thread

    async def messages(request: Request) -> JSONResponse:
        seen.append(str(request.url.query))
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/v1/messages", messages, methods=["POST"])])
    with serve_in_thread(app) as url, running_proxy(url) as proxy:
        httpx.post(f"{proxy}/v1/messages?beta=true", json={"model": MODEL, "messages": []})
    assert seen == ["beta=true"]


def test_bypass_sends_the_request_as_it_came(upstream: StubUpstream, proxy: str) -> None:
    body = json.dumps(
        {"model": MODEL, "max_tokens": 8, "messages": samples.anthropic_conversation()}
    ).encode()
    reply = httpx.post(
        f"{proxy}/v1/messages", content=body, headers={"x-headroom-bypass": "true", "x-api-key": "sk-ant-k"}
    )
    assert reply.status_code == 200
    received = upstream.last("/v1/messages")
    assert received.body == body
    assert "x-headroom-bypass" not in received.headers


def test_a_compression_failure_sends_the_original(
    upstream: StubUpstream, proxy: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from headroom.integrations import _compressor

    def broken(self: Any, messages: Any, *rest: Any) -> Any:
        raise RuntimeError("stage exploded")

    monkeypatch.setattr(_compressor.RequestCompressor, "_messages_plan", broken)
    body = json.dumps(
        {"model": MODEL, "max_tokens": 8, "messages": samples.anthropic_conversation()}
    ).encode()
    with caplog.at_level("WARNING", logger="headroom.proxy"):
        reply = httpx.post(f"{proxy}/v1/messages", content=body, headers={"x-api-key": "sk-ant-k"})
    assert reply.status_code == 200
    assert upstream.last("/v1/messages").body == body
    assert "stage exploded" in caplog.text


def test_a_body_that_is_not_json_goes_upstream_as_it_is(upstream: StubUpstream, proxy: str) -> None:
    httpx.post(
        f"{proxy}/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert upstream.last("/v1/chat/completions").body == b"{not json"


def test_unknown_fields_and_block_types_pass_untouched(upstream: StubUpstream, proxy: str) -> None:
    messages = samples.anthropic_conversation()
    messages[0]["content"].append({"type": "future_block", "payload": {"a": [1, 2]}})
    request = {"model": MODEL, "max_tokens": 8, "messages": messages, "future_field": {"deep": True}}
    httpx.post(f"{proxy}/v1/messages", json=request, headers={"x-api-key": "sk-ant-k"})
    sent = upstream.last("/v1/messages").json()
    assert sent["future_field"] == {"deep": True}
    assert sent["messages"][0]["content"][-1] == {"type": "future_block", "payload": {"a": [1, 2]}}


def test_stats_count_each_request_by_model_and_a_failure_as_one(
    upstream: StubUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_proxy(upstream.url) as proxy:
        body = {"model": MODEL, "max_tokens": 8, "messages": samples.anthropic_conversation()}
        reply = httpx.post(f"{proxy}/v1/messages", json=body, headers={"x-api-key": "sk-ant-k"})
        from headroom.integrations import _compressor

        def broken(self: Any, messages: Any, *rest: Any) -> Any:
            raise RuntimeError("stage exploded")

        monkeypatch.setattr(_compressor.RequestCompressor, "_messages_plan", broken)
        httpx.post(f"{proxy}/v1/messages", json=body, headers={"x-api-key": "sk-ant-k"})
        stats = httpx.get(f"{proxy}/stats").json()
    counts = stats["models"][MODEL]
    assert (counts["requests"], counts["compressed"], counts["failed"]) == (2, 1, 1)
    assert counts["tokens_saved"] == int(reply.headers["x-headroom-tokens-saved"])
