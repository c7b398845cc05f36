"""The one vocabulary of error and failure signals, shared by every content type; and line search.

A unit carries an error signal (1.0) when it says that something went wrong, a
warning (0.5) when it says something may have. The vocabulary:

- words and phrases, whole, in any case (`ERROR_TERMS`): errors, failures,
  exceptions, tracebacks, panics, crashes, segfaults, kills and running out of
  memory (`Killed process`, `OOMKilled`, `out of memory`), "denied", "refused",
  "timeout" / "timed out", "unreachable", "not found", ...;
- the parts of a CamelCase name that make it an error's name
  (`ERROR_NAME_SUFFIXES`, `ERROR_NAME_PREFIXES`): exception classes
  (`ValueError`, `IllegalStateException`) and Kubernetes' Warning reasons
  (`FailedMount`, `FailedScheduling`, `CrashLoopBackOff`, `NodeNotReady`);
- shapes: a non-zero exit code (`exit code 137`, `exited with 1`, `Exited (137)`,
  `exit status 2`; systemd's `status=1/FAILURE` says "failure"), a 5xx HTTP
  status (`"GET /x HTTP/1.1" 503`, `status=500`, `GET /x 502 12ms`), a test
  runner's failure mark opening a line (jest's `✕`; pytest's FAILED and ERROR,
  go's `--- FAIL`, cargo's `test ... FAILED` are words);
- a status or level field (`status=degraded`, `"level": "crit"`) whose value is
  rare among the block's lines that carry that field (`rare_status_lines`).

A failure word that counts nothing is no signal (`0 failed`, `errors=0`,
`"error": null`, `no errors`), and neither is `timeout` as a setting
(`timeout=30`, `--timeout 5`).

Signal units are never summarised away. When too many units carry one (more
than `signal_limit`), `kept_signals` keeps the first and last of each kind of
line (`headroom.content.templates`), and the summary of each omitted run counts
the rest and gives their positions (`signal_entry`).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Sequence

from headroom.markers import Positions, SummaryEntry

ERROR_TERMS = (
    "error", "errors", "exception", "exceptions", "fatal", "fail", "fails", "failed", "failure", "failures",
    "failing", "panic", "panicked", "panics", "traceback", "critical", "crash", "crashed", "crashes",
    "denied", "refused", "unreachable", "timeout", "timed out", "abort", "aborted", "segfault",
    "segmentation fault", "segmentation violation", "sigsegv", "sigkill", "sigabrt", "core dumped", "oom",
    "out of memory", "killed", "errno", "unhandled", "invalid", "oomkilled", "oomkilling", "crashloopbackoff",
    "imagepullbackoff", "errimagepull", "evicted", "unhealthy", "unable", "cannot", "could not",
    "no such file", "deadline exceeded", "connection reset", "broken pipe", "no space left",
    "stack overflow", "deadlock", "forbidden", "unauthorized", "not permitted", "unavailable",
    "internal server error", "bad gateway", "non-zero exit", "nonzero exit", "err!",
)  # fmt: skip
WARN_TERMS = (
    "warn", "warning", "warnings", "deprecated", "deprecation", "retry", "retrying", "retries", "degraded",
    "throttled", "backoff", "back-off",
)  # fmt: skip
# Case-sensitive parts of a CamelCase name: an error's name ends with one of these (`ValueError`,
# `CrashLoopBackOff`, `NodeNotReady`, `SystemOOM`) or starts with one followed by a capital
# (`FailedMount`, `ErrImagePull`). `ErrorHandler` is no error's name.
ERROR_NAME_SUFFIXES = ("Error", "Exception", "Failure", "BackOff", "NotReady", "Killed", "OOM")
ERROR_NAME_PREFIXES = ("Failed", "Err")
WARN_NAME_SUFFIXES = ("Warning",)

# Keys whose presence with a non-empty value means the record carries an error.
ERROR_KEYS = frozenset(
    {"error", "errors", "exception", "err", "error_message", "errormessage", "stacktrace", "traceback"}
)
# Keys whose value says how a record went (`reason`: Kubernetes events' and HTTP's; `phase`: a pod's;
# `conclusion`: a CI run's).
STATUS_KEYS = frozenset(
    {
        "status", "level", "severity", "state", "result", "outcome", "loglevel", "log_level", "reason",
        "phase", "conclusion", "health",
    }
)  # fmt: skip

# Shapes, searched in the lower-cased text.
_EXIT_CODE = re.compile(
    r"exit(?:ed)?(?:[ _]?(?:code|status))?(?: with(?: (?:exit )?(?:code|status))?)?[ \t:=(]*(\d+)"
)
_SERVER_ERROR = (
    re.compile(r'http/\d(?:\.\d)?"? 5\d\d\b'),  # access logs, response status lines
    re.compile(r"""status(?:[ _]?code)?["']?[ \t]*[:=][ \t]*["']?5\d\d\b"""),  # status=503, "status": 500
    re.compile(r"(?:get|post|put|patch|delete|head|options) /\S* 5\d\d\b"),  # GET /v1/x 502 12ms
)
_FAILURE_MARK = re.compile(r"^[ \t]*[✕✗✘✖×] ", re.MULTILINE)  # jest, vitest, mocha: a failed test
# A field's value is rare when at most this share of the lines with the field hold it (and at least
# one line), among this many such lines or more, with a few distinct values (a status, not an id).
RARE_STATUS_SHARE = 0.02
RARE_STATUS_MIN_LINES = 20
RARE_STATUS_MAX_VALUES = 12

