"""Runs our `headroom.compress` in its own long-lived process, as reference_driver.py runs the
reference: both sides are timed in a lean process that holds one request at a time, not in the
runner, whose heap holds the whole corpus and every result. Speaks `driver_protocol`.

Each repeat gets a fresh MemoryStore, so the memo cannot answer and every call compresses.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from driver_protocol import serve


def main() -> None:
    from headroom import MemoryStore, compress

    def prepare(messages: list[Any], model: str) -> Callable[[], Any]:
        return partial(compress, messages, model=model, store=MemoryStore())

    def describe(result: Any) -> dict[str, Any]:
        failures = [f"failure: {failure}" for failure in result.failures]
        return {"transforms": list(result.transforms_applied) + failures}

    serve(prepare, describe)


if __name__ == "__main__":
    main()
