"""crush.diff.v1: every change and header stays, context is trimmed, lock and generated files collapse."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from headroom import compress, retrieve
from headroom.content.diff import ADDED, CHANGES, CONTEXT, FILE, HUNK, REMOVED, DiffDocument
from headroom.markers import find_markers, find_summaries
from headroom.stages.crush.diff import GENERATED_PATHS, CrushDiff, DiffParams, is_generated
from headroom.stages.crush.scoring import request_identifiers
from headroom.stages.score import Score
from headroom.store import MemoryStore
from headroom.tokens import count_tokens
from tests.helpers import labelled, make_state, openai_tool_turn, run_stage, tool_block
from tests.stages.crush.line_checks import check_lines, counts, fixture

SHOW = fixture("git_show_lock_bump.txt")
QUERY = "What changed in the httpx client defaults?"


def crushed(text: str, query: str = QUERY, *, score: bool = True, bias: float = 1.0, **params: Any) -> Any:
    messages = openai_tool_turn(text, query, tool="bash", arguments={"command": "git show HEAD"})
    state = labelled(make_state(messages, bias={3: bias}), "diff")
    if score:
        run_stage(Score(), state)
    run_stage(CrushDiff(DiffParams(**params)), state)
    return tool_block(state)


def lines_of(document: DiffDocument, path: str) -> range:
    return next(section.lines for section in document.sections if section.path == path)


def test_every_change_and_header_of_source_files_survives_verbatim() -> None:
    block = crushed(SHOW)
    document = block.document
    assert isinstance(document, DiffDocument)
    kept = set(check_lines(SHOW, block.render(), block.ref))
    generated = set(lines_of(document, "package-lock.json")) | set(lines_of(document, "web/dist/app.min.js"))
    for index, kind in enumerate(document.kinds):
        if kind == FILE or (kind in (HUNK, *CHANGES) and index not in generated):
            assert index in kept, document.units[index]
    assert "+DEFAULT_RETRIES = 3" in block.render().split("\n")
    assert "-DEFAULT_TIMEOUT_CONFIG = Timeout(timeout=5.0)" in block.render().split("\n")


def test_lock_files_and_build_output_collapse_to_their_header_and_a_count() -> None:
    block = crushed(SHOW)
    document = block.document
    assert isinstance(document, DiffDocument)
    rendered = block.render()
    kept = set(check_lines(SHOW, rendered, block.ref))
    lock = lines_of(document, "package-lock.json")
    assert {i for i in lock if i in kept} == {i for i in lock if document.kinds[i] == FILE}
    # The marker right under the lock file's header stands for the rest of it.
    after_header = rendered.split("\n")[rendered.split("\n").index(document.units[lock.start + 3]) + 1]
    (lock_summary,) = find_summaries(after_header)
    assert (lock_summary.count, find_markers(after_header)[0].first) == (len(lock) - 4, lock.start + 5)
    kinds = Counter(document.kinds[i] for i in lock)
    assert dict(counts(lock_summary, "kind"))["added"] == kinds[ADDED] == 116
    assert dict(counts(lock_summary, "kind"))["removed"] == kinds[REMOVED] == 116
    assert "crush.diff.v1:collapsed package-lock.json, web/dist/app.min.js" in block.notes
    assert count_tokens(rendered) < 0.25 * count_tokens(SHOW)


def test_a_line_the_question_names_in_a_lock_file_survives_with_its_hunk_header() -> None:
    block = crushed(SHOW, "Why did the lock file move to axios-4.21.0.tgz?")
    document = block.document
    assert isinstance(document, DiffDocument)
    rendered = block.render().split("\n")
    named = [i for i, unit in enumerate(document.units) if "axios-4.21.0.tgz" in unit]
    assert named and all(document.units[i] in rendered for i in named)
    hunk = next(h for s in document.sections for h in s.hunks if named[0] in h)
    assert document.units[hunk.start] in rendered


def wide_context_diff() -> str:
    """One change in the middle of 40 unchanged lines (`git diff -U20`)."""
    body = [f" line {i} of the unchanged middle" for i in range(1, 41)]
    body[20] = "-line 21 before the fix"
    body.insert(21, "+line 21 after the fix")
    return (
        "diff --git a/m.txt b/m.txt\n--- a/m.txt\n+++ b/m.txt\n@@ -1,40 +1,40 @@ def middle():\n"
        + "\n".join(body)
    )


def test_unchanged_lines_beyond_the_context_are_trimmed_and_hunk_headers_stay_as_written() -> None:
    text = wide_context_diff()
    block = crushed(text, context_lines=2)
    rendered = block.render()
    kept = check_lines(text, rendered, block.ref)
    document = block.document
    assert isinstance(document, DiffDocument)
    changed = [i for i in kept if document.kinds[i] in CHANGES]
    context = [i for i in kept if document.kinds[i] == CONTEXT]
    assert changed == [24, 25]
    assert context == [22, 23, 26, 27]
    assert "@@ -1,40 +1,40 @@ def middle():" in rendered.split("\n")
    assert len(find_markers(rendered)) == 2


def test_context_lines_scale_with_bias() -> None:
    sizes = [len(crushed(wide_context_diff(), score=False, bias=bias).kept_indices()) for bias in (1.0, 3.0)]
    assert sizes == [8, 12]  # 4 headers, 2 changes, then 1 or 3 unchanged lines on each side


def test_collapsing_can_be_turned_off_or_pointed_at_other_paths() -> None:
    whole = crushed(SHOW, collapse_generated=False)
    assert "crush.diff.v1:collapsed" not in " ".join(whole.notes)
    assert all(
        line.startswith("[headroom:") or line in SHOW.split("\n") for line in whole.render().split("\n")
    )
    only_click = crushed(SHOW, generated_paths=["click/*"])
    assert "crush.diff.v1:collapsed click/_textwrap.py, click/core.py" in only_click.notes


@pytest.mark.parametrize(
    ("path", "generated"),
    [
        ("package-lock.json", True),
        ("frontend/yarn.lock", True),
        ("services/api/go.sum", True),
        ("web/dist/app.min.js", True),
        ("web/dist/index.html", True),
        ("vendor/github.com/x/y.go", True),
        ("static/app.js.map", True),
        ("src/lock.py", False),
        ("src/distance.py", False),
        ("docs/build_notes.md", False),
    ],
)
def test_generated_paths(path: str, generated: bool) -> None:
    assert is_generated(path, list(GENERATED_PATHS)) is generated


def test_without_scores_it_keeps_every_change_and_never_drops_a_pin() -> None:
    block = crushed(SHOW, score=False)
    check_lines(SHOW, block.render(), block.ref)
    state = labelled(make_state(openai_tool_turn(SHOW, QUERY)), "diff")
    pinned = tool_block(state)
    pinned.pinned = {500, 501}  # two lines of the lock file
    run_stage(CrushDiff(), state)
    assert {500, 501} <= set(pinned.kept_indices())


def test_lossless_and_short_diffs_are_left_whole() -> None:
    assert crushed(SHOW, policy="lossless").keep is None
    assert crushed("\n".join(SHOW.split("\n")[:30])).keep is None


def test_compress_end_to_end_keeps_the_changes_and_the_original_retrievable() -> None:
    store = MemoryStore()
    result = compress(
        openai_tool_turn(SHOW, QUERY, tool="bash", arguments={"command": "git show"}), store=store
    )
    output = result.messages[-1]["content"]
    assert "+        retries: int = DEFAULT_RETRIES," in output
    assert any(note.startswith("crush.diff.v1:lines") for note in result.transforms_applied)
    (ref,) = {marker.hash for marker in find_markers(output)}
    assert retrieve(ref, store) == SHOW
    check_lines(SHOW, output, ref)
    assert (
        compress(openai_tool_turn(SHOW, QUERY), store=MemoryStore()).messages[-1]["content"]
        == compress(openai_tool_turn(SHOW, QUERY), store=MemoryStore()).messages[-1]["content"]
    )


# Hunk by hunk, on real diffs of two installed versions of pyparsing and PyYAML (tests/git_material.py).

GIT = Path(__file__).parents[2] / "fixtures" / "git"


def git_fixture(name: str) -> str:
    return (GIT / name).read_text()


def changed_signatures(text: str) -> list[str]:
    """Functions whose `def` line a diff both removes and adds, changed: what a question about a
    function's signature needs (chosen from the raw diff, before anything is compressed)."""
    removed = set(re.findall(r"^-\s+def (\w+)\(", text, re.MULTILINE))
    added = set(re.findall(r"^\+\s+def (\w+)\(", text, re.MULTILINE))
    return sorted(name for name in removed & added if not name.startswith("_"))


