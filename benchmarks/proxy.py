"""The proxy benchmark: `headroom proxy` side by side with the reference's proxy (headroom-ai 0.42.0),
both in front of the same loopback stub upstream, with a third path straight to the stub.

    python benchmarks/proxy.py --write    # the measurement (under 10 min), written to PROXY.md
    python benchmarks/proxy.py --quick    # a smoke run: few requests, short sessions
    python benchmarks/proxy.py --no-reference
    python benchmarks/proxy.py --reference-bin /path/to/venv/bin/headroom

Three processes are started on free loopback ports and stopped on exit (Ctrl-C included): the stub
(`benchmarks/proxy_stub.py` under uvicorn: Anthropic Messages and OpenAI Chat Completions, JSON and
SSE, 20 events a few ms apart), our proxy (`python -m headroom.cli proxy` from this checkout) and
the reference's (`headroom proxy` from its own virtual environment). Every measurement sends the
same requests down each path in turn, the order rotating every iteration, so noise on the machine
hits all three alike:

1. latency (whole JSON request and reply) on a small request no proxy compresses and on a request
   carrying a 100 KB real tool output (new bytes every iteration: a cold compression each time);
2. time to the first byte of an SSE stream, and whether each relayed stream is intact (the same bytes
   as the stub sends direct);
3. throughput: 100 clients each streaming whole SSE replies at once: streams/s, wall time, every
   stream compared with the stub's bytes;
4. the session cost under Anthropic prompt caching of multi-turn agent sessions made of real tool
   outputs from the corpus's open split, relative to the same session sent direct.

Prints the report (markdown) to stdout; `--write` also writes it to benchmarks/PROXY.md, with every
figure in benchmarks/proxy_results.json. How each figure is made is in benchmarks/README.md ("The
proxy benchmark").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # benchmark the checkout, installed or not

import httpx  # noqa: E402
import proxy_stub  # noqa: E402  (benchmarks/proxy_stub.py: the upstream, and the bytes it sends)
import split as split_file  # noqa: E402  (benchmarks/split.py: which cases are sealed)

import headroom  # noqa: E402, F401  (sets TIKTOKEN_CACHE_DIR to the encodings shipped with litellm)
from headroom.tokens import count_tokens  # noqa: E402

CORPUS = HERE / "corpus"
REFERENCE_VENV = HERE / ".venvs" / "reference"  # git-ignored; the one benchmarks/run.py uses
REFERENCE_BIN = REFERENCE_VENV / "bin" / "headroom"
REFERENCE_SPEC = "headroom-ai[proxy]==0.42.0"
PATHS = ("direct", "ours", "reference")
TOKEN_MODEL = "gpt-4o"  # headroom.tokens counts it with tiktoken's o200k_base
MODEL_ANTHROPIC = "claude-sonnet-4-5-20250929"
MODEL_OPENAI = "gpt-4o"
ANTHROPIC_KEY = "sk-ant-bench-0000000000000000"  # a fake key: the stub never checks it
OPENAI_KEY = "sk-bench-0000000000000000"
LARGE_CASE = "dpkg_log"  # the 100 KB tool output (an open case: /var/log/dpkg.log)
LARGE_BYTES = 100_000
TURN_CAP_BYTES = 24_000  # a tool output in a session is clipped to this, at a line end
CONCURRENT_CLIENTS = 100
NONCE_RANGE = 1_000_000  # each scenario's requests are numbered from its own multiple of this
READY_SECONDS = 180.0
CACHE_READ, CACHE_WRITE, PLAIN_INPUT = 0.1, 1.25, 1.0  # Anthropic's prices, times the input price

# The targets of issue 11.
ADDED_LATENCY_P50_MS = 2.0
TTFB_EXTRA_MS = 5.0
SESSION_COST_OVERALL = 0.5
SESSION_COST_EACH = 1.0
VERSUS_REFERENCE = 0.5

SESSION_FAMILIES: dict[str, tuple[str, ...]] = {
    "logs": ("log",),
    "diffs_code_search": ("diff", "git_log", "code", "search"),
    "json": ("json_array", "json_object"),
    "shell_tables_docs": ("shell", "table", "html", "prose"),
}


@dataclass(frozen=True)
class Settings:
    latency_small: int
    latency_large: int
    ttfb_small: int
    ttfb_large: int
    warmup: int
    stream_requests: int  # requests per throughput round (100 clients at once)
    stream_rounds: int
    session_turns: int
    sessions: int


FULL = Settings(
    latency_small=300,
    latency_large=60,
    ttfb_small=150,
    ttfb_large=40,
    warmup=10,
    stream_requests=200,
    stream_rounds=2,
    session_turns=8,
    sessions=4,
)
QUICK = Settings(
    latency_small=40,
    latency_large=8,
    ttfb_small=30,
    ttfb_large=6,
    warmup=3,
    stream_requests=100,
    stream_rounds=1,
    session_turns=4,
    sessions=2,
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], share: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rotated(items: Sequence[str], turn: int) -> list[str]:
    shift = turn % len(items)
    return list(items[shift:]) + list(items[:shift])


# processes ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child process: no HTTP proxy between loopback hops."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in ("http_proxy", "https_proxy", "all_proxy") and not k.startswith("HEADROOM_")
    }
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


@dataclass
class Service:
    """One server process in its own process group, logging to a file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    cwd: Path = ROOT
    process: subprocess.Popen[bytes] | None = None
    started_seconds: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with open(self.log_path, "wb") as log_file:
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # a group of its own: stop() ends its workers too
            )

    def wait_ready(self, limit: float = READY_SECONDS) -> None:
        """Until it answers HTTP at all (a 404 on /health counts: the port is served)."""
        began = time.perf_counter()
        while time.perf_counter() - began < limit:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{self.url}/health", timeout=2.0, trust_env=False)
                self.started_seconds = time.perf_counter() - began
                return
            time.sleep(0.25)
        raise RuntimeError(f"{self.name} did not answer within {limit:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(wait)
                return


def stub_service(folder: Path, gap_ms: float) -> Service:
    port = free_port()
    argv = [sys.executable, str(HERE / "proxy_stub.py"), "--port", str(port), "--gap-ms", str(gap_ms)]
    return Service("stub", argv, child_env(), port, folder / "stub.log")


def ours_service(folder: Path, stub_url: str) -> Service:
    """Ours with every default kept (its SQLite store in ~/.cache/headroom, here under a fresh HOME)."""
    port = free_port()
    argv = [
        sys.executable, "-m", "headroom.cli", "proxy", "--port", str(port),
        "--anthropic-api-url", stub_url, "--openai-api-url", f"{stub_url}/v1",
    ]  # fmt: skip
    home = folder / "ours-home"
    home.mkdir(exist_ok=True)
    env = child_env(PYTHONPATH=str(ROOT), HOME=str(home))
    return Service("ours", argv, env, port, folder / "ours.log")


def reference_tokenizers(binary: Path) -> str | None:
    found = sorted(
        binary.parent.parent.glob("lib/python*/site-packages/litellm/litellm_core_utils/tokenizers")
    )
    return str(found[0]) if found else None


def reference_service(folder: Path, stub_url: str, binary: Path) -> Service:
    """The reference as installed, defaults kept except its rate limiter (60 requests a minute,
    which would refuse most of this benchmark); its state goes to a fresh HOME."""
    port = free_port()
    argv = [
        str(binary), "proxy", "--port", str(port),
        "--anthropic-api-url", stub_url, "--openai-api-url", f"{stub_url}/v1", "--no-rate-limit",
    ]  # fmt: skip
    home = folder / "reference-home"
    home.mkdir(exist_ok=True)
    env = child_env(HOME=str(home))
    env.pop("PYTHONPATH", None)
    env.pop("TIKTOKEN_CACHE_DIR", None)
    tokenizers = reference_tokenizers(binary)
    if tokenizers:
        env["TIKTOKEN_CACHE_DIR"] = tokenizers  # the encodings its own litellm ships (run.py does the same)
    return Service("reference", argv, env, port, folder / "reference.log", cwd=home)


def reference_problem(binary: Path) -> str | None:
    """Why the reference's proxy cannot run, or None. The default venv (run.py's) is created, or
    given the proxy extra, on first use: `pip install "headroom-ai[proxy]==0.42.0"`."""
    python = binary.parent / "python"
    check = [
        str(python),
        "-c",
        "import importlib.metadata as m, fastapi, uvicorn; print(m.version('headroom-ai'))",
    ]
    wanted = REFERENCE_SPEC.split("==")[1]

    def installed() -> bool:
        if not binary.exists() or not python.exists():
            return False
        done = subprocess.run(check, capture_output=True, text=True, cwd=tempfile.gettempdir(), check=False)
        return done.returncode == 0 and done.stdout.strip() == wanted

    if installed():
        return None
    if binary != REFERENCE_BIN:
        return f"{binary}: not headroom-ai {wanted} with its proxy extra"
    log(f"installing {REFERENCE_SPEC} into {REFERENCE_VENV} (first run only)")
    steps = (
        []
        if (REFERENCE_VENV / "bin" / "python").exists()
        else [[sys.executable, "-m", "venv", str(REFERENCE_VENV)]]
    )
    steps.append(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", REFERENCE_SPEC]
    )
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return f"`{' '.join(step)}` failed: {(done.stderr or done.stdout).strip()[-500:]}"
    return None if installed() else f"{binary}: still not usable after installing {REFERENCE_SPEC}"


# material ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolRun:
    """One tool call of a corpus case and its real output."""

    case: str
    kind: str
    name: str
    arguments: dict[str, Any]
    output: str


def open_cases() -> list[dict[str, Any]]:
    """The corpus cases that are not sealed (benchmarks/split.json), by id."""
    sealed = split_file.sealed_ids() or set()
    cases = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(CORPUS.glob("*.json"))]
    return [case for case in cases if case["id"] not in sealed]


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(block.get("text", "") for block in content if isinstance(block, dict))
    return ""


