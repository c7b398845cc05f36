"""The fuzz suite: more than 10,000 generated conversations, well-formed and malformed, in both formats.

Inputs mix real tool output (slices of the fixtures), JSON written every way a parser accepts
(odd numbers, escapes, repeated keys, nesting past the depth limit), huge and empty strings, lone
surrogates, unknown blocks and fields, values of every type where a message or a part belongs,
tool calls that are not lists, and deep values. For every input, in the default mode:

- compress() returns (it never raises) and the input is not mutated;
- the output is the same list: same length, same roles, same keys in the same order, the same
  format, and every tool call still paired with its result, in order;
- everything but the compressible text is byte for byte as it came (unknown fields and blocks
  included), and a message with no changed text is the same object;
- every changed text is smaller, and every marker's hash retrieves the original from the store;
- nothing fails but a message nobody could read, reported alone (no stage, render or count
  failure, no whole request passed through);
- a fixed sample gives the same bytes in two interpreters with different string hashing.

Examples are derandomized, so CI sees the same inputs every run: 10,700 in all, about two
minutes on one core. `FUZZ_EXAMPLES=50 pytest tests/test_fuzz.py` runs a few of each, quickly;
`pytest -m "not fuzz"` leaves the module out of a local run (CI runs it).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headroom import compress, retrieve
from headroom.ccr.stores import MemoryStore
from headroom.json_text import nesting_depth
from headroom.markers import content_hash, find_markers
from headroom.messages import detect_format, extract_blocks
from tests import strategies as json_text

SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]

FIXTURES = Path(__file__).parent / "fixtures"
pytestmark = pytest.mark.fuzz


def _fuzz_settings(examples: int) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


# Content ---------------------------------------------------------------------------------------------


def _slices() -> list[str]:
    """Slices of every real tool output in the fixtures: 25 to 120 lines from a few offsets."""
    pool = []
    for path in sorted((FIXTURES / "tool_output").iterdir()):
        lines = path.read_text(encoding="utf-8").split("\n")
        for start, size in ((0, 120), (len(lines) // 3, 60), (len(lines) // 2, 25)):
            pool.append("\n".join(lines[start : start + size]))
    return [text for text in dict.fromkeys(pool) if len(text) > 200]


SLICES = _slices()
STRUCTURED = [
    (FIXTURES / "structured" / name).read_text(encoding="utf-8")[:limit]
    for name, limit in (
        ("pip_list.json", 10**9),
        ("npm_view_typescript.json", 10**9),
        ("pypi_slice.tsv", 30_000),
    )
]
# An OpenAI model counts with tiktoken, any other with the estimate; None is the default encoding.
MODELS = st.sampled_from(["gpt-4o", "claude-sonnet-4-5", None])
QUERIES = [
    "What failed?",
    "Which version of typescript is latest?",
    "",
    "summarise",
    "Why did ord-10042 fail?",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(SURROGATES),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=15,
)


@st.composite
def deep_value(draw: st.DrawFn) -> Any:
    """A value nested hundreds or thousands of levels deep: arrays, objects, or both in turn."""
    depth = draw(st.integers(50, 1_500))  # past Python's recursion limit (1,000), and orjson's (255)
    shape = draw(st.sampled_from(["arrays", "objects", "both"]))
    value: Any = draw(scalars)
    for level in range(depth):
        as_array = shape == "arrays" or (shape == "both" and level % 2 == 0)
        value = [value] if as_array else {"d": value}
    return value


@st.composite
def records_json(draw: st.DrawFn) -> str:
    """An array of records (sometimes an object holding one) written in one of several ways; a few
    records failed, a few are of another type. Built from one drawn seed: generation stays cheap."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    odd = draw(st.lists(values, max_size=2))
    items: list[Any] = []
    for i in range(rng.randint(20, 120)):
        record: dict[str, Any] = {
            "id": f"ord-{rng.randint(1, 10**6)}",
            "status": "ok",
            "n": rng.randint(-5, 10**12),
        }
        if rng.random() < 0.3:
            record["amount"] = rng.choice([rng.uniform(-1e6, 1e6), 1e-7, -0.0, 10**20, 2**64])
        if rng.random() < 0.05:
            record.update(
                status="failed", error=rng.choice(["upstream timeout", "caf\u00e9 \ud83d\ude00", "\ud800"])
            )
        items.append(record if i >= len(odd) else odd[i])
    value: Any = items if rng.random() < 0.6 else {"data": items, "count": len(items), "next": None}
    return json.dumps(value, indent=rng.choice([None, 1, 2]), ensure_ascii=rng.random() < 0.5)


