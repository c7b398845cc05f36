"""crush.json.v1 on arrays of records and scalars: what it keeps, the marked summary, nearly uniform
tables, long strings cut, work without a score stage, and savings counted against minified JSON."""

from __future__ import annotations

import json
import random

import pytest

from headroom import samples
from headroom.content.json_array import decode_items, dump_json
from headroom.markers import find_markers, find_summaries
from headroom.stages.crush.json import CrushJson, JsonParams
from headroom.tokens import count_tokens
from tests.stages.crush.common import (
    assert_markers_retrieve_the_original,
    body,
    botocore_model,
    compressed,
    crushed,
    fixture,
    minified_tokens,
)


def records(count: int = 400, seed: int = 3) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = [
        {
            "id": f"req-{i:05d}",
            "route": rng.choice(["/cart", "/pay", "/search"]),
            "status": "ok",
            "latency_ms": rng.randint(20, 90),
            "created_at": f"2026-11-{1 + i % 27:02d}T10:{i % 60:02d}:00Z",
        }
        for i in range(count)
    ]
    rows[123]["latency_ms"] = 48_000  # a numeric outlier
    rows[250]["route"] = "/admin"  # a rare value
    rows[310] = {**rows[310], "status": "failed", "error": "card declined"}  # an error of another shape
    return rows


def crush(value: object, query: str = "Summarise the tool output.", **params: object):
    return crushed(CrushJson(JsonParams(**params)), json.dumps(value, indent=2), "json_array", query)


def test_keeps_errors_anomalies_the_asked_for_row_first_and_last() -> None:
    rows = records()
    block = crush(rows, "What happened to req-00077?")
    kept = set(block.kept_indices())
    assert {0, 1, 399, 123, 250, 310, 77} <= kept
    assert len(kept) <= 2 + 1 + 8 + 15 + 3
    decoded = decode_items(block.render())
    assert rows[77] in decoded and rows[310] in decoded and rows[123] in decoded


def test_every_kept_item_decodes_to_its_original_and_markers_cover_the_rest() -> None:
    rows = records()
    for encoding in ("json", "table"):
        block = crush(rows, encoding=encoding)
        decoded = decode_items(block.render())
        items = [v for v in decoded if not (isinstance(v, str) and v.startswith("[headroom:"))]
        assert items == [rows[i] for i in block.kept_indices()]
        markers = find_markers(block.render())
        assert sum(m.last - m.first + 1 for m in markers) == len(rows) - len(items)
        assert all(m.hash == block.ref for m in markers)


def test_one_marked_summary_says_what_was_dropped() -> None:
    rows = records()
    block = crush(rows)
    (note,) = find_summaries(block.render())
    dropped = [rows[i] for i in range(len(rows)) if i not in set(block.kept_indices())]
    assert note.count == len(dropped)
    assert note.entries["status"] == [("ok", len(dropped))]
    assert note.entries["route"] == sorted(
        ((r, sum(1 for d in dropped if d["route"] == r)) for r in {d["route"] for d in dropped}),
        key=lambda pair: (-pair[1], next(i for i, d in enumerate(dropped) if d["route"] == pair[0])),
    )
    assert note.entries["latency_ms"] == (
        min(d["latency_ms"] for d in dropped),
        max(d["latency_ms"] for d in dropped),
    )
    assert not find_summaries(crush(rows, summary=False).render())


def test_a_record_whose_long_text_matches_the_request_is_kept_and_its_text_cut_around_the_match() -> None:
    rows = [
        {
            "id": i,
            "title": f"issue {i}",
            "body": "\n".join(f"Step {k}: ran the usual checks." for k in range(300)),
        }
        for i in range(40)
    ]
    rows[17]["body"] = rows[17]["body"].replace(
        "Step 150: ran the usual checks.", "Step 150: the flaky gRPC deadline"
    )
    block = crush(rows, "Which issue mentions the flaky gRPC deadline?")
    assert 17 in block.kept_indices()
    rendered = block.render()
    assert "Step 150: the flaky gRPC deadline" in rendered
    cut_markers = [m for m in find_markers(rendered) if m.path is not None]
    assert any(m.path == "$[17].body" and m.unit == "lines" and m.total == 300 for m in cut_markers)
    assert any("long strings cut" in note for note in block.notes)
    assert len(rendered) < len(dump_json(rows)) * 0.2


