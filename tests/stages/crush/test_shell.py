"""crush.shell.v1: failures explained, summaries and unhealthy rows stay; routine lines are counted."""

from __future__ import annotations

from collections import Counter
from typing import Any

from headroom import compress, retrieve
from headroom.ccr.stores import MemoryStore
from headroom.content.shell import FAIL, HEADER, PASSED, ROW, SUMMARY, WARN, ShellDocument
from headroom.markers import find_markers, find_summaries
from headroom.stages.crush.shell import CrushShell, ShellParams
from headroom.stages.score import Score
from headroom.tokens import count_tokens
from tests.helpers import labelled, make_state, openai_tool_turn, run_stage, tool_block
from tests.stages.crush.line_checks import check_lines, counts, fixture

PYTEST = fixture("pytest_verbose_failures.txt")


def assert_kept(kept: list[str], *needed: str) -> None:
    """Every line the answer needs survived compression, verbatim."""
    missing = [line for line in needed if line not in kept]
    assert not missing, missing


def crushed(
    text: str, query: str = "Why do the tests fail?", *, score: bool = True, bias: float = 1.0, **params: Any
) -> Any:
    messages = openai_tool_turn(text, query, tool="bash", arguments={"command": "run"})
    state = labelled(make_state(messages, bias={3: bias}), "shell")
    if score:
        run_stage(Score(), state)
    run_stage(CrushShell(ShellParams(**params)), state)
    return tool_block(state)


def kept_text(block: Any, text: str) -> list[str]:
    return [text.split("\n")[i] for i in check_lines(text, block.render(), block.ref)]


def test_pytest_failures_their_assertions_and_the_summary_survive_and_passes_are_counted() -> None:
    block = crushed(PYTEST)
    kept = kept_text(block, PYTEST)
    assert_kept(
        kept,
        "pyt/test_scratch.py::test_config_loads FAILED                            [ 98%]",
        "E       AssertionError: default timeout should be 10s",
        "E       assert 5 == 10",
        "E       ConnectionError: upstream refused connection for order ord-4471",
        "FAILED pyt/test_scratch.py::test_config_loads - AssertionError: default timeo...",
        "============= 2 failed, 152 passed, 1 skipped, 1 warning in 0.91s ==============",
        '>       assert cfg["timeout"] == 10, "default timeout should be 10s"',
        "pyt/test_scratch.py:16: AssertionError",
    )
    document = block.document
    assert isinstance(document, ShellDocument)
    passed_kept = sum(1 for i in block.kept_indices() if document.kinds[i] == PASSED)
    passed_counted = sum(
        count for s in find_summaries(block.render()) for kind, count in counts(s, "kind") if kind == "passed"
    )
    assert passed_kept < 10
    assert passed_kept + passed_counted == 152
    assert count_tokens(block.render()) < 0.3 * count_tokens(PYTEST)


def test_cargo_panics_with_their_values_and_the_result_line_survive() -> None:
    text = fixture("cargo_test_failures.txt")
    kept = kept_text(crushed(text), text)
    assert_kept(
        kept,
        "test tests::parse_port_ok ... FAILED",
        "thread 'tests::parse_port_ok' (14901) panicked at src/lib.rs:68:34:",
        "  left: Some(8080)",
        " right: Some(8081)",
        "test result: FAILED. 60 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.10s",
    )
    assert sum(1 for line in kept if line.endswith(" ... ok")) < 5


def test_a_compiler_error_keeps_its_source_snippet_and_compile_commands_are_counted() -> None:
    text = fixture("make_gcc_error.txt")
    block = crushed(text, "Why does the build fail?")
    kept = kept_text(block, text)
    assert_kept(
        kept,
        "src/mod40.c:1:34: error: ‘undefined_symbol’ undeclared (first use in this function)",
        "    1 | int f40(int x) { return x * 40 + undefined_symbol; }",
        "      |                                  ^~~~~~~~~~~~~~~~",
        "make: *** [Makefile:6: src/mod40.o] Error 1",
        "src/mod77.c:2:22: warning: unused variable ‘unused’ [-Wunused-variable]",
    )
    assert sum(1 for line in kept if line.startswith("gcc ")) < 15
    assert any(("progress", 31) in counts(s, "kind") for s in find_summaries(block.render()))


def test_listings_keep_the_header_unhealthy_rows_and_the_row_asked_about_and_count_the_rest() -> None:
    text = fixture("kubectl_get_pods.txt")
    block = crushed(text, "What is wrong with payments-api-7f9c4d8b6-x2kqp?")
    document = block.document
    assert isinstance(document, ShellDocument)
    kept = set(check_lines(text, block.render(), block.ref))
    unhealthy = {i for i, kind in enumerate(document.kinds) if kind == FAIL}
    assert len(unhealthy) == 5 and unhealthy <= kept
    assert 0 in kept and document.kinds[0] == HEADER
    assert any("payments-api-7f9c4d8b6-x2kqp" in document.units[i] for i in kept)
    healthy_kept = sum(1 for i in kept if document.kinds[i] == ROW)
    counted: Counter[object] = Counter()
    for summary in find_summaries(block.render()):
        counted.update(dict(counts(summary, "kind")))
    assert healthy_kept + counted["row"] == Counter(document.kinds)[ROW]
    # An unhealthy row needs no neighbours: a kept healthy row is in the head, the tail or asked about.
    assert healthy_kept <= 3 + 5 + 1