def def_lines(text: str, function: str) -> list[str]:
    return [line for line in text.split("\n") if re.match(rf"^[-+]\s+def {function}\(", line)]


@pytest.mark.parametrize("function", changed_signatures(git_fixture("show_results.txt")))
def test_a_big_diff_saves_half_and_keeps_the_lines_a_question_about_a_function_needs(function: str) -> None:
    text = git_fixture("show_results.txt")
    assert count_tokens(text) > 5000
    block = crushed(text, f"How did the signature of ParseResults.{function} change in this commit?")
    rendered = block.render().split("\n")
    check_lines(text, block.render(), block.ref)
    for line in def_lines(text, function):
        assert line in rendered
    assert count_tokens(block.render()) <= 0.5 * count_tokens(text)


def test_every_file_header_and_hunk_header_stays_and_each_dropped_hunk_body_is_marked_under_it() -> None:
    text = git_fixture("diff_three_files.txt")
    block = crushed(text, "What changed in the unicode escaping helpers?")
    document = block.document
    assert isinstance(document, DiffDocument)
    rendered = block.render()
    kept = set(check_lines(text, rendered, block.ref))
    assert {i for i, kind in enumerate(document.kinds) if kind in (FILE, HUNK)} <= kept
    lines = rendered.split("\n")
    for hunk in (h for section in document.sections for h in section.hunks):
        if not any(i in kept for i in hunk[1:]):
            below = lines[lines.index(document.units[hunk.start]) + 1]
            (marker,) = find_markers(below)
            assert (marker.first, marker.last) == (hunk.start + 2, hunk.stop)
            for summary in find_summaries(below):
                body = Counter(document.kinds[i] for i in hunk[1:])
                assert dict(counts(summary, "kind")) == {
                    name: body[kind]
                    for kind, name in ((ADDED, "added"), (REMOVED, "removed"), (CONTEXT, "unchanged"))
                    if body[kind]
                }
    assert count_tokens(rendered) < 0.6 * count_tokens(text)


