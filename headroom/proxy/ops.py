"""Placeholder until the ops module lands (the helper's version replaces this file)."""

from __future__ import annotations

import threading
from typing import Any

from starlette.routing import Route


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0

    def record(
        self,
        model: str | None,
        tokens_before: int,
        tokens_after: int,
        *,
        compressed: bool,
        failed: bool = False,
        status: int = 200,
    ) -> None:
        with self._lock:
            self.requests += 1

    def snapshot(self) -> dict[str, Any]:
        return {"requests": self.requests}


def routes() -> list[Route]:
    return []


def request_log_line(**fields: Any) -> str:
    import json

    return json.dumps(fields)
