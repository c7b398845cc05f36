"""classify.v1 on a hand-built state: labels and protection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from headroom.content.detect import LIKELY, Candidate, Detection, detect
from headroom.pipeline.stage import BlockState
from headroom.stages import classify as classify_module
from headroom.stages.classify import Classify, ClassifyParams
from headroom.stages.crush.scoring import request_words
from tests.helpers import make_state, openai_tool_turn, run_stage, tool_block

BIG_LOG = "\n".join(f"2026-11-27T08:00:{i % 60:02d}Z INFO [api] GET /items/{i} 200" for i in range(100))
BIG_JSON = json.dumps([{"id": i, "name": f"item {i}"} for i in range(100)], indent=2)


def classify(messages: list, **params: object):
    return run_stage(Classify(ClassifyParams(**params)), make_state(messages))


def test_labels_every_block_and_leaves_only_large_tool_output_unprotected() -> None:
    state = classify(openai_tool_turn(BIG_LOG, "what happened?"))
    summary = [(b.block.origin, b.label, b.protected) for b in state.blocks]
    assert summary == [
        ("system", "prose", "system text"),
        ("user", "prose", "user text"),
        ("tool", "log", None),
    ]
    assert tool_block(state).compressible


def test_small_tool_outputs_are_protected_by_min_tokens() -> None:
    state = classify(openai_tool_turn("ERROR short output"))
    assert tool_block(state).protected == "under 200 tokens"
    state = classify(openai_tool_turn("ERROR short output"), min_tokens=0)
    assert tool_block(state).protected is None


@pytest.mark.parametrize(
    ("param", "origin"),
    [("protect_system", "system"), ("protect_user", "user"), ("protect_assistant", "assistant")],
)
def test_role_protection_can_be_turned_off(param: str, origin: str) -> None:
    messages = [
        {"role": "system", "content": BIG_LOG},
        {"role": "user", "content": BIG_LOG},
        {"role": "assistant", "content": BIG_LOG},
    ]
    protected = {b.block.origin: b.protected for b in classify(messages).blocks}
    assert protected == {"system": "system text", "user": "user text", "assistant": "assistant text"}
    unprotected = {b.block.origin: b.protected for b in classify(messages, **{param: False}).blocks}
    assert unprotected[origin] is None
    assert all(value is not None for key, value in unprotected.items() if key != origin)


def test_unknown_roles_are_always_protected() -> None:
    state = classify([{"role": "robot", "content": BIG_LOG}], min_tokens=0)
    assert state.blocks[0].protected == "unknown role"


def test_whitespace_only_output_is_empty_and_protected() -> None:
    state = classify(openai_tool_turn(" " * 2000))
    assert tool_block(state).label == "empty"
    assert tool_block(state).protected == "empty"


def test_protect_recent_tool_outputs_counts_messages_from_the_end() -> None:
    messages = [
        {"role": "user", "content": "go"},
        {"role": "tool", "tool_call_id": "a", "content": BIG_LOG},
        {"role": "tool", "tool_call_id": "b", "content": BIG_JSON},
        {"role": "tool", "tool_call_id": "c", "content": BIG_LOG},
    ]
    state = classify(messages, protect_recent_tool_outputs=2)
    assert [b.protected for b in state.blocks] == [
        "user text",
        None,
        "recent tool output",
        "recent tool output",
    ]
    assert [b.label for b in state.blocks] == ["prose", "log", "json_array", "log"]


def test_blocks_already_answered_or_failed_are_left_alone() -> None:
    state = make_state(openai_tool_turn(BIG_LOG))
    block = tool_block(state)
    block.output = "memoized"
    run_stage(Classify(), state)
    assert block.label is None and block.protected is None


# When detection is in doubt, the request decides ------------------------------------------------

GIT = Path(__file__).parents[1] / "fixtures" / "git"
NAME_STATUS = (GIT / "log_name_status.txt").read_text()
QUESTION = "Who changed pyparsing/exceptions.py, and on which day?"


def contested(
    monkeypatch: pytest.MonkeyPatch, labels: tuple[str, ...], text: str, question: str
) -> BlockState:
    """The tool block, classified with detection seeing `labels` as equally sure (in that order)."""
    rivals = Detection(tuple(Candidate(label, LIKELY, "test") for label in labels))
    monkeypatch.setattr(classify_module, "detect", lambda _text: rivals)
    state = classify(
        openai_tool_turn(text, question, tool="bash", arguments={"command": "git log --name-status"})
    )
    return tool_block(state)


def kept_share(block: BlockState, label: str, question: str) -> float:
    state = make_state(openai_tool_turn(block.text, question, tool="bash", arguments={"command": "git log"}))
    wanted = classify_module._distinctive_occurrences(block.text, request_words(tool_block(state)))
    return classify_module._kept_share(tool_block(state), label, state, list(wanted), wanted)


@pytest.mark.parametrize("order", [("prose", "git_log"), ("git_log", "prose")])
def test_of_two_equally_sure_types_the_one_that_keeps_more_of_the_request_wins(
    monkeypatch: pytest.MonkeyPatch, order: tuple[str, str]
) -> None:
    block = contested(monkeypatch, order, NAME_STATUS, QUESTION)
    shares = {label: kept_share(block, label, QUESTION) for label in order}
    winner = max(order, key=lambda label: shares[label])
    assert shares[winner] > min(shares.values())  # the two really differ here
    assert block.label == winner == "git_log"
    assert [c.label for c in block.candidates] == list(order)
    if order[0] != winner:
        assert any(note.startswith(f"classify.v1:{winner} over {order[0]}") for note in block.notes)
    else:
        assert block.notes == []


def test_equal_shares_keep_detections_order_and_no_terms_no_contest(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both keep everything of a log this short, so neither keeps more: the first stays.
    short = "\n".join(NAME_STATUS.split("\n")[:28])
    assert contested(monkeypatch, ("log", "shell"), short, QUESTION).label == "log"
    # A request naming nothing in the block holds no contest.
    assert contested(monkeypatch, ("prose", "git_log"), NAME_STATUS, "Summarise this.").label == "prose"


def test_protected_blocks_hold_no_contest(monkeypatch: pytest.MonkeyPatch) -> None:
    rivals = Detection((Candidate("prose", LIKELY, "test"), Candidate("git_log", LIKELY, "test")))
    monkeypatch.setattr(classify_module, "detect", lambda _text: rivals)
    state = classify([{"role": "user", "content": NAME_STATUS}])
    assert state.blocks[0].label == "prose" and state.blocks[0].protected == "user text"


def test_each_crusher_the_contest_runs_handles_its_label() -> None:
    from headroom.content import DOCUMENT_TYPES
    from headroom.pipeline import registry

    assert set(classify_module.CRUSHER_OF) == set(DOCUMENT_TYPES)
    for label, name in classify_module.CRUSHER_OF.items():
        stage = registry.lookup(name)
        assert stage is not None and stage.handles is not None and label in stage.handles, name


def test_the_block_keeps_every_candidate_detection_saw() -> None:
    block = tool_block(classify(openai_tool_turn(NAME_STATUS, QUESTION)))
    assert block.label == "git_log"
    assert [str(c) for c in block.candidates] == [str(c) for c in detect(NAME_STATUS).candidates]
