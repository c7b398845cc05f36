"""Operations: the proxy's counters, its /health, /stats and /metrics endpoints, and its access log.

`Stats` counts, per model since the process started: requests, requests compressed, requests
failed (as the route records them: compression failing open, an error answered), tokens before
and after compression, tokens saved, and responses by status. `record(...)` runs on every request,
so it is one lock and a few integer additions. With `--workers N` each worker process counts its own requests.

Model names come from clients, so the number of distinct names kept is bounded (`MAX_MODELS`);
later names are counted under `other`. A request with no model is counted under `unknown`.
Tokens saved for one request is `tokens_before - tokens_after`, never below zero, so the counter
only grows (a Prometheus counter must not go down).

Endpoints (`routes()`), each reading `request.app.state.proxy.stats`:
- `GET /health`: `{"status": "ok", "version": ...}`;
- `GET /stats`: `Stats.snapshot()` as JSON (totals, `models`, `statuses`, start time, uptime);
- `GET /metrics`: Prometheus text exposition format 0.0.4. Every family has HELP and TYPE lines;
  counters end in `_total`; label values are escaped (backslash, double quote, newline).

Access log: `request_log_line(**fields)` is one JSON object on one line, with `time` first. Message
content (`CONTENT_FIELDS`: messages, input, body, ...) is left out unless `log_messages=True`, and
every string in it is scrubbed of credentials (`security.redact_text`) either way.
`log_request(...)` emits it at INFO on the `headroom.proxy.access` logger; `configure_access_log()`
gives that logger a handler that writes the bare lines.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import IO, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from headroom import __version__
from headroom.proxy.security import CREDENTIAL_HEADERS, MASK, redact_text

ACCESS_LOGGER_NAME = "headroom.proxy.access"
access_log = logging.getLogger(ACCESS_LOGGER_NAME)

MAX_MODELS = 200
OTHER_MODEL = "other"  # models past MAX_MODELS
UNKNOWN_MODEL = "unknown"  # a request that named none
# Access-log fields that carry what the client sent or received: only logged with --log-messages.
CONTENT_FIELDS = frozenset(
    {"messages", "input", "system", "tools", "prompt", "content", "body", "request", "response"}
)
METRICS_MEDIA_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_PREFIX = "headroom_proxy_"


# ---------------------------------------------------------------------------------------------------
# Counting


@dataclass
class ModelCounts:
    """What one model's requests added up to since the start."""

    requests: int = 0
    compressed: int = 0
    failed: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    tokens_saved: int = 0
    duration_seconds: float = 0.0  # summed over the requests that reported a duration
    timed: int = 0  # how many did

    def add(self, other: ModelCounts) -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)


