"""rewrite_json: a rewritten JSON text differs from the original only in the values that changed."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headroom.json_text import SpliceError, changes, locate, rewrite_json
from tests.strategies import Path, assert_only_slots_changed, document, joined


def _replaced(value: Any, path: Path, new: Any) -> Any:
    """A copy of `value` with the leaf at `path` replaced; siblings shared (as write_back does)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _replaced(value[head], rest, new)
    return copy


@settings(max_examples=400, deadline=None, derandomize=True)
@given(document(), st.data())
def test_only_the_changed_strings_change_and_every_other_byte_stays(doc, data) -> None:
    segments, paths = doc
    original = joined(segments)
    before = orjson.loads(original)
    after = before
    for path in data.draw(st.lists(st.sampled_from(paths), unique=True) if paths else st.just([])):
        after = _replaced(after, path, data.draw(st.text(max_size=40)))

    rewritten = rewrite_json(original.encode(), before, after)

    assert orjson.loads(rewritten) == after
    arrived = assert_only_slots_changed(segments, rewritten.decode())
    assert len(arrived) == sum(isinstance(segment, str) is False for segment in segments)
    if after == before:
        assert rewritten == original.encode()


def test_the_issue_repro_a_big_integer_beside_a_compressed_message_keeps_its_digits() -> None:
    body = (
        b'{"model": "gpt-4o", "x_big": 123456789012345678901234567890, "n": -9223372036854775809,'
        b' "e": 1E+2, "messages": [{"role": "tool", "content": "a long tool output"}]}'
    )
    before = orjson.loads(body)
    assert before["x_big"] == 1.2345678901234568e29  # what a parse and a dump would have sent
    after = {**before, "messages": [{"role": "tool", "content": "short"}]}

    rewritten = rewrite_json(body, before, after)

    assert rewritten == body.replace(b'"a long tool output"', b'"short"')


def test_a_repeated_key_is_rewritten_at_its_last_member_the_one_parsers_keep() -> None:
    body = b'{"content": "first", "content": "second"}'
    before = orjson.loads(body)
    assert before == {"content": "second"}

    assert rewrite_json(body, before, {"content": "2nd"}) == b'{"content": "first", "content": "2nd"}'


def test_a_string_written_with_unicode_escapes_is_rewritten_with_them() -> None:
    body = b'{"a": "caf\\u00e9 au lait", "b": "caf\xc3\xa9 au lait"}'
    before = orjson.loads(body)

    rewritten = rewrite_json(body, before, {"a": "caf\u00e9", "b": "caf\u00e9"})

    assert rewritten == b'{"a": "caf\\u00e9", "b": "caf\xc3\xa9"}'


def test_a_value_that_changes_shape_is_re_encoded_whole_and_nothing_around_it() -> None:
    body = b'{"keep": 1E+2, "list": [1, 2,  3], "tail": -0}'
    before = orjson.loads(body)

    rewritten = rewrite_json(body, before, {**before, "list": [1, 2]})

    assert rewritten == b'{"keep": 1E+2, "list": [1,2], "tail": -0}'


def test_deep_nesting_costs_no_recursion() -> None:
    depth = 1000  # past Python's recursion limit; orjson reads up to 1024 levels
    body = b'{"deep": ' + b"[" * depth + b"1" + b"]" * depth + b', "s": "old"}'
    before = orjson.loads(body)

    assert rewrite_json(body, before, {**before, "s": "new"}) == body.replace(b'"old"', b'"new"')
    deep_path = ("deep", *([0] * (depth - 1)))
    assert locate(body, [deep_path]) == {deep_path: (9 + depth - 1, 9 + depth + 2)}
    assert changes(before, {**before, "s": "new"}) == [(("s",), "new")]


def test_bytes_that_do_not_hold_the_parsed_value_are_refused() -> None:
    body = b'{"a": "one"}'
    with pytest.raises(SpliceError, match=r"no value at \['b'\]"):
        rewrite_json(body, {"a": "one", "b": "x"}, {"a": "one", "b": "y"})
    with pytest.raises(SpliceError, match=r"the bytes at \['a'\] are not the value parsed there"):
        rewrite_json(body, {"a": "two"}, {"a": "three"})


def test_strings_with_brackets_quotes_and_escapes_inside_are_skipped_whole() -> None:
    tricky = json.dumps({"q": 'a "]}[{" \\ \n', "r": ["}", "]"]})
    body = ('{"skip": ' + tricky + ', "s": "old"}').encode()
    before = orjson.loads(body)

    assert rewrite_json(body, before, {**before, "s": "new"}) == body.replace(b'"old"', b'"new"')


@pytest.mark.parametrize(
    ("original", "after", "expected"),
    [
        # a key added to an object: written before its closing brace, the rest as it was
        (b'{"a": 1E+2,  "b": [1, 2] }', {"a": 100.0, "b": [1, 2], "tools": [{"n": 1}]},
         b'{"a": 1E+2,  "b": [1, 2] ,"tools":[{"n":1}]}'),
        # an item added to an array, nested
        (b'{"t": [ {"x": 1} ] , "z": 12345678901234567890123}',
         {"t": [{"x": 1}, "new"], "z": 1.2345678901234568e22},
         b'{"t": [ {"x": 1} ,"new"] , "z": 12345678901234567890123}'),
        # an empty object and an empty array gain their first members without a comma
        (b'{ }', {"k": True}, b'{ "k":true}'),
        (b'[\n]', ["v"], b'[\n"v"]'),
    ],
)  # fmt: skip
def test_members_added_at_the_end_are_written_before_the_closing_bracket(
    original: bytes, after: Any, expected: bytes
) -> None:
    rewritten = rewrite_json(original, orjson.loads(original), after)
    assert rewritten == expected
    assert json.loads(rewritten) == json.loads(expected)


def test_an_added_member_and_a_changed_string_inside_the_same_object_are_both_written() -> None:
    original = b'{"messages": [{"content": "long text"}], "tools": [{"name": "a"}]}'
    before = orjson.loads(original)
    after = {"messages": [{"content": "short"}], "tools": [{"name": "a"}, {"name": "b"}], "extra": 1}
    rewritten = rewrite_json(original, before, after)
    assert (
        rewritten == b'{"messages": [{"content": "short"}], "tools": [{"name": "a"},{"name":"b"}],"extra":1}'
    )


def test_keys_that_are_reordered_or_removed_still_replace_the_object_whole() -> None:
    original = b'{"a": 1,  "b": 2}'
    assert rewrite_json(original, orjson.loads(original), {"b": 2, "a": 1}) == b'{"b":2,"a":1}'
    assert rewrite_json(original, orjson.loads(original), {"a": 1}) == b'{"a":1}'