def test_large_arrays_of_scalars() -> None:
    values = [round(20 + (i * 7919 % 100) / 10, 1) for i in range(3000)]
    values[1777] = 98_765.4
    block = crush(values)
    kept = set(block.kept_indices())
    assert {0, 1, 1777, 2999} <= kept and len(kept) < 40
    (note,) = find_summaries(block.render())
    assert note.entries["value"] == (20.0, 29.9)
    names = [f"src/module_{i}.py" for i in range(2000)]
    block = crush(names, "open src/module_1234.py")
    assert 1234 in block.kept_indices()


def test_without_a_score_stage_errors_anomalies_and_rows_naming_the_request_survive() -> None:
    rows = records()
    stage = CrushJson(JsonParams(max_items=0))
    block = crushed(stage, json.dumps(rows), "json_array", "What happened to req-00077?", score=False)
    assert block.scores is None  # nothing stored: the crusher scored for itself
    assert {77, 123, 250, 310} <= set(block.kept_indices())


def test_among_the_rows_the_request_names_the_extremes_of_each_number_survive() -> None:
    rows = [{"name": f"pytest-{i}", "downloads": 1000 + (i * 7919) % 5000} for i in range(60)]
    rows += [{"name": f"other-{i}", "downloads": 10 + i} for i in range(300)]
    top = max(range(60), key=lambda i: rows[i]["downloads"])
    stage = CrushJson(JsonParams(max_items=2, max_matches=5))
    block = crushed(stage, json.dumps(rows), "json_array", "Which pytest plugin is downloaded most?")
    assert top in block.kept_indices()


@pytest.mark.parametrize(("bias", "more"), [(0.5, False), (2.0, True)])
def test_bias_scales_what_is_kept(bias: float, more: bool) -> None:
    rows = records()
    base = len(crush(rows).kept_indices())
    scaled = len(crushed(CrushJson(JsonParams()), json.dumps(rows), "json_array", bias=bias).kept_indices())
    assert (scaled > base) if more else (scaled < base)


def test_pinned_items_are_never_dropped() -> None:
    rows = records()
    stage = CrushJson(JsonParams(max_items=0, max_anomalies=0, keep_first=0, keep_last=0))
    messages_block = crushed(stage, json.dumps(rows), "json_array", "req-00005 and req-00300?")
    assert {5, 300} <= set(messages_block.kept_indices())


def test_lossless_is_a_table_that_decodes_to_every_item() -> None:
    rows = records()
    block = crush(rows, policy="lossless")
    assert block.keep is None
    assert decode_items(block.render()) == rows
    assert count_tokens(block.render()) < 0.75 * count_tokens(dump_json(rows))


def test_deterministic() -> None:
    rows = records()
    assert crush(rows, "req-00077").render() == crush(rows, "req-00077").render()


# end to end, on real output ------------------------------------------------------------------------------


def test_pip_list_end_to_end_keeps_the_named_package_and_beats_minified_json() -> None:
    text = fixture("structured/pip_list.json")
    packages = json.loads(text)
    target = next(p for p in packages if p["name"].lower() == "pydantic")
    output, store = compressed(text, "Which version of pydantic is installed?")
    assert (
        json.dumps(target, separators=(",", ":")) in output or f'"pydantic","{target["version"]}"' in output
    )
    assert count_tokens(body(output)) < 0.5 * minified_tokens(text)
    assert_markers_retrieve_the_original(output, text, store)


