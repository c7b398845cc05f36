"""JSON arrays: units are items; rendering re-encodes faithfully and keeps the array valid JSON."""

from __future__ import annotations

import json

import pytest

from headroom import samples
from headroom.content.json_array import JsonArrayDocument, dump_json, load_json
from headroom.markers import find_markers, omitted

REF = "0123456789abcdef"


def doc(value: object) -> JsonArrayDocument:
    document = JsonArrayDocument.parse(json.dumps(value, indent=2))
    assert document is not None
    return document


@pytest.mark.parametrize("text", ['{"a": 1}', '"x"', "[1, 2", "not json", "[1e999]", "[NaN]"])
def test_parse_refuses_what_is_not_a_json_array(text: str) -> None:
    assert JsonArrayDocument.parse(text) is None


def test_big_integers_keep_their_precision() -> None:
    big = 123456789012345678901234567890
    document = JsonArrayDocument.parse(f"[{big}, 1.5]")
    assert document is not None
    assert document.items == [big, 1.5]
    assert document.render(None, REF) == f"[{big},1.5]"


def test_nothing_dropped_renders_minified_json_of_the_same_values_in_key_order() -> None:
    value = [{"b": 1, "a": "ü"}, None, [1, 2], "s", 2.5, True]
    document = doc(value)
    rendered = document.render(None, REF)
    assert rendered == '[{"b":1,"a":"ü"},null,[1,2],"s",2.5,true]'
    assert json.loads(rendered) == value
    assert document.units == [dump_json(item) for item in value]


def test_dropped_runs_become_marker_strings_numbered_from_0() -> None:
    document = doc(list(range(10)))
    keep = [True, False, False, True, True, True, True, False, False, False]
    rendered = document.render(keep, REF)
    parsed = json.loads(rendered)  # still valid JSON
    assert parsed == [0, omitted("items", 1, 2, 10, REF), 3, 4, 5, 6, omitted("items", 7, 9, 10, REF)]
    assert [(m.unit, m.first, m.last, m.total) for m in find_markers(rendered)] == [
        ("items", 1, 2, 10),
        ("items", 7, 9, 10),
    ]


def test_table_encoding_writes_keys_once_and_constant_columns_once() -> None:
    value = [{"id": i, "kind": "order", "ok": i != 2} for i in range(4)]
    document = doc(value)
    document.encoding = "table"
    rendered = document.render([True, True, False, True], REF)
    assert rendered.split("\n") == [
        '[headroom: table of 4 items; columns=["id","ok"] constant={"kind":"order"}; '
        "each row is one item's values as JSON, without brackets]",
        "0,true",
        "1,true",
        omitted("items", 2, 2, 4, REF),
        "3,true",
    ]


@pytest.mark.parametrize(
    "value",
    [
        [{"a": 1}],  # one item
        [{"a": 1}, {"b": 2}],  # different keys
        [{"a": 1}, 2],  # not all objects
        [{}, {}],  # no keys
    ],
)
def test_table_falls_back_to_json_when_items_are_not_uniform_records(value: list[object]) -> None:
    document = doc(value)
    document.encoding = "table"
    assert document.table_columns() is None
    assert json.loads(document.render(None, REF)) == value


def test_error_signals_from_error_keys_status_values_and_nested_objects() -> None:
    value = [
        {"id": 1, "status": "ok"},
        {"id": 2, "error": "boom"},
        {"id": 3, "status": "failed"},
        {"id": 4, "status": "warning"},
        {"id": 5, "error": None},
        {"id": 6, "detail": {"error": "deep"}},
        "plain text with an exception in it",
        7,
    ]
    assert doc(value).error_signals() == [0.0, 1.0, 1.0, 0.5, 0.0, 0.9, 1.0, 0.0]


def test_the_failed_sample_record_is_the_only_error() -> None:
    records, failed = samples.json_records()
    signals = doc(records).error_signals()
    assert [i for i, s in enumerate(signals) if s >= 1.0] == [records.index(failed)]


def test_anomalies_numeric_outlier_rare_category_and_odd_shape() -> None:
    value = [{"id": i, "latency": 50 + i % 5, "region": "eu" if i % 2 else "us"} for i in range(60)]
    value[10]["latency"] = 90_000  # numeric outlier
    value[20]["region"] = "ap"  # rare category
    value[30] = {"id": 30, "latency": 51, "region": "us", "extra": True}  # another shape
    signals = doc(value).anomaly_signals()
    flagged = {i for i, s in enumerate(signals) if s > 0.5}
    assert flagged == {10, 20, 30}
    # The smallest and largest id (and latency) are kept as extremes, a weaker signal.
    assert {i for i, s in enumerate(signals) if 0 < s < 0.5} == {0, 59}


def test_no_anomalies_in_short_or_non_record_arrays() -> None:
    assert doc([1, 2, 3, 1000000]).anomaly_signals() == [0.0] * 4
    assert doc([{"a": 1}] * 5).anomaly_signals() == [0.0] * 5


def test_load_json_refuses_huge_exponents() -> None:
    with pytest.raises(ValueError, match="exponent"):
        load_json("[1e400]")
