"""`compress()` and `acompress()`: the public entry points.

`acompress` is the implementation. `compress` runs it with anyio, or, when it is
called inside a running event loop (Jupyter, a FastAPI handler), in a worker
thread with its own loop. Both fail open on data: bad input or an internal error
gives back the original messages with the reason in `result.failures`, unless
`strict=True`. Both fail loudly on configuration, whatever `strict` says: a pipeline
that does not load raises its `PipelineSpecError`, an unknown keyword a TypeError
("did you mean"), a bad option value a TypeError or ValueError, a store URL of no
known kind `StoreConfigError` (every one a `headroom.pipeline.errors.ConfigurationError`
except the value checks).

A run is written once, as a procedure (`_compress`) that asks for each hook call
it needs by yielding it. `acompress` runs the procedure's work in a worker thread
(`headroom.workers`: bounded, one hop per stretch between hooks, a single hop when
there are no hooks) and each hook on the caller's event loop, so the loop never
waits on parsing, scoring, rendering, a store or a tokenizer, and an async hook
still runs where the caller's own resources live.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
import time
from collections.abc import Callable, Collection, Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

if TYPE_CHECKING:
    from headroom.pipeline.trace import Trace

from headroom import workers
from headroom.ccr.stores import (
    DEFAULT_NAMESPACE,
    MemoryStore,
    ScopedStore,
    Store,
    StoreLike,
    check_namespace,
    check_url,
    resolve_store,
)
from headroom.markers import worth_sending
from headroom.messages import Conversation, extract_blocks, write_back
from headroom.pipeline import options as run_options
from headroom.pipeline.errors import (
    ConfigurationError,
    HookError,
    InputError,
    UnknownOptionError,
    did_you_mean,
)
from headroom.pipeline.executor import StageOverride, execute
from headroom.pipeline.hooks import CompressContext, CompressEvent, CompressionHooks, call_hook
from headroom.pipeline.loading import load_pipeline
from headroom.pipeline.pipeline import Pipeline
from headroom.pipeline.stage import BlockState, Failure, RunContext, RunState
from headroom.tokens import MESSAGE_OVERHEAD, approx_tokens, counter_for, estimate_tokens, iter_text

PipelineLike = str | Path | Pipeline | dict[str, Any]
T = TypeVar("T")


class _TokenMeter:
    """Counts each distinct string once per run (the input is tokenised once, not once per use)."""

    def __init__(self, model: str | None):
        self._count = counter_for(model)
        self._seen: dict[int, tuple[str, int]] = {}

    def __call__(self, text: str) -> int:
        cached = self._seen.get(id(text))
        if cached is not None and cached[0] is text:
            return cached[1]
        tokens = self._count(text)
        self._seen[id(text)] = (text, tokens)
        return tokens

    def messages(self, messages: list[Any]) -> int:
        """Exact tokens of a message list; a string already counted (shared with the input) is reused."""
        return sum(MESSAGE_OVERHEAD + sum(self(text) for text in iter_text(message)) for message in messages)


@dataclass
class CompressResult:
    """What `compress()` returns. Token figures are exact for the model and counted on first
    access, so a caller that does not read them never waits for a tokenizer."""

    messages: Any
    transforms_applied: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    pipeline: str = ""
    seconds: float = 0.0
    trace: Trace | None = None
    model: str | None = None
    original: Any = field(default=None, repr=False)
    _meter: _TokenMeter | None = field(default=None, repr=False)
    _counted: dict[str, int] = field(default_factory=dict, repr=False)

    def _count(self, key: str, messages: Any) -> int:
        """Exact tokens, counted once; a failure to count is reported in `failures`, never raised,
        and the figure falls back to the character estimate."""
        if key not in self._counted:
            try:
                if self._meter is None:
                    self._meter = _TokenMeter(self.model)
                self._counted[key] = self._meter.messages(messages) if isinstance(messages, list) else 0
            except Exception as error:
                self._counted[key] = _estimated_tokens(messages)
                self.failures.append(
                    f"tokens: the {key} count failed ({type(error).__name__}: {error}); estimated"
                )
        return self._counted[key]

    @property
    def tokens_before(self) -> int:
        return self._count("before", self.original if self.original is not None else self.messages)

    @property
    def tokens_after(self) -> int:
        return self._count("after", self.messages)

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after

    @property
    def compression_ratio(self) -> float:
        """Fraction of tokens removed: 0.0 none .. 1.0 all."""
        if self.tokens_before <= 0:
            return 0.0
        return max(0.0, self.tokens_saved / self.tokens_before)

    def count_tokens(self) -> None:
        """Count `tokens_before` and `tokens_after` now (they are otherwise counted on first read)."""
        _ = self.tokens_before, self.tokens_after

    async def acount_tokens(self) -> None:
        """`count_tokens` in a worker thread, for async code: afterwards the token figures are read
        without running a tokenizer (or loading one) on the event loop."""
        if not {"before", "after"} <= self._counted.keys():
            await workers.run_sync(self.count_tokens)


def _estimated_tokens(messages: Any) -> int:
    try:
        return sum(MESSAGE_OVERHEAD + sum(map(approx_tokens, iter_text(message))) for message in messages)
    except Exception:
        return 0


def _context(conversation: Conversation, model: str | None, user_query: str | None) -> RunContext:
    return RunContext.of(conversation, model, user_query)


def _hook_context(run: RunContext) -> CompressContext:
    return CompressContext(run.model, run.user_query, run.turn_number, list(run.tool_calls), run.provider)


def _passthrough(
    messages: Any, reason: str, model: str | None, meter: _TokenMeter | None = None
) -> CompressResult:
    kept = list(messages) if isinstance(messages, list) else messages
    return CompressResult(messages=kept, failures=[reason], model=model, original=messages, _meter=meter)


@dataclass(frozen=True)
class _HookCall:
    """What the procedure asks its driver to run on the caller's side: a hook, sync or async."""

    function: Callable[..., Any]
    args: tuple[Any, ...]


