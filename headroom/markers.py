"""The one marker grammar and the one hash format, used by every compressor.

An elision is marked in place, in the source's own unit:

    [headroom: omitted lines 120-340 of 2000; hash=3f2a9c1b7d4e5f60]
    [headroom: omitted items 15-287 of 300; hash=3f2a9c1b7d4e5f60]

- `lines` are numbered from 1, as editors and `grep -n` number them;
  `items` are JSON array indices, numbered from 0 as JSON does.
- The range is inclusive. A marker covers one contiguous run; markers in one
  block never overlap.
- `hash` is the first 16 hex digits of the SHA-256 of the block's original
  UTF-8 text; `headroom.retrieve(hash)` returns that text byte for byte (the
  store checks it against the full SHA-256 it was stored with).

Inside a JSON array the marker is a JSON string element, so the array stays
valid JSON.

Two optional parts say where the run is, between the total and the hash:

    [headroom: omitted keys 12-1990 of 2000 at $.paths; hash=3f2a9c1b7d4e5f60]
    [headroom: omitted chars 2001-20000 of 20000 at $[5].body; hash=3f2a9c1b7d4e5f60]
    [headroom: omitted lines 40-88 of 300 (section "Installation"); hash=3f2a9c1b7d4e5f60]

- `at <path>` names the JSON value the run belongs to (no path: the block
  itself). Paths start at `$`; `.name` for a plain key, `["any key"]` (a JSON
  string) otherwise, `[5]` for an array index. `keys` are an object's members
  in their order, numbered from 0; `chars` are a string's characters, numbered
  from 1 like lines.
- `(section "...")` names the heading the dropped lines sit under (a JSON string);
  in source code, `(body of "Parser.parse")` names the function whose body the
  run is, and `(rest of "TABLE")` the long statement whose remaining lines it is.
  `Marker.scope` says which (`section`, `body of`, `rest of`), `Marker.section`
  holds the name.

Elements dropped all over a page, with no one range to name, are tallied by kind:

    [headroom: omitted elements: 14 script, 3 style, 2 nav; hash=3f2a9c1b7d4e5f60]

`find_tallies` reads them back.

A marked summary of what was dropped sits next to its marker (in the same line
or JSON string). It only states facts about the dropped units:

    [headroom: summary of 283 omitted items: status: ok x281, failed x2; latency_ms: 3..180]

Each entry is `key: value xCOUNT, ...` (every distinct value and how often it
occurs), `key: MIN..MAX` (the smallest and largest value; timestamps compare
as text), or `key: COUNT at UNIT N, N-M, ...` (how many of the dropped units are
of a kind, and where: their numbers, consecutive ones as a range; past
`MAX_LISTED_POSITIONS` runs, the first ones, `...`, and the last):

    [headroom: summary of 1088 omitted lines: errors: 3 at lines 412, 988, 1530-1531; ...]

A diff's dropped hunks are listed by the line ranges their headers give (`-old,count +new,count`,
as git writes them between the `@@`), each followed by the function git printed after them, as a
JSON string, when it differs from the one before it in the same file; and preceded by its file's
path when that differs from the one before it (a run holding whole files, whose headers went with
it; a hunk whose file header stands above the run names no file):

    [headroom: summary of 58 omitted lines: hunks: -27,16 +26,14 "class Lexer:", -58,11 +55,14; ...]
    [headroom: summary of 30 omitted lines: hunks: docs/a.py -4,7 +4,7, tests/b.py -1,3 +1,4 "def f():"]

(in the first, both hunks are in `class Lexer:`). `Hunks` holds them.

Keys and values are written bare when they are plain words (letters,
digits, `_/@+%:-` and single inner dots) and not a JSON number or literal;
otherwise as JSON (a quoted string, a number, true, false or null).
`find_summaries` reads them back.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

HASH_LENGTH = 16

_JSON_STRING = r'"(?:[^"\\]|\\.)*"'
PATH_PATTERN = r"\$(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\]|\[" + _JSON_STRING + r"\])*"
MARKER_PATTERN = re.compile(
    r"\[headroom: omitted (?P<unit>[a-z]+) (?P<first>\d+)-(?P<last>\d+) of (?P<total>\d+)"
    r"(?: at (?P<path>" + PATH_PATTERN + r"))?"
    r"(?: \((?P<scope>section|body of|rest of) (?P<section>" + _JSON_STRING + r")\))?"
    r"; hash=(?P<hash>[0-9a-f]{16})\]"
)
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_PATH_PART = re.compile(
    r"\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)|\[(?P<index>\d+)\]|\[(?P<key>" + _JSON_STRING + r")\]"
)


def content_digest(text: str) -> str:
    """The full SHA-256 (64 hex digits) of a text's UTF-8, lone surrogates kept: what a store verifies."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def short_hash(digest: str) -> str:
    """The hash a marker carries for a full digest."""
    return digest[:HASH_LENGTH]


