"""Content-type detection from a sample of the text: cheap, deterministic, no parsing of the whole."""

from __future__ import annotations

import re

LABELS = (
    "json_array",
    "json_object",
    "log",
    "search",
    "diff",
    "code",
    "html",
    "table",
    "shell",
    "prose",
    "empty",
)

_SAMPLE_LINES = 200
_LOG_LINE = re.compile(
    r"^\s*(?:\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\[?\d{2}:\d{2}:\d{2}|[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}"
    r"|\[?(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|FATAL|CRITICAL)\b|[IWEF]\d{4} \d{2}:)"
)
_SEARCH_LINE = re.compile(r"^(?:[\w.@+-]*[/\\])*[\w@+-]+(?:\.[\w-]+)*\.[A-Za-z]\w*:\d+[:-]")
_DIFF_LINE = re.compile(r"^(?:diff --git |--- |\+\+\+ |@@ -\d+)")
_HTML = re.compile(r"<(?:!doctype html|html|head|body|div|p|table|span|a\s)[\s>]", re.IGNORECASE)
_CODE_LINE = re.compile(
    r"^\s*(?:def |class |import |from \S+ import |function |const |let |var |public |private |func |fn |"
    r"package |#include|return\b|if \(|for \(|\}|\{$)"
)
_SHELL_LINE = re.compile(
    r"^(?:\$ |> |npm (?:ERR|WARN)|PASSED|FAILED|ERROR |=+ .* =+$|tests? (?:passed|failed)|"
    r"Collecting |Downloading |Installing |Successfully |added \d+ packages|NAME\s+READY|CONTAINER ID)"
)


def _share(lines: list[str], pattern: re.Pattern[str]) -> float:
    if not lines:
        return 0.0
    return sum(1 for line in lines if pattern.search(line)) / len(lines)


def _looks_like_table(lines: list[str]) -> bool:
    if len(lines) < 3:
        return False
    for delimiter in ("\t", ",", "|"):
        counts = [line.count(delimiter) for line in lines[:50]]
        if counts[0] >= 1 and sum(1 for c in counts if c == counts[0]) >= len(counts) * 0.9:
            return True
    return False


def detect_label(text: str) -> str:
    """The content type of a text: one of LABELS."""
    stripped = text.strip()
    if not stripped:
        return "empty"
    first = stripped[0]
    if first == "[" and stripped[-1] == "]":
        return "json_array"
    if first == "{" and stripped[-1] == "}":
        return "json_object"
    lines = [line for line in stripped.split("\n", _SAMPLE_LINES)[:_SAMPLE_LINES] if line.strip()]
    if _share(lines, _DIFF_LINE) >= 0.05 and any(line.startswith("@@") for line in lines):
        return "diff"
    if _HTML.search(stripped[:4000]):
        return "html"
    if _share(lines, _LOG_LINE) >= 0.4:
        return "log"
    if _share(lines, _SEARCH_LINE) >= 0.6:
        return "search"
    if _share(lines, _SHELL_LINE) >= 0.2:
        return "shell"
    if _looks_like_table(lines):
        return "table"
    if _share(lines, _CODE_LINE) >= 0.25:
        return "code"
    return "prose"
