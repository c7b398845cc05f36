"""Words that mark errors and warnings, shared by every content type."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

ERROR_TERMS = (
    "error", "errors", "exception", "fatal", "fail", "failed", "failure", "failing", "panic", "panicked",
    "traceback", "critical", "crash", "crashed", "denied", "refused", "unreachable", "timeout", "timed out",
    "abort", "aborted", "segfault", "oom", "killed", "errno", "unhandled", "invalid",
    "oomkilled", "crashloopbackoff", "imagepullbackoff", "errimagepull", "evicted",
    "unable", "cannot", "could not", "no such file",
)  # fmt: skip
WARN_TERMS = ("warn", "warning", "deprecated", "retry", "retrying", "degraded")


def _word_pattern(terms: Sequence[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(term) for term in terms) + r")\b", re.IGNORECASE)


ERROR_WORDS = _word_pattern(ERROR_TERMS)
WARN_WORDS = _word_pattern(WARN_TERMS)

# Keys whose presence with a non-empty value means the record carries an error.
ERROR_KEYS = frozenset(
    {"error", "errors", "exception", "err", "error_message", "errormessage", "stacktrace", "traceback"}
)
# Keys whose value says how a record went.
STATUS_KEYS = frozenset(
    {"status", "level", "severity", "state", "result", "outcome", "loglevel", "log_level"}
)


def text_error_signal(text: str) -> float:
    """1.0 for an error, 0.5 for a warning, else 0.0."""
    if ERROR_WORDS.search(text):
        return 1.0
    if WARN_WORDS.search(text):
        return 0.5
    return 0.0


def line_starts(lines: Sequence[str]) -> list[int]:
    """Offset of each line in the text the lines were split from (on newlines)."""
    starts = [0] * len(lines)
    offset = 0
    for index, line in enumerate(lines):
        starts[index] = offset
        offset += len(line) + 1
    return starts


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _word_offsets(lowered: str, term: str) -> list[int]:
    """Where `term` stands as a whole word: str.find runs in C, far faster than a regex alternation."""
    found = []
    end_limit = len(lowered)
    index = lowered.find(term)
    while index != -1:
        after = index + len(term)
        before_ok = index == 0 or not _is_word_char(lowered[index - 1])
        after_ok = after == end_limit or not _is_word_char(lowered[after])
        if before_ok and after_ok:
            found.append(index)
        index = lowered.find(term, index + 1)
    return found


def lines_mentioning(text: str, starts: list[int], terms: Sequence[str]) -> set[int]:
    """Indices of the lines in which any of `terms` stands as a whole word (case-insensitive)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        pattern = _word_pattern(terms)
        return {index for index, line in enumerate(text.split("\n")) if pattern.search(line)}
    return {bisect_right(starts, offset) - 1 for term in terms for offset in _word_offsets(lowered, term)}


def lines_mentioning_each(text: str, starts: list[int], terms: Sequence[str], most: int) -> list[set[int]]:
    """For each term, the lines in which it stands as a whole word; an empty set for a term on more
    than `most` lines (it tells nothing apart, and counting stops there). The text is lower-cased once."""
    lowered = text.lower()
    if len(lowered) != len(text):
        found = [lines_mentioning(text, starts, [term]) for term in terms]
        return [lines if len(lines) <= most else set() for lines in found]
    return [_lines_of(lowered, starts, term, most) for term in terms]


def _lines_of(lowered: str, starts: list[int], term: str, most: int) -> set[int]:
    lines: set[int] = set()
    end_limit = len(lowered)
    index = lowered.find(term)
    while index != -1:
        after = index + len(term)
        before_ok = index == 0 or not _is_word_char(lowered[index - 1])
        if before_ok and (after == end_limit or not _is_word_char(lowered[after])):
            line = bisect_right(starts, index) - 1
            lines.add(line)
            if len(lines) > most:
                return set()
            # the rest of this line adds nothing: go on from the next one
            index = lowered.find(term, starts[line + 1]) if line + 1 < len(starts) else -1
            continue
        index = lowered.find(term, index + 1)
    return lines


def per_line_error_signals(text: str, starts: list[int]) -> list[float]:
    """`text_error_signal` for every line, from one pass per term over the whole text."""
    signals = [0.0] * len(starts)
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters lower-case to two; offsets would drift
        return [text_error_signal(line) for line in text.split("\n")]
    for terms, strength in ((WARN_TERMS, 0.5), (ERROR_TERMS, 1.0)):
        for term in terms:
            for offset in _word_offsets(lowered, term):
                signals[bisect_right(starts, offset) - 1] = strength
    return signals
