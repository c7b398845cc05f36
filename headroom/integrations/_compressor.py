"""What the LiteLLM callback and the ASGI middleware share: settings, running totals,
failing open, and compressing a request's message list, Responses `input` or Gemini `contents`.

Every public method returns a `Compressed` payload to send instead, or None to
send the original: too small to bother, nothing saved, or an error. An error is never
raised to the caller; it is logged with its reason, at WARNING the first time
that reason is seen and at DEBUG after that, so a misconfiguration cannot flood
the log while every failure still leaves one record.

The configuration is checked once, when a `RequestCompressor` is built (the pipeline is
loaded then, and an unknown option or store URL raises there), so a bad pipeline file
stops the application at start-up instead of passing every request through.

Each request is compressed in its caller's namespace (`headroom.ccr.stores.namespaces`),
derived from the caller's credential by `namespace_for_credential`; the credential
itself is never kept or logged.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from headroom import workers
from headroom.ccr.stores import namespace_for_credential
from headroom.compress import CompressResult, PipelineLike, acompress, check_configuration, compress
from headroom.integrations import _gemini, _responses
from headroom.pipeline.hooks import CompressionHooks
from headroom.tokens import iter_text

# Below this many tokens a request is sent as it is: compressing it would save little.
DEFAULT_MIN_TOKENS = 500
_CHARS_PER_TOKEN = 4  # the size check is an estimate; counting exactly costs as much as compressing
_MAX_REMEMBERED_REASONS = 256
# Where an HTTP request carries its caller's credential, in the order they are read
# (OpenAI and most others, Anthropic, Azure OpenAI, Gemini).
CREDENTIAL_HEADERS = (b"authorization", b"x-api-key", b"api-key", b"x-goog-api-key")


def credential_in_headers(headers: Any) -> str | None:
    """The caller's credential from ASGI-style headers (pairs of bytes), or None."""
    found = {bytes(key).lower(): bytes(value) for key, value in headers or ()}
    for name in CREDENTIAL_HEADERS:
        value = found.get(name)
        if value:
            return value.decode("latin-1")
    return None


def approximate_tokens(messages: Any) -> int:
    return sum(len(text) for text in iter_text(messages)) // _CHARS_PER_TOKEN


@dataclass(frozen=True)
class Totals:
    """A consistent snapshot of the running totals."""

    requests_seen: int  # requests that carried messages (or Responses input) to look at
    requests_compressed: int  # requests sent with fewer tokens than they came with
    total_tokens_saved: int
    failures: int  # requests during which something failed (see the log for each reason)
    # requests big enough to compress that went out as they were because nothing could change
    # them on their way (a synchronous LiteLLM call to a provider that signs its body), by reason
    uncompressed: int = 0
    uncompressed_reasons: Mapping[str, int] = field(default_factory=dict)


class RunningTotals:
    """Counters updated from any thread (sync LiteLLM calls run in the caller's thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen = self._compressed = self._saved = self._failures = 0
        self._uncompressed: Counter[str] = Counter()

    def saw_request(self) -> None:
        with self._lock:
            self._seen += 1

    def compressed(self, tokens_saved: int) -> None:
        with self._lock:
            self._compressed += 1
            self._saved += tokens_saved

    def failed(self) -> None:
        with self._lock:
            self._failures += 1

    def sent_uncompressed(self, reason: str) -> None:
        with self._lock:
            self._uncompressed[reason] += 1

    def snapshot(self) -> Totals:
        with self._lock:
            reasons = MappingProxyType(dict(self._uncompressed))
            return Totals(
                self._seen, self._compressed, self._saved, self._failures, sum(reasons.values()), reasons
            )


class FailureLog:
    """Logs each failure once with its reason; a kind of reason seen before goes to DEBUG."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._lock = threading.Lock()
        self._seen: set[str] = set()

    def report(self, reason: str) -> None:
        kind = re.sub(r"\d+", "#", reason)  # "message 3: ..." and "message 4: ..." are one kind
        with self._lock:
            first = kind not in self._seen
            if first and len(self._seen) < _MAX_REMEMBERED_REASONS:
                self._seen.add(kind)
        level = logging.WARNING if first else logging.DEBUG
        self._logger.log(level, "headroom: request sent uncompressed or partly compressed: %s", reason)


