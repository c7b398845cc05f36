"""crush.html.v1: pages become their text; over budget, the least relevant sections go, marked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from headroom import compress, retrieve
from headroom.ccr.stores import MemoryStore
from headroom.markers import find_markers, find_tallies
from headroom.stages.crush.html import CrushHtml, HtmlParams
from headroom.stages.score import Score
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


# identifiers the request asks for by kind -------------------------------------------------------------

SHA = "4f3a9c1e2b7d5a608f1e3c2b9d7a6e5f4c3b2a19"
SUMMARY = (
    f'<h2>Summary</h2><p>Triggered by a push of commit <a href="/acme/shop/commit/{SHA}">{SHA[:7]}</a>'
    " to main.</p>"
)


def ci_build_page(
    build: int = 4521, *, steps: int = 40, lines_per_step: int = 12, summary: bool = False
) -> str:
    """A CI run page as a forge renders it: a page header with the repository and the run's commit,
    a sidebar of jobs, the job's log in collapsible steps, artifacts, a footer; with `summary`,
    the commit again in a summary at the end of the page's content."""
    log = []
    for step in range(steps):
        body = "\n".join(
            f"2026-11-03T10:{step % 60:02d}:{line:02d}.{step * 7 % 1000:03d}Z [step {step}] "
            f"compiling module_{step}_{line} (cache hit ratio {(step * line) % 100}%)"
            for line in range(lines_per_step)
        )
        log.append(
            f"<details><summary>Step {step}: build module group {step}</summary><pre>{body}</pre></details>"
        )
    jobs = "".join(
        f'<li><a href="/acme/shop/actions/runs/{9182736450 + build}/job/{i}">job {i}</a></li>'
        for i in range(6)
    )
    return f"""<!doctype html><html><head><title>CI · acme/shop</title><script>window.x=1</script></head>
<body>
<header class="page-head"><nav><a href="/acme/shop">acme/shop</a></nav>
<div class="run-meta">Run <a href="/acme/shop/actions/runs/{9182736450 + build}">#{build}</a> ·
<a class="commit" href="/acme/shop/commit/{SHA}">{SHA[:7]}</a> · pushed by alice</div></header>
<aside class="sidebar"><h2>Jobs</h2><ul>{jobs}</ul></aside>
<main>
<h1>Build and test</h1>
<p>This workflow run finished in 14m 2s.</p>
<h2>Job log</h2>
{"".join(log)}
<h2>Artifacts</h2>
<table><tr><th>Name</th><th>Size</th></tr><tr><td>shop-wheel</td><td>2.1 MB</td></tr></table>
<h2>Annotations</h2>
<p>1 warning: Node.js 16 actions are deprecated.</p>
{SUMMARY if summary else ""}
</main>
<footer>© 2026 Forge · <a href="/site/terms">Terms</a></footer>
</body></html>"""


def test_the_commit_a_ci_page_shows_survives_a_question_by_kind() -> None:
    page = ci_build_page()
    output, _ = compress_page(page, "Which commit did this CI run build?")
    assert SHA in output  # the full hash, from the commit link's target
    assert "#4521" in output
    assert len(output) < len(page) // 5


def test_the_build_number_a_ci_page_shows_survives_a_question_by_kind() -> None:
    page = ci_build_page(build=977)
    output, _ = compress_page(page, "What build number is this run?")
    assert "#977" in output


def test_identifier_blocks_are_pinned_and_bounded() -> None:
    page = ci_build_page(summary=True)
    block = _crushed(page, "Which commit is this?", params=HtmlParams(max_identifier_blocks=2))
    rendered = block.render()
    assert f"Triggered by a push of commit {SHA[:7]} <https://" not in rendered  # the target is as written
    assert f"commit {SHA[:7]} </acme/shop/commit/{SHA}> to main." in rendered
    document = block.document
    summary = next(i for i, unit in enumerate(document.units) if unit.startswith("Triggered by"))
    assert summary in block.pinned  # no budget after the crusher may drop it
    assert len([i for i in block.pinned if SHA[:7] in document.units[i]]) <= 2
    quiet = _crushed(ci_build_page(), "How long did it take to finish?")
    assert SHA not in quiet.render()  # asides are written only when asked for


def compress_page(page: str, query: str) -> tuple[str, MemoryStore]:
    store = MemoryStore()
    messages = openai_tool_turn(page, query, tool="fetch", arguments={"url": "https://forge.example/run"})
    result = compress(messages, model="gpt-4o", store=store)
    return result.messages[-1]["content"], store


RUSTDOC_PAGES = sorted(Path.home().glob(".rustup/toolchains/*/share/doc/rust/html/std/vec/struct.Vec.html"))


@pytest.mark.skipif(not RUSTDOC_PAGES, reason="no rustup toolchain docs on this machine")
def test_the_toolchain_version_and_commit_of_real_rustdoc_survive() -> None:
    """rustdoc writes the toolchain's version and commit in its sidebar, which the reader drops."""
    page = RUSTDOC_PAGES[0].read_text()
    stamp = re.search(r'data-rustdoc-version="([^"]+)"', page)
    assert stamp is not None
    version, commit = stamp[1].split()[0], stamp[1].split()[1].strip("()")  # "1.95.0 (59807616e 2026-04-14)"
    output, _ = compress_page(page, "Which Rust version and commit hash were these docs built from?")
    assert commit in output and version in output
    assert len(output) < len(page) // 20


VALGRIND = Path("/usr/share/doc/valgrind/html/manual.html")


@pytest.mark.skipif(not VALGRIND.exists(), reason="no valgrind manual on this machine")
def test_the_release_a_real_manual_names_survives() -> None:
    page = VALGRIND.read_text()
    release = re.search(r"Release (\d+\.\d+\.\d+)", page)
    assert release is not None
    output, _ = compress_page(page, "Which Valgrind release is this manual for?")
    assert f"Release {release[1]}" in output
