"""The marker grammar's optional parts (a JSON path, a section) and marked summaries, written and read."""

from __future__ import annotations

import pytest

from headroom.markers import (
    Marker,
    find_markers,
    find_summaries,
    json_path,
    omitted,
    parse_json_path,
    summary,
    summary_value,
)

REF = "0123456789abcdef"


@pytest.mark.parametrize(
    ("parts", "text"),
    [
        ([], "$"),
        (["paths", "/v1/users", "get"], '$.paths["/v1/users"].get'),
        ([5, "body"], "$[5].body"),
        (["a b", 'quote"d', "x-y_z"], '$["a b"]["quote\\"d"].x-y_z'),
        (["1abc", 0], '$["1abc"][0]'),
    ],
)
def test_json_paths_round_trip(parts: list[str | int], text: str) -> None:
    assert json_path(parts) == text
    assert parse_json_path(text) == parts


def test_a_path_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError, match="not a marker path"):
        parse_json_path("$.a b")


def test_markers_with_a_path_or_a_section_are_found_with_them() -> None:
    at = omitted("keys", 12, 1990, 2000, REF, path=json_path(["paths"]))
    chars = omitted("chars", 2001, 20000, 20000, REF, path=json_path([5, "body"]))
    section = omitted("lines", 40, 88, 300, REF, section='Install "fast"')
    assert at == f"[headroom: omitted keys 12-1990 of 2000 at $.paths; hash={REF}]"
    assert section == f'[headroom: omitted lines 40-88 of 300 (section "Install \\"fast\\""); hash={REF}]'
    assert find_markers(f"x {at} y {chars}\n{section}") == [
        Marker("keys", 12, 1990, 2000, REF, "$.paths"),
        Marker("chars", 2001, 20000, 20000, REF, "$[5].body"),
        Marker("lines", 40, 88, 300, REF, None, 'Install "fast"', "section"),
    ]


def test_plain_markers_read_as_before() -> None:
    assert find_markers(omitted("items", 3, 9, 10, REF)) == [Marker("items", 3, 9, 10, REF)]


def test_summary_text_is_pinned() -> None:
    text = summary(283, "items", [("status", [("ok", 281), ("failed", 2)]), ("latency_ms", (3, 180))])
    assert text == "[headroom: summary of 283 omitted items: status: ok x281, failed x2; latency_ms: 3..180]"


@pytest.mark.parametrize(
    "entries",
    [
        [("status", [("ok", 281), ("failed", 2)]), ("latency_ms", (3, 180))],
        [("created_at", ("2026-11-01T00:00:00Z", "2026-11-27T23:05:00Z")), ("amount", (-5.5, 1e-07))],
        [
            (
                "weird key",
                [("1.5", 3), (1.5, 2), (None, 1), ("a]b; c", 1), ("true", 1), ("a:", 2), ("x..y", 1)],
            )
        ],
        [("flags", [(True, 3), (False, 1)]), ("Use%", ("12%", "95%")), ("é", [("ü", 1)])],
        [],
    ],
)
def test_summaries_read_back_to_the_same_entries(entries: list) -> None:
    text = summary(7, "rows", entries)
    (found,) = find_summaries(f"before {text} after")
    assert (found.count, found.unit) == (7, "rows")
    assert found.entries == {key: stats for key, stats in entries}


@pytest.mark.parametrize(
    ("value", "written"), [("ok", "ok"), ("1.5", '"1.5"'), ("null", '"null"'), ("a b", '"a b"')]
)
def test_values_are_bare_only_when_they_read_back_the_same(value: str, written: str) -> None:
    assert summary_value(value) == written


def test_a_broken_summary_is_reported() -> None:
    with pytest.raises(ValueError):
        find_summaries("[headroom: summary of 3 omitted rows: status ok x3]")
