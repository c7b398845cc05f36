"""The cloud backends: an Anthropic Messages body in, litellm's call to the provider, Anthropic out.

litellm runs unchanged against loopback stubs of each provider's wire format
(tests/proxy/provider_stubs.py): Bedrock InvokeModel with AWS SigV4 and event-stream frames,
Vertex AI rawPredict / streamRawPredict behind a service account whose token endpoint is the
stub, Azure OpenAI and OpenRouter chat completions with SSE. Credentials come from the
environment, as in production. Each test reads what the stub received, in the provider's own
format, and parses what came back with the `anthropic` SDK's own types.

Three layers: `litellm_upstream` called directly (formats, errors, model names, credentials);
the whole proxy served by uvicorn with the `anthropic` SDK as its client (compression before
the provider, `headroom_retrieve` answered inside, faults as the client sees them); and what
each provider receives of Anthropic-only features (thinking, cache_control, documents,
anthropic-beta, server tools), which the backends guide reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import httpx
import pytest
from anthropic.types import Message, RawMessageStreamEvent
from pydantic import TypeAdapter

from headroom import ccr, samples
from headroom.proxy import backends, create_app
from headroom.proxy.backends import check_backend, litellm_upstream, provider_model
from headroom.proxy.config import LITELLM_BACKENDS, ProxyConfig
from headroom.proxy.upstream import UpstreamFailure, UpstreamReply
from tests.integrations.checks import assert_compressed
from tests.proxy.provider_stubs import ProviderStub, Script, ToolCall
from tests.stub_upstream import RecordedRequest, serve_in_thread

STREAM_EVENT = TypeAdapter(RawMessageStreamEvent)
# What a compressed tool result looks like when it reaches the backend: a kept line, a marker
# for what was dropped, quotes, a tab and non-ASCII text; it must reach the provider unchanged.
COMPRESSED = (
    'ERROR checkout failed for "ord-10187":\tcard declined — retry later\n'
    "[... 1,204 lines omitted; headroom_retrieve hash=3f9a0c1d2e ...]\n"
    "INFO shutdown complete"
)
TOOLS = [
    {
        "name": "read_log",
        "description": "Read a log file",
        "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
    }
]
REPLY_TOOL = ToolCall("read_log", {"path": "/var/log/app/payments.log"}, id="toolu_reply_1")


def request_body(model: str, *, stream: bool, **extra: Any) -> bytes:
    """An agent's second turn: it called a tool, the (compressed) result goes back."""
    messages = [
        {"role": "user", "content": "Why did order ord-10187 fail?"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Reading the checkout log."},
                {"type": "tool_use", "id": "toolu_1", "name": "read_log", "input": {"path": "checkout.log"}},
            ],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": COMPRESSED}],
        },
    ]
    body = {
        "model": model,
        "max_tokens": 512,
        "system": "You are on call.",
        "messages": messages,
        "tools": TOOLS,
    }
    return json.dumps({**body, "stream": stream, **extra}).encode()


# --- each backend: its settings, its environment, how its wire format reads -----------------


@dataclass(frozen=True)
class Backend:
    name: str
    client_model: str  # what the client sends
    wire_model: str  # where the provider's name for it shows in the request (path or body)
    region: str | None
    wire: str  # "anthropic" (the body stays Anthropic's) or "chat" (translated to chat completions)
    base_path: str = ""  # appended to the stub's URL for --backend-api-url


BACKENDS = {
    "bedrock": Backend(
        "bedrock",
        "claude-3-5-sonnet-20240620",
        "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
        "us-east-1",
        "anthropic",
    ),
    "vertex_ai": Backend(
        "vertex_ai", "claude-sonnet-4-20250514", "claude-sonnet-4@20250514", "us-east5", "anthropic"
    ),
    "azure": Backend("azure", "claude-deployment", "claude-deployment", None, "chat"),
    "openrouter": Backend(
        "openrouter",
        "claude-3-5-sonnet-20241022",
        "anthropic/claude-3.5-sonnet",
        None,
        "chat",
        base_path="/api/v1",
    ),
}


