"""crush.json.v1 and crush.log.v1 on hand-built states: what they keep, how they re-encode."""

from __future__ import annotations

import json

import pytest

from headroom.markers import find_markers
from headroom.stages.crush.json import CrushJson, JsonParams
from headroom.stages.crush.log import CrushLog, LogParams
from tests.helpers import labelled, make_state, openai_tool_turn, run_stage, tool_block

RECORDS = [
    {"id": f"ord-{1000 + i}", "customer": f"cust-{(i * 37) % 997}", "amount": i * 3 + 1, "status": "ok"}
    for i in range(100)
]


def json_block(value: object = RECORDS, *, bias: float = 1.0, indent: int | None = 2):
    state = labelled(
        make_state(openai_tool_turn(json.dumps(value, indent=indent)), bias={3: bias}), "json_array"
    )
    return state, tool_block(state)


def crush_json(value: object = RECORDS, *, bias: float = 1.0, pinned=(), scores=None, keep=None, **params):
    # These tests count what the capacities keep; the rows the record rules add (the extremes of
    # `amount` here) are tested in tests/content/test_records.py and tests/stages/crush.
    params.setdefault("keep_notable", False)
    state, block = json_block(value, bias=bias)
    block.pinned = set(pinned)
    block.scores = scores
    block.keep = keep
    run_stage(CrushJson(JsonParams(**params)), state)
    return block


# crush.json.v1 ----------------------------------------------------------------------------


def test_lossless_keeps_every_item_and_re_encodes_the_same_values() -> None:
    block = crush_json(policy="lossless", encoding="json")
    assert block.keep is None
    rendered = block.render()
    assert json.loads(rendered) == RECORDS
    assert len(rendered) < len(block.text)
    assert block.notes == ["crush.json.v1:items 100->100 (json)"]


def test_lossy_keeps_max_items_plus_first_and_last() -> None:
    block = crush_json(policy="lossy", max_items=10, keep_first=2, keep_last=1, encoding="json")
    kept = block.kept_indices()
    assert {0, 1, 99} <= set(kept)
    assert 10 <= len(kept) <= 13
    values = json.loads(block.render())
    assert [v for v in values if isinstance(v, dict)] == [RECORDS[i] for i in kept]
    markers = find_markers(block.render())
    assert sum(m.last - m.first + 1 for m in markers) == 100 - len(kept)
    assert all(m.total == 100 and m.hash == block.ref for m in markers)


def test_ties_are_spread_over_the_whole_array_not_bunched_at_the_start() -> None:
    block = crush_json(policy="lossy", max_items=8, keep_first=0, keep_last=0, encoding="json")
    kept = block.kept_indices()
    assert len(kept) == 8
    assert max(kept) >= 75 and min(kept) <= 25


def test_highest_scores_win() -> None:
    scores = [0.0] * 100
    for index in (13, 57, 88):
        scores[index] = 5.0
    block = crush_json(policy="lossy", max_items=3, keep_first=0, keep_last=0, scores=scores)
    assert block.kept_indices() == [13, 57, 88]


def test_pinned_items_survive_beyond_max_items() -> None:
    pinned = set(range(0, 100, 4))  # 25 pinned, capacity 2
    block = crush_json(policy="lossy", max_items=2, keep_first=0, keep_last=0, pinned=pinned)
    assert pinned <= set(block.kept_indices())
    assert len(block.kept_indices()) == 27


def test_an_item_dropped_earlier_never_comes_back() -> None:
    keep = [i % 2 == 0 for i in range(100)]
    scores = [1.0 if i % 2 else 0.0 for i in range(100)]  # the dropped ones score best
    block = crush_json(policy="lossy", max_items=10, scores=scores, keep=keep, pinned={1, 3})
    kept = set(block.kept_indices())
    assert kept and all(i % 2 == 0 for i in kept)


def test_short_arrays_are_only_re_encoded() -> None:
    value = RECORDS[:12]
    block = crush_json(value, policy="lossy", max_items=1, min_items=12, encoding="json")
    assert block.keep is None
    assert json.loads(block.render()) == value


@pytest.mark.parametrize(("bias", "expected"), [(0.5, 5), (1.0, 10), (2.0, 20), (3.0, 30)])
def test_bias_scales_capacity_in_proportion(bias: float, expected: int) -> None:
    block = crush_json(policy="lossy", max_items=10, keep_first=0, keep_last=0, bias=bias)
    assert len(block.kept_indices()) == expected


def test_auto_prefers_keeping_everything_when_the_selection_is_not_smaller() -> None:
    tiny = list(range(100))  # each marker is longer than the numbers it replaces
    lossy = crush_json(tiny, policy="lossy", max_items=50, keep_first=0, keep_last=0, encoding="json")
    auto = crush_json(tiny, policy="auto", max_items=50, keep_first=0, keep_last=0, encoding="json")
    assert lossy.keep is not None
    assert auto.keep is None
    assert json.loads(auto.render()) == tiny
    assert len(auto.render()) < len(lossy.render())


def test_auto_selects_when_selection_is_smaller() -> None:
    block = crush_json(policy="auto", max_items=5, encoding="json")
    assert block.keep is not None
    assert len(block.render()) < len(json.dumps(RECORDS, separators=(",", ":")))


