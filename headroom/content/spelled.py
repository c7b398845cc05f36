"""Names spelled as words: a request that writes `computeIfAbsent` as "compute if absent", the
class `WorkingSet` as "the working set class", or `floyd_warshall` as "Floyd-Warshall".

A name of two to MAX_SPELLED_WORDS parts (`_NAME_PART`: `computeIfAbsent` is compute, If, Absent;
`HTTPAdapter` is HTTP, Adapter; `raise_for_status` is raise, for, status) is spelled by a run of as
many consecutive plain words of the request that join into it, any case. The words of a run stand
next to each other with nothing but spaces, hyphens or apostrophes between them; a name written as
code (`snake_case`, `camelCase`) ends a run, so part of it spells nothing (`connect_check_health`
does not spell `check_health`). One word is no name: "the copy" does not name `copy`.
"""

from __future__ import annotations

import re

MAX_SPELLED_WORDS = 5
_WORD = re.compile(r"[A-Za-z0-9_]+")
_BETWEEN_WORDS = re.compile(r"[\s'-]*")
_CAMEL = re.compile(r"[a-z0-9][A-Z]")
_NAME_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def plain_word_runs(text: str) -> list[list[str]]:
    """The runs of plain words of a text, lower-cased (see the module doc)."""
    runs: list[list[str]] = []
    current: list[str] = []
    end = 0
    for match in _WORD.finditer(text):
        word = match[0]
        if current and not _BETWEEN_WORDS.fullmatch(text, end, match.start()):
            runs.append(current)
            current = []
        end = match.end()
        if "_" in word or _CAMEL.search(word):
            if current:
                runs.append(current)
            current = []
            continue
        current.append(word.lower())
    if current:
        runs.append(current)
    return runs


def spellings(text: str) -> set[str]:
    """Every run of two to MAX_SPELLED_WORDS consecutive plain words of a text, joined and
    lower-cased: what `spelled` looks a name up in."""
    joined: set[str] = set()
    for words in plain_word_runs(text):
        joined.update(
            "".join(words[start : start + size])
            for size in range(2, MAX_SPELLED_WORDS + 1)
            for start in range(len(words) - size + 1)
        )
    return joined


def spelled(name: str, found: set[str]) -> bool:
    """Whether a name of two to MAX_SPELLED_WORDS parts is spelled by one of `found` (`spellings`)."""
    parts = _NAME_PART.findall(name)
    return 2 <= len(parts) <= MAX_SPELLED_WORDS and "".join(parts).lower() in found
