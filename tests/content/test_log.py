"""Log templates: lines that differ only in numbers, IDs, hex, UUIDs, IPs or timestamps are one kind."""

from __future__ import annotations

from headroom.content import parse
from headroom.content.log import LogDocument
from headroom.content.templates import field_names, field_values, masked_lines, summarize_fields
from headroom.markers import find_summaries
from tests.stages.crush.line_checks import check_lines, fixture

REF = "0123456789abcdef"


def test_variable_fields_are_masked_so_such_lines_share_a_template() -> None:
    first, second, other = masked_lines(
        "2026-11-27T08:00:01.123Z INFO req=7f3a9c from 10.0.0.12:5432 took 12.5ms"
        " id=3f2a9c1b-7d4e-4f60-9a1b-0123456789ab\n"
        "2026-11-27T08:06:34.001Z INFO req=00ab12 from 10.0.0.7:5432 took 3ms"
        " id=9d2a9c1b-7d4e-4f60-9a1b-0123456789ff\n"
        "2026-11-27T08:06:35.001Z INFO cache warmed"
    )
    assert first == second
    assert first != other
    assert "08:00" not in first and "10.0.0" not in first and "3f2a9c1b" not in first


def test_fields_take_the_name_of_their_key_or_the_word_before_them() -> None:
    (template,) = masked_lines('status=200 took: 12 "user": 7 attempt 3 GET /x HTTP/1.1 libfoo3:amd64')
    # `libfoo3:amd64` is one field: a token runs from its first digit to its last word character.
    assert field_names(template) == ["status", "took", "user", "~attempt", "#HTTP", None]


def test_field_summaries_give_time_ranges_value_counts_and_number_ranges() -> None:
    lines = [
        f"2026-11-27T08:00:{i:02d}Z GET /items status=200 latency_ms={10 + i} attempt {i % 2}"
        for i in range(8)
    ]
    lines.append("2026-11-27T08:00:09Z GET /items status=500 latency_ms=999 attempt 1")
    text = "\n".join(lines)
    templates = masked_lines(text)
    entries = dict(summarize_fields(templates, field_values(text, templates), max_keys=5))
    assert entries["time"] == ("2026-11-27T08:00:00Z", "2026-11-27T08:00:09Z")
    assert entries["status"] == [(200, 8), (500, 1)]
    assert entries["latency_ms"] == (10, 999)
    assert entries["attempt"] == [(1, 5), (0, 4)]  # most common first


def test_middle_instances_of_a_repeated_line_are_repeats_but_still_errors() -> None:
    lines = [f"2026-11-27 08:00:0{i} ERROR connect to 10.0.0.{i}:5432 failed (attempt {i})" for i in range(5)]
    lines.insert(2, "2026-11-27 08:00:09 ERROR giving up on order ord-88231")
    document = LogDocument.parse("\n".join(lines))
    assert document.repeats() == {1, 3, 4}
    # Whether a repeated error may go is the score stage's choice (signals.kept_signals), by count.
    assert document.error_signals() == [1.0] * 6


TRACE = [
    "ERROR request failed",
    "Traceback (most recent call last):",
    '  File "/srv/app.py", line 10, in handle',
    "    fetch()",
    "TimeoutError: upstream took 30s",
]


def test_a_trace_repeated_line_for_line_is_a_repeat_but_keeps_its_anchors_while_traces_are_few() -> None:
    lines = [line for i in range(4) for line in (*[f"INFO tick {i}.{k}" for k in range(30)], *TRACE)]
    document = LogDocument.parse("\n".join(lines))
    traces = document.groups()
    assert len(traces) == 4
    assert [document.trace_is_repeat(trace) for trace in traces] == [False, True, True, False]
    anchors = document.anchors()
    for trace in traces:
        assert {trace.start - 1, trace.start, trace.start + 1, trace.stop - 1} <= anchors  # ERROR line too


def test_when_repeated_traces_are_too_many_only_the_first_and_last_of_a_shape_keep_anchors() -> None:
    # 12 traces of 5 anchors each in 72 lines: more anchors than signal_limit allows.
    lines = [line for i in range(12) for line in (f"INFO tick {i}", *TRACE)]
    document = LogDocument.parse("\n".join(lines))
    traces = document.groups()
    assert len(traces) == 12
    anchored = {i for trace in traces for i in trace} & document.anchors()
    assert anchored <= set(traces[0]) | set(traces[-1])


def test_a_rare_value_among_many_lines_of_one_template_is_an_anomaly() -> None:
    lines = [f"GET /api/items/{i} status=200 in {i % 9}ms" for i in range(200)]
    lines[137] = "GET /api/items/137 status=503 in 4ms"
    signals = LogDocument.parse("\n".join(lines)).anomaly_signals()
    assert [i for i, signal in enumerate(signals) if signal] == [137]


def test_a_dropped_run_says_which_kept_line_it_is_like_and_how_its_fields_vary() -> None:
    lines = [f"2026-11-27T08:00:{i:02d}Z INFO GET /health status=200 took {i % 4}ms" for i in range(40)]
    document = LogDocument.parse("\n".join(lines))
    keep = [True] * 2 + [False] * 37 + [True]
    rendered = document.render(keep, REF)
    (summary,) = find_summaries(rendered)
    assert summary.count == 37
    assert summary.entries["same_shape_as_line"] == [(1, 37)]
    assert summary.entries["time"] == ("2026-11-27T08:00:02Z", "2026-11-27T08:00:38Z")
    assert summary.entries["status"] == [(200, 37)]
    check_lines(document.text, rendered, REF)


def test_the_log_label_parses_to_a_log_document_that_reads_real_logs() -> None:
    text = fixture("payments_client_errors.log")
    document = parse("log", text)
    assert isinstance(document, LogDocument)
    # 600 lines of three kinds of error, one of them said once.
    assert len(set(document.template_ids())) <= 5
