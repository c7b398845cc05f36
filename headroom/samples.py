"""Deterministic sample conversations for the README, the notebook, the CLI demo and the tests.

Every generator is seeded, so the same call always gives the same bytes.
"""

from __future__ import annotations

import json
import random
from typing import Any

SERVICES = ("api-gateway", "billing", "auth", "search", "inventory", "notifications")
REGIONS = ("us-east-1", "us-west-2", "eu-west-1")


def json_records(
    count: int = 300, error_at: int = 187, seed: int = 7
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """`count` order records; the one at `error_at` failed. Returns (records, the failed record)."""
    rng = random.Random(seed)
    records = []
    for index in range(count):
        records.append(
            {
                "id": f"ord-{10000 + index}",
                "customer": f"cust-{rng.randint(1000, 9999)}",
                "service": rng.choice(SERVICES),
                "region": rng.choice(REGIONS),
                "status": "ok",
                "latency_ms": rng.randint(20, 180),
                "amount": round(rng.uniform(5, 500), 2),
                "created_at": f"2026-11-{1 + index % 27:02d}T{index % 24:02d}:{(index * 7) % 60:02d}:00Z",
            }
        )
    failed = dict(records[error_at])
    failed.update(status="failed", latency_ms=30012, error="upstream timeout after 30s calling payments-v2")
    records[error_at] = failed
    return records, failed


_PY_TRACE = [
    "Traceback (most recent call last):",
    '  File "/srv/app/handlers/checkout.py", line 88, in handle',
    "    order = self.orders.load(order_id)",
    '  File "/srv/app/store/orders.py", line 41, in load',
    "    row = self.db.fetch_one(QUERY, order_id)",
    '  File "/srv/app/db/pool.py", line 133, in fetch_one',
    "    raise PoolTimeout(f'no connection within {self.timeout}s')",
    "app.db.pool.PoolTimeout: no connection within 5.0s",
]
_JAVA_TRACE = [
    "java.lang.IllegalStateException: ledger entry {ref} is not balanced",
    "\tat com.acme.billing.Ledger.post(Ledger.java:214)",
    "\tat com.acme.billing.InvoiceService.finalize(InvoiceService.java:97)",
    "\tat com.acme.billing.api.InvoiceController.close(InvoiceController.java:55)",
    "\tat java.base/java.lang.Thread.run(Thread.java:1583)",
]
_JS_TRACE = [
    "TypeError: Cannot read properties of undefined (reading 'sku')",
    "    at priceLine (/srv/web/cart/price.js:27:19)",
    "    at Array.map (<anonymous>)",
    "    at totalCart (/srv/web/cart/total.js:12:24)",
    "    at async handler (/srv/web/routes/cart.js:44:5)",
]


def application_log(
    lines: int = 2000, request_id: str = "req-7f3a9c", seed: int = 11
) -> tuple[str, dict[str, Any]]:
    """A log with three stack traces and one request id. Returns (text, facts about it)."""
    rng = random.Random(seed)
    out: list[str] = []
    traces = {lines // 5: _PY_TRACE, lines // 2: _JAVA_TRACE, (lines * 4) // 5: _JS_TRACE}
    id_lines = {lines // 3, lines // 3 + 4}
    second = 0
    while len(out) < lines:
        second += rng.randint(0, 2)
        stamp = f"2026-11-27T08:{(second // 60) % 60:02d}:{second % 60:02d}.{rng.randint(0, 999):03d}Z"
        position = len(out)
        if position in traces:
            out.append(f"{stamp} ERROR [{rng.choice(SERVICES)}] unhandled exception while serving request")
            out.extend(line.replace("{ref}", f"L-{rng.randint(100, 999)}") for line in traces[position])
            continue
        if position in id_lines:
            out.append(f"{stamp} INFO  [checkout] request {request_id} user=u-4821 cart=3 items took 912ms")
            continue
        service = rng.choice(SERVICES)
        out.append(
            f"{stamp} INFO  [{service}] GET /v1/{service}/items/{rng.randint(1, 99999)} 200 "
            f"{rng.randint(3, 90)}ms rid=req-{rng.getrandbits(24):06x}"
        )
    text = "\n".join(out[:lines])
    facts = {
        "trace_first_frames": [_PY_TRACE[1], _JAVA_TRACE[1], _JS_TRACE[1]],
        "trace_last_frames": [_PY_TRACE[5], _JAVA_TRACE[4], _JS_TRACE[4]],
        "request_id": request_id,
    }
    return text, facts


def openai_conversation() -> list[dict[str, Any]]:
    """An OpenAI-format agent turn: the user asks, the assistant calls two tools, the tools answer."""
    records, _ = json_records()
    log, facts = application_log()
    return [
        {
            "role": "system",
            "content": "You are an on-call assistant. Use the tools to investigate incidents.",
        },
        {
            "role": "user",
            "content": f"Checkout is failing for some customers. Why did order ord-10187 fail, "
            f"and what happened to request {facts['request_id']}?",
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_orders",
                    "type": "function",
                    "function": {
                        "name": "list_orders",
                        "arguments": json.dumps({"since": "2026-11-01", "limit": 300}),
                    },
                },
                {
                    "id": "call_logs",
                    "type": "function",
                    "function": {
                        "name": "read_log",
                        "arguments": json.dumps({"path": "/var/log/app/checkout.log"}),
                    },
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_orders", "content": json.dumps(records, indent=2)},
        {"role": "tool", "tool_call_id": "call_logs", "content": log},
    ]


def anthropic_conversation() -> list[dict[str, Any]]:
    """The same investigation in Anthropic format, with a cache_control marker and an image."""
    records, _ = json_records()
    log, facts = application_log()
    return [
        {
            "role": "user",
            "content": [
                {
                    "type": "text",
                    "text": f"Why did order ord-10187 fail? Also trace request {facts['request_id']}.",
                },
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
                },
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me look at the orders and the checkout log."},
                {"type": "tool_use", "id": "toolu_orders", "name": "list_orders", "input": {"limit": 300}},
                {
                    "type": "tool_use",
                    "id": "toolu_logs",
                    "name": "read_log",
                    "input": {"path": "checkout.log"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_orders",
                    "content": json.dumps(records, indent=2),
                },
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_logs",
                    "content": [{"type": "text", "text": log}],
                    "cache_control": {"type": "ephemeral"},
                },
            ],
        },
    ]
