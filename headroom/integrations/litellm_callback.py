"""Compress every LiteLLM call with one line: `litellm.callbacks = [HeadroomCallback()]`.

What each LiteLLM path does (litellm 1.110; each row is tested against a loopback stub that
speaks the provider's wire format, tests/integrations/test_litellm_providers.py):

- `litellm.acompletion` (streaming or not, every provider: OpenAI, Azure, Anthropic,
  Bedrock Converse and InvokeModel, Gemini, Vertex AI, ...), `litellm.anthropic.messages.acreate`
  (Anthropic format), `litellm.aresponses` and `litellm.responses`: LiteLLM calls the
  logger's `async_pre_call_deployment_hook` with the request, in OpenAI format, before it
  is translated for the provider, and uses the request the hook returns. HeadroomCallback
  compresses `messages` (Anthropic `system` is left alone) or the Responses `input` items
  there, with `await acompress(...)`, whose work runs in a worker thread, off the event loop.
  The LiteLLM proxy and `litellm.Router` reach the provider through these same calls.
- `litellm.completion` (sync): LiteLLM has no hook that can rewrite a synchronous chat
  request before it is translated. The last thing it calls before sending is
  `log_pre_api_call`, with the provider body it is about to send
  (`additional_args["complete_input_dict"]`); HeadroomCallback compresses that body in place:
  its `messages` (OpenAI, Azure, Anthropic and other providers whose body carries an OpenAI or
  Anthropic message list) or its `contents` (Gemini and Vertex AI, through
  `headroom.integrations._gemini`).
- `litellm.completion` to Bedrock (`bedrock/...`, Converse or InvokeModel): LiteLLM signs
  (AWS SigV4) and serializes the body before that call, so nothing a callback does reaches
  the wire. Such a request goes out uncompressed: it is counted in the totals
  (`uncompressed`, by reason), and the first one in a process is reported loudly (a WARNING
  log record and an `UncompressedRequestWarning`). Use `litellm.acompletion` there, or call
  `headroom.compress()` on the messages first. The same holds for any other provider whose
  body reaches the callback already serialized or signed, or carries neither list.
- `litellm.anthropic.messages.create` (sync) is not implemented by LiteLLM.

Namespaces: each request is compressed in its caller's namespace
(`headroom.ccr.stores.namespace_for_credential`), from the LiteLLM proxy's hash of the
caller's virtual key when the call carries one, else from the call's `api_key` (no
key: `anonymous`). The key itself is never kept or logged. The pipeline is loaded, and
every option checked, when the callback is built: a bad pipeline file raises there.

Failing open: any error leaves the request exactly as it was and is logged once
with its reason (logger `headroom.integrations.litellm_callback`; WARNING the
first time a kind of reason appears, DEBUG after). Requests whose text is under
`min_tokens` (estimated at four characters a token) are sent untouched.

The LiteLLM proxy config `callbacks: ["headroom.integrations.litellm_callback.HeadroomCallback"]`
works as written: the proxy's loader only accepts an instance, so the name
`HeadroomCallback` is a ready instance with default settings that also acts as
the class: `HeadroomCallback(pipeline="aggressive")` builds a new callback,
`isinstance(cb, HeadroomCallback)` and `class Mine(HeadroomCallback)` work.
`HeadroomCallbackType` is the class itself, for type annotations.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Generator, Mapping
from typing import Any, overload

from litellm.integrations.custom_logger import CustomLogger

from headroom.compress import PipelineLike
from headroom.integrations._compressor import DEFAULT_MIN_TOKENS, RequestCompressor, Totals
from headroom.pipeline.hooks import CompressionHooks

__all__ = ["HeadroomCallback", "HeadroomCallbackType", "UncompressedRequestWarning"]

logger = logging.getLogger(__name__)

_MESSAGES_CALLS = frozenset({"completion", "acompletion", "anthropic_messages"})
_RESPONSES_CALLS = frozenset({"responses", "aresponses"})


def _call_type_name(call_type: Any) -> str:
    return str(getattr(call_type, "value", call_type))


def caller_credential(kwargs: Mapping[str, Any]) -> str | None:
    """Whose request this is: the LiteLLM proxy's hash of the caller's virtual key when there is
    one (the provider key is the same for every caller there), else the call's `api_key`."""
    for name in ("litellm_metadata", "metadata"):
        metadata = kwargs.get(name)
        if isinstance(metadata, Mapping) and isinstance(metadata.get("user_api_key_hash"), str):
            return str(metadata["user_api_key_hash"])
    params = kwargs.get("litellm_params")
    for source in (kwargs, params if isinstance(params, Mapping) else {}):
        key = source.get("api_key")
        if isinstance(key, str) and key:
            return key
    return None