# A procedure yields the hook calls it needs, is sent each one's return value (or has its
# exception thrown in), and returns its result.
Procedure = Generator[_HookCall, Any, T]


class _Run:
    """One call of acompress: the steps in order, with hook failures reported as they happen."""

    def __init__(self, model: str | None, hooks: CompressionHooks | None, strict: bool):
        self.model = model
        self.hooks = hooks
        self.strict = strict
        self.failures: list[str] = []
        self.meter = _TokenMeter(model)

    def hook(self, name: str, fallback: Any, *args: Any) -> Procedure[Any]:
        if self.hooks is None:
            return fallback
        try:
            return (yield _HookCall(getattr(self.hooks, name), args))
        except Exception as error:
            failure = HookError(name, error)
            if self.strict:
                raise failure from error
            self.failures.append(str(failure))
            return fallback

    def pre_compress(self, messages: list[Any], ctx: CompressContext) -> Procedure[list[Any]]:
        changed = yield from self.hook("pre_compress", messages, list(messages), ctx)
        if isinstance(changed, list):
            return changed
        self._bad_hook("pre_compress", f"returned {type(changed).__name__}, not a list; ignored")
        return messages

    def biases(self, messages: list[Any], ctx: CompressContext) -> Procedure[dict[int, float]]:
        raw = yield from self.hook("compute_biases", {}, messages, ctx)
        if not isinstance(raw, dict):
            self._bad_hook("compute_biases", f"returned {type(raw).__name__}, not a dict; ignored")
            return {}
        biases: dict[int, float] = {}
        for index, bias in raw.items():
            if isinstance(index, int) and isinstance(bias, (int, float)) and bias >= 0 and bias == bias:
                biases[index] = float(bias)
            else:
                self._bad_hook(
                    "compute_biases", f"entry {index!r}: {bias!r} is not index -> non-negative number"
                )
        return biases

    def _bad_hook(self, name: str, message: str) -> None:
        failure = HookError(name, ValueError(message))
        if self.strict:
            raise failure
        self.failures.append(str(failure))


def _outputs(state: RunState) -> tuple[dict[int, str], list[str]]:
    """Each changed block's final text, and the transforms applied."""
    outputs: dict[int, str] = {}
    transforms: list[str] = []
    for block in state.blocks:
        try:
            rendered = block.render()
        except Exception as error:  # only this block goes out as it came
            if state.strict:
                raise
            state.failures.append(
                Failure("render", f"{type(error).__name__}: {error}", block.block.message_index)
            )
            continue
        if not worth_sending(block.text, rendered):
            continue
        outputs[block.block.id] = rendered
        transforms.extend(block.notes)
    return outputs, transforms