# More units than this carry a signal: keep the first and last of each kind (see `kept_signals`).
SIGNAL_MIN_UNITS = 20
SIGNAL_MAX_SHARE = 0.05

_NOTHING_AFTER = re.compile(
    r"""["']?[ \t]*[:=][ \t]*["']?(?:0|none|null|nil|false|\[\]|\{\}|""|'')(?![\w.])"""
)
_NUMBER_AFTER = re.compile(r"""["']?[ \t]*[:=][ \t]*["']?\d""")
_NOTHING_BEFORE = ("0 ", "no ", "zero ", "without ")


def text_error_signal(text: str) -> float:
    """1.0 for an error, 0.5 for a warning, else 0.0 (the strongest of its lines)."""
    lowered = _lower(text)
    words = _words(lowered)
    if not _may_signal(text, lowered, words):
        return 0.0
    lines = text.split("\n")
    return max(
        _signals(text, line_starts(lines), rare_fields=False, lowered=lowered, words=words), default=0.0
    )


def _may_signal(text: str, lowered: str, words: set[str]) -> bool:
    """A quick test that rules most values out: none of the vocabulary's words, names or shapes."""
    return (
        not words.isdisjoint(_ANY_FIRST_WORD)
        or any(part in text for part in _NAME_PARTS)
        or "5" in text
        or not text.isascii()
    )


def per_line_error_signals(text: str, starts: list[int]) -> list[float]:
    """`text_error_signal` for every line (offsets `starts`), from one pass per term over the whole
    text, and 1.0 for a line whose status or level field holds a value rare in the text."""
    return _signals(text, starts, rare_fields=True)


def _signals(
    text: str,
    starts: list[int],
    *,
    rare_fields: bool,
    lowered: str | None = None,
    words: set[str] | None = None,
) -> list[float]:
    signals = [0.0] * len(starts)
    lowered = _lower(text) if lowered is None else lowered
    words = _words(lowered) if words is None else words  # a term whose first word is absent is absent
    for line in warning_lines(text, lowered, starts, words):
        signals[line] = 0.5
    for line in error_lines(text, lowered, starts, words):
        signals[line] = 1.0
    if rare_fields:
        for line in rare_status_lines(lowered, starts, words):
            signals[line] = 1.0
    return signals


