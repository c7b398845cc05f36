"""The one marker grammar and the one hash format."""

from __future__ import annotations

import hashlib

import pytest

from headroom.markers import MARKER_PATTERN, Marker, content_hash, find_markers, omitted, runs


def test_content_hash_is_the_first_16_hex_digits_of_sha256() -> None:
    text = "héllo\nwörld"
    assert content_hash(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    assert len(content_hash("")) == 16


def test_content_hash_accepts_lone_surrogates_and_tells_them_apart() -> None:
    assert content_hash("a\ud800") != content_hash("a\udc00")
    assert (
        content_hash("a\ud800") == hashlib.sha256("a\ud800".encode("utf-8", "surrogatepass")).hexdigest()[:16]
    )


def test_omitted_marker_text_is_pinned() -> None:
    assert omitted("lines", 120, 340, 2000, "3f2a9c1b7d4e5f60") == (
        "[headroom: omitted lines 120-340 of 2000; hash=3f2a9c1b7d4e5f60]"
    )


def test_find_markers_reads_back_what_omitted_wrote() -> None:
    text = "\n".join(
        [
            "head",
            omitted("lines", 2, 9, 40, "0123456789abcdef"),
            "middle",
            f'["x",{omitted("items", 3, 3, 10, "fedcba9876543210")!r}]',
        ]
    )
    assert find_markers(text) == [
        Marker("lines", 2, 9, 40, "0123456789abcdef"),
        Marker("items", 3, 3, 10, "fedcba9876543210"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "[headroom: omitted lines 1-2 of 3; hash=ABCDEF0123456789]",  # upper-case hex
        "[headroom: omitted lines 1-2 of 3; hash=0123456789abcde]",  # 15 digits
        "[headroom: omitted lines 1-2; hash=0123456789abcdef]",  # no total
        "headroom: omitted lines 1-2 of 3; hash=0123456789abcdef",  # no brackets
    ],
)
def test_malformed_markers_are_not_found(text: str) -> None:
    assert MARKER_PATTERN.search(text) is None
    assert find_markers(text) == []


@pytest.mark.parametrize(
    ("keep", "expected"),
    [
        ([], []),
        ([True, True], []),
        ([False], [(0, 0)]),
        ([False, False, True, False, True, False, False], [(0, 1), (3, 3), (5, 6)]),
        ([True, False, False, False, True], [(1, 3)]),
    ],
)
def test_runs_are_the_maximal_dropped_spans(keep: list[bool], expected: list[tuple[int, int]]) -> None:
    assert runs(keep) == expected


def test_a_summary_reads_back_dotted_values_that_start_like_numbers() -> None:
    from headroom.markers import find_summaries, summary

    text = summary(5, "lines", [("ip", [("127.0.0.1", 3), ("1.2.3", 1), (12, 1)]), ("ms", (3, 180.5))])
    (read,) = find_summaries(text)
    assert read.entries == {"ip": [("127.0.0.1", 3), ("1.2.3", 1), (12, 1)], "ms": (3, 180.5)}


def test_a_positions_entry_lists_where_units_of_a_kind_are_and_reads_back() -> None:
    from headroom.markers import Positions, find_summaries, summary

    where = Positions.of([412, 988, 1530, 1531, 1532], "lines")
    text = summary(1088, "lines", [("errors", where), ("time", ("10:06:41", "10:24:39"))])
    assert text == (
        "[headroom: summary of 1088 omitted lines: errors: 5 at lines 412, 988, 1530-1532; "
        "time: 10:06:41..10:24:39]"
    )
    (read,) = find_summaries(text)
    assert read.entries["errors"] == where
    assert where.numbers() == [412, 988, 1530, 1531, 1532]


def test_past_the_listed_runs_the_middle_ones_are_elided_and_the_count_stays_whole() -> None:
    from headroom.markers import MAX_LISTED_POSITIONS, Positions, find_summaries, summary

    numbers = list(range(1, 3 * MAX_LISTED_POSITIONS + 60, 3))  # runs of one, more than are listed
    where = Positions.of(numbers, "lines")
    assert not where.complete and len(where.runs) == MAX_LISTED_POSITIONS
    assert where.runs[0] == (1, 1) and where.runs[-1] == (
        numbers[-1],
        numbers[-1],
    )  # the first ones, the last
    text = summary(numbers[-1], "lines", [("errors", where)])
    assert f"errors: {len(numbers)} at lines 1, 4, 7," in text and f", ..., {numbers[-1]}]" in text
    assert find_summaries(text)[0].entries["errors"] == where


def test_an_entry_put_first_into_a_written_summary() -> None:
    from headroom.markers import Positions, find_summaries, summary, with_first_entry

    entry = ("errors", Positions.of([7], "lines"))
    plain = summary(30, "lines", [("status", [(200, 30)])])
    assert (
        with_first_entry(plain, entry)
        == "[headroom: summary of 30 omitted lines: errors: 1 at lines 7; status: 200 x30]"
    )
    bare = with_first_entry(summary(30, "lines", []), entry)
    assert find_summaries(bare)[0].entries == {"errors": Positions(1, "lines", ((7, 7),))}


def test_the_must_be_smaller_rule_counts_markers_twice_and_wants_a_real_saving() -> None:
    from headroom.markers import MIN_SAVING, omitted, worth_sending

    original = "x" * 1000
    assert not worth_sending(original, original)
    assert worth_sending(original, "x" * int(1000 * (1 - MIN_SAVING)))
    assert not worth_sending(original, "x" * 990)  # a sliver saved churns bytes for nothing
    marker = omitted("lines", 10, 60, 100, "0123456789abcdef")
    assert not worth_sending(original, "x" * (1000 - len(marker) - 20) + marker)