def content_hash(text: str) -> str:
    """The hash a marker carries for a text."""
    return short_hash(content_digest(text))


def omitted(
    unit: str,
    first: int,
    last: int,
    total: int,
    ref: str,
    *,
    path: str | None = None,
    section: str | None = None,
    scope: str = "section",
) -> str:
    """The marker for units first..last (inclusive) of `total`; `path`: the JSON value they belong to,
    `section`: the heading they sit under (or, with `scope` "body of" / "rest of", the code
    definition they belong to)."""
    where = f" at {path}" if path is not None else ""
    if section is not None:
        where += f" ({scope} {json.dumps(section, ensure_ascii=False)})"
    return f"[headroom: omitted {unit} {first}-{last} of {total}{where}; hash={ref}]"


def json_path(parts: Sequence[str | int]) -> str:
    """`$.paths["/v1/users"][3]`: the path grammar markers use."""
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _PLAIN_KEY.fullmatch(part):
            out.append(f".{part}")
        else:
            out.append(f"[{json.dumps(part, ensure_ascii=False)}]")
    return "".join(out)


def parse_json_path(path: str) -> list[str | int]:
    """The keys and indices of a marker path. Raises ValueError when it is not one."""
    if not re.fullmatch(PATH_PATTERN, path):
        raise ValueError(f"not a marker path: {path!r}")
    parts: list[str | int] = []
    for match in _PATH_PART.finditer(path, 1):
        if match["name"] is not None:
            parts.append(match["name"])
        elif match["index"] is not None:
            parts.append(int(match["index"]))
        else:
            parts.append(json.loads(match["key"]))
    return parts


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
            m["path"],
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


# summaries ---------------------------------------------------------------------------------

Scalar = str | int | float | bool | None
# Runs of positions a summary lists before it elides the middle ones.
MAX_LISTED_POSITIONS = 100


@dataclass(frozen=True)
class Positions:
    """`errors: 3 at lines 412, 988, 1530-1531`: how many units of a kind, and the runs of their
    numbers (first, last; inclusive). `complete` is False when the middle runs were left out."""

    count: int
    unit: str
    runs: tuple[tuple[int, int], ...]
    complete: bool = True

    @classmethod
    def of(cls, numbers: Sequence[int], unit: str) -> Positions:
        """The positions of `numbers` (in order), listing at most MAX_LISTED_POSITIONS runs."""
        spans: list[tuple[int, int]] = []
        for number in numbers:
            if spans and number == spans[-1][1] + 1:
                spans[-1] = (spans[-1][0], number)
            else:
                spans.append((number, number))
        if len(spans) <= MAX_LISTED_POSITIONS:
            return cls(len(numbers), unit, tuple(spans))
        shown = (*spans[: MAX_LISTED_POSITIONS - 1], spans[-1])
        return cls(len(numbers), unit, shown, complete=False)

    def numbers(self) -> list[int]:
        """Every number listed (all of them when complete)."""
        return [n for first, last in self.runs for n in range(first, last + 1)]


@dataclass(frozen=True)
class Hunks:
    """`hunks: a.py -27,16 +26,14 "class Lexer:", -58,11 +55,14`: dropped hunk headers, each as
    (its file's path, "" when the run's place shows it; its ranges as git writes them; the
    function git printed after them, "" for none)."""

    hunks: tuple[tuple[str, str, str], ...]


EntryValue = list[tuple[Scalar, int]] | tuple[Scalar, Scalar] | Positions | Hunks
# (key, [(value, count), ...]) for counts, (key, (low, high)) for a range, (key, Positions) for
# where, (key, Hunks) for a diff's dropped hunk headers
SummaryEntry = tuple[str, EntryValue]

# A colon only inside a bare word, so `key: value` still splits at the first ": ".
_BARE_CHAR = r"(?:[A-Za-z0-9_/@+%-]|:(?![ ]|$))"
_BARE = re.compile(_BARE_CHAR + r"+(?:\." + _BARE_CHAR + r"+)*")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_SUMMARY_HEAD = re.compile(r"\[headroom: summary of (?P<count>\d+) omitted (?P<unit>[a-z]+)(?P<colon>:)?")


