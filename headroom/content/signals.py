"""Words that mark errors and warnings, shared by every content type."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence

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


def lines_mentioning(text: str, starts: list[int], terms: Sequence[str]) -> set[int]:
    """Indices of the lines in which any of `terms` stands as a whole word (case-insensitive)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        pattern = _word_pattern(terms)
        return {index for index, line in enumerate(text.split("\n")) if pattern.search(line)}
    return {line for term in terms for line in lines_holding(lowered, starts, term, whole_word)}


def lines_mentioning_each(text: str, starts: list[int], terms: Sequence[str], most: int) -> list[set[int]]:
    """For each term, the lines in which it stands as a whole word; an empty set for a term on more
    than `most` lines (it tells nothing apart, and counting stops there). The text is lower-cased once."""
    lowered = text.lower()
    if len(lowered) != len(text):
        found = [lines_mentioning(text, starts, [term]) for term in terms]
        return [lines if len(lines) <= most else set() for lines in found]
    return [set(lines_holding(lowered, starts, term, whole_word, most)) for term in terms]


# Whether the hit of a term at an offset counts: (text, offset, length of the term) -> bool.
Accept = Callable[[str, int, int], bool]


def lines_holding(
    text: str, starts: list[int], term: str, accept: Accept | None = None, most: int | None = None
) -> list[int]:
    """The lines (offsets `starts` in `text`) holding `term` where `accept` allows the hit, in order,
    each once; [] once more than `most` do. str.find (in C) jumps from hit to hit, and past the
    rest of a line once it has one."""
    lines: list[int] = []
    index = text.find(term)
    while index != -1:
        if accept is not None and not accept(text, index, len(term)):
            index = text.find(term, index + 1)
            continue
        line = bisect_right(starts, index) - 1
        lines.append(line)
        if most is not None and len(lines) > most:
            return []
        index = text.find(term, starts[line + 1]) if line + 1 < len(starts) else -1
    return lines


def whole_word(text: str, index: int, length: int) -> bool:
    """The hit is a whole word: no letter, digit or underscore on either side."""
    after = index + length
    before_ok = index == 0 or not _is_word_char(text[index - 1])
    return before_ok and (after == len(text) or not _is_word_char(text[after]))


def per_line_error_signals(text: str, starts: list[int]) -> list[float]:
    """`text_error_signal` for every line, from one pass per term over the whole text."""
    signals = [0.0] * len(starts)
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters lower-case to two; offsets would drift
        return [text_error_signal(line) for line in text.split("\n")]
    for terms, strength in ((WARN_TERMS, 0.5), (ERROR_TERMS, 1.0)):
        for term in terms:
            for line in lines_holding(lowered, starts, term, whole_word):
                signals[line] = strength
    return signals