def tool_runs(case: dict[str, Any]) -> Iterator[ToolRun]:
    """Each tool call in the case with its output, in either chat format."""
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    for message in case["messages"]:
        for call in message.get("tool_calls") or []:
            function = call["function"]
            calls[call["id"]] = (function["name"], json.loads(function.get("arguments") or "{}"))
        content = message.get("content")
        if message.get("role") == "tool" and message.get("tool_call_id") in calls:
            name, arguments = calls[message["tool_call_id"]]
            yield ToolRun(case["id"], case["kind"], name, arguments, _result_text(content))
        for block in content if isinstance(content, list) else []:
            if block.get("type") == "tool_use":
                calls[block["id"]] = (block["name"], block.get("input") or {})
            elif block.get("type") == "tool_result" and block.get("tool_use_id") in calls:
                name, arguments = calls[block["tool_use_id"]]
                yield ToolRun(case["id"], case["kind"], name, arguments, _result_text(block.get("content")))


def clipped(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes of the text, cut at a line end."""
    data = text.encode()
    if len(data) <= limit:
        return text
    cut = data[:limit].rsplit(b"\n", 1)[0]
    return cut.decode(errors="ignore") + "\n"


def clipped_output(text: str, limit: int) -> str:
    """At most `limit` bytes of a tool output, still what it was: JSON stays valid JSON (its largest
    arrays and objects lose their last items, in the original layout), anything else is cut at a
    line end."""
    if len(text.encode()) <= limit:
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return clipped(text, limit)
    if not isinstance(value, (list, dict)):
        return clipped(text, limit)
    indent = 2 if "\n" in text.strip() else None
    separators = None if indent else (",", ":")

    def dumped(item: Any) -> str:
        return json.dumps(item, indent=indent, separators=separators, ensure_ascii=False)

    while len(dumped(value).encode()) > limit:
        container = _largest_container(value, dumped)
        if container is None:
            return clipped(text, limit)
        keep = len(container) * 3 // 4
        if isinstance(container, list):
            del container[keep:]
        else:
            for key in list(container)[keep:]:
                del container[key]
    return dumped(value)


def _largest_container(value: Any, dumped: Callable[[Any], str]) -> list[Any] | dict[str, Any] | None:
    """Where to cut: from the top, down into the child that holds most of a container's bytes, to
    the container whose items share its size (a list of records, an object of entries)."""
    current = value
    while True:
        children = [
            item
            for item in (current.values() if isinstance(current, dict) else current)
            if isinstance(item, (list, dict)) and item
        ]
        sizes = [(len(dumped(child)), index) for index, child in enumerate(children)]
        biggest = max(sizes, default=(0, -1))
        if biggest[0] * 2 <= len(dumped(current)) or biggest[1] < 0:
            return current if len(current) >= 2 else None
        current = children[biggest[1]]


def large_output(cases: Sequence[dict[str, Any]]) -> ToolRun:
    case = next((case for case in cases if case["id"] == LARGE_CASE), None)
    if case is None:
        raise SystemExit(f"the 100 KB material ({LARGE_CASE}) is not an open corpus case")
    run = max(tool_runs(case), key=lambda run: len(run.output))
    return ToolRun(run.case, run.kind, run.name, run.arguments, clipped(run.output, LARGE_BYTES))


@dataclass(frozen=True)
class SessionPlan:
    name: str
    question: str
    runs: list[ToolRun]


def session_plans(cases: Sequence[dict[str, Any]], turns: int, count: int) -> list[SessionPlan]:
    """Sessions of `turns` tool calls each, every one from a different family of material, all of it
    real output of this machine's commands and files (the corpus's synthetic cases are left out)."""
    plans = []
    for name, kinds in list(SESSION_FAMILIES.items())[:count]:
        family = [case for case in cases if case["kind"] in kinds and case.get("source") == "real"]
        pools = [
            [
                run
                for case in family
                if case["kind"] == kind
                for run in tool_runs(case)
                if len(run.output) > 2000
            ]
            for kind in kinds
        ]
        runs: list[ToolRun] = []
        while len(runs) < turns and any(pools):
            for pool in pools:
                if pool and len(runs) < turns:
                    run = pool.pop(0)
                    if all(run.output[:2000] != chosen.output[:2000] for chosen in runs):
                        runs.append(run)  # two cases may share one output: each output once
        if not runs:
            continue
        first = next(case for case in family if case["id"] == runs[0].case)
        clipped_runs = [
            ToolRun(run.case, run.kind, run.name, run.arguments, clipped_output(run.output, TURN_CAP_BYTES))
            for run in runs
        ]
        plans.append(SessionPlan(name, first["question"], clipped_runs))
    return plans


# requests --------------------------------------------------------------------------------------------

SYSTEM = (
    "You are a coding and operations agent working in the user's Linux workstation. Use the tools to "
    "look things up; quote exact lines, ids and values from tool output when you answer."
)
_TOOL_SPECS = [
    ("run_shell", "Run a shell command on the workstation and return its output.", {"command": "string"}),
    (
        "read_file",
        "Read a file from the workspace; optional line range.",
        {"path": "string", "offset": "integer"},
    ),
    ("grep", "Search files for a regular expression.", {"pattern": "string", "path": "string"}),
]


def anthropic_tools() -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "description": description,
            "input_schema": {
                "type": "object",
                "properties": {key: {"type": kind} for key, kind in fields.items()},
                "required": [next(iter(fields))],
            },
        }
        for name, description, fields in _TOOL_SPECS
    ]


# Modules whose documentation becomes the descriptions of an agent's many tools (real text shipped
# with Python), so a session's tools weigh about what Claude Code's do (~34 KB), the same every turn.
_DOCUMENTED_TOOLS = (
    "subprocess", "shutil", "pathlib", "glob", "tarfile", "zipfile", "sqlite3", "logging",
    "argparse", "urllib.request", "http.client", "json", "re", "difflib", "csv", "socket",
    "threading", "datetime", "collections", "functools", "itertools", "typing", "pickle", "os",
)  # fmt: skip
AGENT_TOOLS_BYTES = 40_000
TOOL_DESCRIPTION_BYTES = 4_000


def agent_tools() -> list[dict[str, Any]]:
    """The three tools, then one a module above, described by its docstring, until 40 KB."""
    import importlib

    tools = anthropic_tools()
    for module_name in _DOCUMENTED_TOOLS:
        if len(encoded({"tools": tools})) >= AGENT_TOOLS_BYTES:
            break
        doc = importlib.import_module(module_name).__doc__ or module_name
        tools.append(
            {
                "name": f"py_{module_name.replace('.', '_')}",
                "description": clipped(doc, TOOL_DESCRIPTION_BYTES),
                "input_schema": {
                    "type": "object",
                    "properties": {"call": {"type": "string"}, "arguments": {"type": "object"}},
                    "required": ["call"],
                },
            }
        )
    return tools


def openai_tools() -> list[dict[str, Any]]:
    return [
        {"type": "function", "function": {"name": tool["name"], "description": tool["description"],
                                          "parameters": tool["input_schema"]}}
        for tool in anthropic_tools()
    ]  # fmt: skip


def encoded(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def anthropic_small(nonce: int, stream: bool) -> bytes:
    question = f"In one sentence: what does HTTP status 429 mean? (request {nonce})"
    payload = {
        "model": MODEL_ANTHROPIC,
        "max_tokens": 256,
        "messages": [{"role": "user", "content": question}],
        "stream": stream,
    }
    return encoded(payload)


def openai_small(nonce: int, stream: bool) -> bytes:
    question = f"In one sentence: what does HTTP status 429 mean? (request {nonce})"
    payload: dict[str, Any] = {"model": MODEL_OPENAI, "messages": [{"role": "user", "content": question}]}
    if stream:
        payload.update(stream=True, stream_options={"include_usage": True})
    return encoded(payload)


def _large_question(nonce: int) -> str:
    """Each request a conversation of its own (a proxy that follows sessions sees a new one)."""
    return f"When was Node.js first installed on this box, and which version? (conversation {nonce})"


def _fresh_output(run: ToolRun, nonce: int) -> str:
    """The output with a first line of its own: every iteration compresses new bytes."""
    return f"# run {nonce}\n{run.output}"


def anthropic_large(run: ToolRun, nonce: int, stream: bool) -> bytes:
    call_id = f"toolu_bench_{nonce:08d}"
    call = {"type": "tool_use", "id": call_id, "name": run.name, "input": run.arguments}
    result = {"type": "tool_result", "tool_use_id": call_id, "content": _fresh_output(run, nonce)}
    payload = {
        "model": MODEL_ANTHROPIC,
        "max_tokens": 1024,
        "system": SYSTEM,
        "tools": anthropic_tools(),
        "messages": [
            {"role": "user", "content": _large_question(nonce)},
            {"role": "assistant", "content": [call]},
            {"role": "user", "content": [result]},
        ],
        "stream": stream,
    }
    return encoded(payload)


def openai_large(run: ToolRun, nonce: int, stream: bool) -> bytes:
    call_id = f"call_bench_{nonce:08d}"
    call = {"id": call_id, "type": "function",
            "function": {"name": run.name, "arguments": json.dumps(run.arguments)}}  # fmt: skip
    payload: dict[str, Any] = {
        "model": MODEL_OPENAI,
        "tools": openai_tools(),
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": _large_question(nonce)},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call_id, "content": _fresh_output(run, nonce)},
        ],
    }
    if stream:
        payload.update(stream=True, stream_options={"include_usage": True})
    return encoded(payload)


API_HEADERS = {
    "anthropic": {
        "content-type": "application/json",
        "x-api-key": ANTHROPIC_KEY,
        "anthropic-version": "2023-06-01",
    },
    "openai": {"content-type": "application/json", "authorization": f"Bearer {OPENAI_KEY}"},
}
API_PATHS = {"anthropic": "/v1/messages", "openai": "/v1/chat/completions"}


@dataclass(frozen=True)
class Scenario:
    name: str
    api: str  # "anthropic" | "openai"
    body: Callable[[int], bytes]  # nonce -> request bytes


# measuring -----------------------------------------------------------------------------------------


@dataclass
class Samples:
    values: list[float] = field(default_factory=list)
    errors: int = 0
    broken: int = 0  # streams whose events differ from what the stub sent
    reencoded: int = 0  # streams with the stub's events, in other bytes (JSON re-serialised)
    first_error: str = ""
    first_difference: str = ""
    sent_bytes: int = 0  # the request, and what the stub received of it (the last iteration's)
    upstream_bytes: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "n": len(self.values),
            "p50_ms": percentile(self.values, 0.5),
            "p99_ms": percentile(self.values, 0.99),
            "mean_ms": statistics.fmean(self.values) if self.values else float("nan"),
            "errors": self.errors,
            "broken_streams": self.broken,
            "reencoded_streams": self.reencoded,
            "first_error": self.first_error,
            "first_difference": self.first_difference,
            "sent_bytes": self.sent_bytes,
            "upstream_bytes": self.upstream_bytes,
        }


def difference(expected: bytes, received: bytes) -> str:
    """Where a relayed stream first differs from the stub's, and the bytes around it."""
    at = next((i for i, (a, b) in enumerate(zip(expected, received, strict=False)) if a != b), None)
    if at is None:
        at = min(len(expected), len(received))
    return (
        f"{len(received)} bytes instead of {len(expected)}, first difference at byte {at}: "
        f"expected {expected[max(at - 40, 0) : at + 80]!r}, received {received[max(at - 40, 0) : at + 80]!r}"
    )


