"""No store credential is ever printed: failures, logs, reprs, exceptions and the CLI show store
URLs only through `headroom.ccr.stores.urls.redact`."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path

import pytest

from headroom import compress, samples
from headroom.ccr import lookup
from headroom.ccr.stores import StoreConfigError, StoreUnavailable, open_store, redact
from headroom.ccr.stores.redis import RedisStore
from headroom.ccr.stores.urls import scrub
from headroom.cli import main

PASSWORD = "hunter2pass"
USER = "alice-admin"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"redis://:{PASSWORD}@127.0.0.1:6379/0", "redis://***@127.0.0.1:6379/0"),
        (f"redis://{USER}:{PASSWORD}@cache:6379/0", "redis://***@cache:6379/0"),
        (f"rediss://{USER}:{PASSWORD}@cache:6380/1?prefix=p", "rediss://***@cache:6380/1?prefix=p"),
        (f"redis://cache:6379/0?password={PASSWORD}&prefix=p", "redis://cache:6379/0?password=***&prefix=p"),
        (f"redis://cache/0?db=1&auth_token={PASSWORD}", "redis://cache/0?db=1&auth_token=***"),
        (f"redis://:pa/ss@{PASSWORD}@cache/0", "redis://***@cache/0"),  # an unescaped "/" and "@"
        (f"unix://:{PASSWORD}@/run/redis.sock?db=0", "unix://***@/run/redis.sock?db=0"),
        ("sqlite:////var/lib/ccr.db", "sqlite:////var/lib/ccr.db"),
        ("memory://", "memory://"),
    ],
)
def test_redact_masks_every_credential_in_a_url(url: str, shown: str) -> None:
    assert redact(url) == shown
    assert PASSWORD not in redact(url) and USER not in redact(url)


def test_scrub_takes_a_urls_secrets_out_of_a_drivers_text() -> None:
    url = f"redis://{USER}:{PASSWORD}@cache:6379/0"
    text = f"AuthenticationError for {url}: user {USER} with password {PASSWORD} refused"
    cleaned = scrub(text, url)
    assert PASSWORD not in cleaned and USER not in cleaned
    assert "redis://***@cache:6379/0" in cleaned


def unreachable(credentials: str = f":{PASSWORD}") -> str:
    return f"redis://{credentials}@127.0.0.1:1/0?prefix=test-{uuid.uuid4().hex}"


def test_no_password_in_failures_logs_reprs_or_exceptions(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    printed: list[str] = []
    for credentials in (f":{PASSWORD}", f"{USER}:{PASSWORD}"):
        url = unreachable(credentials)
        for _ in range(4):  # refused, then skipped by the breaker
            printed.extend(compress(samples.openai_conversation(), store=url).failures)
        store = open_store(url)
        printed += [repr(store), str(store), store.url, repr(lookup("0123456789abcdef", store=url))]
        with pytest.raises(StoreUnavailable) as refused:
            RedisStore(url, breaker_failures=1).get("k")
        printed += [str(refused.value), repr(refused.value), refused.value.url, *map(str, refused.value.args)]
    with pytest.raises(StoreConfigError) as bad:
        open_store(f"postgres://{USER}:{PASSWORD}@db/0")
    printed += [str(bad.value), repr(bad.value)]
    with pytest.raises(StoreConfigError) as bad_param:
        open_store(f"redis://:{PASSWORD}@db/0?ttl=soon")
    printed += [str(bad_param.value), repr(bad_param.value)]
    text = "\n".join([*printed, caplog.text])
    assert "redis://***@127.0.0.1:1/0" in text and "skipped for" in text
    assert PASSWORD not in text and USER not in text


def test_the_cli_never_prints_a_store_password(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conversation = tmp_path / "chat.json"
    conversation.write_text(json.dumps(samples.openai_conversation()))
    assert main(["compress", str(conversation), "--quiet", "--store", unreachable()]) == 0
    assert main(["compress", str(conversation), "--store", f"postgres://:{PASSWORD}@db/0"]) == 3
    out, err = capsys.readouterr()
    assert "nothing was compressed" in err and "unknown kind of store" in err
    assert "store redis://***@127.0.0.1:1/0" in " ".join(err.split())  # rich wraps long lines
    assert PASSWORD not in out + err
