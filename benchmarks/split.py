"""The benchmark's sealed split: a third of the corpus that nobody tunes on.

    python benchmarks/split.py --seal    # once: draw the sealed cases, write split.json and SPLIT.md
    python benchmarks/split.py --check   # fail when a sealed case is missing or the file was edited

Issue 9: before tuning anything, pick a third of the cases with a fixed seed and write the seed and
the list down; tune only on the rest; report both splits side by side. The rule is RULE below.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
SPLIT_JSON = HERE / "split.json"
SPLIT_MD = HERE / "SPLIT.md"
SEED = 20261202  # fixed before any case was drawn; written to split.json and SPLIT.md
SHARE = 1 / 3
TUNED_MODULE = "corpus_cases.core"  # the cases earlier sessions tuned on
RULE = """\
- Size: one third of ALL cases in `benchmarks/corpus/`, rounded.
- Drawn only from the cases new this session. The 46 cases of `corpus_cases/core.py` were tuned on
  by earlier sessions, so they can never be unseen material: they are open by construction.
- Stratified by content type (the case's declared `kind`): every kind among the new cases gets
  sealed cases, in proportion to its number of new cases (largest remainder, ties by kind name,
  at least one each).
- Drawn with `random.Random(seed)`: for each kind in sorted order, a sample of that kind's sorted
  new ids, so the same corpus always gives the same list.
- Once sealed, the list never changes: `--seal` refuses to run again, and a case added later is
  open unless split.json lists it as sealed. `--check` fails when a sealed id has no case file, or
  when the rule applied again to the population recorded at sealing does not give the recorded list."""


# the rule --------------------------------------------------------------------------------------


def quotas(sizes: Mapping[str, int], target: int) -> dict[str, int]:
    """How many cases to seal of each kind: `target` shared in proportion to `sizes` by largest
    remainder (ties by kind name), every kind at least one, no kind more than it has."""
    kinds = sorted(kind for kind, size in sizes.items() if size > 0)
    total = sum(sizes[kind] for kind in kinds)
    if target < len(kinds) or target > total:
        raise ValueError(f"cannot seal {target} cases over {len(kinds)} kinds holding {total}")
    exact = {kind: target * sizes[kind] / total for kind in kinds}
    share = {kind: int(exact[kind]) for kind in kinds}
    by_remainder = sorted(kinds, key=lambda kind: (-(exact[kind] - share[kind]), kind))
    for kind in by_remainder[: target - sum(share.values())]:
        share[kind] += 1
    for kind in kinds:  # every kind gets one, taken from the kind with the most to spare
        if share[kind] == 0:
            donor = max(kinds, key=lambda other: (share[other] - 1, other))
            share[donor] -= 1
            share[kind] = 1
    return share


def select_sealed(population: Mapping[str, str], tuned: set[str], seed: int = SEED) -> list[str]:
    """The sealed ids of a corpus given as {id: kind}: a third of all of them, rounded, drawn with
    `seed` from those not in `tuned`, stratified by kind."""
    fresh = {case_id: kind for case_id, kind in population.items() if case_id not in tuned}
    target = min(round(len(population) * SHARE), len(fresh))
    if target == 0:
        return []
    share = quotas(Counter(fresh.values()), target)
    rng = random.Random(seed)
    sealed: list[str] = []
    for kind in sorted(share):
        pool = sorted(case_id for case_id, each in fresh.items() if each == kind)
        sealed += rng.sample(pool, share[kind])
    return sorted(sealed)


# the corpus and the file -----------------------------------------------------------------------


def corpus_population(folder: Path = CORPUS) -> dict[str, str]:
    """{id: kind} of every case file."""
    population = {}
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        population[data["id"]] = data["kind"]
    return population


def tuned_ids() -> set[str]:
    """The ids registered by the case module earlier sessions tuned on."""
    sys.path.insert(0, str(HERE))
    import corpus_cases
    from corpus_kit import CASES

    corpus_cases.load_all()
    return {spec.id for spec in CASES if spec.build.__module__ == TUNED_MODULE}


def load_split(path: Path = SPLIT_JSON) -> dict[str, Any] | None:
    """The sealed split as written by --seal, or None when the corpus has not been sealed."""
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def sealed_ids(path: Path = SPLIT_JSON) -> set[str] | None:
    """The sealed case ids, or None when there is no split file (then every case is open)."""
    split = load_split(path)
    return None if split is None else set(split["sealed"])


def seal(population: dict[str, str], tuned: set[str], seed: int = SEED) -> dict[str, Any]:
    sealed = select_sealed(population, tuned, seed)
    return {
        "seed": seed,
        "sealed_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "rule": RULE,
        "population": dict(sorted(population.items())),
        "tuned": sorted(tuned & set(population)),
        "sealed": sealed,
        "open": sorted(set(population) - set(sealed)),
    }


def check(split: dict[str, Any], population: Mapping[str, str]) -> list[str]:
    """Why the split file cannot be trusted: sealed cases missing, or a list the rule does not give."""
    problems = [
        f"sealed case {case_id} has no file in corpus/"
        for case_id in split["sealed"]
        if case_id not in population
    ]
    again = select_sealed(split["population"], set(split["tuned"]), split["seed"])
    if again != split["sealed"]:
        problems.append("the sealed list is not what the rule draws from the recorded population")
    if split["seed"] != SEED:
        problems.append(f"split.json was drawn with seed {split['seed']}, split.py says {SEED}")
    return problems


def markdown(split: dict[str, Any]) -> str:
    population: dict[str, str] = split["population"]
    sealed, tuned = set(split["sealed"]), set(split["tuned"])
    kinds = sorted(set(population.values()))
    rows = [
        f"| {kind} | {sum(1 for k in population.values() if k == kind)} | "
        f"{sum(1 for i, k in population.items() if k == kind and i in tuned)} | "
        f"{sum(1 for i, k in population.items() if k == kind and i in sealed)} |"
        for kind in kinds
    ]
    lines = [
        "# The sealed split",
        "",
        f"Sealed {split['sealed_at']} by `python benchmarks/split.py --seal`, seed **{split['seed']}**: "
        f"{len(sealed)} of {len(population)} cases are sealed, {len(population) - len(sealed)} open.",
        "",
        "## Rule",
        "",
        split["rule"],
        "",
        "Tune only on the open cases. A sealed case's results are reported (benchmarks/RESULTS.md, its "
        "sealed section) and never used to tune; when one fails, first add a similar case of your own to "
        "the open split, and say so in the results.",
        "",
        "| kind | cases | open by construction (tuned on before) | sealed |",
        "| --- | ---: | ---: | ---: |",
        *rows,
        "",
        f"## Sealed ({len(sealed)})",
        "",
        *[f"- `{case_id}` ({population[case_id]})" for case_id in split["sealed"]],
        "",
        f"## Open ({len(split['open'])})",
        "",
        *[
            f"- `{case_id}` ({population[case_id]})" + (" — tuned on before" if case_id in tuned else "")
            for case_id in split["open"]
        ],
        "",
        "Cases added after sealing are open unless split.json lists them as sealed.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument(
        "--seal", action="store_true", help="draw the sealed cases and write the split (once)"
    )
    action.add_argument("--check", action="store_true", help="fail when the split file cannot be trusted")
    args = parser.parse_args(argv)
    population = corpus_population()
    split = load_split()
    if args.seal:
        if split is not None:
            print(
                f"already sealed on {split['sealed_at']}: the list never changes ({SPLIT_JSON})",
                file=sys.stderr,
            )
            return 1
        split = seal(population, tuned_ids())
        SPLIT_JSON.write_text(json.dumps(split, indent=1) + "\n", encoding="utf-8")
        SPLIT_MD.write_text(markdown(split), encoding="utf-8")
        print(
            f"sealed {len(split['sealed'])} of {len(population)} cases -> {SPLIT_JSON.name}, {SPLIT_MD.name}"
        )
        return 0
    if split is None:
        print(f"no {SPLIT_JSON.name}: the corpus is not sealed, every case is open")
        return 0
    problems = check(split, population)
    for problem in problems:
        print(f"split: {problem}", file=sys.stderr)
    added = sorted(set(population) - set(split["population"]))
    print(
        f"{len(split['sealed'])} sealed, {len(population) - len(split['sealed'])} open"
        + (f" ({len(added)} added since sealing, open)" if added else "")
        + ("" if problems else "; ok")
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
