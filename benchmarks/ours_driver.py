"""Runs our `headroom.compress` in its own long-lived process, as reference_driver.py runs the
reference: both sides are timed in a lean process that holds one request at a time, not in the
runner, whose heap holds the whole corpus and every result.

Same protocol: one JSON object per line on stdin, {"id", "messages", "model", "repeats"}; one per
line on stdout, {"id", "seconds": [...], "digests": [...], "messages", "transforms", "error"}.
Each repeat gets a fresh MemoryStore, so the memo cannot answer and every call compresses.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import traceback
from typing import Any


def _digest(messages: Any) -> str:
    return hashlib.sha256(json.dumps(messages, sort_keys=False, ensure_ascii=False).encode()).hexdigest()


def main() -> None:
    from headroom import MemoryStore, compress

    for line in sys.stdin:
        request = json.loads(line)
        reply: dict[str, Any] = {"id": request["id"], "seconds": [], "digests": []}
        try:
            for _ in range(int(request.get("repeats", 1))):
                store = MemoryStore()
                started = time.perf_counter()
                result = compress(request["messages"], model=request.get("model", "gpt-4o"), store=store)
                reply["seconds"].append(time.perf_counter() - started)
                reply["digests"].append(_digest(result.messages))
                reply["messages"] = result.messages
                reply["transforms"] = list(result.transforms_applied) + [
                    f"failure: {f}" for f in result.failures
                ]
        except Exception as error:  # reported, not raised: one bad case must not end the run
            reply["error"] = f"{type(error).__name__}: {error}"
            reply["trace"] = traceback.format_exc(limit=5)
        sys.stdout.write(json.dumps(reply, ensure_ascii=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
