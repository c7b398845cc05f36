"""Session benchmark: what compression costs over whole agent sessions under prompt-caching prices.

Each session is 12 to 30 requests (8 sessions) of one simulated agent: the user asks, the agent calls a tool,
the tool answers, the agent sends the whole history again; every few requests the user changes
topic. Tool outputs are the real material of `benchmarks/corpus` (logs, JSON, code, search, diffs,
HTML, tables, shell output, made on this machine) plus `headroom.samples`; text is cut to
24,000 characters as coding agents cut tool output, JSON arrays to their first items within 60,000
characters (JSON stays valid JSON). Anthropic sessions carry `cache_control` on their
newest block, moved forward every request, as coding agents send it.

Every request is compressed and priced four ways:

- `uncompressed`: the history as is, with prompt caching;
- `ours`: `headroom.compress` in one process with one MemoryStore for the whole session;
- `ours, fresh process`: every request compressed in a new Python process with a new
  MemoryStore (a restarted or load-balanced proxy: no state survives between requests);
- `reference`: `headroom-ai==0.42.0` from PyPI, `compress(messages, model=...)` with its
  defaults, in one long-lived process per session (so its own in-process caches help it).

Pricing, in relative units per input token: a cache read 0.1, a cache write 1.25, plain input 1.0.
The cached part of a request is the longest run of leading messages (tools list first) that is
byte-identical to the previous request's, ignoring `cache_control`; it counts only from 1,024
tokens. The rest of a request of 1,024 tokens or more is written to the cache (1.25), as with a
moving `cache_control` breakpoint; a shorter request is plain input. Our requests carry the
`headroom_retrieve` tool on every request (its tokens are counted); the others carry no tool.

    python benchmarks/sessions.py                  # everything, ~5 min; writes SESSIONS.md
    python benchmarks/sessions.py --no-reference --no-fresh
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Benchmark a snapshot of the checkout taken at start: every process of the run (this one and the
# fresh one per request) runs the same code even while the working tree changes under it.
SNAPSHOT = Path(tempfile.mkdtemp(prefix="headroom-sessions-"))
for _part in ("headroom", "pipelines"):
    shutil.copytree(ROOT / _part, SNAPSHOT / _part, ignore=shutil.ignore_patterns("__pycache__"))
sys.path.insert(0, str(SNAPSHOT))
sys.path.insert(1, str(HERE))

from headroom import MemoryStore, compress, samples  # noqa: E402
from headroom.ccr import retrieve, retrieve_tool  # noqa: E402
from headroom.ccr.stores import ScopedStore  # noqa: E402
from headroom.ccr.stores.sqlite import SqliteStore  # noqa: E402
from headroom.markers import find_markers  # noqa: E402
from headroom.tokens import count_tokens  # noqa: E402

CORPUS = HERE / "corpus"
OUTPUT_CHARS = 24_000
JSON_CHARS = 60_000
CACHE_MINIMUM = 1024
READ, WRITE, PLAIN = 0.1, 1.25, 1.0
MODELS = {"openai": "gpt-4o", "anthropic": "claude-sonnet-4-5"}
SYSTEM = (
    "You are a coding and operations agent. Use the tools; quote exact lines and values from their output."
)


# the material ------------------------------------------------------------------------------------


@dataclass
class Call:
    name: str
    arguments: dict[str, Any]
    output: str


@dataclass
class Episode:
    """One topic: the user's question and the tool calls that answer it."""

    question: str
    calls: list[Call]
    # What the answer needs, each a list of equivalent spellings (the corpus case's facts)
    facts: list[list[str]] = field(default_factory=list)


