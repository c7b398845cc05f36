"""HeadroomCallback and each provider LiteLLM sends to: what reaches the wire, sync and async.

A loopback stub speaks each provider's wire format (tests/stub_upstream.py): OpenAI, Azure
OpenAI, Anthropic, Bedrock Converse and InvokeModel (fake AWS keys, a runtime endpoint on
127.0.0.1), Gemini (`api_base` on 127.0.0.1) and Vertex AI (a service account made here, whose
token endpoint is the stub). Every call sends the same OpenAI-format conversation; the test
reads the body the stub received, in the provider's own format.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import litellm
import pytest

from headroom.integrations import litellm_callback
from headroom.integrations.litellm_callback import (
    HeadroomCallback,
    HeadroomCallbackType,
    UncompressedRequestWarning,
)
from headroom.tokens import count_tokens
from tests.stub_upstream import StubUpstream

pytestmark = pytest.mark.usefixtures("clean_litellm_callbacks")

BEDROCK_MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
LOGGER = "headroom.integrations.litellm_callback"


def fake_aws(upstream: StubUpstream) -> dict[str, str]:
    return {
        "aws_access_key_id": "AKIDSTUBSTUBSTUBSTUB",
        "aws_secret_access_key": "stub-secret",
        "aws_region_name": "us-east-1",
        "aws_bedrock_runtime_endpoint": upstream.url,
    }


def vertex_service_account(upstream: StubUpstream) -> dict[str, str]:
    """Google service-account credentials with a fresh key, whose token endpoint is the stub."""
    pytest.importorskip("google.auth", reason="litellm needs google-auth for Vertex AI credentials")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "type": "service_account",
        "project_id": "stub-project",
        "private_key_id": "stub",
        "private_key": pem,
        "client_email": "stub@stub-project.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": f"{upstream.url}/token",
    }


def provider_call(provider: str, upstream: StubUpstream) -> tuple[dict[str, Any], str]:
    """The litellm keyword arguments for a provider, and the path its request arrives on."""
    if provider == "openai":
        return {"model": "openai/gpt-4o", "api_base": upstream.openai_base, "api_key": "sk-stub"}, (
            "/v1/chat/completions"
        )
    if provider == "azure":
        call = {
            "model": "azure/gpt-4o",
            "api_base": upstream.url,
            "api_key": "stub",
            "api_version": "2024-06-01",
        }
        return call, "/openai/deployments/gpt-4o/chat/completions"
    if provider == "anthropic":
        call = {"model": "anthropic/claude-3-5-sonnet-20241022", "api_base": f"{upstream.url}/v1/messages"}
        return {**call, "api_key": "sk-ant-stub"}, "/v1/messages"
    if provider == "bedrock-converse":
        return {
            "model": f"bedrock/converse/{BEDROCK_MODEL}",
            **fake_aws(upstream),
        }, f"/model/{BEDROCK_MODEL}/converse"
    if provider == "bedrock-invoke":
        return {
            "model": f"bedrock/invoke/{BEDROCK_MODEL}",
            **fake_aws(upstream),
        }, f"/model/{BEDROCK_MODEL}/invoke"
    if provider == "bedrock":  # litellm picks the route (Converse for Claude)
        return {"model": f"bedrock/{BEDROCK_MODEL}", **fake_aws(upstream)}, "/model/*"
    if provider == "gemini":
        call = {"model": "gemini/gemini-1.5-pro", "api_base": f"{upstream.url}/v1beta", "api_key": "stub"}
        return call, "/v1beta/models/gemini-1.5-pro:generateContent"
    assert provider == "vertex"
    call = {
        "model": "vertex_ai/gemini-1.5-pro",
        "vertex_credentials": vertex_service_account(upstream),
        "vertex_project": "stub-project",
        "vertex_location": "us-central1",
        "api_base": upstream.url,
    }
    publisher = "/v1/projects/stub-project/locations/us-central1/publishers/google"
    return call, f"{publisher}/models/gemini-1.5-pro:generateContent"


def send(mode: str, messages: list[dict[str, Any]], call: dict[str, Any]) -> str:
    if mode == "sync":
        response = litellm.completion(messages=messages, **call)
    else:
        response = asyncio.run(litellm.acompletion(messages=messages, **call))
    return str(response.choices[0].message.content)


def text_leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from text_leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from text_leaves(item)


def wire_tokens(body: Any) -> int:
    return sum(count_tokens(text, "gpt-4o") for text in text_leaves(body))


@pytest.fixture
def callback() -> Iterator[HeadroomCallbackType]:
    litellm_callback._warned.clear()  # each test sees the once-per-process warning afresh
    registered = HeadroomCallback()
    litellm.callbacks = [registered]
    yield registered
    litellm_callback._warned.clear()


COMPRESSED_EVERY_WAY = ["openai", "azure", "anthropic", "gemini", "vertex"]
COMPRESSED_ASYNC_ONLY = ["bedrock-converse", "bedrock-invoke", "bedrock"]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("provider", COMPRESSED_EVERY_WAY)
def test_the_provider_receives_the_compressed_request(
    callback, upstream, openai_messages, provider, mode
) -> None:
    call, path = provider_call(provider, upstream)

    assert send(mode, openai_messages, call) == "stub reply"

    body = upstream.last(path).json()
    assert wire_tokens(body) < wire_tokens(openai_messages) / 4
    assert "[headroom: omitted" in json.dumps(body)
    assert callback.totals().requests_compressed == 1
    assert callback.totals().uncompressed == 0


@pytest.mark.parametrize("provider", COMPRESSED_ASYNC_ONLY)
def test_bedrock_receives_the_compressed_request_through_acompletion(
    callback, upstream, openai_messages, provider
) -> None:
    call, path = provider_call(provider, upstream)

    assert send("async", openai_messages, call) == "stub reply"

    body = upstream.last(path).json()
    assert wire_tokens(body) < wire_tokens(openai_messages) / 4
    assert "[headroom: omitted" in json.dumps(body)


@pytest.mark.parametrize("provider", COMPRESSED_ASYNC_ONLY)
def test_sync_bedrock_goes_out_uncompressed_loudly_once_and_counted(
    callback, upstream, openai_messages, provider, caplog
) -> None:
    call, path = provider_call(provider, upstream)
    caplog.set_level(logging.WARNING, logger=LOGGER)

    with pytest.warns(UncompressedRequestWarning, match="signs \\(AWS SigV4\\)") as first:
        send("sync", openai_messages, call)
    with warnings_recorded() as second:
        send("sync", openai_messages, call)

    body = upstream.last(path).json()
    assert wire_tokens(body) > wire_tokens(openai_messages) * 0.9  # what the caller sent, not less
    assert "[headroom:" not in json.dumps(body)
    assert len([w for w in first if w.category is UncompressedRequestWarning]) == 1
    assert not [w for w in second if w.category is UncompressedRequestWarning]  # once per process
    records = [r for r in caplog.records if r.name == LOGGER]
    assert len(records) == 1 and records[0].levelname == "WARNING"
    assert "litellm.acompletion" in records[0].getMessage()
    totals = callback.totals()
    assert (totals.requests_seen, totals.requests_compressed, totals.uncompressed) == (2, 0, 2)
    assert dict(totals.uncompressed_reasons) == {
        litellm_callback._SIGNED_BEFORE_THE_LAST_CALLBACK["bedrock"]: 2
    }
    assert totals.total_tokens_saved == 0


def test_a_small_sync_bedrock_request_is_neither_warned_about_nor_counted_as_uncompressed(
    callback, upstream
) -> None:
    call, path = provider_call("bedrock-converse", upstream)

    with warnings_recorded() as seen:
        send("sync", [{"role": "user", "content": "Hello there"}], call)

    assert upstream.last(path).json()["messages"][0]["content"][0]["text"] == "Hello there"
    assert not [w for w in seen if w.category is UncompressedRequestWarning]
    assert (callback.totals().requests_seen, callback.totals().uncompressed) == (1, 0)


def test_sync_gemini_keeps_everything_but_the_compressed_text(callback, upstream, openai_messages) -> None:
    litellm.callbacks = []
    call, path = provider_call("gemini", upstream)
    send("sync", openai_messages, call)
    plain = upstream.last(path).json()
    litellm.callbacks = [callback]

    send("sync", openai_messages, call)

    compressed = upstream.last(path).json()
    assert [c["role"] for c in compressed["contents"]] == [c["role"] for c in plain["contents"]]
    for before, after in zip(plain["contents"], compressed["contents"], strict=True):
        assert [sorted(part) for part in after["parts"]] == [sorted(part) for part in before["parts"]]
    calls = [
        part for content in compressed["contents"] for part in content["parts"] if "function_call" in part
    ]
    assert calls == [
        part for content in plain["contents"] for part in content["parts"] if "function_call" in part
    ]
    assert {key: value for key, value in compressed.items() if key != "contents"} == {
        key: value for key, value in plain.items() if key != "contents"
    }


@contextlib.contextmanager
def warnings_recorded() -> Iterator[list[warnings.WarningMessage]]:
    """Records every warning in the block (like pytest.warns, but asserting nothing by itself)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
