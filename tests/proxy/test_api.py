"""api.py: the HTTP compression API (POST /v1/compress, GET and POST /v1/retrieve), through the
proxy app served for real, and litellm's own `headroom` guardrail class pointed at it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from headroom import samples
from headroom.ccr import TOOL_NAME
from headroom.compress import compress
from headroom.markers import content_hash
from headroom.stores import MemoryStore
from tests.proxy.conftest import running_proxy
from tests.stub_upstream import StubUpstream

KEY = "sk-api-test-key"
AUTH = {"authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def proxy_url() -> Iterator[str]:
    with StubUpstream() as upstream, running_proxy(upstream.url) as url:
        yield url


@pytest.fixture(scope="module")
def log_text() -> str:
    return samples.application_log()[0]


def _conversation(log: str) -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": "You are an SRE assistant."},
        {"role": "user", "content": "Why did the payment requests fail? Look for the ERROR lines."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "read_log", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": log},
    ]


def _compress(url: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"content-type": "application/json", **(AUTH if headers is None else headers)}
    return httpx.post(f"{url}/v1/compress", content=content, headers=sent, timeout=60)


@pytest.fixture(scope="module")
def compressed(proxy_url: str, log_text: str) -> dict[str, Any]:
    reply = _compress(proxy_url, {"messages": _conversation(log_text), "model": "gpt-4o"})
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_compress_returns_the_messages_compressed_with_the_python_results_figures(
    compressed: dict[str, Any], log_text: str
) -> None:
    assert set(compressed) >= {
        "messages",
        "tokens_before",
        "tokens_after",
        "tokens_saved",
        "compression_ratio",
        "transforms_applied",
        "ccr_hashes",
    }
    messages = compressed["messages"]
    assert len(messages) == 4
    assert messages[:3] == _conversation(log_text)[:3]
    assert len(messages[3]["content"]) < len(log_text) / 2
    assert compressed["tokens_saved"] == compressed["tokens_before"] - compressed["tokens_after"] > 0
    # the fraction removed, as CompressResult.compression_ratio (not the share kept)
    assert compressed["compression_ratio"] == pytest.approx(
        compressed["tokens_saved"] / compressed["tokens_before"]
    )
    assert compressed["compression_ratio"] > 0.5
    assert compressed["transforms_applied"]


def test_every_ccr_hash_is_named_in_the_messages_and_retrieves_its_original(
    proxy_url: str, compressed: dict[str, Any], log_text: str
) -> None:
    hashes = compressed["ccr_hashes"]
    assert content_hash(log_text) in hashes
    for ref in hashes:
        assert f"hash={ref}" in json.dumps(compressed["messages"])
    reply = httpx.get(f"{proxy_url}/v1/retrieve/{content_hash(log_text)}", headers=AUTH)
    assert reply.status_code == 200
    assert reply.json()["original_content"] == log_text
    assert reply.json()["hash"] == content_hash(log_text)


def test_retrieve_with_a_query_returns_the_matching_lines_with_their_numbers(
    proxy_url: str, compressed: dict[str, Any], log_text: str
) -> None:
    ref = content_hash(log_text)
    reply = httpx.get(f"{proxy_url}/v1/retrieve/{ref}", params={"query": "ERROR"}, headers=AUTH)
    body = reply.json()
    error_lines = [
        n for n, line in enumerate(log_text.split("\n"), start=1) if "error" in line.lower()
    ]  # any case
    assert [m["position"] for m in body["matches"]] == error_lines
    assert body["unit"] == "lines" and body["total"] == len(log_text.split("\n"))
    assert body["original_content"].count("\n") == len(error_lines)  # a heading and the lines
    posted = httpx.post(f"{proxy_url}/v1/retrieve", json={"hash": ref, "query": "ERROR"}, headers=AUTH)
    assert posted.json() == body


def test_post_retrieve_without_a_query_returns_the_original(
    proxy_url: str, compressed: dict[str, Any], log_text: str
) -> None:
    reply = httpx.post(f"{proxy_url}/v1/retrieve", json={"hash": content_hash(log_text)}, headers=AUTH)
    assert reply.status_code == 200 and reply.json()["original_content"] == log_text


def test_another_callers_key_cannot_retrieve_the_original(
    proxy_url: str, compressed: dict[str, Any], log_text: str
) -> None:
    ref = content_hash(log_text)
    for headers in ({"authorization": "Bearer sk-someone-else"}, {"x-api-key": "sk-someone-else"}, {}):
        reply = httpx.get(f"{proxy_url}/v1/retrieve/{ref}", headers=headers)
        assert reply.status_code == 404
        assert reply.json()["error"]["message"].startswith("unknown")
    same_key_other_header = httpx.get(f"{proxy_url}/v1/retrieve/{ref}", headers={"x-api-key": KEY})
    assert same_key_other_header.status_code == 200


def test_a_hash_nothing_was_stored_under_is_a_404_saying_unknown(proxy_url: str) -> None:
    reply = httpx.get(f"{proxy_url}/v1/retrieve/{'0' * 16}", headers=AUTH)
    assert reply.status_code == 404
    assert reply.json()["error"]["message"].startswith("unknown")


def test_a_malformed_hash_or_oversized_query_is_a_400(proxy_url: str) -> None:
    assert httpx.get(f"{proxy_url}/v1/retrieve/not-a-hash", headers=AUTH).status_code == 400
    long_query = httpx.get(f"{proxy_url}/v1/retrieve/{'0' * 16}", params={"query": "x" * 600}, headers=AUTH)
    assert long_query.status_code == 400 and "query too long" in long_query.json()["error"]["message"]
    missing = httpx.post(f"{proxy_url}/v1/retrieve", json={"query": "x"}, headers=AUTH)
    assert missing.status_code == 400 and "hash" in missing.json()["error"]["message"]


def test_orphaned_tool_messages_are_accepted_and_the_count_kept(proxy_url: str, log_text: str) -> None:
    """litellm's guardrail sends only the compressible rows: tool results without their calls."""
    messages = [
        {"role": "tool", "tool_call_id": "call_9", "content": log_text},
        {"role": "user", "content": "and the ERROR lines?"},
        {"role": "tool", "tool_call_id": "call_10", "content": "short"},
    ]
    reply = _compress(proxy_url, {"messages": messages, "model": "gpt-4o"})
    assert reply.status_code == 200
    body = reply.json()
    assert len(body["messages"]) == 3
    assert [m["role"] for m in body["messages"]] == ["tool", "user", "tool"]
    assert body["messages"][1:] == messages[1:]
    assert len(body["messages"][0]["content"]) < len(log_text) / 2