def _cut(text: str) -> str:
    """What an agent keeps of a long output: the head of text, cut at a line (as coding agents cut
    what a command prints); JSON stays valid JSON (an API tool's answer is never cut mid-value):
    a long array keeps its first items, an object is kept whole."""
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, (list, dict)):
        if not isinstance(value, list) or len(text) <= JSON_CHARS:
            return text
        indent = 2 if "\n " in text[:200] else None
        while len(value) > 1 and len(json.dumps(value, indent=indent)) > JSON_CHARS:
            value = value[: max(1, len(value) * 3 // 4)]
        return json.dumps(value, indent=indent)
    if len(text) <= OUTPUT_CHARS:
        return text
    head = text[:OUTPUT_CHARS]
    return head[: head.rfind("\n")] if "\n" in head else head


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(part.get("text", "") for part in content if isinstance(part, dict))


def corpus_episode(case_id: str) -> Episode:
    case = json.loads((CORPUS / f"{case_id}.json").read_text())
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    found: list[Call] = []
    for message in case["messages"]:
        for call in message.get("tool_calls") or ():
            calls[call["id"]] = (call["function"]["name"], json.loads(call["function"]["arguments"] or "{}"))
        content = message.get("content")
        if message.get("role") == "tool":
            name, arguments = calls[message["tool_call_id"]]
            found.append(Call(name, arguments, _cut(content)))
        if isinstance(content, list):
            for part in content:
                if part.get("type") == "tool_use":
                    calls[part["id"]] = (part["name"], part.get("input") or {})
                elif part.get("type") == "tool_result":
                    name, arguments = calls[part["tool_use_id"]]
                    found.append(Call(name, arguments, _cut(_result_text(part["content"]))))
    facts = [entry if isinstance(entry, list) else [entry] for entry in case["facts"]]
    return Episode(case["question"], found, facts)


def sample_episode(seed: int) -> Episode:
    """headroom.samples: an order export and an application log, different each seed."""
    records, failed = samples.json_records(count=120 + 20 * seed, error_at=37 + seed, seed=seed)
    log, facts = samples.application_log(lines=400 + 50 * seed, seed=seed)
    return Episode(
        f"Why did order {failed['id']} fail, and what happened to request {facts['request_id']}?",
        [
            Call("list_orders", {"limit": len(records)}, _cut(json.dumps(records, indent=2))),
            Call("read_log", {"path": f"/var/log/app/checkout-{seed}.log"}, _cut(log)),
        ],
        [[failed["error"]], *([frame] for frame in facts["trace_first_frames"] + facts["trace_last_frames"])],
    )


SESSIONS: list[tuple[str, str, list[str | int]]] = [
    (
        "incident-ops",
        "openai",
        [
            "nginx_upstream_errors",
            "kubectl_pods_crashloop",
            1,
            "jsonl_service_log",
            "dmesg_boot",
            "ps_aux_listing",
            "billing_csv_anomaly",
            2,
            "apt_history_log",
        ],
    ),
    (
        "python-upgrade",
        "anthropic",
        [
            "pip_list_json",
            "pip_inspect_metadata",
            "git_diff_pyjwt_upgrade",
            "grep_timeouts_httpx_stack",
            "py_requests_sessions",
            "pytest_networkx_regression",
            "py_grep_then_read_networkx",
            "session_networkx_dag_regression",
            "git_grep_pydantic_deprecated",
        ],
    ),
    (
        "node-frontend",
        "openai",
        [
            "npm_ls_tree",
            "npm_ls_json",
            "js_npm_ls_command",
            "js_npm_config_two_files",
            "session_npm_tar_engine",
            "ci_build_log_npm",
            "github_issues_api",
            "markdown_fastapi_readme",
            "html_rust_book_strings",
        ],
    ),
    (
        "jvm-rust-go",
        "anthropic",
        [
            "java_hashmap",
            "javac_errors",
            "java_thread_pool",
            "cargo_build_error",
            "go_persistent_https",
            "html_rustc_codegen_options",
            "git_diff_pygments_lexer",
            "debug_adapter_protocol",
        ],
    ),
    (
        "long-mixed",
        "openai",
        [
            "dpkg_log",
            "pip_show_files",
            3,
            "git_log_p_oauthlib",
            "litellm_model_prices",
            "litellm_provider_fields",
            "find_native_extensions",
            "ls_la_libdir",
            "cryptography_sbom",
            "dpkg_query_csv",
            "git_release_notes",
            "pypi_tsv_pytest_plugins",
            "apt_term_log",
        ],
    ),
    (
        "long-mixed-claude",
        "anthropic",
        [
            4,
            "nginx_upstream_errors",
            "session_networkx_dag_regression",
            "java_hashmap",
            "npm_ls_json",
            "git_diff_pyjwt_upgrade",
            "billing_csv_anomaly",
            "pip_inspect_metadata",
            "html_rustc_codegen_options",
            5,
            "grep_defs_requests",
        ],
    ),
    # Two sessions of material new in issue 9, from its open split only (benchmarks/SPLIT.md):
    # a sealed case never enters a benchmark that is used for tuning.
    (
        "ops-incident-open",
        "openai",
        [
            "kubectl_events_oom_mount",
            "compose_logs_worker_exit",
            "python_worker_log_tracebacks",
            6,
            "redis_server_log_bgsave",
            "psql_pg_settings_memory",
            "alternatives_log_editor_cc",
            "openssl_certifi_soonest_expiry",
            "make_zpipe_link_error",
        ],
    ),
    (
        "release-history-open",
        "anthropic",
        [
            "git_log_click_pythonw_fix",
            "git_log_name_status_packaging_src_layout",
            "git_diff_click_upgrade_pass_context",
            "git_log_oneline_idna_tests_dropped",
            "py_redis_connect_errors",
            "git_log_p_marshmallow_from_timestamp",
            "npm_query_rare_licenses",
            "stocks_csv_extremes",
            "html_node_net_set_timeout",
        ],
    ),
]


def _sealed_cases() -> set[str]:
    split = HERE / "split.json"
    return set(json.loads(split.read_text())["sealed"]) if split.exists() else set()


_LEAKED = {item for _, _, plan in SESSIONS for item in plan if isinstance(item, str)} & _sealed_cases()
assert not _LEAKED, f"sealed cases in the session benchmark: {sorted(_LEAKED)}"


def episodes(plan: list[str | int]) -> list[Episode]:
    return [sample_episode(item) if isinstance(item, int) else corpus_episode(item) for item in plan]


# the agent ---------------------------------------------------------------------------------------


class Agent:
    """Builds the requests an agent sends: the whole history, every time."""

    def __init__(self, fmt: str):
        self.fmt = fmt
        self.history: list[dict[str, Any]] = (
            [{"role": "system", "content": SYSTEM}] if fmt == "openai" else []
        )
        self.calls = 0

    def ask(self, question: str) -> None:
        if self.history:  # the agent answered the last topic before the user moves on
            reply = "Here is what I found, quoting the output above."
            self.history.append(
                {
                    "role": "assistant",
                    "content": reply if self.fmt == "openai" else [{"type": "text", "text": reply}],
                }
            )
        if self.fmt == "openai":
            self.history.append({"role": "user", "content": question})
        else:
            self.history.append({"role": "user", "content": [{"type": "text", "text": question}]})

    def call(self, call: Call) -> None:
        call_id = f"call_{self.calls:03d}"
        self.calls += 1
        if self.fmt == "openai":
            function = {"name": call.name, "arguments": json.dumps(call.arguments)}
            self.history.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"id": call_id, "type": "function", "function": function}],
                }
            )
            self.history.append({"role": "tool", "tool_call_id": call_id, "content": call.output})
            return
        use = {"type": "tool_use", "id": call_id, "name": call.name, "input": call.arguments}
        self.history.append({"role": "assistant", "content": [use]})
        result = {"type": "tool_result", "tool_use_id": call_id, "content": call.output}
        self.history.append({"role": "user", "content": [result]})

    def request(self) -> list[dict[str, Any]]:
        messages = copy.deepcopy(self.history)
        if self.fmt == "anthropic":
            messages[-1]["content"][-1]["cache_control"] = {"type": "ephemeral"}
        return messages