def _lower(text: str) -> str:
    """The text lower-cased, character for character (a character whose lower case is longer, such
    as "İ", stays as it is), so offsets in it are offsets in the text."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := char.lower()) == 1 else char for char in text)


_LETTERS = re.compile(r"[a-z]+")
# Every byte but a-z becomes a space: the words of a text are then one C-level split away.
_ONLY_LETTERS = bytes(byte if 97 <= byte <= 122 else 32 for byte in range(256))


def _words(lowered: str) -> set[str]:
    """The runs of a-z in a lower-cased text (fast: a byte translation and a split)."""
    letters = lowered.encode("utf-8", "surrogatepass").translate(_ONLY_LETTERS)
    return set(letters.decode("ascii").split())


def _first_word(term: str) -> str:
    match = _LETTERS.match(term)
    assert match is not None, term
    return match[0]


_ERROR_FIRST_WORDS = {term: _first_word(term) for term in ERROR_TERMS}
_WARN_FIRST_WORDS = {term: _first_word(term) for term in WARN_TERMS}
_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
_ANY_FIRST_WORD = frozenset(
    {*_ERROR_FIRST_WORDS.values(), *_WARN_FIRST_WORDS.values(), "exit", "exited", "exitcode", "status"}
)
_NAME_PARTS = (*ERROR_NAME_SUFFIXES, *ERROR_NAME_PREFIXES, *WARN_NAME_SUFFIXES)


def error_lines(text: str, lowered: str, starts: list[int], words: set[str]) -> Iterator[int]:
    """The lines that report an error, by every rule of the vocabulary (a line may come more than
    once). `words`: the lower-cased text's words, to skip the terms it cannot hold."""
    for term, first in _ERROR_FIRST_WORDS.items():
        if first in words:
            yield from lines_holding(
                lowered, starts, term, _timeout_event if term == "timeout" else _says_failure
            )
    for suffix in ERROR_NAME_SUFFIXES:
        yield from lines_holding(text, starts, suffix, _ends_a_name)
    for prefix in ERROR_NAME_PREFIXES:
        yield from lines_holding(text, starts, prefix, _starts_a_name)
    yield from _failed_status_lines(lowered, starts, words)
    if not text.isascii():
        for match in _FAILURE_MARK.finditer(text):
            yield _line_of(starts, match.start())


def _failed_status_lines(lowered: str, starts: list[int], words: set[str]) -> Iterator[int]:
    """Lines with a non-zero exit code or a 5xx status (HTTP, `status`, a request's method)."""
    if "exit" in lowered:
        for match in _EXIT_CODE.finditer(lowered):
            if int(match[1]) != 0 and _word_starts(lowered, match.start()):
                yield _line_of(starts, match.start())
    for needed, pattern in zip(({"http"}, {"status"}, _METHODS), _SERVER_ERROR, strict=True):
        if needed & words:
            for match in pattern.finditer(lowered):
                if _word_starts(lowered, match.start()):
                    yield _line_of(starts, match.start())


def warning_lines(text: str, lowered: str, starts: list[int], words: set[str]) -> Iterator[int]:
    for term, first in _WARN_FIRST_WORDS.items():
        if first in words:
            yield from lines_holding(lowered, starts, term, _says_failure)
    for suffix in WARN_NAME_SUFFIXES:
        yield from lines_holding(text, starts, suffix, _ends_a_name)


_STATUS_NAMES = (
    "status",
    "level",
    "severity",
    "state",
    "result",
    "outcome",
    "loglevel",
    "log_level",
    "lvl",
    "health",
)
_FIELD_VALUE = re.compile(r"""["']?[ \t]*[:=][ \t]*["']?([\w.-]+)""")


def rare_status_lines(lowered: str, starts: list[int], words: set[str] | None = None) -> list[int]:
    """Lines whose status or level field (`status=...`, `"level": "..."`) holds a value at most
    RARE_STATUS_SHARE of the lines with that field hold, when RARE_STATUS_MIN_LINES or more lines
    have it with 2..RARE_STATUS_MAX_VALUES distinct values (one `status=degraded` among `ok`s)."""
    found: list[int] = []
    for name in _STATUS_NAMES:
        if words is not None and _first_word(name) not in words:
            continue
        by_line: dict[int, str] = {}
        index = lowered.find(name)
        while index != -1:
            value = _FIELD_VALUE.match(lowered, index + len(name))
            if value is not None and (index == 0 or not _is_name_char(lowered[index - 1])):
                by_line.setdefault(_line_of(starts, index), value[1])
            index = lowered.find(name, index + len(name))
        found.extend(_rare_values(by_line))
    return found


def _rare_values(by_line: dict[int, str]) -> list[int]:
    if len(by_line) < RARE_STATUS_MIN_LINES:
        return []
    counts = Counter(by_line.values())
    if not 2 <= len(counts) <= RARE_STATUS_MAX_VALUES:
        return []
    rare = max(1, int(RARE_STATUS_SHARE * len(by_line)))
    return [line for line, value in by_line.items() if counts[value] <= rare]


def _is_name_char(char: str) -> bool:
    return char.isalnum() or char in "_.-"