async def acompress(
    messages: Any,
    model: str | None = "gpt-4o",
    *,
    pipeline: PipelineLike = "default",
    hooks: CompressionHooks | None = None,
    trace: bool | Collection[str] = False,
    overrides: Mapping[str, StageOverride] | None = None,
    strict: bool = False,
    user_query: str | None = None,
    store: StoreLike | None = None,
    session: str | None = None,
    namespace: str | None = None,
    **options: Any,
) -> CompressResult:
    """Compress a message list (OpenAI or Anthropic format) and return it in the same format.

    options: `max_tokens` (an overall budget), `target_ratio` (keep about this share of each
    compressible block), and any other option a stage declares (`headroom.pipeline.options`). `store`:
    where originals are kept, a URL (`memory://`, `sqlite:///path`, `redis://host:port/db`) or
    a Store; `namespace`: whose originals, memos and session records these are (`default`
    when not given; see `headroom.ccr.stores.namespaces`); `session`: names the conversation (by
    default it is recognised from its first system and user texts).

    `trace=True` keeps what every stage did (`result.trace`); `trace=["score"]` only those stages.
    `overrides={"score": work}` runs `work(block, state)` on each block the stage `score` applies
    to, instead of that stage: a notebook injects one stage's output and sees what the rest make of
    it. A run with overrides is an experiment: it keeps its originals and memos in a store of its
    own, so it reads no memo (every stage runs) and leaves nothing behind for real requests.
    """
    started = time.perf_counter()
    # Checked before anything else, in a worker (loading a pipeline file is work), and outside the
    # fail-open guard: a configuration that cannot work raises here, at the call site.
    request = await workers.run_sync(
        functools.partial(
            _request, pipeline, trace, user_query, store, session, namespace, options, overrides
        )
    )
    if not isinstance(messages, list):
        return _not_a_list(messages, model, strict)
    run = _Run(model, hooks, strict)
    try:
        result = await _drive(_compress(messages, run, request))
    except ConfigurationError:
        raise
    except Exception as error:
        result = _failed(messages, run, error)
    result.seconds = time.perf_counter() - started
    return result


def _here(
    messages: Any,
    model: str | None,
    *,
    pipeline: PipelineLike = "default",
    trace: bool | Collection[str] = False,
    overrides: Mapping[str, StageOverride] | None = None,
    strict: bool = False,
    user_query: str | None = None,
    store: StoreLike | None = None,
    session: str | None = None,
    namespace: str | None = None,
    **options: Any,
) -> CompressResult:
    """`acompress` without hooks for a caller with no event loop: there is no loop to keep
    responsive and no hook to await, so the work runs in the calling thread, step for step as
    `acompress` runs it (no event loop or worker thread of its own: about 5 ms less a call)."""
    started = time.perf_counter()
    request = _request(pipeline, trace, user_query, store, session, namespace, options, overrides)
    if not isinstance(messages, list):
        return _not_a_list(messages, model, strict)
    run = _Run(model, None, strict)
    try:
        step = _Stepper(_compress(messages, run, request)).send(None)
        assert isinstance(step, _Done)  # without hooks the procedure never asks for one
        result: CompressResult = step.value
    except ConfigurationError:
        raise
    except Exception as error:
        result = _failed(messages, run, error)
    result.seconds = time.perf_counter() - started
    return result


def _not_a_list(messages: Any, model: str | None, strict: bool) -> CompressResult:
    if strict:
        raise InputError(f"messages must be a list of message objects, not {type(messages).__name__}")
    reason = f"input: messages is {type(messages).__name__}, not a list; passed through"
    return _passthrough(messages, reason, model)


def _failed(messages: list[Any], run: _Run, error: Exception) -> CompressResult:
    """The input passed through after a failure outside any one block (raised when strict)."""
    if run.strict:
        raise error
    result = _passthrough(messages, f"{type(error).__name__}: {error}; passed through", run.model, run.meter)
    result.failures = run.failures + result.failures
    return result


@dataclass
class _Request:
    pipeline: Pipeline
    trace: bool | frozenset[str]  # True: every stage; a set: those stage ids
    user_query: str | None
    store: StoreLike | None
    options: dict[str, Any]
    namespace: str
    overrides: dict[str, StageOverride] = field(default_factory=dict)


