"""crush.json_object.v1: nested JSON keeps what the request names and every small record's fields,
samples big maps and arrays with markers naming the JSON path, stays valid JSON."""

from __future__ import annotations

import json

from headroom.markers import find_markers, find_summaries, parse_json_path
from headroom.stages.crush.json_object import CrushJsonObject, JsonObjectParams
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


def crush(value: object, query: str = "Summarise the tool output.", **params: object):
    return crushed(
        CrushJsonObject(JsonObjectParams(**params)), json.dumps(value, indent=2), "json_object", query
    )


def api_response() -> dict[str, object]:
    return {
        "total_count": 500,
        "incomplete_results": False,
        "items": [
            {"number": i, "title": f"Bug {i}", "state": "open", "labels": ["bug"], "comments": i % 5}
            for i in range(500)
        ],
    }


def test_the_array_inside_is_sampled_and_the_top_fields_are_all_kept() -> None:
    value = api_response()
    block = crush(value, "Show issue number 321")
    parsed = json.loads(block.render())
    assert parsed["total_count"] == 500 and parsed["incomplete_results"] is False
    kept = [item for item in parsed["items"] if isinstance(item, dict)]
    assert value["items"][321] in kept  # type: ignore[index]
    assert len(kept) < 40
    markers = [m for s in parsed["items"] if isinstance(s, str) for m in find_markers(s)]
    assert all(parse_json_path(m.path or "") == ["items"] and m.unit == "items" for m in markers)
    assert sum(m.last - m.first + 1 for m in markers) == 500 - len(kept)
    (note,) = find_summaries(block.render())
    assert note.entries["state"] == [("open", 500 - len(kept))]


def test_small_objects_never_lose_a_field() -> None:
    value = {
        "name": "svc",
        "spec": {"replicas": 3, "image": "app:1.2", "ports": [80, 443]},
        "owner": "team-a",
    }
    block = crush(value, policy="lossy")
    assert json.loads(block.render()) == value