def summary_value(value: Scalar) -> str:
    """A key or value as a summary writes it: bare when that reads back the same, else JSON."""
    if isinstance(value, str):
        plain = (
            _BARE.fullmatch(value)
            and not _JSON_NUMBER.fullmatch(value)
            and value not in ("true", "false", "null")
        )
        return value if plain else json.dumps(value, ensure_ascii=False)
    return json.dumps(value)


def summary(count: int, unit: str, entries: Sequence[SummaryEntry]) -> str:
    """`[headroom: summary of 283 omitted items: status: ok x281, failed x2; latency_ms: 3..180]`."""
    parts = [_entry_text(key, stats) for key, stats in entries]
    text = f"[headroom: summary of {count} omitted {unit}"
    return text + (": " + "; ".join(parts) if parts else "") + "]"


def with_first_entry(text: str, entry: SummaryEntry) -> str:
    """A summary written by `summary` with `entry` put before its other entries."""
    head = _SUMMARY_HEAD.match(text)
    if head is None or not text.endswith("]"):
        raise ValueError(f"not a summary: {text[:60]!r}")
    rest = text[head.end() + 1 : -1] if head["colon"] else ""
    return text[: head.start("colon") if head["colon"] else head.end()] + (
        ": " + _entry_text(*entry) + ("; " + rest if rest else "") + "]"
    )


def _entry_text(key: str, stats: EntryValue) -> str:
    if isinstance(stats, Hunks):
        listed, path, context = [], "", ""
        for file, ranges, function in stats.hunks:
            if file != path:
                path, context = file, ""
                ranges = f"{_path_text(file)} {ranges}"
            same = function == context
            listed.append(ranges if same else f"{ranges} {json.dumps(function, ensure_ascii=False)}")
            context = function
        body = ", ".join(listed)
    elif isinstance(stats, Positions):
        listed = [str(first) if first == last else f"{first}-{last}" for first, last in stats.runs]
        if not stats.complete:
            listed.insert(len(listed) - 1, "...")
        body = f"{stats.count} at {stats.unit} " + ", ".join(listed)
    elif isinstance(stats, list):
        body = ", ".join(f"{summary_value(value)} x{seen}" for value, seen in stats)
    else:
        body = f"{summary_value(stats[0])}..{summary_value(stats[1])}"
    return f"{summary_value(key)}: {body}"


@dataclass(frozen=True)
class Summary:
    count: int
    unit: str
    entries: dict[str, EntryValue]


def find_summaries(text: str) -> list[Summary]:
    """Every summary in a text, in order. Raises ValueError on one that does not follow the grammar."""
    found = []
    for head in _SUMMARY_HEAD.finditer(text):
        entries: dict[str, EntryValue] = {}
        position = head.end()
        if head["colon"]:
            position = _read_entries(text, position + 1, entries)
        if text[position : position + 1] != "]":
            raise ValueError(f"summary not closed at {position}")
        found.append(Summary(int(head["count"]), head["unit"], entries))
    return found


_POSITIONS = re.compile(
    r"(?P<count>\d+) at (?P<unit>[a-z]+) (?P<runs>(?:\d+(?:-\d+)?|\.\.\.)(?:, (?:\d+(?:-\d+)?|\.\.\.))*)"
)


def _read_positions(match: re.Match[str]) -> Positions:
    runs: list[tuple[int, int]] = []
    complete = True
    for item in match["runs"].split(", "):
        if item == "...":
            complete = False
            continue
        first, _, last = item.partition("-")
        runs.append((int(first), int(last or first)))
    return Positions(int(match["count"]), match["unit"], tuple(runs), complete)


def _path_text(path: str) -> str:
    """A path as a hunk list writes it: bare when it reads back the same and cannot be read as
    line ranges, else JSON."""
    plain = _BARE.fullmatch(path) and not path.startswith("-")
    return path if plain else json.dumps(path, ensure_ascii=False)


_HUNK_RANGES = r"(?:-\d+(?:,\d+)? )+\+\d+(?:,\d+)?"
_HUNK_PATH = r"(?:" + _JSON_STRING + r"|(?!-)" + _BARE_CHAR + r"+(?:\." + _BARE_CHAR + r"+)*)"
_HUNK_ITEM = r"(?:" + _HUNK_PATH + r" )?" + _HUNK_RANGES + r"(?: " + _JSON_STRING + r")?"
_HUNKS = re.compile(_HUNK_ITEM + r"(?:, " + _HUNK_ITEM + r")*(?=; |\])")
_HUNK_PARTS = re.compile(
    r"(?:(?P<path>" + _HUNK_PATH + r") )?(?P<ranges>" + _HUNK_RANGES + r")"
    r"(?: (?P<function>" + _JSON_STRING + r"))?"
)