def test_repeated_warnings_keep_their_first_and_last_and_the_summary_lines_stay() -> None:
    text = fixture("pip_install.txt")
    block = crushed(text, "Did the install succeed?")
    document = block.document
    assert isinstance(document, ShellDocument)
    kept = check_lines(text, block.render(), block.ref)
    warnings = [i for i, kind in enumerate(document.kinds) if kind == WARN]
    assert [i for i in kept if document.kinds[i] == WARN] == [warnings[0], warnings[-1]]
    assert all(i in kept for i, kind in enumerate(document.kinds) if kind == SUMMARY)
    assert count_tokens(block.render()) < 0.25 * count_tokens(text)


def test_npm_verbose_fetches_are_counted_and_the_result_kept() -> None:
    text = fixture("npm_install_verbose.txt")
    kept = kept_text(crushed(text, "Did npm install work?"), text)
    assert "added 45 packages in 13s" in kept
    assert sum(1 for line in kept if line.startswith("npm http fetch")) < 5


def test_without_scores_it_still_keeps_failures_and_never_drops_a_pin() -> None:
    block = crushed(PYTEST, score=False)
    kept = kept_text(block, PYTEST)
    assert "E       assert 5 == 10" in kept
    state = labelled(make_state(openai_tool_turn(PYTEST)), "shell")
    pinned = tool_block(state)
    pinned.pinned = {50, 51}  # two passing tests
    run_stage(CrushShell(), state)
    assert {50, 51} <= set(pinned.kept_indices())


def test_bias_keeps_more() -> None:
    text = fixture("pip_install.txt")
    sizes = [len(crushed(text, score=False, bias=bias).kept_indices()) for bias in (1.0, 4.0)]
    assert sizes[0] < sizes[1]


def test_lossless_and_short_outputs_are_left_whole() -> None:
    assert crushed(PYTEST, policy="lossless").keep is None
    assert crushed(fixture("cargo_build_error.txt")).keep is None


def test_compress_end_to_end_on_a_docker_listing() -> None:
    store = MemoryStore()
    text = fixture("docker_ps.txt")
    result = compress(
        openai_tool_turn(text, "Which containers are unhealthy?", arguments={"cmd": "docker ps -a"}),
        store=store,
    )
    output = result.messages[-1]["content"]
    for status in ("Exited (1) 3 minutes ago", "Restarting (137) 20 seconds ago", "Up 2 hours (unhealthy)"):
        assert status in output
    (ref,) = {marker.hash for marker in find_markers(output)}
    assert retrieve(ref, store) == text
    check_lines(text, output, ref)
    assert any(note.startswith("crush.shell.v1:lines") for note in result.transforms_applied)


def test_the_paths_under_a_directory_the_request_names_stay_and_the_rest_are_counted_by_directory() -> None:
    text = "\n".join(
        ["Name: tiktoken", "Version: 0.14.0", "Location: /srv/site-packages", "Requires: regex", "Files:"]
        + ["  tiktoken-0.14.0.dist-info/RECORD", "  tiktoken/core.py", "  tiktoken_ext/openai_public.py"]
        + [
            "---",
            "Name: litellm",
            "Version: 1.0",
            "Location: /srv/site-packages",
            "Requires: tiktoken",
            "Files:",
        ]
        + [f"  litellm/llms/provider_{i}/handler.py" for i in range(300)]
    )
    block = crushed(text, "Where is tiktoken installed and which file holds its encodings?")
    kept = kept_text(block, text)
    assert_kept(
        kept,
        "Location: /srv/site-packages",
        "Requires: regex",
        "  tiktoken-0.14.0.dist-info/RECORD",
        "  tiktoken/core.py",
        "  tiktoken_ext/openai_public.py",
        "Name: litellm",
    )
    assert len(kept) < 40
    rendered = block.render()
    listed = sum(count for s in find_summaries(rendered) for _, count in counts(s, "dir"))
    assert listed >= 250  # the dropped paths are counted by directory


def test_a_named_directory_too_big_to_keep_whole_keeps_only_what_matches() -> None:
    text = "\n".join(f"tiktoken/generated/part_{i}.py" for i in range(400))
    block = crushed(text, "what is in tiktoken?")
    assert len(kept_text(block, text)) < 60


def test_a_kept_tree_branch_keeps_the_branches_it_hangs_from() -> None:
    lines = ["app@1.0.0 /srv/app"]
    for i in range(40):
        lines += [f"├─┬ pkg-{i}@1.0.0", f"│ ├── left-{i}@2.0.0", f"│ └── right-{i}@3.0.0 deduped"]
    lines[lines.index("│ ├── left-17@2.0.0")] = "│ ├── cacache@20.0.4 deduped"
    text = "\n".join(lines)
    block = crushed(text, "Is `cacache` deduped, and under which package?")
    kept = kept_text(block, text)
    assert "│ ├── cacache@20.0.4 deduped" in kept
    assert "├─┬ pkg-17@1.0.0" in kept  # its parent, so it is seen where it sits
    assert "app@1.0.0 /srv/app" in kept
    assert len(kept) < 40
