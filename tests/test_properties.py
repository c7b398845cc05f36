"""Property tests (hypothesis) for the invariants every run must keep, on both message formats.

- the output is a valid message list in the input's format, with everything but text untouched;
- tool calls stay paired with their results;
- the same input gives the same bytes (repeated, and in a fresh store);
- every elision has a marker, markers never overlap, and a marker's hash retrieves the original exactly;
- bad input never raises unless strict=True; the input is never mutated.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headroom import compress, retrieve
from headroom.ccr.stores import MemoryStore
from headroom.markers import MARKER_PATTERN, RETRIEVAL_NOTE_PATTERN, content_hash, find_markers
from headroom.messages import extract_blocks
from headroom.pipeline.errors import InputError

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
SERVICES = ["api", "billing", "auth", "search"]

# Content -------------------------------------------------------------------------------------------


@st.composite
def json_records(draw: st.DrawFn) -> str:
    count = draw(st.integers(0, 160))
    rng = random.Random(draw(st.integers(0, 2**16)))
    uniform = draw(st.booleans())
    items: list[Any] = []
    for i in range(count):
        item: dict[str, Any] = {
            "id": f"ord-{10000 + i}",
            "service": rng.choice(SERVICES),
            "status": "ok",
            "latency_ms": rng.randint(5, 200),
            "amount": round(rng.uniform(1, 500), 2),
        }
        if not uniform and rng.random() < 0.1:
            item["note"] = rng.choice(["retrying", "slow", "x" * rng.randint(1, 300)])
        items.append(item)
    for _ in range(draw(st.integers(0, 3))):
        if items:
            index = draw(st.integers(0, len(items) - 1))
            items[index] = {**items[index], "status": "failed", "error": "upstream timeout"}
    if items and draw(st.booleans()):
        items[draw(st.integers(0, len(items) - 1))] = draw(
            st.one_of(st.integers(), st.text(max_size=20), st.none(), st.lists(st.integers(), max_size=3))
        )
    return json.dumps(items, indent=draw(st.sampled_from([None, 1, 2])), ensure_ascii=draw(st.booleans()))


TRACE = [
    "Traceback (most recent call last):",
    '  File "/srv/app/a.py", line 10, in handle',
    "    do()",
    '  File "/srv/app/b.py", line 20, in do',
    "    raise KeyError('x')",
    "KeyError: 'x'",
]


@st.composite
def log_text(draw: st.DrawFn) -> str:
    count = draw(st.integers(0, 400))
    rng = random.Random(draw(st.integers(0, 2**16)))
    lines = []
    for i in range(count):
        level = rng.choices(["INFO", "DEBUG", "WARN", "ERROR"], [90, 5, 3, 2])[0]
        lines.append(
            f"2026-11-27T08:{i // 60 % 60:02d}:{i % 60:02d}Z {level} [{rng.choice(SERVICES)}] "
            f"GET /v1/items/{rng.randint(1, 99999)} {rng.choice([200, 200, 404, 500])} "
            f"rid=req-{rng.getrandbits(24):06x}"
        )
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(lines)))
        lines[at:at] = TRACE
    if lines and draw(st.booleans()):
        lines[draw(st.integers(0, len(lines) - 1))] += draw(st.sampled_from(SURROGATES))
    return "\n".join(lines)


odd_text = st.one_of(
    st.just(""),
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from(["a", "\n", " ", "[", "]", "{", "}", '"', *SURROGATES]), max_size=60),
    st.builds(lambda n: "[" + '{"a": 1},' * n, st.integers(0, 300)),  # invalid JSON
    st.builds(lambda n: "x" * n, st.sampled_from([0, 1, 5000, 70_000])),  # empty to huge
)
tool_output = st.one_of(json_records(), log_text(), odd_text)


def query_for(draw: st.DrawFn) -> str:
    return draw(
        st.sampled_from(
            [
                "What failed?",
                "Why did order ord-10042 fail?",
                "Trace request req-00ab12 please",
                "summarise",
                "",
            ]
        )
    )


# Conversations -----------------------------------------------------------------------------------------


@st.composite
def openai_conversation(draw: st.DrawFn) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    if draw(st.booleans()):
        messages.append({"role": draw(st.sampled_from(["system", "developer"])), "content": "Be brief."})
    for turn in range(draw(st.integers(1, 2))):
        messages.append({"role": "user", "content": query_for(draw)})
        outputs = draw(st.lists(tool_output, min_size=1, max_size=3))
        calls = [
            {
                "id": f"call_{turn}_{i}",
                "type": "function",
                "function": {"name": "fetch", "arguments": json.dumps({"n": i, "q": "ord-10042"})},
            }
            for i in range(len(outputs))
        ]
        messages.append({"role": "assistant", "content": None, "tool_calls": calls})
        for call, output in zip(calls, outputs, strict=True):
            message: dict[str, Any] = {"role": "tool", "tool_call_id": call["id"], "content": output}
            if draw(st.booleans()):
                message["name"] = "fetch"
            messages.append(message)
        messages.append({"role": "assistant", "content": draw(st.sampled_from(["Done.", "", None]))})
    return messages


@st.composite
def anthropic_conversation(draw: st.DrawFn) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for turn in range(draw(st.integers(1, 2))):
        user: list[dict[str, Any]] = [{"type": "text", "text": query_for(draw)}]
        if draw(st.booleans()):
            user.append(
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}}
            )
        messages.append({"role": "user", "content": user})
        outputs = draw(st.lists(tool_output, min_size=1, max_size=3))
        uses = [
            {"type": "tool_use", "id": f"toolu_{turn}_{i}", "name": "fetch", "input": {"n": i}}
            for i in range(len(outputs))
        ]
        messages.append({"role": "assistant", "content": [{"type": "text", "text": "Looking."}, *uses]})
        results = []
        for use, output in zip(uses, outputs, strict=True):
            inner: Any = output if draw(st.booleans()) else [{"type": "text", "text": output}]
            result: dict[str, Any] = {"type": "tool_result", "tool_use_id": use["id"], "content": inner}
            if draw(st.booleans()):
                result["cache_control"] = {"type": "ephemeral"}
            if draw(st.booleans()):
                result["is_error"] = False
            results.append(result)
        messages.append({"role": "user", "content": results})
    return messages


conversations = st.one_of(openai_conversation(), anthropic_conversation())


# Helpers -------------------------------------------------------------------------------------------


def dumps(value: Any) -> bytes:
    """Bytes of a message list; lone surrogates (which orjson refuses) go through the standard library."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=True).encode()


