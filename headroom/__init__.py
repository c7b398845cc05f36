"""Headroom: shrink what your application sends to an LLM, losing nothing silently.

from headroom import compress
result = compress(messages, model="gpt-4o")
result.messages, result.tokens_saved, result.compression_ratio
"""

from headroom import _env  # noqa: F401  (offline tiktoken and litellm settings, before anything loads them)
from headroom.ccr import answer_retrieve_calls, lookup, retrieve, retrieve_tool, with_retrieve_tool
from headroom.compress import CompressResult, acompress, compress
from headroom.errors import HeadroomError, PipelineSpecError, StageError
from headroom.graph import Pipeline, load_pipeline
from headroom.hooks import CompressContext, CompressEvent, CompressionHooks
from headroom.registry import register
from headroom.stage import Stage, StageParams
from headroom.stores import MemoryStore, open_store

__version__ = "0.1.0"

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
    "compress",
    "load_pipeline",
    "lookup",
    "open_store",
    "register",
    "retrieve",
    "retrieve_tool",
    "with_retrieve_tool",
]
