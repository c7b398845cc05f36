"""The cloud backends: Anthropic Messages requests answered by Bedrock, Vertex AI, Azure or OpenRouter.

With `--backend bedrock|vertex_ai|azure|openrouter` the proxy still speaks the Anthropic
Messages API to its clients. `litellm_upstream` is the `Upstream` of that route: it takes the
request body the proxy would have sent to Anthropic (already compressed), calls the provider
through litellm's Anthropic-format entry point (`litellm.anthropic_messages`), and hands back
an `UpstreamReply` whose body is an Anthropic message, or for `"stream": true` Anthropic's
SSE event sequence (message_start, content blocks with their deltas, message_delta,
message_stop) relayed chunk by chunk as litellm produces it.

litellm picks the provider's wire format: Claude models on Bedrock go to InvokeModel (the
Anthropic body, AWS-signed; streaming as AWS event-stream frames), Claude on Vertex AI to
rawPredict / streamRawPredict, other models through litellm's translation to chat
completions (Bedrock Converse, Gemini, Azure OpenAI, OpenRouter), and back.

Model names. Clients send Anthropic's names (`claude-sonnet-4-20250514`); each provider names
the same model its own way, so the name is mapped (`provider_model`):

- an entry of `HEADROOM_PROXY_MODEL_MAP` (a JSON object, client name -> provider name) wins;
- a name that already carries the backend's prefix (`bedrock/...`) is used as it is;
- bedrock: a `claude-*` name becomes the Bedrock model id litellm's model list knows for it,
  the cross-region inference profile of the region's geography first (`us.anthropic....` in
  us-east-1: newer Claude models are only served through one), then the plain id; a name
  already in Bedrock's form (`anthropic.claude-...`, `us.anthropic...`, an ARN) is kept;
- vertex_ai: a trailing release date takes Vertex's `@`: `claude-sonnet-4@20250514`;
- openrouter: `anthropic/` and the name without its date, version digits dotted:
  `claude-3-5-sonnet-20241022` -> `anthropic/claude-3.5-sonnet`; a name with a `/` is kept;
- azure: the name is the deployment name (map it when the deployment is named otherwise).

Credentials come from the environment, read by litellm as usual: AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN / AWS_PROFILE; GOOGLE_APPLICATION_CREDENTIALS with
VERTEXAI_PROJECT; AZURE_API_KEY, AZURE_API_BASE, AZURE_API_VERSION; OPENROUTER_API_KEY. The
client's own `x-api-key` (or `authorization: Bearer`) goes to the provider in one case only:
azure or openrouter with no key in the proxy's environment, so that each client brings its own
key. Otherwise it stays in the proxy (it scopes the proxy's store). `--region` is the AWS region or the
Vertex location; `--backend-api-url` replaces the provider's base URL (a private endpoint, a
gateway, or a loopback stub in tests). Of the client's headers only `anthropic-beta` is passed
on, for litellm to translate into what the provider accepts.

litellm runs in offline mode unless the operator set `LITELLM_OFFLINE_MODE`: it uses its
bundled catalogs (model list, which anthropic-beta values each provider takes) instead of
downloading them at run time. What the translation keeps and loses for each provider is
written up in the proxy guide, and pinned by tests/proxy/test_backends.py.

Only the fields of the Anthropic Messages API reach litellm: a body field named like one of
litellm's own options (`api_base`, `api_key`, ...) could otherwise redirect the call, and the
proxy's credentials with it. Unknown fields are dropped and named in a debug log line.

Errors: litellm's timeout becomes `UpstreamFailure("timeout")` (504), a connection it could not
make `UpstreamFailure("connect")` (502); an error status from the provider comes back as an
`UpstreamReply` with that status and Anthropic's error body. A failure mid-stream raises
`UpstreamFailure("protocol")` from the body iterator, and `relay` ends the stream with
Anthropic's error event.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx
import orjson

from headroom.proxy.config import LITELLM_BACKENDS, ProxyConfig
from headroom.proxy.errors import error_body
from headroom.proxy.upstream import FailureKind, Upstream, UpstreamFailure, UpstreamReply

__all__ = [
    "LITELLM_BACKENDS",
    "MODEL_MAP_ENV",
    "check_backend",
    "litellm_upstream",
    "model_map_from_env",
    "provider_model",
]

logger = logging.getLogger("headroom.proxy.backends")

MODEL_MAP_ENV = "HEADROOM_PROXY_MODEL_MAP"
# Backends where --region means something: the AWS region, the Vertex AI location.
_REGIONAL = ("bedrock", "vertex_ai")
_JSON = [("content-type", "application/json")]
_SSE = [("content-type", "text/event-stream"), ("cache-control", "no-cache")]
_DATE = re.compile(r"-(\d{8})$")
_VERSION_DIGITS = re.compile(r"(?<=\d)-(?=\d(?:-|$))")
# Bedrock's inference-profile prefix for the geography of an AWS region (its first part).
_BEDROCK_GEOGRAPHY = {"us": "us", "eu": "eu", "ap": "apac"}
# Where a backend whose credential is one API key reads it; a client's key stands in when unset.
_KEY_VARIABLES = {"azure": "AZURE_API_KEY", "openrouter": "OPENROUTER_API_KEY"}
# The environment variables holding a backend's secrets, masked in every log record (the proxy
# registers their values at start-up: litellm's own debug logging could otherwise print them).
SECRET_VARIABLES = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_API_KEY", "OPENROUTER_API_KEY")
_KEY_FILE_VARIABLE = "GOOGLE_APPLICATION_CREDENTIALS"
_KEY_MATERIAL_LINE = 16  # a private key's lines this long or longer are masked one by one too


def environment_secrets(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The secret values the backends read from this environment: keys and tokens, and the
    private key of a Google service-account file (whole, and line by line, since a log may print
    it with its newlines escaped)."""
    found = [environ[name] for name in SECRET_VARIABLES if environ.get(name)]
    key = _service_account_key(environ.get(_KEY_FILE_VARIABLE))
    if key:
        found.append(key)
        found.extend(line for line in key.splitlines() if len(line) >= _KEY_MATERIAL_LINE)
    return found


