"""The record rules (headroom.content.records) and the number notations they read (columns.read_number):
extremes, rare values, odd shapes, breaks and disagreeing derived values, each expected row chosen
by its own rule from the data before the rules run."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from headroom.content.columns import numeric_column, rare_values, read_number
from headroom.content.records import (
    MAX_COLUMNS,
    NESTED_DEPTH,
    PER_COLUMN,
    PER_LABEL,
    flat_record,
    notable_records,
)


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("6.6e-05", (6.6e-05, "")),
        ("1E+2", (100.0, "")),
        ("-0.0", (0.0, "")),
        ("1,234", (1234.0, "")),
        ("-1,234,567.5", (-1234567.5, "")),
        ("12%", (12.0, "%")),
        ("3.5ms", (3.5, "ms")),
        ("512 MiB", (512.0, "mib")),
        ("$1,299.00", (1299.0, "")),
        (".5", (0.5, "")),
        (42, (42.0, "")),
    ],
)
def test_numbers_in_any_common_notation(text: object, reading: tuple[float, str]) -> None:
    assert read_number(text) == reading


@pytest.mark.parametrize(
    "text", ["1.2.3", "2026-10-01", "10:06:41", "0x1f", "1,23", "v1.2", "abc", "", True, None, "1e999"]
)
def test_what_is_no_number(text: object) -> None:
    assert read_number(text) is None


def test_a_column_is_numeric_when_its_units_agree() -> None:
    assert numeric_column(["3.5ms", "2s", "120us", ""]) == pytest.approx([0.0035, 2.0, 0.00012, None])
    assert numeric_column(["1.2G", "512M", "0"]) == pytest.approx([1.2e9, 512e6, 0.0])
    assert numeric_column(["3 apples", "4 pears"]) is None  # two units of no one family
    assert numeric_column(["1", "2", "n/a", "x"]) is None  # too little of it reads as numbers
    assert numeric_column(["7", "8", "9", "10", "n/a"]) == [7.0, 8.0, 9.0, 10.0, None]


def test_rare_values_are_few_against_a_common_one_and_few_in_all() -> None:
    flags = [False] * 38 + [True, True]
    assert sorted(rare_values(flags)) == [38, 39]  # twice among 40: rare
    months = [f"2024-{1 + i % 12:02d}" for i in range(300)] + ["2019-05"]
    assert rare_values(months) == {300: "2019-05"}
    tail = [f"2024-{1 + i % 40:02d}" for i in range(400)] + [f"1999-{i:02d}" for i in range(30)]
    assert rare_values(tail) == {}  # a long tail is no handful of odd values


def orders(count: int = 400, seed: int = 11) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for i in range(count):
        units = rng.randint(1, 40)
        price = round(rng.uniform(2, 90), 2)
        rows.append(
            {
                "order": f"SO-{70000 + i}",
                "units": units,
                "price": price,
                "revenue": round(units * price, 2),
                "email": f"buyer{i}@example.org",
                "status": rng.choice(["paid", "shipped", "delivered"]),
            }
        )
    rows[41]["units"] = -3
    rows[41]["revenue"] = round(-3 * float(rows[41]["price"]), 2)  # type: ignore[arg-type]
    rows[97]["price"] = 0.0
    rows[97]["revenue"] = 0.0
    rows[150]["revenue"] = round(float(rows[150]["revenue"]) + 100, 2)  # type: ignore[arg-type]
    rows[201]["email"] = ""
    rows[260]["status"] = "disputed"
    del rows[333]["email"]
    rows[388]["note"] = "call before delivery"
    return rows


def expected_findings(rows: list[dict[str, object]]) -> set[int]:
    """Each row breaking a rule, found here by the rule itself."""
    found = set()
    for i, row in enumerate(rows):
        units, price, revenue = row["units"], row["price"], row["revenue"]
        if units < 0 or price == 0 or abs(units * price - revenue) > 0.01 * abs(units * price):  # type: ignore[operator]
            found.add(i)
        if row.get("email", "x") == "" or "email" not in row or "note" in row or row["status"] == "disputed":
            found.add(i)
    return found


def test_every_break_rare_value_and_odd_shape_is_flagged_with_its_label() -> None:
    rows = orders()
    found = notable_records(rows)
    findings = {i for i, strength in found.keep.items() if strength >= 0.7}
    assert findings == expected_findings(rows) == {41, 97, 150, 201, 260, 333, 388}
    assert found.labels[41] == ["units:negative", "revenue:negative"]
    assert "price:zero" in found.labels[97]
    assert found.labels[150] == ["revenue:not-units-times-price"]
    assert found.labels[201] == ["email:empty"]
    assert found.labels[260] == ["status:disputed"]
    assert found.labels[333] == ["email:missing"]
    assert found.labels[388] == ["note:present"]
    assert not found.overflow


def test_the_first_rows_holding_each_numeric_columns_ends_are_kept() -> None:
    rows = orders()
    found = notable_records(rows)
    for column in ("units", "price", "revenue"):
        values = [float(row[column]) for row in rows]  # type: ignore[arg-type]
        assert values.index(min(values)) in found.keep
        assert values.index(max(values)) in found.keep


def test_past_a_cap_the_rest_are_counted_not_kept() -> None:
    rows = orders(count=600)
    for i in (5, 60, 120, 180, 240, 300, 360, 420):
        rows[i]["units"] = -1
        rows[i]["revenue"] = -float(rows[i]["price"])  # type: ignore[arg-type]
    negatives = [i for i, row in enumerate(rows) if row["units"] < 0]  # type: ignore[operator]
    assert len(negatives) == 9  # rare among 600 (limit 12), past PER_LABEL
    found = notable_records(rows)
    kept = [i for i in negatives if "units:negative" in found.labels[i] and i in found.keep]
    assert len(kept) == PER_LABEL and kept == negatives[:PER_LABEL]  # the first ones, in order
    assert found.overflow >= set(negatives[PER_LABEL:])
    assert ("units:negative", len(negatives) - PER_LABEL) in found.counts(sorted(found.overflow))


def test_a_column_keeps_at_most_per_column_rows() -> None:
    rows = [{"id": i, "kind": f"k{i % 3}", "v": i % 7 + 1} for i in range(2000)]
    for i in range(0, 2000, 100):  # 20 zeros: rare among 2000 (limit 40), past the caps
        rows[i]["v"] = 0
    found = notable_records(rows)
    zeros = [i for i in found.keep if rows[i]["v"] == 0 and "v:zero" in found.labels.get(i, [])]
    assert len(zeros) == min(PER_LABEL, PER_COLUMN)


def test_ids_and_counters_have_no_zero_or_sign_break() -> None:
    rows = [{"id": i, "score": 10 + i % 9} for i in range(50)]  # id 0 starts the sequence
    assert all("id:zero" not in labels for labels in notable_records(rows).labels.values())


def test_short_collections_and_scalars_among_records() -> None:
    assert notable_records([{"a": 1}, {"a": -5}, {"a": 3}]).keep == {}
    rows: list[object] = [{"a": i} for i in range(20)]
    rows[4] = None  # a scalar among records takes no part
    found = notable_records(rows)  # type: ignore[arg-type]
    assert 4 not in found.keep and {0, 19} <= set(found.keep)


def test_a_sum_column_that_disagrees() -> None:
    rows = [{"net": 10 + i, "tax": 2 + i % 3, "gross": 12 + i + i % 3} for i in range(60)]
    rows[33]["gross"] = 999
    found = notable_records(rows)
    assert found.labels[33] == ["gross:not-net-plus-tax"]


def test_real_stock_prices_keep_the_ends_of_every_ticker() -> None:
    """matplotlib's sample monthly prices (1990-2017, ten tickers, empty before a listing)."""
    matplotlib = pytest.importorskip("matplotlib")
    path = Path(matplotlib.get_data_path()) / "sample_data" / "Stocks.csv"
    lines = path.read_text().splitlines()[1:]  # a comment line, then the header
    rows = list(csv.DictReader(lines))
    found = notable_records(rows)
    for column in rows[0]:
        if column == "Date":
            continue
        values = [(float(row[column]), i) for i, row in enumerate(rows) if row[column]]
        assert min(values)[1] in found.keep, column
        assert max(values, key=lambda pair: (pair[0], -pair[1]))[1] in found.keep, column
    assert len(found.keep) <= 2 * (len(rows[0]) - 1) + PER_COLUMN