def test_sample_records_end_to_end_save_80_percent_of_minified() -> None:
    rows, failed = samples.json_records()
    text = json.dumps(rows, indent=2)
    output, store = compressed(text, "Why did order ord-10187 fail?")
    assert json.dumps(failed, separators=(",", ":")) in output
    assert count_tokens(output) < 0.2 * minified_tokens(text)
    assert_markers_retrieve_the_original(output, text, store)


# the record rules, end to end ------------------------------------------------------------------------


def kept_records(output: str) -> list[dict[str, object]]:
    return [item for item in decode_items(body(output)) if isinstance(item, dict)]


def price_records() -> list[dict[str, object]]:
    """litellm's real price table (a slice), as an array of records with the model's name as a field."""
    prices = json.loads(fixture("structured/model_prices_slice.json"))
    return [{"model": name, **fields} for name, fields in prices.items() if isinstance(fields, dict)]


def test_the_highest_value_of_a_field_survives_in_any_notation() -> None:
    rows = price_records()
    priced = [row for row in rows if isinstance(row.get("output_cost_per_token"), (int, float))]
    top = max(priced, key=lambda row: row["output_cost_per_token"])  # type: ignore[arg-type,return-value]
    written = [json.dumps(row["output_cost_per_token"]) for row in priced]
    assert sum("e-" in number for number in written) > len(written) / 2  # mostly like 6e-07
    text = json.dumps(rows, indent=2)
    output, store = compressed(text, "Which model has the highest output_cost_per_token?")
    assert top in kept_records(output)
    assert count_tokens(body(output)) < 0.3 * minified_tokens(text)
    assert_markers_retrieve_the_original(output, text, store)


def test_the_n_cheapest_asked_for_survive() -> None:
    rows = price_records()
    priced = [row for row in rows if isinstance(row.get("input_cost_per_token"), (int, float))]
    order = sorted(range(len(priced)), key=lambda i: (priced[i]["input_cost_per_token"], i))  # type: ignore[index]
    cheapest = [priced[i] for i in order[:4]]
    output, _ = compressed(json.dumps(rows), "List the 4 lowest input_cost_per_token models.")
    kept = kept_records(output)
    assert all(row in kept for row in cheapest)


def test_rows_breaking_the_rules_survive_and_the_summary_matches_the_omitted_ones() -> None:
    rows = records(500, seed=9)
    rows[42]["latency_ms"] = 0  # a zero where latencies are otherwise positive
    rows[77]["route"] = ""  # an empty value where routes are filled
    del rows[99]["created_at"]  # a record without a field every other has
    block = crush(rows)
    kept = decode_items(block.render())
    for index in (42, 77, 99, 250, 310):
        assert rows[index] in kept, index
    values = [row["latency_ms"] for row in rows]
    assert rows[values.index(min(values))] in kept and rows[values.index(max(values))] in kept
    omitted = [row for row in rows if row not in kept]
    (note,) = find_summaries(block.render())
    assert note.count == len(omitted)
    low, high = note.entries["latency_ms"]  # type: ignore[misc]
    assert (low, high) == (min(r["latency_ms"] for r in omitted), max(r["latency_ms"] for r in omitted))
    assert dict(note.entries["route"]) == {  # type: ignore[arg-type]
        route: sum(1 for r in omitted if r["route"] == route) for route in {r["route"] for r in omitted}
    }


def test_numbers_written_as_strings_are_compared_as_numbers() -> None:
    rng = random.Random(8)
    rows = [{"sensor": f"s-{i:03d}", "drift": f"{rng.uniform(1, 9):.1f}e-06"} for i in range(80)]
    rows[57]["drift"] = "6.6e-05"  # the largest, though "6.6" < "9" as text
    output, _ = compressed(json.dumps(rows), "Which sensor has the highest drift?")
    assert rows[57] in kept_records(output)


