"""crush.diff.v1: every change and header stays, context is trimmed, lock and generated files collapse."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from headroom import compress, retrieve
from headroom.ccr.stores import MemoryStore
from headroom.content.diff import ADDED, CHANGES, CONTEXT, FILE, HUNK, REMOVED, DiffDocument
from headroom.markers import Hunks, find_markers, find_summaries
from headroom.stages.crush.diff import GENERATED_PATHS, CrushDiff, DiffParams, is_generated
from headroom.stages.crush.scoring import request_identifiers
from headroom.stages.score import Score
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


def hunk_header_parts(line: str) -> tuple[str, str]:
    """(the line ranges, the function after them) of a hunk header, read from the raw line."""
    found = re.match(r"^@@ (.*?) @@ ?(.*)$", line)
    assert found is not None, line
    return found[1], found[2].strip()


def listed_hunks(
    document: DiffDocument, keep: set[int], first: int, last: int
) -> tuple[tuple[str, str, str], ...]:
    """What a marker over lines first..last (from 0) must list: each hunk header in it, with its
    file's path when that file's `diff --git` line is not kept, read from the raw lines."""
    listed = []
    for section in document.sections:
        for hunk in section.hunks:
            if first <= hunk.start <= last:
                path = "" if section.lines.start in keep else section.path
                listed.append((path, *hunk_header_parts(document.units[hunk.start])))
    return tuple(listed)


@pytest.mark.parametrize("name", ["diff_three_files.txt", "show_results.txt"])
def test_every_header_stays_or_is_listed_and_a_run_of_dropped_hunks_is_one_marker(name: str) -> None:
    text = git_fixture(name)
    block = crushed(text, "What changed in the unicode escaping helpers?")
    document = block.document
    assert isinstance(document, DiffDocument)
    rendered = block.render()
    kept = set(check_lines(text, rendered, block.ref))
    # A file keeps its whole header, or nothing at all (its hunks are listed with its path).
    for section in document.sections:
        header = set(section.header(document.kinds))
        assert header <= kept or not any(i in kept for i in section.lines), section.path
    markers = [(marker, line) for line in rendered.split("\n") for marker in find_markers(line)]
    dropped_hunks = sum(1 for s in document.sections for h in s.hunks if h.start not in kept)
    for section in document.sections:
        for hunk in section.hunks:
            if hunk.start in kept:
                assert set(section.header(document.kinds)) <= kept  # a kept hunk shows its file
            else:
                assert not any(i in kept for i in hunk)  # a hunk keeps its header when any line stays
    # Every marker lists the headers it covers, and no more; consecutive dropped hunks share one.
    listed_total, listing_markers = 0, 0
    for marker, line in markers:
        expected = listed_hunks(document, kept, marker.first - 1, marker.last - 1)
        entries = find_summaries(line)[0].entries if expected else {}
        listing = entries.get("hunks")
        assert (listing.hunks if isinstance(listing, Hunks) else ()) == expected
        listed_total += len(expected)
        listing_markers += bool(expected)
        body = Counter(document.kinds[i] for i in range(marker.first - 1, marker.last))
        for summary in find_summaries(line):
            if "kind" in summary.entries:
                assert dict(counts(summary, "kind")) == {
                    name: body[kind]
                    for kind, name in ((ADDED, "added"), (REMOVED, "removed"), (CONTEXT, "unchanged"))
                    if body[kind]
                }
    assert listed_total == dropped_hunks
    assert listing_markers < dropped_hunks
    assert count_tokens(rendered) < 0.5 * count_tokens(text)


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


# What the request says picks hunks, not what it says about the file or the command -----------------


def chosen_lines(text: str, question: str, command: str, **params: Any) -> set[int]:
    messages = openai_tool_turn(text, question, tool="bash", arguments={"command": command})
    state = labelled(make_state(messages), "diff")
    run_stage(Score(), state)
    run_stage(CrushDiff(DiffParams(**params)), state)
    return set(tool_block(state).kept_indices())


@pytest.mark.parametrize("name", ["diff_u_testing.txt", "diff_u_constructor.txt"])
def test_words_naming_the_diffed_file_and_the_commands_options_choose_no_hunk(name: str) -> None:
    text = git_fixture(name)
    (path,) = {section.path for section in DiffDocument.parse(text).sections}
    package, module = path.removesuffix(".py").split("/")
    question = "Which lines changed in the loader?"
    plain = chosen_lines(text, question, f"diff -u {path}")
    # The file's own names (its directory, its module, in other inflections) and the command's
    # program and options say which file, never which hunk: the same lines stay.
    naming = f"Which lines changed in the loader? ({path}; {package}, {module}s)"
    assert chosen_lines(text, naming, f"diff -u {path}") == plain
    assert chosen_lines(text, question, f"git diff --stat --no-color HEAD~1 HEAD -- {path}") == plain


def one_hunk_word(text: str) -> tuple[str, list[int]]:
    """A common word (it pins nothing) that the changed lines of exactly one hunk hold, in at least
    two of them, and no path names; with those lines. Read from the raw diff, before compressing."""
    from headroom.words import is_common_word

    document = DiffDocument.parse(text)
    holders: dict[str, dict[int, list[int]]] = {}
    for number, hunk in enumerate(h for section in document.sections for h in section.hunks):
        for i in hunk:
            if document.kinds[i] in CHANGES:
                for word in set(re.findall(r"\b[a-z]{6,}\b", document.units[i].lower())):
                    holders.setdefault(word, {}).setdefault(number, []).append(i)
    paths = " ".join(section.path for section in document.sections).lower()
    candidates = sorted(
        (word, lines)
        for word, held in holders.items()
        if len(held) == 1 and is_common_word(word) and word not in paths
        for lines in held.values()
        if len(lines) >= 2
    )
    return candidates[len(candidates) // 2]


@pytest.mark.parametrize("name", ["diff_three_files.txt", "show_results.txt"])
@pytest.mark.parametrize(("target_ratio", "min_tokens"), [(0.2, 300), (0.3, 600), (0.4, 600), (0.25, 0)])
def test_the_lines_a_plain_word_of_the_question_picks_survive_any_nearby_budget(
    name: str, target_ratio: float, min_tokens: int
) -> None:
    text = git_fixture(name)
    word, lines = one_hunk_word(text)
    # The question also names the package, as a user would: a word every hunk's file is under.
    package = DiffDocument.parse(text).sections[0].path.split("/")[0]
    kept = chosen_lines(
        text,
        f"Which {package} lines changed for the {word} handling?",
        "git diff",
        target_ratio=target_ratio,
        min_tokens=min_tokens,
    )
    assert set(lines) <= kept, word


@pytest.mark.parametrize("name", ["show_results.txt", "show_merge.txt"])
def test_a_git_show_read_as_a_diff_keeps_the_commit_header_and_message_whatever_the_budget(name: str) -> None:
    text = git_fixture(name)
    header = [line for line in text.split("\n") if line.startswith(("commit ", "Author:", "Date:", "Merge:"))]
    sha = header[0].split()[1]
    messages = openai_tool_turn(
        text, f"Who made {sha[:10]}, and when?", tool="bash", arguments={"command": f"git show {sha[:10]}"}
    )
    result = compress(messages, store=MemoryStore(), trace=True)
    row = next(r for r in result.trace.rows() if r["stage"] == "classify" and r["message"] == 3)
    output = result.messages[-1]["content"].split("\n")
    assert all(line in output for line in header), row["label"]
    if row["label"] == "diff":  # a commit's message is meta: a diff keeps it whole
        before_patch = text.split("\ndiff --")[0].split("\n")
        assert all(line in output for line in before_patch if line.startswith("    "))


def test_a_sweep_of_one_small_hunk_per_file_saves_half_listing_every_file_it_drops() -> None:
    text = git_fixture("show_sweep.txt")  # `from __future__ import annotations` in 107 modules
    assert count_tokens(text) > 5000
    document = DiffDocument.parse(text)
    named = next(s for s in document.sections if s.path == "oauthlib/oauth2/rfc6749/errors.py")
    block = crushed(text, f"Did {named.path} get the future import too?")
    rendered = block.render()
    kept = set(check_lines(text, rendered, block.ref))
    # The file the question names: every header and change, its context trimmed like any hunk's.
    assert {i for i in named.lines if document.kinds[i] != CONTEXT} <= kept
    listed = {
        path
        for summary in find_summaries(rendered)
        if isinstance(hunks := summary.entries.get("hunks"), Hunks)
        for path, _, _ in hunks.hunks
    }
    for section in document.sections:
        if not any(i in kept for i in section.lines):
            assert section.path in listed  # a file that keeps nothing is named in the marker over it
    assert count_tokens(rendered) <= 0.5 * count_tokens(text)
    # Consecutive files that keep nothing share one marker.
    assert len(find_markers(rendered)) < 0.2 * len(document.sections)


def commit_with_common_word_definition(log: str) -> tuple[str, str, list[str]]:
    """From a `git log -p`, read before compressing: the first commit with a hunk whose header's
    definition is named by a common word (`class Dict`), as a one-commit patch; the name; and
    the changed lines of the hunks in that definition."""
    from headroom.words import is_common_word

    for commit in re.split(r"(?m)^(?=commit [0-9a-f]{40})", log):
        hunks = re.split(r"(?m)^(?=@@ |diff --git )", commit)
        for hunk in hunks:
            found = re.match(r"@@ .*? @@.*\b(?:def|class) (\w+)", hunk)
            if found and is_common_word(found[1].lower()):
                name = found[1]
                changed = [
                    line
                    for h in hunks
                    if re.match(rf"@@ .*? @@.*\b(?:def|class) {name}\b", h)
                    for line in h.split("\n")[1:]
                    if line.startswith(("+", "-")) and line[1:].strip()
                ]
                return commit, name, changed
    raise AssertionError("no such hunk")


def test_a_plain_word_that_is_the_name_of_a_hunks_definition_keeps_that_hunk_whatever_the_budget() -> None:
    patch, name, changed = commit_with_common_word_definition(git_fixture("log_p_core.txt"))
    question = f"What changed in {name.lower()} in this commit?"  # lower case: a plain word
    kept = {
        patch.split("\n")[i]
        for i in chosen_lines(patch, question, "git show", target_ratio=0.05, min_tokens=50)
    }
    assert changed and all(line in kept for line in changed)


def word_naming_one_file_found_in_anothers_changes(text: str) -> tuple[str, list[int]]:
    """A word of one file's path (`testing` of pyparsing/testing.py) that the changed lines of a
    hunk in another file hold, with those lines: read from the raw diff."""
    from headroom.stages.crush.diff import path_words

    document = DiffDocument.parse(text)
    for section in document.sections:
        for word in sorted(w for w in path_words([section.path]) if len(w) >= 4 and w.isalpha()):
            lines = [
                i
                for other in document.sections
                if word not in path_words([other.path])
                for hunk in other.hunks
                for i in hunk
                if document.kinds[i] in CHANGES and re.search(rf"\b{word}", document.units[i].lower())
            ]
            if lines:
                return word, lines
    raise AssertionError("no such word")


def test_a_word_naming_one_file_weighs_nothing_in_its_hunks_and_counts_in_another_files() -> None:
    from headroom.stages.crush.diff import Hunk, PatchChooser

    text = git_fixture("diff_three_files.txt")
    word, lines = word_naming_one_file_found_in_anothers_changes(text)
    messages = openai_tool_turn(text, f"Which changed lines are about {word}ing?", tool="bash")
    state = labelled(make_state(messages), "diff")
    run_stage(Score(), state)
    block = tool_block(state)
    document = block.document
    assert isinstance(document, DiffDocument)
    chooser = PatchChooser(block, state, document, DiffParams())
    hunks = [
        Hunk(p, hunk, [i for i in hunk if document.kinds[i] in CHANGES])
        for p, section in enumerate(document.sections)
        for hunk in section.hunks
    ]
    matches = chooser._matches(hunks)
    holding = {position for position, hunk in enumerate(hunks) if set(lines) & set(hunk.lines)}
    named = {p for p, section in enumerate(document.sections) if word in section.path}
    assert holding and all(matches.weights[p] > 0 and set(lines) & matches.lines[p] for p in holding)
    assert all(matches.weights[p] == 0 for p, hunk in enumerate(hunks) if hunk.section in named)


# Which files a request names, and names in their own case ------------------------------------


def file_diff(path: str, changes: list[list[str]]) -> str:
    """A `git diff` of one file: one hunk per entry, each replacing its lines (`+new` for `-old`)
    between three unchanged lines on each side."""
    out = [f"diff --git a/{path} b/{path}", "index 1111111..2222222 100644", f"--- a/{path}", f"+++ b/{path}"]
    start = 10
    for lines in changes:
        out.append(f"@@ -{start},{6 + len(lines)} +{start},{6 + len(lines)} @@ def step_{start}(self):")
        out += [f"     unchanged_{start}_{k} = {k}" for k in range(3)]
        out += [f"-    {line}" for line in lines] + [f"+    {line}  # v2" for line in lines]
        out += [f"     trailing_{start}_{k} = {k}" for k in range(3)]
        start += 40
    return "\n".join(out)


def module_changes(name: str) -> list[list[str]]:
    return [[f"{name}_value_{h}_{k} = compute_{name}({h}, {k})" for k in range(4)] for h in range(3)]


SIBLINGS = ("core", "alpha", "beta", "gamma", "delta")
PACKAGE_DIFF = "\n".join(
    [file_diff(f"src/pkg/{name}.py", module_changes(name)) for name in SIBLINGS]
    + [file_diff(f"docs/page{n}.md", module_changes(f"page{n}")) for n in range(5)]
)


def kept_changes(block: Any, path: str) -> list[str]:
    document = block.document
    rendered = set(block.render().split("\n"))
    lines = lines_of(document, path)
    changed = [document.units[i] for i in lines if document.kinds[i] in CHANGES]
    return [line for line in changed if line in rendered]


def all_changes(path: str) -> list[str]:
    document = DiffDocument(PACKAGE_DIFF)
    return [document.units[i] for i in lines_of(document, path) if document.kinds[i] in CHANGES]


def test_a_named_path_keeps_its_file_whole_but_not_the_files_beside_it() -> None:
    # `src` and `pkg` are only parts of the path the request writes: they say where core.py is,
    # not that its four siblings (half the diff's files) are asked about.
    question = "Show me every changed line of src/pkg/core.py."
    block = crushed(PACKAGE_DIFF, question, target_ratio=0.1, min_tokens=0)
    assert kept_changes(block, "src/pkg/core.py") == all_changes("src/pkg/core.py")
    for name in SIBLINGS[1:]:
        assert kept_changes(block, f"src/pkg/{name}.py") == []


def test_a_directory_written_alone_puts_its_files_first_not_whole() -> None:
    # "pkg" on its own names a directory of five files: their hunks come before the docs' hunks,
    # within the budget, instead of all of them staying whatever they cost.
    block = crushed(PACKAGE_DIFF, "What changed under pkg?", target_ratio=0.15, min_tokens=0)
    in_package = sum(len(kept_changes(block, f"src/pkg/{name}.py")) for name in SIBLINGS)
    in_docs = sum(len(kept_changes(block, f"docs/page{n}.md")) for n in range(5))
    assert 0 < in_package < sum(len(all_changes(f"src/pkg/{name}.py")) for name in SIBLINGS)
    assert in_docs == 0


def test_a_capitalised_name_matches_in_its_own_case_where_its_lower_case_is_everywhere() -> None:
    sweep = [[f"def method_{h}(self) -> Dict[str, int]:", f"return self.table_{h}"] for h in range(12)]
    sweep[11] = ["def copy_11(self, other: Mapping[str, int]) -> Self:", "return self.table_11"]
    text = file_diff("src/pkg/tables.py", sweep) + "\n" + file_diff("src/pkg/other.py", sweep[:6])
    block = crushed(text, "Which annotations use the new Self type?", target_ratio=0.4, min_tokens=0)
    rendered = block.render().split("\n")
    assert "+    def copy_11(self, other: Mapping[str, int]) -> Self:  # v2" in rendered
    assert "+    def method_3(self) -> Dict[str, int]:  # v2" not in rendered


def test_the_runs_target_ratio_option_sets_the_diffs_budget() -> None:
    messages = openai_tool_turn(PACKAGE_DIFF, "What changed?", tool="bash", arguments={"command": "git diff"})
    sizes = {}
    for ratio in (None, 0.15, 0.8):
        options = {} if ratio is None else {"target_ratio": ratio}
        state = labelled(make_state(messages, **options), "diff")
        run_stage(CrushDiff(DiffParams()), state)
        sizes[ratio] = count_tokens(tool_block(state).render())
    assert sizes[0.15] < sizes[None] < sizes[0.8]


def signature_hunk(path: str, function: str, old: str, new: str) -> str:
    """A file diff whose one hunk changes the parameters below an unchanged `def function(` line."""
    return "\n".join(
        [
            f"diff --git a/{path} b/{path}",
            f"--- a/{path}",
            f"+++ b/{path}",
            "@@ -200,9 +200,9 @@ class Registry:",
            "         return self.entries",
            " ",
            f"     def {function}(",
            f"-        {old}",
            f"+        {new}",
            "     ) -> t.Iterator[None]:",
            '         """Connect for the duration of a with block."""',
            "         self.connect(receiver)",
            "         yield",
        ]
    )


def test_the_signature_changes_of_a_function_the_question_names_survive_below_an_unchanged_def() -> None:
    # No term of the question is in the changed parameter line: only the unchanged `def` line above
    # it says which function it belongs to. A sibling's same change, which nobody asked about, goes.
    old, new = (
        "self, receiver: t.Callable, sender: t.Any = ANY",
        "self, receiver: t.Callable[..., t.Any], sender: t.Any = ANY",
    )
    text = "\n".join(
        [
            signature_hunk("src/pkg/base.py", "connected_to", old, new),
            signature_hunk(
                "src/pkg/extra.py", "muted", old.replace("receiver", "slot"), new.replace("receiver", "slot")
            ),
            PACKAGE_DIFF,
        ]
    )
    question = "What type hints did connected_to get in the new release?"
    block = crushed(text, question, target_ratio=0.1, min_tokens=0)
    assert kept_changes(block, "src/pkg/base.py") == [f"-        {old}", f"+        {new}"]
    assert "     def connected_to(" in block.render().split("\n")
    assert kept_changes(block, "src/pkg/extra.py") == []
