"""The one marker grammar and the one hash format, used by every compressor.

An elision is marked in place, in the source's own unit:

    [headroom: omitted lines 120-340 of 2000; hash=3f2a9c1b7d4e5f60]
    [headroom: omitted items 15-287 of 300; hash=3f2a9c1b7d4e5f60]

- `lines` are numbered from 1, as editors and `grep -n` number them;
  `items` are JSON array indices, numbered from 0 as JSON does.
- The range is inclusive. A marker covers one contiguous run; markers in one
  block never overlap.
- `hash` is the first 16 hex digits of the SHA-256 of the block's original
  UTF-8 text; `headroom.retrieve(hash)` returns that text byte for byte.

Inside a JSON array the marker is a JSON string element, so the array stays
valid JSON. Summaries use the same brackets: `[headroom: summary ...]`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

HASH_LENGTH = 16

MARKER_PATTERN = re.compile(
    r"\[headroom: omitted (?P<unit>[a-z]+) (?P<first>\d+)-(?P<last>\d+) of (?P<total>\d+); "
    r"hash=(?P<hash>[0-9a-f]{16})\]"
)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_LENGTH]


def omitted(unit: str, first: int, last: int, total: int, ref: str) -> str:
    """The marker for units first..last (inclusive) of a block with `total` units."""
    return f"[headroom: omitted {unit} {first}-{last} of {total}; hash={ref}]"


@dataclass(frozen=True)
class Marker:
    unit: str
    first: int
    last: int
    total: int
    hash: str


def find_markers(text: str) -> list[Marker]:
    """Every marker in a text, in order."""
    return [
        Marker(m["unit"], int(m["first"]), int(m["last"]), int(m["total"]), m["hash"])
        for m in MARKER_PATTERN.finditer(text)
    ]


def runs(keep: list[bool]) -> list[tuple[int, int]]:
    """The (first, last) index pairs of every maximal run of dropped units."""
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for index, kept in enumerate(keep):
        if not kept and start is None:
            start = index
        elif kept and start is not None:
            spans.append((start, index - 1))
            start = None
    if start is not None:
        spans.append((start, len(keep) - 1))
    return spans


# retrieval notes ---------------------------------------------------------------------------

RETRIEVAL_NOTE_PATTERN = re.compile(
    r"\[headroom: compressed; headroom_retrieve returns all (?P<total>\d+) (?P<unit>[a-z]+) for this hash, "
    r"or with a query only the matching ones; hash=(?P<hash>[0-9a-f]{16})\]"
)


def retrieval_note(unit: str, total: int, ref: str) -> str:
    """The one line a compressed block ends with: what the model can get back, and how.

    `[headroom: compressed; headroom_retrieve returns all 2000 lines for this hash, or with a
    query only the matching ones; hash=3f2a9c1b7d4e5f60]`. It depends on the original alone,
    so the same block always carries the same bytes.
    """
    return (
        f"[headroom: compressed; headroom_retrieve returns all {total} {unit} for this hash, "
        f"or with a query only the matching ones; hash={ref}]"
    )


@dataclass(frozen=True)
class RetrievalNote:
    unit: str
    total: int
    hash: str


def find_retrieval_notes(text: str) -> list[RetrievalNote]:
    """Every retrieval note in a text, in order."""
    return [
        RetrievalNote(m["unit"], int(m["total"]), m["hash"]) for m in RETRIEVAL_NOTE_PATTERN.finditer(text)
    ]
