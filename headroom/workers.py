"""Where async callers' CPU work runs: a bounded number of worker threads per event loop.

In async code (`acompress`, the integrations, the proxy) nothing that costs more than about a
millisecond runs on the caller's event loop: compressing a request (detect, parse, score,
crush, render, the store's reads and writes) and counting its tokens run in a worker thread.
The threads are anyio's; a capacity limiter bounds how many run Headroom's work at once on
each event loop: `WORKER_THREADS`, from the environment variable `HEADROOM_WORKER_THREADS`,
else 1 where the interpreter has a global lock (a GIL) and the number of CPUs (at most 4)
where it has none. Under a GIL only one thread runs Python at a time, so a second worker
would not compress faster; it would take the interpreter away from the event loop twice as
often (a heartbeat on the loop was late by up to 17 ms next to one busy thread, 66 ms next to
two, 190 ms next to four; benchmarks/EVENT_LOOP.md). Requests beyond the bound wait their
turn as tasks on the loop, costing nothing while they wait.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar

T = TypeVar("T")


def _worker_threads() -> int:
    configured = os.environ.get("HEADROOM_WORKER_THREADS", "").strip()
    if configured:
        try:
            count = int(configured)
        except ValueError as error:
            raise ValueError(
                f"HEADROOM_WORKER_THREADS={configured!r}: expected a whole number of threads, e.g. 2"
            ) from error
        if count < 1:
            raise ValueError(f"HEADROOM_WORKER_THREADS={configured!r}: at least 1 thread is needed")
        return count
    if getattr(sys, "_is_gil_enabled", lambda: True)():
        return 1
    return max(1, min(4, os.cpu_count() or 1))


WORKER_THREADS = _worker_threads()

_limiter: RunVar[anyio.CapacityLimiter] = RunVar("headroom_worker_limiter")


def limiter() -> anyio.CapacityLimiter:
    """The running event loop's limiter for Headroom's worker threads (made on first use)."""
    try:
        return _limiter.get()
    except LookupError:
        made = anyio.CapacityLimiter(WORKER_THREADS)
        _limiter.set(made)
        return made


async def run_sync(function: Callable[..., T], *args: object) -> T:
    """`function(*args)` in a worker thread, at most WORKER_THREADS at once on this event loop."""
    return await anyio.to_thread.run_sync(function, *args, limiter=limiter())