def test_a_map_keeps_the_named_member_and_says_what_it_dropped() -> None:
    text = fixture("structured/model_prices_slice.json")
    prices = json.loads(text)
    target = sorted(prices)[len(prices) // 2]
    block = crushed(CrushJsonObject(), text, "json_object", f"What does {target} cost per input token?")
    parsed = json.loads(block.render())
    assert parsed[target] == prices[target]
    marker_keys = [k for k in parsed if k.startswith("[headroom:")]
    assert marker_keys
    for key in marker_keys:
        (marker,) = find_markers(key)
        assert marker.unit == "keys" and marker.path == "$" and marker.total == len(prices)
        assert find_summaries(parsed[key])
    assert len(block.render()) < 0.35 * len(json.dumps(prices, separators=(",", ":")))


def test_lossless_is_minified_json_of_the_same_values() -> None:
    value = api_response()
    block = crush(value, policy="lossless")
    assert block.keep is None
    assert block.render() == json.dumps(value, separators=(",", ":"))


def test_without_a_score_stage_the_error_item_survives() -> None:
    value = api_response()
    value["items"][404] = {"number": 404, "title": "x", "state": "failed", "error": "boom"}  # type: ignore[index]
    block = crushed(CrushJsonObject(), json.dumps(value), "json_object", score=False)
    assert value["items"][404] in json.loads(block.render())["items"]  # type: ignore[index]


def test_bias_scales_the_sample() -> None:
    value = api_response()
    text = json.dumps(value)
    small = crushed(CrushJsonObject(), text, "json_object", bias=0.5)
    large = crushed(CrushJsonObject(), text, "json_object", bias=2.0)
    assert len(small.kept_indices()) < len(large.kept_indices())


def test_pip_inspect_end_to_end() -> None:
    text = fixture("structured/pip_inspect_slice.json")
    value = json.loads(text)
    output, store = compressed(text, "What does python-dateutil require, and which version is installed?")
    kept_text = body(output)
    parsed = json.loads(kept_text)
    kept = [p for p in parsed["installed"] if isinstance(p, dict)]
    dateutil = next(p for p in kept if p["metadata"]["name"] == "python-dateutil")
    original = next(p for p in value["installed"] if p["metadata"]["name"] == "python-dateutil")
    assert dateutil["metadata"]["version"] == original["metadata"]["version"]
    assert dateutil["metadata"]["requires_dist"] == original["metadata"]["requires_dist"]
    assert parsed["environment"] == value["environment"]
    assert count_tokens(kept_text) < 0.35 * minified_tokens(text)
    assert_markers_retrieve_the_original(output, text, store)


def test_npm_view_end_to_end_keeps_the_asked_for_release_time() -> None:
    text = fixture("structured/npm_view_typescript.json")
    value = json.loads(text)
    version = value["versions"][-300]
    output, store = compressed(text, f"When was typescript {version} published?")
    parsed = json.loads(body(output))
    assert parsed["time"][version] == value["time"][version]
    assert parsed["name"] == "typescript"
    assert_markers_retrieve_the_original(output, text, store)


# the record rules inside objects ---------------------------------------------------------------------


def orders_page() -> dict[str, object]:
    """An API page whose orders sit two levels down; two carry a fraud flag, one a rare status."""
    orders = [
        {
            "id": f"ord_{9000 + i}",
            "customer": f"cus_{(i * 53) % 401}",
            "total": round(12 + (i * 37) % 180 + 0.99, 2),
            "currency": "usd",
            "status": ["paid", "shipped", "delivered"][i % 3],
            "fraud_flag": False,
        }
        for i in range(40)
    ]
    orders[13]["fraud_flag"] = True
    orders[29]["fraud_flag"] = True
    orders[22]["status"] = "disputed"
    return {"page": 1, "per_page": 40, "data": {"orders": orders}, "has_more": True}


def test_flagged_orders_on_a_page_survive_the_default_pipeline() -> None:
    page = orders_page()
    orders: list[dict[str, object]] = page["data"]["orders"]  # type: ignore[index]
    # Chosen by the rule, before compressing: a boolean or status value held by few orders.
    flagged = [o for o in orders if o["fraud_flag"] or o["status"] not in ("paid", "shipped", "delivered")]
    assert len(flagged) == 3
    text = json.dumps(page, indent=2)
    output, store = compressed(text, "Summarise this page of orders.")
    kept = json.loads(body(output))["data"]["orders"]
    assert all(order in kept for order in flagged)
    assert count_tokens(body(output)) < 0.75 * minified_tokens(text)  # 40 small records: little to drop
    assert_markers_retrieve_the_original(output, text, store)


def risk_checked_orders(count: int = 50) -> list[dict[str, object]]:
    """Orders with a nested risk check; a few flagged, too many to be rare (2% of 50 is 1)."""
    orders = [
        {
            "name": f"#{20400 + i}",
            "total_price": f"{12 + (i * 37) % 180}.90",
            "status": ["paid", "shipped"][i % 2],
            "line_items": [{"sku": f"SKU-{(i * 7 + k) % 23}", "quantity": 1 + k} for k in range(3)],
            "risk": {"score": round(0.02 + (i % 11) / 40, 2), "fraud_flag": False},
        }
        for i in range(count)
    ]
    for index in (6, 19, 33, 41):
        orders[index]["risk"] = {"score": 0.97, "fraud_flag": True}
    return orders


def test_orders_the_request_asks_about_by_a_nested_flags_words_survive() -> None:
    """ "flagged for fraud" names `risk.fraud_flag` word by word; its minority value's orders stay."""
    orders = risk_checked_orders()
    flagged = [o for o in orders if o["risk"]["fraud_flag"]]  # type: ignore[index]
    text = json.dumps({"data": {"orders": orders}, "meta": {"page": 3}}, indent=2)
    for question in ("Which orders on this page were flagged for fraud?", "List the fraud-flagged orders."):
        output, store = compressed(text, question)
        kept = json.loads(body(output))["data"]["orders"]
        assert all(order in kept for order in flagged)
        assert len([o for o in kept if isinstance(o, dict)]) < 40
        assert_markers_retrieve_the_original(output, text, store)


def real_price_map() -> dict[str, object]:
    return json.loads(fixture("structured/model_prices_slice.json"))


def first_with_largest(prices: dict[str, object], field: str) -> str:
    numbers = {k: v[field] for k, v in prices.items() if isinstance(v, dict) and type(v.get(field)) is int}
    return next(k for k, v in numbers.items() if v == max(numbers.values()))


def test_the_model_with_the_largest_field_of_a_real_price_map_survives() -> None:
    """The issue's nested price map: "which model has the largest max_input_tokens?"."""
    prices = real_price_map()
    best = first_with_largest(prices, "max_input_tokens")
    text = json.dumps(prices, indent=2)
    output, store = compressed(text, "Which model has the largest max_input_tokens?")
    kept = json.loads(body(output))
    assert kept[best] == prices[best]
    assert count_tokens(body(output)) < 0.5 * minified_tokens(text)
    assert_markers_retrieve_the_original(output, text, store)


def test_a_price_map_inside_a_response_keeps_the_top_three_asked_for() -> None:
    prices = real_price_map()
    costs = {
        k: v["output_cost_per_token"]
        for k, v in prices.items()
        if isinstance(v, dict) and type(v.get("output_cost_per_token")) is float
    }
    top = sorted(costs, key=lambda k: (-costs[k], list(costs).index(k)))[:3]
    text = json.dumps({"source": "litellm", "models": prices})
    block = crush(text and json.loads(text), "What are the top 3 models by output_cost_per_token?")
    kept = json.loads(block.render())["models"]
    assert all(kept.get(name) == prices[name] for name in top)


def test_flagged_children_past_the_cap_are_counted_in_the_runs_summary() -> None:
    from headroom.content.records import PER_LABEL

    items = [{"n": i, "state": "ok", "size": 10 + i % 7} for i in range(1000)]
    for index in range(3, 1000, 90):  # 12 negative sizes: rare among 1000 (limit 20), past the cap
        items[index]["size"] = -1
    block = crush({"kind": "list", "items": items})
    rendered = block.render()
    kept = [item for item in json.loads(rendered)["items"] if isinstance(item, dict)]
    negative_kept = sum(1 for item in kept if item["size"] == -1)
    assert negative_kept >= PER_LABEL
    counted = sum(dict(s.entries["flagged"]).get("size:negative", 0) for s in find_summaries(rendered))  # type: ignore[arg-type, misc]
    assert counted == 12 - negative_kept


def test_the_minority_types_a_request_asks_about_survive_in_a_real_api_model() -> None:
    """KMS's model: "which shapes have a type other than structure, string or list?". The answer is
    chosen from the model by that rule before compressing."""
    model = botocore_model("kms")
    shapes = model["shapes"]
    wanted = {name for name, shape in shapes.items() if shape["type"] not in ("structure", "string", "list")}
    assert 3 <= len(wanted) <= 25  # a few, each type far rarer than structures
    text = json.dumps(model, indent=2)
    output, store = compressed(
        text, "Which shapes in this KMS model have a type other than structure, string or list?"
    )
    kept = json.loads(body(output))["shapes"]
    assert {name for name in wanted if kept.get(name) == shapes[name]} == wanted
    assert count_tokens(body(output)) < 0.4 * minified_tokens(text)
    assert_markers_retrieve_the_original(output, text, store)


def asked_members(model: dict, operation: str, question: str) -> dict[str, object]:
    """The input shape's members of `operation` that the question names: the answer, by that rule."""
    shape = model["operations"][operation]["input"]["shape"]
    members = model["shapes"][shape]["members"]
    return {name: entry for name, entry in members.items() if name in question}


def test_the_members_a_request_names_in_a_real_api_model_survive() -> None:
    """KMS's model (500 KB): the Encrypt request's members the question names. GrantTokens is a
    member of many request shapes, so only the one under Encrypt's shape is the one asked for."""
    model = botocore_model("kms")
    question = "For KMS Encrypt, which EncryptionAlgorithm can I pass, and what are GrantTokens for?"
    wanted = asked_members(model, "Encrypt", question)
    assert set(wanted) == {"EncryptionAlgorithm", "GrantTokens"}
    assert sum(1 for shape in model["shapes"].values() if "GrantTokens" in shape.get("members", {})) > 5
    text = json.dumps(model, indent=2)
    output, store = compressed(text, question)
    kept = json.loads(body(output))["shapes"]["EncryptRequest"]["members"]
    assert {name: kept.get(name) for name in wanted} == wanted
    assert count_tokens(body(output)) < 0.3 * minified_tokens(text)
    assert_markers_retrieve_the_original(output, text, store)


def test_a_named_member_survives_though_its_name_is_in_many_units_text() -> None:
    """STS's AssumeRole: DurationSeconds is written in the documentation of many units; the member
    keyed so under AssumeRole's request shape is the one asked for (its long text may be cut)."""
    model = botocore_model("sts")
    question = "In STS AssumeRole, what range does DurationSeconds accept?"
    wanted = asked_members(model, "AssumeRole", question)
    assert set(wanted) == {"DurationSeconds"}
    mentions = sum(json.dumps(shape).count("DurationSeconds") > 0 for shape in model["shapes"].values())
    assert mentions > 5
    text = json.dumps(model, indent=2)
    output, _ = compressed(text, question)
    kept = json.loads(body(output))["shapes"]["AssumeRoleRequest"]["members"]["DurationSeconds"]
    documentation = wanted["DurationSeconds"]["documentation"]  # type: ignore[index]
    assert kept["shape"] == wanted["DurationSeconds"]["shape"]  # type: ignore[index]
    assert kept["documentation"][:300] == documentation[:300]
    assert "900" in kept["documentation"]  # the range's lower end, as the documentation states it


def test_a_short_page_cut_by_the_budget_keeps_the_orders_whose_nested_flag_is_set() -> None:
    """Twelve orders on a page object are kept whole by the crusher, but the budget still cuts
    them: the three whose nested `fraud.flagged` is true ("flagged for fraud") are pinned."""
    orders = [
        {
            "name": f"#{5300 + i}",
            "email": f"buyer{i}@example.net",
            "token": f"{(i * 2654435761) % 2**64:016x}",
            "note": "Leave the parcel at the back door, please; ring twice. " * 8,
            "line_items": [{"sku": f"SKU-{(i * 7 + k) % 23}", "quantity": 1 + k} for k in range(4)],
            "fraud": {"score": 0.9 if i in (2, 7, 10) else 0.1, "flagged": i in (2, 7, 10)},
        }
        for i in range(12)
    ]
    text = json.dumps({"page": 1, "per_page": 12, "orders": orders}, indent=2)
    output, store = compressed(text, "Which of today's orders were flagged for fraud?")
    kept = [o for o in json.loads(body(output))["orders"] if isinstance(o, dict)]
    assert all(order in kept for order in orders if order["fraud"]["flagged"])  # type: ignore[index]
    assert len(kept) < len(orders)
    assert_markers_retrieve_the_original(output, text, store)
