"""budget.v1 on hand-built states: per-block and overall token budgets."""

from __future__ import annotations

import json

import pytest

from headroom.stages.budget import Budget, BudgetParams
from tests.helpers import labelled, make_state, openai_tool_turn, run_stage, tool_block

RECORDS = [{"id": f"ord-{1000 + i}", "note": f"record number {i} is fine", "n": i} for i in range(400)]
LOG = "\n".join(
    f"2026-11-27T08:{i // 60 % 60:02d}:{i % 60:02d}Z INFO handled request {i:05d}" for i in range(600)
)


def budget_block(content: str, label: str, *, bias: float = 1.0, model: str = "gpt-4o", pinned=(), **options):
    state = labelled(make_state(openai_tool_turn(content), model, bias={3: bias}, **options), label)
    block = tool_block(state)
    block.pinned = set(pinned)
    return state, block


def kept_tokens(state, block) -> int:
    tokens = state.unit_tokens(block)
    return sum(tokens[i] for i in block.kept_indices())


def test_block_is_cut_to_its_share_of_tokens() -> None:
    state, block = budget_block(json.dumps(RECORDS), "json_array")
    run_stage(Budget(BudgetParams(target_ratio=0.1, min_tokens=0)), state)
    budget = 0.1 * state.block_tokens(block)
    assert 0 < kept_tokens(state, block) <= budget
    assert kept_tokens(state, block) > budget * 0.8  # fills the budget, not far below it
    assert block.notes and block.notes[0].startswith("budget.v1:items 400->")


def test_min_tokens_is_a_floor() -> None:
    state, block = budget_block(json.dumps(RECORDS), "json_array")
    run_stage(Budget(BudgetParams(target_ratio=0.01, min_tokens=2000)), state)
    assert 1500 < kept_tokens(state, block) <= 2000


def test_a_block_already_within_budget_is_untouched() -> None:
    state, block = budget_block(json.dumps(RECORDS[:20]), "json_array")
    run_stage(Budget(BudgetParams(target_ratio=0.5, min_tokens=5000)), state)
    assert block.keep is None and block.notes == []


def test_pinned_units_survive_even_over_budget() -> None:
    pinned = set(range(0, 400, 2))  # half the items
    state, block = budget_block(json.dumps(RECORDS), "json_array", pinned=pinned)
    run_stage(Budget(BudgetParams(target_ratio=0.05, min_tokens=0)), state)
    assert pinned <= set(block.kept_indices())


def test_highest_scores_are_kept_first() -> None:
    state, block = budget_block(json.dumps(RECORDS), "json_array")
    block.scores = [0.0] * 400
    block.scores[321] = 3.0
    block.scores[7] = 2.0
    run_stage(Budget(BudgetParams(target_ratio=0.01, min_tokens=0)), state)
    assert {7, 321} <= set(block.kept_indices())


@pytest.mark.parametrize("bias", [0.5, 2.0])
def test_bias_scales_the_block_budget(bias: float) -> None:
    state, block = budget_block(json.dumps(RECORDS), "json_array")
    run_stage(Budget(BudgetParams(target_ratio=0.1, min_tokens=0)), state)
    biased_state, biased = budget_block(json.dumps(RECORDS), "json_array", bias=bias)
    run_stage(Budget(BudgetParams(target_ratio=0.1, min_tokens=0)), biased_state)
    ratio = kept_tokens(biased_state, biased) / kept_tokens(state, block)
    assert ratio == pytest.approx(bias, rel=0.15)


def test_target_ratio_option_overrides_the_param() -> None:
    state, block = budget_block(json.dumps(RECORDS), "json_array", target_ratio=0.05)
    run_stage(Budget(BudgetParams(target_ratio=0.5, min_tokens=0)), state)
    assert kept_tokens(state, block) <= 0.05 * state.block_tokens(block)


def test_max_tokens_option_shrinks_every_block_to_fit_the_request() -> None:
    state, block = budget_block(json.dumps(RECORDS), "json_array", max_tokens=600)
    run_stage(Budget(BudgetParams(target_ratio=0.5, min_tokens=0)), state)
    fixed = sum(state.block_tokens(b) for b in state.blocks if b is not block)
    assert kept_tokens(state, block) <= 600 - fixed
    assert kept_tokens(state, block) > 0