def session_requests(fmt: str, plan: list[str | int]) -> list[list[dict[str, Any]]]:
    """Every request of a session: after each new question, and after each tool result."""
    agent = Agent(fmt)
    requests = []
    for episode in episodes(plan):
        agent.ask(episode.question)
        requests.append(agent.request())
        for call in episode.calls:
            agent.call(call)
            requests.append(agent.request())
    return requests


# facts -------------------------------------------------------------------------------------------


def session_facts(plan: list[str | int]) -> list[list[str]]:
    """Every fact of every topic of a session, in order."""
    return [fact for episode in episodes(plan) for fact in episode.facts]


def request_text(messages: list[Any]) -> str:
    """Every text leaf of a request, one per line: what a fact is looked for in."""
    leaves: list[str] = []
    pending: list[Any] = [messages]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            leaves.append(value)
        elif isinstance(value, dict):
            pending.extend(v for k, v in value.items() if k not in ("cache_control", "id", "tool_use_id"))
        elif isinstance(value, list):
            pending.extend(value)
    return "\n".join(leaves)


@dataclass
class FactCount:
    """Of the facts the final uncompressed request holds, how many a variant's final request kept."""

    reachable: int = 0
    kept: int = 0
    missing: list[str] = field(default_factory=list)

    def add(self, other: FactCount) -> None:
        self.reachable += other.reachable
        self.kept += other.kept
        self.missing += other.missing


