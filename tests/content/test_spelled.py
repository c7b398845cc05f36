"""Names spelled as words in a request."""

from __future__ import annotations

import pytest

from headroom.content.spelled import plain_word_runs, spelled, spellings


def test_a_name_written_as_code_ends_a_run_of_plain_words() -> None:
    runs = plain_word_runs(
        "How does Floyd-Warshall work? Lines in connect_check_health or computeIfAbsent, please"
    )
    assert runs == [["how", "does", "floyd", "warshall", "work"], ["lines", "in"], ["or"], ["please"]]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("computeIfAbsent", "what if the function passed to compute if absent changes the map?"),
        ("floyd_warshall", "How does networkx's Floyd-Warshall treat parallel edges?"),
        ("WorkingSet", "Which methods does the working set class have?"),
        ("HTTPAdapter", "the methods of the HTTP adapter"),
    ],
)
def test_a_name_of_several_parts_is_spelled_by_as_many_consecutive_words(name: str, text: str) -> None:
    assert spelled(name, spellings(text))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("copy", "what does copy throw?"),  # one word is no name
        ("check_health", "show me the lines in connect_check_health"),  # part of a name written as code
        ("computeIfAbsent", "compute the value if it is absent"),  # not consecutive
        ("setCorePoolSize", "set the core, pool size"),  # a comma between
    ],
)
def test_words_that_do_not_spell_the_whole_name_name_nothing(name: str, text: str) -> None:
    assert not spelled(name, spellings(text))
