"""headroom/integrations/_wrapping.py: call records, the store option, the hashes a wrapper sent."""

from __future__ import annotations

import pytest

from headroom import compress, samples
from headroom.ccr.retrieval import hashes_in
from headroom.ccr.stores import MemoryStore
from headroom.integrations._wrapping import CallLog, CallRecord, SentHashes, options_with_store
from headroom.markers import HASH_LENGTH


def test_the_log_keeps_the_newest_and_counts_every_call() -> None:
    log = CallLog(keep=2)
    for before in (100, 200, 300):
        log.add(CallRecord(True, before, before // 4))
    log.add(CallRecord(False, failures=("boom",)))
    assert [r.tokens_before for r in log.records()] == [300, 0]
    assert log.last() == CallRecord(False, failures=("boom",))
    assert log.tokens_saved == 75 + 150 + 225  # the dropped records still count
    assert CallRecord(False, 100, 40).tokens_saved == 0  # not sent compressed: nothing saved


def test_the_store_is_given_once() -> None:
    assert options_with_store({"target_ratio": 0.3}, "memory://") == {
        "target_ratio": 0.3,
        "store": "memory://",
    }
    assert options_with_store(None, None) == {}
    with pytest.raises(ValueError, match="give the store once"):
        options_with_store({"store": "memory://"}, "memory://")


def test_sent_hashes_answer_what_was_sent_and_forget_the_oldest() -> None:
    store = MemoryStore()
    sent = compress(samples.openai_conversation(), store=store).messages
    hashes = SentHashes(keep=10)
    hashes.remember(sent)
    first = sorted(hashes_in(sent))[0]
    original = hashes.answer(first, None, store, "default")
    assert original in {m["content"] for m in samples.openai_conversation() if isinstance(m["content"], str)}
    assert "no marker in this conversation names" in SentHashes().answer(first, None, store, "default")

    small = SentHashes(keep=1)
    older, newer = "a" * HASH_LENGTH, "b" * HASH_LENGTH
    small.remember([{"role": "tool", "content": f"[headroom: hash={older}]"}])
    small.remember([{"role": "tool", "content": f"[headroom: hash={newer}]"}])
    assert older not in small and newer in small
