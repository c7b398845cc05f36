"""JSON text as written: how deep it nests, where its values are, and rewriting it in place.

`nesting_depth` measures a text's bracket nesting (outside strings) in one linear pass with
no recursion; JSON nested deeper than `MAX_JSON_DEPTH` is opaque text to Headroom (see
`too_deep`): it is never parsed, so no walk over its values can recurse without end.

`rewrite_json` changes only the values that changed. Parsing a request body into Python
values and writing the values back loses what they cannot hold: a number as written (an
integer past 64 bits reads as a float, `1E+2` as `100.0`), whitespace, unicode escapes, the
members of a key written twice. `rewrite_json` instead takes the original bytes, the value
they parse to and the value to send instead, finds the values that differ (`changes`: a
compressed string, usually), finds where each one is written in the bytes (`locate`: a scan
that records byte spans, not values) and writes the new encodings over those spans.
Everything else is copied through as it came.

A repeated key means its last member, as every JSON parser we use reads it. A changed
string is written with `\\uXXXX` escapes when its original used them for non-ASCII text,
else as UTF-8. The scan is iterative, so no nesting depth makes it recurse, and it reads each
byte once: subtrees off the paths it looks for are skipped by a regular expression that
matches strings whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import orjson

Path = tuple[str | int, ...]

_WHITESPACE = re.compile(rb"[ \t\n\r]*")
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_SCALAR = re.compile(rb"[^ \t\n\r,:\]}]+")
_STRING_OR_BRACKET = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_NON_ASCII_ESCAPE = re.compile(rb"\\u(?:00[89a-fA-F]|0[1-9a-fA-F]|[1-9a-fA-F])")


# Deeper than this, JSON is opaque text: real tool outputs (API responses, manifests, plans, specs)
# nest a few dozen levels at most, and every walk over parsed values (ours, the standard
# library's, orjson's writer, which stops at 255) stays far from Python's recursion limit.
MAX_JSON_DEPTH = 100

_TEXT_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nesting_depth(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest, brackets inside strings not counted.
    One pass of regular expressions and a running sum: linear, whatever the depth."""
    brackets = _NOT_BRACKET.sub("", _TEXT_STRING.sub("", text))
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON text nests deeper than `limit` (then it is opaque text, never parsed)."""
    if text.count("[") + text.count("{") <= limit:  # cannot nest deeper than it has brackets
        return False
    return nesting_depth(text) > limit


class SpliceError(ValueError):
    """The bytes do not hold the value they were said to parse to."""


@dataclass(frozen=True)
class Appended:
    """Members added at the end of a container: an object's new keys (in order) or an array's
    new items. Written before the container's closing bracket, the rest of it untouched."""

    members: dict[str, Any] | list[Any]


def rewrite_json(data: bytes, before: Any, after: Any) -> bytes:
    """`data` (JSON text that parses to `before`) rewritten to mean `after`: each value where
    `after` differs from `before` re-encoded in place, members added at the end of an object or
    an array written before its closing bracket, every other byte as it was.

    Raises SpliceError when a value to replace is not where `before` says it is."""
    edits = changes(before, after)
    if not edits:
        return data
    if any(path == () and not isinstance(new, Appended) for path, new in edits):
        return _encode(after, b"")
    found = locate(data, [path for path, _ in edits])
    _check_replaced(data, found, before)
    splices = sorted(_splice(data, found[path], new) for path, new in edits)
    pieces: list[bytes] = []
    written = 0
    for start, end, text in splices:
        if start < written:
            raise SpliceError(f"two values to replace overlap at byte {start}")
        pieces.append(data[written:start])
        pieces.append(text)
        written = end
    pieces.append(data[written:])
    return b"".join(pieces)


def _splice(data: bytes, span: tuple[int, int], new: Any) -> tuple[int, int, bytes]:
    """(start, end, text): the bytes from start to end become text."""
    start, end = span
    if not isinstance(new, Appended):
        return start, end, _encode(new, data[start:end])
    closing = end - 1
    empty = not data[start + 1 : closing].strip()
    if isinstance(new.members, dict):
        parts = [_encode(key, b"") + b":" + _encode(value, b"") for key, value in new.members.items()]
    else:
        parts = [_encode(item, b"") for item in new.members]
    return closing, closing, (b"" if empty else b",") + b",".join(parts)


def changes(before: Any, after: Any) -> list[tuple[Path, Any]]:
    """(path, new value) for each place where `after` differs from `before`, outermost first.

    Objects whose keys start with the same keys in the same order and arrays that start with
    as many items are compared member by member, members added at the end being one
    `Appended` change; any other difference replaces the value whole. A value shared by both
    (the same object) is the same. Iterative: nesting depth costs no recursion."""
    found: list[tuple[Path, Any]] = []
    pending: list[tuple[Path, Any, Any]] = [((), before, after)]
    while pending:
        path, old, new = pending.pop()
        if old is new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and list(new)[: len(old)] == list(old):
            added = list(new)[len(old) :]
            if added:
                found.append((path, Appended({key: new[key] for key in added})))
            pending.extend(((*path, key), old[key], new[key]) for key in reversed(list(old)))
        elif isinstance(old, list) and isinstance(new, list) and len(old) <= len(new):
            if len(new) > len(old):
                found.append((path, Appended(new[len(old) :])))
            pending.extend(((*path, index), old[index], new[index]) for index in reversed(range(len(old))))
        elif not _same_scalar(old, new):
            found.append((path, new))
    return found


def _same_value(old: Any, new: Any) -> bool:
    """Equal as JSON values (iterative, so deep values cost no recursion)."""
    return not changes(old, new)