def _read_hunks(match: re.Match[str]) -> Hunks:
    hunks: list[tuple[str, str, str]] = []
    path = context = ""
    for part in _HUNK_PARTS.finditer(match[0]):
        if part["path"] is not None:
            written = part["path"]
            path, context = (json.loads(written) if written.startswith('"') else written), ""
        if part["function"] is not None:
            context = json.loads(part["function"])
        hunks.append((path, part["ranges"], context))
    return Hunks(tuple(hunks))


def _read_listed(text: str, position: int) -> tuple[Hunks | Positions, int] | None:
    """A `hunks` list or a `N at UNIT ...` list starting at `position`, and where it ends."""
    hunks = _HUNKS.match(text, position)
    if hunks is not None:
        return _read_hunks(hunks), hunks.end()
    where = _POSITIONS.match(text, position)
    if where is not None:
        return _read_positions(where), where.end()
    return None


def _read_entries(text: str, position: int, entries: dict[str, EntryValue]) -> int:
    while True:
        key, position = _read_value(text, position)
        if text[position : position + 2] != ": ":
            raise ValueError(f"summary entry without ': ' at {position}")
        listed = _read_listed(text, position + 2)
        if listed is not None:
            entries[str(key)], position = listed
            if text[position : position + 2] != "; ":
                return position
            position += 2
            continue
        first, position = _read_value(text, position + 2)
        if text[position : position + 2] == "..":
            last, position = _read_value(text, position + 2)
            entries[str(key)] = (first, last)
        else:
            counts = []
            while True:
                count = re.compile(r" x(\d+)").match(text, position)
                if count is None:
                    raise ValueError(f"summary count expected at {position}")
                counts.append((first, int(count[1])))
                position = count.end()
                if text[position : position + 2] != ", ":
                    break
                first, position = _read_value(text, position + 2)
            entries[str(key)] = counts
        if text[position : position + 2] != "; ":
            return position
        position += 2


def _read_value(text: str, position: int) -> tuple[Scalar, int]:
    if text.startswith('"', position):
        match = re.compile(_JSON_STRING).match(text, position)
        if match is None:
            raise ValueError(f"unterminated string at {position}")
        return json.loads(match[0]), match.end()
    for literal, value in (("true", True), ("false", False), ("null", None)):
        if text.startswith(literal, position) and not _BARE.match(text, position + len(literal)):
            return value, position + len(literal)
    number = _JSON_NUMBER.match(text, position)
    bare = _BARE.match(text, position)
    # A number is only a number when no longer bare word starts there ("127.0.0.1", "1.2.3").
    if number is not None and (bare is None or bare.end() <= number.end()):
        return json.loads(number[0]), number.end()
    if bare is None:
        raise ValueError(f"summary value expected at {position}")
    return bare[0], bare.end()


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


def with_markers(keep: list[bool], units: Sequence[T], marker: Callable[[int, int], str]) -> list[T | str]:
    """The kept units in order, with `marker(first, last)` in place of each dropped run.
    Every renderer lays its markers out through this one walk."""
    out: list[T | str] = []
    position = 0
    for first, last in runs(keep):
        out.extend(units[position:first])
        out.append(marker(first, last))
        position = last + 1
    out.extend(units[position:])
    return out


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


# A change must save at least this share of a block's characters, markers counted twice. A
# marker or retrieval note (a hex hash, digits, punctuation) takes about two characters a token,
# so a change that saves a sliver of characters can cost tokens (four one-line cuts in a
# 2,300-character grep output: 4% fewer characters, 7% more tokens) and churn the block's bytes
# for nothing. Counted twice, a marker weighs what it costs in tokens beside text of about four
# characters a token (logs, code, JSON and diffs take fewer), so a change that passes saves tokens.
MIN_SAVING = 0.03


def weighed_length(rendered: str) -> int:
    """Characters, with every marker's and retrieval note's counted twice (see MIN_SAVING)."""
    marked = sum(len(found[0]) for found in MARKER_PATTERN.finditer(rendered))
    marked += sum(len(found[0]) for found in RETRIEVAL_NOTE_PATTERN.finditer(rendered))
    return len(rendered) + marked


def worth_sending(original: str, rendered: str) -> bool:
    """Whether a block's compressed form replaces its original: it differs, and it saves at least
    MIN_SAVING of the characters, markers counted twice. The one rule for "must be smaller"."""
    return rendered != original and weighed_length(rendered) <= len(original) * (1 - MIN_SAVING)