def signal_limit(total: int) -> int:
    """How many of `total` units may carry a signal and all be kept."""
    return max(SIGNAL_MIN_UNITS, math.ceil(SIGNAL_MAX_SHARE * total))


def kept_signals(units: Sequence[int], kinds: Sequence[Hashable], total: int) -> set[int]:
    """The signal units (indices, in order) that must survive: all of them when there are at most
    `signal_limit(total)`, else the first and last of each kind (`kinds[i]`: unit i's template)."""
    if len(units) <= signal_limit(total):
        return set(units)
    first: dict[Hashable, int] = {}
    last: dict[Hashable, int] = {}
    for index in units:
        first.setdefault(kinds[index], index)
        last[kinds[index]] = index
    return set(first.values()) | set(last.values())


def signal_entry(
    signals: Sequence[float], first: int, last: int, number_from: int, unit: str
) -> SummaryEntry | None:
    """`errors: 3 at lines 412, 988, 1530`: the units first..last that carry an error signal, numbered
    from `number_from`; None when none does."""
    return errors_entry(
        [index + number_from for index in range(first, last + 1) if signals[index] >= 1.0], unit
    )


def errors_entry(numbers: Sequence[int], unit: str) -> SummaryEntry | None:
    """The summary entry saying where dropped units that carry an error are (their numbers, in order)."""
    return ("errors", Positions.of(numbers, unit)) if numbers else None


# finding terms line by line ----------------------------------------------------------------------


def line_starts(lines: Sequence[str]) -> list[int]:
    """Offset of each line in the text the lines were split from (on newlines)."""
    starts = [0] * len(lines)
    offset = 0
    for index, line in enumerate(lines):
        starts[index] = offset
        offset += len(line) + 1
    return starts


def _line_of(starts: list[int], offset: int) -> int:
    return bisect_right(starts, offset) - 1


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _word_starts(text: str, index: int) -> bool:
    return index == 0 or not _is_word_char(text[index - 1])


def lines_mentioning(text: str, starts: list[int], terms: Sequence[str]) -> set[int]:
    """Indices of the lines in which any of `terms` stands as a whole word (case-insensitive)."""
    lowered = _lower(text)
    words = _words(lowered)
    return {
        line
        for term in terms
        if _words(term).issubset(words)  # a term's words must all be in the text
        for line in lines_holding(lowered, starts, term, whole_word)
    }


def lines_mentioning_each(text: str, starts: list[int], terms: Sequence[str], most: int) -> list[set[int]]:
    """For each term, the lines in which it stands as a whole word; an empty set for a term on more
    than `most` lines (it tells nothing apart, and counting stops there). The text is lower-cased once."""
    lowered = _lower(text)
    words = _words(lowered)
    return [
        set(lines_holding(lowered, starts, term, whole_word, most)) if _words(term).issubset(words) else set()
        for term in terms
    ]


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


def _says_failure(text: str, index: int, length: int) -> bool:
    """A whole word that does not count nothing: not `0 failed`, `no errors`, `errors=0`, `"error": null`."""
    if not whole_word(text, index, length):
        return False
    for before in _NOTHING_BEFORE:
        start = index - len(before)
        if start >= 0 and text.startswith(before, start) and _word_starts(text, start):
            return False
    return not _NOTHING_AFTER.match(text, index + length)


def _timeout_event(text: str, index: int, length: int) -> bool:
    """`timeout` as something that happened, not a setting (`timeout=30`, `"timeout": 5`, `--timeout 5`)."""
    if index > 0 and text[index - 1] == "-":
        return False
    return _says_failure(text, index, length) and not _NUMBER_AFTER.match(text, index + length)


def _ends_a_name(text: str, index: int, length: int) -> bool:
    """The part ends a name that starts with a capital (`ValueError`, `java.lang.IllegalStateException`,
    `Error`), and the name is not set to nothing (`HasError=false`). `isError` is a variable's name."""
    after = index + length
    if after < len(text) and _is_word_char(text[after]):
        return False
    start = index
    while start > 0 and _is_word_char(text[start - 1]):
        start -= 1
    return text[start].isupper() and not _NOTHING_AFTER.match(text, after)


def _starts_a_name(text: str, index: int, length: int) -> bool:
    """The part starts a CamelCase name and a capital follows it (`FailedMount`, `ErrImagePull`)."""
    after = index + length
    return _word_starts(text, index) and after < len(text) and text[after].isupper()
