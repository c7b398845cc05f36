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

An optional part between the total and the hash says where the run is:

    [headroom: omitted blocks 40-88 of 300 (section "Installation"); hash=3f2a9c1b7d4e5f60]
    [headroom: omitted lines 120-188 of 950 (body of "Parser.parse"); hash=3f2a9c1b7d4e5f60]

`(section "...")` names the heading the dropped units sit under (a JSON
string); in source code, `(body of "Parser.parse")` names the function whose
body the run is, and `(rest of "TABLE")` the long statement or doc comment
whose remaining lines it is. `Marker.scope` says which, `Marker.section` holds
the name.

Elements dropped all over a page, with no one range to name, are tallied by kind:

    [headroom: omitted elements: 14 script, 3 style, 2 nav; hash=3f2a9c1b7d4e5f60]

`find_tallies` reads them back.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

HASH_LENGTH = 16

_JSON_STRING = r'"(?:[^"\\]|\\.)*"'
MARKER_PATTERN = re.compile(
    r"\[headroom: omitted (?P<unit>[a-z]+) (?P<first>\d+)-(?P<last>\d+) of (?P<total>\d+)"
    r"(?: \((?P<scope>section|body of|rest of) (?P<section>" + _JSON_STRING + r")\))?"
    r"; hash=(?P<hash>[0-9a-f]{16})\]"
)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_LENGTH]


def omitted(
    unit: str,
    first: int,
    last: int,
    total: int,
    ref: str,
    *,
    section: str | None = None,
    scope: str = "section",
) -> str:
    """The marker for units first..last (inclusive) of `total`; `section`: the heading they sit under
    (or, with `scope` "body of" / "rest of", the code definition they belong to)."""
    where = f" ({scope} {json.dumps(section, ensure_ascii=False)})" if section is not None else ""
    return f"[headroom: omitted {unit} {first}-{last} of {total}{where}; hash={ref}]"


@dataclass(frozen=True)
class Marker:
    unit: str
    first: int
    last: int
    total: int
    hash: str
    path: str | None = None
    section: str | None = None
    scope: str | None = None  # "section", "body of" or "rest of" when `section` is set


def find_markers(text: str) -> list[Marker]:
    """Every marker in a text, in order."""
    return [
        Marker(
            m["unit"],
            int(m["first"]),
            int(m["last"]),
            int(m["total"]),
            m["hash"],
            None,
            json.loads(m["section"]) if m["section"] is not None else None,
            m["scope"],
        )
        for m in MARKER_PATTERN.finditer(text)
    ]


# tallies -----------------------------------------------------------------------------------

_TALLY_KIND = r"[A-Za-z0-9_.#:=()-]+"
TALLY_PATTERN = re.compile(
    r"\[headroom: omitted (?P<unit>[a-z]+): "
    r"(?P<counts>\d+ " + _TALLY_KIND + r"(?:, \d+ " + _TALLY_KIND + r")*)"
    r"; hash=(?P<hash>[0-9a-f]{16})\]"
)


def tally(unit: str, counts: Sequence[tuple[str, int]], ref: str) -> str:
    """`[headroom: omitted elements: 14 script, 3 style; hash=...]`: scattered units counted by kind.
    Kinds are plain words (letters, digits, `_.#:=()-`): `script`, `div.sidebar`, `div(role=navigation)`."""
    body = ", ".join(f"{count} {kind}" for kind, count in counts)
    return f"[headroom: omitted {unit}: {body}; hash={ref}]"


@dataclass(frozen=True)
class Tally:
    unit: str
    counts: tuple[tuple[str, int], ...]
    hash: str


def find_tallies(text: str) -> list[Tally]:
    """Every tally marker in a text, in order."""
    found = []
    for match in TALLY_PATTERN.finditer(text):
        pairs = (part.split(" ", 1) for part in match["counts"].split(", "))
        counts = tuple((kind, int(count)) for count, kind in pairs)
        found.append(Tally(match["unit"], counts, match["hash"]))
    return found


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
