"""`HeadroomChatModel`: any LangChain chat model, with its requests compressed on the way out.

    from langchain_openai import ChatOpenAI
    from headroom.integrations import HeadroomChatModel

    llm = HeadroomChatModel(ChatOpenAI(model="gpt-4o"))

It is a `BaseChatModel` that wraps another: `invoke`, `ainvoke`, `stream`, `astream`, batching,
callbacks and tracing are LangChain's own; only the messages handed to the wrapped model's
`_generate` / `_agenerate` / `_stream` / `_astream` change. Each message keeps its class and
every field (ids, names, `additional_kwargs`, `response_metadata`, tool calls, usage, artifacts,
custom roles): only the text of the messages the pipeline changed is replaced, on a copy
(`model_copy`), so the caller's messages, and a LangGraph state holding them, are never touched.

`bind_tools` and `with_structured_output` ask the wrapped model to build its runnable and put
this model in its place, so tool calls and structured output are compressed too. A wrapped model
that cannot stream (no `_stream`) answers `stream` with one chunk. `retrieve_tool()` is the
`headroom_retrieve` tool, to give an agent next to its own tools: it answers a marker's hash with
the original from the store this model compresses into.

Settings are checked when the model is built (a pipeline that does not load, an unknown option
or a store URL of no known kind raises there); a request that fails to compress goes out as it
came, with the reason logged (logger `headroom.integrations.langchain`) and in `calls`.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from headroom import workers
from headroom.ccr.retrieval import TOOL_NAME, retrieve_tool
from headroom.ccr.stores import ANONYMOUS_NAMESPACE, StoreLike, resolve_store
from headroom.integrations._compressor import DEFAULT_MIN_TOKENS, Attempt, RequestCompressor, Totals
from headroom.integrations._wrapping import CallLog, CallRecord, SentHashes, options_with_store, settle

__all__ = ["CallRecord", "HeadroomChatModel"]

logger = logging.getLogger(__name__)

_KEPT_CALLS = 100  # per-call records kept (the newest); the totals count every call
# Roles the engine reads; a ChatMessage with another role goes out as it came.
_KNOWN_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
# BaseChatModel settings LangChain applies around a model's calls. The wrapped model's own calls
# are bypassed (its `_generate` is called directly), so the wrapper takes them over.
_INHERITED_SETTINGS = ("cache", "rate_limiter", "disable_streaming", "output_version")


# LangChain messages as the engine reads them ---------------------------------------------------

_PASSED_OVER: dict[str, Any] = {"role": "assistant", "content": None}  # the engine reads nothing here


def _openai_tool_calls(message: AIMessage) -> list[dict[str, Any]]:
    """The message's tool calls as the engine reads them (what produced each tool output)."""
    return [
        {
            "id": call.get("id") or "",
            "type": "function",
            "function": {"name": call["name"], "arguments": call["args"]},
        }
        for call in message.tool_calls
    ]


def engine_view(message: BaseMessage) -> dict[str, Any]:
    """What the engine needs of a message: its role, its content (the same object, not a copy), and
    what links a tool output to its call. Messages of a kind it does not know are passed over."""
    if isinstance(message, ToolMessage):
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
    if isinstance(message, AIMessage):
        view: dict[str, Any] = {"role": "assistant", "content": message.content}
        if message.tool_calls:
            view["tool_calls"] = _openai_tool_calls(message)
        return view
    if isinstance(message, HumanMessage):
        return {"role": "user", "content": message.content}
    if isinstance(message, SystemMessage):
        return {"role": "system", "content": message.content}
    if isinstance(message, FunctionMessage):
        return {"role": "function", "name": message.name, "content": message.content}
    if isinstance(message, ChatMessage) and message.role in _KNOWN_ROLES:
        return {"role": message.role, "content": message.content}
    return dict(_PASSED_OVER)  # a custom role, a RemoveMessage, any other subclass


