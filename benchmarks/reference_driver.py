"""Runs inside the reference virtual environment (headroom-ai 0.42.0 from PyPI); never imports our code.

Speaks `driver_protocol` (JSON lines on stdin and stdout), like ours_driver.py.

The reference is called as its README shows a new user: `from headroom import compress;
compress(messages, model=...)`, with every option at its default. Between repeats its in-process
result caches are cleared, so each call compresses new content as ours does with a fresh
MemoryStore (otherwise the second call would be a cache hit, not a compression).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from typing import Any

from driver_protocol import serve


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

    def prepare(messages: list[Any], model: str) -> Callable[[], Any]:
        _clear_caches()  # untimed: every timed call compresses, none is a cache hit
        return partial(compress, messages, model=model)

    def describe(result: Any) -> dict[str, Any]:
        return {
            "transforms": list(getattr(result, "transforms_applied", []) or []),
            "reported": [result.tokens_before, result.tokens_after],
        }

    serve(prepare, describe, after_case=lambda: {"cleared": _clear_caches()})


if __name__ == "__main__":
    main()