async def note_upstream(bench: Bench, samples: Samples, body: bytes) -> None:
    """What the stub received of the request just sent: how much a proxy compressed it."""
    samples.sent_bytes = len(body)
    last = await bench.clients["direct"].get(f"{bench.stub_url}/_bench/last")
    samples.upstream_bytes = len(last.content)


def expected_stream(api: str) -> bytes:
    return b"".join(proxy_stub.REPLIES[api][1])


def sse_events(data: bytes) -> list[tuple[str, Any]]:
    """A stream as (event name, parsed data) pairs, to tell a re-encoded stream from a broken one."""
    events = []
    for raw in data.replace(b"\r\n", b"\n").split(b"\n\n"):
        name, lines = "", []
        for line in raw.decode(errors="replace").split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                lines.append(line[5:].strip())
        if not name and not lines:
            continue
        text = "\n".join(lines)
        try:
            events.append((name, json.loads(text)))
        except ValueError:
            events.append((name, text))
    return events


def event_summary(data: bytes) -> str:
    """The stream's event names, runs counted: `message_start, content_block_delta x14, ...`."""
    runs: list[list[Any]] = []
    for name, value in sse_events(data):
        label = name or (value.get("object", "data") if isinstance(value, dict) else str(value)[:20])
        if runs and runs[-1][0] == label:
            runs[-1][1] += 1
        else:
            runs.append([label, 1])
    return "[" + ", ".join(f"{label} x{count}" if count > 1 else label for label, count in runs) + "]"


