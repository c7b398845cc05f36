"""Choosing which units survive: shared by every selecting stage so they agree on ties and gaps.

A third-party selecting stage uses the same two helpers as the built-ins: `narrow_to` keeps the
units it chose (and any dropped run too small to be worth a marker, `fill_small_gaps`) and notes
what it did.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from headroom.pipeline.stage import BlockState, RunState

MARKER_TOKENS = 24  # about what an elision marker costs: a dropped run cheaper than this stays


def scaled(amount: float, bias: float) -> int:
    """A keep-capacity scaled by a hook bias, in proportion, with no cap."""
    return max(0, math.ceil(amount * bias))


def spread_order(index: int) -> int:
    """Bit-reversed index: sorting ties by it picks units spread evenly over the whole block
    (0, the middle, the quarters, ...) rather than bunched at the start."""
    return int(f"{index:032b}"[::-1], 2)


def rank(candidates: Iterable[int], scores: Sequence[float] | None) -> list[int]:
    """Candidates best first; ties are spread evenly over the block, deterministically."""
    if scores is None:
        return sorted(candidates, key=spread_order)
    return sorted(candidates, key=lambda i: (-scores[i], spread_order(i)))


def mask(total: int, chosen: Iterable[int]) -> list[bool]:
    keep = [False] * total
    for index in chosen:
        if 0 <= index < total:
            keep[index] = True
    return keep


def fill_small_gaps(keep: list[bool], unit_tokens: Sequence[int], marker_tokens: int) -> list[bool]:
    """Keep a dropped run when its marker would cost about as much as the run itself."""
    filled = list(keep)
    index = 0
    total = len(keep)
    while index < total:
        if filled[index]:
            index += 1
            continue
        end = index
        while end < total and not keep[end]:
            end += 1
        if sum(unit_tokens[index:end]) <= marker_tokens:
            for position in range(index, end):
                filled[position] = True
        index = end
    return filled


def within_budget(
    candidates: Sequence[int],
    scores: Sequence[float] | None,
    unit_tokens: Sequence[int],
    pinned: set[int],
    budget: float,
) -> set[int]:
    """Pinned units first, then the best-scoring candidates while they fit the token budget."""
    chosen = {i for i in candidates if i in pinned}
    spent = sum(unit_tokens[i] for i in chosen)
    for index in rank((i for i in candidates if i not in pinned), scores):
        cost = unit_tokens[index]
        if spent + cost > budget:
            continue
        chosen.add(index)
        spent += cost
    return chosen


def groups_within_budget(
    candidates: Sequence[int],
    scores: Sequence[float] | None,
    unit_tokens: Sequence[int],
    pinned: set[int],
    budget: float,
    groups: Sequence[range],
) -> set[int]:
    """Like `within_budget`, but each group's candidates (a diff's hunk, a log's commit) are kept or
    dropped together, ranked by their best score; a unit in no group is a group of its own. A group
    holding a pinned unit is kept whole, first."""
    owner: dict[int, int] = {index: position for position, group in enumerate(groups) for index in group}
    members: dict[tuple[int, int], list[int]] = {}
    for index in candidates:
        key = (0, owner[index]) if index in owner else (1, index)
        members.setdefault(key, []).append(index)
    atoms = list(members.values())

    def best(atom: list[int]) -> float:
        return max(scores[i] for i in atom) if scores is not None else 0.0

    chosen: set[int] = set()
    spent = 0
    held = [atom for atom in atoms if any(i in pinned for i in atom)]
    for atom in held:
        chosen.update(atom)
        spent += sum(unit_tokens[i] for i in atom)
    rest = [atom for atom in atoms if not any(i in pinned for i in atom)]
    for atom in sorted(rest, key=lambda atom: (-best(atom), spread_order(atom[0]))):
        cost = sum(unit_tokens[i] for i in atom)
        if spent + cost <= budget:
            chosen.update(atom)
            spent += cost
    return chosen


def narrow_to(block: BlockState, state: RunState, chosen: set[int], stage_name: str) -> None:
    """Keep `chosen` (and dropped runs too small for a marker) and note how many lines remain."""
    document = block.document
    assert document is not None
    before = len(block.kept_indices())
    keep = fill_small_gaps(mask(len(document.units), chosen), state.unit_tokens(block), MARKER_TOKENS)
    block.narrow(keep)
    block.note(f"{stage_name}:lines {before}->{len(block.kept_indices())}")


def target_ratio(state: RunState, own: float) -> float:
    """The share of a block to keep: the run's `target_ratio` option when the caller gives one (it
    asks every block for about that share), else the stage's own param."""
    return float(state.option("target_ratio", own))
