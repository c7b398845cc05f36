"""Column statistics shared by JSON records and tables: anomalies and faithful summaries."""

from __future__ import annotations

import pytest

from headroom.content.columns import (
    as_number,
    column_outliers,
    minority_values,
    rare_values,
    summarize_columns,
)


@pytest.mark.parametrize(
    ("value", "number"),
    [(3, 3.0), (2.5, 2.5), ("42", 42.0), ("24%", 24.0), ("1.5G", 1.5e9), ("12K", 12e3), ("-3", -3.0)],
)
def test_numbers_and_number_like_cells(value: object, number: float) -> None:
    assert as_number(value) == number


@pytest.mark.parametrize("value", [True, None, "abc", "1.2.3", "", "G"])
def test_what_is_not_a_number(value: object) -> None:
    assert as_number(value) is None


def test_a_far_numeric_outlier_and_a_rare_category_are_flagged() -> None:
    latencies = [50 + i % 7 for i in range(60)]
    latencies[17] = 30_000
    assert set(column_outliers(latencies)) == {17}
    regions = ["eu" if i % 2 else "us" for i in range(60)]
    regions[33] = "ap"
    assert set(column_outliers(regions)) == {33}


def test_identifiers_are_not_categories() -> None:
    assert column_outliers([f"id-{i}" for i in range(60)]) == {}


def test_summary_counts_few_values_and_gives_ranges_of_numbers_and_times() -> None:
    columns = [
        ("status", ["ok"] * 271 + ["failed"] * 2),
        ("latency_ms", [3, 180, 42]),
        ("created_at", ["2026-11-03T10:00:00Z", "2026-11-01T08:00:00Z", "2026-11-27T23:00:00Z"]),
        ("id", ["a-1", "a-2", "a-3", "a-4", "a-5", "a-6"]),  # identifiers: nothing to say
        ("detail", [{"x": 1}, {"x": 2}]),  # nested: nothing to say
    ]
    assert summarize_columns(columns) == [
        ("status", [("ok", 271), ("failed", 2)]),
        ("latency_ms", (3, 180)),
        ("created_at", ("2026-11-01T08:00:00Z", "2026-11-27T23:00:00Z")),
    ]


def test_times_of_different_shapes_get_no_range() -> None:
    # Text order is time order only when the digits stand in the same places.
    assert (
        summarize_columns([("t", ["2026-11-01T08:00:00Z", "2026-11-01T08:00:00+02:00", "x", "y", "z", "w"])])
        == []
    )


def test_equal_values_of_different_types_are_not_merged() -> None:
    entries = summarize_columns([("v", [1, True, 1.0, 1, 1])])
    assert entries == [("v", (1, 1))] or all(isinstance(e[1], tuple) for e in entries)


def test_a_value_is_rare_only_against_more_common_ones() -> None:
    accounts = [f"acct-{i % 60:04d}" for i in range(720)]  # each seen 12 times: none is rare
    assert column_outliers(accounts) == {}


def test_a_far_outlier_is_stronger_than_a_rare_value() -> None:
    costs = [40.0 + i % 9 for i in range(700)]
    costs[500] = 18_422.57
    regions = ["eu" if i % 2 else "us" for i in range(700)]
    regions[10] = "ap"
    assert column_outliers(costs)[500] > column_outliers(regions)[10]


def test_minority_values_are_taken_whole_rarest_first_within_the_limit() -> None:
    values = ["ISC"] * 46 + ["MIT"] * 12 + ["BlueOak"] * 4 + ["BSD-2"] * 3 + ["Apache"] + ["BSD-3"]
    assert set(rare_values(values).values()) == {"Apache", "BSD-3"}  # BlueOak and BSD-2: more than rare
    found = minority_values(values, 25)
    assert sorted(set(found.values())) == ["Apache", "BSD-2", "BSD-3", "BlueOak"]  # MIT: 12 x 4 > 46
    assert len(found) == 9
    assert set(minority_values(values, 5).values()) == {"Apache", "BSD-3", "BSD-2"}  # BlueOak's 4 do not fit
    assert minority_values(values, 1) == {values.index("Apache"): "Apache"}


def test_free_text_and_measurements_have_no_minority_values() -> None:
    assert minority_values([f"host-{i}" for i in range(200)], 25) == {}
    assert minority_values([i * 1.5 for i in range(200)], 25) == {}
    assert minority_values(["ok"] * 50, 25) == {}
