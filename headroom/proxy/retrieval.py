"""Placeholder until the retrieval module lands (the helper's version replaces this file)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from headroom.proxy.errors import Api
from headroom.proxy.upstream import Upstream, relay


@dataclass
class Exchange:
    api: Api
    request: dict[str, Any]
    body: bytes
    streaming: bool
    upstream: Upstream
    store: Any
    namespace: str
    rounds: int
    headers: dict[str, str]


async def complete(exchange: Exchange) -> Response:
    reply = await exchange.upstream(exchange.body)
    return relay(reply, exchange.api, exchange.headers)