def stream_verdict(expected: bytes, received: bytes) -> str:
    """ "intact" (the stub's bytes), "reencoded" (its events, other bytes) or "broken"."""
    if received == expected:
        return "intact"
    return "reencoded" if sse_events(received) == sse_events(expected) else "broken"


class RawConnection:
    """A minimal HTTP/1.1 keep-alive client for the timed requests.

    httpx.AsyncClient costs ~2.4 ms of CPU a request here (~7 ms wall on a loaded machine) against
    ~0.2 ms for this, so with httpx the measuring client's own cost and jitter would swamp the
    milliseconds a proxy adds. It sends a body with content-length and reads a reply framed by
    content-length, chunked encoding or the end of the connection.
    """

    def __init__(self, url: str) -> None:
        parts = httpx.URL(url)
        self.host, self.port = parts.host, parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, float, bytes]:
        """(status, perf_counter when the first body byte arrived, the body)."""
        try:
            return await asyncio.wait_for(self._post(path, body, headers), 300.0)
        except BaseException:
            await self.close()  # a half-read reply must not be read as the next one's
            raise

    async def _post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, float, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        lines = [f"POST {path} HTTP/1.1", f"host: {self.host}:{self.port}", f"content-length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        fields = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in head[1:])
        }
        if "chunked" in fields.get("transfer-encoding", "").lower():
            first, data = await self._chunked()
        elif "content-length" in fields:
            data = await self.reader.readexactly(int(fields["content-length"]))
            first = time.perf_counter()
        else:
            data = await self.reader.read()
            first = time.perf_counter()
            await self.close()
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status, first, data

    async def _chunked(self) -> tuple[float, bytes]:
        assert self.reader is not None
        parts: list[bytes] = []
        first = float("nan")
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            if size == 0:
                while (await self.reader.readuntil(b"\r\n")) != b"\r\n":
                    pass  # trailers
                return first, b"".join(parts)
            chunk = await self.reader.readexactly(size + 2)
            if not parts:
                first = time.perf_counter()
            parts.append(chunk[:-2])


_CONNECTION_ERRORS = (
    OSError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
    TimeoutError,
    ValueError,
)


async def timed_request(connection: RawConnection, path: str, body: bytes, api: str) -> tuple[float, str]:
    started = time.perf_counter()
    status, _, data = await connection.post(path, body, API_HEADERS[api])
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        return elapsed, f"HTTP {status}: {data[:200]!r}"
    return elapsed, ""


async def timed_stream(
    connection: RawConnection, path: str, body: bytes, api: str
) -> tuple[float, float, bytes, str]:
    """(ms to the first body byte, ms to the end, the body, an error or "")."""
    started = time.perf_counter()
    status, first, data = await connection.post(path, body, API_HEADERS[api])
    ended = time.perf_counter()
    error = "" if status == 200 else f"HTTP {status}: {data[:200]!r}"
    return (first - started) * 1000, (ended - started) * 1000, data, error


async def httpx_stream(
    client: httpx.AsyncClient, url: str, body: bytes, api: str
) -> tuple[float, bytes, str]:
    """(ms to the end, the body, an error or "") with an httpx client, as an app would stream."""
    started = time.perf_counter()
    parts = []
    async with client.stream("POST", url, content=body, headers=API_HEADERS[api]) as response:
        async for chunk in response.aiter_raw():
            parts.append(chunk)
        error = "" if response.status_code == 200 else f"HTTP {response.status_code}"
    return (time.perf_counter() - started) * 1000, b"".join(parts), error


@dataclass
class Bench:
    """The paths under test: a client and base URL each."""

    urls: dict[str, str]
    clients: dict[str, httpx.AsyncClient]  # untimed calls (sessions, the stub's record)
    connections: dict[str, RawConnection]  # timed requests
    stub_url: str

    @property
    def paths(self) -> list[str]:
        return list(self.urls)

    def endpoint(self, path: str, api: str) -> str:
        return self.urls[path] + API_PATHS[api]


async def measure_latency(bench: Bench, scenario: Scenario, n: int, warmup: int) -> dict[str, Samples]:
    samples = {path: Samples() for path in bench.paths}
    for iteration in range(warmup + n):
        body = scenario.body(iteration)
        for path in rotated(bench.paths, iteration):
            try:
                elapsed, error = await timed_request(
                    bench.connections[path], API_PATHS[scenario.api], body, scenario.api
                )
            except _CONNECTION_ERRORS as failure:
                elapsed, error = float("nan"), f"{type(failure).__name__}: {failure}"
            _record(samples[path], iteration >= warmup, elapsed, error)
            if iteration == warmup + n - 1:
                await note_upstream(bench, samples[path], body)
    return samples


def _record(samples: Samples, counted: bool, value: float, error: str, broken: bool = False) -> None:
    if error:
        samples.errors += 1
        samples.first_error = samples.first_error or error
    elif counted:
        samples.values.append(value)
    if broken:
        samples.broken += 1


async def measure_ttfb(bench: Bench, scenario: Scenario, n: int, warmup: int) -> dict[str, Samples]:
    samples = {path: Samples() for path in bench.paths}
    expected = expected_stream(scenario.api)
    for iteration in range(warmup + n):
        body = scenario.body(iteration)
        for path in rotated(bench.paths, iteration):
            try:
                first, _, received, error = await timed_stream(
                    bench.connections[path], API_PATHS[scenario.api], body, scenario.api
                )
            except _CONNECTION_ERRORS as failure:
                first, received, error = float("nan"), b"", f"{type(failure).__name__}: {failure}"
            verdict = "intact" if error else stream_verdict(expected, received)
            _record(samples[path], iteration >= warmup, first, error, broken=verdict == "broken")
            samples[path].reencoded += verdict == "reencoded"
            if verdict != "intact" and not samples[path].first_difference:
                samples[path].first_difference = (
                    f"{verdict}: {event_summary(received)} instead of {event_summary(expected)}; "
                    f"{difference(expected, received)}"
                )
            if iteration == warmup + n - 1:
                await note_upstream(bench, samples[path], body)
    return samples


@dataclass
class Burst:
    requests: int
    seconds: float
    intact: int
    broken: int
    errors: int
    stream_ms: list[float]
    reencoded: int = 0
    first_error: str = ""

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else float("nan")