def nested_orders(count: int = 60) -> list[dict[str, object]]:
    """Orders whose risk check sits in a sub-object, as shop APIs write it."""
    return [
        {
            "id": 1000 + i,
            "status": ["paid", "shipped"][i % 2],
            "customer": {"email": f"c{i}@example.com", "tier": "basic"},
            "risk": {"score": round(0.05 + (i % 9) / 20, 2), "fraud_flag": False, "check": {"level": 1}},
        }
        for i in range(count)
    ]


def test_a_rare_flag_inside_a_sub_object_is_flagged_under_its_path() -> None:
    rows = nested_orders()
    rows[17]["risk"]["fraud_flag"] = True  # type: ignore[index]
    found = notable_records(rows)
    assert found.labels[17] == ["risk.fraud_flag:true"]
    assert found.keep[17] >= 0.7


def test_members_of_sub_sub_objects_are_columns_to_a_depth() -> None:
    record = {"a": {"b": {"c": {"d": 1, "e": {"f": 0}}, "x": 2}, "list": [1, 2]}, "a.b.x": "own"}
    flat = flat_record(record)
    assert flat["a.b.x"] == "own"  # a field the record has itself wins
    assert "a.list" not in flat  # lists take part in the shape only
    assert NESTED_DEPTH == 3 and flat["a.b.c.d"] == 1  # three objects down
    assert "a.b.c.e.f" not in flat
    flat_record_of_flat = {"n": 1}
    assert flat_record(flat_record_of_flat) is flat_record_of_flat


def test_nested_fields_never_crowd_out_a_records_own() -> None:
    own = {f"f{k}": "v" for k in range(MAX_COLUMNS - 2)}
    rows = [{**own, "nested": {f"n{k}": 1 for k in range(30)}, "last": "ok"} for _ in range(60)]
    rows[40]["last"] = "odd"  # the records' own last field, after 30 nested ones: read
    assert notable_records(rows).labels[40] == ["last:odd"]


def test_a_nested_field_only_some_records_have_is_no_odd_shape() -> None:
    rows = nested_orders()
    rows[9]["risk"]["manual_review"] = "queued"  # type: ignore[index]
    assert "risk.manual_review:present" not in notable_records(rows).labels.get(9, [])