class UncompressedRequestWarning(UserWarning):
    """A request worth compressing went out uncompressed because nothing could change it on its way."""


# Providers whose synchronous transport signs and serializes the body before `log_pre_api_call`
# whatever the credentials (Bedrock with an API key too); others are recognised by their body.
_SIGNED_BEFORE_THE_LAST_CALLBACK = {
    "bedrock": "LiteLLM signs (AWS SigV4) and serializes a Bedrock request before its last callback",
}
_warned: set[str] = set()
_warned_lock = threading.Lock()


def _why_not_rewritable(provider: str, body: Any, headers: Any) -> str | None:
    """Why changing this outgoing body would not change what is sent; None when it would."""
    known = _SIGNED_BEFORE_THE_LAST_CALLBACK.get(provider)
    if known is not None:
        return known
    if not isinstance(body, dict):
        return f"LiteLLM serializes a {provider or 'provider'} request before its last callback"
    authorization = next(
        (str(value) for key, value in (headers or {}).items() if str(key).lower() == "authorization"), ""
    )
    if authorization.startswith("AWS4-HMAC-SHA256"):
        return f"LiteLLM signs (AWS SigV4) a {provider or 'provider'} request before its last callback"
    if not isinstance(body.get("messages"), list) and not isinstance(body.get("contents"), list):
        return f"a {provider or 'provider'} request body carries no messages or contents list"
    return None


def _warn_once(reason: str) -> None:
    with _warned_lock:
        if reason in _warned:
            return
        _warned.add(reason)
    message = (
        f"headroom: synchronous litellm.completion requests go out uncompressed here: {reason}, so no "
        "callback can change what is sent. Use litellm.acompletion (compressed for every provider) or "
        "compress the messages first with headroom.compress(). Counted in the callback's totals "
        "(uncompressed); this is reported once per process."
    )
    logger.warning(message)
    warnings.warn(message, UncompressedRequestWarning, stacklevel=2)


