"""crush.git_log.v1: the commits a question needs keep their headers whole; the rest are marked in place.

The logs are real `git log` output over a scratch history (`tests/git_material.py`). Which
commit a question is about is chosen by a rule over the raw text (its position, the file its
--name-status lines list, the word its message starts with) before anything is compressed.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from headroom import compress, retrieve
from headroom.ccr.stores import MemoryStore
from headroom.content.diff import CHANGES, HUNK
from headroom.content.git_log import GitLogDocument
from headroom.markers import Hunks, find_markers, find_summaries
from headroom.pipeline.stage import BlockState
from headroom.stages.crush.git_log import CrushGitLog, GitLogParams
from headroom.tokens import count_tokens
from tests.git_material import FULL_FORMS, ONELINE_FORMS, saved
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