def without_text(value: Any) -> Any:
    """The message list with every compressible string leaf blanked: what must never change."""
    blanked = copy.deepcopy(value)
    for block in extract_blocks(value).blocks:
        node = blanked[block.message_index]
        for key in block.path[:-1]:
            node = node[key]
        node[block.path[-1]] = "<text>"
    return blanked


def check_units(original: str, output: str, ref: str) -> None:
    """Every dropped run has exactly one marker; kept units are the original's, in place."""
    markers = find_markers(output)
    assert all(m.hash == ref for m in markers)
    assert all(m.first <= m.last for m in markers)
    assert all(markers[i].last < markers[i + 1].first for i in range(len(markers) - 1)), "markers overlap"
    if not markers:
        return
    unit = markers[0].unit
    assert all(m.unit == unit for m in markers)
    if unit == "lines":
        lines = original.split("\n")
        assert all(m.total == len(lines) and m.first >= 1 and m.last <= len(lines) for m in markers)
        position = 0
        for line in output.split("\n"):
            if RETRIEVAL_NOTE_PATTERN.fullmatch(line):
                continue  # the block's one-line note on how to get the original back
            found = MARKER_PATTERN.match(line)
            if found:
                assert int(found["first"]) == position + 1, "a dropped line has no marker"
                position = int(found["last"])
            else:
                assert line == lines[position], "a kept line is not the original line in its place"
                position += 1
        assert position == len(lines)
    else:
        items = json.loads(original)
        assert all(m.total == len(items) and m.first >= 0 and m.last < len(items) for m in markers)
        if output.startswith("[headroom: table of"):
            assert output.startswith(f"[headroom: table of {len(items)} items;")
            return
        position = 0
        for item in json.loads(output):
            if isinstance(item, str) and RETRIEVAL_NOTE_PATTERN.fullmatch(item):
                continue
            found = MARKER_PATTERN.match(item) if isinstance(item, str) else None
            if found:
                assert int(found["first"]) == position, "a dropped item has no marker"
                position = int(found["last"]) + 1
            else:
                assert item == items[position], "a kept item is not the original item in its place"
                position += 1
        assert position == len(items)


# Properties --------------------------------------------------------------------------------------


@SETTINGS
@given(conversations)
def test_output_keeps_the_format_shape_and_everything_but_text(messages: list[dict[str, Any]]) -> None:
    before = copy.deepcopy(messages)
    result = compress(messages, store=MemoryStore())
    assert messages == before, "the input was mutated"
    output = result.messages
    assert isinstance(output, list) and len(output) == len(messages)
    assert [m["role"] for m in output] == [m["role"] for m in messages]
    assert [list(m) for m in output] == [list(m) for m in messages]
    assert extract_blocks(output).format == extract_blocks(messages).format
    assert without_text(output) == without_text(messages)
    assert result.tokens_after <= result.tokens_before
    assert not any(failure.startswith("stage ") for failure in result.failures), result.failures


