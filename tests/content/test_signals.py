"""Shared content signals (headroom/content/signals.py): finding request terms line by line."""

from __future__ import annotations

from headroom.content.signals import line_starts, lines_mentioning, lines_mentioning_each

LINES = [
    "Timeout while calling payments",
    "payments-v2 ok",
    "timeouts are retried",
    "nothing here",
    "TIMEOUT again, timeout twice",
]


def test_each_term_gets_the_lines_where_it_stands_as_a_whole_word() -> None:
    text, starts = "\n".join(LINES), line_starts(LINES)
    timeout, payments = lines_mentioning_each(text, starts, ["timeout", "payments"], most=len(LINES))
    assert timeout == {0, 4}  # not "timeouts"; twice on line 4 counts once
    assert payments == {0, 1}  # "payments-v2": a hyphen ends a word
    assert timeout == lines_mentioning(text, starts, ["timeout"])


def test_a_term_on_more_lines_than_allowed_tells_nothing_apart() -> None:
    lines = [f"request {i} ok" for i in range(10)] + ["request 10 failed"]
    text, starts = "\n".join(lines), line_starts(lines)
    common, rare = lines_mentioning_each(text, starts, ["request", "failed"], most=5)
    assert common == set()
    assert rare == {10}


def test_text_whose_lower_case_changes_length_falls_back_line_by_line() -> None:
    lines = ["İstanbul timeout", "ok", "timeout"]  # "İ" lower-cases to two characters
    text, starts = "\n".join(lines), line_starts(lines)
    assert lines_mentioning_each(text, starts, ["timeout"], most=5) == [{0, 2}]