def vertex_credentials(stub: ProviderStub, folder: Path) -> Path:
    """A Google service account with a fresh key, whose token endpoint is the stub."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    account = {
        "type": "service_account",
        "project_id": "stub-project",
        "private_key_id": "stub",
        "private_key": pem,
        "client_email": "stub@stub-project.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": f"{stub.url}/token",
    }
    path = folder / "service-account.json"
    path.write_text(json.dumps(account))
    return path


CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_BEDROCK_RUNTIME_ENDPOINT",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "VERTEXAI_PROJECT",
    "VERTEXAI_LOCATION",
    "AZURE_API_KEY",
    "AZURE_API_BASE",
    "AZURE_API_VERSION",
    "OPENROUTER_API_KEY",
    "OPENROUTER_API_BASE",
    backends.MODEL_MAP_ENV,
)


@pytest.fixture(scope="module")
def stub() -> Iterator[ProviderStub]:
    with ProviderStub() as server:
        yield server


@pytest.fixture(scope="module")
def vertex_key_file(stub: ProviderStub, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("google.auth", reason="litellm needs google-auth for Vertex AI credentials")
    return vertex_credentials(stub, tmp_path_factory.mktemp("vertex"))


@pytest.fixture
def provider(stub: ProviderStub) -> Iterator[ProviderStub]:
    stub.requests.clear()
    stub.answers.clear()
    stub.script = Script()
    yield stub


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Backend:
    return BACKENDS[request.param]


@pytest.fixture
def environment(
    monkeypatch: pytest.MonkeyPatch, backend: Backend, provider: ProviderStub, vertex_key_file: Path
) -> dict[str, str]:
    """The provider's credentials in the environment, where litellm reads them."""
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    values = {
        "bedrock": {"AWS_ACCESS_KEY_ID": "AKIDSTUBSTUBSTUBSTUB", "AWS_SECRET_ACCESS_KEY": "stub-secret"},
        "vertex_ai": {
            "GOOGLE_APPLICATION_CREDENTIALS": str(vertex_key_file),
            "VERTEXAI_PROJECT": "stub-project",
        },
        "azure": {"AZURE_API_KEY": "azure-stub-key", "AZURE_API_VERSION": "2024-10-21"},
        "openrouter": {"OPENROUTER_API_KEY": "sk-or-stub-key"},
    }[backend.name]
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def config_for(backend: Backend, stub: ProviderStub, **changes: Any) -> ProxyConfig:
    settings = {
        "backend": backend.name,
        "region": backend.region,
        "backend_api_url": stub.url + backend.base_path,
    }
    return ProxyConfig(**(settings | changes)).check()


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def call(
    config: ProxyConfig, body: bytes, headers: list[tuple[str, str]] | None = None
) -> UpstreamReply:
    return await litellm_upstream(config, headers or [])(body)


async def call_and_read(config: ProxyConfig, body: bytes) -> tuple[UpstreamReply, bytes]:
    reply = await call(config, body)
    return reply, await reply.read()


# --- reading what the provider received ---------------------------------------------------


def tool_results_sent(backend: Backend, sent: dict[str, Any]) -> dict[str, str]:
    """Tool call id -> the result text, as the provider's format carries it."""
    if backend.wire == "anthropic":
        return {
            block["tool_use_id"]: block["content"]
            for message in sent["messages"]
            if isinstance(message["content"], list)
            for block in message["content"]
            if block.get("type") == "tool_result"
        }
    return {m["tool_call_id"]: _chat_text(m["content"]) for m in sent["messages"] if m["role"] == "tool"}


def tool_calls_sent(backend: Backend, sent: dict[str, Any]) -> list[str]:
    if backend.wire == "anthropic":
        return [
            block["id"]
            for message in sent["messages"]
            if isinstance(message["content"], list)
            for block in message["content"]
            if block.get("type") == "tool_use"
        ]
    return [call["id"] for m in sent["messages"] for call in m.get("tool_calls") or []]


def _chat_text(content: Any) -> str:
    return content if isinstance(content, str) else "".join(part["text"] for part in content)


def model_request(provider: ProviderStub) -> RecordedRequest:
    [request] = provider.provider_requests()
    return request


def assert_received(backend: Backend, request: RecordedRequest, *, stream: bool) -> dict[str, Any]:
    sent = request.json()
    assert backend.wire_model in request.path or sent.get("model") == backend.wire_model
    assert tool_results_sent(backend, sent) == {"toolu_1": COMPRESSED}
    assert tool_calls_sent(backend, sent) == ["toolu_1"]
    if backend.name == "bedrock":
        assert request.path.endswith("/invoke-with-response-stream" if stream else "/invoke")
    if backend.name == "vertex_ai":
        assert request.path.endswith(":streamRawPredict" if stream else ":rawPredict")
    if backend.wire == "chat":
        assert sent.get("stream", False) is stream
    return sent


def parse_sse(body: bytes) -> list[tuple[str | None, dict[str, Any]]]:
    events = []
    for block in body.decode().replace("\r\n", "\n").split("\n\n"):
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[len("event:") :].strip()
            elif line.startswith("data:"):
                data.append(line[len("data:") :].strip())
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events


def assemble(events: list[tuple[str | None, dict[str, Any]]]) -> dict[str, Any]:
    """Anthropic's event sequence checked step by step and put together as the message it streams."""
    kinds = [event["type"] for _, event in events]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert kinds.count("message_start") == 1 and kinds.count("message_stop") == 1
    assert kinds[-2] == "message_delta"
    message = STREAM_EVENT.validate_python(events[0][1]).message.model_dump()  # type: ignore[union-attr]
    open_blocks: dict[int, dict[str, Any]] = {}
    partial: dict[int, str] = {}
    for name, raw in events:
        event = STREAM_EVENT.validate_python(raw)  # each one a valid event of the SDK's
        assert name == event.type
        if event.type == "content_block_start":
            assert event.index == len(message["content"]) and event.index not in open_blocks
            open_blocks[event.index] = event.content_block.model_dump()
            partial[event.index] = ""
        elif event.type == "content_block_delta":
            block = open_blocks[event.index]
            if event.delta.type == "text_delta":
                block["text"] += event.delta.text
            elif event.delta.type == "input_json_delta":
                partial[event.index] += event.delta.partial_json
        elif event.type == "content_block_stop":
            block = open_blocks.pop(event.index)
            if block["type"] == "tool_use" and partial[event.index]:
                block["input"] = json.loads(partial[event.index])
            message["content"].append(block)
        elif event.type == "message_delta":
            message["stop_reason"] = event.delta.stop_reason
            message["usage"]["output_tokens"] = event.usage.output_tokens
    assert not open_blocks, "a content block was never closed"
    return message


