"""Words that mark errors and warnings, shared by every content type."""

from __future__ import annotations

import re

ERROR_WORDS = re.compile(
    r"\b(?:error|errors|exception|fatal|fail|failed|failure|failing|panic|panicked|traceback|critical|crash(?:ed)?"
    r"|denied|refused|unreachable|timeout|timed out|abort(?:ed)?|segfault|oom|killed|errno|unhandled|invalid)\b",
    re.IGNORECASE,
)
WARN_WORDS = re.compile(r"\b(?:warn|warning|deprecated|retry(?:ing)?|degraded)\b", re.IGNORECASE)

# Keys whose presence with a non-empty value means the record carries an error.
ERROR_KEYS = frozenset({"error", "errors", "exception", "err", "error_message", "errormessage", "stacktrace", "traceback"})
# Keys whose value says how a record went.
STATUS_KEYS = frozenset({"status", "level", "severity", "state", "result", "outcome", "loglevel", "log_level"})


def text_error_signal(text: str) -> float:
    if ERROR_WORDS.search(text):
        return 1.0
    if WARN_WORDS.search(text):
        return 0.5
    return 0.0
