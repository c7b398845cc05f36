"""Does compressing requests stall the event loop that serves them?

CompressionMiddleware sits in front of a trivial ASGI app (it reads the body and answers 200).
An in-process ASGI driver starts the app's lifespan, as a server does before it accepts
connections, then sends N requests at once, each a conversation from the benchmark corpus with
its question made unique (so no memo or session record answers it), while a heartbeat task on
the same loop asks to wake every 5 ms and records how late it woke. A late heartbeat is a
request of someone else's waiting on ours. Two rounds per process: the first is a cold server
(nothing compressed yet), the second the same load again with new questions. Each process also
measures the floor: the heartbeat next to one thread running pure Python and nothing else (what
sharing the interpreter with one busy thread costs on this machine at that moment; Headroom's
work runs in one such thread).

    python benchmarks/event_loop.py                          # the checkout on PYTHONPATH
    python benchmarks/event_loop.py --concurrency 20 100 --json
    python benchmarks/event_loop.py --compare /work/main . --runs 3   # side by side, fresh processes

`--compare` runs this script once per tree and concurrency in a fresh interpreter, with
PYTHONPATH set to the tree, the trees taking turns, and prints the medians over `--runs`.
The requests are always read from this script's corpus. Figures: benchmarks/EVENT_LOOP.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
TICK_SECONDS = 0.005

# The corpus as it was before the new cases: these may be run freely (new cases stay unseen).
OPEN_CASES = (
    "apt_history_log",
    "apt_term_log",
    "billing_csv_anomaly",
    "cargo_build_error",
    "ci_build_log_npm",
    "cryptography_sbom",
    "debug_adapter_protocol",
    "dmesg_boot",
    "dpkg_log",
    "dpkg_query_csv",
    "find_native_extensions",
    "git_diff_pygments_lexer",
    "git_diff_pyjwt_upgrade",
    "git_grep_pydantic_deprecated",
    "git_log_p_oauthlib",
    "git_release_notes",
    "github_issues_api",
    "go_persistent_https",
    "grep_defs_requests",
    "grep_timeouts_httpx_stack",
    "html_rust_book_strings",
    "html_rustc_codegen_options",
    "java_hashmap",
    "java_thread_pool",
    "javac_errors",
    "js_npm_config_two_files",
    "js_npm_ls_command",
    "jsonl_service_log",
    "kubectl_pods_crashloop",
    "litellm_model_prices",
    "litellm_provider_fields",
    "ls_la_libdir",
    "markdown_fastapi_readme",
    "nginx_upstream_errors",
    "npm_ls_json",
    "npm_ls_tree",
    "pip_inspect_metadata",
    "pip_list_json",
    "pip_show_files",
    "ps_aux_listing",
    "py_grep_then_read_networkx",
    "py_requests_sessions",
    "pypi_tsv_pytest_plugins",
    "pytest_networkx_regression",
    "session_networkx_dag_regression",
    "session_npm_tar_engine",
)

Message = MutableMapping[str, Any]


# requests --------------------------------------------------------------------------------------


def _cases() -> list[dict[str, Any]]:
    return [json.loads((CORPUS / f"{name}.json").read_text(encoding="utf-8")) for name in OPEN_CASES]


def _with_unique_question(messages: list[Any], tag: str) -> list[Any]:
    """The conversation with `tag` added to its first user text: a new query, a new session."""
    copied = json.loads(json.dumps(messages))
    for message in copied:
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            message["content"] = f"{content} ({tag})"
            return copied
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and part.get("type") == "text":
                part["text"] = f"{part['text']} ({tag})"
                return copied
    return copied


def request_bodies(count: int, round_name: str) -> list[tuple[str, bytes]]:
    """`count` (path, body) pairs cycling through the corpus, encoded before the clock starts."""
    cases = _cases()
    bodies = []
    for index in range(count):
        case = cases[index % len(cases)]
        messages = _with_unique_question(case["messages"], f"{round_name} request {index}")
        anthropic = case["format"] == "anthropic"
        body = {"model": case.get("model", "gpt-4o"), "max_tokens": 1024, "messages": messages}
        path = "/v1/messages" if anthropic else "/v1/chat/completions"
        bodies.append((path, json.dumps(body).encode()))
    return bodies


# the app and the driver ------------------------------------------------------------------------


async def trivial_app(scope: Message, receive: Callable[[], Awaitable[Message]], send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def run_lifespan(app: Any) -> tuple[asyncio.Task[None], asyncio.Queue[Message], float]:
    """Start the app's lifespan and wait for startup to complete, as a server does; seconds taken."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    started = asyncio.Event()

    async def send(message: Message) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()

    began = time.perf_counter()
    task = asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, send))
    await inbox.put({"type": "lifespan.startup"})
    await started.wait()
    return task, inbox, time.perf_counter() - began