def test_the_records_of_the_minority_values_a_request_asks_about_survive() -> None:
    """STS's shapes as an array of records: "which shapes are not strings or structures?". The
    answer is chosen from the records by that rule before compressing."""
    shapes = botocore_model("sts")["shapes"]
    rows = [{"name": name, **shape} for name, shape in shapes.items()]
    wanted = [row for row in rows if row["type"] not in ("string", "structure")]
    assert 3 <= len(wanted) <= 25
    text = json.dumps(rows, indent=2)
    output, store = compressed(
        text, "Which of these STS shapes are not strings or structures? Give their types."
    )
    kept = kept_records(output)
    assert [row for row in wanted if row in kept] == wanted
    assert count_tokens(body(output)) < 0.5 * minified_tokens(text)
    assert_markers_retrieve_the_original(output, text, store)


def test_records_of_a_flag_the_request_names_word_by_word_survive() -> None:
    """ "Which orders have a fraud flag?" names `fraud_flag`: its minority value's records stay,
    though four of fifty are too many for the rare-value rule (2% of 50)."""
    rows = [
        {"order": f"ord_{7000 + i}", "total": 10 + (i * 13) % 90, "state": "paid", "fraud_flag": False}
        for i in range(50)
    ]
    for index in (4, 18, 27, 45):
        rows[index]["fraud_flag"] = True
    output, store = compressed(json.dumps(rows, indent=2), "Which orders have a fraud flag?")
    kept = kept_records(output)
    assert all(row in kept for row in rows if row["fraud_flag"])
    assert_markers_retrieve_the_original(output, json.dumps(rows, indent=2), store)


def test_every_item_holding_a_value_the_request_names_survives_beyond_the_match_cap() -> None:
    rng = random.Random(11)
    regions = ["eu-west-1"] * 6 + ["us-east-1"] * 6 + ["ap-south-1", "sa-east-1"]
    rows = [
        {"id": f"vm-{i:04d}", "region": rng.choice(regions), "tags": [rng.choice(["web", "db", "batch"])]}
        for i in range(600)
    ]
    for i in range(0, 600, 24):  # 25 items in one rare region, and a tag on 20 items
        rows[i]["region"] = "me-central-1"
    for i in range(5, 600, 30):
        rows[i]["tags"] = ["gpu"]
    block = crush(rows, "Which machines run in me-central-1, and which carry the gpu tag?", max_matches=10)
    decoded = decode_items(block.render())
    assert all(row in decoded for row in rows if row["region"] == "me-central-1" or row["tags"] == ["gpu"])


def test_a_named_value_most_items_hold_pins_nothing() -> None:
    from headroom.stages.crush.scoring import VALUE_SHARE

    rows = records()  # every status is "ok" but one
    block = crush(rows, "Which requests have status ok?")
    assert len(block.kept_indices()) < VALUE_SHARE * len(rows)


def wide_orders(count: int) -> list[dict[str, object]]:
    """Orders of many fields each (ids, tokens, prices, statuses): each one large, so a budget keeps
    only a few of even a short list."""
    return [
        {
            "id": 4_400_000_000 + i * 13,
            "name": f"#{2100 + i}",
            "email": f"buyer{i}@example.net",
            "token": f"{(i * 2654435761) % 2**64:016x}",
            "browser_ip": f"10.0.{i}.{(i * 7) % 250 + 1}",
            "financial_status": "paid",
            "total_price": f"{20 + (i * 37) % 180}.90",
            "note": "Leave the parcel at the back door, please; ring twice. " * 6,
            "line_items": [{"sku": f"SKU-{(i * 7 + k) % 23}", "quantity": 1 + k} for k in range(4)],
        }
        for i in range(count)
    ]


