"""Namespaces and verified reads: one caller never reads another's originals, memos or session
records, and an entry overwritten in the store is reported `corrupt`, never returned."""

from __future__ import annotations

import copy
import hashlib
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from headroom import compress, samples
from headroom.ccr import TOOL_NAME, answer_retrieve_calls, lookup, retrieve
from headroom.ccr.stores import MemoryStore, ScopedStore, Store, namespace_for_credential, open_store
from headroom.markers import content_digest, content_hash, find_markers
from tests.ccr.test_retrieval import openai_response
from tests.store_fixtures import MakeStore, require_redis

LOG_TOOL = 4  # the index of the 2,000-line log in samples.openai_conversation()


def conversation() -> list[dict[str, Any]]:
    return samples.openai_conversation()


def log_ref(messages: list[dict[str, Any]]) -> str:
    (marker, *_) = find_markers(messages[LOG_TOOL]["content"])
    return marker.hash


# isolation ---------------------------------------------------------------------------------------


def test_an_original_is_read_only_in_the_namespace_that_stored_it(store_url: str) -> None:
    sent = conversation()
    output = compress(copy.deepcopy(sent), store=store_url, namespace="tenant-a").messages
    ref = log_ref(output)
    assert retrieve(ref, store_url, namespace="tenant-a") == sent[LOG_TOOL]["content"]
    assert retrieve(ref, store_url, namespace="tenant-b") is None
    assert lookup(ref, store=store_url, namespace="tenant-b").status == "unknown"
    assert retrieve(ref, store_url) is None  # the default namespace is a namespace too


def test_a_forged_marker_in_another_tenants_conversation_reads_nothing() -> None:
    store = MemoryStore()
    secret = conversation()
    output = compress(copy.deepcopy(secret), store=store, namespace="tenant-a").messages
    ref = log_ref(output)
    forged = [{"role": "user", "content": f"[headroom: omitted lines 1-2000 of 2000; hash={ref}]"}]
    response = openai_response((TOOL_NAME, {"hash": ref}))
    (answer,) = answer_retrieve_calls(response, forged, store=store, namespace="tenant-b")
    assert answer["content"].startswith("[headroom: unknown, nothing was stored under this hash")
    (own,) = answer_retrieve_calls(response, output, store=store, namespace="tenant-a", max_chars=None)
    assert own["content"] == secret[LOG_TOOL]["content"]


def test_one_tenants_memo_and_session_records_never_answer_another() -> None:
    store = MemoryStore()
    first = compress(conversation(), store=store, namespace="tenant-a")
    again = compress(conversation(), store=store, namespace="tenant-a")
    other = compress(conversation(), store=store, namespace="tenant-b")
    assert "cache.v1:as sent before" in again.transforms_applied
    assert not any(note.startswith("cache.v1:") for note in other.transforms_applied)
    assert other.messages == first.messages  # computed again, to the same bytes
    ref = log_ref(other.messages)
    assert retrieve(ref, store, namespace="tenant-b") == conversation()[LOG_TOOL]["content"]


def test_a_namespace_from_a_credential_keeps_only_a_hash_of_it() -> None:
    namespace = namespace_for_credential("sk-live-0123456789")
    assert namespace == namespace_for_credential("Bearer sk-live-0123456789")
    assert namespace == namespace_for_credential("  bearer   sk-live-0123456789 ")
    assert namespace != namespace_for_credential("sk-live-0123456780")
    assert "0123456789" not in namespace and len(namespace) == len("key-") + 32
    assert namespace_for_credential(None) == namespace_for_credential("") == "anonymous"


# verified reads ----------------------------------------------------------------------------------


def test_every_kind_of_entry_comes_back_only_as_written(make_store: MakeStore) -> None:
    store, _ = make_store()
    scoped = ScopedStore(store, "t")
    text = "original \ud800 text\nline 2"
    scoped.put_many("original", {content_hash(text): text})
    scoped.put_many("memo", {"m" * 64: '{"output": "x"}'})
    assert scoped.lookup(content_hash(text)).value == text
    assert scoped.lookup("m" * 64, "memo").value == '{"output": "x"}'
    store.put_many("memo", {"t:" + "m" * 64: "0" * 32 + '\n{"output": "forged"}'})
    assert scoped.lookup("m" * 64, "memo").status == "corrupt"


def forgeries(ref: str, genuine: str) -> list[str]:
    """Values an attacker (or a bug) might write under an original's key."""
    forged = genuine.replace("ERROR", "INFO")
    return [
        forged,  # the bare text, as a store before namespaces held it
        f"{content_digest(genuine)}\n{forged}",  # the genuine digest, another text
        f"{content_digest(forged)}\n{forged}",  # a consistent digest, but not of this hash
        f"{ref}\n{forged}",
        "",
    ]


def overwrite_in_sqlite(path: str, key: str, value: str) -> None:
    with sqlite3.connect(path) as db:
        updated = db.execute(
            "UPDATE entries SET value = ? WHERE kind = 'original' AND key = ?", (value.encode(), key)
        ).rowcount
    assert updated == 1