async def post(app: Any, path: str, body: bytes) -> tuple[int, float]:
    """One POST through the app; its status and seconds."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    status = 0

    async def receive() -> Message:
        if pending:
            return pending.pop()
        await asyncio.sleep(3600)  # the client never disconnects during the benchmark
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    began = time.perf_counter()
    await app(scope, receive, send)
    return status, time.perf_counter() - began


class Heartbeat:
    """Wakes every TICK_SECONDS on the loop and records how late each wake-up was."""

    def __init__(self) -> None:
        self.lateness: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _beat(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + TICK_SECONDS
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            now = loop.time()
            self.lateness.append(max(0.0, now - due))
            due = now + TICK_SECONDS

    def start(self) -> None:
        self.lateness = []
        self._task = asyncio.ensure_future(self._beat())

    async def stop(self) -> dict[str, float]:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        late = sorted(self.lateness) or [0.0]
        return {
            "worst_ms": late[-1] * 1e3,
            "p99_ms": late[min(len(late) - 1, int(len(late) * 0.99))] * 1e3,
            "ticks": len(late),
        }


async def one_round(app: Any, concurrency: int, round_name: str) -> dict[str, Any]:
    bodies = request_bodies(concurrency, round_name)
    heartbeat = Heartbeat()
    heartbeat.start()
    await asyncio.sleep(TICK_SECONDS * 2)
    began = time.perf_counter()
    results = await asyncio.gather(*(post(app, path, body) for path, body in bodies))
    wall = time.perf_counter() - began
    beat = await heartbeat.stop()
    latencies = sorted(seconds for _, seconds in results)
    return {
        **beat,
        "wall_s": wall,
        "request_p50_ms": statistics.median(latencies) * 1e3,
        "request_max_ms": latencies[-1] * 1e3,
        "ok": sum(status == 200 for status, _ in results),
    }


async def floor(seconds: float = 2.0) -> dict[str, float]:
    """The heartbeat next to one thread running pure Python, with no request in flight."""
    stop = threading.Event()

    def spin() -> None:
        total = 0
        while not stop.is_set():
            total += sum(range(1000))

    busy = threading.Thread(target=spin, daemon=True)
    heartbeat = Heartbeat()
    heartbeat.start()
    busy.start()
    await asyncio.sleep(seconds)
    stop.set()
    busy.join()
    return await heartbeat.stop()


async def measure(concurrency: int) -> dict[str, Any]:
    from headroom.integrations.asgi import CompressionMiddleware

    app = CompressionMiddleware(trivial_app)
    lifespan, inbox, startup = await run_lifespan(app)
    cold = await one_round(app, concurrency, "cold")
    warm = await one_round(app, concurrency, "warm")
    await inbox.put({"type": "lifespan.shutdown"})
    await lifespan
    saved = app.totals()
    return {
        "concurrency": concurrency,
        "floor": await floor(),
        "startup_ms": startup * 1e3,
        "cold": cold,
        "warm": warm,
        "compressed": saved.requests_compressed,
        "seen": saved.requests_seen,
    }


# comparing trees -------------------------------------------------------------------------------


def _run_fresh(tree: Path, concurrency: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, str(Path(__file__).resolve()), "--concurrency", str(concurrency), "--json"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    (result,) = json.loads(done.stdout.strip().splitlines()[-1])
    return dict(result)


def compare(trees: list[Path], concurrencies: list[int], runs: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for concurrency in concurrencies:
        samples: dict[Path, list[dict[str, Any]]] = {tree: [] for tree in trees}
        for _ in range(runs):
            for tree in trees:  # the trees take turns, so a busy spell of the machine hits both
                samples[tree].append(_run_fresh(tree, concurrency))
        for tree in trees:
            rows.append({"tree": str(tree), "concurrency": concurrency, **_medians(samples[tree])})
    return rows


def _medians(samples: list[dict[str, Any]]) -> dict[str, float]:
    figures: dict[str, float] = {"startup_ms": statistics.median(s["startup_ms"] for s in samples)}
    for phase in ("cold", "warm"):
        for key in ("worst_ms", "p99_ms", "wall_s", "request_p50_ms"):
            figures[f"{phase}_{key}"] = statistics.median(s[phase][key] for s in samples)
    figures["floor_worst_ms"] = statistics.median(s["floor"]["worst_ms"] for s in samples)
    figures["compressed"] = min(s["compressed"] for s in samples)
    figures["seen"] = min(s["seen"] for s in samples)
    return figures


def print_table(rows: list[dict[str, Any]], runs: int) -> None:
    print(f"medians of {runs} fresh processes per row; heartbeat every {TICK_SECONDS * 1e3:.0f} ms")
    header = (
        "| tree | concurrency | worst, cold (ms) | p99, cold (ms) | worst, warm (ms) | p99, warm (ms) "
        "| wall, cold (s) | wall, warm (s) | startup (ms) | compressed | floor (ms) |"
    )
    print(header)
    print("| --- |" + " ---: |" * 10)
    for row in rows:
        print(
            f"| {row['tree']} | {row['concurrency']} | {row['cold_worst_ms']:.0f} | {row['cold_p99_ms']:.0f} "
            f"| {row['warm_worst_ms']:.0f} | {row['warm_p99_ms']:.0f} | {row['cold_wall_s']:.2f} "
            f"| {row['warm_wall_s']:.2f} | {row['startup_ms']:.0f} | {row['compressed']}/{row['seen']} "
            f"| {row['floor_worst_ms']:.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[20, 100])
    parser.add_argument("--json", action="store_true", help="one JSON line of results per run")
    parser.add_argument("--compare", type=Path, nargs="+", help="trees to import headroom from, in turn")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per tree and concurrency")
    args = parser.parse_args()
    if args.compare:
        rows = compare(args.compare, args.concurrency, args.runs)
        print_table(rows, args.runs)
        if args.json:
            print(json.dumps(rows))
        return
    results = [asyncio.run(measure(concurrency)) for concurrency in args.concurrency]
    if args.json:
        print(json.dumps(results))
        return
    for result in results:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