def rebuild(
    originals: Sequence[BaseMessage], views: Sequence[dict[str, Any]], compressed: Sequence[Any]
) -> list[BaseMessage]:
    """The originals, with the content of each message the pipeline changed replaced on a copy."""
    if len(compressed) != len(originals):
        raise ValueError(
            f"the pipeline returned {len(compressed)} messages for {len(originals)}; "
            "a message list can only be compressed in place"
        )
    rebuilt: list[BaseMessage] = []
    for original, view, new in zip(originals, views, compressed, strict=True):
        if new is view:
            rebuilt.append(original)  # untouched: the same object
            continue
        if not isinstance(new, Mapping) or "content" not in new:
            raise ValueError(f"the pipeline returned a {type(new).__name__} for a message")
        content = new["content"]
        if content == view["content"]:
            rebuilt.append(original)
        else:
            rebuilt.append(original.model_copy(update={"content": content}))
    return rebuilt


# the wrapped model's abilities -------------------------------------------------------------------


def _overrides(model: BaseChatModel, name: str) -> bool:
    return getattr(type(model), name) is not getattr(BaseChatModel, name)


def _streams(model: BaseChatModel, async_api: bool, kwargs: Mapping[str, Any]) -> bool:
    """Whether the wrapped model can stream this call (LangChain would otherwise invoke it)."""
    native = _overrides(model, "_stream") or (async_api and _overrides(model, "_astream"))
    if not native or model.disable_streaming is True:
        return False
    return not (model.disable_streaming == "tool_calling" and kwargs.get("tools"))


def _run_manager_kwargs(method: Callable[..., Any], run_manager: Any) -> dict[str, Any]:
    """`run_manager=` for a model method that takes one (LangChain checks the same way)."""
    return {"run_manager": run_manager} if "run_manager" in inspect.signature(method).parameters else {}


def _one_chunk(result: ChatResult) -> ChatGenerationChunk:
    """A whole answer as a single stream chunk, for a wrapped model that cannot stream."""
    generation = result.generations[0]
    message = generation.message
    if isinstance(message, AIMessage):
        fields = message.model_dump(exclude={"type"})
    else:  # a chat model answers with an AIMessage; anything else keeps what a chunk can carry
        fields = {key: getattr(message, key) for key in ("content", "additional_kwargs", "name", "id")}
        fields["response_metadata"] = dict(message.response_metadata)
    if result.llm_output and len(result.generations) == 1:  # what invoke would have put there
        fields["response_metadata"] = {**result.llm_output, **fields["response_metadata"]}
    return ChatGenerationChunk(message=AIMessageChunk(**fields), generation_info=generation.generation_info)


def _model_name(model: BaseChatModel) -> str | None:
    for name in ("model_name", "model", "model_id"):
        value = getattr(model, name, None)
        if isinstance(value, str) and value:
            return value
    return None


def _with_model(runnable: Any, old: BaseChatModel, new: BaseChatModel) -> tuple[Any, bool]:
    """A copy of a runnable built around `old` with `new` in its place, and whether `old` was found.

    Walks the shapes LangChain builds for tools and structured output: bindings, sequences,
    parallel maps and fallbacks (any pydantic runnable with runnable fields)."""
    if runnable is old:
        return new, True
    if not isinstance(runnable, Runnable) or not isinstance(runnable, BaseModel):
        return runnable, False
    changes: dict[str, Any] = {}
    for name in type(runnable).model_fields:
        value = getattr(runnable, name, None)
        if isinstance(value, Runnable):
            swapped, found = _with_model(value, old, new)
        elif isinstance(value, list) and any(isinstance(item, Runnable) for item in value):
            pairs = [_with_model(item, old, new) for item in value]
            swapped, found = [item for item, _ in pairs], any(hit for _, hit in pairs)
        elif isinstance(value, dict) and any(isinstance(item, Runnable) for item in value.values()):
            pairs_by_key = {key: _with_model(item, old, new) for key, item in value.items()}
            swapped = {key: item for key, (item, _) in pairs_by_key.items()}
            found = any(hit for _, hit in pairs_by_key.values())
        else:
            continue
        if found:
            changes[name] = swapped
    if not changes:
        return runnable, False
    return runnable.model_copy(update=changes), True


# the model ---------------------------------------------------------------------------------------


