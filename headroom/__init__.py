"""Headroom: shrink what your application sends to an LLM, losing nothing silently.

from headroom import compress
result = compress(messages, model="gpt-4o")
result.messages, result.tokens_saved, result.compression_ratio

`compress` is imported here (its module has the same name, so it cannot wait);
every other name loads on first use (PEP 562), so `from headroom import compress`
loads only what compressing needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from headroom import _env  # noqa: F401  (offline tiktoken and litellm settings, before anything loads them)
from headroom.compress import CompressResult, acompress, awarm, compress, warm

if TYPE_CHECKING:
    from headroom.ccr import answer_retrieve_calls, lookup, retrieve, retrieve_tool, with_retrieve_tool
    from headroom.errors import HeadroomError, PipelineSpecError, StageError
    from headroom.graph import Pipeline, load_pipeline
    from headroom.hooks import CompressContext, CompressEvent, CompressionHooks
    from headroom.registry import register
    from headroom.stage import Stage, StageParams
    from headroom.stores import MemoryStore, open_store

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS = {
    "CompressContext": "headroom.hooks",
    "CompressEvent": "headroom.hooks",
    "CompressionHooks": "headroom.hooks",
    "HeadroomError": "headroom.errors",
    "MemoryStore": "headroom.stores",
    "Pipeline": "headroom.graph",
    "PipelineSpecError": "headroom.errors",
    "Stage": "headroom.stage",
    "StageError": "headroom.errors",
    "StageParams": "headroom.stage",
    "answer_retrieve_calls": "headroom.ccr",
    "load_pipeline": "headroom.graph",
    "lookup": "headroom.ccr",
    "open_store": "headroom.stores",
    "register": "headroom.registry",
    "retrieve": "headroom.ccr",
    "retrieve_tool": "headroom.ccr",
    "with_retrieve_tool": "headroom.ccr",
}

__all__ = [
    "CompressContext",
    "CompressEvent",
    "CompressResult",
    "CompressionHooks",
    "HeadroomError",
    "MemoryStore",
    "Pipeline",
    "PipelineSpecError",
    "Stage",
    "StageError",
    "StageParams",
    "acompress",
    "answer_retrieve_calls",
    "awarm",
    "compress",
    "load_pipeline",
    "lookup",
    "open_store",
    "register",
    "retrieve",
    "retrieve_tool",
    "warm",
    "with_retrieve_tool",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'headroom' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
