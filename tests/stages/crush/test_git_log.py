"""crush.git_log.v1: the commits a question needs keep their headers whole; the rest are marked in place.

The logs are real `git log` output over a scratch history (`tests/git_material.py`). Which
commit a question is about is chosen by a rule over the raw text (its position, the file its
--name-status lines list, the word its message starts with) before anything is compressed.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from headroom import compress, retrieve
from headroom.ccr.stores import MemoryStore
from headroom.content.diff import CHANGES, HUNK
from headroom.content.git_log import GitLogDocument
from headroom.markers import Hunks, find_markers, find_summaries
from headroom.pipeline.stage import BlockState
from headroom.stages.crush.git_log import CrushGitLog, GitLogParams, pickaxe
from headroom.testing import make_state, run_stage, tool_block
from headroom.tokens import count_tokens
from tests.git_material import FULL_FORMS, ONELINE_FORMS, saved
from tests.helpers import labelled, openai_tool_turn
from tests.stages.crush.common import crushed
from tests.stages.crush.line_checks import check_lines

FORMS = (*FULL_FORMS, *ONELINE_FORMS)
text_of = saved


def crush(name: str, question: str, command: str = "git log", **params: Any) -> BlockState:
    return crushed(
        CrushGitLog(GitLogParams(**params)),
        text_of(name),
        "git_log",
        question,
        arguments={"command": command},
    )


def kept_of(block: BlockState, name: str) -> set[int]:
    return set(check_lines(text_of(name), block.render(), block.ref))


def commits(block: BlockState) -> GitLogDocument:
    document = block.document
    assert isinstance(document, GitLogDocument)
    return document


@pytest.mark.parametrize("name", FORMS)
def test_every_form_is_marked_in_place_and_every_kept_commit_keeps_its_header_whole(name: str) -> None:
    block = crush(name, "What changed in the last few weeks?")
    kept = kept_of(block, name)
    document = commits(block)
    touched = [c for c in document.commits if any(i in kept for i in c.lines)]
    assert touched and find_markers(block.render())
    for commit in touched:
        assert set(commit.header) <= kept, commit.subject
    if count_tokens(text_of(name)) > 4 * GitLogParams().min_tokens:  # not held up by the floor
        assert count_tokens(block.render()) < 0.5 * count_tokens(text_of(name))


@pytest.mark.parametrize("name", FULL_FORMS)
def test_a_commit_named_by_its_short_sha_is_kept_with_author_and_date(name: str) -> None:
    shas = re.findall(r"^[*|/\\ ]*commit ([0-9a-f]{40})", text_of(name), re.MULTILINE)
    sha = shas[len(shas) * 2 // 3]  # one deep in the log, far from the newest
    block = crush(name, f"Who wrote {sha[:9]}, and when?")
    kept = kept_of(block, name)
    commit = next(c for c in commits(block).commits if c.sha == sha)
    assert set(commit.header) <= kept
    header = [commits(block).diff_lines()[i] for i in commit.header]  # without a --graph's rails
    assert any(line.startswith("Author:") for line in header) and any("Date:" in line for line in header)


def touching(name: str, path: str) -> list[str]:
    """The shas whose --name-status lines list `path` (read from the raw text)."""
    found, sha = [], ""
    for line in text_of(name).split("\n"):
        head = re.match(r"commit ([0-9a-f]{40})", line)
        if head:
            sha = head[1]
        elif line.split("\t")[-1] == path and re.match(r"[ACDMRT]\d*\t", line):
            found.append(sha)
    return found


def test_every_commit_touching_the_file_the_question_names_is_kept() -> None:
    expected = touching("log_name_status.txt", "pyparsing/exceptions.py")
    assert 1 <= len(expected) < 5
    block = crush("log_name_status.txt", "Which commits touched pyparsing/exceptions.py?")
    kept = kept_of(block, "log_name_status.txt")
    document = commits(block)
    for commit in document.commits:
        if commit.sha in expected:
            assert set(commit.header) <= kept
            named = [i for i, path in commit.file_lines.items() if path == "pyparsing/exceptions.py"]
            assert set(named) <= kept  # the file line that answers it, too


def test_the_revert_the_question_asks_about_survives_and_its_message_too() -> None:
    text = text_of("log_medium.txt")
    revert = re.search(r"^commit ([0-9a-f]{40})\n(?:.+\n)+\n    Revert", text, re.MULTILINE)
    assert revert is not None
    block = crush("log_medium.txt", "Who reverted the parse actions update, and when?")
    commit = next(c for c in commits(block).commits if c.sha == revert[1])
    kept = kept_of(block, "log_medium.txt")
    assert set(commit.header) | set(commit.message) <= kept  # "This reverts commit ..." names what


def test_a_tag_the_question_names_keeps_its_commit() -> None:
    block = crush("log_oneline_graph.txt", "Which commit is tagged 3.1.0?", "git log --oneline --graph --all")
    kept = kept_of(block, "log_oneline_graph.txt")
    tagged = [c for c in commits(block).commits if "tag: 3.1.0" in c.refs]
    assert len(tagged) == 1 and set(tagged[0].header) <= kept


def test_signals_rank_first_when_the_question_names_nothing() -> None:
    block = crush("log_oneline.txt", "Summarise the history.", target_ratio=0.1, min_tokens=0)
    kept = kept_of(block, "log_oneline.txt")
    kept_subjects = [c.subject for c in commits(block).commits if c.header.start in kept]
    assert len(kept_subjects) < 15
    for word in ("Revert", "Security", "BREAKING"):
        assert any(subject.startswith(word) for subject in kept_subjects), word


@pytest.mark.parametrize("name", ["log_medium.txt", "log_fuller_decorate.txt", "log_oneline.txt"])
def test_each_dropped_run_counts_its_commits_and_their_authors(name: str) -> None:
    block = crush(name, "What changed?")
    document = commits(block)
    rendered = block.render()
    for line in rendered.split("\n"):
        (marker, *_) = find_markers(line) or [None]
        if marker is None:
            continue
        run = range(marker.first - 1, marker.last)
        inside = [c for c in document.commits if c.header.start in run]
        summaries = find_summaries(line)
        if not inside or not summaries:
            continue
        (summary,) = summaries
        assert summary.entries["kind"] == [("commit", len(inside))]
        if "author" in summary.entries:
            assert sum(count for _, count in summary.entries["author"]) == len(inside)  # type: ignore[misc]


@pytest.mark.parametrize("target_ratio", [0.1, GitLogParams().target_ratio])
def test_a_kept_commits_patch_keeps_or_lists_every_file_and_hunk_header_and_a_dropped_ones_keeps_none(
    target_ratio: float,
) -> None:
    name = "log_p_core.txt"
    block = crush(
        name,
        "When did SkipTo.parseImpl change, and what changed in it?",
        "git log -p -- pyparsing/core.py",
        target_ratio=target_ratio,
    )
    kept = kept_of(block, name)
    document = commits(block)
    kept_commits = [c for c in document.commits if c.header.start in kept]
    assert 0 < len(kept_commits) <= len(document.commits)
    if target_ratio < GitLogParams().target_ratio:
        assert len(kept_commits) < len(document.commits)
    listed = listed_hunk_headers(block.render())
    for commit in document.commits:
        if commit in kept_commits:
            for section in (s for s in document.sections if s.lines.start in commit.lines):
                header = set(section.header(document.kinds))
                # A file shows its header above what it keeps, or keeps nothing and is listed by path.
                assert header <= kept or (
                    not any(i in kept for i in section.lines) and section.path in listed
                )
            for i in (i for i in commit.lines if document.kinds[i] == HUNK and i not in kept):
                assert document.units[i].split(" @@")[0].removeprefix("@@ ") in listed
        else:
            assert not any(i in kept for i in commit.lines)
    # The hunks git says are in class SkipTo, in the commits kept, keep their changes.
    for section in document.sections:
        for hunk in section.hunks:
            if "class SkipTo" in document.units[hunk.start] and hunk.start in kept:
                assert all(i in kept for i in hunk if document.kinds[i] in CHANGES)
    assert count_tokens(block.render()) < 0.5 * count_tokens(text_of(name))


def listed_hunk_headers(rendered: str) -> list[str]:
    """The line ranges of the hunk headers the summaries of a rendering list, and their paths."""
    found: list[str] = []
    for summary in find_summaries(rendered):
        hunks = summary.entries.get("hunks")
        if isinstance(hunks, Hunks):
            found.extend(part for path, ranges, _ in hunks.hunks for part in (path, ranges) if part)
    return found


def test_lossless_and_short_logs_are_left_whole() -> None:
    assert crush("log_medium.txt", "What changed?", policy="lossless").keep is None
    short = "\n".join(text_of("log_medium.txt").split("\n")[:25])
    assert crushed(CrushGitLog(), short, "git_log", "What changed?").keep is None


def test_compress_end_to_end_labels_the_log_and_keeps_the_original_retrievable() -> None:
    text = text_of("log_name_status.txt")
    store = MemoryStore()
    messages = [
        {"role": "user", "content": "Which commits touched pyparsing/exceptions.py?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "bash", "arguments": '{"command": "git log"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": text},
    ]
    result = compress(messages, store=store, trace=True)
    output = result.messages[2]["content"]
    assert any(note.startswith("crush.git_log.v1:commits") for note in result.transforms_applied)
    (ref,) = {marker.hash for marker in find_markers(output)}
    assert retrieve(ref, store) == text
    assert result.trace is not None
    row = next(r for r in result.trace.rows() if r["stage"] == "classify" and r["message"] == 2)
    assert row["label"] == "git_log" and row["candidates"].startswith("git_log 1.0")
    again = compress(messages, store=MemoryStore()).messages[2]["content"]
    assert again == output


def test_renames_mode_changes_and_binary_files_keep_their_file_headers() -> None:
    name = "log_p_moves.txt"
    block = crush(name, "Which file was renamed, and what changed in the constructor?", "git log -p -4")
    kept = kept_of(block, name)
    document = commits(block)
    for section in document.sections:
        if not section.hunks and any(i in kept for i in section.lines):
            assert all(i in kept for i in section.lines)  # rename, mode and Binary lines are its header
    renamed = next(s for s in document.sections if s.path == "yaml/c_yaml.py")
    assert set(renamed.lines) <= kept


def rename_of(text: str, old_path: str) -> tuple[str, list[str]]:
    """The --name-status line renaming `old_path` and the header lines (sha, Author, Date) of the
    commit holding it, read from the raw log before anything is compressed."""
    header: list[str] = []
    for line in text.split("\n"):
        if line.startswith("commit "):
            header = [line]
        elif line.startswith(("Author:", "Date:")):
            header.append(line)
        elif re.match(rf"^R\d+\t{re.escape(old_path)}\t", line):
            return line, header
    raise AssertionError(f"no rename of {old_path}")


@pytest.mark.parametrize("max_files", [0, GitLogParams().max_files])
def test_a_kept_commit_keeps_the_file_line_the_question_names_among_many(max_files: int) -> None:
    name = "log_name_status_src_layout.txt"
    text = text_of(name)
    rename, header = rename_of(text, "yaml/constructor.py")
    block = crush(
        name,
        "Our script imports yaml/constructor.py by path and broke. Where did it move to, who moved it, when?",
        "git log --name-status",
        max_files=max_files,  # the file lines a kept commit lists as the budget allows
    )
    rendered = block.render().split("\n")
    check_lines(text, block.render(), block.ref)
    assert rename in rendered and all(line in rendered for line in header)
    document = commits(block)
    moved = next(c for c in document.commits if rename in [document.units[i] for i in c.lines])
    if max_files == 0:  # the named one of the commit's 17 renames (and a neighbour a marker would outweigh)
        assert len([i for i in moved.file_lines if i in block.kept_indices()]) < len(moved.file_lines) / 2


def test_a_kept_commit_with_few_file_lines_keeps_them_all() -> None:
    name = "log_name_status_src_layout.txt"
    block = crush(
        name, "Who brought util.py to 3.3.3?", "git log --name-status", target_ratio=0.05, min_tokens=0
    )
    document = commits(block)
    kept = set(block.kept_indices())
    for commit in document.commits:
        if commit.header.start in kept and len(commit.file_lines) <= GitLogParams().few_files:
            assert set(commit.file_lines) <= kept


def _release_patch_log(commits: int = 8, files: int = 6, hunk_lines: int = 30) -> str:
    """`git log -p -G netrc`-shaped output: each commit a whole release, many big hunks; one hunk
    of one commit changes a line holding the searched word."""
    parts = []
    for c in range(commits):
        sha = f"{c + 1:x}" * 40
        parts.append(
            f"commit {sha[:40]}\nAuthor: Rel Bot <rel@example.com>\n"
            f"Date:   Mon Mar {c + 1} 10:00:00 2026 +0000\n\n    Release 1.{c}.0\n"
        )
        for f in range(files):
            body = "".join(
                f"-    value_{c}_{f}_{j} = {j}\n+    value_{c}_{f}_{j} = {j + 1}\n" for j in range(hunk_lines)
            )
            if c == 5 and f == 3:
                body += "+    auth = get_netrc_auth(url, raise_errors=False)\n"
            parts.append(
                f"diff --git a/pkg/mod{f}.py b/pkg/mod{f}.py\nindex 1111111..2222222 100644\n"
                f"--- a/pkg/mod{f}.py\n+++ b/pkg/mod{f}.py\n@@ -1,{hunk_lines} +1,{hunk_lines} @@\n{body}"
            )
    return "\n".join(parts)


def test_the_lines_a_pickaxe_matched_survive_in_a_log_of_big_patches() -> None:
    text = _release_patch_log(commits=10, files=10, hunk_lines=60)
    found = "+    auth = get_netrc_auth(url, raise_errors=False)"
    for command in ("git log -p -G'get_netrc_auth\\(' -- pkg", "git log -p -Sget_netrc_auth -- pkg"):
        block = crushed(
            CrushGitLog(GitLogParams()),
            text,
            "git_log",
            "When did this change?",
            arguments={"command": command},
        )
        rendered = block.render()
        assert found in rendered
        assert "commit " + "6" * 40 in rendered
        assert count_tokens(rendered) < 0.5 * count_tokens(text)


@pytest.mark.parametrize(
    ("command", "matches", "misses"),
    [
        ("git log -p -G'os\\.system' -- src", "os.system('x')", "os_system"),
        ("git log -p -G netrc v2.26.0..", "get_netrc_auth", "auth"),
        ('git log -S"foo(bar" -p', "x = foo(bar)", "foo bar"),
        ("git log -p --pickaxe-regex -S'fo+\\(' -- a.py", "foooo(", "fo"),
        ("git log -p -G'unclosed(' -- a.py", "unclosed(", "unclosed"),  # taken as a string
    ],
)
def test_the_pickaxe_of_the_tool_call_is_read(command: str, matches: str, misses: str) -> None:
    found = pickaxe(json.dumps({"command": command}))
    assert found is not None and found.search(matches) and not found.search(misses)


def test_a_command_without_a_pickaxe_has_none() -> None:
    assert pickaxe(json.dumps({"command": "git log -p -- src"})) is None
    assert pickaxe(json.dumps({"command": "ls -G /tmp"})) is None


def _raising_log() -> tuple[str, list[str]]:
    """A `git log -p` of big release patches; two commits change what a function raises."""
    text = _release_patch_log(commits=16, files=10, hunk_lines=60)
    raises = {
        "3" * 40: '+        raise ConfigError(\n+            f"no such profile: {name}"\n+        )\n',
        "8" * 40: '+        raise TimeoutError("the server did not answer")\n',
    }
    for sha, lines in raises.items():
        header = "+++ b/pkg/mod4.py\n@@ -1,60 +1,60 @@\n"
        at = text.index(header, text.index(f"commit {sha}")) + len(header)
        for _ in range(60):  # in the middle of the hunk
            at = text.index("\n", at) + 1
        text = text[:at] + lines + text[at:]
    return text, [line for lines in raises.values() for line in lines.rstrip("\n").split("\n")]


def test_the_changed_lines_that_raise_survive_when_the_request_asks_about_errors() -> None:
    text, wanted = _raising_log()
    block = crushed(
        CrushGitLog(GitLogParams()),
        text,
        "git_log",
        "Which exceptions can load_profile fail with now, and since when?",
    )
    rendered = block.render().split("\n")
    assert all(line in rendered for line in wanted)  # a raise over three lines is kept whole
    assert "commit " + "3" * 40 in rendered and "commit " + "8" * 40 in rendered
    assert count_tokens(block.render()) < 0.5 * count_tokens(text)


def test_lines_that_raise_are_not_pinned_when_the_request_asks_nothing_of_errors() -> None:
    text, wanted = _raising_log()
    block = crushed(CrushGitLog(GitLogParams()), text, "git_log", "Summarise these releases.")
    assert not any(block.document.units[i] in wanted for i in block.pinned)


def test_the_runs_target_ratio_option_sets_the_logs_budget() -> None:
    messages = openai_tool_turn(
        text_of(FULL_FORMS[0]), "Summarise the history.", arguments={"command": "git log"}
    )
    sizes = {}
    for ratio in (None, 0.05, 0.6):
        options = {} if ratio is None else {"target_ratio": ratio}
        state = labelled(make_state(messages, **options), "git_log")
        run_stage(CrushGitLog(GitLogParams(min_tokens=0)), state)
        sizes[ratio] = count_tokens(tool_block(state).render())
    assert sizes[0.05] < sizes[None] < sizes[0.6]


def _concept_log() -> tuple[str, list[str]]:
    """A `git log -p` of big release patches, with 100 changed raise lines of other errors spread
    round the hunks (more than the raise cap takes) and, in one hunk, the lines about timeouts:
    one raising, one catching, one defining the error class, its name holding the word inside."""
    text = _release_patch_log(commits=16, files=10, hunk_lines=60)
    noise = "".join(f'+        raise ValueError("bad value {n}")\n' for n in range(10))
    for sha in (
        "1" * 40,
        "2" * 40,
        "4" * 40,
        "5" * 40,
        "6" * 40,
        "7" * 40,
        "9" * 40,
        "a" * 40,
        "b" * 40,
        "c" * 40,
    ):
        header = "+++ b/pkg/mod2.py\n@@ -1,60 +1,60 @@\n"
        at = text.index(header, text.index(f"commit {sha}")) + len(header)
        text = text[:at] + noise + text[at:]
    concept = [
        "+class _ReadTimeoutError(_TransportError):",
        "+        except _ReadTimeoutError as error:",
        '+            raise ReadTimeoutError(pool, url, "Read timed out.") from error',
    ]
    header = "+++ b/pkg/mod7.py\n@@ -1,60 +1,60 @@\n"
    at = text.index(header, text.index("commit " + "d" * 40)) + len(header)
    for _ in range(40):
        at = text.index("\n", at) + 1
    text = text[:at] + "\n".join(concept) + "\n" + text[at:]
    return text, concept


def test_the_error_lines_of_the_concept_the_request_names_survive_before_other_raises() -> None:
    text, wanted = _concept_log()
    block = crushed(
        CrushGitLog(GitLogParams()),
        text,
        "git_log",
        "Which releases changed the errors raised or caught for timeouts?",
    )
    rendered = block.render().split("\n")
    assert all(line in rendered for line in wanted)
    pinned = {block.document.units[i] for i in block.pinned}
    assert set(wanted) <= pinned  # the catch and the class too: no budget may cut them
    assert count_tokens(block.render()) < 0.5 * count_tokens(text)


def test_a_concept_pins_no_error_line_that_does_not_hold_it() -> None:
    """Asked of another concept, the timeout lines that do not raise (the catch, the class) are not
    pinned; the raise is, as every changed raise is for a question about errors."""
    text, wanted = _concept_log()
    block = crushed(
        CrushGitLog(GitLogParams()), text, "git_log", "Which releases changed the errors raised for profiles?"
    )
    pinned = {block.document.units[i] for i in block.pinned}
    assert not (set(wanted[:2]) & pinned)
