"""Checks shared by the tests of the line crushers (search, diff, shell, log), and their fixtures."""

from __future__ import annotations

from pathlib import Path

from headroom.markers import RETRIEVAL_NOTE_PATTERN, Scalar, Summary, find_markers, find_summaries

FIXTURES = Path(__file__).parents[2] / "fixtures" / "tool_output"


def fixture(name: str) -> str:
    """A saved tool output, byte for byte (carriage returns included)."""
    return (FIXTURES / name).read_bytes().decode("utf-8")


def check_lines(original: str, rendered: str, ref: str) -> list[int]:
    """Every rendered line is an original line (verbatim, in order) or one marker standing for
    exactly the lines between its neighbours, with the block's hash and, when it carries one, a
    summary of as many lines. Returns the kept line indices (from 0).

    This is fidelity in full: nothing invented, nothing reordered, every elision marked in place,
    no two markers overlapping, and the whole original covered."""
    lines = original.split("\n")
    out = rendered.split("\n")
    if out and RETRIEVAL_NOTE_PATTERN.fullmatch(out[-1]):
        out = out[:-1]  # the cache stage's closing note
    kept: list[int] = []
    position = 0
    for line in out:
        if line.startswith("[headroom: omitted lines "):
            (marker, *others) = find_markers(line)
            assert not others, line
            assert (marker.hash, marker.total, marker.first) == (ref, len(lines), position + 1), line
            assert marker.last >= marker.first
            for note in find_summaries(line):
                assert (note.count, note.unit) == (marker.last - marker.first + 1, "lines"), line
            position = marker.last
            continue
        assert position < len(lines), f"extra line {line!r}"
        assert line == lines[position], f"line {position + 1} changed: {line!r}"
        kept.append(position)
        position += 1
    assert position == len(lines), "the end of the original is neither kept nor marked"
    return kept


def summaries_of(rendered: str) -> list[str]:
    """The marker lines of a rendering that carry a summary."""
    return [line for line in rendered.split("\n") if "[headroom: summary of " in line]


def counts(summary: Summary, key: str) -> list[tuple[Scalar, int]]:
    """A summary entry written as `value xCOUNT, ...` (empty when the summary has no such key)."""
    entry = summary.entries.get(key, [])
    assert isinstance(entry, list), f"{key} is a range, not counts"
    return entry


def value_range(summary: Summary, key: str) -> tuple[Scalar, Scalar]:
    """A summary entry written as `MIN..MAX`."""
    entry = summary.entries[key]
    assert isinstance(entry, tuple), f"{key} is counts, not a range"
    return entry