def test_a_short_list_cut_by_the_budget_keeps_the_records_whose_named_flag_is_set() -> None:
    """Ten orders are few enough for the crusher to keep whole, but the budget cuts them: the four
    whose `fraud_flag` is true (no minority by the ratio rule) are pinned all the same."""
    rows = wide_orders(10)
    for index, row in enumerate(rows):
        row["fraud_flag"] = index in (1, 4, 6, 8)
    text = json.dumps(rows, indent=2)
    output, store = compressed(text, "Which of these orders carry a fraud flag?")
    kept = kept_records(output)
    assert all(row in kept for row in rows if row["fraud_flag"])
    assert len(kept) < len(rows)
    assert_markers_retrieve_the_original(output, text, store)


def test_a_flag_field_named_by_an_inflection_of_the_request_keeps_its_set_records() -> None:
    """ "the fraud flag" names the field `flagged` (the request's word inflected), and seven orders
    of twenty-four set it: each stays, though seven is no minority of seventeen by the ratio rule."""
    rows = wide_orders(24)
    marked = {2, 5, 9, 12, 15, 19, 22}
    for index, row in enumerate(rows):
        row["flagged"] = index in marked
    text = json.dumps(rows, indent=2)
    output, store = compressed(text, "Which orders have the fraud flag set?")
    kept = kept_records(output)
    assert [row for row in rows if row["flagged"]] == [row for row in kept if row["flagged"]]
    assert len(kept) < len(rows)
    assert_markers_retrieve_the_original(output, text, store)


def test_a_field_set_in_a_few_records_and_null_in_the_rest_keeps_the_set_ones() -> None:
    """`flagged_at` is a time where an order was flagged and null elsewhere: "which were flagged,
    and when?" keeps every order that has one."""
    rows = wide_orders(30)
    for index, row in enumerate(rows):
        row["flagged_at"] = f"2026-10-01T0{index % 10}:15:00Z" if index % 5 == 3 else None
    text = json.dumps(rows, indent=2)
    output, store = compressed(text, "Which orders were flagged, and when?")
    kept = kept_records(output)
    assert all(row in kept for row in rows if row["flagged_at"])
    assert len(kept) < len(rows)
    assert_markers_retrieve_the_original(output, text, store)


def test_a_flag_set_in_most_records_pins_none_of_them() -> None:
    """A flag set in most records picks nothing out: the budget still cuts the list."""
    rows = wide_orders(24)
    for index, row in enumerate(rows):
        row["flagged"] = index % 4 != 0
    output, _ = compressed(json.dumps(rows, indent=2), "Which orders have the fraud flag set?")
    assert len(kept_records(output)) < len([row for row in rows if row["flagged"]])


def test_a_flag_the_question_names_one_word_of_keeps_its_set_records() -> None:
    """ "Which orders were flagged?" names `fraud_flag` by one word (of its stem): the three orders
    whose flag is true stay, though three of thirty are no rare value and the field lies past
    those the record rules read."""
    rows = wide_orders(30)
    for index, row in enumerate(rows):
        row.update({f"extra_{n}": f"value {n}" for n in range(20)})  # the flag comes past them
        row["fraud_flag"] = index in (4, 17, 26)
    text = json.dumps(rows, indent=2)
    output, store = compressed(text, "Which orders were flagged?")
    kept = kept_records(output)
    assert all(row in kept for row in rows if row["fraud_flag"])
    assert len(kept) < len(rows)
    assert_markers_retrieve_the_original(output, text, store)


def test_a_category_is_not_named_by_one_word_of_it() -> None:
    """Only a flag is named by a word of its name: "which orders were flagged?" keeps no more of a
    category whose name merely holds that word (`flag_colour`) than a question without the word."""
    rows = wide_orders(30)
    for index, row in enumerate(rows):
        row["flag_colour"] = "red" if index in (4, 17, 26) else "green"
    text = json.dumps(rows, indent=2)
    flagged, _ = compressed(text, "Which orders were flagged?")
    plain, _ = compressed(text, "Which orders were shipped?")
    assert len(kept_records(flagged)) == len(kept_records(plain))
