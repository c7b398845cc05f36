"""Nested JSON objects (API responses, manifests, specs, package metadata): units are subtrees.

The value is read as a tree. A container at least `OPEN_CHARS` long (minified), or in
a small document at least an `OPEN_SHARE`-th of it (and `UNIT_CHARS`), is opened: its
children become nodes of their own, and so on down; smaller values stay whole. (So no
unit is a large share of what a budget keeps of a small document: a 12-member map that
is a third of a 1,000-token file is 12 units, not one.) An opened array, or an opened
object whose members are all of one JSON type and number at least `MAP_MIN_KEYS` (a
map: model name -> record, path -> operation), is *sampled*: every child is a unit a
compressor may drop. Any other opened object is a record: its small fields are its
*frame*, always written, never dropped (one unit for scoring), and only its large
children are units. Each unit is filed under its path (`keys`), which the score stage
reads for the keys a request names.

Rendering is minified JSON of the same values. A dropped subtree is written in
place as a marker naming its JSON path and its size (`"/v1/users": "[headroom:
omitted keys 0-41 of 42 at $.paths[\"/v1/users\"]; hash=...]"`); a run of dropped
members of a map becomes one member whose key is the marker and whose value is a
marked summary of the run; a run of dropped array items becomes one marker string
carrying a summary of every dropped item of that array. The output stays valid JSON.

Reading costs time linear in the size: the tree is walked with a stack, not recursion, and
each value is written once (a container's length is added up from its members', `_Sizes`),
so no subtree is serialized again for every level above it. JSON nested deeper than
`headroom.json_text.MAX_JSON_DEPTH` (100) levels is opaque text: it is not parsed at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from headroom.content.base import Document, Key
from headroom.content.columns import SUMMARY_MIN_UNITS
from headroom.content.json_array import (
    SIGNAL_TERMS,
    dump_json,
    exact_float,
    item_error_signal,
    refuse_deep,
    reject_constant,
    sibling_anomalies,
    summarize_values,
)
from headroom.content.records import Notable
from headroom.content.signals import line_starts, lines_mentioning
from headroom.markers import Scalar, json_path, omitted, summary

OPEN_CHARS = 1500  # containers at least this long are opened
UNIT_CHARS = 400  # in an opened record, smaller members are frame
OPEN_SHARE = 8  # in a small document, containers at least this share of it (1/8) are opened too
MAP_MIN_KEYS = 8

Path = tuple[str | int, ...]


@dataclass
class Node:
    path: Path
    value: Any
    size: int  # characters of the value's minified JSON
    opened: bool = False
    sampled: bool = False
    # (key or index, child node or None for a frame member), in the value's order
    children: list[tuple[str | int, Node | None]] = field(default_factory=list)
    unit: int | None = None  # the leaf's unit, or an opened record's frame unit
    first_unit: int = 0
    stop_unit: int = 0  # units first_unit..stop_unit-1 lie in this subtree
    where: str = "$"  # json_path(path), written from the parent's, so a deep path costs one step
    _text: str | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        """Minified JSON of the value; written on first use (an opened node's rarely is)."""
        if self._text is None:
            self._text = dump_json(self.value)
        return self._text

    def child_nodes(self) -> list[Node]:
        return [child for _, child in self.children if child is not None]


class JsonObjectDocument(Document):
    unit_name = "values"  # units are values (subtrees); markers count keys, items or chars
    first_number = 0

    def __init__(self, text: str, value: dict[str, Any]):
        self.value = value
        self.nodes: list[Node] = []  # every node, in document order (pre-order)
        self.unit_nodes: list[Node] = []  # the node each unit belongs to
        self.summarize = True
        self.cut: dict[int, Any] = {}  # leaf unit -> its value with long strings cut (crusher's choice)
        # sampled node's path -> what the record rules flagged among its children (by position in
        # `children`), so a dropped run's summary counts the flagged children it holds (crusher's choice)
        self.flagged: dict[Path, Notable] = {}
        units: list[str] = []
        self.root = self._build(value, units)
        super().__init__(text, units)

    @classmethod
    def parse(cls, text: str) -> JsonObjectDocument | None:
        try:
            value = _load_strict(text)
        except ValueError:
            return None
        if not isinstance(value, dict):
            return None
        return cls(text, value)

    # the tree ------------------------------------------------------------------------

    def _build(self, value: Any, units: list[str]) -> Node:
        """The tree, in document order (pre-order), walked with a stack: no recursion, and each
        value is written once (sizes come from `_Sizes`, texts only for the leaves and frames)."""
        sizes = _Sizes(value)
        root = Node((), value, sizes.of(value))
        self.open_chars = min(OPEN_CHARS, max(UNIT_CHARS, root.size // OPEN_SHARE))
        # (node to fill, its parent, its position among the parent's children); None closes the last opened
        pending: list[tuple[Node, Node | None, int] | Node] = [(root, None, 0)]
        while pending:
            item = pending.pop()
            if isinstance(item, Node):
                item.stop_unit = len(units)
                continue
            node, parent, position = item
            if parent is not None:
                parent.children[position] = (parent.children[position][0], node)
            self._enter(node, units, sizes, pending, force_open=parent is None)
        return root

    def _enter(
        self,
        node: Node,
        units: list[str],
        sizes: _Sizes,
        pending: list[tuple[Node, Node | None, int] | Node],
        *,
        force_open: bool,
    ) -> None:
        """Number a node: a leaf gets its unit; an opened node its frame unit, then its children."""
        node.first_unit = len(units)
        self.nodes.append(node)
        value = node.value
        container = isinstance(value, (dict, list)) and len(value) > 0
        if not container or not (force_open or node.size >= self.open_chars):
            if node._text is None:
                node._text = sizes.text(value)
            node.unit = self._add_unit(node, units, f"{node.where} {node.text}")
            node.stop_unit = len(units)
            return
        node.opened = True
        members = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        node.sampled = isinstance(value, list) or _is_map(value)
        member_sizes = [sizes.of(child) for _, child in members]
        frame = (
            {}
            if node.sampled
            else {k: v for (k, v), size in zip(members, member_sizes, strict=True) if size < UNIT_CHARS}
        )
        if frame:
            node.unit = self._add_unit(node, units, f"{node.where} {dump_json(frame)}")
        node.children = [(key, None) for key, _ in members]
        pending.append(node)  # closed once every child is numbered
        children = [
            (
                Node(
                    (*node.path, key),
                    child,
                    size,
                    where=node.where + json_path((key,))[1:],
                    _text=sizes.text_if_known(child),
                ),
                node,
                position,
            )
            for position, ((key, child), size) in enumerate(zip(members, member_sizes, strict=True))
            if not (key in frame and isinstance(key, str))
        ]
        pending.extend(reversed(children))

    def _add_unit(self, node: Node, units: list[str], text: str) -> int:
        units.append(text)
        self.unit_nodes.append(node)
        return len(units) - 1

    def head_unit(self, node: Node) -> int | None:
        """The unit that stands for a node in its parent: its own, or its first."""
        if node.unit is not None:
            return node.unit
        return node.first_unit if node.stop_unit > node.first_unit else None

    def sampled_nodes(self) -> Iterator[Node]:
        return (node for node in self.nodes if node.sampled)

    # rendering -----------------------------------------------------------------------

    def render(self, keep: list[bool] | None, ref: str) -> str:
        if keep is None and not self.cut:
            return self.root.text
        kept_before = [0]
        for kept in keep or [True] * len(self.units):
            kept_before.append(kept_before[-1] + int(kept))
        return _Renderer(self, kept_before, ref).node(self.root)

    def leaf_text(self, node: Node) -> str:
        assert node.unit is not None
        cut = self.cut.get(node.unit)
        return node.text if cut is None else dump_json(cut)

    # signals -------------------------------------------------------------------------

    def error_signals(self) -> list[float]:
        signals = [0.0] * len(self.units)
        for index in lines_mentioning("\n".join(self.units), line_starts(self.units), SIGNAL_TERMS):
            node = self.unit_nodes[index]
            if node.opened:
                value = self._frame(node)
            elif node.path and isinstance(node.path[-1], str):
                value = {node.path[-1]: node.value}  # a member is judged as a field of its record
            else:
                value = node.value
            signals[index] = item_error_signal(value)
        return signals

    def anomaly_signals(self) -> list[float]:
        signals = [0.0] * len(self.units)
        for node in self.sampled_nodes():
            children = node.child_nodes()
            for child, strength in zip(children, sibling_anomalies([c.value for c in children]), strict=True):
                head = self.head_unit(child)
                if strength > 0 and head is not None:
                    signals[head] = max(signals[head], strength)
        return signals

    def anchors(self) -> set[int]:
        return {self.root.unit} if self.root.unit is not None else set()

    def keys(self) -> list[Key]:
        """Each unit's JSON path as names (a frame's is its record's path, an index is ""), and how
        many members the container holding it has."""
        members = {node.path: len(node.children) for node in self.nodes if node.opened}
        return [
            Key(
                tuple(key if isinstance(key, str) else "" for key in node.path),
                members.get(node.path[:-1], 0),
            )
            for node in self.unit_nodes
        ]

    @staticmethod
    def _frame(node: Node) -> dict[str, Any]:
        assert isinstance(node.value, dict)
        return {str(key): node.value[key] for key, child in node.children if child is None}


class _Renderer:
    """Writes the tree with dropped subtrees as markers; one per document render."""

    def __init__(self, document: JsonObjectDocument, kept_before: list[int], ref: str):
        self.document = document
        self.kept_before = kept_before
        self.ref = ref

    def kept_count(self, node: Node) -> int:
        return self.kept_before[node.stop_unit] - self.kept_before[node.first_unit]

    def dropped(self, node: Node) -> bool:
        return node.stop_unit > node.first_unit and self.kept_count(node) == 0

    def node(self, node: Node) -> str:
        if not node.opened:
            return self.document.leaf_text(node)
        if isinstance(node.value, list):
            return self._array(node)
        return self._object(node)

    def _array(self, node: Node) -> str:
        total = len(node.children)
        where = node.where
        runs = list(self._runs(node))
        markers = {
            start: omitted("items", start, end - 1, total, self.ref, path=where)
            for start, end, is_run in runs
            if is_run
        }
        plain = {
            start
            for start, end, is_run in runs
            if is_run and self._shorter_as_is(node, start, end, markers[start])
        }
        dropped = [
            i for start, end, is_run in runs if is_run and start not in plain for i in range(start, end)
        ]
        note = ""
        if self.document.summarize:
            values = [node.value[i] for i in dropped]
            note = summarize_values(values, "items", flagged=self._flagged(node, dropped))
            note = " " + note if note else ""
        parts: list[str] = []
        for start, end, is_run in runs:
            if start in plain:
                parts.extend(self._as_is(node, start, end))
            elif not is_run:
                child = node.children[start][1]
                assert child is not None
                parts.append(self.node(child))
            else:
                parts.append(dump_json(markers[start] + note))
                note = ""
        return "[" + ",".join(parts) + "]"

    def _object(self, node: Node) -> str:
        parts: list[str] = []
        total = len(node.children)
        for start, end, is_run in self._runs(node):
            key, child = node.children[start]
            if not is_run:
                value = self.node(child) if child is not None else dump_json(node.value[key])
                parts.append(f"{dump_json(key)}:{value}")
                continue
            if end - start == 1 and child is not None and self._elidable_alone(child):
                marker = f"{dump_json(key)}:{dump_json(self._elided(child))}"
            else:
                marker = omitted("keys", start, end - 1, total, self.ref, path=node.where)
                values = [node.value[k] for k, _ in node.children[start:end]]
                flagged = self._flagged(node, range(start, end))
                marker = f"{dump_json(marker)}:{dump_json(self._run_summary(values, flagged))}"
            if self._shorter_as_is(node, start, end, marker):
                parts.extend(self._as_is(node, start, end))
            else:
                parts.append(marker)
        return "{" + ",".join(parts) + "}"

    def _as_is(self, node: Node, start: int, end: int) -> list[str]:
        """The children start..end-1 written whole, as the input has them (minified)."""
        written = []
        for key, child in node.children[start:end]:
            assert child is not None
            written.append(child.text if isinstance(key, int) else f"{dump_json(key)}:{child.text}")
        return written

    def _shorter_as_is(self, node: Node, start: int, end: int, marker: str) -> bool:
        """Whether a dropped run written whole is no longer than its marker: then nothing is gained
        by dropping it (`{"type":"boolean"}` under a marker naming its path), so it is written."""
        room = len(marker) + 1
        for key, child in node.children[start:end]:
            assert child is not None
            room -= child.size + 1 + (0 if isinstance(key, int) else len(dump_json(key)) + 1)
            if room < 0:
                return False  # (a long run stops here: its texts are never joined)
        return True

    def _runs(self, node: Node) -> Iterator[tuple[int, int, bool]]:
        """(start, end, is a dropped run) over the node's children: kept ones one by one, dropped in runs."""
        children = node.children
        index = 0
        while index < len(children):
            child = children[index][1]
            if child is None or not self.dropped(child):
                yield index, index + 1, False
                index += 1
                continue
            end = index + 1
            while end < len(children) and (c := children[end][1]) is not None and self.dropped(c):
                end += 1
            yield index, end, True
            index = end

    @staticmethod
    def _elidable_alone(child: Node) -> bool:
        return isinstance(child.value, (dict, list, str))

    def _elided(self, child: Node) -> str:
        """The marker that stands in place of a whole value: its path and its size."""
        value = child.value
        where = child.where
        if isinstance(value, dict):
            return omitted("keys", 0, len(value) - 1, len(value), self.ref, path=where)
        if isinstance(value, list):
            marker = omitted("items", 0, len(value) - 1, len(value), self.ref, path=where)
            note = ""
            if self.document.summarize and len(value) >= SUMMARY_MIN_UNITS:
                note = summarize_values(value, "items")
            return marker + (" " + note if note else "")
        return omitted("chars", 1, len(value), len(value), self.ref, path=where)

    def _run_summary(self, values: list[Any], flagged: list[tuple[Scalar, int]]) -> str:
        if self.document.summarize:
            return summarize_values(values, "keys", empty=True, flagged=flagged)
        return summary(len(values), "keys", [])

    def _flagged(self, node: Node, dropped: Iterable[int]) -> list[tuple[Scalar, int]]:
        notable = self.document.flagged.get(node.path)
        return notable.counts(dropped) if notable is not None else []


def _orjson_text(value: Any) -> str | None:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer past 64 bits, a lone surrogate
        return None


def _stdlib_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _opens(value: Any) -> bool:
    return isinstance(value, (dict, list)) and len(value) > 0


class _Sizes:
    """The length of `dump_json` of every container in a value, from one bottom-up pass (with a
    stack, not recursion) that writes each scalar once: a container's minified JSON is its
    members' joined by commas (and keys), so its length adds up without writing it again.

    `dump_json` writes with orjson and falls back to the standard library for a value orjson
    refuses; both are compositional, so a container's length is added up in the writing
    `dump_json` would choose for it. Containers of scalars only are written whole in the pass,
    and their text is kept for the leaves that need it."""

    def __init__(self, root: Any):
        self._orjson: dict[int, int | None] = {}  # None: orjson refuses something in it
        self._stdlib: dict[int, int] = {}  # only when orjson refuses something in the document
        self._texts: dict[int, str] = {}
        self._mixed = _orjson_text(root) is None if _opens(root) else False
        pending: list[tuple[Any, bool]] = [(root, False)] if _opens(root) else []
        while pending:
            value, children_done = pending.pop()
            members = list(value.values()) if isinstance(value, dict) else value
            inner = [member for member in members if _opens(member)]
            if not inner:
                self._scalars_only(value)
            elif not children_done:
                pending.append((value, True))
                pending.extend((member, False) for member in inner)
            else:
                self._add_up(value, members)

    def _scalars_only(self, value: Any) -> None:
        text = _orjson_text(value)
        self._orjson[id(value)] = None if text is None else len(text)
        if self._mixed:
            self._stdlib[id(value)] = len(_stdlib_text(value))
        self._texts[id(value)] = text if text is not None else _stdlib_text(value)

    def _add_up(self, value: Any, members: Any) -> None:
        scalars = [member for member in members if not _opens(member)]
        inner = [member for member in members if _opens(member)]
        frame = 2 + max(0, len(value) - 1)  # brackets and commas
        keys = list(value) if isinstance(value, dict) else []
        if keys:
            frame += len(keys)  # colons
        parts = [self._orjson[id(member)] for member in inner]
        parts += [
            _joined_length(_orjson_text(scalars), len(scalars)),
            _joined_length(_orjson_text(keys), len(keys)),
        ]
        known = [part for part in parts if part is not None]
        self._orjson[id(value)] = frame + sum(known) if len(known) == len(parts) else None
        if self._mixed:
            stdlib_scalars = _joined_length(_stdlib_text(scalars), len(scalars)) or 0
            stdlib_keys = _joined_length(_stdlib_text(keys), len(keys)) or 0
            inner_total = sum(self._stdlib[id(member)] for member in inner)
            self._stdlib[id(value)] = frame + stdlib_scalars + stdlib_keys + inner_total

    def of(self, value: Any) -> int:
        """The length of `dump_json(value)`."""
        if not _opens(value):
            return len(self.text(value))
        size = self._orjson[id(value)]
        return size if size is not None else self._stdlib[id(value)]

    def text(self, value: Any) -> str:
        """`dump_json(value)`, kept for a scalar or a container of scalars once written."""
        known = self._texts.get(id(value))
        if known is None:
            known = dump_json(value)
            if not _opens(value):
                self._texts[id(value)] = known
        return known

    def text_if_known(self, value: Any) -> str | None:
        return self._texts.get(id(value))


def _joined_length(text: str | None, count: int) -> int | None:
    """The length of `count` values' texts from the text of the list of them (less brackets, commas)."""
    if text is None:
        return None
    return len(text) - 2 - max(0, count - 1) if count else 0


def _is_map(value: dict[str, Any]) -> bool:
    """Many members of one JSON type: keys are data (names, paths, versions), not field names."""
    if len(value) < MAP_MIN_KEYS:
        return False
    kinds = {_kind(child) for child in value.values()}
    return len(kinds) == 1


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise ValueError("an object repeats a key; re-encoding would lose a value")
    return value


def _load_strict(text: str) -> Any:
    """Parse JSON refusing what a re-encoding could not give back: repeated keys, NaN, lost floats,
    and nesting past `MAX_JSON_DEPTH` (opaque text)."""
    refuse_deep(text)
    return json.loads(
        text, object_pairs_hook=_no_duplicates, parse_float=exact_float, parse_constant=reject_constant
    )