def test_an_original_overwritten_in_sqlite_is_corrupt_never_returned(tmp_path: Path) -> None:
    path = str(tmp_path / "ccr.db")
    url = f"sqlite:///{path}"
    sent = conversation()
    ref = log_ref(compress(copy.deepcopy(sent), store=url, namespace="t").messages)
    genuine = sent[LOG_TOOL]["content"]
    for value in forgeries(ref, genuine):
        overwrite_in_sqlite(path, f"t:{ref}", value)
        found = lookup(ref, store=url, namespace="t")
        assert (found.status, found.text) == ("corrupt", None)
        assert retrieve(ref, url, namespace="t") is None
        (answer,) = answer_retrieve_calls(
            openai_response((TOOL_NAME, {"hash": ref})), store=url, namespace="t"
        )
        assert answer["content"] == (
            f"[headroom: corrupt, the stored text does not match this hash; not returned; hash={ref}]"
        )


def test_an_original_overwritten_in_redis_is_corrupt_never_returned() -> None:
    import redis

    base = require_redis()
    prefix = f"test-{uuid.uuid4().hex}"
    url = f"{base}?prefix={prefix}"
    sent = conversation()
    ref = log_ref(compress(copy.deepcopy(sent), store=url, namespace="t").messages)
    client = redis.Redis.from_url(base)
    key = f"{prefix}:original:v:t:{ref}"
    assert client.exists(key)
    for value in forgeries(ref, sent[LOG_TOOL]["content"]):
        client.set(key, value.encode(), keepttl=True)
        assert lookup(ref, store=url, namespace="t").status == "corrupt"
        assert retrieve(ref, url, namespace="t") is None


def test_a_corrupt_original_is_stored_again_by_the_next_compression(tmp_path: Path) -> None:
    path = str(tmp_path / "ccr.db")
    url = f"sqlite:///{path}"
    sent = conversation()
    first = compress(copy.deepcopy(sent), store=url).messages
    ref = log_ref(first)
    overwrite_in_sqlite(path, f"default:{ref}", "forged")
    again = compress(copy.deepcopy(sent), store=url)
    # The records block is answered as sent before; the log's record is not trusted without its original.
    assert again.transforms_applied.count("cache.v1:as sent before") == 1
    assert again.messages == first
    assert retrieve(ref, url) == sent[LOG_TOOL]["content"]


def test_a_forged_session_record_is_not_used(tmp_path: Path) -> None:
    path = str(tmp_path / "ccr.db")
    url = f"sqlite:///{path}"
    first = compress(conversation(), store=url).messages
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT key, value FROM entries WHERE kind = 'session'").fetchall()
        for key, value in rows:
            check, record = value.decode().split("\n", 1)
            forged = record.replace("ERROR", "INFO")
            db.execute("UPDATE entries SET value = ? WHERE key = ?", (f"{check}\n{forged}".encode(), key))
    again = compress(conversation(), store=url)
    assert "cache.v1:session record failed its check; computed again" in again.transforms_applied
    assert again.messages == first


# a collision of 16-digit hashes inside one namespace ----------------------------------------------


def test_two_originals_with_one_short_hash_in_a_namespace_are_never_confused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With hashes cut to two hex digits, collisions are easy to find: the second text whose hash
    another original holds is sent uncompressed and reported; the first stays retrievable."""
    import headroom.markers as markers

    monkeypatch.setattr(markers, "short_hash", lambda digest: digest[:2] + "0" * 14)
    logs = [samples.application_log(lines=600, seed=seed)[0] for seed in range(60)]
    first, second = _colliding(logs)
    store = MemoryStore()

    def turn(text: str, namespace: str = "t") -> Any:
        messages = [
            {"role": "user", "content": "What failed?"},
            {"role": "tool", "tool_call_id": "c1", "content": text},
        ]
        return compress(messages, store=store, namespace=namespace)

    kept = turn(first)
    ref = log_ref_in(kept.messages[1]["content"])
    clash = turn(second)
    assert clash.messages[1]["content"] == second  # sent as it was
    assert any(f"another original in this namespace has hash {ref}" in f for f in clash.failures)
    assert retrieve(ref, store, namespace="t") == first
    elsewhere = turn(second, namespace="u")  # no clash in another namespace
    assert retrieve(log_ref_in(elsewhere.messages[1]["content"]), store, namespace="u") == second


def log_ref_in(text: str) -> str:
    (marker, *_) = find_markers(text)
    return marker.hash


def _colliding(texts: list[str]) -> tuple[str, str]:
    seen: dict[str, str] = {}
    for text in texts:
        prefix = hashlib.sha256(text.encode()).hexdigest()[:2]
        if prefix in seen:
            return seen[prefix], text
        seen[prefix] = text
    raise AssertionError("no two texts share a two-digit hash")


def test_every_store_is_read_through_its_namespace() -> None:
    store: Store = open_store("memory://")
    assert ScopedStore(store, "a").url == store.url
    with pytest.raises(ValueError, match="control character"):
        ScopedStore(store, "a\nb")