def test_every_hunk_of_the_file_the_question_names_is_kept_whole() -> None:
    text = git_fixture("diff_three_files.txt")
    block = crushed(text, "What changed in yaml/constructor.py?")
    document = block.document
    assert isinstance(document, DiffDocument)
    kept = set(check_lines(text, block.render(), block.ref))
    named = lines_of(document, "yaml/constructor.py")
    assert {i for i in named if document.kinds[i] in CHANGES} <= kept
    others = [i for i, kind in enumerate(document.kinds) if kind in CHANGES and i not in named]
    assert not set(others) <= kept  # the other files are not kept whole


def test_a_term_naming_every_file_names_none() -> None:
    text = git_fixture("show_results.txt")
    block = crushed(text, "What changed in pyparsing/results.py?")
    assert count_tokens(block.render()) <= 0.5 * count_tokens(text)


def test_a_security_word_in_a_changed_line_survives_whatever_the_budget() -> None:
    text = git_fixture("log_p_small_files.txt")
    start = text.index("diff --git a/yaml/__init__.py")
    diff = text[start:]
    block = crushed(diff, "What changed in the loader functions?", target_ratio=0.01, min_tokens=0)
    rendered = block.render().split("\n")
    flagged = [line for line in diff.split("\n") if line.startswith(("+", "-")) and "unsafe" in line.lower()]
    assert flagged and all(line in rendered for line in flagged)


def test_the_changed_lines_get_their_floor_and_the_lines_defining_what_is_named_come_first() -> None:
    text = git_fixture("diff_three_files.txt")
    (function, *_) = changed_signatures(text)
    # A budget the headers and markers alone overrun: the changed lines still get min_tokens,
    # and the lines defining the function the question names are the first to go in.
    block = crushed(text, f"How did {function} change?", target_ratio=0.01, min_tokens=100)
    document = block.document
    assert isinstance(document, DiffDocument)
    rendered = block.render().split("\n")
    assert all(line in rendered for line in def_lines(text, function))
    kept_changes = [i for i in block.kept_indices() if document.kinds[i] in CHANGES]
    assert 0 < len(kept_changes) < 0.2 * sum(1 for kind in document.kinds if kind in CHANGES)


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("How did the signature of Factory change?", {"factory"}),
        ("When did SkipTo.parseImpl change?", {"skipto", "parseimpl", "skipto.parseimpl"}),
        ("Which claim checks does jwt.decode verify?", {"jwt.decode", "jwt", "decode"}),
        ("Does the newer release keep it?", set()),  # a sentence's first word is no name
    ],
)
def test_the_names_a_request_gives(question: str, names: set[str]) -> None:
    state = make_state(openai_tool_turn("x", question))
    assert set(request_identifiers(tool_block(state))) == names
