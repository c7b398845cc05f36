"""Framing (`headroom.content.framing`): output an agent wrapped is detected, and parsed, as what
is inside the wrapping, and the wrapping is put back around it.

The material is real: `cat -n` of a JSON file an installed package ships (litellm's list of
airlines), `nl` of this machine's dpkg log, the header real Codex 0.169 wrote above a command's
output around `pip list --format json` (the header of a captured session, its token count
recomputed for this output)."""

from __future__ import annotations

import json

import pytest

from headroom import content
from headroom.content.detect import detect, detect_unframed, settle
from headroom.content.framing import (
    Anchored,
    Framed,
    find_frame,
    lines_kept,
    read_gutter,
)
from headroom.content.json_array import JsonArrayDocument
from headroom.content.log import LogDocument
from headroom.markers import find_markers, find_summaries
from tests.stages.crush.line_checks import fixture

CODEX_HEADER = "Chunk ID: 9bf728\nWall time: 0.0000 seconds\nProcess exited with code 0\n"
REF = "0123456789abcdef"


def codex(output: str) -> str:
    return f"{CODEX_HEADER}Original token count: {len(output) // 4}\nOutput:\n{output}"


def arrowed(listing: str) -> str:
    """The same listing as older Claude Code writes it: the number, then `→`."""
    return "\n".join(line.replace("\t", "→", 1) for line in listing.split("\n"))


# finding the frame --------------------------------------------------------------------------


def test_codex_header_is_the_frame_up_to_its_output_line() -> None:
    text = fixture("codex_pip_list_json.txt")
    frame = find_frame(text)
    assert frame is not None and frame.gutter is None
    head, _, output = text.partition("Output:\n")
    assert frame.head == head + "Output:\n"
    assert frame.body == output and frame.tail == ""
    assert frame.separated


@pytest.mark.parametrize("name", ["cat_n_airlines_json.txt", "nl_dpkg_log.txt"])
def test_a_numbered_listing_is_read_without_its_numbers(name: str) -> None:
    listing = fixture(name)
    frame = find_frame(listing)
    assert frame is not None and frame.gutter is not None and frame.head == ""
    lines = listing.split("\n")
    numbered = [line for line in lines if line.strip()]
    assert [n for n in frame.gutter.numbers if n is not None] == list(range(1, len(numbered) + 1))
    for line, prefix, bare in zip(lines, frame.gutter.prefixes, frame.body.split("\n"), strict=True):
        assert line == prefix + bare


def test_the_json_inside_cat_n_is_the_file() -> None:
    frame = find_frame(fixture("cat_n_airlines_json.txt"))
    assert frame is not None
    records = json.loads(frame.body)
    assert len(records) == 351 and records[0]["id"] == "abx-air"


def test_nl_leaves_blank_lines_unnumbered_and_they_stay_in_the_listing() -> None:
    listing = "     1\tfirst\n       \n     2\tsecond\n     3\tthird"  # what `nl` writes for a blank line
    gutter = read_gutter(listing)
    assert gutter is not None and gutter.numbers == (1, None, 2, 3)


def test_a_cursor_style_header_with_a_fenced_output() -> None:
    output = fixture("dpkg.log").rstrip("\n")
    text = f"Exit code: 0\n\nCommand output:\n\n```\n{output}\n```\n"
    frame = find_frame(text)
    assert frame is not None
    assert frame.head == "Exit code: 0\n\nCommand output:\n\n```\n"
    assert frame.body == output and frame.tail == "\n```\n"


@pytest.mark.parametrize(
    "text",
    [
        # pip show: every line a key line, more than a header holds; it is the output itself
        "Name: orjson\nVersion: 3.10\nSummary: fast JSON\nHome-page: x\nAuthor: y\nAuthor-email: z\n"
        "License: MIT\nLocation: /v\nRequires: \nRequired-by: headroom\n",
        # one key line, then the text: no header
        "Note: the results follow\n" + "\n".join(f"row {i}" for i in range(20)),
        # a header longer than what follows it
        "A: 1\nB: 2\nC: 3\nD: 4\nOutput:\none\ntwo\n",
    ],
)
def test_what_is_not_a_preamble(text: str) -> None:
    frame = find_frame(text)
    assert frame is None or frame.head == ""


@pytest.mark.parametrize(
    "text",
    [
        "1\tone\n3\tthree\n2\ttwo\n",  # numbers not increasing
        "1\tone\n2\ttwo\nthree, unnumbered\n4\tfour\n",  # a line without a number
        "1. first\n2. second\n3. third\n",  # a Markdown list is not a gutter
        "1\tone\n2\ttwo\n",  # too short to say
    ],
)
def test_what_is_not_a_gutter(text: str) -> None:
    assert read_gutter(text) is None


# detection ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label", "where"),
    [
        (fixture("codex_pip_list_json.txt"), "json_array", "behind a 5-line header"),
        (fixture("cat_n_airlines_json.txt"), "json_array", "in a line-number gutter"),
        (arrowed(fixture("cat_n_airlines_json.txt")), "json_array", "in a line-number gutter"),
        (fixture("nl_dpkg_log.txt"), "log", "in a line-number gutter"),
        (fixture("cat_n_beta_headers_json.txt"), "json_object", "in a line-number gutter"),
        (codex(fixture("dpkg.log")), "log", "behind a 5-line header"),
    ],
)
def test_framed_output_is_detected_as_what_is_inside(text: str, label: str, where: str) -> None:
    detection = detect(text)
    assert detection.label == label
    assert where in detection.candidates[0].evidence
    assert detect_unframed(text).candidates[0].confidence <= detection.candidates[0].confidence