class HeadroomCallbackType(CustomLogger):
    """A LiteLLM logger that compresses each request's messages before LiteLLM sends them.

    pipeline: a pipeline name ("default", "aggressive", "lossless") or a YAML path.
    hooks: `CompressionHooks` run on every compression.
    min_tokens: requests with less text than this (estimated) are sent as they are.
    model_limit: an overall token budget for the prompt (the engine's `max_tokens`);
        None uses a share of the model's context window.
    compress_options: any other `compress()` option, e.g. {"target_ratio": 0.3}.
    """

    def __init__(
        self,
        pipeline: PipelineLike = "default",
        *,
        hooks: CompressionHooks | None = None,
        min_tokens: int = DEFAULT_MIN_TOKENS,
        model_limit: int | None = None,
        compress_options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.compressor = RequestCompressor(
            pipeline=pipeline,
            hooks=hooks,
            min_tokens=min_tokens,
            model_limit=model_limit,
            compress_options=compress_options,
            logger=logger,
        )

    @property
    def total_tokens_saved(self) -> int:
        return self.compressor.totals.snapshot().total_tokens_saved

    @property
    def requests_seen(self) -> int:
        return self.compressor.totals.snapshot().requests_seen

    @property
    def requests_compressed(self) -> int:
        return self.compressor.totals.snapshot().requests_compressed

    def totals(self) -> Totals:
        """All running totals at one instant (requests seen, compressed, tokens saved, failures)."""
        return self.compressor.totals.snapshot()

    async def async_pre_call_deployment_hook(
        self, kwargs: dict[str, Any], call_type: Any
    ) -> dict[str, Any] | None:
        """Async calls and Responses calls: return the request with compressed messages or input."""
        try:
            return await self._compressed_request(kwargs, _call_type_name(call_type))
        except Exception as error:  # fail open: None tells litellm to send the request as it was
            self.compressor.report_failure(error)
            return None

    async def _compressed_request(self, kwargs: dict[str, Any], call_type: str) -> dict[str, Any] | None:
        model = kwargs.get("model")
        credential = caller_credential(kwargs)
        if call_type in _MESSAGES_CALLS:
            messages = kwargs.get("messages")
            field, outcome = "messages", await self.compressor.messages(messages, model, credential)
        elif call_type in _RESPONSES_CALLS:
            items = kwargs.get("input")
            field, outcome = "input", await self.compressor.responses_input(items, model, credential)
        else:
            return None
        return None if outcome is None else {**kwargs, field: outcome.payload}

    def log_pre_api_call(self, model: Any, messages: Any, kwargs: dict[str, Any]) -> None:
        """Sync `completion`: compress the provider body LiteLLM is about to send, in place."""
        try:
            self._compress_outgoing_body(model, messages, kwargs)
        except Exception as error:  # fail open: the body is only replaced once compression succeeded
            self.compressor.report_failure(error)

    def _compress_outgoing_body(self, model: Any, messages: Any, kwargs: dict[str, Any]) -> None:
        if kwargs.get("call_type") != "completion":
            return  # every other call type was handled by the deployment hook
        extra = kwargs.get("additional_args") or {}
        body = extra.get("complete_input_dict")
        provider = str(kwargs.get("custom_llm_provider") or "")
        reason = _why_not_rewritable(provider, body, extra.get("headers"))
        if reason is None and isinstance(body, dict):
            self._compress_body(body, model if isinstance(model, str) else None, caller_credential(kwargs))
        elif reason is not None and self.compressor.sent_uncompressed(messages, reason):
            _warn_once(reason)

    def _compress_body(self, body: dict[str, Any], model: str | None, credential: str | None) -> None:
        """Replace the body's message list (OpenAI, Anthropic) or `contents` (Gemini) in place."""
        if isinstance(body.get("messages"), list):
            outcome = self.compressor.messages_sync(body["messages"], model, credential)
            if outcome is not None:
                body["messages"] = outcome.payload
        else:
            outcome = self.compressor.gemini_contents_sync(body["contents"], model, credential)
            if outcome is not None:
                body["contents"] = outcome.payload

    def __repr__(self) -> str:
        c = self.compressor
        return (
            f"HeadroomCallback(pipeline={c.pipeline.name!r}, min_tokens={c.min_tokens}, "
            f"model_limit={c.model_limit}, total_tokens_saved={self.total_tokens_saved})"
        )


class _NothingToLog:
    """What the shared instance gives back when LiteLLM calls it as a function-style logger.

    LiteLLM calls every *callable* callback as `callback(kwargs, response, start, end)`
    after each request, on top of its CustomLogger hooks, and awaits the result on async
    requests. There is nothing to log there; this is a no-op either way.
    """

    def __await__(self) -> Generator[None, None, None]:
        yield from ()


_NOTHING_TO_LOG = _NothingToLog()


def _is_litellm_logging_call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    return len(args) == 4 and not kwargs and isinstance(args[0], dict)


class _HeadroomCallbackFactory(HeadroomCallbackType):
    """`HeadroomCallback`: an instance with default settings that also acts as the class.

    The LiteLLM proxy resolves `litellm_settings.callbacks` entries to module attributes
    and accepts only instances (a class is refused), while Python code writes
    `HeadroomCallback(...)`. So the attribute is an instance whose call builds a new,
    independently configured `HeadroomCallbackType`, and which stands in for the class in
    `isinstance`, `issubclass` and class statements.
    """

    @overload
    def __call__(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any, /
    ) -> Any: ...

    @overload
    def __call__(
        self,
        pipeline: PipelineLike = ...,
        *,
        hooks: CompressionHooks | None = ...,
        min_tokens: int = ...,
        model_limit: int | None = ...,
        compress_options: Mapping[str, Any] | None = ...,
    ) -> HeadroomCallbackType: ...

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _is_litellm_logging_call(args, kwargs):
            return _NOTHING_TO_LOG
        return HeadroomCallbackType(*args, **kwargs)

    def __instancecheck__(self, instance: Any) -> bool:
        return isinstance(instance, HeadroomCallbackType)

    def __subclasscheck__(self, subclass: Any) -> bool:
        return isinstance(subclass, type) and issubclass(subclass, HeadroomCallbackType)

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        return (HeadroomCallbackType,)


HeadroomCallback = _HeadroomCallbackFactory()
