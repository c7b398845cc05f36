"""Git logs: every form git prints reads into the same commits, with their headers, files and patches.

The fixtures are real `git log` output over a scratch history of pyparsing and PyYAML
(`tests/git_material.py`). Expected facts are read from the raw text by a rule of their own
(`commit <sha>` lines, the indented subject under them, the tab-separated --name-status
lines), or from another form of the same history, never from the parser under test.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from headroom.content import detect_label, parse
from headroom.content.detect import CERTAIN, STRONG, detect
from headroom.content.diff import FILE
from headroom.content.git_log import GitLogDocument, commit_day
from headroom.markers import find_summaries
from tests.git_material import FULL_FORMS, ONELINE_FORMS, saved
from tests.stages.crush.line_checks import check_lines

REF = "0123456789abcdef"
text_of = saved


def document(name: str) -> GitLogDocument:
    parsed = parse("git_log", text_of(name))
    assert isinstance(parsed, GitLogDocument)
    return parsed


def shas_in_order(text: str) -> list[str]:
    """The shas of a full-format log, by their `commit <sha>` lines (after any graph rails)."""
    return re.findall(r"^[*|/\\ ]*commit ([0-9a-f]{40})", text, re.MULTILINE)


def subjects_by_sha(text: str) -> dict[str, str]:
    """A one-line log's subjects by short sha, with the refs in parentheses taken off."""
    found = {}
    for sha, rest in re.findall(r"^[*|/\\ ]*([0-9a-f]{7}) (.*)$", text, re.MULTILINE):
        found[sha] = re.sub(r"^\([^)]*\) ", "", rest)
    return found


@pytest.mark.parametrize("name", [*FULL_FORMS, *ONELINE_FORMS, "show_merge.txt"])
def test_every_form_is_detected_as_a_git_log_and_surely(name: str) -> None:
    detection = detect(text_of(name))
    assert detection.label == "git_log"
    assert detection.candidates[0].confidence >= STRONG
    assert detect_label(text_of(name)) == "git_log"


@pytest.mark.parametrize("name", ["show_results.txt", "diff_u_testing.txt", "diff_three_files.txt"])
def test_one_commit_around_a_patch_and_plain_diffs_are_diffs_with_the_log_a_lesser_candidate(
    name: str,
) -> None:
    detection = detect(text_of(name))
    assert detection.label == "diff" and detection.candidates[0].confidence == CERTAIN
    assert all(c.confidence < CERTAIN for c in detection.candidates[1:])


@pytest.mark.parametrize("name", ["blame_util.txt", "blame_core.txt"])
def test_git_blame_is_code_under_its_columns_not_a_one_line_log(name: str) -> None:
    detection = detect(text_of(name))
    assert detection.label == "code" and detection.candidates[0].evidence == "blamed source lines"
    assert "git_log" not in [c.label for c in detection.candidates]


@pytest.mark.parametrize("name", FULL_FORMS)
def test_full_forms_read_one_commit_per_sha_line_each_header_whole(name: str) -> None:
    text = text_of(name)
    parsed = document(name)
    assert [commit.sha for commit in parsed.commits] == shas_in_order(text)
    for commit in parsed.commits:
        header = [parsed.diff_lines()[i] for i in commit.header]
        assert header[0].startswith("commit " + commit.sha)
        assert any(line.startswith("Author:") for line in header)
        assert header[-1].strip() == commit.subject  # the header runs through the subject line
    # Every line belongs to exactly one commit (the log has no preamble).
    assert [i for c in parsed.commits for i in c.lines] == list(range(len(parsed.units)))


def test_subjects_authors_and_dates_agree_across_forms() -> None:
    medium = {c.sha: c for c in document("log_medium.txt").commits}
    oneline = subjects_by_sha(text_of("log_oneline.txt"))
    assert {sha[:7]: c.subject for sha, c in medium.items()} == oneline
    for commit in document("log_fuller_decorate.txt").commits:
        assert (commit.author, commit.date) == (medium[commit.sha].author, medium[commit.sha].date)
    for commit in document("log_oneline_graph.txt").commits:
        assert commit.subject == oneline[commit.sha]


def test_decorations_are_read_as_refs_not_as_part_of_the_subject() -> None:
    first = document("log_fuller_decorate.txt").commits[0]
    assert first.refs == "HEAD -> main, tag: v3.3.3"
    assert "HEAD" not in first.subject
    graph = document("log_oneline_graph.txt").commits
    assert any("tag: 3.1.0" in commit.refs for commit in graph)


def name_status_files(text: str) -> dict[str, list[str]]:
    """Per sha, the paths of the tab-separated --name-status lines under it."""
    files: dict[str, list[str]] = {}
    sha = ""
    for line in text.split("\n"):
        found = re.match(r"commit ([0-9a-f]{40})", line)
        if found:
            sha = found[1]
            files[sha] = []
        elif re.match(r"[ACDMRT]\d*\t", line):
            files[sha].append(line.split("\t")[-1])
    return files


@pytest.mark.parametrize("name", ["log_name_only.txt", "log_stat.txt", "log_graph_stat.txt"])
def test_the_files_of_each_commit_agree_with_name_status(name: str) -> None:
    expected = name_status_files(text_of("log_name_status.txt"))
    parsed = document(name)
    for commit in parsed.commits:
        assert parsed.files_of(commit) == expected[commit.sha], commit.subject
    stat = document("log_stat.txt")
    assert all(commit.stat_summary is not None for commit in stat.commits if expected[commit.sha])


