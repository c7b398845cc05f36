"""Placeholder until the backends module lands (the helper's version replaces this file)."""

from __future__ import annotations

from typing import Any

from headroom.proxy.upstream import Upstream


def litellm_upstream(config: Any, headers: Any) -> Upstream:
    raise NotImplementedError("cloud backends are not built yet")
