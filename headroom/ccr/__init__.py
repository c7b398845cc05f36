"""CCR (compress, cache, retrieve): the originals behind every marker, and getting them back.

- `headroom.ccr.retrieval`: `retrieve`, `lookup`, the `headroom_retrieve` tool and answering its
  calls (the names below are re-exported from there);
- `headroom.ccr.stores`: where originals live (memory, SQLite, Redis), scoped by namespace;
- `headroom.ccr.sessions`: what a conversation sent before, so earlier turns keep their bytes.

Names load on first use (PEP 562), so importing a store does not import retrieval.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from headroom._lazy import lazy_exports

if TYPE_CHECKING:
    from headroom.ccr.retrieval import (
        DEFAULT_ANSWER_CHARS,
        MAX_QUERY_CHARS,
        TOOL_NAME,
        Format,
        Match,
        Retrieval,
        RetrieveCall,
        Status,
        answer,
        answer_retrieve_calls,
        hashes_in,
        lookup,
        normalise_hash,
        pipeline_can_drop,
        request_format,
        retrieve,
        retrieve_calls,
        retrieve_tool,
        tool_name,
        with_retrieve_tool,
    )

__all__ = [
    "DEFAULT_ANSWER_CHARS",
    "MAX_QUERY_CHARS",
    "TOOL_NAME",
    "Format",
    "Match",
    "Retrieval",
    "RetrieveCall",
    "Status",
    "answer",
    "answer_retrieve_calls",
    "hashes_in",
    "lookup",
    "normalise_hash",
    "pipeline_can_drop",
    "request_format",
    "retrieve",
    "retrieve_calls",
    "retrieve_tool",
    "tool_name",
    "with_retrieve_tool",
]

__getattr__, __dir__ = lazy_exports(__name__, globals(), dict.fromkeys(__all__, "headroom.ccr.retrieval"))
