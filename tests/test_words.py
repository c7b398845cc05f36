"""Common words (headroom/words.py): the words a request describes with, which never pin a unit."""

from __future__ import annotations

import pytest

from headroom.words import COMMON_WORDS, is_common_word


@pytest.mark.parametrize(
    "word",
    [
        "installed",
        "restarting",
        "libraries",
        "configuration",
        "stopped",
        "reinstall",
        "unmount",
        "versions",
        "ran",
    ],
)
def test_inflected_forms_of_common_words_are_common(word: str) -> None:
    assert is_common_word(word)


@pytest.mark.parametrize(
    "word", ["openssl", "nodejs", "gpgconf", "kubernetes", "tiktoken", "jq", "git", "nginx"]
)
def test_names_of_packages_and_programs_are_not(word: str) -> None:
    assert not is_common_word(word)


def test_the_list_holds_lower_case_words_only() -> None:
    assert all(word.isalpha() and word == word.lower() for word in COMMON_WORDS)
