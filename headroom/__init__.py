"""Headroom: shrink what your application sends to an LLM, losing nothing silently.

from headroom import compress
result = compress(messages, model="gpt-4o")
result.messages, result.tokens_saved, result.compression_ratio

`compress` is imported here (its module has the same name, so it cannot wait);
every other name loads on first use (PEP 562), so `from headroom import compress`
loads only what compressing needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from headroom import (
    _env,  # noqa: F401  (offline tiktoken and litellm settings, before anything loads them)
    _moved,
)
from headroom._lazy import lazy_exports

_moved.install()  # before anything imports an old path (`headroom.stage`, ...)
from headroom.compress import CompressResult, acompress, awarm, compress, warm  # noqa: E402

if TYPE_CHECKING:
    from headroom.ccr import answer_retrieve_calls, lookup, retrieve, retrieve_tool, with_retrieve_tool
    from headroom.ccr.stores import MemoryStore, open_store
    from headroom.pipeline.errors import HeadroomError, PipelineSpecError, StageError
    from headroom.pipeline.hooks import CompressContext, CompressEvent, CompressionHooks
    from headroom.pipeline.loading import load_pipeline
    from headroom.pipeline.params import StageParams
    from headroom.pipeline.pipeline import Pipeline
    from headroom.pipeline.registry import register
    from headroom.pipeline.stage import Stage
from headroom._version import __version__ as __version__  # noqa: E402

# public name -> the module that defines it
_EXPORTS = {
    "CompressContext": "headroom.pipeline.hooks",
    "CompressEvent": "headroom.pipeline.hooks",
    "CompressionHooks": "headroom.pipeline.hooks",
    "HeadroomError": "headroom.pipeline.errors",
    "MemoryStore": "headroom.ccr.stores",
    "Pipeline": "headroom.pipeline.pipeline",
    "PipelineSpecError": "headroom.pipeline.errors",
    "Stage": "headroom.pipeline.stage",
    "StageError": "headroom.pipeline.errors",
    "StageParams": "headroom.pipeline.params",
    "answer_retrieve_calls": "headroom.ccr",
    "load_pipeline": "headroom.pipeline.loading",
    "lookup": "headroom.ccr",
    "open_store": "headroom.ccr.stores",
    "register": "headroom.pipeline.registry",
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

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