async def stream_burst(
    bench: Bench, path: str, scenario: Scenario, total: int, clients: int, first: int
) -> Burst:
    """`clients` clients at once, each streaming whole replies until `total` have been asked.

    Each client is an httpx.AsyncClient of its own, as separate apps would be: 100 streams through one
    client's pool cost the client ~16 ms of CPU each (its pool is scanned per request), which made
    the client, not the proxy, the bottleneck."""
    expected = expected_stream(scenario.api)
    url = bench.endpoint(path, scenario.api)
    counter = iter(range(first, first + total))  # nonces of its own: none seen before
    burst = Burst(total, 0.0, 0, 0, 0, [])

    async def one_client(client: httpx.AsyncClient) -> None:
        for number in counter:
            try:
                whole, received, error = await httpx_stream(client, url, scenario.body(number), scenario.api)
            except httpx.HTTPError as failure:
                whole, received, error = float("nan"), b"", f"{type(failure).__name__}: {failure}"
            if error:
                burst.errors += 1
                burst.first_error = burst.first_error or error
            elif received == expected:
                burst.intact += 1
                burst.stream_ms.append(whole)
            elif stream_verdict(expected, received) == "reencoded":
                burst.reencoded += 1
                burst.stream_ms.append(whole)
            else:
                burst.broken += 1

    async with contextlib.AsyncExitStack() as stack:
        pool = [await stack.enter_async_context(new_client(1)) for _ in range(clients)]
        started = time.perf_counter()
        await asyncio.gather(*(one_client(client) for client in pool))
        burst.seconds = time.perf_counter() - started
    return burst


async def measure_throughput(
    bench: Bench, scenario: Scenario, total: int, rounds: int
) -> dict[str, list[Burst]]:
    bursts: dict[str, list[Burst]] = {path: [] for path in bench.paths}
    for round_number in range(rounds):
        for path in rotated(bench.paths, round_number):
            bursts[path].append(
                await stream_burst(
                    bench, path, scenario, total, CONCURRENT_CLIENTS, NONCE_RANGE // 2 + round_number * total
                )
            )
            log(f"  throughput {scenario.name} {path}: {bursts[path][-1].per_second:.0f} req/s")
    return bursts


# session cost under prompt caching --------------------------------------------------------------------


def session_request(plan: SessionPlan, turns: int) -> bytes:
    """The request an agent sends after `turns` tool calls: ~34 KB of tools, the whole history, a
    breakpoint on the system prompt and one on the newest block (the way Claude Code marks them)."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": [{"type": "text", "text": plan.question}]}]
    for number, run in enumerate(plan.runs[:turns]):
        call_id = f"toolu_{plan.name}_{number:02d}"
        messages.append({"role": "assistant", "content": [
            {"type": "text", "text": f"Let me look at the output of {run.name}."},
            {"type": "tool_use", "id": call_id, "name": run.name, "input": run.arguments}]})  # fmt: skip
        messages.append(
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": call_id, "content": run.output}],
            }
        )
    messages[-1]["content"][-1]["cache_control"] = {"type": "ephemeral"}
    payload = {
        "model": MODEL_ANTHROPIC,
        "max_tokens": 4096,
        "system": [{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}],
        "tools": agent_tools(),
        "messages": messages,
    }
    return encoded(payload)


def _without_breakpoint(block: Any) -> tuple[Any, bool]:
    if isinstance(block, dict) and "cache_control" in block:
        return {k: v for k, v in block.items() if k != "cache_control"}, True
    return block, False


def prompt_pieces(request: dict[str, Any]) -> list[tuple[str, bool]]:
    """The prompt in the order the provider caches it (tools, system, messages), one piece per block:
    its JSON without `cache_control` (a marker is not part of the prompt), and whether it had one."""
    pieces: list[tuple[str, bool]] = []

    def add(prefix: str, block: Any) -> None:
        bare, marked = _without_breakpoint(block)
        pieces.append((prefix + json.dumps(bare, ensure_ascii=False, separators=(",", ":")), marked))

    for tool in request.get("tools") or []:
        add("tool:", tool)
    system = request.get("system")
    for block in system if isinstance(system, list) else ([system] if system else []):
        add("system:", block)
    for message in request.get("messages") or []:
        content = message.get("content")
        for block in content if isinstance(content, list) else [content]:
            add(f"{message.get('role')}:", block)
    return pieces


class TokenCounter:
    """o200k_base tokens of a piece, memoised: a session resends the same pieces every turn."""

    def __init__(self) -> None:
        self._known: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        if text not in self._known:
            self._known[text] = count_tokens(text, TOKEN_MODEL)
        return self._known[text]

    def of(self, pieces: Sequence[tuple[str, bool]]) -> int:
        return sum(self(text) for text, _ in pieces)


def _common_prefix_length(first: str, second: str) -> int:
    low, high = 0, min(len(first), len(second))
    while low < high:  # binary search on equal prefixes: a C comparison per step
        middle = (low + high + 1) // 2
        if first[:middle] == second[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def shared_prefix(pieces: list[tuple[str, bool]], previous: list[tuple[str, bool]]) -> tuple[int, str]:
    """The longest prefix of this prompt identical, byte for byte, to the previous turn's: whole
    pieces, and the shared start of the first piece that differs."""
    whole = 0
    while whole < min(len(pieces), len(previous)) and pieces[whole][0] == previous[whole][0]:
        whole += 1
    partial = ""
    if whole < len(pieces) and whole < len(previous):
        partial = pieces[whole][0][: _common_prefix_length(pieces[whole][0], previous[whole][0])]
    return whole, partial


@dataclass
class TurnCost:
    tokens: int
    read: int
    written: int
    plain: int

    @property
    def cost(self) -> float:
        return self.read * CACHE_READ + self.written * CACHE_WRITE + self.plain * PLAIN_INPUT


def turn_cost(pieces: list[tuple[str, bool]], read: int, count: TokenCounter) -> TurnCost:
    """Read tokens at 0.1x; the rest up to the last breakpoint written at 1.25x; beyond it plain 1x."""
    total = count.of(pieces)
    last_mark = max((index + 1 for index, (_, marked) in enumerate(pieces) if marked), default=0)
    up_to_mark = count.of(pieces[:last_mark])
    read = min(read, total)
    written = max(up_to_mark - read, 0)
    return TurnCost(total, read, written, total - read - written)


def session_costs(requests: list[dict[str, Any]], count: TokenCounter) -> dict[str, Any]:
    """The session's input cost under prompt caching, from the requests the upstream received: each
    turn reads from the cache the prefix it shares with the previous turn's prompt."""
    previous: list[tuple[str, bool]] = []
    turns = []
    for request in requests:
        pieces = prompt_pieces(request)
        whole, partial = shared_prefix(pieces, previous)
        read = count.of(pieces[:whole]) + (count_tokens(partial, TOKEN_MODEL) if partial else 0)
        turns.append(turn_cost(pieces, read, count))
        previous = pieces
    return {
        "tokens_sent": sum(turn.tokens for turn in turns),
        "cost": sum(turn.cost for turn in turns),
        "cached_share": _share(turns),
        "turns": [vars(turn) | {"cost": turn.cost} for turn in turns],
    }


def _share(turns: list[TurnCost]) -> float:
    tokens = sum(turn.tokens for turn in turns)
    return sum(turn.read for turn in turns) / tokens if tokens else 0.0


async def run_session(bench: Bench, plan: SessionPlan, turns: int) -> dict[str, list[dict[str, Any]]]:
    """Send the session down each path, turn by turn (the order rotating); keep what the stub received."""
    received: dict[str, list[dict[str, Any]]] = {path: [] for path in bench.paths}
    stub = bench.clients["direct"]
    for turn in range(1, turns + 1):
        body = session_request(plan, turn)
        for path in rotated(bench.paths, turn):
            response = await bench.clients[path].post(
                bench.endpoint(path, "anthropic"), content=body, headers=API_HEADERS["anthropic"]
            )
            if response.status_code != 200:
                raise RuntimeError(f"{path}: session {plan.name} turn {turn}: HTTP {response.status_code}")
            last = await stub.get(f"{bench.stub_url}/_bench/last")
            received[path].append(json.loads(last.content))
    return received


