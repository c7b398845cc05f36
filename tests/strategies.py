"""Hypothesis strategies for JSON *text*: the writings a parser reads to the same value and a
re-encoding would change (numbers as written, escapes, whitespace, repeated keys, deep nesting).

A generated document is a list of segments: fixed text, and `Slot`s, strings whose value a
rewrite may change. `joined` gives the text; `assert_only_slots_changed` checks a rewritten
text against the segments without parsing it as a whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from hypothesis import strategies as st

ODD_NUMBERS = (
    "0",
    "-0",
    "-0.0",
    "1E+2",
    "1e2",
    "1.0e-7",
    "2.50",
    "1E-400",
    "123456789012345678901234567890",
    "-9223372036854775809",
    "18446744073709551616",
    "3.141592653589793238462643383279",
    "9007199254740993",
)
WHITESPACE = st.sampled_from(["", "", " ", "  ", "\n", "\r\n", "\t", " \n\t "])
# Few key names, so objects often repeat a key.
KEYS = st.sampled_from(["a", "id", "x", "content", "role", "\u00e9t\u00e9", "type", "k"])


@dataclass(frozen=True)
class Slot:
    """A string whose value a rewrite may change; `text` is how it was written."""

    text: str
    value: str


Segment = str | Slot


def _escape_char(char: str, style: int) -> str:
    code = ord(char)
    if char == '"':
        return '\\"'
    if char == "\\":
        return "\\\\"
    if code < 0x20:
        return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(char, f"\\u{code:04x}")
    if style == 1 and code > 0x7F:  # \u escapes, as ensure_ascii writers do
        if code > 0xFFFF:
            high, low = divmod(code - 0x10000, 0x400)
            return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04X}"
        return f"\\u{code:04x}"
    if style == 2 and char == "/":
        return "\\/"
    return char


@st.composite
def string_text(draw: st.DrawFn, value: st.SearchStrategy[str] | None = None) -> str:
    """A JSON string literal in one of three writings: raw UTF-8, \\u escapes, escaped slashes."""
    text = draw(value if value is not None else st.text(max_size=12))
    style = draw(st.integers(0, 2))
    return '"' + "".join(_escape_char(char, style) for char in text) + '"'


def number_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(ODD_NUMBERS),
        st.integers().map(str),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
    )


SCALAR_TEXT = st.one_of(number_text(), string_text(), st.sampled_from(["true", "false", "null"]))


def _array(items: list[str], spaces: list[str]) -> str:
    if not items:
        return "[" + spaces[0] + "]"
    inner = ",".join(spaces[2 * i] + item + spaces[2 * i + 1] for i, item in enumerate(items))
    return "[" + inner + "]"


@st.composite
def _container(draw: st.DrawFn, children: st.SearchStrategy[str]) -> str:
    items = draw(st.lists(children, max_size=5))
    spaces = draw(st.lists(WHITESPACE, min_size=2 * len(items) + 1, max_size=2 * len(items) + 1))
    if draw(st.booleans()):
        return _array(items, spaces)
    members = [draw(string_text(KEYS)) + draw(WHITESPACE) + ":" + draw(WHITESPACE) + item for item in items]
    return "{" + _array(members, spaces)[1:-1] + "}"


@st.composite
def deep_text(draw: st.DrawFn) -> str:
    """A value nested hundreds of levels deep, in arrays or objects. Up to 500: past that, orjson
    (which the test reads the document with) was seen to refuse two such siblings in one document
    ("failed to allocate memory") after the process had run other tests; deeper nesting is
    tests/content/test_deep_json.py's."""
    depth = draw(st.integers(50, 500))
    core = draw(SCALAR_TEXT)
    if draw(st.booleans()):
        return "[" * depth + core + "]" * depth
    return '{"d":' * depth + core + "}" * depth


JSON_TEXT = st.one_of(
    st.recursive(SCALAR_TEXT, _container, max_leaves=25),
    deep_text(),
)


def joined(segments: list[Segment]) -> str:
    return "".join(segment if isinstance(segment, str) else segment.text for segment in segments)


def assert_only_slots_changed(segments: list[Segment], received: str) -> list[tuple[Slot, str]]:
    """Every fixed segment arrives byte for byte in place, each slot as a JSON string; a slot whose
    value did not change arrives as it was written. Returns each slot with the value it arrived as."""
    decoder = json.JSONDecoder()
    position = 0
    arrived: list[tuple[Slot, str]] = []
    for segment in segments:
        if isinstance(segment, str):
            assert received[position : position + len(segment)] == segment, (position, segment[:80])
            position += len(segment)
            continue
        value, end = decoder.raw_decode(received, position)
        assert isinstance(value, str)
        if value == segment.value:
            assert received[position:end] == segment.text
        arrived.append((segment, value))
        position = end
    assert position == len(received)
    return arrived