def facts_kept(facts: list[list[str]], uncompressed: list[Any], sent: list[Any]) -> FactCount:
    """Facts in the final request: a fact the agent's own cut already dropped is not counted."""
    before, after = request_text(uncompressed), request_text(sent)
    count = FactCount()
    for spellings in facts:
        if not any(spelling in before for spelling in spellings):
            continue
        count.reachable += 1
        if any(spelling in after for spelling in spellings):
            count.kept += 1
        else:
            count.missing.append(spellings[0][:80])
    return count


# pricing -----------------------------------------------------------------------------------------


class Meter:
    """Tokens per distinct message (cache_control removed: it is not part of the cached content)."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def key(self, message: Any) -> str:
        return hashlib.sha256(
            json.dumps(_without_cache_control(message), sort_keys=True).encode()
        ).hexdigest()

    def tokens(self, message: Any) -> int:
        key = self.key(message)
        if key not in self._seen:
            self._seen[key] = count_tokens(
                json.dumps(_without_cache_control(message), ensure_ascii=False), "gpt-4o"
            )
        return self._seen[key]


def _without_cache_control(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_cache_control(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_without_cache_control(v) for v in value]
    return value


@dataclass
class Priced:
    tokens: int = 0
    cached: int = 0
    cost: float = 0.0
    shares: list[float] = field(default_factory=list)
    rewrites: int = 0  # requests that changed a message the previous request had sent

    def add(self, other: Priced) -> None:
        self.tokens += other.tokens
        self.cached += other.cached
        self.cost += other.cost
        self.shares += other.shares
        self.rewrites += other.rewrites


def price(requests: list[list[Any]], meter: Meter, tools: list[Any] | None = None) -> Priced:
    """Tokens sent, the share served from the cache, and the cost of a session's requests."""
    priced = Priced()
    previous: list[str] = []
    for messages in requests:
        units = [*(tools or []), *messages]
        keys = [meter.key(unit) for unit in units]
        tokens = [meter.tokens(unit) for unit in units]
        common = 0
        while common < min(len(keys), len(previous)) and keys[common] == previous[common]:
            common += 1
        priced.rewrites += common < len(previous)
        total = sum(tokens)
        prefix = sum(tokens[:common])
        if prefix < CACHE_MINIMUM:
            prefix = 0
        rest = total - prefix
        priced.tokens += total
        priced.cached += prefix
        priced.cost += READ * prefix + (WRITE if total >= CACHE_MINIMUM else PLAIN) * rest
        priced.shares.append(prefix / total if total else 0.0)
        previous = keys
    return priced


# the compressors ---------------------------------------------------------------------------------


def ours_one_process(
    requests: list[list[Any]], model: str, pipeline: Any = "default"
) -> tuple[list[list[Any]], MemoryStore, list[float]]:
    store = MemoryStore()
    outputs, seconds = [], []
    for messages in requests:
        started = time.perf_counter()
        result = compress(messages, model=model, store=store, pipeline=pipeline)
        seconds.append(time.perf_counter() - started)
        if result.failures:
            raise RuntimeError(f"compression failed: {result.failures}")
        outputs.append(result.messages)
    return outputs, store, seconds


_FRESH = """
import json, sys
sys.path.insert(0, sys.argv[1])
from headroom import MemoryStore, compress
request = json.load(sys.stdin)
result = compress(request["messages"], model=request["model"], store=MemoryStore())
json.dump({"messages": result.messages, "failures": result.failures}, sys.stdout)
"""


def ours_fresh_processes(requests: list[list[Any]], model: str) -> list[list[Any]]:
    """Every request in a new Python process with a new MemoryStore: no state survives."""

    def one(messages: list[Any]) -> list[Any]:
        done = subprocess.run(
            [sys.executable, "-c", _FRESH, str(SNAPSHOT)],
            input=json.dumps({"messages": messages, "model": model}),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-2000:])
        reply = json.loads(done.stdout)
        if reply["failures"]:
            raise RuntimeError(f"compression failed: {reply['failures']}")
        return reply["messages"]

    with ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2))) as pool:
        return list(pool.map(one, requests))