async def measure_sessions(bench: Bench, plans: list[SessionPlan], turns: int) -> list[dict[str, Any]]:
    count = TokenCounter()
    results = []
    for plan in plans:
        log(f"  session {plan.name}: {min(turns, len(plan.runs))} turns")
        received = await run_session(bench, plan, min(turns, len(plan.runs)))
        costs = {path: session_costs(requests, count) for path, requests in received.items()}
        direct = costs["direct"]
        for path_costs in costs.values():
            path_costs["cost_ratio"] = path_costs["cost"] / direct["cost"]
            path_costs["tokens_ratio"] = path_costs["tokens_sent"] / direct["tokens_sent"]
        results.append(
            {
                "session": plan.name,
                "turns": min(turns, len(plan.runs)),
                "material": [f"{run.case} ({len(run.output.encode()):,} B)" for run in plan.runs[:turns]],
                "paths": costs,
            }
        )
    return results


def mean_ratio(sessions: list[dict[str, Any]], path: str, key: str = "cost_ratio") -> float:
    """The mean over sessions of a path's ratio to direct ("cost_ratio", "tokens_ratio")."""
    return statistics.fmean(session["paths"][path][key] for session in sessions)


def max_ratio(sessions: list[dict[str, Any]], path: str, key: str = "cost_ratio") -> float:
    return max(session["paths"][path][key] for session in sessions)


# the run ------------------------------------------------------------------------------------------------


def scenarios(large: ToolRun) -> dict[str, Scenario]:
    """Every request of the run has a nonce of its own (each scenario its own range), so no cache
    in a proxy (a compression memo, a response cache) ever sees the same request twice."""
    makers: dict[str, tuple[str, Callable[[int], bytes]]] = {
        "anthropic_small": ("anthropic", lambda n: anthropic_small(n, False)),
        "openai_small": ("openai", lambda n: openai_small(n, False)),
        "anthropic_100kb": ("anthropic", lambda n: anthropic_large(large, n, False)),
        "openai_100kb": ("openai", lambda n: openai_large(large, n, False)),
        "anthropic_small_sse": ("anthropic", lambda n: anthropic_small(n, True)),
        "openai_small_sse": ("openai", lambda n: openai_small(n, True)),
        "anthropic_100kb_sse": ("anthropic", lambda n: anthropic_large(large, n, True)),
        "openai_100kb_sse": ("openai", lambda n: openai_large(large, n, True)),
    }

    def offset(make: Callable[[int], bytes], base: int) -> Callable[[int], bytes]:
        return lambda n: make(base + n)

    return {
        name: Scenario(name, api, offset(make, (index + 1) * NONCE_RANGE))
        for index, (name, (api, make)) in enumerate(makers.items())
    }


async def measure_all(bench: Bench, settings: Settings, cases: list[dict[str, Any]]) -> dict[str, Any]:
    large = large_output(cases)
    plan = scenarios(large)
    results: dict[str, Any] = {"latency": {}, "ttfb": {}, "throughput": {}, "sessions": []}
    for name, n in (
        ("anthropic_small", settings.latency_small),
        ("openai_small", settings.latency_small),
        ("anthropic_100kb", settings.latency_large),
        ("openai_100kb", settings.latency_large),
    ):
        log(f"latency {name}: {n} requests a path")
        samples = await measure_latency(bench, plan[name], n, settings.warmup)
        results["latency"][name] = {path: s.summary() for path, s in samples.items()}
    for name, n in (
        ("anthropic_small_sse", settings.ttfb_small),
        ("openai_small_sse", settings.ttfb_small),
        ("anthropic_100kb_sse", settings.ttfb_large),
        ("openai_100kb_sse", settings.ttfb_large),
    ):
        log(f"time to first byte {name}: {n} streams a path")
        samples = await measure_ttfb(bench, plan[name], n, settings.warmup)
        results["ttfb"][name] = {path: s.summary() for path, s in samples.items()}
    for name in ("anthropic_small_sse", "openai_small_sse"):
        log(f"throughput {name}: {CONCURRENT_CLIENTS} clients, {settings.stream_requests} streams a round")
        bursts = await measure_throughput(bench, plan[name], settings.stream_requests, settings.stream_rounds)
        results["throughput"][name] = {path: _bursts_summary(runs) for path, runs in bursts.items()}
    log(f"sessions: {settings.sessions} of {settings.session_turns} turns")
    plans = session_plans(cases, settings.session_turns, settings.sessions)
    results["sessions"] = await measure_sessions(bench, plans, settings.session_turns)
    return results


def _bursts_summary(bursts: list[Burst]) -> dict[str, Any]:
    stream_ms = [value for burst in bursts for value in burst.stream_ms]
    return {
        "rounds": len(bursts),
        "requests_per_second": statistics.median(burst.per_second for burst in bursts),
        "requests_per_second_each_round": [burst.per_second for burst in bursts],
        "streams": sum(burst.requests for burst in bursts),
        "intact": sum(burst.intact for burst in bursts),
        "broken": sum(burst.broken for burst in bursts),
        "reencoded": sum(burst.reencoded for burst in bursts),
        "wall_seconds_each_round": [burst.seconds for burst in bursts],
        "errors": sum(burst.errors for burst in bursts),
        "first_error": next((burst.first_error for burst in bursts if burst.first_error), ""),
        "stream_p50_ms": percentile(stream_ms, 0.5),
        "stream_p99_ms": percentile(stream_ms, 0.99),
    }


def new_client(connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(300.0, connect=30.0), trust_env=False)


async def run_paths(
    urls: dict[str, str], stub_url: str, settings: Settings, cases: list[dict[str, Any]]
) -> dict[str, Any]:
    async with contextlib.AsyncExitStack() as stack:
        clients = {path: await stack.enter_async_context(new_client(4)) for path in urls}
        connections = {path: RawConnection(url) for path, url in urls.items()}
        try:
            return await measure_all(Bench(urls, clients, connections, stub_url), settings, cases)
        finally:
            for connection in connections.values():
                await connection.close()


# targets and the report -----------------------------------------------------------------------------------


def added(results: dict[str, Any], table: str, scenario: str, path: str, stat: str) -> float:
    rows = results[table][scenario]
    return float(rows[path][stat] - rows["direct"][stat])


def ratio(ours: float | None, reference: float | None) -> float | None:
    if ours is None or reference is None:
        return None
    if reference <= 0:
        return float("inf") if ours > 0 else 0.0
    return ours / reference


@dataclass
class Target:
    """One line of the targets table: our figure, the reference's, and whether ours meets the target."""

    target: str
    ours: float | str
    reference: float | str | None
    met: bool | None  # None: no verdict (a figure shown for context)
    ratio: float | None = None
    note: str = ""

    def row(self) -> dict[str, Any]:
        return vars(self) | {"verdict": _verdict(self.met)}


def _verdict(met: bool | None) -> str:
    return "n/a" if met is None else "Met" if met else "Not met"