def assert_reply_content(content: list[Any], script: Script) -> None:
    texts = [block for block in content if block["type"] == "text"]
    tools = [block for block in content if block["type"] == "tool_use"]
    assert "".join(block["text"] for block in texts) == script.text
    assert script.tool is not None
    assert [(t["id"], t["name"], t["input"]) for t in tools] == [
        (script.tool.id, script.tool.name, script.tool.input)
    ]


# --- the calls ------------------------------------------------------------------------------


@pytest.mark.usefixtures("environment")
def test_a_json_call_reaches_the_provider_in_its_format_and_answers_an_anthropic_message(
    backend: Backend, provider: ProviderStub
) -> None:
    provider.script = Script(tool=REPLY_TOOL, usage=(123, 45))
    reply, body = run(
        call_and_read(config_for(backend, provider), request_body(backend.client_model, stream=False))
    )

    assert reply.status == 200 and reply.media_type == "application/json"
    message = Message.model_validate_json(body)
    assert message.role == "assistant" and message.stop_reason == "tool_use"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (123, 45)
    assert_reply_content([block.model_dump() for block in message.content], provider.script)
    assert_received(backend, model_request(provider), stream=False)


@pytest.mark.usefixtures("environment")
def test_a_streamed_call_answers_anthropics_event_sequence(backend: Backend, provider: ProviderStub) -> None:
    provider.script = Script(tool=REPLY_TOOL, usage=(321, 54))
    reply, body = run(
        call_and_read(config_for(backend, provider), request_body(backend.client_model, stream=True))
    )

    assert reply.status == 200 and reply.is_stream
    message = assemble(parse_sse(body))
    assert message["stop_reason"] == "tool_use" and message["usage"]["output_tokens"] == 54
    assert_reply_content(message["content"], provider.script)
    assert_received(backend, model_request(provider), stream=True)


@pytest.mark.usefixtures("environment")
def test_a_stream_is_relayed_as_litellm_produces_it_not_buffered(
    backend: Backend, provider: ProviderStub
) -> None:
    """The provider holds back everything after its first event until the client has that event."""
    release = threading.Event()
    provider.script = Script(tool=REPLY_TOOL, hold=release)

    async def first_chunk_then_rest() -> tuple[bytes, bytes]:
        reply = await call(config_for(backend, provider), request_body(backend.client_model, stream=True))
        chunks = reply.chunks()
        first = await asyncio.wait_for(anext(chunks), timeout=10)
        release.set()
        rest = b"".join([chunk async for chunk in chunks])
        await reply.aclose()
        return first, rest

    first, rest = run(first_chunk_then_rest())
    assert first.startswith(b"event: message_start")
    assert b"message_stop" not in first and b"message_stop" in rest


# --- credentials and where the call goes ---------------------------------------------------------


@pytest.mark.usefixtures("environment")
def test_the_providers_credentials_come_from_the_environment_and_the_clients_key_stays_here(
    backend: Backend, provider: ProviderStub, environment: dict[str, str]
) -> None:
    client_headers = [("x-api-key", "sk-ant-client-secret"), ("authorization", "Bearer sk-ant-client-secret")]
    reply = run(
        call(config_for(backend, provider), request_body(backend.client_model, stream=False), client_headers)
    )
    run(reply.aclose())

    headers = model_request(provider).headers
    assert "sk-ant-client-secret" not in json.dumps(headers)
    if backend.name == "bedrock":  # SigV4-signed with the environment's key
        assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDSTUBSTUBSTUBSTUB/")
        assert "/us-east-1/bedrock/aws4_request" in headers["authorization"]
    if backend.name == "vertex_ai":  # a token from the service account's token endpoint
        assert headers["authorization"] == "Bearer stub-access-token"
        assert "/projects/stub-project/locations/us-east5/" in model_request(provider).path
    if backend.name == "azure":
        assert headers["api-key"] == environment["AZURE_API_KEY"]
    if backend.name == "openrouter":
        assert headers["authorization"] == f"Bearer {environment['OPENROUTER_API_KEY']}"


@pytest.mark.usefixtures("environment")
def test_the_providers_credentials_reach_no_log_even_with_litellm_debugging(
    backend: Backend,
    provider: ProviderStub,
    environment: dict[str, str],
    capfd: pytest.CaptureFixture[str],
) -> None:
    import logging

    from headroom.proxy.app import configure_logging

    secrets = [environment[name] for name in backends.SECRET_VARIABLES if name in environment]
    if backend.name == "vertex_ai":  # the service account's private key, read from its file
        secrets.append(
            json.loads(Path(environment["GOOGLE_APPLICATION_CREDENTIALS"]).read_text())["private_key"]
        )
    assert secrets
    configure_logging(config_for(backend, provider, log_level="debug"))
    chatty = logging.getLogger("LiteLLM")
    level = chatty.level
    chatty.setLevel(logging.DEBUG)  # what LITELLM_LOG=DEBUG does
    try:
        reply = run(call(config_for(backend, provider), request_body(backend.client_model, stream=False)))
        run(reply.aclose())
        logging.getLogger("LiteLLM").debug("as litellm may print them: %s", " ".join(secrets))
    finally:
        chatty.setLevel(level)
    printed = "".join(capfd.readouterr())
    assert "LiteLLM" in printed or "headroom" in printed  # something was logged at all
    for secret in secrets:
        for line in secret.strip().splitlines()[1:2]:  # a key file's first line of key material
            assert line not in printed
        assert secret not in printed


