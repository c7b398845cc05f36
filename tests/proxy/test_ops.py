"""Stats, the /health /stats /metrics endpoints, and the JSON access line."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import secrets
import threading
import types
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

import headroom
from headroom.proxy import ops
from headroom.proxy.ops import (
    METRICS_MEDIA_TYPE,
    OTHER_MODEL,
    UNKNOWN_MODEL,
    Stats,
    configure_access_log,
    escape_label,
    log_request,
    render_metrics,
    request_log_line,
)
from headroom.proxy.security import ProxyGuard

ODD_MODEL = 'we"ird\\model\nname'  # a quote, a backslash and a newline: each must be escaped


# ---------------------------------------------------------------------------------------------------
# Stats


def test_stats_add_up_by_model() -> None:
    stats = Stats()
    stats.record("claude-sonnet", 1000, 400, compressed=True)
    stats.record("claude-sonnet", 600, 600, compressed=False)
    stats.record("gpt-4o", 300, 100, compressed=True, status=201)
    snapshot = stats.snapshot()
    assert snapshot["models"]["claude-sonnet"] == {
        "requests": 2,
        "compressed": 1,
        "failed": 0,
        "tokens_before": 1600,
        "tokens_after": 1000,
        "tokens_saved": 600,
    }
    assert snapshot["models"]["gpt-4o"]["tokens_saved"] == 200
    for field in ("requests", "compressed", "failed", "tokens_before", "tokens_after", "tokens_saved"):
        assert snapshot[field] == sum(model[field] for model in snapshot["models"].values())
    assert snapshot["statuses"] == {"200": 2, "201": 1}
    json.dumps(snapshot)  # JSON-ready as it is


def test_a_request_without_a_model_is_counted_as_unknown() -> None:
    stats = Stats()
    stats.record(None, 10, 10, compressed=False)
    stats.record("", 5, 5, compressed=False)
    stats.record(123, 0, 0, compressed=False)  # type: ignore[arg-type]  # a client's odd JSON
    assert stats.snapshot()["models"] == {
        UNKNOWN_MODEL: {
            "requests": 3,
            "compressed": 0,
            "failed": 0,
            "tokens_before": 15,
            "tokens_after": 15,
            "tokens_saved": 0,
        }
    }


def test_failures_and_statuses_are_counted() -> None:
    stats = Stats()
    stats.record("m", 50, 50, compressed=False, failed=True, status=502)
    stats.record("m", 50, 50, compressed=False, failed=True, status=502)
    stats.record("m", 50, 20, compressed=True, status=200)
    snapshot = stats.snapshot()
    assert snapshot["failed"] == 2
    assert snapshot["compressed"] == 1
    assert snapshot["statuses"] == {"200": 1, "502": 2}


def test_tokens_saved_never_goes_down_and_bad_counts_count_as_zero() -> None:
    stats = Stats()
    stats.record("m", 100, 130, compressed=False)  # a request that grew saved nothing
    stats.record("m", -5, -7, compressed=False)
    stats.record("m", None, "many", compressed=False)  # type: ignore[arg-type]  # bad data, no raise
    counts = stats.snapshot()["models"]["m"]
    assert counts["requests"] == 3
    assert counts["tokens_saved"] == 0
    assert (counts["tokens_before"], counts["tokens_after"]) == (100, 130)


def test_the_number_of_models_kept_is_bounded() -> None:
    stats = Stats(max_models=3)
    for index in range(10):
        stats.record(f"model-{index}", 10, 5, compressed=True)
    stats.record("model-1", 10, 5, compressed=True)  # a model already kept is still its own
    models = stats.snapshot()["models"]
    assert set(models) == {"model-0", "model-1", "model-2", OTHER_MODEL}
    assert models["model-1"]["requests"] == 2
    assert models[OTHER_MODEL]["requests"] == 7


def test_uptime_and_start_come_from_the_clock() -> None:
    now = [1_700_000_000.0]
    stats = Stats(clock=lambda: now[0])
    now[0] += 42.5
    snapshot = stats.snapshot()
    assert snapshot["uptime_seconds"] == 42.5
    assert snapshot["started_at"].startswith("2023-11-14T22:13:20")


def test_stats_are_exact_under_concurrent_recording() -> None:
    stats = Stats()
    per_thread, threads = 2000, 8

    def work(index: int) -> None:
        for _ in range(per_thread):
            stats.record(f"m{index % 2}", 3, 1, compressed=True, seconds=0.001)

    workers = [threading.Thread(target=work, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    snapshot = stats.snapshot()
    assert snapshot["requests"] == per_thread * threads
    assert snapshot["tokens_saved"] == 2 * per_thread * threads
    assert snapshot["models"]["m0"]["requests"] == snapshot["models"]["m1"]["requests"]


# ---------------------------------------------------------------------------------------------------
# The Prometheus text, read back by a strict reader of the exposition format


_SAMPLE = re.compile(
    r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_]\w*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? (\S+)$'
)
_LABEL = re.compile(r'([a-zA-Z_]\w*)="((?:[^"\\\n]|\\[\\"n])*)"')


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda match: {"n": "\n", "\\": "\\", '"': '"'}[match.group(1)], value)


def parse_exposition(text: str) -> dict[str, dict[str, Any]]:
    """Families by name: {"type", "help", "samples": [(sample name, labels, value)]}. Fails on any
    line the format does not allow, on a sample before its TYPE, or on a TYPE given twice."""
    assert text.endswith("\n")
    families: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, help_text = line[7:].split(" ", 1)
            families.setdefault(name, {"samples": []})["help"] = help_text
        elif line.startswith("# TYPE "):
            name, kind = line[7:].split(" ")
            assert kind in ("counter", "gauge", "summary", "histogram", "untyped")
            assert "type" not in families.get(name, {}), f"TYPE twice for {name}"
            families.setdefault(name, {"samples": []})["type"] = kind
        else:
            match = _SAMPLE.match(line)
            assert match, f"not a sample line: {line!r}"
            sample, labels, value = match.groups()
            family = next(name for name in families if sample == name or sample.startswith(name + "_"))
            assert "type" in families[family], f"sample before TYPE: {line!r}"
            parsed = {key: _unescape(raw) for key, raw in _LABEL.findall(labels or "")}
            families[family]["samples"].append((sample, parsed, float(value)))
    return families


def test_metrics_are_valid_exposition_text_with_the_counts() -> None:
    stats = Stats()
    stats.record("claude-sonnet", 1000, 400, compressed=True, seconds=0.25)
    stats.record(ODD_MODEL, 80, 80, compressed=False, failed=True, status=502)
    families = parse_exposition(render_metrics(stats))

    for name, family in families.items():
        assert name.startswith("headroom_proxy_")
        assert family.get("help"), f"{name} has no HELP"
        if family["type"] == "counter":
            assert name.endswith("_total")

    def value(family: str, **labels: str) -> float:
        samples = families[f"headroom_proxy_{family}"]["samples"]
        return next(v for _, found, v in samples if found == labels)

    assert value("requests_total", model="claude-sonnet") == 1
    assert value("tokens_before_total", model="claude-sonnet") == 1000
    assert value("tokens_after_total", model="claude-sonnet") == 400
    assert value("tokens_saved_total", model="claude-sonnet") == 600
    assert value("compressed_requests_total", model="claude-sonnet") == 1
    assert value("compression_failures_total", model=ODD_MODEL) == 1  # the escaped label reads back
    assert value("requests_total", model=ODD_MODEL) == 1
    assert value("responses_total", status="502") == 1
    assert value("info", version=headroom.__version__) == 1
    durations = families["headroom_proxy_request_duration_seconds"]
    assert durations["type"] == "summary"
    assert ("headroom_proxy_request_duration_seconds_sum", {"model": "claude-sonnet"}, 0.25) in durations[
        "samples"
    ]
    assert families["headroom_proxy_start_time_seconds"]["samples"][0][2] == pytest.approx(stats.started_at)


def test_metrics_before_any_request_still_declare_every_family() -> None:
    families = parse_exposition(render_metrics(Stats()))
    assert "headroom_proxy_requests_total" in families
    assert families["headroom_proxy_requests_total"]["samples"] == []


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [("plain", "plain"), ('a"b', 'a\\"b'), ("a\\b", "a\\\\b"), ("a\nb", "a\\nb"), ('\\"', '\\\\\\"')],
)
def test_label_escaping(raw: str, escaped: str) -> None:
    assert escape_label(raw) == escaped
    assert _unescape(escaped) == raw


# ---------------------------------------------------------------------------------------------------
# The endpoints, on an app whose state holds the stats as ProxyState does


def ops_app(stats: Stats) -> Starlette:
    app = Starlette(routes=ops.routes())
    app.state.proxy = types.SimpleNamespace(stats=stats, config=types.SimpleNamespace(log_messages=False))
    return app


def get(app: Starlette, path: str, method: str = "GET") -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://proxy") as http:
            return await http.request(method, path)

    return asyncio.run(go())


def test_health() -> None:
    reply = get(ops_app(Stats()), "/health")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok", "version": headroom.__version__}
    assert get(ops_app(Stats()), "/health", "HEAD").status_code == 200


def test_stats_endpoint_reports_what_was_recorded() -> None:
    stats = Stats()
    app = ops_app(stats)
    assert get(app, "/stats").json()["requests"] == 0
    stats.record("gpt-4o", 900, 300, compressed=True)
    body = get(app, "/stats").json()
    assert body["models"]["gpt-4o"]["tokens_saved"] == 600
    assert body["tokens_before"] == 900


def test_metrics_endpoint() -> None:
    stats = Stats()
    stats.record(ODD_MODEL, 10, 4, compressed=True)
    reply = get(ops_app(stats), "/metrics")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == METRICS_MEDIA_TYPE
    families = parse_exposition(reply.text)
    assert families["headroom_proxy_tokens_saved_total"]["samples"] == [
        ("headroom_proxy_tokens_saved_total", {"model": ODD_MODEL}, 6.0)
    ]


def test_the_endpoints_answer_only_get() -> None:
    assert get(ops_app(Stats()), "/stats", "POST").status_code == 405


def test_behind_the_guard_a_remote_caller_needs_the_token_for_them_too() -> None:
    guarded = ProxyGuard(ops_app(Stats()), token="ops-test-token-0123")

    async def go(headers: dict[str, str]) -> int:
        transport = httpx.ASGITransport(app=guarded, client=("198.51.100.4", 9))
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy") as http:
            return (await http.get("/metrics", headers=headers)).status_code

    assert asyncio.run(go({})) == 401
    assert asyncio.run(go({"x-headroom-proxy-token": "ops-test-token-0123"})) == 200


# ---------------------------------------------------------------------------------------------------
# The access line


def test_the_access_line_is_one_json_object_on_one_line() -> None:
    line = request_log_line(method="POST", path="/v1/messages", status=200, model="m\nx", tokens_saved=12)
    assert "\n" not in line
    fields = json.loads(line)
    assert list(fields)[:2] == ["time", "method"]
    assert fields["model"] == "m\nx"
    assert fields["tokens_saved"] == 12
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", fields["time"])


def test_content_is_left_out_unless_asked_for() -> None:
    content = {"messages": [{"role": "user", "content": "the secret plan"}], "input": "more", "body": "raw"}
    quiet = json.loads(request_log_line(path="/v1/messages", **content))
    assert set(quiet) == {"time", "path"}
    assert "secret plan" not in request_log_line(path="/v1/messages", **content)
    loud = json.loads(request_log_line(log_messages=True, path="/v1/messages", **content))
    assert loud["messages"] == content["messages"]
    assert loud["input"] == "more"


def test_credentials_are_scrubbed_from_the_access_line_even_with_content() -> None:
    key = "sk-ant-" + secrets.token_hex(16)
    line = request_log_line(
        log_messages=True,
        headers={"x-api-key": key, "Authorization": "Bearer abc", "accept": "json"},
        messages=[{"role": "user", "content": f"my key is {key}"}],
        error=f"upstream said: bad key {key}",
    )
    assert key not in line
    fields = json.loads(line)
    assert fields["headers"] == {"x-api-key": "***", "Authorization": "***", "accept": "json"}


def test_values_json_cannot_carry_are_written_as_text() -> None:
    fields = json.loads(request_log_line(upstream=httpx.URL("http://127.0.0.1:9/v1"), retried=(1, 2)))
    assert fields["upstream"] == "http://127.0.0.1:9/v1"
    assert fields["retried"] == [1, 2]


def test_log_request_writes_bare_lines_through_the_access_logger() -> None:
    stream = io.StringIO()
    configure_access_log(stream)
    configure_access_log(stream)  # again: still one handler
    try:
        log_request(method="GET", path="/v1/models", status=200, messages=["left out"])
        lines = stream.getvalue().splitlines()
        assert len(lines) == 1
        assert json.loads(lines[0])["path"] == "/v1/models"
        assert "left out" not in lines[0]
    finally:
        for handler in list(ops.access_log.handlers):
            ops.access_log.removeHandler(handler)
        ops.access_log.propagate = True
        ops.access_log.setLevel(logging.NOTSET)


def test_log_request_is_skipped_when_the_access_log_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[bool] = []
    monkeypatch.setattr(ops, "request_log_line", lambda **fields: built.append(True) or "")
    stream = io.StringIO()
    configure_access_log(stream, level=logging.WARNING)
    try:
        log_request(path="/x")
    finally:
        for handler in list(ops.access_log.handlers):
            ops.access_log.removeHandler(handler)
        ops.access_log.propagate = True
        ops.access_log.setLevel(logging.NOTSET)
    assert built == []
    assert stream.getvalue() == ""