def stream_targets(results: dict[str, Any], with_reference: bool) -> list[Target]:
    rows = []
    for name, figures in results["throughput"].items():
        ours, ref = figures["ours"], figures.get("reference") if with_reference else None

        def shown(row: dict[str, Any]) -> str:
            return f"{row['intact']}/{row['streams']} byte-identical, {row['reencoded']} re-encoded"

        rows.append(
            Target(
                f"{CONCURRENT_CLIENTS} concurrent SSE streams ({name}): every one complete and intact",
                shown(ours),
                shown(ref) if ref else None,
                ours["intact"] == ours["streams"],
            )
        )
    return rows


def latency_targets(results: dict[str, Any], with_reference: bool) -> list[Target]:
    rows = []
    for name in ("anthropic_small", "openai_small"):
        ours = added(results, "latency", name, "ours", "p50_ms")
        ref = added(results, "latency", name, "reference", "p50_ms") if with_reference else None
        rows.append(Target(f"added latency p50, not compressed ({name}): under {ADDED_LATENCY_P50_MS:g} ms",
                           ours, ref, ours < ADDED_LATENCY_P50_MS, ratio(ours, ref)))  # fmt: skip
    for name in results["ttfb"]:
        ours = added(results, "ttfb", name, "ours", "p50_ms")
        ref = added(results, "ttfb", name, "reference", "p50_ms") if with_reference else None
        note = "compressed: the proxy compresses before it calls the upstream" if "100kb" in name else ""
        rows.append(Target(f"TTFB p50 ({name}): at most {TTFB_EXTRA_MS:g} ms later than direct",
                           ours, ref, ours <= TTFB_EXTRA_MS, ratio(ours, ref), note))  # fmt: skip
    return rows


def session_targets(results: dict[str, Any], with_reference: bool) -> list[Target]:
    sessions = results["sessions"]
    if not sessions:
        return []
    rows = []
    for label, measure, limit in (
        ("mean over sessions", mean_ratio, SESSION_COST_OVERALL),
        ("worst session", max_ratio, SESSION_COST_EACH),
    ):
        ours = measure(sessions, "ours")
        ref = measure(sessions, "reference") if with_reference else None
        rows.append(Target(f"session cost under caching / no proxy, {label}: at most {limit:g}",
                           ours, ref, ours <= limit, ratio(ours, ref)))  # fmt: skip
    return rows


def versus_reference(results: dict[str, Any]) -> list[Target]:
    """Each figure at most 0.5x the reference's: what a proxy adds (latency, TTFB), the time a
    stream takes under load (the inverse of throughput), and the session cost."""
    rows = []

    def compare(figure: str, ours: float, ref: float, note: str = "") -> None:
        share = ratio(ours, ref)
        ok = share is not None and share <= VERSUS_REFERENCE
        rows.append(
            Target(f"{figure}: at most {VERSUS_REFERENCE:g}x the reference's", ours, ref, ok, share, note)
        )

    for table, label in (("latency", "added latency"), ("ttfb", "added TTFB")):
        for name in results[table]:
            for stat in ("p50_ms", "p99_ms"):
                compare(f"{label} {stat[:3]} ({name})", added(results, table, name, "ours", stat),
                        added(results, table, name, "reference", stat))  # fmt: skip
    for name, figures in results["throughput"].items():
        ours, ref = figures["ours"]["requests_per_second"], figures["reference"]["requests_per_second"]
        compare(f"seconds per stream at {CONCURRENT_CLIENTS} clients ({name})", 1 / ours, 1 / ref,
                f"throughput {ours:.1f} vs {ref:.1f} streams/s")  # fmt: skip
    sessions = results["sessions"]
    if sessions:
        compare(
            "session cost, mean over sessions",
            mean_ratio(sessions, "ours"),
            mean_ratio(sessions, "reference"),
        )
        compare("session cost, worst session", max_ratio(sessions, "ours"), max_ratio(sessions, "reference"))
    return rows


def targets(results: dict[str, Any], with_reference: bool) -> list[dict[str, Any]]:
    """Each target of issue 11 with our figure, the reference's, ours / reference, and the verdict."""
    rows = stream_targets(results, with_reference)
    rows += latency_targets(results, with_reference)
    rows += session_targets(results, with_reference)
    if with_reference:
        rows += versus_reference(results)
    return [row.row() for row in rows]


def git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return commit + (" (with uncommitted changes)" if dirty else "")


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": model,
        "cores": os.cpu_count(),
    }


def _ms(value: Any) -> str:
    return "n/a" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