def _same_scalar(old: Any, new: Any) -> bool:
    # 1 == 1.0 == True in Python, but they are different JSON values.
    return type(old) is type(new) and not isinstance(old, (dict, list)) and old == new


class _Wanted:
    """The paths being looked for, as a tree: children by key or index, and whether this is one."""

    __slots__ = ("children", "target")

    def __init__(self) -> None:
        self.children: dict[str | int, _Wanted] = {}
        self.target = False


def _tree(paths: Iterable[Path]) -> _Wanted:
    root = _Wanted()
    for path in paths:
        node = root
        for part in path:
            node = node.children.setdefault(part, _Wanted())
        node.target = True
    return root


def locate(data: bytes, paths: Iterable[Path]) -> dict[Path, tuple[int, int]]:
    """The byte span (start, end) of the value at each path in the JSON text `data`.

    Only the containers on the way to a wanted path are read member by member; every other
    value is skipped whole. A path written twice (a repeated key) is found at its last member.
    Raises SpliceError when a path is not in `data` or the text is not JSON where it was read."""
    wanted = list(paths)
    found: dict[Path, tuple[int, int]] = {}
    # Each frame: (the tree node of the container, its path, is an object, items read so far,
    # where it starts). A wanted container with wanted values inside is read member by member
    # and its span recorded when it closes.
    stack: list[tuple[_Wanted, Path, bool, list[int], int]] = []
    pos = _skip_whitespace(data, 0)
    node: _Wanted | None = _tree(wanted)
    path: Path = ()
    while True:
        start = pos
        opener = data[pos : pos + 1]
        if node is None or (node.target and not node.children) or opener not in (b"{", b"["):
            pos = _value_end(data, pos)
            if node is not None and node.target:
                found[path] = (start, pos)
        else:
            stack.append((node, path, opener == b"{", [0], start))
            pos = _skip_whitespace(data, pos + 1)
            if data[pos : pos + 1] in (b"}", b"]"):
                pos = _closed(stack.pop(), pos, found)
            else:
                node, path, pos = _child(data, pos, stack[-1])
                continue
        # after a value: the next member of the container it is in, or the container's end
        while True:
            pos = _skip_whitespace(data, pos)
            if not stack:
                missing = [p for p in wanted if p not in found]
                if missing:
                    raise SpliceError(f"no value at {list(missing[0])} in the JSON text")
                return found
            following = data[pos : pos + 1]
            if following == b",":
                stack[-1][3][0] += 1
                node, path, pos = _child(data, _skip_whitespace(data, pos + 1), stack[-1])
                break
            if following not in (b"}", b"]"):
                raise SpliceError(f"expected ',' or the end of a container at byte {pos}")
            pos = _closed(stack.pop(), pos, found)


def _closed(
    frame: tuple[_Wanted, Path, bool, list[int], int], pos: int, found: dict[Path, tuple[int, int]]
) -> int:
    """Past a container's closing bracket at `pos`, its span recorded when it is wanted."""
    node, path, _, _, start = frame
    if node.target:
        found[path] = (start, pos + 1)
    return pos + 1


def _child(
    data: bytes, pos: int, frame: tuple[_Wanted, Path, bool, list[int], int]
) -> tuple[_Wanted | None, Path, int]:
    """The tree node, path and start of the next member of a container, read from `pos`."""
    node, path, is_object, read, _ = frame
    if not is_object:
        key: str | int = read[0]
    else:
        token = _STRING.match(data, pos)
        if token is None:
            raise SpliceError(f"expected a key at byte {pos}")
        key = orjson.loads(token[0])
        pos = _skip_whitespace(data, token.end())
        if data[pos : pos + 1] != b":":
            raise SpliceError(f"expected ':' at byte {pos}")
        pos = _skip_whitespace(data, pos + 1)
    return node.children.get(key), (*path, key), pos


def _skip_whitespace(data: bytes, pos: int) -> int:
    match = _WHITESPACE.match(data, pos)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _value_end(data: bytes, pos: int) -> int:
    """Where the JSON value starting at `pos` ends."""
    opener = data[pos : pos + 1]
    if opener == b'"':
        token = _STRING.match(data, pos)
    elif opener in (b"{", b"["):
        return _container_end(data, pos)
    else:
        token = _SCALAR.match(data, pos)
    if token is None:
        raise SpliceError(f"expected a JSON value at byte {pos}")
    return token.end()


def _container_end(data: bytes, pos: int) -> int:
    depth = 0
    for token in _STRING_OR_BRACKET.finditer(data, pos):
        mark = token[0]
        if mark in (b"{", b"["):
            depth += 1
        elif mark in (b"}", b"]"):
            depth -= 1
            if depth == 0:
                return token.end()
    raise SpliceError(f"the container at byte {pos} never ends")


def _encode(value: Any, original: bytes) -> bytes:
    """The JSON text of a new value, in the style of the text it replaces where that is a choice."""
    if isinstance(value, str) and _NON_ASCII_ESCAPE.search(original):
        return json.dumps(value).encode("ascii")
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer past 64 bits, a lone surrogate
        return json.dumps(value, separators=(",", ":")).encode("ascii")


def _check_replaced(data: bytes, found: dict[Path, tuple[int, int]], before: Any) -> None:
    """Each replaced span holds the value `before` has at its path: the scan found the right bytes."""
    for path, (start, end) in found.items():
        expected = before
        for part in path:
            expected = expected[part]
        if not _same_value(orjson.loads(data[start:end]), expected):
            raise SpliceError(f"the bytes at {list(path)} are not the value parsed there")
