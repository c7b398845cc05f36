"""The sealed split's selection rule, on made-up ids (benchmarks/split.py).

python -m pytest benchmarks/test_split.py -q
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import split

KINDS = {"diff": 14, "git_log": 9, "json_array": 6, "log": 20, "shell": 11, "table": 5, "html": 2, "code": 1}


def corpus(tuned: int = 46, kinds: dict[str, int] = KINDS, seed: int = 0) -> tuple[dict[str, str], set[str]]:
    """A population of {id: kind}: `tuned` old cases of assorted kinds and, per kind, its new ones."""
    rng = random.Random(seed)
    population = {f"old_{n:02d}": rng.choice(sorted(kinds)) for n in range(tuned)}
    for kind, count in kinds.items():
        population.update({f"new_{kind}_{n:02d}": kind for n in range(count)})
    return population, {case_id for case_id in population if case_id.startswith("old_")}


def test_a_third_of_all_cases_rounded_is_sealed() -> None:
    population, tuned = corpus()
    sealed = split.select_sealed(population, tuned)
    assert len(sealed) == round(len(population) / 3)
    smaller, tuned_small = corpus(tuned=10, kinds={"log": 3, "diff": 2})  # 15 cases: 5 sealed
    assert len(split.select_sealed(smaller, tuned_small)) == 5


def test_only_new_cases_are_sealed() -> None:
    population, tuned = corpus()
    assert not set(split.select_sealed(population, tuned)) & tuned


def test_every_new_kind_gets_sealed_cases_in_proportion() -> None:
    population, tuned = corpus()
    sealed = split.select_sealed(population, tuned)
    per_kind = Counter(population[case_id] for case_id in sealed)
    assert set(per_kind) == set(KINDS)
    target = len(sealed)
    new_total = sum(KINDS.values())
    for kind, count in KINDS.items():
        assert 1 <= per_kind[kind] <= count
        assert abs(per_kind[kind] - target * count / new_total) < 1.5


def test_the_draw_is_deterministic_and_independent_of_input_order() -> None:
    population, tuned = corpus()
    first = split.select_sealed(population, tuned)
    shuffled = list(population.items())
    random.Random(7).shuffle(shuffled)
    assert split.select_sealed(dict(shuffled), set(sorted(tuned, reverse=True))) == first
    assert split.select_sealed(population, tuned, seed=split.SEED + 1) != first  # the seed decides


def test_quotas_share_the_target_and_give_every_kind_one() -> None:
    share = split.quotas({"a": 30, "b": 1, "c": 2}, 6)
    assert sum(share.values()) == 6
    assert share == {"a": 4, "b": 1, "c": 1}
    with pytest.raises(ValueError, match="cannot seal 2 cases over 3 kinds"):
        split.quotas({"a": 5, "b": 5, "c": 5}, 2)


def test_a_sealed_list_never_changes_when_cases_are_added(tmp_path: Path) -> None:
    population, tuned = corpus()
    written = tmp_path / "split.json"
    written.write_text(json.dumps(split.seal(population, tuned)), encoding="utf-8")
    before = split.sealed_ids(written)
    grown = {**population, **{f"later_log_{n}": "log" for n in range(30)}}
    assert split.sealed_ids(written) == before  # the file is the split, not a fresh draw
    assert set(split.select_sealed(grown, tuned)) != before  # a fresh draw would have moved
    assert split.check(json.loads(written.read_text()), grown) == []  # added cases are open, still valid


def test_check_fails_when_a_sealed_case_is_missing_or_the_list_was_edited() -> None:
    population, tuned = corpus()
    sealed = split.seal(population, tuned)
    gone = sealed["sealed"][0]
    remaining = {case_id: kind for case_id, kind in population.items() if case_id != gone}
    assert split.check(sealed, remaining) == [f"sealed case {gone} has no file in corpus/"]
    edited = {**sealed, "sealed": sorted([*sealed["sealed"][1:], next(iter(sorted(tuned)))])}
    assert any("not what the rule draws" in problem for problem in split.check(edited, population))


def test_without_a_split_file_nothing_is_sealed(tmp_path: Path) -> None:
    assert split.sealed_ids(tmp_path / "split.json") is None


def test_the_written_split_names_the_seed_the_rule_and_both_lists() -> None:
    population, tuned = corpus()
    sealed = split.seal(population, tuned)
    text = split.markdown(sealed)
    assert f"seed **{split.SEED}**" in text
    assert split.RULE in text
    assert f"## Sealed ({len(sealed['sealed'])})" in text
    assert f"## Open ({len(population) - len(sealed['sealed'])})" in text
    assert all(f"- `{case_id}` (" in text for case_id in population)