def test_numbered_code_is_left_to_the_code_type() -> None:
    source = "\n".join(f"{n:6}\t{line}" for n, line in enumerate(CODE.split("\n"), 1))
    assert settle(source) is None
    assert detect(source).label == "code"


CODE = """import os


def read(path):
    with open(path) as handle:
        return handle.read()


class Loader:
    def load(self, name):
        if not name:
            raise ValueError("no name")
        return read(os.path.join("data", name))
"""


def test_a_preamble_over_ordinary_output_that_reads_the_same_is_no_frame() -> None:
    # pip's "Looking in indexes:" lines open its output and end with no lead-in: the output is read whole.
    text = fixture("pip_install.txt")
    assert settle(text) is None


def test_a_header_over_prose_is_no_frame() -> None:
    letter = (
        "We met on Tuesday to go over the release. Ada walked us through the open issues, and we agreed\n"
        "that the parser fix goes first. Bob will write the notes up for the others by Friday.\n\n"
        "After that we talked about the benchmarks. The numbers look better than last month, but the\n"
        "machine was shared, so we will run them again before anyone quotes them.\n\n"
        "Nothing else came up. The next meeting is in two weeks, same room, same time.\n"
    )
    text = "From: ada@example.org\nTo: bob@example.org\nSubject: notes\n\n" + letter
    assert settle(text) is None


# the documents ------------------------------------------------------------------------------


def test_a_framed_document_is_of_its_body_type_and_reads_only_the_body() -> None:
    text = fixture("codex_pip_list_json.txt")
    document = content.parse("json_array", text)
    assert isinstance(document, JsonArrayDocument) and isinstance(document, Framed)
    frame = find_frame(text)
    assert frame is not None
    assert len(document.units) == len(json.loads(frame.body))
    # Nothing dropped: the header, then the same values (a faithful re-encoding).
    rendered = document.render(None, REF)
    assert rendered.startswith(frame.head) and json.loads(rendered[len(frame.head) :]) == json.loads(
        frame.body
    )


def test_a_preamble_over_lines_keeps_the_block_numbering_and_anchors_the_header() -> None:
    text = codex(fixture("dpkg.log"))
    document = content.parse("log", text)
    assert isinstance(document, LogDocument) and isinstance(document, Anchored)
    assert document.units == text.split("\n")
    assert set(range(5)) <= document.anchors()


def test_a_numbered_json_array_renders_kept_items_as_their_numbered_lines() -> None:
    listing = fixture("cat_n_airlines_json.txt")
    document = content.parse("json_array", listing)
    assert isinstance(document, JsonArrayDocument) and isinstance(document, Framed)
    middle = len(document.units) // 2  # the record a reader asks about: here, by rule, the middle one
    keep = [index in (0, middle) for index in range(len(document.units))]
    rendered = document.render(keep, REF)
    lines = listing.split("\n")
    check_numbered(lines, rendered, REF)
    item_lines = [lines[i] for i in document.unit_lines[middle]]
    assert "\n".join(item_lines) in rendered
    assert json.loads(find_frame(listing).body)[middle]["id"] in "\n".join(item_lines)  # type: ignore[union-attr]


def test_nothing_dropped_gives_the_listing_back() -> None:
    listing = fixture("cat_n_airlines_json.txt")
    document = content.parse("json_array", listing)
    assert document is not None and document.render(None, REF) == listing
    assert document.render([True] * len(document.units), REF) == listing


def test_lines_no_unit_spans_go_only_between_dropped_units() -> None:
    # lines: "[", item 0, blank, item 1, blank, item 2, "]"
    spans = [range(1, 2), range(3, 4), range(5, 6)]
    assert lines_kept(spans, [True, False, False], 7) == [True, True, True, False, False, False, True]
    assert lines_kept(spans, [False, True, False], 7) == [True, False, True, True, True, False, True]


def check_numbered(lines: list[str], rendered: str, ref: str) -> list[int]:
    """Every rendered line is a listing line as it came (its number with it), or one marker whose
    numbers are exactly those of the lines between its neighbours, "of" the last number, with the
    block's hash. Returns the kept line indices."""
    numbers = [int(line.split("\t")[0]) if "\t" in line else None for line in lines]
    last_number = max(n for n in numbers if n is not None)
    kept: list[int] = []
    position = 0
    for line in rendered.split("\n"):
        if line.startswith("[headroom: omitted lines "):
            marker = find_markers(line)[0]
            assert (marker.hash, marker.total) == (ref, last_number)
            start = position
            while position < len(lines) and (numbers[position] is None or numbers[position] <= marker.last):
                position += 1
            covered = [n for n in numbers[start:position] if n is not None]
            assert (covered[0], covered[-1]) == (marker.first, marker.last), line
            continue
        assert line == lines[position], f"line {position + 1} changed: {line!r}"
        kept.append(position)
        position += 1
    assert position == len(lines)
    return kept


def test_a_dropped_error_line_is_named_by_its_own_number() -> None:
    log = fixture("dpkg.log").split("\n")[:40]
    log[20] = "2025-06-24 14:36:31 ERROR dpkg: error processing package libfoo (--configure)"
    listing = "\n".join(f"{n:6}\t{line}" for n, line in enumerate(log, 101))  # a Read from line 101 on
    document = content.parse("log", listing)
    assert isinstance(document, Framed)
    keep = [not 15 <= index <= 25 for index in range(len(document.units))]
    rendered = document.render(keep, REF)
    (marker_line,) = [line for line in rendered.split("\n") if line.startswith("[headroom: ")]
    (marker,) = find_markers(marker_line)
    assert (marker.first, marker.last, marker.total) == (116, 126, 140)
    (note,) = find_summaries(marker_line)
    assert note.count == 11 and "errors: 1 at lines 121" in marker_line