def test_small_context_window_applies_an_overall_budget() -> None:
    # gpt-4's 8k window x 0.8: the block must shrink below its own 50% budget.
    state, block = budget_block(json.dumps(RECORDS), "json_array", model="gpt-4")
    run_stage(Budget(BudgetParams(target_ratio=0.9, min_tokens=0)), state)
    assert kept_tokens(state, block) + 50 <= int(8_192 * 0.8)


def test_logs_are_cut_by_lines_with_markers() -> None:
    state, block = budget_block(LOG, "log")
    run_stage(Budget(BudgetParams(target_ratio=0.1, min_tokens=0)), state)
    assert 0 < len(block.kept_indices()) < 100
    assert "[headroom: omitted lines" in block.render()


def test_labels_param_limits_what_the_budget_may_cut() -> None:
    state, block = budget_block(LOG, "log")
    run_stage(Budget(BudgetParams(target_ratio=0.1, min_tokens=0, labels=["json_array"])), state)
    assert block.keep is None


# Diffs and git logs: only an overall budget cuts them, and it keeps their structure ---------------


def crushed_then_budgeted(name: str, label: str, question: str, max_tokens: int | None):
    """A real diff or log (tests/git_material.py), scored and crushed, then through the budget."""
    from headroom.stages.crush.diff import CrushDiff
    from headroom.stages.crush.git_log import CrushGitLog
    from headroom.stages.score import Score
    from tests.git_material import saved

    text = saved(name)
    options = {} if max_tokens is None else {"max_tokens": max_tokens}
    state = labelled(make_state(openai_tool_turn(text, question), **options), label)
    run_stage(Score(), state)
    run_stage(CrushDiff() if label == "diff" else CrushGitLog(), state)
    block = tool_block(state)
    crushed = kept_tokens(state, block)
    run_stage(Budget(), state)
    return state, block, text, crushed


def test_a_diff_is_left_as_its_crusher_chose_unless_the_request_is_over_max_tokens() -> None:
    state, block, _, crushed = crushed_then_budgeted(
        "diff_three_files.txt", "diff", "What changed in the unicode escaping helpers?", None
    )
    assert kept_tokens(state, block) == crushed and not any(n.startswith("budget") for n in block.notes)


def test_max_tokens_shrinks_a_diff_by_whole_hunks_keeping_or_listing_every_header() -> None:
    from headroom.content.diff import HUNK
    from headroom.markers import Hunks, find_summaries
    from tests.stages.crush.line_checks import check_lines

    question = "What changed in the unicode escaping helpers?"
    _, _, _, crushed = crushed_then_budgeted("diff_three_files.txt", "diff", question, None)
    state, block, text, _ = crushed_then_budgeted("diff_three_files.txt", "diff", question, crushed // 2)
    assert kept_tokens(state, block) < crushed * 0.75
    document = block.document
    rendered = block.render()
    kept = set(check_lines(text, rendered, block.ref))
    listed = [
        (path, ranges)
        for summary in find_summaries(rendered)
        if isinstance(hunks := summary.entries.get("hunks"), Hunks)
        for path, ranges, _ in hunks.hunks
    ]
    for section in document.sections:
        shown = set(section.header(document.kinds)) <= kept
        for hunk in section.hunks:
            if hunk.start in kept:
                assert shown  # a kept hunk shows its file's header above it
            else:
                ranges = document.units[hunk.start].split(" @@")[0].removeprefix("@@ ")
                assert ("" if shown else section.path, ranges) in listed
                assert not any(i in kept for i in hunk)
    assert any(document.kinds[i] == HUNK for i in kept)


def test_max_tokens_shrinks_a_git_log_by_whole_commits() -> None:
    from tests.stages.crush.line_checks import check_lines

    question = "Which commits touched pyparsing/exceptions.py?"
    _, _, _, crushed = crushed_then_budgeted("log_name_status.txt", "git_log", question, None)
    state, block, text, _ = crushed_then_budgeted("log_name_status.txt", "git_log", question, crushed // 2)
    assert 0 < kept_tokens(state, block) < crushed * 0.75
    kept = set(check_lines(text, block.render(), block.ref))
    document = block.document
    touched = [c for c in document.commits if any(i in kept for i in c.lines)]
    assert touched and len(touched) < len(document.commits)
    for commit in touched:
        assert set(commit.header) <= kept