Path = tuple[str | int, ...]
Document = tuple[list[Segment], list[Path]]


@st.composite
def slot(draw: st.DrawFn, value: st.SearchStrategy[str] | None = None) -> Slot:
    text = draw(value if value is not None else st.text(max_size=30))
    return Slot(draw(string_text(st.just(text))), text)


@st.composite
def document(draw: st.DrawFn, depth: int = 0) -> Document:
    """A JSON container as segments, with the path of every slot in it. Objects may write a slot's
    key twice (the slot is the last, the one a parser keeps); the rest is arbitrary JSON text."""
    is_object = draw(st.booleans())
    kinds = ["fixed", "slot", "nested"] if depth < 4 else ["fixed", "slot"]
    members: list[list[Segment]] = []
    paths: list[Path] = []
    for position in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(kinds))
        key: str | int = f"s{position}" if is_object else position
        if kind == "fixed":
            value: list[Segment] = [draw(JSON_TEXT)]
            key = draw(KEYS) if is_object else position
        elif kind == "slot":
            value = [draw(slot())]
            paths.append((key,))
        else:
            inner, inner_paths = draw(document(depth + 1))
            value = inner
            paths.extend((key, *p) for p in inner_paths)
        if is_object:
            written = json.dumps(key) + draw(WHITESPACE) + ":" + draw(WHITESPACE)
            if kind != "fixed" and draw(st.booleans()):  # an earlier member with the same key
                members.append([written + draw(JSON_TEXT)])
            value = [written, *value]
        members.append(value)
    segments: list[Segment] = ["{" if is_object else "["]
    for index, member in enumerate(members):
        segments.append(("," if index else "") + draw(WHITESPACE))
        segments.extend(member)
        segments.append(draw(WHITESPACE))
    segments.append("}" if is_object else "]")
    return segments, paths


def _member(key: str, value: list[Segment], space: st.DrawFn) -> list[Segment]:
    return [json.dumps(key) + space(WHITESPACE) + ":" + space(WHITESPACE), *value]


def _joined_members(draw: st.DrawFn, opener: str, members: list[list[Segment]], closer: str) -> list[Segment]:
    segments: list[Segment] = [opener]
    for index, member in enumerate(members):
        segments.append(("," if index else "") + draw(WHITESPACE))
        segments.extend(member)
        segments.append(draw(WHITESPACE))
    segments.append(closer)
    return segments


@st.composite
def chat_body(draw: st.DrawFn, tool_outputs: list[str]) -> list[Segment]:
    """A Chat Completions body as segments: every message's content is a slot; the model, the
    other fields (odd numbers, repeated keys, deep values), the tool calls and each message's
    unknown fields are fixed text that must arrive byte for byte."""
    unknown = st.lists(
        st.tuples(st.sampled_from(["x_meta", "name", "x_big", "cache"]), JSON_TEXT), max_size=2
    )
    messages: list[list[Segment]] = []
    turns = [
        ("system", st.just("You are a careful assistant.")),
        ("user", st.just("Which requests failed, and why?")),
        ("assistant", None),
        ("tool", st.sampled_from(tool_outputs)),
    ]
    for role, content in turns:
        members = [_member("role", [json.dumps(role)], draw)]
        if content is None:
            call = {"id": "c1", "type": "function", "function": {"name": "read", "arguments": '{"n": 1E+2}'}}
            members.append(_member("tool_calls", [json.dumps(call)], draw))
            members.append(_member("content", ["null"], draw))
        else:
            if role == "tool":
                members.append(_member("tool_call_id", ['"c1"'], draw))
            members.append(_member("content", [draw(slot(content))], draw))
        members.extend(_member(key, [value], draw) for key, value in draw(unknown))
        messages.append(_joined_members(draw, "{", draw(st.permutations(members)), "}"))
    fields = [
        _member("model", ['"gpt-4o"'], draw),
        _member("messages", _joined_members(draw, "[", messages, "]"), draw),
        _member("x_big", ["123456789012345678901234567890"], draw),
        *(_member(key, [value], draw) for key, value in draw(unknown)),
    ]
    if draw(st.booleans()):  # an earlier "messages" a parser drops: the last member is the one read
        fields.insert(0, _member("messages", [draw(JSON_TEXT)], draw))
    order = draw(st.permutations(range(1, len(fields))))
    return _joined_members(draw, "{", [fields[0], *(fields[i] for i in order)], "}")
