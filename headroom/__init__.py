"""Headroom: shrink what your application sends to an LLM, losing nothing silently.

from headroom import compress
result = compress(messages, model="gpt-4o")
result.messages, result.tokens_saved, result.compression_ratio
"""

from headroom import _env  # noqa: F401  (offline tiktoken and litellm settings, before anything loads them)
from headroom.compress import CompressResult, acompress, compress
from headroom.errors import HeadroomError, PipelineSpecError, StageError
from headroom.graph import Pipeline, load_pipeline
from headroom.hooks import CompressContext, CompressEvent, CompressionHooks
from headroom.registry import register
from headroom.stage import Stage, StageParams
from headroom.store import MemoryStore, retrieve

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
    "compress",
    "load_pipeline",
    "register",
    "retrieve",
]