@pytest.mark.usefixtures("environment")
def test_body_fields_named_like_litellm_options_cannot_redirect_the_call(
    backend: Backend, provider: ProviderStub
) -> None:
    elsewhere = f"http://127.0.0.1:{free_port()}"
    body = request_body(
        backend.client_model,
        stream=False,
        api_base=elsewhere,
        aws_bedrock_runtime_endpoint=elsewhere,
        api_key="attacker",
        mock_response="not from the provider",
    )
    reply, answer = run(call_and_read(config_for(backend, provider), body))

    assert reply.status == 200
    assert Message.model_validate_json(answer).content[0].text == provider.script.text  # type: ignore[union-attr]
    sent = model_request(provider)
    assert "attacker" not in sent.body.decode() and "attacker" not in json.dumps(sent.headers)


# --- errors --------------------------------------------------------------------------------


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize("status", [400, 429])
def test_a_provider_error_keeps_its_status_in_anthropics_error_shape(
    backend: Backend, provider: ProviderStub, status: int
) -> None:
    provider.script = Script(status=status, error_message="the model refused: quota")
    for stream in (False, True):
        reply, body = run(
            call_and_read(config_for(backend, provider), request_body(backend.client_model, stream=stream))
        )
        assert reply.status == status and reply.media_type == "application/json"
        error = json.loads(body)
        assert error["type"] == "error"
        assert error["error"]["type"] == ("invalid_request_error" if status == 400 else "rate_limit_error")
        assert "the model refused: quota" in error["error"]["message"]
    assert len(provider.provider_requests()) == 2, (
        "one provider call per request: the client decides on retries"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.usefixtures("environment")
def test_an_unreachable_provider_is_a_connect_failure(backend: Backend, provider: ProviderStub) -> None:
    config = config_for(
        backend, provider, backend_api_url=f"http://127.0.0.1:{free_port()}{backend.base_path}"
    )
    with pytest.raises(UpstreamFailure) as caught:
        run(call(config, request_body(backend.client_model, stream=False)))
    assert caught.value.kind == "connect" and caught.value.status == 502


@pytest.mark.usefixtures("environment")
def test_a_provider_slower_than_the_read_timeout_is_a_timeout(
    backend: Backend, provider: ProviderStub
) -> None:
    provider.script = Script(delay=3.0)
    config = config_for(backend, provider, read_timeout=0.5)
    with pytest.raises(UpstreamFailure) as caught:
        run(call(config, request_body(backend.client_model, stream=False)))
    assert caught.value.kind == "timeout" and caught.value.status == 504
    assert len(provider.provider_requests()) == 1


@pytest.mark.usefixtures("environment")
def test_a_stream_broken_midway_ends_in_an_error_after_what_arrived(
    backend: Backend, provider: ProviderStub
) -> None:
    """Native routes (Bedrock, Vertex) raise `UpstreamFailure` from the body, and `relay` ends the
    client's stream with Anthropic's error event; litellm's chat translation writes that event itself."""
    provider.script = Script(tool=REPLY_TOOL, break_after=3)

    async def read_until_broken() -> tuple[bytes, UpstreamFailure | None]:
        reply = await call(config_for(backend, provider), request_body(backend.client_model, stream=True))
        received, failure = b"", None
        try:
            async for chunk in reply.chunks():
                received += chunk
        except UpstreamFailure as raised:
            failure = raised
        await reply.aclose()
        return received, failure

    received, failure = run(read_until_broken())
    events = parse_sse(received)
    assert events[0][0] == "message_start" and "message_stop" not in [name for name, _ in events]
    if backend.wire == "anthropic":
        assert failure is not None and failure.kind == "protocol" and failure.status == 502
    else:
        assert failure is None
        name, last = events[-1]
        assert name == "error" and last["type"] == "error" and last["error"]["message"]


def test_a_body_that_is_not_json_is_a_400_in_anthropics_shape(provider: ProviderStub) -> None:
    config = config_for(BACKENDS["openrouter"], provider)
    reply, body = run(call_and_read(config, b"{not json"))
    assert reply.status == 400 and json.loads(body)["error"]["type"] == "invalid_request_error"
    assert provider.provider_requests() == []


# --- model names and configuration -----------------------------------------------------


@pytest.mark.parametrize(
    ("backend_name", "client_model", "region", "expected"),
    [
        # the inference profile of the region's geography, when litellm's model list has one
        (
            "bedrock",
            "claude-sonnet-4-20250514",
            "us-west-2",
            "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0",
        ),
        (
            "bedrock",
            "claude-sonnet-4-20250514",
            "eu-west-1",
            "bedrock/eu.anthropic.claude-sonnet-4-20250514-v1:0",
        ),
        (
            "bedrock",
            "claude-3-5-sonnet-20241022",
            "us-east-1",
            "bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0",
        ),
        # a name without a date: the latest release of that model
        ("bedrock", "claude-sonnet-4-5", "us-east-1", "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        # already Bedrock's form, or an ARN: kept
        ("bedrock", "anthropic.claude-v2:1", "us-east-1", "bedrock/anthropic.claude-v2:1"),
        (
            "bedrock",
            "bedrock/converse/meta.llama3-70b-instruct-v1:0",
            None,
            "bedrock/converse/meta.llama3-70b-instruct-v1:0",
        ),
        ("vertex_ai", "claude-sonnet-4-20250514", None, "vertex_ai/claude-sonnet-4@20250514"),
        ("vertex_ai", "claude-opus-4-6", None, "vertex_ai/claude-opus-4-6"),
        ("vertex_ai", "gemini-2.5-pro", None, "vertex_ai/gemini-2.5-pro"),
        ("openrouter", "claude-3-5-sonnet-20241022", None, "openrouter/anthropic/claude-3.5-sonnet"),
        ("openrouter", "claude-sonnet-4-5-20250929", None, "openrouter/anthropic/claude-sonnet-4.5"),
        ("openrouter", "claude-opus-4-1-20250805", None, "openrouter/anthropic/claude-opus-4.1"),
        ("openrouter", "claude-sonnet-4-20250514", None, "openrouter/anthropic/claude-sonnet-4"),
        ("openrouter", "google/gemini-2.5-pro", None, "openrouter/google/gemini-2.5-pro"),
        ("azure", "claude-sonnet-4-20250514", None, "azure/claude-sonnet-4-20250514"),
    ],
)
def test_model_names_map_to_the_providers(
    backend_name: str, client_model: str, region: str, expected: str
) -> None:
    assert provider_model(backend_name, client_model, region, {}) == expected


def test_the_model_map_wins_and_gets_the_backend_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    mapping = {"claude-sonnet-4-20250514": "prod-sonnet", "claude-3-5-haiku-20241022": "azure/prod-haiku"}
    monkeypatch.setenv(backends.MODEL_MAP_ENV, json.dumps(mapping))
    found = backends.model_map_from_env()
    assert provider_model("azure", "claude-sonnet-4-20250514", None, found) == "azure/prod-sonnet"
    assert provider_model("azure", "claude-3-5-haiku-20241022", None, found) == "azure/prod-haiku"
    assert provider_model("azure", "claude-opus-4-1", None, found) == "azure/claude-opus-4-1"


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize("backend", ["azure"], indirect=True)
def test_the_model_map_names_the_deployment_called(
    backend: Backend, provider: ProviderStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(backends.MODEL_MAP_ENV, json.dumps({"claude-sonnet-4-20250514": "team-sonnet"}))
    reply = run(call(config_for(backend, provider), request_body("claude-sonnet-4-20250514", stream=False)))
    run(reply.aclose())
    assert model_request(provider).path == "/openai/deployments/team-sonnet/chat/completions"


@pytest.mark.parametrize(
    ("settings", "environ", "message"),
    [
        ({"backend": "azure", "region": "eastus"}, {}, "--region has no meaning for the azure backend"),
        ({"backend": "openrouter", "region": "us"}, {}, "--region has no meaning for the openrouter backend"),
        ({"backend": "bedrock"}, {backends.MODEL_MAP_ENV: "{nope"}, "HEADROOM_PROXY_MODEL_MAP: not JSON"),
        ({"backend": "bedrock"}, {backends.MODEL_MAP_ENV: '["a"]'}, "expected a JSON object of strings"),
        ({"backend": "anthropic"}, {}, "is not a cloud backend"),
    ],
)
def test_a_backend_that_cannot_work_is_refused_at_start(
    settings: dict[str, Any], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        check_backend(ProxyConfig(**settings), environ)


def test_every_cloud_backend_is_tested() -> None:
    assert set(BACKENDS) == set(LITELLM_BACKENDS)


def test_the_sdk_raises_its_own_error_class_for_the_reply() -> None:
    """The error body is what the SDK maps to its exception classes (checked with the SDK's own parser)."""
    body = backends._error_reply(429, "slow down")
    error = json.loads(run(body.read()))
    assert anthropic.types.ErrorResponse.model_validate(error).error.type == "rate_limit_error"


# --- through the proxy: the anthropic SDK, compression, retrieval ----------------------------

CLIENT_KEY = "sk-ant-client-through-proxy"


@contextlib.contextmanager
def proxy_for(backend: Backend, stub: ProviderStub, **changes: Any) -> Iterator[str]:
    """The whole proxy (its compressing route) with this cloud backend, served by uvicorn."""
    store = f"memory://?name=backends-{uuid.uuid4().hex}"
    with serve_in_thread(create_app(config_for(backend, stub, store=store, **changes))) as url:
        yield url


def sdk_client(url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=url, api_key=CLIENT_KEY, max_retries=0)


def conversation_sent(backend: Backend, sent: dict[str, Any]) -> list[dict[str, Any]]:
    """The conversation as the provider got it (its system message left out)."""
    return [message for message in sent["messages"] if message["role"] != "system"]


def tool_names_sent(backend: Backend, sent: dict[str, Any]) -> list[str]:
    if backend.wire == "anthropic":
        return [tool["name"] for tool in sent["tools"]]
    return [tool["function"]["name"] for tool in sent["tools"]]


def client_tool_ids(messages: list[dict[str, Any]]) -> list[str]:
    return [
        block["id"]
        for message in messages
        if isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_use"
    ]


def ask(url: str, messages: list[dict[str, Any]], *, stream: bool, model: str) -> Message:
    client = sdk_client(url)
    tools: Any = TOOLS
    if stream:
        with client.messages.stream(model=model, max_tokens=256, messages=messages, tools=tools) as events:  # type: ignore[arg-type]
            return events.get_final_message()
    return client.messages.create(model=model, max_tokens=256, messages=messages, tools=tools)  # type: ignore[arg-type]


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_the_sdk_through_the_proxy_sends_the_provider_the_compressed_conversation(
    backend: Backend, provider: ProviderStub, stream: bool
) -> None:
    messages = samples.anthropic_conversation()
    provider.script = Script(tool=REPLY_TOOL)
    with proxy_for(backend, provider) as url:
        raw = None
        if not stream:
            raw = sdk_client(url).messages.with_raw_response.create(
                model=backend.client_model,
                max_tokens=256,
                messages=messages,  # type: ignore[arg-type]
                tools=TOOLS,  # type: ignore[arg-type]
            )
            message = raw.parse()
        else:
            message = ask(url, messages, stream=True, model=backend.client_model)

    assert_reply_content([block.model_dump() for block in message.content], provider.script)
    assert message.stop_reason == "tool_use"
    sent = assert_received_compressed(backend, model_request(provider), messages, stream=stream)
    assert tool_names_sent(backend, sent) == ["read_log", ccr.TOOL_NAME]
    if raw is not None:
        before, after = (int(raw.headers[f"x-headroom-tokens-{side}"]) for side in ("before", "after"))
        assert before > after > 0 and raw.headers["x-headroom-compressed"] == "true"


def assert_received_compressed(
    backend: Backend, request: RecordedRequest, messages: list[dict[str, Any]], *, stream: bool
) -> dict[str, Any]:
    sent = request.json()
    assert backend.wire_model in request.path or sent.get("model") == backend.wire_model
    received = conversation_sent(backend, sent)
    assert_compressed(messages, received)
    ids = client_tool_ids(messages)
    assert tool_calls_sent(backend, sent) == ids
    assert sorted(tool_results_sent(backend, sent)) == sorted(ids)  # every call has its result
    if backend.wire == "chat":  # each result right after the assistant turn that called it
        roles = [message["role"] for message in received]
        assert roles == ["user", "assistant", "tool", "tool"]
        assert sent.get("stream", False) is stream
    return sent


def all_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(all_text(item) for item in value.values())
    if isinstance(value, list):
        return "\n".join(all_text(item) for item in value)
    return ""


def retrieve_first_hash(request: RecordedRequest) -> Script:
    """The model's first round: it asks for the original behind a marker the request names."""
    [first, *_] = sorted(ccr.hashes_in(request.json()["messages"]))
    return Script(text="Fetching the full log.", tool=ToolCall(ccr.TOOL_NAME, {"hash": first}, id="toolu_r1"))


@pytest.mark.usefixtures("environment")
def test_count_tokens_is_answered_here_and_other_anthropic_paths_are_404(
    backend: Backend, provider: ProviderStub
) -> None:
    """Claude Code asks count_tokens before its turns; a cloud provider has no such route."""
    small = {"model": backend.client_model, "messages": [{"role": "user", "content": "Hello"}]}
    big = {**small, "system": "You are terse.", "messages": [{"role": "user", "content": "word " * 2000}]}
    key = {"x-api-key": CLIENT_KEY}
    with proxy_for(backend, provider) as url:
        client = sdk_client(url)
        counts = [client.messages.count_tokens(**body).input_tokens for body in (small, big)]
        raw = httpx.post(f"{url}/v1/messages/count_tokens", json=small, headers=key)
        models = httpx.get(f"{url}/v1/models", headers={**key, "anthropic-version": "2023-06-01"})
        broken = httpx.post(f"{url}/v1/messages/count_tokens", content=b"{", headers=key)
    assert 0 < counts[0] < 20 and 2000 <= counts[1] < 2200
    assert raw.headers["x-headroom-token-count"] == "estimate"
    assert models.status_code == 404 and models.json()["type"] == "error"
    assert broken.status_code == 400 and broken.json()["error"]["type"] == "invalid_request_error"
    assert not [r for r in provider.requests if "count_tokens" in r.path]  # never sent on


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_a_headroom_retrieve_call_is_answered_inside_the_proxy(
    backend: Backend, provider: ProviderStub, stream: bool
) -> None:
    messages = samples.anthropic_conversation()
    provider.answers[:] = [retrieve_first_hash, Script(text="The card was declined.")]
    with proxy_for(backend, provider) as url:
        message = ask(url, messages, stream=stream, model=backend.client_model)

    blocks = [block.model_dump() for block in message.content]
    assert [block["type"] for block in blocks if block["type"] != "text"] == []
    text = "".join(block["text"] for block in blocks)
    assert text.endswith("The card was declined.") and message.stop_reason == "end_turn"
    first, second = provider.provider_requests()
    answered = tool_results_sent(backend, second.json())["toolu_r1"]
    dropped = [
        line
        for line in all_text(messages).splitlines()
        if len(line) > 20 and line not in all_text(first.json()["messages"])
    ]
    assert dropped and any(line in answered for line in dropped), "the answer holds what was dropped"


# --- what litellm's translation keeps and loses (docs: /work/notes/doc/backends.md) --------------

RICH_BETAS = "context-1m-2025-08-07,interleaved-thinking-2025-05-14"
DOCUMENT = {
    "type": "document",
    "source": {"type": "text", "media_type": "text/plain", "data": "Card 4242 was declined at 12:01."},
    "title": "payments note",
    "citations": {"enabled": True},
}
THINKING = [
    {"type": "thinking", "thinking": "The log mentions a decline.", "signature": "sig-stub-1"},
    {"type": "redacted_thinking", "data": "REDACTED-stub"},
]
CACHED = {"type": "ephemeral"}


def rich_request(model: str) -> dict[str, Any]:
    """Anthropic-only features: thinking (the setting and earlier blocks), cache_control
    breakpoints, a document with citations, metadata and top_k."""
    return {
        "model": model,
        "max_tokens": 2048,
        "system": [{"type": "text", "text": "You are on call.", "cache_control": CACHED}],
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "metadata": {"user_id": "user-7"},
        "top_k": 5,
        "tools": [{**TOOLS[0], "cache_control": CACHED}],
        "messages": [
            {
                "role": "user",
                "content": [DOCUMENT, {"type": "text", "text": "Why?", "cache_control": CACHED}],
            },
            {
                "role": "assistant",
                "content": [
                    *THINKING,
                    {"type": "tool_use", "id": "toolu_1", "name": "read_log", "input": {"path": "x"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": "declined",
                        "cache_control": CACHED,
                    }
                ],
            },
        ],
    }


@pytest.mark.usefixtures("environment")
def test_what_each_backends_translation_keeps_and_loses(backend: Backend, provider: ProviderStub) -> None:
    request = rich_request(backend.client_model)
    reply = run(
        call(config_for(backend, provider), json.dumps(request).encode(), [("anthropic-beta", RICH_BETAS)])
    )
    assert reply.status == 200
    run(reply.aclose())
    received = model_request(provider)
    sent = received.json()
    if backend.wire == "anthropic":
        # the Anthropic body itself: every block and setting arrives as the client wrote it
        for name in ("messages", "system", "tools", "thinking", "metadata", "top_k", "max_tokens"):
            assert sent[name] == request[name], name
    if backend.name == "bedrock":  # only the betas Bedrock takes, in the body (and a header)
        assert received.headers["anthropic-beta"] == "context-1m-2025-08-07"
        assert sent["anthropic_beta"] == ["context-1m-2025-08-07"]
    if backend.name == "vertex_ai":
        assert received.headers["anthropic-beta"] == RICH_BETAS
    if backend.wire == "chat":
        system, user, assistant, tool = sent["messages"]
        assert system["content"] == request["system"]  # cache_control kept on its blocks
        assert user["content"] == [
            {"type": "text", "text": "Why?", "cache_control": CACHED}
        ]  # the document: gone
        assert "title" not in json.dumps(sent) and "citations" not in json.dumps(sent)
        assert assistant["thinking_blocks"] == THINKING  # litellm's own field, not OpenAI's
        assert assistant["reasoning_content"] == THINKING[0]["thinking"]
        assert tool["tool_call_id"] == "toolu_1" and "declined" in json.dumps(tool["content"])
        assert sent["tools"][0]["cache_control"] == CACHED
        assert received.headers["anthropic-beta"] == RICH_BETAS  # passed as an HTTP header, as given
    if backend.name == "azure":  # no thinking setting for a deployment litellm cannot tell reasons
        assert "thinking" not in sent and sent["user"] == "user-7"
    if backend.name == "openrouter":
        assert sent["thinking"] == request["thinking"] and "user" not in sent and "metadata" not in sent


@pytest.mark.usefixtures("environment")
def test_anthropics_server_side_web_search(backend: Backend, provider: ProviderStub) -> None:
    """Bedrock refuses it (a 400 from litellm, nothing sent); Vertex gets it as is; the chat
    translations turn it into `web_search_options`, its settings (max_uses) lost."""
    request = rich_request(backend.client_model)
    request["tools"] = [
        *request["tools"],
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 2},
    ]
    reply, body = run(call_and_read(config_for(backend, provider), json.dumps(request).encode()))
    if backend.name == "bedrock":
        assert reply.status == 400 and "web search" in json.loads(body)["error"]["message"]
        assert provider.provider_requests() == []
        return
    assert reply.status == 200
    sent = model_request(provider).json()
    if backend.name == "vertex_ai":
        assert sent["tools"][-1] == request["tools"][-1]
    else:
        assert sent["web_search_options"] == {}
        assert [tool["function"]["name"] for tool in sent["tools"]] == ["read_log"]


# --- faults, as the client of the proxy sees them ---------------------------------------------


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize("fault", ["unreachable", "slow"])
def test_an_unreachable_or_slow_provider_answers_502_or_504_through_the_proxy(
    backend: Backend, provider: ProviderStub, fault: str
) -> None:
    changes: dict[str, Any] = {"read_timeout": 0.5}
    if fault == "unreachable":
        changes = {"backend_api_url": f"http://127.0.0.1:{free_port()}{backend.base_path}"}
    else:
        provider.script = Script(delay=3.0)
    with proxy_for(backend, provider, **changes) as url, pytest.raises(anthropic.APIStatusError) as caught:
        ask(url, samples.anthropic_conversation(), stream=False, model=backend.client_model)
    assert caught.value.status_code == (502 if fault == "unreachable" else 504)
    body = caught.value.body
    assert isinstance(body, dict) and body["type"] == "error" and body["error"]["type"] == "api_error"


@pytest.mark.usefixtures("environment")
def test_a_stream_broken_midway_reaches_the_sdk_as_an_error_event(
    backend: Backend, provider: ProviderStub
) -> None:
    provider.script = Script(tool=REPLY_TOOL, break_after=3)
    with proxy_for(backend, provider) as url, pytest.raises(anthropic.APIStatusError) as caught:
        ask(url, samples.anthropic_conversation(), stream=True, model=backend.client_model)
    assert isinstance(caught.value.body, dict) and caught.value.body["type"] == "error"


@pytest.mark.parametrize(
    ("backend_name", "environ", "headers", "expected"),
    [
        ("openrouter", {}, [("x-api-key", "sk-or-client")], "sk-or-client"),
        ("openrouter", {}, [("authorization", "Bearer sk-or-bearer")], "sk-or-bearer"),
        ("azure", {}, [("x-api-key", "azure-client")], "azure-client"),
        # the proxy's own key wins; AWS and Google credentials are never an API key
        ("openrouter", {"OPENROUTER_API_KEY": "sk-or-proxy"}, [("x-api-key", "sk-or-client")], None),
        ("azure", {"AZURE_API_KEY": "proxy"}, [("x-api-key", "azure-client")], None),
        ("bedrock", {}, [("x-api-key", "sk-ant-client")], None),
        ("vertex_ai", {}, [("authorization", "Bearer sk-ant-client")], None),
        ("openrouter", {}, [("authorization", "Basic abc")], None),
    ],
)
def test_the_clients_key_stands_in_only_for_an_api_key_provider_without_one(
    backend_name: str, environ: dict[str, str], headers: list[tuple[str, str]], expected: str | None
) -> None:
    assert backends.client_api_key(backend_name, headers, environ) == expected


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize("backend", ["openrouter"], indirect=True)
def test_each_client_brings_its_own_openrouter_key_when_the_proxy_has_none(
    backend: Backend, provider: ProviderStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENROUTER_API_KEY")
    with proxy_for(backend, provider) as url:
        anthropic.Anthropic(base_url=url, api_key="sk-or-client-own", max_retries=0).messages.create(
            model=backend.client_model, max_tokens=16, messages=[{"role": "user", "content": "hi"}]
        )
    assert model_request(provider).headers["authorization"] == "Bearer sk-or-client-own"


@pytest.mark.usefixtures("environment")
def test_the_proxy_relays_a_cloud_stream_as_it_arrives(backend: Backend, provider: ProviderStub) -> None:
    """The provider holds back all but its first event until the proxy's client has read that event."""
    release = threading.Event()
    provider.script = Script(tool=REPLY_TOOL, hold=release)
    body = request_body(backend.client_model, stream=True)
    with proxy_for(backend, provider) as url, httpx.Client(timeout=20) as client:
        headers = {"x-api-key": CLIENT_KEY, "content-type": "application/json"}
        with client.stream("POST", f"{url}/v1/messages", content=body, headers=headers) as response:
            chunks = response.iter_raw()
            first = next(chunks)
            release.set()
            rest = b"".join(chunks)
    assert response.status_code == 200
    assert first.startswith(b"event: message_start") and b"message_stop" not in first
    assert b"message_stop" in rest


@pytest.mark.usefixtures("environment")
def test_earlier_turns_reach_the_provider_in_the_same_bytes_on_the_next_turn(
    backend: Backend, provider: ProviderStub
) -> None:
    """The session mechanism works behind a cloud backend too: the provider's prompt cache keeps hitting."""
    first_turn = samples.anthropic_conversation()
    second_turn = [
        *first_turn,
        {"role": "assistant", "content": [{"type": "text", "text": "The card was declined."}]},
        {"role": "user", "content": "And the request trace?"},
    ]
    with proxy_for(backend, provider) as url:
        ask(url, first_turn, stream=False, model=backend.client_model)
        ask(url, second_turn, stream=True, model=backend.client_model)
    first, second = (conversation_sent(backend, request.json()) for request in provider.provider_requests())
    assert_compressed(first_turn, first)
    assert json.dumps(second[: len(first)]) == json.dumps(first)


@pytest.mark.usefixtures("environment")
def test_a_provider_error_prints_nothing_of_litellms_own(
    backend: Backend, provider: ProviderStub, capsys: pytest.CaptureFixture[str]
) -> None:
    provider.script = Script(status=400)
    reply, _ = run(
        call_and_read(config_for(backend, provider), request_body(backend.client_model, stream=False))
    )
    assert reply.status == 400
    unreachable = f"http://127.0.0.1:{free_port()}{backend.base_path}"
    with pytest.raises(UpstreamFailure):
        run(
            call(
                config_for(backend, provider, backend_api_url=unreachable),
                request_body("claude-x", stream=False),
            )
        )
    assert "Give Feedback" not in capsys.readouterr().out


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize("backend", ["bedrock"], indirect=True)
def test_the_backend_and_region_come_from_the_environment_too(
    backend: Backend, provider: ProviderStub
) -> None:
    environ = {
        "HEADROOM_PROXY_BACKEND": "bedrock",
        "HEADROOM_PROXY_REGION": "eu-west-1",
        "HEADROOM_PROXY_BACKEND_API_URL": provider.url,
        "HEADROOM_PROXY_STORE": f"memory://?name=backends-{uuid.uuid4().hex}",
    }
    with serve_in_thread(create_app(ProxyConfig.from_env(environ))) as url:
        ask(url, [{"role": "user", "content": "hi"}], stream=False, model="claude-sonnet-4-20250514")
    sent = model_request(provider)
    assert sent.path == "/model/eu.anthropic.claude-sonnet-4-20250514-v1:0/invoke"
    assert "/eu-west-1/bedrock/aws4_request" in sent.headers["authorization"]
