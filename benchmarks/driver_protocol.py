"""The line protocol both benchmark drivers speak (reference_driver.py, ours_driver.py).

One JSON object per line on stdin: {"id", "messages", "model", "repeats"}. One per line on
stdout: {"id", "seconds": [...], "digests": [...], "messages", "transforms", "error"}, plus what
the side adds. Imports nothing from either side's `headroom`, so both can use it.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any


def digest(messages: Any) -> str:
    return hashlib.sha256(json.dumps(messages, sort_keys=False, ensure_ascii=False).encode()).hexdigest()


def serve(
    prepare: Callable[[list[Any], str], Callable[[], Any]],
    describe: Callable[[Any], dict[str, Any]],
    after_case: Callable[[], dict[str, Any]] | None = None,
) -> None:
    """Answer requests until stdin closes. `prepare(messages, model)` does the untimed setup of one
    call (a fresh store, cleared caches) and returns the call, which is timed; `describe(result)`
    adds fields from the last result; `after_case()` adds fields once per case."""
    for line in sys.stdin:
        request = json.loads(line)
        reply: dict[str, Any] = {"id": request["id"], "seconds": [], "digests": []}
        try:
            for _ in range(int(request.get("repeats", 1))):
                call = prepare(request["messages"], request.get("model", "gpt-4o"))
                started = time.perf_counter()
                result = call()
                reply["seconds"].append(time.perf_counter() - started)
                reply["digests"].append(digest(result.messages))
                reply["messages"] = result.messages
                reply.update(describe(result))
            if after_case is not None:
                reply.update(after_case())
        except Exception as error:  # reported, not raised: one bad case must not end the run
            reply["error"] = f"{type(error).__name__}: {error}"
            reply["trace"] = traceback.format_exc(limit=5)
        sys.stdout.write(json.dumps(reply, ensure_ascii=False) + "\n")
        sys.stdout.flush()
