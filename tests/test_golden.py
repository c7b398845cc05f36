"""What the engine outputs does not change unless a commit says so (see tests/golden)."""

from __future__ import annotations

from tests import golden


def test_every_fixture_and_corpus_case_compresses_to_its_recorded_bytes() -> None:
    recorded = golden.recorded()
    now = golden.compute_in_fresh_process()
    assert len(recorded) > 200
    assert sorted(now) == sorted(recorded), "inputs added or removed: python -m tests.golden --write"
    changed = sorted(name for name in recorded if now[name] != recorded[name])
    assert changed == [], f"outputs changed (if meant: python -m tests.golden --write): {changed}"