text = st.one_of(
    st.sampled_from(SLICES),
    st.sampled_from(STRUCTURED),
    records_json(),
    json_text.JSON_TEXT,
    st.text(max_size=60),
    st.text(
        alphabet=st.sampled_from(["a", "\n", " ", "[", "]", "{", "}", '"', ":", *SURROGATES]), max_size=80
    ),
    st.builds(lambda n: "x" * n, st.sampled_from([0, 1, 5_000, 0, 1, 30_000])),
    st.builds(lambda text, cut: text[: len(text) * cut // 10], st.sampled_from(SLICES), st.integers(1, 9)),
)
junk = st.one_of(values, values, values, values, values, deep_value())
unknown_fields = st.dictionaries(
    st.sampled_from(["x_meta", "name", "cache_control", "x_big", "annotations", "status"]),
    st.one_of(values, st.sampled_from(json_text.ODD_NUMBERS).map(json.loads), deep_value()),
    max_size=2,
)


# Strategies are built once, here: one built inside a draw is validated again on every draw.
_CHANCE = {n: st.integers(0, n - 1) for n in (2, 3, 4, 6, 10)}
_QUERY = st.sampled_from(QUERIES)
_OUTPUTS = st.lists(text, min_size=1, max_size=2)
# JSON tool outputs only: records, odd numbers and escapes, repeated keys, nesting past the limit.
json_outputs = st.lists(
    st.one_of(records_json(), json_text.JSON_TEXT, json_text.deep_text(), st.sampled_from(STRUCTURED[:2])),
    min_size=1,
    max_size=2,
)
# Small texts only (no tool output big enough to compress): many malformed inputs, quickly.
small_text = st.one_of(
    st.text(max_size=60),
    st.text(
        alphabet=st.sampled_from(["a", "\n", " ", "[", "]", "{", "}", '"', ":", *SURROGATES]), max_size=80
    ),
    json_text.JSON_TEXT,
)
_ROLES = {
    "system": st.sampled_from(["system", "developer"]),
    "tool": st.sampled_from(["tool", "tool", "function"]),
    "odd": st.one_of(st.sampled_from(["robot", ""]), junk),
}
_ARGUMENTS = st.one_of(st.just('{"path": "/srv/app.log"}'), json_text.JSON_TEXT, st.text(max_size=30))
_NOT_A_LIST = st.sampled_from([5, True, "call", {"id": "call_0_0"}, None])
ANTHROPIC_PART = st.one_of(  # a content block the extractor does not read
    st.just({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}}),
    st.builds(lambda t: {"type": "thinking", "thinking": t, "signature": "sig"}, st.text(max_size=30)),
    st.builds(lambda v: {"type": "x_custom_block", "payload": v}, values),
    st.builds(lambda t: {"type": "text", "text": t, "citations": [{"n": 1e2}]}, st.text(max_size=20)),
    junk,
)
_PARTS = st.lists(ANTHROPIC_PART, max_size=2)


def _chance(draw: st.DrawFn, n: int) -> bool:
    """True one time in n."""
    return draw(_CHANCE[n]) == 0


def _with(draw: st.DrawFn, message: dict[str, Any]) -> dict[str, Any]:
    """A message or block, now and then with unknown fields added (they must come back as they went)."""
    if not _chance(draw, 4):
        return message
    return {**message, **{k: v for k, v in draw(unknown_fields).items() if k not in message}}


# OpenAI --------------------------------------------------------------------------------------------------


@st.composite
def openai_conversation(draw: st.DrawFn, outputs_of: st.SearchStrategy[list[str]] = _OUTPUTS) -> list[Any]:
    messages: list[Any] = []
    if _chance(draw, 2):
        messages.append(_with(draw, {"role": draw(_ROLES["system"]), "content": "Be brief."}))
    for turn in range(1 + draw(_CHANCE[3])):
        messages.append(_with(draw, {"role": "user", "content": draw(_QUERY)}))
        outputs = draw(outputs_of)
        ids = [f"call_{turn}_{i}" for i in range(len(outputs))]
        calls: Any = [
            draw(junk)
            if _chance(draw, 6)
            else {
                "id": call_id,
                "type": "function",
                "function": {"name": "read", "arguments": draw(_ARGUMENTS)},
            }
            for call_id in ids
        ]
        if _chance(draw, 10):
            calls = draw(_NOT_A_LIST)
        messages.append(_with(draw, {"role": "assistant", "content": None, "tool_calls": calls}))
        for call_id, output in zip(ids, outputs, strict=True):
            content: Any = output
            if _chance(draw, 6):
                content = draw(junk) if _chance(draw, 2) else [{"type": "text", "text": output}]
            message = {"role": draw(_ROLES["tool"]), "tool_call_id": call_id, "content": content}
            messages.append(_with(draw, message))
    return _maybe_malformed(draw, messages)


# Anthropic -----------------------------------------------------------------------------------------------


def _tool_result_content(draw: st.DrawFn, output: str) -> Any:
    kind = draw(_CHANCE[3])
    if kind == 0:
        return output
    if kind == 1:
        return [{"type": "text", "text": output}]
    parts: list[Any] = draw(_PARTS)
    parts.insert(draw(_CHANCE[2]) if parts else 0, {"type": "text", "text": output})
    return parts


@st.composite
def anthropic_conversation(draw: st.DrawFn, outputs_of: st.SearchStrategy[list[str]] = _OUTPUTS) -> list[Any]:
    messages: list[Any] = []
    for turn in range(1 + draw(_CHANCE[3])):
        user: list[Any] = [{"type": "text", "text": draw(_QUERY)}, *draw(_PARTS)]
        messages.append(_with(draw, {"role": "user", "content": user}))
        outputs = draw(outputs_of)
        uses = [
            _with(
                draw,
                {
                    "type": "tool_use",
                    "id": f"toolu_{turn}_{i}",
                    "name": "read",
                    "input": draw(junk) if _chance(draw, 4) else {"n": i},
                },
            )
            for i in range(len(outputs))
        ]
        assistant = {"role": "assistant", "content": [{"type": "text", "text": "Looking."}, *uses]}
        messages.append(_with(draw, assistant))
        results = [
            _with(
                draw,
                {
                    "type": "tool_result",
                    "tool_use_id": use["id"],
                    "content": _tool_result_content(draw, output),
                },
            )
            for use, output in zip(uses, outputs, strict=True)
        ]
        if _chance(draw, 3):
            results.append(draw(ANTHROPIC_PART))
        messages.append(_with(draw, {"role": "user", "content": results}))
    return _maybe_malformed(draw, messages)


def _maybe_malformed(draw: st.DrawFn, messages: list[Any]) -> list[Any]:
    """Now and then: a message replaced by junk, a role that is not one, content of the wrong type."""
    for _ in range(draw(_CHANCE[3])):
        index = draw(st.integers(0, len(messages) - 1))
        kind = draw(_CHANCE[4])
        message = messages[index]
        if kind == 0:
            messages[index] = draw(junk)
        elif isinstance(message, dict) and kind == 1:
            messages[index] = {**message, "role": draw(_ROLES["odd"])}
        elif isinstance(message, dict) and kind == 2:
            messages[index] = {**message, "content": draw(junk)}
    return messages


conversations = st.one_of(openai_conversation(), anthropic_conversation())


# Checks ------------------------------------------------------------------------------------------------


def _tool_ids(messages: list[Any]) -> list[tuple[int, str, str]]:
    """(message, "call" or "result", id) in order, for every well-formed call and result."""
    found = []
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            continue
        calls = message.get("tool_calls")
        for call in calls if isinstance(calls, list) else ():
            if isinstance(call, Mapping) and isinstance(call.get("id"), str):
                found.append((index, "call", call["id"]))
        if isinstance(message.get("tool_call_id"), str):
            found.append((index, "result", message["tool_call_id"]))
        content = message.get("content")
        for part in content if isinstance(content, list) else ():
            if (
                isinstance(part, Mapping)
                and part.get("type") == "tool_use"
                and isinstance(part.get("id"), str)
            ):
                found.append((index, "call", part["id"]))
            if isinstance(part, Mapping) and part.get("type") == "tool_result":
                found.append((index, "result", str(part.get("tool_use_id"))))
    return found


# One store for the module, as one for a process: later examples are partly answered from the memo
# (as a long-running app's are), and every marker must still find its original there.
STORE = MemoryStore()


def fingerprint(value: Any) -> Any:
    """The value's exact bytes as orjson writes them, or, for a value orjson refuses (nesting past
    255 levels, integers past 64 bits, lone surrogates), its typed tokens."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return tokens(value)


def tokens(value: Any) -> list[tuple[str, Any]]:
    """The value as a flat list of typed tokens, in order (a stack, not recursion: values here nest
    thousands of levels deep). Equal lists mean equal values, key order, types and floats' bits."""
    found: list[tuple[str, Any]] = []
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            found.append(("object", len(item)))
            for key, child in reversed(list(item.items())):
                pending.append(child)
                pending.append(_Key(key))
        elif isinstance(item, list):
            found.append(("array", len(item)))
            pending.extend(reversed(item))
        elif isinstance(item, _Key):
            found.append(("key", item.name))
        elif isinstance(item, float):
            found.append(("float", item.hex()))
        else:
            found.append((type(item).__name__, item))
    return found


class _Key:
    __slots__ = ("name",)

    def __init__(self, name: Any):
        self.name = name


BLANK = "\x00text\x00"


def _replaced(value: Any, path: tuple[str | int, ...]) -> Any:
    if not path:
        return BLANK
    copy_: Any = dict(value) if isinstance(value, dict) else list(value)
    copy_[path[0]] = _replaced(value[path[0]], path[1:])
    return copy_


def without_text(messages: list[Any]) -> list[Any]:
    """The messages with every compressible text blanked: what must arrive byte for byte."""
    blanked = list(messages)
    for block in extract_blocks(messages).blocks:
        blanked[block.message_index] = _replaced(blanked[block.message_index], block.path)
    return blanked


def check_compressed(messages: list[Any], model: str | None = "gpt-4o") -> None:
    before = fingerprint(messages)
    result = compress(messages, model=model, store=STORE)

    assert fingerprint(messages) == before, "the input was mutated"
    output = result.messages
    assert isinstance(output, list) and len(output) == len(messages)
    for message, came in zip(output, messages, strict=True):
        if isinstance(came, Mapping):
            assert list(message) == list(came) and message.get("role") == came.get("role")
    assert detect_format(output) == detect_format(messages)
    assert _tool_ids(output) == _tool_ids(messages)
    texts_in = {(b.message_index, b.path): b.text for b in extract_blocks(messages).blocks}
    texts_out = {(b.message_index, b.path): b.text for b in extract_blocks(output).blocks}
    assert texts_out.keys() == texts_in.keys()
    changed = {where for where, text in texts_out.items() if text != texts_in[where]}
    changed_messages = sorted({index for index, _ in changed})
    assert all(output[i] is messages[i] for i in range(len(messages)) if i not in changed_messages)
    rewritten = [output[i] for i in changed_messages]  # the others are the very objects that came in
    came = [messages[i] for i in changed_messages]
    assert fingerprint(without_text(rewritten)) == fingerprint(without_text(came)), "more than text changed"
    for where in changed:
        original, text = texts_in[where], texts_out[where]
        assert len(text) < len(original), "a changed text must be smaller"
        for marker in find_markers(text):
            assert marker.hash == content_hash(original)
            assert retrieve(marker.hash, STORE) == original, "a marker's original is not in the store"
    # Only a message nobody could read is reported: no stage, render, count or whole-request failure.
    assert all(failure.startswith("message ") for failure in result.failures), result.failures
    assert result.tokens_after <= result.tokens_before
    assert 0.0 <= result.compression_ratio <= 1.0


# The suite ---------------------------------------------------------------------------------------------


def _any_message(content: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Anything where a message belongs: a value of any type, or a message whose content is."""
    roles = st.sampled_from(["user", "tool", "assistant", "system"])
    message = st.fixed_dictionaries(
        {"role": roles, "content": content}, optional={"tool_call_id": st.text(max_size=5)}
    )
    return st.one_of(junk, message)


FEW = int(os.environ.get("FUZZ_EXAMPLES", "0")) or None  # a quick local run: FUZZ_EXAMPLES=50


@_fuzz_settings(FEW or 1_500)
@given(openai_conversation(), MODELS)
def test_openai_conversations_well_formed_or_not(messages: list[Any], model: str | None) -> None:
    check_compressed(messages, model)


@_fuzz_settings(FEW or 1_500)
@given(anthropic_conversation(), MODELS)
def test_anthropic_conversations_well_formed_or_not(messages: list[Any], model: str | None) -> None:
    check_compressed(messages, model)


@_fuzz_settings(FEW or 1_700)
@given(st.one_of(openai_conversation(json_outputs), anthropic_conversation(json_outputs)), MODELS)
def test_conversations_of_json_written_every_way(messages: list[Any], model: str | None) -> None:
    check_compressed(messages, model)


@_fuzz_settings(FEW or 5_000)
@given(
    st.lists(
        _any_message(
            st.one_of(
                small_text,
                junk,
                st.lists(
                    st.one_of(ANTHROPIC_PART, small_text.map(lambda t: {"type": "text", "text": t})),
                    max_size=3,
                ),
            )
        ),
        max_size=6,
    )
)
def test_lists_of_anything_where_messages_belong(messages: list[Any]) -> None:
    check_compressed(messages, "claude-sonnet-4-5")


@_fuzz_settings(FEW or 600)
@given(st.lists(_any_message(st.one_of(text, st.lists(ANTHROPIC_PART, max_size=3))), min_size=1, max_size=5))
def test_lists_of_messages_with_real_tool_output_and_odd_shapes(messages: list[Any]) -> None:
    check_compressed(messages)


_SAMPLE_SCRIPT = """
import hashlib, json, sys
from headroom import compress
from headroom.ccr.stores import MemoryStore

digests = []
for line in sys.stdin.read().split("\\n"):
    out = compress(json.loads(line), store=MemoryStore()).messages
    digests.append(hashlib.sha256(json.dumps(out, ensure_ascii=True).encode()).hexdigest())
print(json.dumps(digests))
"""


def _digests(sample: str, hash_seed: str) -> list[str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", _SAMPLE_SCRIPT],
        input=sample,
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=600,
    )
    digests: list[str] = json.loads(done.stdout)
    return digests


def test_a_fixed_sample_gives_the_same_bytes_under_two_string_hash_seeds() -> None:
    sample: list[str] = []  # one JSON document per line

    @_fuzz_settings(FEW or 400)
    @given(conversations)
    def collect(messages: list[Any]) -> None:
        # The sample travels as JSON: a value too deep for the standard library's reader stays behind.
        with contextlib.suppress(RecursionError):
            line = json.dumps(messages, ensure_ascii=True)
            if nesting_depth(line) < 500:
                sample.append(line)

    collect()
    first, second = _digests("\n".join(sample), "1"), _digests("\n".join(sample), "2")
    assert len(first) == len(sample) >= (FEW or 400) // 2
    assert [i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b] == []
    assert len(set(first)) > len(first) // 2  # the sample is varied, not one input repeated