def test_anthropic_messages_come_back_in_the_anthropic_format(proxy_url: str, log_text: str) -> None:
    messages = [
        {"role": "user", "content": "Why did payments fail?"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "tu_1", "name": "read_log", "input": {}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": log_text}]},
    ]
    body = _compress(proxy_url, {"messages": messages, "model": "claude-sonnet-4"}).json()
    assert len(body["messages"]) == 3
    result = body["messages"][2]["content"][0]
    assert result["type"] == "tool_result" and result["tool_use_id"] == "tu_1"
    assert body["tokens_saved"] > 0


def test_lossless_mode_drops_nothing(proxy_url: str, log_text: str) -> None:
    messages = _conversation(log_text)
    body = _compress(
        proxy_url, {"messages": messages, "model": "gpt-4o", "config": {"mode": "lossless"}}
    ).json()
    assert body["messages"][3]["content"] == log_text  # a log has nothing to re-encode faithfully
    assert body["ccr_hashes"] == [] and body["tokens_saved"] == 0


@pytest.mark.parametrize(
    ("fields", "options"),
    [
        ({"token_budget": 300}, {"max_tokens": 300}),
        ({"config": {"target_ratio": 0.1}}, {"target_ratio": 0.1}),
        (
            {"token_budget": 500, "config": {"mode": "ccr", "user_query": "billing"}},
            {"max_tokens": 500, "user_query": "billing"},
        ),
    ],
)
def test_budget_and_config_give_what_compress_gives_with_the_same_options(
    proxy_url: str, log_text: str, fields: dict[str, Any], options: dict[str, Any]
) -> None:
    messages = _conversation(log_text)
    body = _compress(proxy_url, {"messages": messages, "model": "gpt-4o", **fields}).json()
    expected = compress(messages, "gpt-4o", store=MemoryStore(), **options)
    assert body["messages"] == expected.messages
    assert body["tokens_after"] == expected.tokens_after


def test_a_token_budget_is_kept(proxy_url: str, log_text: str) -> None:
    loose = _compress(proxy_url, {"messages": _conversation(log_text), "model": "gpt-4o"}).json()
    tight = _compress(
        proxy_url, {"messages": _conversation(log_text), "model": "gpt-4o", "token_budget": 300}
    )
    assert tight.json()["tokens_after"] < loose["tokens_after"]


def test_small_requests_come_back_unchanged(proxy_url: str) -> None:
    messages = [{"role": "user", "content": "hello"}]
    body = _compress(proxy_url, {"messages": messages, "model": "gpt-4o"}).json()
    assert body["messages"] == messages and body["tokens_saved"] == 0 and body["compression_ratio"] == 0.0


@pytest.mark.parametrize(
    ("body", "status", "wanted"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        ({"model": "gpt-4o"}, 400, "missing required field: messages"),
        ({"messages": []}, 400, "missing required field: model"),
        ({"messages": "hi", "model": "gpt-4o"}, 400, "messages must be a list"),
        ({"messages": [], "model": 4}, 400, "model must be a model name"),
        ({"messages": [], "model": "m", "token_budget": -5}, 400, "token_budget"),
        (
            {"messages": [], "model": "m", "config": {"target_ration": 0.5}},
            400,
            'did you mean "target_ratio"',
        ),
        ({"messages": [], "model": "m", "config": {"mode": "losless"}}, 400, 'did you mean "lossless"'),
        ({"messages": [], "model": "m", "config": {"target_ratio": 2}}, 400, "target_ratio"),
        ({"messages": [], "model": "m", "config": "ccr"}, 400, "config must be an object"),
    ],
)
def test_bad_requests_are_400s_that_name_the_problem(
    proxy_url: str, body: Any, status: int, wanted: str
) -> None:
    reply = _compress(proxy_url, body)
    assert reply.status_code == status
    assert reply.headers["content-type"].startswith("application/json")
    assert wanted in reply.json()["error"]["message"]


def test_unknown_config_keys_are_all_named(proxy_url: str) -> None:
    reply = _compress(proxy_url, {"messages": [], "model": "m", "config": {"moode": "ccr", "zzz": 1}})
    message = reply.json()["error"]["message"]
    assert "'moode'" in message and 'did you mean "mode"' in message and "'zzz'" in message


def test_the_compressed_form_is_the_same_on_every_call(proxy_url: str, log_text: str) -> None:
    body = {"messages": _conversation(log_text), "model": "gpt-4o"}
    first, second = _compress(proxy_url, body).json(), _compress(proxy_url, body).json()
    assert first["messages"] == second["messages"]


# litellm's guardrail --------------------------------------------------------------------------


def _guardrail(url: str) -> Any:
    from litellm.proxy.guardrails.guardrail_hooks.headroom import HeadroomGuardrail

    return HeadroomGuardrail(
        api_base=url, api_key=KEY, guardrail_name="headroom", default_on=True, ccr_retrieval=True
    )


def test_litellms_headroom_guardrail_compresses_through_the_api_and_retrieves(
    proxy_url: str, log_text: str
) -> None:
    guardrail = _guardrail(proxy_url)
    conversation = [
        *_conversation(log_text),
        {"role": "assistant", "content": "Let me look at the errors."},
        {"role": "user", "content": "Which request ids failed?"},
    ]

    async def run() -> tuple[Any, str]:
        inputs = {"structured_messages": conversation, "tools": None}
        request_data = {"model": "gpt-4o", "messages": conversation, "metadata": {}}
        rewritten = await guardrail.apply_guardrail(inputs, request_data, "request")
        original = await guardrail._call_retrieve(content_hash(log_text), None)
        return rewritten, original

    rewritten, original = anyio.run(run)
    messages = rewritten["structured_messages"]
    assert len(messages) == len(conversation)
    assert messages[3]["role"] == "tool" and len(messages[3]["content"]) < len(log_text) / 2
    assert f"hash={content_hash(log_text)}" in messages[3]["content"]
    assert messages[:3] == conversation[:3] and messages[4:] == conversation[4:]  # held back by litellm
    assert [tool["function"]["name"] for tool in rewritten["tools"]] == [TOOL_NAME]  # it saw ccr_hashes
    assert original == log_text  # GET /v1/retrieve/{hash}, read the way the guardrail reads it


def test_litellms_guardrail_reads_a_miss_as_not_found(proxy_url: str) -> None:
    answer = anyio.run(_guardrail(proxy_url)._call_retrieve, "0" * 16, None)
    assert "not found or expired" in answer


def test_each_compression_is_counted_in_the_proxys_stats(log_text: str) -> None:
    with StubUpstream() as upstream, running_proxy(upstream.url) as url:
        body = _compress(url, {"messages": _conversation(log_text), "model": "gpt-4o"}).json()
        _compress(url, {"messages": [{"role": "user", "content": "hi"}], "model": "gpt-4o-mini"})
        stats = httpx.get(f"{url}/stats").json()
    counted = stats["models"]["gpt-4o"]
    assert counted["requests"] == 1 and counted["compressed"] == 1
    assert counted["tokens_saved"] == body["tokens_saved"]
    assert stats["models"]["gpt-4o-mini"]["compressed"] == 0