def _figure(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


PRICING = (
    "Pricing model (Anthropic's prompt caching, in units of the model's input price per token): "
    f"cache reads {CACHE_READ:g}x, cache writes {CACHE_WRITE:g}x, uncached input {PLAIN_INPUT:g}x. "
    "Each turn's prompt is what the stub received, taken in the order the provider caches it (tools, "
    "system, then messages, one JSON piece per block, `cache_control` markers left out since they are "
    "not prompt); the prefix it shares byte for byte with the previous turn's prompt is read from the "
    "cache, the rest up to the last `cache_control` breakpoint is written to it, anything after that "
    "is uncached input. Tokens are tiktoken o200k_base counts. A session's figure is its cost through "
    "a proxy divided by its cost sent direct; output tokens are the same on every path and left out."
)


def markdown(report: dict[str, Any]) -> str:
    results = report["results"]
    lines = [
        "# The proxy benchmark",
        "",
        "Written by `benchmarks/proxy.py --write`; how it measures is in [README.md](README.md) "
        '("The proxy benchmark").',
        "",
    ]
    if report["quick"]:
        lines += ["**A `--quick` smoke run: few samples, short sessions. Not the measurement.**", ""]
    lines += [
        f"- Command: `{report['command']}` (run time {report['seconds'] / 60:.1f} min)",
        f"- Commit: `{report['commit']}`",
        f"- Date: {report['date']}",
        f"- Machine: {report['machine']['cpu']}, {report['machine']['cores']} CPU cores, "
        f"{report['machine']['platform']}, Python {report['machine']['python']}",
        f"- Load average (1, 5, 15 min) at start: {report['load_start']}; at end: {report['load_end']}",
        f"- Stub: {proxy_stub.EVENTS_PER_STREAM} SSE events a stream, {report['gap_ms']:g} ms apart; "
        "every reply the same bytes",
        f"- Routes: {', '.join(report['paths'])}, all in front of the same stub; the order rotates every "
        "iteration (and every round of the throughput test)",
    ]
    for name, argv in report["commands"].items():
        lines.append(f"- {name}: `{' '.join(argv)}` (ready after {report['startup_seconds'][name]:.1f} s)")
    lines += ["", *(f"- {note}" for note in ROUTE_NOTES)]
    lines += [
        "",
        "## Targets",
        "",
        "Added figures are the route's minus direct's, measured in the same run. Ours / reference below "
        "1 means ours adds less.",
        "",
        "| Target | Ours | Reference | Ours / reference | Ours: verdict | Note |",
        "|---|---|---|---|---|---|",
    ]
    for target in report["targets"]:
        lines.append(
            f"| {target['target']} | {_figure(target['ours'])} | {_figure(target['reference'])} | "
            f"{_figure(target['ratio'])} | {target['verdict']} | {target['note']} |"
        )
    lines += _latency_tables(results)
    lines += _differences(results)
    lines += _throughput_table(results)
    lines += _session_tables(results)
    return "\n".join(lines) + "\n"


ROUTE_NOTES = (
    "Ours runs with every default (one worker, the SQLite store in ~/.cache/headroom under a fresh "
    "HOME, the default pipeline, `--min-tokens 500`, one JSON log line a request).",
    "The reference runs with its defaults (mode `cache`, its semantic cache, HTTP/2 preference, CCR, "
    "...) except `--no-rate-limit`: its default limiter of 60 requests a minute would refuse most of "
    "the benchmark, and it is a default its users turn off (issue 11 lists it among their reports). "
    "It keeps its state under a fresh HOME; tiktoken reads the encodings its own litellm ships.",
    "Timed requests use a minimal keep-alive HTTP/1.1 client (one connection a route), so the "
    "client's own cost stays small next to what a proxy adds; the 100 concurrent clients are "
    "httpx.AsyncClient instances, one each, as separate apps would be.",
)


def _latency_tables(results: dict[str, Any]) -> list[str]:
    lines = []
    for table, title in (
        ("latency", "Latency (JSON, whole reply), ms"),
        ("ttfb", "Time to first byte (SSE), ms; each stream read to its end and compared with the stub's"),
    ):
        lines += [
            "",
            f"## {title}",
            "",
            "| Request | Route | n | p50 | p99 | added p50 | added p99 | bytes sent / upstream | "
            "errors | streams re-encoded / broken |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, rows in results[table].items():
            for path, row in rows.items():
                extra50 = row["p50_ms"] - rows["direct"]["p50_ms"]
                extra99 = row["p99_ms"] - rows["direct"]["p99_ms"]
                streams = f"{row['reencoded_streams']} / {row['broken_streams']}" if table == "ttfb" else ""
                lines.append(
                    f"| {name} | {path} | {row['n']} | {_ms(row['p50_ms'])} | {_ms(row['p99_ms'])} | "
                    f"{'' if path == 'direct' else _ms(extra50)} | "
                    f"{'' if path == 'direct' else _ms(extra99)} | "
                    f"{row['sent_bytes']:,} / {row['upstream_bytes']:,} | {row['errors']} | {streams} |"
                )
    return lines


def _differences(results: dict[str, Any]) -> list[str]:
    found = [
        f"- {name}, {path}: {row['first_difference']}"
        for name, rows in results["ttfb"].items()
        for path, row in rows.items()
        if row["first_difference"]
    ]
    return ["", "Streams that differ from the stub's, the first of each:", "", *found] if found else []


def _throughput_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"## Throughput: {CONCURRENT_CLIENTS} concurrent streaming clients",
        "",
        "| Request | Route | streams/s (median of rounds) | wall s each round | byte-identical | re-encoded "
        "| broken | errors | stream p50 ms | stream p99 ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, rows in results["throughput"].items():
        for path, row in rows.items():
            walls = ", ".join(f"{value:.1f}" for value in row["wall_seconds_each_round"])
            lines.append(
                f"| {name} | {path} | {row['requests_per_second']:.1f} | {walls} | "
                f"{row['intact']}/{row['streams']} | {row['reencoded']} | {row['broken']} | "
                f"{row['errors']} | "
                f"{_ms(row['stream_p50_ms'])} | {_ms(row['stream_p99_ms'])} |"
            )
    return lines


def _session_tables(results: dict[str, Any]) -> list[str]:
    sessions = results["sessions"]
    if not sessions:
        return []
    paths = [path for path in sessions[0]["paths"] if path != "direct"]
    head = " | ".join(f"{path}: cost ratio | {path}: cached share | {path}: tokens ratio" for path in paths)
    lines = [
        "",
        "## Session cost under prompt caching, relative to the same session sent direct",
        "",
        PRICING,
        "",
        f"| Session | Turns | direct: tokens sent | direct: cost | direct: cached share | {head} |",
        "|---|---|---|---|---|" + "---|" * (3 * len(paths)),
    ]
    for session in sessions:
        direct = session["paths"]["direct"]
        cells = " | ".join(
            f"{session['paths'][path]['cost_ratio']:.3f} | {session['paths'][path]['cached_share']:.2f} | "
            f"{session['paths'][path]['tokens_ratio']:.3f}"
            for path in paths
        )
        lines.append(
            f"| {session['session']} | {session['turns']} | {direct['tokens_sent']:,} | "
            f"{direct['cost']:,.0f} | {direct['cached_share']:.2f} | {cells} |"
        )
    for label, measure in (("mean", mean_ratio), ("max", max_ratio)):
        cells = " | ".join(
            f"{measure(sessions, path):.3f} | | {measure(sessions, path, 'tokens_ratio'):.3f}"
            for path in paths
        )
        lines.append(f"| **{label}** | | | | | {cells} |")
    lines += ["", "Material of each session (open split, each output clipped to "
              f"{TURN_CAP_BYTES // 1000} KB at a line end):", ""]  # fmt: skip
    lines += [f"- {session['session']}: {', '.join(session['material'])}" for session in sessions]
    return lines


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: few requests, short sessions")
    parser.add_argument("--write", action="store_true", help="write PROXY.md and proxy_results.json")
    parser.add_argument("--no-reference", action="store_true", help="direct and ours only")
    parser.add_argument(
        "--reference-bin",
        type=Path,
        default=None,
        help=f"the reference's headroom (default {REFERENCE_BIN.relative_to(ROOT)})",
    )
    parser.add_argument("--gap-ms", type=float, default=3.0, help="pause between two SSE events of the stub")
    parser.add_argument("--output", type=Path, default=HERE, help="where --write puts its files")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    reference_bin = args.reference_bin or REFERENCE_BIN
    if not args.no_reference:
        problem = reference_problem(reference_bin)
        if problem:
            raise SystemExit(f"{problem}\n(or run with --no-reference)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the finally below stops the children
    began = time.perf_counter()
    load_start = load_average()
    cases = open_cases()
    services: list[Service] = []
    with tempfile.TemporaryDirectory(prefix="headroom-proxy-bench-") as folder:
        try:
            stub = stub_service(Path(folder), args.gap_ms)
            services.append(stub)
            services.append(ours_service(Path(folder), stub.url))
            if not args.no_reference:
                services.append(reference_service(Path(folder), stub.url, reference_bin))
            for service in services:
                log(f"starting {service.name}: {' '.join(service.argv)}")
                service.start()
            for service in services:
                service.wait_ready()
                log(f"{service.name} ready on {service.url} after {service.started_seconds:.1f} s")
            urls = {"direct": stub.url, **{service.name: service.url for service in services[1:]}}
            results = asyncio.run(run_paths(urls, stub.url, settings, cases))
        finally:
            for service in reversed(services):
                service.stop()
    report = {
        "command": " ".join(["python", "benchmarks/proxy.py", *(sys.argv[1:] if argv is None else argv)]),
        "commit": git_commit(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "load_start": load_start,
        "load_end": load_average(),
        "seconds": time.perf_counter() - began,
        "quick": args.quick,
        "settings": vars(settings),
        "gap_ms": args.gap_ms,
        "reference": None if args.no_reference else REFERENCE_SPEC,
        "paths": list(urls),
        "commands": {service.name: service.argv for service in services},
        "startup_seconds": {service.name: service.started_seconds for service in services},
        "results": results,
    }
    report["targets"] = targets(results, not args.no_reference)
    text = markdown(report)
    print(text)
    if args.write:
        args.output.mkdir(parents=True, exist_ok=True)
        (args.output / "proxy_results.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
        (args.output / "PROXY.md").write_text(text)
        log(f"wrote {args.output / 'PROXY.md'} and {args.output / 'proxy_results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