def call_ids(messages: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    ids = []
    for index, message in enumerate(messages):
        for call in message.get("tool_calls") or []:
            ids.append((index, "call", call["id"]))
        if message.get("tool_call_id"):
            ids.append((index, "result", message["tool_call_id"]))
        if isinstance(message.get("content"), list):
            for part in message["content"]:
                if part.get("type") == "tool_use":
                    ids.append((index, "call", part["id"]))
                if part.get("type") == "tool_result":
                    ids.append((index, "result", part["tool_use_id"]))
    return ids


@SETTINGS
@given(conversations)
def test_tool_calls_stay_paired_with_their_results(messages: list[dict[str, Any]]) -> None:
    output = compress(messages, store=MemoryStore()).messages
    ids = call_ids(output)
    assert ids == call_ids(messages)
    calls = {call_id for _, kind, call_id in ids if kind == "call"}
    results = [(index, call_id) for index, kind, call_id in ids if kind == "result"]
    assert {call_id for _, call_id in results} <= calls
    for index, call_id in results:  # each result still comes after its call
        (call_index,) = [i for i, kind, c in ids if kind == "call" and c == call_id]
        assert call_index < index


@SETTINGS
@given(conversations)
def test_the_same_input_gives_the_same_bytes(messages: list[dict[str, Any]]) -> None:
    store = MemoryStore()
    first = compress(copy.deepcopy(messages), store=store)
    again = compress(copy.deepcopy(messages), store=store)  # answered from the memo
    fresh = compress(copy.deepcopy(messages), store=MemoryStore())
    assert dumps(first.messages) == dumps(again.messages) == dumps(fresh.messages)
    assert first.tokens_after == again.tokens_after == fresh.tokens_after


@SETTINGS
@given(conversations)
def test_every_elision_is_marked_and_every_marker_retrieves_its_original(
    messages: list[dict[str, Any]],
) -> None:
    store = MemoryStore()
    output = compress(messages, store=store).messages
    before = {(b.message_index, b.path): b.text for b in extract_blocks(messages).blocks}
    after = {(b.message_index, b.path): b.text for b in extract_blocks(output).blocks}
    assert after.keys() == before.keys()
    for key, text in after.items():
        original = before[key]
        if text == original:
            continue
        assert len(text) < len(original)  # never bigger than what came in
        ref = content_hash(original)
        markers = find_markers(text)
        if markers:
            assert retrieve(ref, store) == original
            assert retrieve(f"hash={ref}", store) == original
        check_units(original, text, ref)


def test_the_check_itself_catches_a_missing_marker() -> None:
    original = "a\nb\nc\nd"
    ref = content_hash(original)
    check_units(original, f"a\n[headroom: omitted lines 2-3 of 4; hash={ref}]\nd", ref)
    with pytest.raises(AssertionError):
        check_units(original, f"a\n[headroom: omitted lines 2-2 of 4; hash={ref}]\nd", ref)
    with pytest.raises(AssertionError):
        check_units(original, f"[headroom: omitted lines 1-2 of 4; hash={ref}]\nc\nX", ref)


# Bad input -----------------------------------------------------------------------------------------

junk = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True),
        st.text(max_size=30),
        st.sampled_from(SURROGATES),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(["role", "content", "type", "text", "tool_calls", "id", "x"]),
            children,
            max_size=4,
        ),
    ),
    max_leaves=20,
)
odd_message = st.one_of(
    junk,
    st.fixed_dictionaries(
        {
            "role": st.one_of(st.sampled_from(["user", "assistant", "tool", "system", "robot", ""]), junk),
            "content": st.one_of(junk, tool_output, st.lists(junk, max_size=3)),
        }
    ),
    st.fixed_dictionaries(
        {
            "role": st.just("assistant"),
            "content": st.none(),
            "tool_calls": st.one_of(
                junk, st.lists(st.dictionaries(st.sampled_from(["id", "function"]), junk))
            ),
        }
    ),
)
bad_input = st.one_of(junk, st.lists(odd_message, max_size=5), conversations.map(lambda m: [*m, 7, None]))


@SETTINGS
@given(bad_input)
def test_bad_input_never_raises_and_is_never_mutated(messages: Any) -> None:
    before = copy.deepcopy(messages)
    result = compress(messages, store=MemoryStore())
    assert dumps(messages) == dumps(before)
    if isinstance(messages, list):
        assert len(result.messages) == len(messages)
        assert result.tokens_after <= result.tokens_before
    else:
        assert result.messages is messages or result.messages == messages
        assert result.failures


@SETTINGS
@given(junk.filter(lambda value: not isinstance(value, list)))
def test_strict_mode_refuses_a_non_list(messages: Any) -> None:
    with pytest.raises(InputError, match="messages must be a list of message objects"):
        compress(messages, strict=True)