def _service_account_key(path: str | None) -> str | None:
    if not path:
        return None
    try:
        parsed = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # litellm reports an unreadable file when it is used; nothing to mask here
    key = parsed.get("private_key") if isinstance(parsed, dict) else None
    return key if isinstance(key, str) and key else None


# --- configuration -------------------------------------------------------------------------


def model_map_from_env(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """HEADROOM_PROXY_MODEL_MAP: a JSON object from the client's model names to the provider's."""
    text = environ.get(MODEL_MAP_ENV, "").strip()
    if not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError as error:
        raise ValueError(
            f'{MODEL_MAP_ENV}: not JSON ({error}); expected {{"client model": "provider model"}}'
        ) from error
    if not isinstance(parsed, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
    ):
        raise ValueError(
            f'{MODEL_MAP_ENV}: expected a JSON object of strings, {{"client model": "provider model"}}'
        )
    return parsed


def check_backend(config: ProxyConfig, environ: Mapping[str, str] = os.environ) -> None:
    """Raise ValueError for a cloud backend configured in a way that cannot work."""
    if config.backend not in LITELLM_BACKENDS:
        raise ValueError(
            f"backend {config.backend!r} is not a cloud backend; expected one of {LITELLM_BACKENDS}"
        )
    if config.region and config.backend not in _REGIONAL:
        raise ValueError(
            f"--region has no meaning for the {config.backend} backend (it is the AWS region for bedrock, "
            "the location for vertex_ai); set the endpoint with --backend-api-url instead"
        )
    if config.backend_api_url and not config.backend_api_url.startswith(("http://", "https://")):
        raise ValueError(f"--backend-api-url must be an http(s) URL, not {config.backend_api_url!r}")
    model_map_from_env(environ)


# --- model names -------------------------------------------------------------------------


def provider_model(backend: str, model: str, region: str | None, model_map: Mapping[str, str]) -> str:
    """The litellm model name (`<backend>/<provider's name>`) for the model a client asked for."""
    mapped = model_map.get(model)
    if mapped is not None:
        return mapped if mapped.startswith(f"{backend}/") else f"{backend}/{mapped}"
    if model.startswith(f"{backend}/"):
        return model
    if backend == "bedrock":
        return f"bedrock/{bedrock_model_id(model, region)}"
    if backend == "vertex_ai":
        return "vertex_ai/" + vertex_model(model)
    if backend == "openrouter":
        return f"openrouter/{openrouter_model(model)}"
    return f"{backend}/{model}"


def bedrock_model_id(model: str, region: str | None) -> str:
    """The Bedrock id of an Anthropic model name, from the models litellm knows."""
    if not model.startswith("claude-"):
        return model  # already Bedrock's form (anthropic.*, us.anthropic.*, an ARN) or another vendor's
    known = _bedrock_ids_of(model)
    geography = _BEDROCK_GEOGRAPHY.get((region or _env_region() or "").split("-", 1)[0])
    profiles = [name for name in known if geography and name.startswith(f"{geography}.anthropic.")]
    plain = [name for name in known if name.startswith("anthropic.")]
    for candidates in (profiles, plain):
        if candidates:
            return max(candidates)  # the latest release and version when the name has no date
    return f"anthropic.{model}-v1:0" if _DATE.search(model) else f"anthropic.{model}"


def _bedrock_ids_of(model: str) -> list[str]:
    litellm = _litellm()
    pattern = re.compile(rf"^(?:[a-z]+\.)?anthropic\.{re.escape(model)}(?:-\d{{8}})?(?:-v\d+(?::\d+)?)?$")
    return [name for name in litellm.model_cost if pattern.match(name)]


def _env_region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def vertex_model(model: str) -> str:
    """Vertex AI's name for an Anthropic model: the release date after an `@`."""
    return _DATE.sub(r"@\1", model)


def openrouter_model(model: str) -> str:
    """OpenRouter's name for an Anthropic model: `anthropic/claude-sonnet-4.5`."""
    if "/" in model or not model.startswith("claude-"):
        return model
    return "anthropic/" + _VERSION_DIGITS.sub(".", _DATE.sub("", model))


# --- the call ------------------------------------------------------------------------------


def _messages_fields() -> frozenset[str]:
    _litellm()
    from litellm.llms.anthropic.messages.native.utils import anthropic_messages_optional_param_keys

    return anthropic_messages_optional_param_keys() | {"model", "messages"}


def provider_arguments(config: ProxyConfig) -> dict[str, Any]:
    """litellm's keyword arguments that say where and how to reach the provider."""
    timeout = httpx.Timeout(config.read_timeout, connect=config.connect_timeout)
    # a parameter the provider does not take (thinking on a model without reasoning) is left out
    # rather than failing the request: Claude Code sends some on every turn
    # the client decides whether to retry (Claude Code does): one provider call per request
    arguments: dict[str, Any] = {"timeout": timeout, "drop_params": True, "max_retries": 0}
    base = config.backend_api_url
    if config.backend == "bedrock":
        if config.region:
            arguments["aws_region_name"] = config.region
        if base:
            arguments["aws_bedrock_runtime_endpoint"] = base
    elif config.backend == "vertex_ai":
        if config.region:
            arguments["vertex_location"] = config.region
        if base:
            arguments["api_base"] = base
    elif base:
        arguments["api_base"] = base
    return arguments


def request_arguments(request: Mapping[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    """The request's Anthropic Messages fields; others are dropped (and named in the log)."""
    dropped = sorted(name for name in request if name not in allowed)
    if dropped:
        logger.debug("fields litellm does not take, dropped: %s", ", ".join(dropped))
    return {name: value for name, value in request.items() if name in allowed}


def _header(headers: Mapping[str, str] | Iterable[tuple[str, str]], wanted: str) -> str | None:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    values = [value for name, value in pairs if name.lower() == wanted]
    return ",".join(values) if values else None


def _litellm() -> Any:
    """litellm, imported in offline mode unless the operator chose otherwise: left to itself it
    fetches catalogs (model prices, which anthropic-beta values each provider takes) from GitHub,
    so what reaches the provider would change with a remote file; its bundled copies are used."""
    os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")
    import litellm

    # its "Give Feedback / Get Help" banner on every provider error would go to the proxy's stdout
    litellm.suppress_debug_info = True
    return litellm


def warm() -> None:
    """Import litellm now (it takes seconds), not on the first request."""
    _litellm()


def client_api_key(
    backend: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    environ: Mapping[str, str] = os.environ,
) -> str | None:
    """The client's own key for a provider whose keys are plain API keys (Azure, OpenRouter),
    used only when the proxy's environment has none: then each client brings its own."""
    variable = _KEY_VARIABLES.get(backend)
    if variable is None or environ.get(variable):
        return None
    key = _header(headers, "x-api-key")
    if key:
        return key
    bearer = _header(headers, "authorization") or ""
    scheme, _, token = bearer.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def litellm_upstream(config: ProxyConfig, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> Upstream:
    """The upstream of an Anthropic Messages request for a cloud backend (see the module docstring)."""
    model_map = model_map_from_env()
    fixed = provider_arguments(config)
    beta = _header(headers, "anthropic-beta")
    if beta:
        fixed["extra_headers"] = {"anthropic-beta": beta}
    key = client_api_key(config.backend, headers)
    if key:
        fixed["api_key"] = key

    async def call(body: bytes) -> UpstreamReply:
        try:
            request = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            return _error_reply(400, f"the request body is not JSON: {error}")
        if not isinstance(request, dict) or not isinstance(request.get("model"), str):
            return _error_reply(400, "model: a string is required")
        arguments = request_arguments(request, _messages_fields())
        arguments["model"] = provider_model(config.backend, request["model"], config.region, model_map)
        return await _send(arguments | fixed, streaming=request.get("stream") is True)

    return call


async def _send(arguments: dict[str, Any], *, streaming: bool) -> UpstreamReply:
    litellm = _litellm()

    try:
        result = await litellm.anthropic_messages(**arguments)
    except Exception as error:  # every litellm failure becomes the provider's error or a transport failure
        return _reply_for(error, arguments["model"])
    if streaming:
        return UpstreamReply.of_chunks(200, _SSE, _stream_bytes(result))
    return UpstreamReply.of_bytes(200, _JSON, orjson.dumps(_plain(result)))


def _plain(result: Any) -> Any:
    dump = getattr(result, "model_dump", None)
    return dump(exclude_none=False) if callable(dump) else result


async def _stream_bytes(stream: Any) -> AsyncIterator[bytes]:
    """litellm's Anthropic SSE as bytes; a failure mid-stream raised as `UpstreamFailure`."""
    try:
        async for chunk in stream:
            if isinstance(chunk, bytes):
                yield chunk
            elif isinstance(chunk, str):
                yield chunk.encode()
            else:  # an event object rather than its SSE text
                event = _plain(chunk)
                name = event.get("type") if isinstance(event, dict) else None
                yield (
                    (f"event: {name}\n" if name else "").encode() + b"data: " + orjson.dumps(event) + b"\n\n"
                )
    except Exception as error:
        kind = _transport_kind(error)
        raise UpstreamFailure("timeout" if kind == "timeout" else "protocol", _describe(error)) from error


def _transport_kind(error: BaseException) -> FailureKind | None:
    """Whether litellm's exception stands for a timeout or a broken connection, read off its causes:
    litellm reports a refused connection as a 503 on some routes, so its class does not tell."""
    litellm = _litellm()

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, litellm.Timeout | httpx.TimeoutException | TimeoutError):
            return "timeout"
        if isinstance(current, httpx.ConnectError | ConnectionRefusedError):
            return "connect"
        if isinstance(current, httpx.TransportError | ConnectionError):
            return "protocol"
        current = current.__cause__ or current.__context__
    return None


def _describe(error: BaseException) -> str:
    message = getattr(error, "message", None) or str(error)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _reply_for(error: Exception, model: str) -> UpstreamReply:
    """A litellm exception as the proxy reports it: a transport failure, or the provider's status."""
    kind = _transport_kind(error)
    if kind is not None:
        raise UpstreamFailure(kind, _describe(error)) from error
    status = getattr(error, "status_code", None)
    if isinstance(status, int) and 400 <= status <= 599:
        return _error_reply(status, str(getattr(error, "message", None) or error))
    logger.warning("the %s call failed in litellm: %s", model, _describe(error))
    return _error_reply(502, f"the cloud backend failed: {_describe(error)}")


def _error_reply(status: int, message: str) -> UpstreamReply:
    return UpstreamReply.of_bytes(status, _JSON, orjson.dumps(error_body("anthropic", status, message)))
