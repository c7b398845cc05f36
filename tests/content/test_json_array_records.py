"""JSON arrays of records: the compact table for nearly uniform records and its decoder,
the marked summary of what was dropped, anomaly signals, and cutting long strings."""

from __future__ import annotations

import json

import pytest

from headroom import samples
from headroom.content.json_array import (
    JsonArrayDocument,
    cut_long_strings,
    decode_items,
    decode_table,
    load_json,
)
from headroom.markers import MARKER_PATTERN, find_markers, find_summaries, parse_json_path

REF = "0123456789abcdef"


def doc(value: object) -> JsonArrayDocument:
    document = JsonArrayDocument.parse(json.dumps(value, indent=2))
    assert document is not None
    return document


def as_table(document: JsonArrayDocument, keep: list[bool] | None = None) -> str:
    document.encoding = "table"
    rendered = document.render(keep, REF)
    assert rendered.startswith("[headroom: table of ")
    return rendered


NEARLY_UNIFORM = [
    {"id": 1, "name": "a", "tags": ["x"], "note": None},
    {"id": 2, "name": "b", "tags": []},  # no "note": an absent key, not a null
    {"id": 3, "name": "c", "tags": ["y", "z"], "note": "hello, world"},
    {"id": 4, "tags": [], "note": "q", "name": "d"},  # another key order
    {"id": 5, "name": "e", "tags": [], "note": {"deep": [1, 2.5, True]}},
    {"id": 6, "name": "f", "tags": [], "note": 'a "quoted",\ncomma'},
]


def test_nearly_uniform_records_decode_to_exactly_the_same_values() -> None:
    rendered = as_table(doc(NEARLY_UNIFORM))
    assert "an empty slot is a key the item does not have" in rendered
    assert rendered.split("\n")[2] == '2,"b",[],'  # the absent key is an empty slot
    decoded = decode_table(rendered)
    assert decoded == NEARLY_UNIFORM
    assert "note" not in decoded[1]
    assert decoded[0]["note"] is None


def test_a_record_with_keys_of_its_own_is_written_whole() -> None:
    records, failed = samples.json_records()
    document = doc(records)
    rendered = as_table(document)
    assert json.dumps(failed, separators=(",", ":")) in rendered.split("\n")
    assert "a row in braces is a whole item" in rendered
    assert decode_table(rendered) == records
    assert len(rendered) < len(json.dumps(records, separators=(",", ":"))) * 0.7


def test_rows_a_compressor_marks_as_mattering_are_written_whole_and_still_decode() -> None:
    value = [{"id": i, "kind": "k", "v": i * 2} for i in range(20)]
    document = doc(value)
    document.whole_rows = frozenset({7})
    rendered = as_table(document)
    assert '{"id":7,"kind":"k","v":14}' in rendered.split("\n")
    assert decode_table(rendered) == value


def test_decoding_a_selection_gives_the_kept_items_and_the_markers_in_place() -> None:
    value = [{"id": i, "ok": i % 3 != 0} for i in range(30)]
    document = doc(value)
    keep = [i < 2 or i == 29 for i in range(30)]
    decoded = decode_items(as_table(document, keep))
    assert decoded[:2] == value[:2] and decoded[3] == value[29]
    (marker,) = find_markers(decoded[2])
    assert (marker.first, marker.last, marker.total) == (2, 28, 30)


def test_decode_items_reads_both_writings() -> None:
    value = [{"a": i, "b": "x"} for i in range(5)]
    document = doc(value)
    assert decode_items(document.render_json(None, REF)) == value
    assert decode_items(as_table(document)) == value


@pytest.mark.parametrize(
    "value",
    [
        [{"a": 1}, {"b": 2}],  # no key in common
        [{"a": 1, "b": 1}, {"c": 2, "d": 2}, {"e": 3, "f": 3}],  # mostly absent
        [{"a": {"x": 1}, "b": 1}, {"a": {"x": 2}, "b": 2}, {"a": {"x": 3}, "b": 3, "zz": 1}] * 3,
    ],
)
def test_records_too_unlike_each_other_get_no_table(value: list[object]) -> None:
    assert doc(value).table_columns() is None


