"""Line documents: units are lines, markers number lines from 1, stack traces are groups."""

from __future__ import annotations

import json
import re

from headroom import samples
from headroom.content.lines import LinesDocument
from headroom.markers import find_markers, omitted
from tests.stages.crush.line_checks import fixture

REF = "0123456789abcdef"

PY_TRACE = [
    "2026-11-27T08:00:00Z ERROR request failed",
    "Traceback (most recent call last):",
    '  File "/srv/a.py", line 1, in f',
    "    g()",
    '  File "/srv/b.py", line 2, in g',
    "    raise ValueError('x')",
    "ValueError: x",
    "2026-11-27T08:00:01Z INFO recovered",
]


def test_units_are_lines_and_nothing_dropped_renders_the_original() -> None:
    text = "a\n\nb\n"
    document = LinesDocument.parse(text)
    assert document.units == ["a", "", "b", ""]
    assert document.render(None, REF) == text
    assert document.render([True] * 4, REF) == text


def test_each_dropped_run_becomes_one_marker_line_numbered_from_1() -> None:
    document = LinesDocument.parse("\n".join(f"line {i}" for i in range(1, 11)))
    keep = [True, False, False, True, True, True, False, False, False, True]
    rendered = document.render(keep, REF)
    assert rendered.split("\n") == [
        "line 1",
        omitted("lines", 2, 3, 10, REF),
        "line 4",
        "line 5",
        "line 6",
        omitted("lines", 7, 9, 10, REF),
        "line 10",
    ]
    markers = find_markers(rendered)
    assert [(m.first, m.last, m.total) for m in markers] == [(2, 3, 10), (7, 9, 10)]


def test_kept_lines_are_verbatim() -> None:
    lines = ["  indented\t", "trailing   ", "ünïcode ✓"]
    document = LinesDocument.parse("\n".join([*lines, "dropped"]))
    assert document.render([True, True, True, False], REF).split("\n")[:3] == lines


def test_error_signals_per_line() -> None:
    document = LinesDocument.parse("all fine\nWARNING disk at 91%\nERROR disk full\n\nFATAL: gone")
    assert document.error_signals() == [0.0, 0.5, 1.0, 0.0, 1.0]


def test_error_signals_with_text_that_changes_length_when_lower_cased() -> None:
    # "İ" lower-cases to two characters; the offsets must not drift onto the wrong line.
    document = LinesDocument.parse("İİİİ fine\nall good\nERROR here\nok")
    assert document.error_signals() == [0.0, 0.0, 1.0, 0.0]


def test_python_trace_is_a_group_with_header_frames_and_exception_line_as_anchors() -> None:
    document = LinesDocument.parse("\n".join(PY_TRACE))
    assert document.groups() == [range(1, 7)]
    # The ERROR line above it, the header, each end frame with its source line, the exception line.
    assert document.anchors() == {0, 1, 2, 3, 4, 5, 6}


def test_java_and_javascript_traces_are_groups() -> None:
    lines = [
        "INFO start",
        "java.lang.IllegalStateException: boom",
        "\tat com.acme.A.f(A.java:1)",
        "\tat com.acme.B.g(B.java:2)",
        "INFO between",
        "TypeError: x is undefined",
        "    at f (/srv/a.js:1:1)",
        "    at g (/srv/b.js:2:2)",
        "INFO end",
    ]
    document = LinesDocument.parse("\n".join(lines))
    assert document.groups() == [range(1, 4), range(5, 8)]
    assert document.anchors() == {1, 2, 3, 5, 6, 7}


def test_sample_log_traces_have_their_first_and_last_frames_as_anchors() -> None:
    text, facts = samples.application_log()
    document = LinesDocument.parse(text)
    assert len(document.groups()) == 3
    anchored = {document.units[i] for i in document.anchors()}
    for frame in facts["trace_first_frames"] + facts["trace_last_frames"]:
        assert frame in anchored


def test_a_log_without_traces_has_no_groups() -> None:
    document = LinesDocument.parse("\n".join(f"INFO line {i}" for i in range(50)))
    assert document.groups() == []
    assert document.anchors() == set()