def _request(
    pipeline: PipelineLike,
    trace: bool | Collection[str],
    user_query: str | None,
    store: StoreLike | None,
    session: str | None,
    namespace: str | None,
    options: dict[str, Any],
    overrides: Mapping[str, StageOverride] | None = None,
) -> _Request:
    """The call's configuration, checked: raises at the call site for anything that cannot work."""
    loaded = load_pipeline(pipeline)
    checked = _checked_options(options, loaded)
    if session is not None:
        checked[run_options.SESSION.name] = str(session)
    if store is not None and not isinstance(store, Store):
        check_url(store)
    chosen = check_namespace(namespace) if namespace is not None else DEFAULT_NAMESPACE
    injected = _checked_overrides(overrides, loaded)
    return _Request(loaded, _traced_stages(trace, loaded), user_query, store, checked, chosen, injected)


def _checked_overrides(
    overrides: Mapping[str, StageOverride] | None, pipeline: Pipeline
) -> dict[str, StageOverride]:
    """Each override names a stage of the pipeline and is a function of (block, state)."""
    if not overrides:
        return {}
    for stage_id, work in overrides.items():
        if stage_id not in pipeline.entries:
            raise UnknownOptionError(
                f"overrides: no stage {stage_id!r} in pipeline {pipeline.name!r}"
                f"{did_you_mean(stage_id, pipeline.order)}; its stages: {', '.join(pipeline.order)}"
            )
        if not callable(work):
            raise TypeError(
                f"overrides -> {stage_id}: expected a function of (block, state), not {type(work).__name__}"
            )
    return dict(overrides)


def _traced_stages(trace: bool | Collection[str], pipeline: Pipeline) -> bool | frozenset[str]:
    """`trace=True` records every stage; a collection of stage ids records those (each must be
    a stage of the pipeline)."""
    if isinstance(trace, bool):
        return trace
    if isinstance(trace, str):
        trace = [trace]
    wanted = frozenset(trace)
    unknown = sorted(wanted - set(pipeline.order))
    if unknown:
        raise UnknownOptionError(
            f"trace: no stage {unknown[0]!r} in pipeline {pipeline.name!r}"
            f"{did_you_mean(unknown[0], pipeline.order)}; its stages: {', '.join(pipeline.order)}"
        )
    return wanted


def _store_for(request: _Request) -> Store:
    """The run's store; a run with overrides (an experiment) gets an empty one of its own."""
    if request.overrides:
        return MemoryStore()
    return resolve_store(request.store, request.pipeline)


def check_configuration(**keywords: Any) -> Pipeline:
    """Make the checks `compress()` makes on its keywords, without compressing anything: raises what
    it would raise for them, and returns the loaded pipeline (to pass on, so it loads only once).

    For callers with a start-up (the integrations, the proxy): a bad configuration stops them there.
    """
    bound = inspect.signature(acompress).bind([], **keywords)
    bound.apply_defaults()
    given = bound.arguments
    request = _request(
        given["pipeline"],
        given["trace"],
        given["user_query"],
        given["store"],
        given["session"],
        given["namespace"],
        dict(given["options"]),
        given["overrides"],
    )
    return request.pipeline


def _checked_options(options: dict[str, Any], pipeline: Pipeline) -> dict[str, Any]:
    if any(not run_options.is_declared(name) for name in options):
        for stage_id in pipeline.order:  # a stage from another package declares its options on import
            pipeline.stage(stage_id)
    return run_options.checked(options, _keywords())


@functools.cache
def _keywords() -> tuple[str, ...]:
    """acompress's own keywords, for "did you mean"."""
    return tuple(
        name for name in inspect.signature(acompress).parameters if name not in ("messages", "options")
    )


class _Stepper:
    """Advances a procedure by one stretch (up to its next hook call, or to its end)."""

    def __init__(self, procedure: Procedure[T]):
        self._procedure = procedure

    def send(self, value: Any) -> _HookCall | _Done:
        try:
            return self._procedure.send(value)
        except StopIteration as done:  # never let StopIteration cross a thread or a coroutine
            return _Done(done.value)

    def throw(self, error: Exception) -> _HookCall | _Done:
        try:
            return self._procedure.throw(error)
        except StopIteration as done:
            return _Done(done.value)


@dataclass(frozen=True)
class _Done:
    value: Any


async def _drive(procedure: Procedure[T]) -> T:
    """Run a procedure's work in a worker thread and each hook it asks for on this event loop."""
    stepper = _Stepper(procedure)
    step = await workers.run_sync(stepper.send, None)
    while isinstance(step, _HookCall):
        try:
            reply = await call_hook(step.function, *step.args)
        except Exception as error:
            step = await workers.run_sync(stepper.throw, error)
        else:
            step = await workers.run_sync(stepper.send, reply)
    result: T = step.value
    return result