def test_one_summary_of_every_dropped_item_rides_on_the_first_marker() -> None:
    records, _ = samples.json_records()
    document = doc(records)
    keep = [i in (0, 1, 150, 299) for i in range(300)]
    rendered = document.render(keep, REF)
    values = json.loads(rendered)  # still valid JSON
    markers = [v for v in values if isinstance(v, str)]
    assert len(markers) == 2
    (note,) = find_summaries(rendered)
    assert note.count == 296 and note.unit == "items"
    dropped = [r for i, r in enumerate(records) if not keep[i]]
    assert note.entries["status"] == [("ok", 295), ("failed", 1)]
    assert note.entries["latency_ms"] == (
        min(r["latency_ms"] for r in dropped),
        max(r["latency_ms"] for r in dropped),
    )
    assert note.entries["created_at"] == (
        min(r["created_at"] for r in dropped),
        max(r["created_at"] for r in dropped),
    )
    assert not find_summaries(markers[1])


def test_summary_of_dropped_scalars() -> None:
    document = doc([i * 1.5 for i in range(100)])
    keep = [i < 3 for i in range(100)]
    (note,) = find_summaries(document.render(keep, REF))
    assert note.entries == {"value": (4.5, 148.5)}


def test_few_dropped_items_get_no_summary_and_summarize_false_turns_it_off() -> None:
    document = doc([{"s": "ok"} for _ in range(20)])
    assert not find_summaries(document.render([i != 3 for i in range(20)], REF))
    document.summarize = False
    assert not find_summaries(document.render([i < 2 for i in range(20)], REF))


def test_anomalies_in_arrays_of_scalars_and_odd_types() -> None:
    numbers = [10 + i % 5 for i in range(50)]
    numbers[20] = 99_999
    assert [i for i, s in enumerate(doc(numbers).anomaly_signals()) if s >= 0.5] == [20]
    mixed = [{"a": i} for i in range(20)]
    mixed[9] = "connection reset"  # type: ignore[call-overload]
    assert doc(mixed).anomaly_signals()[9] > 0


def test_long_multi_line_strings_keep_whole_lines_and_mark_the_dropped_range() -> None:
    body = "\n".join(f"line {i}: nothing to see" for i in range(400))
    body = body.replace("line 250: nothing to see", "line 250: the payments-v2 timeout happened here")
    item = {"id": 5, "body": body}
    cut = cut_long_strings(item, (5,), 1200, ["payments-v2"], REF)
    lines = cut["body"].split("\n")
    assert "line 250: the payments-v2 timeout happened here" in lines
    assert lines[0] == "line 0: nothing to see" and lines[-1] == "line 399: nothing to see"
    originals = set(body.split("\n"))
    markers = [line for line in lines if line not in originals]
    found = [m for line in markers for m in find_markers(line)]
    assert len(found) == len(markers) >= 2
    assert all(
        m.unit == "lines" and m.total == 400 and parse_json_path(m.path or "") == [5, "body"] for m in found
    )
    dropped = sum(m.last - m.first + 1 for m in found)
    assert dropped + len(lines) - len(markers) == 400
    assert len(cut["body"]) < 2000


def test_long_single_line_strings_keep_the_start_and_the_query_window() -> None:
    text = "x" * 9000 + " NEEDLE-42 " + "y" * 9000
    cut = cut_long_strings({"blob": text}, (0,), 1000, ["needle-42"], REF)["blob"]
    assert cut.startswith("x" * 700)
    assert "NEEDLE-42" in cut
    found = find_markers(cut)
    assert found and all(m.unit == "chars" and m.total == len(text) and m.path == "$[0].blob" for m in found)
    # The kept pieces are the original's characters at the positions the markers leave out.
    pieces = [piece.strip() for piece in MARKER_PATTERN.sub("\x00", cut).split("\x00")]
    assert len(pieces) == 3
    assert all(piece in text for piece in pieces)


def test_nothing_long_means_the_same_object_back() -> None:
    item = {"a": "short", "b": [1, 2, {"c": "also short"}]}
    assert cut_long_strings(item, (0,), 100, [], REF) is item


@pytest.mark.parametrize("text", ['["sha=7464e520", 1]', '[{"v": "1e-2026"}]'])
def test_exponent_lookalikes_inside_strings_still_parse(text: str) -> None:
    assert load_json(text) == json.loads(text)


@pytest.mark.parametrize("text", ["[1e400]", "[1e-400]", "[-2.5E+999]"])
def test_floats_that_would_not_survive_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="exponent"):
        load_json(text)
