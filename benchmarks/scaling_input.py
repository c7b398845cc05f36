"""Large, realistic tool outputs of a chosen size in tokens, for the scaling runs and the hot-path suite.

`make_input("log", 1_000_000)` gives an agent conversation whose one tool output is an application
log of about a million o200k tokens: request lines from several services, warnings, a few errors
with Python and Java stack traces, and the request id the user asks about. `"json_array"` gives an
API listing of records with one failed record. Seeded, so the same size always gives the same text.
"""

from __future__ import annotations

import json
import random
from typing import Any

SERVICES = ("api-gateway", "billing", "auth", "search", "inventory", "notifications", "checkout")
ROUTES = ("/v1/items", "/v1/cart", "/v1/orders", "/v1/users/me", "/v1/search", "/healthz")
PY_TRACE = (
    "Traceback (most recent call last):",
    '  File "/srv/app/workers/settle.py", line 141, in run',
    "    batch = self.ledger.pending(limit=500)",
    '  File "/srv/app/ledger/store.py", line 77, in pending',
    "    return self.db.query(SQL_PENDING, limit)",
    "psycopg.errors.QueryCanceled: canceling statement due to statement timeout",
)
JAVA_TRACE = (
    "java.util.concurrent.TimeoutException: search shard 7 did not answer in 3000 ms",
    "\tat com.acme.search.ShardClient.await(ShardClient.java:219)",
    "\tat com.acme.search.Fanout.collect(Fanout.java:88)",
    "\tat java.base/java.lang.Thread.run(Thread.java:1583)",
)
CHARS_PER_TOKEN = {"log": 2.13, "json_array": 2.39}  # measured on these generators with o200k_base
NEEDLE = "req-8c41d2e07b"


def log_text(target_tokens: int, seed: int = 5) -> str:
    rng = random.Random(seed)
    budget = int(target_tokens * CHARS_PER_TOKEN["log"])
    lines: list[str] = []
    size = 0
    second = 0
    placed = False
    while size < budget:
        second += rng.randint(0, 1)
        stamp = (
            f"2026-11-27T{(second // 3600) % 24:02d}:{(second // 60) % 60:02d}:{second % 60:02d}."
            f"{rng.randint(0, 999):03d}Z"
        )
        service = rng.choice(SERVICES)
        roll = rng.random()
        if roll < 0.0004:
            block = [f"{stamp} ERROR [{service}] settlement worker failed", *PY_TRACE]
        elif roll < 0.0008:
            block = [f"{stamp} ERROR [{service}] search fan-out failed", *JAVA_TRACE]
        elif roll < 0.02:
            route, took = rng.choice(ROUTES), rng.randint(900, 4000)
            block = [f"{stamp} WARN  [{service}] slow upstream {route} took {took}ms"]
        else:
            method, route, item = rng.choice(("GET", "POST")), rng.choice(ROUTES), rng.randint(1, 99999)
            status, took, rid = (
                rng.choice((200, 200, 200, 201, 204, 304)),
                rng.randint(2, 120),
                rng.getrandbits(40),
            )
            block = [
                f"{stamp} INFO  [{service}] {method} {route}/{item} {status} {took}ms rid=req-{rid:010x}"
            ]
        if not placed and size >= budget * 0.6:  # once, at the same relative place at every size
            block = [f"{stamp} ERROR [checkout] payment declined for rid={NEEDLE}: card_velocity_limit"]
            placed = True
        lines.extend(block)
        size += sum(len(line) + 1 for line in block)
    return "\n".join(lines)


def json_array_text(target_tokens: int, seed: int = 9) -> str:
    rng = random.Random(seed)
    budget = int(target_tokens * CHARS_PER_TOKEN["json_array"])
    records: list[dict[str, Any]] = []
    size = 2
    placed = False
    while size < budget:
        index = len(records)
        record: dict[str, Any] = {
            "id": f"evt-{index:08d}",
            "service": rng.choice(SERVICES),
            "route": rng.choice(ROUTES),
            "status": "ok",
            "latency_ms": rng.randint(2, 180),
            "bytes": rng.randint(200, 90000),
            "region": rng.choice(("us-east-1", "eu-west-1", "ap-south-1")),
            "ts": f"2026-11-27T{index % 24:02d}:{index % 60:02d}:{(index * 7) % 60:02d}Z",
        }
        if not placed and size >= budget * 0.6:
            record.update(status="failed", error=f"payment declined for {NEEDLE}: card_velocity_limit")
            placed = True
        records.append(record)
        size += len(json.dumps(record)) + 2
    return json.dumps(records)


def make_input(kind: str, target_tokens: int) -> tuple[list[dict[str, Any]], str]:
    """(an OpenAI-format conversation with one big tool output, that output's text)."""
    text = log_text(target_tokens) if kind == "log" else json_array_text(target_tokens)
    name, arguments = (
        ("read_log", {"path": "/var/log/app/all.log"})
        if kind == "log"
        else ("list_events", {"since": "2026-11-27", "limit": 1_000_000})
    )
    messages = [
        {"role": "system", "content": "You are an on-call assistant."},
        {"role": "user", "content": f"Why was payment {NEEDLE} declined?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_big",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_big", "content": text},
    ]
    return messages, text
