"""Nested JSON objects: the tree of units, markers that name a JSON path, valid JSON out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from headroom.content import detect_label, parse
from headroom.content.json_object import OPEN_CHARS, JsonObjectDocument
from headroom.markers import find_markers, find_summaries, parse_json_path

REF = "0123456789abcdef"
FIXTURES = Path(__file__).parent.parent / "fixtures" / "structured"


def doc(value: object) -> JsonObjectDocument:
    document = JsonObjectDocument.parse(json.dumps(value, indent=2))
    assert document is not None
    return document


def spec() -> dict[str, object]:
    """An OpenAPI-like spec: a small record on top, a map of paths, a map of schemas."""
    paths = {
        f"/v1/{name}": {
            "get": {"summary": f"List {name}", "responses": {"200": {"description": "ok " * 20}}},
            "post": {"summary": f"Create {name}", "responses": {"201": {"description": "made " * 20}}},
        }
        for name in ("users", "orders", "invoices", "carts", "items", "tags", "teams", "keys", "logs", "jobs")
    }
    return {"openapi": "3.1.0", "info": {"title": "Shop", "version": "2.4.0"}, "paths": paths}


@pytest.mark.parametrize("text", ["[1, 2]", '"x"', "{", '{"a": NaN}', '{"a": 1, "a": 2}', '{"a": 1e400}'])
def test_parse_refuses_what_it_could_not_give_back(text: str) -> None:
    assert JsonObjectDocument.parse(text) is None


def test_nothing_dropped_is_minified_json_of_the_same_values() -> None:
    value = spec()
    document = doc(value)
    rendered = document.render(None, REF)
    assert rendered == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def test_small_records_are_one_unit_and_maps_are_opened() -> None:
    document = doc(spec())
    paths = next(node for node in document.nodes if node.path == ("paths",))
    assert paths.opened and paths.sampled
    assert all(child.path[0] == "paths" for child in paths.child_nodes())
    root_frame = document.units[document.root.unit or 0]
    assert '"openapi":"3.1.0"' in root_frame and '"title":"Shop"' in root_frame  # small fields: one frame
    assert document.anchors() == {document.root.unit}


def test_dropped_subtrees_become_markers_in_place_and_the_output_stays_json() -> None:
    value = spec()
    document = doc(value)
    keep = [True] * len(document.units)
    users = next(node for node in document.nodes if node.path == ("paths", "/v1/users"))
    keep[users.first_unit : users.stop_unit] = [False] * (users.stop_unit - users.first_unit)
    rendered = document.render(keep, REF)
    parsed = json.loads(rendered)
    (marker,) = find_markers(parsed["paths"]["/v1/users"])  # the key stays; the value is the marker
    assert (marker.unit, marker.first, marker.last, marker.total) == ("keys", 0, 1, 2)
    assert parse_json_path(marker.path or "") == ["paths", "/v1/users"]
    assert parsed["paths"]["/v1/orders"] == value["paths"]["/v1/orders"]  # type: ignore[index]
    assert parsed["info"] == value["info"]


def test_a_run_of_dropped_map_members_is_one_member_with_a_summary() -> None:
    models = {
        f"model-{i:03d}": {"provider": "acme" if i % 3 else "zeta", "cost": i / 1000} for i in range(200)
    }
    document = doc({"models": models})
    node = next(n for n in document.nodes if n.path == ("models",))
    keep = [True] * len(document.units)
    for child in node.child_nodes()[5:195]:
        keep[child.first_unit : child.stop_unit] = [False] * (child.stop_unit - child.first_unit)
    parsed = json.loads(document.render(keep, REF))
    keys = list(parsed["models"])
    assert keys[:5] == [f"model-{i:03d}" for i in range(5)] and keys[-5:] == [
        f"model-{i:03d}" for i in range(195, 200)
    ]
    (marker_key,) = [k for k in keys if k.startswith("[headroom:")]
    (marker,) = find_markers(marker_key)
    assert (marker.unit, marker.first, marker.last, marker.total, marker.path) == (
        "keys",
        5,
        194,
        200,
        "$.models",
    )
    (note,) = find_summaries(parsed["models"][marker_key])
    assert note.count == 190
    assert note.entries["cost"] == (0.005, 0.194)
    dropped = [models[f"model-{i:03d}"]["provider"] for i in range(5, 195)]
    assert dict(note.entries["provider"]) == {"acme": dropped.count("acme"), "zeta": dropped.count("zeta")}  # type: ignore[arg-type]


def test_a_run_of_dropped_array_items_is_one_marker_string() -> None:
    value = {"total": 300, "items": [{"id": i, "state": "open"} for i in range(300)]}
    document = doc(value)
    node = next(n for n in document.nodes if n.path == ("items",))
    keep = [True] * len(document.units)
    for child in node.child_nodes()[2:299]:
        keep[child.first_unit : child.stop_unit] = [False] * (child.stop_unit - child.first_unit)
    parsed = json.loads(document.render(keep, REF))
    assert parsed["total"] == 300
    assert parsed["items"][:2] == value["items"][:2] and parsed["items"][-1] == value["items"][-1]
    (marker,) = find_markers(parsed["items"][2])
    assert (marker.first, marker.last, marker.path) == (2, 298, "$.items")
    assert find_summaries(parsed["items"][2])[0].entries["state"] == [("open", 297)]


def test_long_strings_are_single_units_and_elide_as_characters() -> None:
    value = {"name": "pkg", "version": "1.0", "description": "word " * 2000}
    document = doc(value)
    description = next(n for n in document.nodes if n.path == ("description",))
    keep = [True] * len(document.units)
    keep[description.unit or 0] = False
    parsed = json.loads(document.render(keep, REF))
    (marker,) = find_markers(parsed["description"])
    assert (marker.unit, marker.first, marker.last, marker.total) == ("chars", 1, 10000, 10000)
    assert parsed["name"] == "pkg" and parsed["version"] == "1.0"


def test_an_error_field_is_an_error_but_docs_mentioning_errors_are_not() -> None:
    value = {
        "jobs": [{"id": i, "state": "done"} for i in range(100)],
        "readme": "This library raises an error when the input is invalid. " * 40,
    }
    value["jobs"][7] = {"id": 7, "state": "failed", "error": "disk full"}  # type: ignore[index]
    document = doc(value)
    signals = document.error_signals()
    flagged = {document.unit_nodes[i].path for i, s in enumerate(signals) if s >= 1.0}
    assert flagged == {("jobs", 7)}
    anomalies = document.anomaly_signals()
    assert anomalies[next(n for n in document.nodes if n.path == ("jobs", 7)).unit or 0] > 0


def test_big_real_objects_open_only_where_they_are_big() -> None:
    text = (FIXTURES / "pip_inspect_slice.json").read_text()
    assert detect_label(text) == "json_object"
    document = parse("json_object", text)
    assert isinstance(document, JsonObjectDocument)
    assert json.loads(document.render(None, REF)) == json.loads(text)
    for node in document.nodes:
        if not node.opened:
            assert len(node.text) < OPEN_CHARS or not isinstance(node.value, (dict, list)) or not node.value


def test_a_small_document_opens_a_container_that_is_a_large_share_of_it() -> None:
    """A 12-member map that is a third of a small file is 12 units, so a budget can keep some of
    them; the same map in a big file is one unit, as any value under OPEN_CHARS is."""
    definitions = {
        f"policy_{n}": {"applies_when": {"code": f"Code{n}", "status": 400 + n}} for n in range(12)
    }
    assert len(json.dumps(definitions, separators=(",", ":"))) < OPEN_CHARS
    small = {"definitions": definitions, "retry": {f"service_{n}": {"max_attempts": n} for n in range(40)}}
    node = next(n for n in doc(small).nodes if n.path == ("definitions",))
    assert node.opened and len(node.children) == 12
    big = {**small, "payload": {f"k{n}": "v" * 100 for n in range(300)}}
    node = next(n for n in doc(big).nodes if n.path == ("definitions",))
    assert not node.opened


def test_units_are_filed_under_their_json_path() -> None:
    document = doc(spec())
    keys = document.keys()
    assert len(keys) == len(document.units)
    for node, key in zip(document.unit_nodes, keys, strict=True):
        assert key.path == tuple(str(part) for part in node.path)
    users = keys[next(i for i, n in enumerate(document.unit_nodes) if n.path == ("paths", "/v1/users"))]
    assert users.own == "/v1/users" and users.siblings == 10