def test_table_encoding_when_asked_and_when_smaller() -> None:
    table = crush_json(policy="lossless", encoding="table")
    rendered = table.render()
    assert rendered.startswith("[headroom: table of 100 items;")
    assert 'constant={"status":"ok"}' in rendered
    assert len(rendered.split("\n")) == 101
    auto = crush_json(policy="lossless", encoding="auto")
    assert auto.render() == rendered  # uniform records: the table is the smaller form
    assert auto.notes == ["crush.json.v1:items 100->100 (table)"]


def test_protected_blocks_and_non_arrays_are_not_touched() -> None:
    state, block = json_block()
    block.protected = "recent tool output"
    run_stage(CrushJson(JsonParams(policy="lossy", max_items=1)), state)
    assert block.keep is None and block.notes == []
    state = labelled(make_state(openai_tool_turn("[not json")), "json_array")
    run_stage(CrushJson(JsonParams(policy="lossy", max_items=1)), state)
    assert tool_block(state).notes == []


# crush.log.v1 -----------------------------------------------------------------------------


def log_lines(count: int = 200, *, error_at=(100,), warning_at=(150,)) -> list[str]:
    lines = []
    for i in range(count):
        level = "ERROR" if i in error_at else "WARNING" if i in warning_at else "INFO"
        lines.append(
            f"2026-11-27T08:{i // 60:02d}:{i % 60:02d}Z {level} [svc-{i % 7}] handled request {i:05d} ok"
        )
    return lines


def crush_log(lines: list[str], *, scores=None, pinned=(), bias: float = 1.0, **params):
    state = labelled(make_state(openai_tool_turn("\n".join(lines)), bias={3: bias}), "log")
    block = tool_block(state)
    block.scores = scores
    block.pinned = set(pinned)
    run_stage(CrushLog(LogParams(**params)), state)
    return block


def test_log_keeps_head_tail_and_errors_and_warnings_with_context() -> None:
    block = crush_log(log_lines())
    expected = [*range(5), *range(98, 103), *range(148, 153), *range(195, 200)]
    assert block.kept_indices() == expected
    rendered = block.render().split("\n")
    # One marker line per dropped run, in place (it may carry a marked summary after it).
    assert [(m.first, m.last, m.total, m.hash) for m in find_markers(rendered[5])] == [
        (6, 98, 200, block.ref)
    ]
    assert block.notes == ["crush.log.v1:lines 200->20"]


def test_kept_log_lines_are_verbatim_and_in_order() -> None:
    lines = log_lines()
    block = crush_log(lines)
    rendered = [line for line in block.render().split("\n") if not line.startswith("[headroom:")]
    assert rendered == [lines[i] for i in block.kept_indices()]


def test_keep_warnings_false_drops_warning_context() -> None:
    block = crush_log(log_lines(), keep_warnings=False)
    assert 150 not in block.kept_indices()
    assert 100 in block.kept_indices()


def test_short_logs_and_lossless_policy_are_left_whole() -> None:
    assert crush_log(log_lines(40)).keep is None
    assert crush_log(log_lines(), policy="lossless").keep is None


def test_traces_are_kept_whole_or_by_their_ends() -> None:
    lines = log_lines(error_at=(), warning_at=())
    trace = ["Traceback (most recent call last):"]
    for depth in range(6):
        trace += [f'  File "/srv/app/mod{depth}.py", line {depth + 1}, in f{depth}', f"    call_{depth}()"]
    trace.append("RuntimeError: gone")
    lines[80:80] = trace  # 14 lines at 80..93
    whole = crush_log(lines, context_lines=0)
    assert set(range(80, 94)) <= set(whole.kept_indices())
    ends = crush_log(lines, context_lines=0, max_trace_lines=4)
    kept = set(ends.kept_indices())
    assert {80, 81, 92, 93} <= kept
    assert not kept & set(range(83, 91))


def test_query_relevant_lines_come_from_scores_above_one_half() -> None:
    lines = log_lines(error_at=(), warning_at=())
    scores = [0.0] * len(lines)
    scores[60] = 0.9
    scores[120] = 0.4
    block = crush_log(lines, scores=scores)
    assert 60 in block.kept_indices()
    assert 120 not in block.kept_indices()
    assert 60 not in crush_log(lines, scores=scores, max_relevant_lines=0).kept_indices()


def test_pinned_lines_always_survive() -> None:
    block = crush_log(log_lines(error_at=(), warning_at=()), pinned={77, 133})
    assert {77, 133} <= set(block.kept_indices())


def test_small_gaps_are_filled_rather_than_marked() -> None:
    lines = log_lines(error_at=(20, 23), warning_at=())  # contexts 18-22 and 21-25: no gap
    block = crush_log(lines, pinned={27})  # one dropped line (26) between 25 and 27: cheaper than a marker
    assert 26 in block.kept_indices()


def test_log_bias_keeps_more_head_tail_and_context() -> None:
    lines = log_lines()
    assert len(crush_log(lines, bias=2.0).kept_indices()) > len(crush_log(lines).kept_indices())
    assert len(crush_log(lines, bias=0.5).kept_indices()) < len(crush_log(lines).kept_indices())
