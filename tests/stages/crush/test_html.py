"""crush.html.v1: pages become their text; over budget, the least relevant sections go, marked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from headroom import compress, retrieve
from headroom.markers import find_markers, find_tallies
from headroom.stages.crush.html import CrushHtml, HtmlParams
from headroom.stages.score import Score
from headroom.store import MemoryStore
from tests.helpers import labelled, make_state, openai_tool_turn, run_stage, tool_block

FIXTURES = Path(__file__).parent.parent.parent / "fixtures" / "html"
RUSTC = (FIXTURES / "rustc_platform_support.html").read_text()
POLICY = (FIXTURES / "debian_python_policy.html").read_text()


def _crushed(
    text: str, query: str, *, params: HtmlParams | None = None, bias: float = 1.0, score: bool = True
) -> Any:
    messages = openai_tool_turn(
        text, query, tool="fetch", arguments={"url": "https://docs.example/page.html"}
    )
    state = labelled(make_state(messages, bias={len(messages) - 1: bias}), "html")
    if score:
        run_stage(Score(), state)
    run_stage(CrushHtml(params), state)
    return tool_block(state)


def test_the_section_a_question_is_about_survives_and_others_are_marked_by_heading() -> None:
    block = _crushed(POLICY, "How must a package depend on python3-distutils? See Dependencies.")
    rendered = block.render()
    assert "### 4.5. Dependencies" in rendered
    assert len(rendered) < len(POLICY) / 3
    sections = [m.section for m in find_markers(rendered) if m.unit == "blocks"]
    assert sections and all(m.scope == "section" for m in find_markers(rendered))
    assert "Copyright" in sections or any(s is not None for s in sections)


def test_a_relevant_section_too_big_for_the_budget_keeps_its_first_blocks() -> None:
    block = _crushed(RUSTC, "Which targets are tier 2 without host tools?")
    rendered = block.render()
    assert "## Tier 2 without Host Tools" in rendered
    assert "aarch64-apple-ios | ✓ | ARM64 iOS" in rendered or "aarch64-apple-ios" in rendered


def test_elements_dropped_are_tallied_and_kept_text_is_the_pages() -> None:
    block = _crushed(RUSTC, "What is tier 1?")
    rendered = block.render()
    (tallied,) = find_tallies(rendered)
    assert dict(tallied.counts)["script"] == 11 and tallied.hash == block.ref
    assert "<script" not in rendered and "function(" not in rendered


def test_markers_retrieve_the_page_through_compress() -> None:
    store = MemoryStore()
    messages = openai_tool_turn(
        POLICY,
        "What does the policy say about Python 2?",
        tool="fetch",
        arguments={"url": "https://www.debian.org/doc/packaging-manuals/python-policy/"},
    )
    result = compress(messages, model="gpt-4o", store=store)
    output = result.messages[-1]["content"]
    assert result.tokens_after < result.tokens_before / 3
    digests = {m.hash for m in find_markers(output)} | {t.hash for t in find_tallies(output)}
    (digest,) = digests
    assert retrieve(digest, store) == POLICY


def test_pinned_blocks_stay_even_over_budget() -> None:
    block = _crushed(
        POLICY, "Who is flight@debian.org?", params=HtmlParams(max_tokens=50, max_relevant_tokens=50)
    )
    assert block.pinned
    kept = set(block.kept_indices())
    assert block.pinned <= kept
    assert any("flight@debian.org" in block.document.units[i] for i in block.pinned)


def test_lossless_leaves_the_page_whole_and_small_fragments_stay_markup() -> None:
    lossless = _crushed(POLICY, "Summarise.", params=HtmlParams(policy="lossless"))
    assert lossless.render() == POLICY
    fragment = "<b>x</b>"
    assert _crushed(fragment, "Summarise.").render() == fragment


def test_bias_scales_the_budget() -> None:
    low = _crushed(POLICY, "Summarise the policy.", bias=0.5)
    high = _crushed(POLICY, "Summarise the policy.", bias=3.0)
    assert len(high.kept_indices()) > len(low.kept_indices())


def test_works_without_a_score_stage_and_is_deterministic() -> None:
    first = _crushed(POLICY, "What about Dependencies?", score=False)
    second = _crushed(POLICY, "What about Dependencies?", score=False)
    assert first.render() == second.render()
    assert "### 4.5. Dependencies" in first.render()