@dataclass(frozen=True)
class Compressed:
    """The payload to send instead of the original, and the tokens that saves."""

    payload: Any
    tokens_saved: int


@dataclass(frozen=True)
class Attempt:
    """What trying to compress one request came to, for callers that report figures (the proxy).

    `payload` is what to send instead of the original, or None to send the original. The token
    figures are exact when the pipeline ran (`ran`); otherwise they are 0, since nothing was counted.
    """

    payload: Any
    tokens_before: int = 0
    tokens_after: int = 0
    transforms: tuple[str, ...] = ()
    ran: bool = False
    failed: bool = False  # something failed (and was passed through): the log says what
    failures: tuple[str, ...] = ()  # each reason, as logged

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after if self.payload is not None else 0

    def compressed(self) -> Compressed | None:
        return None if self.payload is None else Compressed(self.payload, self.tokens_saved)


_NOT_RUN = Attempt(None)


@dataclass(frozen=True)
class _Plan:
    """The messages to compress, and how to turn the compressed ones into the payload to send."""

    messages: list[Any]
    finish: Callable[[list[Any]], Any]


def _keep_as_is(messages: list[Any]) -> list[Any]:
    return messages


class RequestCompressor:
    """Compresses request payloads with fixed settings and keeps running totals."""

    def __init__(
        self,
        *,
        pipeline: PipelineLike = "default",
        hooks: CompressionHooks | None = None,
        min_tokens: int = DEFAULT_MIN_TOKENS,
        model_limit: int | None = None,
        compress_options: Mapping[str, Any] | None = None,
        logger: logging.Logger,
    ) -> None:
        if min_tokens < 0:
            raise ValueError("min_tokens must be >= 0")
        if model_limit is not None and model_limit <= 0:
            raise ValueError("model_limit must be a positive number of tokens")
        self._options: dict[str, Any] = dict(compress_options or {})
        if "namespace" in self._options:
            raise ValueError("compress_options cannot set namespace: each caller's comes from its credential")
        if model_limit is not None:
            self._options["max_tokens"] = model_limit  # the engine's overall budget
        # Loaded (and every option checked) once, here: a bad configuration raises at start-up.
        self.pipeline = check_configuration(pipeline=pipeline, hooks=hooks, **self._options)
        self.hooks = hooks
        self.min_tokens = min_tokens
        self.model_limit = model_limit
        self.totals = RunningTotals()
        self.failures = FailureLog(logger)

    async def messages(
        self, messages: Any, model: str | None, credential: str | None = None
    ) -> Compressed | None:
        """Compressed OpenAI or Anthropic messages, or None to send the originals.

        `credential`: the caller's API key or Authorization value; it names the namespace."""
        return (await self.attempt_messages(messages, model, credential)).compressed()

    async def attempt_messages(
        self,
        messages: Any,
        model: str | None,
        credential: str | None = None,
        *,
        finish: Callable[[list[Any]], Any] = _keep_as_is,
    ) -> Attempt:
        """`messages`, with the figures of the attempt whatever it came to.

        `finish` turns the compressed messages into the payload to send; if it raises, the
        request goes out as it was and counts as a failure, not as compressed."""
        return await self._attempt(lambda: self._messages_plan(messages, finish), model, credential)

    async def attempt_responses_input(
        self, items: Any, model: str | None, credential: str | None = None
    ) -> Attempt:
        """`responses_input`, with the figures of the attempt whatever it came to."""
        return await self._attempt(lambda: self._responses_plan(items), model, credential)

    def messages_sync(
        self, messages: Any, model: str | None, credential: str | None = None
    ) -> Compressed | None:
        """`messages` for synchronous callers (safe inside a running event loop)."""
        return self.attempt_messages_sync(messages, model, credential).compressed()

    def attempt_messages_sync(
        self,
        messages: Any,
        model: str | None,
        credential: str | None = None,
        *,
        finish: Callable[[list[Any]], Any] = _keep_as_is,
    ) -> Attempt:
        """`attempt_messages` for synchronous callers (safe inside a running event loop)."""
        return self._attempt_sync(lambda: self._messages_plan(messages, finish), model, credential)

    def gemini_contents_sync(
        self, contents: Any, model: str | None, credential: str | None = None
    ) -> Compressed | None:
        """A compressed Gemini `contents` list, for synchronous callers; or None to send the original."""
        return self._attempt_sync(lambda: self._gemini_plan(contents), model, credential).compressed()

    def sent_uncompressed(self, messages: Any, reason: str) -> bool:
        """Count a request that nothing could compress on its way, when it was worth compressing."""
        if not isinstance(messages, list):
            return False
        self.totals.saw_request()
        if not self._big_enough(messages):
            return False
        self.totals.sent_uncompressed(reason)
        return True

    def _attempt_sync(
        self, plan_for: Callable[[], _Plan | None], model: str | None, credential: str | None
    ) -> Attempt:
        self.totals.saw_request()
        try:
            plan = plan_for()
            if plan is None:
                return _NOT_RUN
            return self._finish(plan, compress(plan.messages, model, **self._call_options(credential)))
        except Exception as error:
            return Attempt(None, failed=True, failures=(self.report_failure(error),))

    async def responses_input(
        self, items: Any, model: str | None, credential: str | None = None
    ) -> Compressed | None:
        """A compressed Responses API `input` list, or None to send the original."""
        return (await self.attempt_responses_input(items, model, credential)).compressed()

    async def _attempt(
        self, plan_for: Callable[[], _Plan | None], model: str | None, credential: str | None
    ) -> Attempt:
        self.totals.saw_request()
        try:
            plan = plan_for()
            if plan is None:
                return _NOT_RUN
            result = await acompress(plan.messages, model, **self._call_options(credential))
            # Counting the tokens saved runs a tokenizer: not on the event loop.
            return await workers.run_sync(self._finish, plan, result)
        except Exception as error:
            return Attempt(None, failed=True, failures=(self.report_failure(error),))

    def _call_options(self, credential: str | None) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "hooks": self.hooks,
            "namespace": namespace_for_credential(credential),
            **self._options,
        }

    def _big_enough(self, messages: list[Any]) -> bool:
        return approximate_tokens(messages) >= self.min_tokens

    def _messages_plan(self, messages: Any, finish: Callable[[list[Any]], Any] = _keep_as_is) -> _Plan | None:
        if not isinstance(messages, list) or not self._big_enough(messages):
            return None
        return _Plan(messages, finish)

    def _responses_plan(self, items: Any) -> _Plan | None:
        if not isinstance(items, list):
            return None  # a plain string input is one user turn: nothing to compress
        converted = _responses.to_messages(items)
        if not self._big_enough(converted.messages):
            return None
        return _Plan(converted.messages, lambda compressed: _responses.restore(items, converted, compressed))

    def _gemini_plan(self, contents: Any) -> _Plan | None:
        if not isinstance(contents, list):
            return None
        converted = _gemini.to_messages(contents)
        if not self._big_enough(converted.messages):
            return None
        return _Plan(converted.messages, lambda compressed: _gemini.restore(contents, converted, compressed))

    def _finish(self, plan: _Plan, result: CompressResult) -> Attempt:
        before, transforms = result.tokens_before, tuple(result.transforms_applied)
        saved = result.tokens_saved > 0 and isinstance(result.messages, list)
        # Built before anything is counted: if it raises, the request goes out as it was and
        # counts once, as a failure.
        payload = plan.finish(result.messages) if saved else None
        reasons = tuple(result.failures)
        if reasons:
            self.totals.failed()
        for reason in reasons:
            self.failures.report(reason)
        if payload is None:
            return Attempt(None, before, before, transforms, ran=True, failed=bool(reasons), failures=reasons)
        self.totals.compressed(result.tokens_saved)
        return Attempt(
            payload, before, result.tokens_after, transforms, ran=True, failed=bool(reasons), failures=reasons
        )

    def report_failure(self, error: Exception) -> str:
        """Count and log an error that made a request go out as it was; returns the reason logged."""
        self.totals.failed()
        reason = f"{type(error).__name__}: {error}"
        self.failures.report(reason)
        return reason