def test_a_patch_is_read_into_file_sections_under_its_commit() -> None:
    parsed = document("log_p_small_files.txt")
    expected = name_status_files(text_of("log_name_status.txt"))
    asked = {"pyparsing/util.py", "pyparsing/unicode.py", "pyparsing/exceptions.py"}
    asked |= {"pyparsing/warnings.py", "yaml/__init__.py"}
    for commit in parsed.commits:
        assert parsed.files_of(commit) == [path for path in expected[commit.sha] if path in asked]
    assert parsed.anchors() == set()  # which patches stay is the crusher's choice, commit by commit


def test_a_graph_of_full_commits_reads_its_messages_under_the_rails() -> None:
    parsed = document("log_graph_stat.txt")
    for commit in parsed.commits:
        assert not commit.subject.startswith(("|", "*"))
        assert all(not parsed.diff_lines()[i].startswith("|") for i in commit.header)


@pytest.mark.parametrize("name", ONELINE_FORMS)
def test_one_line_forms_make_one_commit_per_sha_line(name: str) -> None:
    text = text_of(name)
    parsed = document(name)
    assert [c.sha for c in parsed.commits] == list(subjects_by_sha(text))
    assert all(len(commit.header) == 1 for commit in parsed.commits)


def test_signals_are_read_from_subjects_and_messages() -> None:
    by_subject = {c.subject: c.signals for c in document("log_medium.txt").commits}
    assert by_subject['Revert "actions: update parse actions to 3.3.3"'] == ("revert",)
    assert "security" in by_subject["Security: yaml constructor.py from PyYAML 6.0.4"]
    assert (
        "fix" in by_subject["Security: yaml constructor.py from PyYAML 6.0.4"]
    )  # "fixes the unsafe load path"
    assert by_subject["BREAKING CHANGE: require pyparsing 3.3 names"] == ("breaking",)
    assert by_subject["util: bring util.py to pyparsing 3.3.3"] == ()


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("Mon Mar 16 01:35:00 2026 +0100", "2026-03-16"),
        ("Thu, 20 Aug 2026 09:12:10 -0700", "2026-08-20"),
        ("2026-08-20 09:12:10 -0700", "2026-08-20"),
        ("2026-08-20T23:12:10+05:30", "2026-08-20"),
        ("2026-08-20", "2026-08-20"),
        ("1773621300 +0100", "2026-03-16"),
    ],
)
def test_dates_in_every_format_git_prints_give_their_own_day(text: str, day: str) -> None:
    parsed = commit_day(text)
    assert parsed is not None and parsed[1] == day


def test_relative_dates_give_no_day() -> None:
    assert commit_day("3 days ago") is None


def test_a_dropped_run_of_commits_says_how_many_when_and_by_whom() -> None:
    text = text_of("log_medium.txt")
    parsed = document("log_medium.txt")
    dropped = parsed.commits[3:9]
    keep = [True] * len(parsed.units)
    for index in range(dropped[0].lines.start, dropped[-1].lines.stop):
        keep[index] = False
    rendered = parsed.render(keep, REF)
    check_lines(text, rendered, REF)
    (summary,) = find_summaries(rendered)
    assert summary.entries["kind"] == [("commit", len(dropped))]
    run = "\n".join(parsed.units[dropped[0].lines.start : dropped[-1].lines.stop])
    moments = [
        datetime.strptime(d, "%a %b %d %H:%M:%S %Y %z") for d in re.findall(r"^Date: +(.*)$", run, re.M)
    ]
    # The earliest and the latest by the clock (a cherry-pick keeps its author's date), each as its own day.
    assert summary.entries["date"] == (min(moments).strftime("%Y-%m-%d"), max(moments).strftime("%Y-%m-%d"))
    authors = re.findall(r"^Author: (.*?) <", text, re.M)[3:9]
    assert dict(summary.entries["author"]) == {a: authors.count(a) for a in set(authors)}  # type: ignore[arg-type]


def test_a_dropped_part_of_a_kept_commits_files_names_the_files() -> None:
    parsed = document("log_name_status.txt")
    commit = max(parsed.commits, key=lambda c: len(c.file_lines))
    files = sorted(commit.file_lines)
    keep = [i not in files[1:] for i in range(len(parsed.units))]
    (summary,) = find_summaries(parsed.render(keep, REF))
    dropped = [commit.file_lines[i] for i in files[1:]]
    assert len(dropped) > 8  # too many to list: the summary gives their range
    assert summary.entries["files"] == (min(dropped), max(dropped))


def test_the_file_headers_of_a_patch_are_the_diff_parsers() -> None:
    text = text_of("log_p_core.txt")
    parsed = document("log_p_core.txt")
    headers = [parsed.units[i] for i, kind in enumerate(parsed.kinds) if kind == FILE]
    assert all(line.startswith(("diff --git ", "index ", "--- ", "+++ ")) for line in headers)
    assert sum(1 for line in headers if line.startswith("diff --git ")) == text.count("\ndiff --git ")


def test_a_patch_with_files_that_have_no_hunk_parses() -> None:
    # A pure rename, a mode change and a binary file: file headers with no hunk under them
    # (before, reading one raised `zip() argument 2 is longer than argument 1`).
    parsed = document("log_p_moves.txt")
    hunkless = [section.path for section in parsed.sections if not section.hunks]
    assert hunkless == ["docs/hand.png", "yaml/__init__.py", "yaml/c_yaml.py"]
    assert [len(c.header) for c in parsed.commits] == [5, 5, 5, 5]