class Stats:
    """Thread-safe counters of the proxy's requests, by model, since the process started."""

    def __init__(self, *, max_models: int = MAX_MODELS, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._models: dict[str, ModelCounts] = {}
        self._statuses: dict[int, int] = {}
        self._max_models = max_models
        self._clock = clock
        self.started_at = clock()

    def record(
        self,
        model: str | None,
        tokens_before: int,
        tokens_after: int,
        *,
        compressed: bool,
        failed: bool = False,
        status: int = 200,
        seconds: float | None = None,
    ) -> None:
        """Count one request. A token count that is negative or no number (bad data) counts as
        zero: the request it describes is never failed for it."""
        before, after = _whole(tokens_before), _whole(tokens_after)
        with self._lock:
            counts = self._counts_for(model)
            counts.requests += 1
            counts.compressed += bool(compressed)
            counts.failed += bool(failed)
            counts.tokens_before += before
            counts.tokens_after += after
            counts.tokens_saved += max(0, before - after)
            if seconds is not None:
                counts.duration_seconds += max(0.0, float(seconds))
                counts.timed += 1
            self._statuses[status] = self._statuses.get(status, 0) + 1

    def _counts_for(self, model: str | None) -> ModelCounts:
        name = model if isinstance(model, str) and model else UNKNOWN_MODEL
        counts = self._models.get(name)
        if counts is None:
            if len(self._models) >= self._max_models:
                name = OTHER_MODEL
            counts = self._models.setdefault(name, ModelCounts())
        return counts

    def counts(self) -> tuple[dict[str, ModelCounts], dict[int, int]]:
        """Copies of the per-model counts and the responses by status, taken together."""
        with self._lock:
            models = {name: replace(counts) for name, counts in self._models.items()}
            return models, dict(self._statuses)

    def snapshot(self) -> dict[str, Any]:
        """The counters as JSON-ready data: the totals at the top level, `models`, `statuses`."""
        models, statuses = self.counts()
        total = ModelCounts()
        for counts in models.values():
            total.add(counts)
        now = self._clock()
        return {
            "started_at": datetime.fromtimestamp(self.started_at, timezone.utc).isoformat(),
            "uptime_seconds": round(now - self.started_at, 3),
            **_public(total),
            "models": {name: _public(counts) for name, counts in sorted(models.items())},
            "statuses": {str(status): count for status, count in sorted(statuses.items())},
        }


def _whole(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError, OverflowError):
        return 0


def _public(counts: ModelCounts) -> dict[str, Any]:
    return {
        "requests": counts.requests,
        "compressed": counts.compressed,
        "failed": counts.failed,
        "tokens_before": counts.tokens_before,
        "tokens_after": counts.tokens_after,
        "tokens_saved": counts.tokens_saved,
    }


# ---------------------------------------------------------------------------------------------------
# Prometheus text

# Counters by model: (name without the prefix, help, the ModelCounts field it reads)
_MODEL_COUNTERS = (
    ("requests_total", "Requests handled, by model.", "requests"),
    ("compressed_requests_total", "Requests sent upstream smaller than they arrived.", "compressed"),
    (
        "compression_failures_total",
        "Requests whose compression failed, in part or whole, and went upstream as they came.",
        "failed",
    ),
    ("tokens_before_total", "Tokens in requests as they arrived.", "tokens_before"),
    ("tokens_after_total", "Tokens in requests as they were sent upstream.", "tokens_after"),
    ("tokens_saved_total", "Tokens taken out of requests by compression.", "tokens_saved"),
)
Sample = tuple[str, float]  # (labels as written between the braces, or "" for none; value)


def render_metrics(stats: Stats) -> str:
    """The counters in the Prometheus text exposition format (version 0.0.4)."""
    models, statuses = stats.counts()
    by_model = sorted(models.items())
    lines: list[str] = []
    for name, help_text, field in _MODEL_COUNTERS:
        samples = [(_model_label(model), getattr(counts, field)) for model, counts in by_model]
        lines += _family(name, "counter", help_text, samples)
    status_samples: list[Sample] = [
        (f'status="{status}"', count) for status, count in sorted(statuses.items())
    ]
    lines += _family("responses_total", "counter", "Responses sent, by HTTP status.", status_samples)
    lines += _family("request_duration_seconds", "summary", "Time spent handling requests, by model.", [])
    for model, counts in by_model:
        lines.append(_sample("request_duration_seconds_sum", _model_label(model), counts.duration_seconds))
        lines.append(_sample("request_duration_seconds_count", _model_label(model), counts.timed))
    lines += _family(
        "start_time_seconds", "gauge", "When this process started (Unix time).", [("", stats.started_at)]
    )
    version: list[Sample] = [(f'version="{escape_label(__version__)}"', 1)]
    lines += _family("info", "gauge", "The Headroom version serving.", version)
    return "\n".join(lines) + "\n"


def _family(name: str, kind: str, help_text: str, samples: list[Sample]) -> list[str]:
    lines = [f"# HELP {_PREFIX}{name} {help_text}", f"# TYPE {_PREFIX}{name} {kind}"]
    return lines + [_sample(name, labels, value) for labels, value in samples]


def _sample(name: str, labels: str, value: float) -> str:
    written = str(value) if isinstance(value, int) else repr(float(value))
    return f"{_PREFIX}{name}{{{labels}}} {written}" if labels else f"{_PREFIX}{name} {written}"


def _model_label(model: str) -> str:
    return f'model="{escape_label(model)}"'


def escape_label(value: str) -> str:
    """A label value as the exposition format writes it: backslash, double quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


# ---------------------------------------------------------------------------------------------------
# Endpoints


def _stats_of(request: Request) -> Stats:
    stats: Stats = request.app.state.proxy.stats
    return stats


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok", "version": __version__})


async def stats(request: Request) -> Response:
    return JSONResponse(_stats_of(request).snapshot())


async def metrics(request: Request) -> Response:
    return Response(render_metrics(_stats_of(request)), media_type=METRICS_MEDIA_TYPE)


def routes() -> list[Route]:
    """GET /health, /stats and /metrics (HEAD too, as Starlette adds it to GET routes)."""
    return [
        Route("/health", health, methods=["GET"]),
        Route("/stats", stats, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]


# ---------------------------------------------------------------------------------------------------
# Access log


def request_log_line(*, log_messages: bool = False, **fields: Any) -> str:
    """One request as one JSON line: `time` first, then the fields in the order given. Content
    fields are dropped unless `log_messages`; every string is scrubbed of credentials."""
    line: dict[str, Any] = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds")}
    for name, value in fields.items():
        if log_messages or name not in CONTENT_FIELDS:
            line[name] = _scrubbed(value)
    return json.dumps(line, ensure_ascii=False, separators=(",", ":"), default=str)


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {
            str(key): MASK if str(key).lower() in CREDENTIAL_HEADERS else _scrubbed(item)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_scrubbed(item) for item in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact_text(str(value))


def log_request(*, log_messages: bool = False, **fields: Any) -> None:
    """Emit `request_log_line(...)` at INFO on the access logger (skipped cheaply when it is off)."""
    if access_log.isEnabledFor(logging.INFO):
        access_log.info(request_log_line(log_messages=log_messages, **fields))


def configure_access_log(stream: IO[str] | None = None, *, level: int = logging.INFO) -> logging.Handler:
    """Give the access logger one handler writing the bare JSON lines (to stderr by default), not
    propagated to the root's formatted output. Calling it again replaces the handler. A `level`
    above INFO (`--log-level warning`) turns the lines off, and `log_request` then costs nothing."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for old in [h for h in access_log.handlers if getattr(h, "_headroom_access", False)]:
        access_log.removeHandler(old)
    handler._headroom_access = True  # type: ignore[attr-defined]
    access_log.addHandler(handler)
    access_log.setLevel(level)
    access_log.propagate = False
    return handler