class HeadroomChatModel(BaseChatModel):
    """A LangChain chat model that compresses every request before the wrapped model sends it.

    wrapped_model: the chat model that talks to the provider (positional or by keyword).
    pipeline: a pipeline name ("default", "aggressive", "lossless"), a YAML path or a Pipeline.
    hooks: `CompressionHooks` run on every compression.
    store: where originals are kept (a URL or a Store); `retrieve_tool()` reads from it.
    min_tokens: requests with less text than this (estimated) go out as they are.
    model_limit: an overall token budget for the prompt (the engine's `max_tokens`).
    compress_options: any other `compress()` option, e.g. {"target_ratio": 0.3}.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    wrapped_model: BaseChatModel
    pipeline: Any = "default"
    hooks: Any = Field(default=None, exclude=True)
    store: Any = None
    min_tokens: int = DEFAULT_MIN_TOKENS
    model_limit: int | None = None
    compress_options: dict[str, Any] | None = None

    _compressor: RequestCompressor = PrivateAttr()
    _log: CallLog = PrivateAttr()
    _hashes_sent: SentHashes = PrivateAttr()

    def __init__(self, wrapped_model: BaseChatModel | None = None, /, **data: Any) -> None:
        if wrapped_model is not None:
            if "wrapped_model" in data:
                raise TypeError("wrapped_model given twice: positionally and by keyword")
            data["wrapped_model"] = wrapped_model
        inner = data.get("wrapped_model")
        if isinstance(inner, BaseChatModel):
            for name in _INHERITED_SETTINGS:
                data.setdefault(name, getattr(inner, name))
        super().__init__(**data)
        # Built here, outside pydantic's validation, so a bad configuration raises its own error.
        self._compressor = RequestCompressor(
            pipeline=self.pipeline,
            hooks=self.hooks,
            min_tokens=self.min_tokens,
            model_limit=self.model_limit,
            compress_options=self._options(),
            logger=logger,
        )
        self._log = CallLog(_KEPT_CALLS)
        self._hashes_sent = SentHashes()

    def _options(self) -> dict[str, Any]:
        return options_with_store(self.compress_options, self.store)

    # figures ------------------------------------------------------------------------------------

    @property
    def total_tokens_saved(self) -> int:
        return self._compressor.totals.snapshot().total_tokens_saved

    def totals(self) -> Totals:
        """All running totals at one instant (requests seen, compressed, tokens saved, failures)."""
        return self._compressor.totals.snapshot()

    @property
    def calls(self) -> list[CallRecord]:
        """The newest calls' records, oldest first (at most 100 are kept)."""
        return self._log.records()

    @property
    def last_call(self) -> CallRecord | None:
        return self._log.last()

    @property
    def namespace(self) -> str:
        """The namespace originals are kept in (`headroom.retrieve(hash, namespace=...)` reads it)."""
        return ANONYMOUS_NAMESPACE  # the compressor's, for a call that names no caller credential

    @property
    def compressor(self) -> RequestCompressor:
        return self._compressor

    # compressing --------------------------------------------------------------------------------

    def _record(self, record: CallRecord) -> None:
        self._log.add(record)

    def _sent(self, messages: list[BaseMessage], attempt: Attempt) -> list[BaseMessage]:
        """The messages to send for an attempt, which is recorded."""
        sent: list[BaseMessage] | None = attempt.payload
        settle(self._log, self._hashes_sent, attempt, sent is not None)
        return messages if sent is None else sent

    def _views(self, messages: list[BaseMessage]) -> list[dict[str, Any]] | None:
        try:
            return [engine_view(message) for message in messages]
        except Exception as error:  # a message of a shape nobody foresaw: send them all as they are
            self._record(CallRecord(False, failures=(self._compressor.report_failure(error),)))
            return None

    def compress_messages(self, messages: list[BaseMessage]) -> list[BaseMessage]:
        """The messages to send: compressed copies where the pipeline changed them, else the originals."""
        views = self._views(messages)
        if views is None:
            return messages
        attempt = self._compressor.attempt_messages_sync(
            views, _model_name(self.wrapped_model), finish=functools.partial(rebuild, messages, views)
        )
        return self._sent(messages, attempt)

    async def acompress_messages(self, messages: list[BaseMessage]) -> list[BaseMessage]:
        """`compress_messages` for async code: the work runs in a worker thread, off the event loop."""
        views = self._views(messages)
        if views is None:
            return messages
        attempt = await self._compressor.attempt_messages(
            views, _model_name(self.wrapped_model), finish=functools.partial(rebuild, messages, views)
        )
        return self._sent(messages, attempt)

    # BaseChatModel ------------------------------------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return f"headroom-{self.wrapped_model._llm_type}"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "wrapped_model": dict(self.wrapped_model._identifying_params),
            "pipeline": self._compressor.pipeline.name if hasattr(self, "_compressor") else None,
        }

    @property
    def model_name(self) -> str | None:
        """The wrapped model's name (LangChain's agents read it to pick a structured-output strategy)."""
        return _model_name(self.wrapped_model)

    def _resolve_model_profile(self) -> Any:
        return self.wrapped_model.profile

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> Any:
        return self.wrapped_model._get_ls_params(stop=stop, **kwargs)

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        return self.wrapped_model.get_num_tokens_from_messages(messages, tools)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        inner = self.wrapped_model
        sent = self.compress_messages(messages)
        return inner._generate(sent, stop=stop, **_run_manager_kwargs(inner._generate, run_manager), **kwargs)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        inner = self.wrapped_model
        sent = await self.acompress_messages(messages)
        return await inner._agenerate(
            sent, stop=stop, **_run_manager_kwargs(inner._agenerate, run_manager), **kwargs
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        inner = self.wrapped_model
        sent = self.compress_messages(messages)
        if not _streams(inner, False, kwargs):
            extra = _run_manager_kwargs(inner._generate, run_manager)
            yield _one_chunk(inner._generate(sent, stop=stop, **extra, **kwargs))
            return
        yield from inner._stream(sent, stop=stop, run_manager=run_manager, **kwargs)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        inner = self.wrapped_model
        sent = await self.acompress_messages(messages)
        if not _streams(inner, True, kwargs):
            extra = _run_manager_kwargs(inner._agenerate, run_manager)
            yield _one_chunk(await inner._agenerate(sent, stop=stop, **extra, **kwargs))
            return
        async for chunk in inner._astream(sent, stop=stop, run_manager=run_manager, **kwargs):
            yield chunk

    # tools and structured output ----------------------------------------------------------------

    def _in_place_of_wrapped(self, runnable: Any, what: str) -> Any:
        swapped, found = _with_model(runnable, self.wrapped_model, self)
        if not found:
            raise TypeError(
                f"{type(self.wrapped_model).__name__}.{what} built a runnable that does not call the model "
                "itself, so its requests could not be compressed"
            )
        return swapped

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """The wrapped model's `bind_tools`, calling this model: tool calls are compressed too."""
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        bound = self.wrapped_model.bind_tools(tools, **kwargs)
        result: Runnable[LanguageModelInput, AIMessage] = self._in_place_of_wrapped(bound, "bind_tools")
        return result

    def with_structured_output(
        self, schema: dict[str, Any] | type, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[LanguageModelInput, Any]:
        """The wrapped model's `with_structured_output`, calling this model."""
        built = self.wrapped_model.with_structured_output(schema, include_raw=include_raw, **kwargs)
        result: Runnable[LanguageModelInput, Any] = self._in_place_of_wrapped(built, "with_structured_output")
        return result

    # retrieval ----------------------------------------------------------------------------------

    def _retrieval_store(self) -> Any:
        """The store this model's originals go to (opened on first use, not when the model is built)."""
        explicit: StoreLike | None = self._options().get("store")
        return resolve_store(explicit, self._compressor.pipeline)

    def retrieve(self, hash: str, query: str | None = None) -> str:
        """The answer to a `headroom_retrieve` call: the original behind a marker's hash (or, with a
        query, the lines or items holding it), or why there is none. Only for hashes a marker this
        model sent names: a model reads back what it was shown, never another caller's originals."""
        return self._hashes_sent.answer(hash, query, self._retrieval_store(), self.namespace)

    async def aretrieve(self, hash: str, query: str | None = None) -> str:
        """`retrieve` in a worker thread (a store read is I/O), so the event loop keeps running."""
        return await workers.run_sync(self.retrieve, hash, query)

    def retrieve_tool(self) -> BaseTool:
        """The `headroom_retrieve` tool, answering from this model's store: add it to the agent's tools."""
        definition = retrieve_tool("openai")["function"]
        return StructuredTool(
            name=TOOL_NAME,
            description=definition["description"],
            args_schema=definition["parameters"],
            func=self.retrieve,
            coroutine=self.aretrieve,
        )
