"""crush.log.v1 template collapse: an example per kind of line, repeats summarised, distinct errors kept."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from headroom import compress, retrieve
from headroom.ccr.stores import MemoryStore
from headroom.content.log import LogDocument
from headroom.content.signals import signal_limit, text_error_signal
from headroom.markers import Positions, find_markers, find_summaries
from headroom.stages.crush.log import CrushLog, LogParams
from headroom.stages.score import Score
from headroom.tokens import count_tokens
from tests.helpers import labelled, make_state, openai_tool_turn, run_stage, tool_block
from tests.stages.crush.common import compressed
from tests.stages.crush.line_checks import check_lines, counts, fixture, value_range

ERRORS = fixture("payments_client_errors.log")
ACCESS = fixture("http_server_access.log")


def crushed(
    text: str,
    query: str = "Why are payments failing?",
    *,
    score: bool = True,
    bias: float = 1.0,
    **params: Any,
) -> Any:
    messages = openai_tool_turn(text, query, tool="read_log", arguments={"path": "/var/log/service.log"})
    state = labelled(make_state(messages, bias={3: bias}), "log")
    if score:
        run_stage(Score(), state)
    run_stage(CrushLog(LogParams(**params)), state)
    return tool_block(state)


def test_a_log_where_every_line_is_an_error_keeps_each_kind_first_and_last_and_compresses() -> None:
    block = crushed(ERRORS)
    document = block.document
    assert isinstance(document, LogDocument)
    kept = check_lines(ERRORS, block.render(), block.ref)
    ids = document.template_ids()
    for template in set(ids):
        instances = [i for i, t in enumerate(ids) if t == template and document.units[i]]
        if instances:
            assert instances[0] in kept and instances[-1] in kept
    assert any("giving up on order ord-88231" in document.units[i] for i in kept)
    assert count_tokens(block.render()) < 0.1 * count_tokens(ERRORS)


def test_collapsed_runs_name_the_kept_line_they_are_like_and_their_field_ranges() -> None:
    block = crushed(ERRORS)
    rendered = block.render()
    original = ERRORS.split("\n")
    shown = rendered.split("\n")
    checked = 0
    for line in shown:
        summaries, markers = find_summaries(line), find_markers(line)
        if not summaries:
            continue
        (summary,) = summaries
        span = original[markers[0].first - 1 : markers[0].last]
        for example, _ in counts(summary, "same_shape_as_line"):
            assert isinstance(example, int) and original[example - 1] in shown  # the example is on show
        errno = sum(1 for text in span if "[Errno 111]" in text)
        assert summary.entries["Errno"] == [(111, errno)]
        attempts = [int(text.split("(attempt ")[1][0]) for text in span if "(attempt " in text]
        assert value_range(summary, "attempt") == (min(attempts), max(attempts))
        checked += 1
    assert checked >= 2


def test_without_collapsing_repeats_every_error_is_kept() -> None:
    block = crushed(ERRORS, collapse_repeats=False)
    assert len(block.kept_indices()) >= 600


def test_repeated_traces_keep_the_first_and_last_whole_and_the_middle_is_summarised() -> None:
    trace = [
        "2026-11-27T08:00:00Z ERROR [checkout] unhandled exception",
        "Traceback (most recent call last):",
        '  File "/srv/app/handlers/checkout.py", line 88, in handle',
        "    order = self.orders.load(order_id)",
        '  File "/srv/app/db/pool.py", line 133, in fetch_one',
        "    raise PoolTimeout('no connection')",
        "app.db.pool.PoolTimeout: no connection within 5.0s",
    ]
    lines: list[str] = []
    for i in range(12):
        lines += [f"2026-11-27T08:00:{i:02d}Z INFO [checkout] GET /cart/{i} 200 {i + 3}ms"] * 3
        lines += trace
    text = "\n".join(lines)
    block = crushed(text, "what failed?", head_lines=0, tail_lines=0)
    document = block.document
    assert isinstance(document, LogDocument)
    kept = set(check_lines(text, block.render(), block.ref))
    traces = document.groups()
    assert len(traces) == 12
    assert set(traces[0]) <= kept and set(traces[-1]) <= kept
    assert not any(set(trace) & kept for trace in traces[2:-2])


def test_a_rare_status_among_many_requests_is_kept() -> None:
    lines = [
        f"2026-11-27T08:{i // 60:02d}:{i % 60:02d}Z INFO GET /api/items/{i} status=200 took {i % 9}ms"
        for i in range(600)
    ]
    lines[377] = "2026-11-27T08:06:17Z INFO GET /api/items/377 status=503 took 4ms"
    block = crushed("\n".join(lines), "anything odd?")
    assert 377 in block.kept_indices()


def test_one_example_of_each_kind_of_line_is_kept_up_to_max_templates_scaled_by_bias() -> None:
    kinds = [f"worker-{k} finished batch" for k in "abcdefghij"]
    lines = [f"2026-11-27T08:00:{i % 60:02d}Z INFO {kinds[i % 10]} {i}" for i in range(500)]
    text = "\n".join(lines)
    few = crushed(text, "status?", score=False, head_lines=0, tail_lines=0, max_templates=3)
    assert len(few.kept_indices()) == 3
    more = crushed(text, "status?", score=False, head_lines=0, tail_lines=0, max_templates=3, bias=2.0)
    assert len(more.kept_indices()) == 6


def test_the_request_id_asked_about_survives() -> None:
    text = ACCESS
    block = crushed(text, "What happened to request req=58527?")
    assert any(
        "req=58527" in line for line in block.render().split("\n") if not line.startswith("[headroom:")
    )


def test_access_log_keeps_an_example_of_the_404s_and_compresses() -> None:
    block = crushed(ACCESS, "Which requests failed?")
    kept = [ACCESS.split("\n")[i] for i in check_lines(ACCESS, block.render(), block.ref)]
    assert any('" 404 -' in line for line in kept)
    assert any("code 404, message File not found" in line for line in kept)
    assert count_tokens(block.render()) < 0.1 * count_tokens(ACCESS)


def test_compress_end_to_end_on_the_error_log() -> None:
    store = MemoryStore()
    result = compress(openai_tool_turn(ERRORS, "Why are payments failing?"), store=store)
    output = result.messages[-1]["content"]
    assert "giving up on order ord-88231" in output
    (ref,) = {marker.hash for marker in find_markers(output)}
    assert retrieve(ref, store) == ERRORS
    check_lines(ERRORS, output, ref)
    again = compress(openai_tool_turn(ERRORS, "Why are payments failing?"), store=MemoryStore())
    assert again.messages[-1]["content"] == output


# Signals and traces are never summarised away ------------------------------------------------


def repeated_trace_log(trace_file: str, total: int = 2000, seed: int = 5) -> tuple[str, list[range]]:
    """A `total`-line application log with three traces of one shape (real JVM output, one run per
    trace), each after the ERROR line that reports it, at a quarter, half and three quarters.
    Returns the text and, per trace, the range of its lines with the ERROR line first."""
    traces = [trace.strip("\n").split("\n") for trace in fixture(trace_file).split("\n\n")]
    rng = random.Random(seed)
    lines: list[str] = []
    spans: list[range] = []
    second = 0
    while len(lines) < total:
        second += rng.randint(0, 2)
        stamp = f"2026-11-27 10:{second // 60 % 60:02d}:{second % 60:02d},{rng.randint(0, 999):03d}"
        if len(spans) < 3 and len(lines) >= total * (len(spans) + 1) // 4:
            trace = traces[len(spans)]
            lines.append(f"{stamp} ERROR [billing-worker-{len(spans) + 1}] c.a.b.Worker - uncaught exception")
            spans.append(range(len(lines) - 1, len(lines) + len(trace)))
            lines.extend(trace)
            continue
        lines.append(
            f"{stamp} INFO  [http-{rng.randint(1, 8)}] c.a.b.Api - GET /v1/invoices/"
            f"{rng.randint(1000, 9999)} "
            f"200 {rng.randint(3, 90)}ms"
        )
    return "\n".join(lines[:total]), spans


def must_survive(lines: list[str], span: range) -> set[int]:
    """By rule, from the original: a trace's ERROR line, its exception and `Caused by:` lines, and
    its first and last `at` frame."""
    frames = [i for i in span if lines[i].startswith("\tat ")]
    exceptions = {
        i for i in span if re.match(r"(?:Caused by: |Exception in thread |[\w.]+Exception: )", lines[i])
    }
    return {span.start, frames[0], frames[-1]} | exceptions


@pytest.mark.parametrize("trace_file", ["jvm_uncaught_traces.txt", "jvm_deep_traces.txt"])
def test_three_traces_of_one_shape_each_keep_their_error_exceptions_and_end_frames(trace_file: str) -> None:
    text, spans = repeated_trace_log(trace_file)
    lines = text.split("\n")
    output, store = compressed(text, "Why did invoices fail to close?")
    (ref,) = {marker.hash for marker in find_markers(output)}
    kept = set(check_lines(text, output, ref))
    for span in spans:
        assert must_survive(lines, span) <= kept, span
    assert count_tokens(output) < 0.1 * count_tokens(text)
    assert retrieve(ref, store) == text


def test_the_middle_of_a_deep_repeated_trace_is_summarised_not_the_trace() -> None:
    text, spans = repeated_trace_log("jvm_deep_traces.txt")
    block = crushed(text, "Why did settlement fail?", max_trace_lines=12)
    kept = set(check_lines(text, block.render(), block.ref))
    middle = spans[1]
    assert not set(middle) <= kept  # its middle frames went: the first trace shows the shape
    assert must_survive(text.split("\n"), middle) <= kept


def test_a_few_repeated_errors_all_survive() -> None:
    rng = random.Random(3)
    lines = [
        f"2026-11-27T08:{i // 60 % 60:02d}:{i % 60:02d}Z INFO served /v1/items/{rng.randint(1, 999)}"
        for i in range(2000)
    ]
    errors = sorted(rng.sample(range(10, 1990), 30))
    for i in errors:
        lines[i] = (
            f"2026-11-27T08:{i // 60 % 60:02d}:{i % 60:02d}Z ERROR payment p-{i} declined: upstream timed out"
        )
    text = "\n".join(lines)
    block = crushed(text, "what went wrong?")
    assert set(errors) <= set(check_lines(text, block.render(), block.ref))


def test_when_errors_are_too_many_each_kind_keeps_its_ends_and_summaries_say_where_the_rest_are() -> None:
    block = crushed(ERRORS)
    rendered = block.render()
    original = ERRORS.split("\n")
    kept = set(check_lines(ERRORS, rendered, block.ref))
    error_lines = {i for i, line in enumerate(original) if text_error_signal(line) >= 1.0}
    assert len(error_lines) > signal_limit(len(original))
    listed: set[int] = set()
    for line in rendered.split("\n"):
        for marker, found in zip(find_markers(line), find_summaries(line), strict=False):
            run = set(range(marker.first - 1, marker.last))
            where = found.entries["errors"]
            assert isinstance(where, Positions) and where.complete
            assert {n - 1 for n in where.numbers()} == run & error_lines  # exactly the run's errors
            assert where.count == len(run & error_lines)
            listed |= run & error_lines
    assert error_lines <= kept | listed  # each error is shown or its line number is given