def _compress(messages: list[Any], run: _Run, request: _Request) -> Procedure[CompressResult]:
    """One compression, from loading the pipeline to the result. Blocking: it runs in a worker
    thread, and yields to the caller's side only for hooks."""
    pipeline = request.pipeline
    run.strict = run.strict or pipeline.strict
    conversation = extract_blocks(messages)
    ctx = _context(conversation, run.model, request.user_query)
    working = yield from run.pre_compress(messages, _hook_context(ctx))
    if working is not messages:
        conversation = extract_blocks(working)
        ctx = _context(conversation, run.model, request.user_query)
    if request.user_query is not None:
        for block in conversation.blocks:
            block.query = request.user_query  # the caller named the request: every output is read for it
    biases = yield from run.biases(working, _hook_context(ctx))
    state = RunState(
        messages=working,
        blocks=[BlockState(b, bias=biases.get(b.message_index, 1.0)) for b in conversation.blocks],
        context=ctx,
        count_tokens=run.meter,
        options=request.options,
        store=ScopedStore(_store_for(request), request.namespace),
        strict=run.strict,
    )
    run_trace = None
    if request.trace:
        from headroom.pipeline.trace import Trace  # only when asked for: it is not on the hot path

        run_trace = Trace(
            pipeline.name,
            tokens_input=sum(run.meter(block.text) for block in conversation.blocks),
            only=None if request.trace is True else request.trace,
        )
    # this thread's own loop: stages are coroutines
    anyio.run(execute, pipeline, state, run_trace, request.overrides)
    outputs, transforms = _outputs(state)
    compressed = write_back(working, conversation.blocks, outputs)
    result = CompressResult(
        messages=compressed,
        transforms_applied=transforms,
        failures=[_describe(failure) for failure in state.failures] + conversation.skipped,
        pipeline=pipeline.name,
        trace=run_trace,
        model=run.model,
        original=messages,
        _meter=run.meter,
    )
    if run.hooks is not None:
        yield from run.hook("post_compress", None, _event(result, messages))
    result.failures = run.failures + result.failures
    return result


def _event(result: CompressResult, messages: list[Any]) -> CompressEvent:
    return CompressEvent(
        model=result.model,
        tokens_before=result.tokens_before,
        tokens_after=result.tokens_after,
        tokens_saved=result.tokens_saved,
        compression_ratio=result.compression_ratio,
        transforms_applied=list(result.transforms_applied),
        messages_before=messages,
        messages_after=result.messages,
        pipeline=result.pipeline,
        failures=list(result.failures),
    )


def _describe(failure: Failure) -> str:
    where = f" (message {failure.message_index})" if failure.message_index is not None else ""
    return f"{failure.where}{where}: {failure.error}; left as it was"


def _running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def warm(model: str | None = "gpt-4o", pipeline: PipelineLike = "default") -> None:
    """Load now what the first request would otherwise wait for: the model's tokenizer, the
    pipeline with every stage and content type it may use, the estimate's pattern.

    Call it at start-up (a server before it accepts requests; CompressionMiddleware does it on
    the ASGI lifespan's startup). In async code: `await awarm()`.
    """
    from headroom import content

    loaded = load_pipeline(pipeline)
    _ = loaded.stages  # builds each stage, importing its module
    for label in content.DOCUMENT_TYPES:
        content.document_type(label)
    counter_for(model)("warm")
    estimate_tokens("warm")


async def awarm(model: str | None = "gpt-4o", pipeline: PipelineLike = "default") -> None:
    """`warm` in a worker thread, so an event loop's start-up tasks keep running meanwhile."""
    await workers.run_sync(warm, model, pipeline)


_worker: concurrent.futures.ThreadPoolExecutor | None = None


def compress(messages: Any, model: str | None = "gpt-4o", **kwargs: Any) -> CompressResult:
    """Synchronous `acompress`. Safe to call inside a running event loop (Jupyter, FastAPI)."""
    if not _running_loop():
        if kwargs.get("hooks") is None:
            kwargs.pop("hooks", None)
            return _here(messages, model, **kwargs)
        return anyio.run(lambda: acompress(messages, model, **kwargs))
    global _worker
    if _worker is None:
        _worker = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="headroom")
    future = _worker.submit(anyio.run, lambda: acompress(messages, model, **kwargs))
    return future.result()
