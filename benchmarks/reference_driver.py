"""Runs inside the reference virtual environment (headroom-ai 0.42.0 from PyPI); never imports our code.

Reads one JSON object per line on stdin: {"id", "messages", "model", "repeats"}.
Writes one JSON object per line on stdout: {"id", "seconds": [...], "digests": [...], "messages",
"transforms", "error"}.

The reference is called as its README shows a new user: `from headroom import compress;
compress(messages, model=...)`, with every option at its default. Between repeats its in-process
result caches are cleared, so each call compresses new content as ours does with a fresh
MemoryStore (otherwise the second call would be a cache hit, not a compression).
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


def _clear_caches() -> list[str]:
    """Empty every result cache the reference's compression pipeline holds between calls."""
    cleared: list[str] = []
    module = sys.modules.get("headroom.compress")
    if module is None:
        return cleared
    for getter in ("_get_pipeline", "_get_agent_pipeline"):
        holder = getattr(module, getter.replace("_get", ""), None)
        if holder is None:
            continue
        for transform in getattr(holder, "transforms", []):
            for name, value in vars(transform).items():
                if "cache" in name.lower() and callable(getattr(value, "clear", None)):
                    value.clear()
                    cleared.append(f"{type(transform).__name__}.{name}")
            frozen = getattr(transform, "_frozen_verdicts", None)
            if isinstance(frozen, dict):
                frozen.clear()
    return cleared


def main() -> None:
    from headroom import compress

    for line in sys.stdin:
        request = json.loads(line)
        reply: dict[str, Any] = {"id": request["id"], "seconds": [], "digests": []}
        try:
            for _ in range(int(request.get("repeats", 1))):
                _clear_caches()
                started = time.perf_counter()
                result = compress(request["messages"], model=request.get("model", "gpt-4o"))
                reply["seconds"].append(time.perf_counter() - started)
                reply["digests"].append(_digest(result.messages))
                reply["messages"] = result.messages
                reply["transforms"] = list(getattr(result, "transforms_applied", []) or [])
                reply["reported"] = [result.tokens_before, result.tokens_after]
            reply["cleared"] = _clear_caches()
        except Exception as error:  # reported, not raised: one bad case must not end the run
            reply["error"] = f"{type(error).__name__}: {error}"
            reply["trace"] = traceback.format_exc(limit=5)
        sys.stdout.write(json.dumps(reply, ensure_ascii=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