_REFERENCE = """
import json, sys
from headroom import compress
for line in sys.stdin:
    request = json.loads(line)
    try:
        result = compress(request["messages"], model=request["model"])
        reply = {"messages": result.messages}
    except Exception as error:
        reply = {"error": f"{type(error).__name__}: {error}", "messages": request["messages"]}
    sys.stdout.write(json.dumps(reply) + "\\n")
    sys.stdout.flush()
"""


def reference_session(requests: list[list[Any]], model: str) -> tuple[list[list[Any]], list[str]]:
    """headroom-ai 0.42.0 in one long-lived process for the whole session, with its defaults."""
    import run  # the corpus benchmark's helpers: the reference venv and its environment

    with tempfile.TemporaryDirectory() as folder:  # never the checkout: its `headroom` would shadow
        process = subprocess.Popen(
            [str(run.reference_python()), "-c", _REFERENCE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=folder,
            env=run.reference_env(),
        )
        assert process.stdin is not None and process.stdout is not None
        outputs, errors = [], []
        for messages in requests:
            process.stdin.write(json.dumps({"messages": messages, "model": model}) + "\n")
            process.stdin.flush()
            reply = json.loads(process.stdout.readline())
            if "error" in reply:
                errors.append(reply["error"])
            outputs.append(reply["messages"])
        process.stdin.close()
        process.wait(timeout=60)
    return outputs, errors


# retrieval ---------------------------------------------------------------------------------------


def marker_hashes(outputs: list[list[Any]]) -> list[str]:
    hashes: dict[str, None] = {}
    for messages in outputs:
        for marker in find_markers(json.dumps(messages, ensure_ascii=False)):
            hashes[marker.hash] = None
    return list(hashes)


def retrieval_medians(store: MemoryStore, hashes: list[str], repeats: int = 50) -> dict[str, float]:
    """Median milliseconds of `headroom.retrieve(hash)` from the memory store and from SQLite."""
    with tempfile.TemporaryDirectory() as folder:
        sqlite = SqliteStore(Path(folder) / "ccr.db")
        originals = {ref: retrieve(ref, store) for ref in hashes}
        ScopedStore(sqlite).put_many(
            "original", {ref: t for ref, t in originals.items() if isinstance(t, str)}
        )
        medians = {}
        for name, target in (("memory", store), ("sqlite", sqlite)):
            timings = []
            for _ in range(repeats):
                for ref in hashes:
                    started = time.perf_counter()
                    text = retrieve(ref, target)
                    timings.append(time.perf_counter() - started)
                    if text != originals[ref]:
                        raise AssertionError(f"{name} returned something else for {ref}")
            medians[name] = statistics.median(timings) * 1000
        sqlite.close()
    return medians


# the run -----------------------------------------------------------------------------------------

VARIANTS = [
    "uncompressed",
    "ours",
    "ours, fresh process",
    "newest 2 kept, keep_as_sent",
    "newest 2 kept, compress_once",
    "reference",
]


def recent_window(policy: str) -> dict[str, Any]:
    """The default pipeline with the newest two tool outputs left whole, and a policy for later."""
    from headroom.pipeline.loading import load_pipeline, spec_of

    spec = spec_of(load_pipeline("default")).model_dump(mode="json", exclude_none=True)
    spec["stages"]["classify"].setdefault("params", {}).update(
        protect_recent_tool_outputs=2, recent_policy=policy
    )
    return spec


@dataclass
class SessionResult:
    name: str
    fmt: str
    requests: int
    priced: dict[str, Priced]
    notes: list[str] = field(default_factory=list)
    facts: dict[str, FactCount] = field(default_factory=dict)


def run_session(
    name: str, fmt: str, plan: list[str | int], args: argparse.Namespace, log: Callable[[str], None]
) -> tuple[SessionResult, MemoryStore, list[str], list[float]]:
    model = MODELS[fmt]
    requests = session_requests(fmt, plan)
    meter = Meter()
    tools = [retrieve_tool("anthropic" if fmt == "anthropic" else "openai")]
    result = SessionResult(name, fmt, len(requests), {})
    result.priced["uncompressed"] = price(requests, meter)
    outputs, store, seconds = ours_one_process(requests, model)
    result.priced["ours"] = price(outputs, meter, tools)
    facts = session_facts(plan)
    result.facts["ours"] = facts_kept(facts, requests[-1], outputs[-1])
    log(f"  {name}: {len(requests)} requests; ours in one process {sum(seconds):.1f} s")
    for policy in ("keep_as_sent", "compress_once"):
        recent, _, _ = ours_one_process(requests, model, recent_window(policy))
        result.priced[f"newest 2 kept, {policy}"] = price(recent, meter, tools)
    if not args.no_fresh:
        fresh = ours_fresh_processes(requests, model)
        result.priced["ours, fresh process"] = price(fresh, meter, tools)
        if [json.dumps(m) for m in fresh] != [json.dumps(m) for m in outputs]:
            result.notes.append("fresh processes sent different bytes from one process")
    if not args.no_reference:
        reference, errors = reference_session(requests, model)
        result.priced["reference"] = price(reference, meter)
        result.facts["reference"] = facts_kept(facts, requests[-1], reference[-1])
        if errors:
            result.notes.append(
                f"reference raised on {len(errors)} requests (sent uncompressed): {errors[0][:120]}"
            )
    return result, store, marker_hashes(outputs), seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-reference", action="store_true", help="skip headroom-ai 0.42.0")
    parser.add_argument("--no-fresh", action="store_true", help="skip the process-per-request run")
    parser.add_argument("--sessions", help="comma-separated session names")
    parser.add_argument("--output", default=str(HERE / "SESSIONS.md"))
    args = parser.parse_args(argv)

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    if not args.no_reference:
        import run

        problem = run.ensure_reference()
        if problem:
            log(f"reference unavailable: {problem}")
            args.no_reference = True
    chosen = [s for s in SESSIONS if not args.sessions or s[0] in args.sessions.split(",")]
    started = time.time()
    results, retrievals, seconds = [], {"memory": [], "sqlite": []}, []
    for name, fmt, plan in chosen:
        result, store, hashes, took = run_session(name, fmt, plan, args, log)
        results.append(result)
        seconds += took
        for kind, median in retrieval_medians(store, hashes).items():
            retrievals[kind].append(median)
    report = render(results, retrievals, seconds, args, time.time() - started)
    Path(args.output).write_text(report)
    log(report)
    shutil.rmtree(SNAPSHOT, ignore_errors=True)
    return 0


def render(
    results: list[SessionResult],
    retrievals: dict[str, list[float]],
    seconds: list[float],
    args: argparse.Namespace,
    elapsed: float,
) -> str:
    variants = [v for v in VARIANTS if all(v in r.priced for r in results)]
    totals = {v: Priced() for v in variants}
    for result in results:
        for variant in variants:
            totals[variant].add(result.priced[variant])
    base = totals["uncompressed"].cost
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "# Session benchmark: cost under prompt caching",
        "",
        f"Generated by `python benchmarks/sessions.py` on {stamp} ({platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; {elapsed:.0f} s).",
        "",
        "Each session is one simulated agent sending its whole history on every request (after each",
        "new question and after each tool result); tool outputs are the real material of",
        f"`benchmarks/corpus` and `headroom.samples`; text cut to {OUTPUT_CHARS:,} characters at a line,",
        f"JSON arrays to their first items within {JSON_CHARS:,} characters (still valid JSON).",
        "Anthropic sessions move a `cache_control` marker onto their newest block every request.",
        "Prices per input token: cache read 0.1, cache write 1.25, plain input 1.0. The cached part",
        "of a request is its longest run of leading messages (tools list first) identical to the",
        "previous request's, ignoring `cache_control`, counted only from 1,024 tokens; the rest of a",
        "request of 1,024 tokens or more is a cache write. Ours carries the `headroom_retrieve` tool",
        "on every request (counted). `ours, fresh process`: every request compressed in a new Python",
        "process (`python -c`, a new MemoryStore), as behind a restarted or load-balanced proxy.",
        "`reference`: headroom-ai 0.42.0, `compress(messages, model=...)` with its defaults, one",
        "long-lived process per session (its in-process caches carry over between requests). Our code",
        "is a snapshot of the checkout taken when the run starts, the same for every process.",
        "`newest 2 kept, <policy>`: ours in one process with classify's `protect_recent_tool_outputs: 2`,",
        "then either policy for an output that leaves that window (see docs/ccr.md).",
        "",
        "## Against the targets",
        "",
    ]
    for variant in ("ours", "ours, fresh process"):
        if variant in totals:
            ratio = totals[variant].cost / base
            lines.append(
                f"- Total cost, {variant}: {ratio:.3f} of uncompressed with caching (target <= 0.5): "
                f"**{'met' if ratio <= 0.5 else 'not met'}**."
            )
    for variant in ("ours", "ours, fresh process"):
        if variant in totals:
            worse = [r.name for r in results if r.priced[variant].cost > r.priced["uncompressed"].cost]
            lines.append(
                f"- No session costs more than uncompressed, {variant}: "
                + ("**met**." if not worse else f"**not met** ({', '.join(worse)}).")
            )
    for variant in ("ours", "reference"):
        if all(variant in r.facts for r in results):
            count = FactCount()
            for result in results:
                count.add(result.facts[variant])
            missing = "; missing: " + "; ".join(count.missing)
            verdict = ": **met**." if count.kept == count.reachable else missing
            lines.append(
                f"- Facts in the final request of each session, {variant}: {count.kept}/{count.reachable} "
                f"(of the facts the uncompressed final request holds){verdict}"
            )
    for kind, medians in retrievals.items():
        if medians:
            value = statistics.median(medians)
            lines.append(
                f"- Retrieval from the {kind} store, median over sessions of per-session medians: "
                f"{value:.3f} ms (target < 1 ms): **{'met' if value < 1 else 'not met'}**."
            )
    lines += [
        "",
        "## Totals",
        "",
        "| | " + " | ".join(variants) + " |",
        "| --- |" + " ---: |" * len(variants),
    ]
    lines.append("| tokens sent | " + " | ".join(f"{totals[v].tokens:,}" for v in variants) + " |")
    lines.append(
        "| served from the cache | "
        + " | ".join(f"{totals[v].cached / totals[v].tokens:.1%}" for v in variants)
        + " |"
    )
    lines.append(
        "| requests that rewrote an earlier message | "
        + " | ".join(f"{totals[v].rewrites}" for v in variants)
        + " |"
    )
    lines.append("| cost (relative units) | " + " | ".join(f"{totals[v].cost:,.0f}" for v in variants) + " |")
    lines.append(
        "| cost / uncompressed | " + " | ".join(f"{totals[v].cost / base:.3f}" for v in variants) + " |"
    )
    lines += ["", "## Per session", ""]
    lines.append(
        "| session | format | requests | "
        + " | ".join(f"{v}: tokens / cached share / cost ratio" for v in variants)
        + " |"
    )
    lines.append("| --- | --- | ---: |" + " ---: |" * len(variants))
    for result in results:
        own = result.priced["uncompressed"].cost
        cells = []
        for variant in variants:
            priced = result.priced[variant]
            share = statistics.mean(priced.shares)
            cells.append(f"{priced.tokens:,} / {share:.0%} / {priced.cost / own:.3f}")
        lines.append(f"| {result.name} | {result.fmt} | {result.requests} | " + " | ".join(cells) + " |")
    notes = [f"- {r.name}: {note}" for r in results for note in r.notes]
    if notes:
        lines += ["", "## Notes", "", *notes]
    lines += [
        "",
        "Reading the recency-window columns: an agent that makes one tool call per request sends each",
        "output first as the newest, so with `keep_as_sent` every output stays whole for good (the cost",
        "of sending nothing compressed), and with `compress_once` each output is rewritten once when it",
        "leaves the window, which breaks the cached prefix at that message on every request. That is why",
        "the default pipeline protects no recent output: a block's form is then fixed when it is first",
        "sent.",
        "",
        "The cached share is the mean over a session's requests of the part served from the cache.",
        f"Compression time, ours in one process: median {statistics.median(seconds) * 1000:.0f} ms per "
        f"request, {sum(seconds):.1f} s over all {len(seconds)} requests.",
        "Retrieval: every hash in a session's markers, `headroom.retrieve(hash, store)` 50 times each,",
        "from the session's MemoryStore and from a SQLite file holding the same originals.",
        "",
    ]
    return "\n".join(lines)


def iter_sessions() -> Iterator[tuple[str, str, int]]:
    for name, fmt, plan in SESSIONS:
        yield name, fmt, len(session_requests(fmt, plan))


if __name__ == "__main__":
    raise SystemExit(main())