def test_render_is_valid_for_json_unrelated_text() -> None:
    # Lines are never parsed: any text is a valid line document.
    text = json.dumps({"not": "lines"})
    assert LinesDocument.parse(text).render(None, REF) == text


def test_unable_cannot_and_missing_files_read_as_errors() -> None:
    from headroom.content.signals import text_error_signal

    assert (
        text_error_signal(
            "start-stop-daemon: unable to stat /usr/libexec/polkitd (No such file or directory)"
        )
        == 1.0
    )
    assert text_error_signal("cp: cannot create regular file") == 1.0
    assert text_error_signal("Setting up nodejs (20.20.2-1) ...") == 0.0


# Real traces, as this machine's runtimes print them (tests/fixtures/tool_output; Go's is written
# by hand in its runtime's format, as no Go toolchain is installed here).


def _trace_document(name: str) -> tuple[LinesDocument, list[str]]:
    lines = fixture(name).rstrip("\n").split("\n")
    return LinesDocument.parse("\n".join(lines)), lines


def _frames(lines: list[str], pattern: str) -> list[int]:
    return [i for i, line in enumerate(lines) if re.match(pattern, line)]


def test_a_jvm_trace_keeps_its_exception_each_cause_and_its_first_and_last_frame() -> None:
    text = fixture("jvm_uncaught_traces.txt").split("\n\n")[0]
    lead = "2026-11-27 10:07:26,885 ERROR [billing-worker-1] c.a.b.Worker - uncaught exception"
    document = LinesDocument.parse(lead + "\n" + text)
    lines = document.units
    (trace,) = document.groups()
    frames = _frames(lines, r"\tat ")
    anchored = document.anchors()
    assert {0, trace.start, frames[0], frames[-1]} <= anchored  # the ERROR line above it too
    assert {i for i, line in enumerate(lines) if line.startswith("Caused by:")} <= anchored
    assert not {frames[1], frames[2]} & anchored  # middle frames may go


def test_a_python_traceback_with_carets_is_one_trace_ending_in_its_exception() -> None:
    document, lines = _trace_document("python_json_traceback.txt")
    (trace,) = document.groups()
    assert trace == range(0, len(lines))
    frames = _frames(lines, r'  File "')
    anchored = document.anchors()
    assert {0, frames[0], frames[0] + 1, frames[-1], frames[-1] + 1, len(lines) - 1} <= anchored
    assert lines[-1].startswith("json.decoder.JSONDecodeError")


def test_a_node_trace_keeps_its_error_and_end_frames() -> None:
    document, lines = _trace_document("node_type_error.txt")
    (trace,) = document.groups()
    frames = _frames(lines, r"    at ")
    assert lines[trace.start].startswith("TypeError:")
    assert {trace.start, frames[0], frames[-1]} <= document.anchors()


def test_a_rust_backtrace_is_one_trace_from_the_panic_with_its_message() -> None:
    document, lines = _trace_document("rust_panic_backtrace.txt")
    (trace,) = document.groups()
    panic = next(i for i, line in enumerate(lines) if "panicked at" in line)
    assert trace.start == panic
    numbered = _frames(lines, r"\s+\d+: ")
    anchored = document.anchors()
    # The panic and its message, the first and last frame with the lines naming them.
    assert {panic, panic + 1, numbered[0], numbered[0] + 1, numbered[-1], numbered[-1] + 1} <= anchored
    assert not set(numbered[2:-2]) & anchored


def test_a_go_panic_is_one_trace_from_the_panic_through_its_goroutines() -> None:
    document, lines = _trace_document("go_nil_pointer_panic.txt")
    (trace,) = document.groups()
    assert trace.start == 0 and lines[0].startswith("panic: ")
    locations = _frames(lines, r"\t/")
    anchored = document.anchors()
    assert {0, 1, locations[0] - 1, locations[0], locations[-1] - 1, locations[-1]} <= anchored
    assert not set(locations[1:-1]) & anchored
