"""`HeadroomAgnoModel`: an Agno model that compresses every request its agent sends.

    from agno.agent import Agent
    from agno.models.anthropic import Claude
    from headroom.integrations.agno import HeadroomAgnoModel

    model = HeadroomAgnoModel(Claude(id="claude-sonnet-4-20250514"))
    agent = Agent(model=model, tools=[...])

It is an agno `Model` wrapped around another one. Agno's tool loop (`Model.response` and its
async and streaming twins) runs on the wrapper and calls `invoke` / `ainvoke` / `invoke_stream`
/ `ainvoke_stream` once per model round with the whole conversation so far; the wrapper
compresses there, so a tool result from an earlier round of the same run is compressed on the
next round too. It compresses copies: the agent's own run messages are never changed.

Everything else is the wrapped model's: each method its class defines over agno's `Model` is
delegated to it (bound per instance, so a method `Model` itself defines, such as
`get_system_message_for_model` or `to_dict`, is the wrapped model's too, which attribute
forwarding alone would never reach), `Model`'s fields read and write the wrapped model's, and
any other attribute is read from it.

The `headroom_retrieve` tool joins every call that offers tools, when the pipeline can drop
content (`retrieve_tool=False` turns it off): the agent runs it like its own tools, and it
answers from the store the compression wrote to, only for hashes this model's compressed
messages named.

Failing open: an error while compressing sends the original messages; the reason is logged
(`headroom.integrations.agno` logger) and kept in the call's record. A bad configuration (a
pipeline that does not load, an unknown option, a store URL of no known kind) raises when
the wrapper is built.

This module imports agno; `import headroom` never imports it.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from agno.models.base import Model
from agno.models.message import Message
from agno.tools.function import Function

from headroom import workers
from headroom.ccr import retrieval
from headroom.ccr.stores import StoreLike, namespace_for_credential, resolve_store
from headroom.compress import PipelineLike
from headroom.integrations._compressor import DEFAULT_MIN_TOKENS, Attempt, RequestCompressor, Totals
from headroom.integrations._wrapping import CallLog, CallRecord, SentHashes, options_with_store, settle
from headroom.pipeline.hooks import CompressionHooks

logger = logging.getLogger(__name__)

# The methods agno's tool loop calls once per model round: the wrapper compresses in these.
COMPRESSING_METHODS = frozenset({"invoke", "ainvoke", "invoke_stream", "ainvoke_stream"})
# The tool loops; the wrapper runs agno's own, adding the retrieve tool to what they offer.
_LOOPS = ("response", "aresponse", "response_stream", "aresponse_stream")
_MAX_RECORDS = 1_000  # the per-call records kept (the oldest go first); the totals count every call
# Every call is compressed in one namespace: the wrapper is the application's own, with no caller
# credential to tell callers apart.
_NAMESPACE = namespace_for_credential(None)
_BASE_FIELDS = frozenset(f.name for f in dataclasses.fields(Model))


def delegated_methods(model_class: type) -> frozenset[str]:
    """The methods `model_class` defines over agno's base `Model` (in its own class or any
    class between it and `Model`), except dunders and the ones the wrapper compresses in."""
    names: set[str] = set()
    for klass in model_class.__mro__:
        if klass is Model or not issubclass(klass, Model):
            continue
        for name, value in vars(klass).items():
            is_method = inspect.isfunction(value) or isinstance(value, (staticmethod, classmethod))
            if is_method and not name.startswith("__"):
                names.add(name)
    return frozenset(names - COMPRESSING_METHODS)


class HeadroomAgnoModel(Model):
    """An agno `Model` that compresses each request on its way to the model it wraps.

    `HeadroomAgnoModel(model)` or `HeadroomAgnoModel(wrapped_model=model, pipeline=...,
    hooks=..., store=...)`. Options: `pipeline` (a name, a YAML path or a Pipeline), `hooks`
    (`CompressionHooks`), `store` (where originals are kept: a URL or a Store), `min_tokens`
    (smaller requests go as they are), `model_limit` (an overall token budget),
    `compress_options` (any other `compress()` option) and `retrieve_tool`.
    """

    wrapped_model: Model
    compressor: RequestCompressor
    _store: Any
    _offers_retrieve: bool
    _log: CallLog
    _sent: SentHashes

    def __init__(
        self,
        wrapped_model: Model,
        *,
        pipeline: PipelineLike = "default",
        hooks: CompressionHooks | None = None,
        store: StoreLike | None = None,
        min_tokens: int = DEFAULT_MIN_TOKENS,
        model_limit: int | None = None,
        compress_options: Mapping[str, Any] | None = None,
        retrieve_tool: bool = True,
    ) -> None:
        if not isinstance(wrapped_model, Model):
            raise TypeError(f"wrapped_model must be an agno Model, not {type(wrapped_model).__name__}")
        if isinstance(wrapped_model, HeadroomAgnoModel):
            raise TypeError("wrapped_model is already a HeadroomAgnoModel: wrap the model once")
        options = options_with_store(compress_options, store)
        compressor = RequestCompressor(
            pipeline=pipeline,
            hooks=hooks,
            min_tokens=min_tokens,
            model_limit=model_limit,
            compress_options=options,
            logger=logger,
        )
        state = self.__dict__
        state["wrapped_model"] = wrapped_model
        state["compressor"] = compressor
        # The store compression writes to (the caller's, else the pipeline's, else the default):
        # the retrieve tool reads the same one.
        state["_store"] = resolve_store(options.get("store"), compressor.pipeline)
        state["_offers_retrieve"] = retrieve_tool and compressor.pipeline.can_drop
        state["_log"] = CallLog(_MAX_RECORDS)
        state["_sent"] = SentHashes()
        self._delegate_to(wrapped_model)

    def _delegate_to(self, wrapped: Model) -> None:
        # Bound in the instance's own dict, where a method lookup finds them before the class's.
        for name in delegated_methods(type(wrapped)):
            self.__dict__[name] = getattr(wrapped, name)

    # attributes ----------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # Reached only for names neither the instance nor the class has: the wrapped model's own.
        if name.startswith("__") or "wrapped_model" not in self.__dict__:
            raise AttributeError(name)
        return getattr(self.__dict__["wrapped_model"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        # `Model`'s fields are properties (below); the wrapped model's other fields are set on it.
        wrapped = self.__dict__.get("wrapped_model")
        wrapped_fields = getattr(type(wrapped), "__dataclass_fields__", {})
        if name not in _BASE_FIELDS and name in wrapped_fields:
            setattr(wrapped, name, value)
        else:
            super().__setattr__(name, value)

    def __repr__(self) -> str:
        return f"HeadroomAgnoModel({self.wrapped_model!r})"

    def __deepcopy__(self, memo: dict[int, Any]) -> HeadroomAgnoModel:
        """A wrapper around a deep copy of the wrapped model (agno copies it its own way); the
        compressor, its totals, the records and the retrieve tool's hashes are shared."""
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        state = dict(self.__dict__)
        state["wrapped_model"] = copy.deepcopy(self.wrapped_model, memo)
        clone.__dict__.update(state)
        clone._delegate_to(clone.wrapped_model)
        return clone

    # figures -------------------------------------------------------------------------------

    @property
    def total_tokens_saved(self) -> int:
        """Tokens saved by every call that went out compressed."""
        return self._log.tokens_saved

    @property
    def records(self) -> list[CallRecord]:
        """One record per model call, oldest first (the last 1,000)."""
        return self._log.records()

    def totals(self) -> Totals:
        """The compressor's running totals: requests seen, compressed, failures (a request whose
        compressed messages could not be rebuilt counts as compressed there, and as a failure)."""
        return self.compressor.totals.snapshot()

    # the tool loops: agno's own, with the retrieve tool added ----------------------------------

    def response(self, *args: Any, **kwargs: Any) -> Any:
        return Model.response(*self._offering_retrieve(Model.response, args, kwargs, self._retrieve_sync))

    async def aresponse(self, *args: Any, **kwargs: Any) -> Any:
        called = self._offering_retrieve(Model.aresponse, args, kwargs, self._retrieve_async)
        return await Model.aresponse(*called)

    def response_stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        called = self._offering_retrieve(Model.response_stream, args, kwargs, self._retrieve_sync)
        return Model.response_stream(*called)

    def aresponse_stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        called = self._offering_retrieve(Model.aresponse_stream, args, kwargs, self._retrieve_async)
        return Model.aresponse_stream(*called)

    def _offering_retrieve(
        self,
        loop: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        entry: Callable[..., Any],
    ) -> list[Any]:
        """The loop's positional arguments (self first), with the retrieve tool in `tools`."""
        bound = inspect.signature(loop).bind(self, *args, **kwargs)
        bound.apply_defaults()
        tools = bound.arguments.get("tools")
        if self._offers_retrieve and tools is not None and not _has_retrieve(tools):
            bound.arguments["tools"] = [*tools, self.retrieve_function(entry)]
        return list(bound.args)

    def retrieve_function(self, entry: Callable[..., Any] | None = None) -> Function:
        """The `headroom_retrieve` tool as an agno Function (the tool loops add it themselves)."""
        definition = retrieval.retrieve_tool("openai")["function"]
        return Function(
            name=definition["name"],
            description=definition["description"],
            parameters=definition["parameters"],
            entrypoint=entry or self._retrieve_sync,
            skip_entrypoint_processing=True,
        )

    def _retrieve_sync(self, hash: str, query: str | None = None) -> str:
        return self._sent.answer(hash, query, self._store, _NAMESPACE)

    async def _retrieve_async(self, hash: str, query: str | None = None) -> str:
        # The store may be a file or a server: read it in a worker, not on the event loop.
        answer: str = await workers.run_sync(self._retrieve_sync, hash, query)
        return answer

    # agno's other abstract methods: the wrapped model's (also bound per instance, above)

    def _parse_provider_response(self, response: Any, **kwargs: Any) -> Any:
        return self.wrapped_model._parse_provider_response(response, **kwargs)

    def _parse_provider_response_delta(self, response: Any) -> Any:
        return self.wrapped_model._parse_provider_response_delta(response)

    # the calls: compressed, then the wrapped model's -------------------------------------------

    def invoke(self, *args: Any, **kwargs: Any) -> Any:
        args, kwargs = self._compressed_sync(args, kwargs)
        return self.wrapped_model.invoke(*args, **kwargs)

    async def ainvoke(self, *args: Any, **kwargs: Any) -> Any:
        args, kwargs = await self._compressed_async(args, kwargs)
        return await self.wrapped_model.ainvoke(*args, **kwargs)

    def invoke_stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        args, kwargs = self._compressed_sync(args, kwargs)
        yield from self.wrapped_model.invoke_stream(*args, **kwargs)

    async def ainvoke_stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        args, kwargs = await self._compressed_async(args, kwargs)
        async for item in self.wrapped_model.ainvoke_stream(*args, **kwargs):
            yield item

    def _compressed_sync(
        self, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        try:
            call = _Call.of(args, kwargs)
            if call is None:
                return args, kwargs
            attempt = self.compressor.attempt_messages_sync(call.plain, self.wrapped_model.id)
            return call.with_messages(self._rebuilt(call, attempt))
        except Exception as error:  # never into the agent: the call goes out as it came
            self._failed(error)
            return args, kwargs

    async def _compressed_async(
        self, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        try:
            call = _Call.of(args, kwargs)
            if call is None:
                return args, kwargs
            attempt = await self.compressor.attempt_messages(call.plain, self.wrapped_model.id)
            # Comparing texts and reading the markers' hashes is work in proportion to the request.
            rebuilt: list[Message] = await workers.run_sync(self._rebuilt, call, attempt)
            return call.with_messages(rebuilt)
        except Exception as error:
            self._failed(error)
            return args, kwargs

    def _failed(self, error: Exception) -> None:
        reason = self.compressor.report_failure(error)
        self._log.add(CallRecord(False, failures=(reason,)))

    def _rebuilt(self, call: _Call, attempt: Attempt) -> list[Message]:
        """The messages to send: copies with the compressed text where it changed, else the originals."""
        failures = attempt.failures
        messages = call.messages
        if attempt.payload is not None:
            try:
                messages = call.rebuilt(attempt.payload)
            except Exception as error:  # a hook that changed the message list's shape
                failures = (*failures, self.compressor.report_failure(error))
        settle(self._log, self._sent, attempt, messages is not call.messages, failures)
        return messages


def _has_retrieve(tools: list[Any]) -> bool:
    return any(
        getattr(tool, "name", None) == retrieval.TOOL_NAME or retrieval.tool_name(tool) == retrieval.TOOL_NAME
        for tool in tools
    )


@dataclass
class _Call:
    """One model call's arguments, its messages, and those messages in the OpenAI format headroom reads."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    messages: list[Message]
    plain: list[dict[str, Any]]
    field: str  # the Message field the wrapped model sends as the text

    @classmethod
    def of(cls, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Call | None:
        messages = kwargs["messages"] if "messages" in kwargs else (args[0] if args else None)
        if not isinstance(messages, list) or not all(isinstance(m, Message) for m in messages):
            return None
        # With compress_tool_results, agno sends a tool result's own compressed_content when set.
        use_compressed = bool(kwargs.get("compress_tool_results"))
        plain = [_plain(m, use_compressed) for m in messages]
        field = "compressed_content" if use_compressed else "content"
        return cls(args, kwargs, messages, plain, field)

    def with_messages(self, messages: list[Message]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if "messages" in self.kwargs:
            return self.args, {**self.kwargs, "messages": messages}
        return (messages, *self.args[1:]), self.kwargs

    def rebuilt(self, compressed: list[Any]) -> list[Message]:
        """Copies of the messages whose text the pipeline changed; every other field kept."""
        if len(compressed) != len(self.messages):
            raise ValueError(
                f"compression returned {len(compressed)} messages for {len(self.messages)}; sent as they were"
            )
        rebuilt: list[Message] = []
        for message, sent, came in zip(self.messages, self.plain, compressed, strict=True):
            if not isinstance(came, Mapping) or came.get("role") != sent["role"]:
                raise ValueError("compression changed a message's role; sent as they were")
            text = came.get("content")
            if text == sent["content"]:
                rebuilt.append(message)
                continue
            name = self.field if getattr(message, self.field) is not None else "content"
            rebuilt.append(message.model_copy(update={name: text}))
        return rebuilt


def _plain(message: Message, use_compressed: bool) -> dict[str, Any]:
    """A message as headroom reads it: role, the text the model will be sent, tool call links."""
    text = message.get_content(use_compressed_content=use_compressed)
    plain: dict[str, Any] = {"role": message.role, "content": text}
    if message.tool_calls:
        plain["tool_calls"] = message.tool_calls
    if message.tool_call_id is not None:
        plain["tool_call_id"] = message.tool_call_id
    if message.name is not None:
        plain["name"] = message.name
    return plain


def _forwarded(name: str) -> property:
    def read(self: HeadroomAgnoModel) -> Any:
        return getattr(self.__dict__["wrapped_model"], name)

    def write(self: HeadroomAgnoModel, value: Any) -> None:
        setattr(self.__dict__["wrapped_model"], name, value)

    return property(read, write, doc=f"The wrapped model's `{name}`.")


# agno's `Model` fields (id, provider, tool_message_role, ...) are the wrapped model's: the agent
# reads and sets them on the wrapper, the wrapped model's own methods read them on itself.
for _name in sorted(_BASE_FIELDS):
    setattr(HeadroomAgnoModel, _name, _forwarded(_name))

__all__ = ["COMPRESSING_METHODS", "CallRecord", "HeadroomAgnoModel", "delegated_methods"]
