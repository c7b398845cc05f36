"""What the framework model wrappers (agno, LangChain) share on top of `RequestCompressor`:

- `CallRecord` and `CallLog`: one record per model call, the newest kept, and the tokens saved
  by every call (kept or not);
- `options_with_store`: the `compress()` options with the `store=` keyword folded in, once;
- `SentHashes`: the hashes of the markers a wrapper has sent. Its `headroom_retrieve` tool
  answers for those and no others, so a model can only read back originals it was shown, even
  when several callers share one store's namespace;
- `settle`: what a wrapper does once it knows what goes out for a call (record it; note the
  hashes of what went out compressed).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from headroom.ccr import retrieval
from headroom.integrations._compressor import Attempt

DEFAULT_SENT_HASHES = 100_000  # marker hashes a retrieve tool answers for (the oldest go first)


@dataclass(frozen=True)
class CallRecord:
    """What compressing one model call came to.

    `compressed`: the wrapped model got the compressed messages. The token figures are exact when
    the pipeline ran and 0 when it did not (a request under `min_tokens`, or an error).
    `failures`: each reason something went out as it came (also logged).
    """

    compressed: bool
    tokens_before: int = 0
    tokens_after: int = 0
    transforms: tuple[str, ...] = ()
    failures: tuple[str, ...] = ()

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after if self.compressed else 0


class CallLog:
    """The newest `keep` call records (thread-safe), and the tokens saved by every call added."""

    def __init__(self, keep: int) -> None:
        self._records: deque[CallRecord] = deque(maxlen=keep)
        self._saved = 0
        self._lock = threading.Lock()

    def add(self, record: CallRecord) -> None:
        with self._lock:
            self._records.append(record)
            self._saved += record.tokens_saved

    def records(self) -> list[CallRecord]:
        """Oldest first."""
        with self._lock:
            return list(self._records)

    def last(self) -> CallRecord | None:
        with self._lock:
            return self._records[-1] if self._records else None

    @property
    def tokens_saved(self) -> int:
        with self._lock:
            return self._saved


def options_with_store(compress_options: Mapping[str, Any] | None, store: Any) -> dict[str, Any]:
    """`compress()` options with `store=` among them; giving the store both ways is a mistake."""
    options = dict(compress_options or {})
    if store is not None:
        if "store" in options:
            raise ValueError("give the store once: store= or compress_options['store'], not both")
        options["store"] = store
    return options


class SentHashes:
    """The hashes named by markers a wrapper sent, newest last, at most `keep` (thread-safe)."""

    def __init__(self, keep: int = DEFAULT_SENT_HASHES) -> None:
        self._keep = keep
        self._hashes: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, sent: Sequence[Any]) -> None:
        """Note every hash the markers in `sent` (messages, dicts or SDK objects) name."""
        found = retrieval.hashes_in(sent)
        with self._lock:
            for key in sorted(found):
                self._hashes[key] = None
                self._hashes.move_to_end(key)  # seen again: now the newest
            while len(self._hashes) > self._keep:
                self._hashes.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._hashes

    def answer(self, hash: str, query: str | None, store: Any, namespace: str) -> str:
        """The text of a `headroom_retrieve` call's result: the original (or the units matching the
        query) for a hash this wrapper sent; for any other, that no marker it sent names it."""
        key = retrieval.normalise_hash(hash)
        allowed = {key} if key is not None and key in self else set()
        arguments = {"hash": hash} if query is None else {"hash": hash, "query": query}
        call = retrieval.RetrieveCall("", arguments)
        return retrieval.answer(call, allowed, store, retrieval.DEFAULT_ANSWER_CHARS, namespace)


def settle(
    log: CallLog,
    hashes: SentHashes,
    attempt: Attempt,
    compressed: bool,
    failures: tuple[str, ...] | None = None,
) -> None:
    """Record one call's attempt (`compressed`: its payload went out) and, when it went out
    compressed, remember the hashes its markers name. `failures`: the attempt's, unless given."""
    if compressed:
        hashes.remember(attempt.payload)
    after = attempt.tokens_after if compressed else attempt.tokens_before
    reasons = attempt.failures if failures is None else failures
    log.add(CallRecord(compressed, attempt.tokens_before, after, attempt.transforms, reasons))
