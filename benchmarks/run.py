"""The Headroom benchmark: what `headroom.compress` does with the default pipeline to a corpus of real
agent conversations, side by side with the reference (headroom-ai 0.42.0 from PyPI).

    python benchmarks/run.py                   # everything: ours, the reference, first calls, scaling
    python benchmarks/run.py --no-reference    # ours only
    python benchmarks/run.py --quick           # fewer repeats, no 1M scaling step (a smoke run)
    python benchmarks/run.py --cases dpkg_log,pip_list_json

Prints a table and writes benchmarks/results.json and benchmarks/RESULTS.md. Every figure is
explained in benchmarks/README.md. Tokens are counted here, with one counter for both sides:
tiktoken o200k_base (the gpt-4o tokenizer) over every text leaf of the messages plus 4 tokens of
framing per message. The baseline ("before") counts each JSON tool output in its minified form.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # benchmark the checkout, installed or not

import split as split_file  # noqa: E402  (benchmarks/split.py: which cases are sealed)

import headroom  # noqa: E402  (sets TIKTOKEN_CACHE_DIR to the encodings shipped with litellm)

CORPUS = HERE / "corpus"
REFERENCE_VENV = HERE / ".venvs" / "reference"
REFERENCE_SPEC = "headroom-ai==0.42.0"
MODEL = "gpt-4o"
TOKENIZER = "o200k_base"
MESSAGE_FRAMING = 4
HEADROOM_TABLE = "[headroom: table of "
FIRST_CALL_CASES = ("pip_inspect_metadata", "dpkg_log", "java_hashmap")
SCALING_TOKENS = (10_000, 100_000, 1_000_000)
SPLITS = ("open", "sealed")
FULL_RETENTION_TARGET = 0.65
LARGE_DIFF_TOKENS = 5_000  # a diff case whose baseline is bigger than this is a "large diff"
LARGE_DIFF_SAVED = 0.50
# Ours / the reference in RESULTS.md when issue 9 was filed: the latency targets are "no worse".
PREVIOUS_RATIOS = {"warm_p95": 0.47, "first_call": 0.25}
TARGETS = {
    "facts": "every fact kept in every case, on each split (default pipeline)",
    "savings_at_full_retention": f"at least {FULL_RETENTION_TARGET:.0%} of the corpus tokens, on each split",
    "large_diffs": f"at least {LARGE_DIFF_SAVED:.0%} saved on diffs of over {LARGE_DIFF_TOKENS:,} tokens, "
    "every fact kept, on each split",
    "warm_latency": f"p95 of warm calls at most {PREVIOUS_RATIOS['warm_p95']}x the reference's, on "
    "each split (no worse than before issue 9)",
    "first_call": f"first call at most {PREVIOUS_RATIOS['first_call']}x the reference's (no worse than "
    "before issue 9)",
    "scaling": "linear growth; a 1M-token tool output in under 2 s within bounded memory",
}


# tokens ----------------------------------------------------------------------------------------

_SKIPPED_KEYS = frozenset({"role", "type", "id", "tool_call_id", "tool_use_id", "cache_control"})


def text_leaves(value: Any) -> Iterator[str]:
    """Every string a model reads in a message (roles, ids, type tags and cache markers excluded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in _SKIPPED_KEYS:
                yield from text_leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from text_leaves(item)


class Tokens:
    def __init__(self) -> None:
        import tiktoken

        self.encoding = tiktoken.get_encoding(TOKENIZER)

    def text(self, text: str) -> int:
        return len(self.encoding.encode_ordinary(text))

    def messages(self, messages: Sequence[Any]) -> int:
        return sum(MESSAGE_FRAMING + sum(self.text(t) for t in text_leaves(m)) for m in messages)


# the conversation's shape ----------------------------------------------------------------------


def tool_outputs(messages: Sequence[Any]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(path, text) of every tool output: OpenAI tool messages and Anthropic tool_result blocks."""
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if message.get("role") == "tool" and isinstance(content, str):
            yield (index, "content"), content
        if isinstance(content, list):
            for position, part in enumerate(content):
                if not isinstance(part, dict) or part.get("type") != "tool_result":
                    continue
                inner = part.get("content")
                if isinstance(inner, str):
                    yield (index, "content", position, "content"), inner
                elif isinstance(inner, list):
                    for sub, item in enumerate(inner):
                        if isinstance(item, dict) and isinstance(item.get("text"), str):
                            yield (index, "content", position, "content", sub, "text"), item["text"]


def parse_json(text: str) -> Any:
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{":
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        return None


def minified(messages: list[Any]) -> list[Any]:
    """The baseline: the same messages with each JSON tool output minified."""
    copy = json.loads(json.dumps(messages))
    for path, text in list(tool_outputs(copy)):
        value = parse_json(text)
        if value is None:
            continue
        node = copy
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return copy


def detect_format(messages: Sequence[Any]) -> str:
    for message in messages:
        if not isinstance(message, dict):
            continue
        if message.get("role") == "tool" or "tool_calls" in message:
            return "openai"
        content = message.get("content")
        if isinstance(content, list) and any(
            isinstance(p, dict) and p.get("type") in ("tool_use", "tool_result") for p in content
        ):
            return "anthropic"
    return "unknown"


def structure_problems(before: list[Any], after: Any) -> list[str]:
    """Why `after` is not a valid message list in `before`'s format with every tool call paired."""
    if not isinstance(after, list):
        return [f"output is {type(after).__name__}, not a list"]
    problems: list[str] = []
    if detect_format(after) != detect_format(before):
        problems.append(f"format changed: {detect_format(before)} -> {detect_format(after)}")
    if [m.get("role") if isinstance(m, dict) else None for m in after] != [m.get("role") for m in before]:
        problems.append("roles or message count changed")
    calls: list[str] = []
    answers: list[str] = []
    for message in after:
        if not isinstance(message, dict):
            problems.append("a message is not an object")
            continue
        for call in message.get("tool_calls") or []:
            calls.append(str(call.get("id")))
        if message.get("role") == "tool":
            answers.append(str(message.get("tool_call_id")))
        content = message.get("content")
        if isinstance(content, list):
            for part in content:
                if not isinstance(part, dict):
                    problems.append("a content part is not an object")
                elif part.get("type") == "tool_use":
                    calls.append(str(part.get("id")))
                elif part.get("type") == "tool_result":
                    answers.append(str(part.get("tool_use_id")))
        elif content is not None and not isinstance(content, str):
            problems.append(f"content of type {type(content).__name__}")
    if sorted(calls) != sorted(answers):
        problems.append(f"tool calls unpaired: calls {sorted(calls)} vs results {sorted(answers)}")
    kept_cache = json.dumps([p for p in _cache_controls(after)])
    if kept_cache != json.dumps([p for p in _cache_controls(before)]):
        problems.append("cache_control markers moved or lost")
    return problems


def _cache_controls(messages: Sequence[Any]) -> Iterator[tuple[int, int, Any]]:
    for index, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            for position, part in enumerate(content):
                if isinstance(part, dict) and "cache_control" in part:
                    yield index, position, part["cache_control"]


def json_problems(before: list[Any], after: list[Any]) -> list[str]:
    """JSON tool outputs must stay parseable JSON or become a documented Headroom table."""
    problems: list[str] = []
    originals = dict(tool_outputs(before))
    for path, text in tool_outputs(after):
        original = originals.get(path)
        if original is None or parse_json(original) is None or text == original:
            continue
        if parse_json(text) is None and not text.startswith(HEADROOM_TABLE):
            problems.append(f"tool output at {list(path)} was JSON and is no longer parseable")
    return problems


Fact = str | list[str]  # a list gives equivalent spellings of one value, any of which counts


def facts_kept(facts: Sequence[Fact], messages: Any) -> list[bool]:
    """Each fact is kept if it (or one of its spellings) appears verbatim in some text of the messages."""
    text = "\n".join(text_leaves(messages))
    return [any(f in text for f in ([fact] if isinstance(fact, str) else fact)) for fact in facts]


def show_fact(fact: Fact) -> str:
    return fact if isinstance(fact, str) else " | ".join(fact)


def digest(messages: Any) -> str:
    return hashlib.sha256(json.dumps(messages, ensure_ascii=False).encode()).hexdigest()


# statistics ------------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# one side's measurements -----------------------------------------------------------------------


@dataclass
class Side:
    """What one implementation did to one case."""

    tokens_after: int = 0
    facts: list[bool] = field(default_factory=list)
    structure: list[str] = field(default_factory=list)
    json: list[str] = field(default_factory=list)
    deterministic: bool = True
    seconds: list[float] = field(default_factory=list)
    transforms: list[str] = field(default_factory=list)
    error: str = ""
    digest: str = ""

    @property
    def all_facts(self) -> bool:
        return all(self.facts)

    @property
    def valid(self) -> bool:
        return not self.structure and not self.json and not self.error

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def p95(self) -> float:
        return percentile(self.seconds, 0.95)


@dataclass
class Case:
    id: str
    kind: str
    source: str
    format: str
    facts: list[Fact]
    messages: list[Any]
    split: str = "open"  # "sealed": reported, never tuned on (benchmarks/SPLIT.md)
    tokens_raw: int = 0  # as the tool returned it (pretty-printed JSON stays pretty)
    tokens_before: int = 0  # the baseline: JSON tool outputs minified
    ours: Side = field(default_factory=Side)
    reference: Side | None = None

    def saved(self, side: Side) -> float:
        return 1 - side.tokens_after / self.tokens_before if self.tokens_before else 0.0


def load_cases(only: set[str] | None, which: str = "all", sealed: set[str] | None = None) -> list[Case]:
    """The corpus's cases (those named in `only`, of split `which`), each marked open or sealed.
    `sealed` is None when there is no split file: then every case is open."""
    cases = []
    for path in sorted(CORPUS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if only and data["id"] not in only:
            continue
        part = "sealed" if sealed and data["id"] in sealed else "open"
        if which not in ("all", part):
            continue
        cases.append(
            Case(
                data["id"],
                data["kind"],
                data["source"],
                data["format"],
                data["facts"],
                data["messages"],
                part,
            )
        )
    if not cases:
        raise SystemExit(
            f"no {'' if which == 'all' else which + ' '}cases in {CORPUS} (run benchmarks/build_corpus.py)"
        )
    return cases


def judge(case: Case, side: Side, output: Any, tokens: Tokens) -> None:
    side.structure = structure_problems(case.messages, output)
    side.json = json_problems(case.messages, output) if isinstance(output, list) else []
    side.facts = facts_kept(case.facts, output)
    side.tokens_after = tokens.messages(output) if isinstance(output, list) else case.tokens_raw
    side.digest = digest(output)


# the reference ---------------------------------------------------------------------------------


def reference_python() -> Path:
    return REFERENCE_VENV / "bin" / "python"


def ensure_reference() -> str | None:
    """Create the reference venv on first use. Returns why it cannot be used, or None."""
    python = reference_python()
    if python.exists():
        check = subprocess.run(
            [str(python), "-c", "import importlib.metadata as m; print(m.version('headroom-ai'))"],
            capture_output=True,
            text=True,
            cwd=tempfile.gettempdir(),
            check=False,
        )
        if check.returncode == 0 and check.stdout.strip() == REFERENCE_SPEC.split("==")[1]:
            return None
    print(f"creating {REFERENCE_VENV} with {REFERENCE_SPEC} (first run only)...", file=sys.stderr)
    steps = [
        [sys.executable, "-m", "venv", str(REFERENCE_VENV)],
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", REFERENCE_SPEC],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return f"`{' '.join(step)}` failed: {(done.stderr or done.stdout).strip()[-500:]}"
    return None


def reference_env() -> dict[str, str]:
    """The reference's environment: tiktoken reads the encodings its own litellm wheel ships.

    Unset, tiktoken would download them on first use (a new user online gets them that way);
    offline it fails and the reference falls back to estimating tokens, which is not how it runs.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TIKTOKEN_CACHE_DIR")}
    found = sorted(REFERENCE_VENV.glob("lib/python*/site-packages/litellm/litellm_core_utils/tokenizers"))
    if found:
        env["TIKTOKEN_CACHE_DIR"] = str(found[0])
    return env


class Driver:
    """One side in its own long-lived process (reference_driver.py, ours_driver.py), one request
    per case, so both sides are timed in the same kind of lean process."""

    def __init__(self, python: Path, script: str, env: dict[str, str]) -> None:
        self.folder = tempfile.TemporaryDirectory()  # never the checkout: its `headroom` would shadow
        self.errors = open(Path(self.folder.name) / "stderr.txt", "w+", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(python), str(HERE / script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
            cwd=self.folder.name,
            env=env,
        )

    def ask(self, case: Case, repeats: int) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        request = {"id": case.id, "messages": case.messages, "model": MODEL, "repeats": repeats}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            self.errors.seek(0)
            raise RuntimeError(f"{self.process.args[1]} ended: {self.errors.read()[-800:]}")
        return json.loads(line)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)
        self.errors.close()
        self.folder.cleanup()


def judge_reply(case: Case, reply: dict[str, Any], tokens: Tokens) -> Side:
    """A side's verdict from its driver's reply: validity, facts, tokens, timings, determinism."""
    side = Side()
    if reply.get("error"):
        side.error = reply["error"]
        return side
    judge(case, side, reply["messages"], tokens)
    side.seconds = reply["seconds"]
    side.transforms = reply.get("transforms", [])
    side.deterministic = len(set(reply["digests"])) == 1
    return side


def measure(cases: list[Case], repeats: int, tokens: Tokens, with_reference: bool) -> str | None:
    """Warm both driver processes on the whole corpus, then time each case on both sides in turn.

    Interleaving case by case keeps a change in the machine's load from favouring one side.
    Returns why the reference was not measured, or None.
    """
    reason: str | None = "skipped (--no-reference)"
    reference: Driver | None = None
    if with_reference:
        reason = ensure_reference()
        if reason is None:
            reference = Driver(reference_python(), "reference_driver.py", reference_env())
    ours = Driver(Path(sys.executable), "ours_driver.py", ours_env())
    try:
        print("warming both processes on the corpus...", file=sys.stderr)
        for case in cases:  # imports, pipelines, tokenizers, anything loaded lazily per content type
            ours.ask(case, 1)
            if reference is not None:
                reference.ask(case, 1)
        for case in cases:
            case.ours = judge_reply(case, ours.ask(case, repeats), tokens)
            if case.ours.error:
                raise RuntimeError(f"ours failed on {case.id}: {case.ours.error}")
            shown = case.id if case.split == "open" else "(a sealed case)"
            line = f"  {shown:<32} ours {case.ours.median * 1000:8.1f} ms"
            if reference is not None:
                try:
                    case.reference = judge_reply(case, reference.ask(case, repeats), tokens)
                except (RuntimeError, OSError, ValueError) as error:
                    reason = f"reference driver failed: {error}"
                    reference = None
                    for each in cases:
                        each.reference = None
                if case.reference is not None and not case.reference.error:
                    line += f"   reference {case.reference.median * 1000:8.1f} ms"
            print(line, file=sys.stderr)
    finally:
        ours.close()
        if reference is not None:
            reference.close()
    return None if reference is not None and reason is None else reason


# first call in a fresh process -----------------------------------------------------------------

_FIRST_CALL = """
import hashlib, json, sys, time
messages = json.load(open(sys.argv[1]))["messages"]
started = time.perf_counter()
from headroom import compress
imported = time.perf_counter() - started
result = compress(messages, model="gpt-4o")
seconds = time.perf_counter() - started
saved = result.tokens_saved  # exact counts: ours loads the tokenizer here, on first read
counted = time.perf_counter() - started
out = json.dumps(result.messages, ensure_ascii=False).encode()
digest = hashlib.sha256(out).hexdigest()
print(json.dumps({"seconds": seconds, "counted": counted, "import": imported, "digest": digest}))
"""


def first_calls(python: Path, case_ids: Sequence[str], runs: int, env: dict[str, str]) -> dict[str, Any]:
    """Import plus one compression, timed inside `runs` fresh interpreters per case."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        for case_id in case_ids:
            path = CORPUS / f"{case_id}.json"
            seconds, counted, walls, imports, digests = [], [], [], [], set()
            for _ in range(runs):
                started = time.perf_counter()
                done = subprocess.run(
                    [str(python), "-c", _FIRST_CALL, str(path)],
                    capture_output=True,
                    text=True,
                    cwd=folder,
                    env=env,
                    check=False,
                )
                walls.append(time.perf_counter() - started)
                if done.returncode != 0:
                    return {"error": done.stderr.strip()[-500:]}
                reply = json.loads(done.stdout.strip().splitlines()[-1])
                seconds.append(reply["seconds"])
                counted.append(reply["counted"])
                imports.append(reply["import"])
                digests.add(reply["digest"])
            results[case_id] = {
                "median_s": statistics.median(seconds),
                "median_counted_s": statistics.median(counted),
                "median_wall_s": statistics.median(walls),
                "median_import_s": statistics.median(imports),
                "samples_s": seconds,
                "counted_samples_s": counted,
                "digests": sorted(digests),
            }
    all_samples = [s for r in results.values() for s in r["samples_s"]]
    all_counted = [s for r in results.values() for s in r["counted_samples_s"]]
    results["overall_median_s"] = statistics.median(all_samples)
    results["overall_median_counted_s"] = statistics.median(all_counted)
    return results


def compile_bytecode() -> None:
    """Compile our package to bytecode, as pip does when it installs one (`__pycache__` is ignored by git)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "headroom")], check=True)


def ours_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


# scaling ---------------------------------------------------------------------------------------

_SCALING = """
import json, os, resource, sys, time
target, kind, folder, side = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
sys.path.insert(0, folder)
from scaling_input import NEEDLE, make_input
messages, text = make_input(kind, target)
warm, _ = make_input(kind, 2000)

def rss_kb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

import headroom
from headroom import compress
import tiktoken
encoding = tiktoken.get_encoding("o200k_base")
tokens = len(encoding.encode_ordinary(text))
options = {}
if side == "ours":
    from headroom import MemoryStore
    options = {"store": MemoryStore()}
compress(warm, model="gpt-4o", **({"store": MemoryStore()} if side == "ours" else {}))
before = rss_kb("VmRSS:")
started = time.perf_counter()
result = compress(messages, model="gpt-4o", **options)
seconds = time.perf_counter() - started
peak = rss_kb("VmHWM:")
output = result.messages[-1]["content"]
after = len(encoding.encode_ordinary(output))
print(json.dumps({"tokens": tokens, "chars": len(text), "seconds": seconds, "rss_before_mb": before / 1024,
                  "peak_rss_mb": peak / 1024, "tool_tokens_after": after, "needle_kept": NEEDLE in output,
                  "transforms": list(result.transforms_applied)}))
"""


def scaling(sizes: Sequence[int], side: str, python: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    """One big tool output per size and kind, each in a fresh process: time and memory of one call."""
    rows = []
    for kind in ("log", "json_array"):
        for size in sizes:
            base = {"side": side, "kind": kind, "target_tokens": size}
            try:
                done = subprocess.run(
                    [str(python), "-c", _SCALING, str(size), kind, str(HERE), side],
                    capture_output=True,
                    text=True,
                    env=env,
                    cwd=tempfile.gettempdir(),
                    check=False,
                    timeout=900,
                )
            except subprocess.TimeoutExpired:
                rows.append({**base, "error": "timed out after 900 s"})
                continue
            if done.returncode != 0:
                rows.append({**base, "error": done.stderr.strip()[-400:]})
                continue
            row = {**base, **json.loads(done.stdout.strip().splitlines()[-1])}
            row["peak_delta_mb"] = row["peak_rss_mb"] - row["rss_before_mb"]
            row["ms_per_1k_tokens"] = row["seconds"] / row["tokens"] * 1000 * 1000
            rows.append(row)
            print(
                f"  scale {side:<9} {kind:<10} {row['tokens']:>9} tokens {row['seconds']:7.3f} s "
                f"peak {row['peak_rss_mb']:.0f} MB",
                file=sys.stderr,
            )
    return rows


# summary ---------------------------------------------------------------------------------------


def both_compressed(cases: list[Case]) -> list[Case]:
    """Cases where both sides changed the conversation: latency there compares work with work."""
    return [
        c
        for c in cases
        if c.reference is not None
        and not c.reference.error
        and c.ours.tokens_after < c.tokens_raw
        and c.reference.tokens_after < c.tokens_raw
    ]


def summarise(cases: list[Case], pick: str) -> dict[str, Any]:
    sides = [(c, c.ours if pick == "ours" else c.reference) for c in cases]
    sides = [(c, s) for c, s in sides if s is not None and not s.error]
    if not sides:
        return {}
    before = sum(c.tokens_before for c, _ in sides)
    after = sum(s.tokens_after for _, s in sides)
    saved_full = sum(c.tokens_before - s.tokens_after for c, s in sides if s.all_facts)
    samples = [t for _, s in sides for t in s.seconds]
    return {
        "cases": len(sides),
        "tokens_before": before,
        "tokens_raw": sum(c.tokens_raw for c, _ in sides),
        "tokens_after": after,
        "savings": 1 - after / before,
        "savings_vs_raw": 1 - after / sum(c.tokens_raw for c, _ in sides),
        "savings_at_full_retention": saved_full / before,
        "facts_kept": sum(sum(s.facts) for _, s in sides),
        "facts_total": sum(len(s.facts) for _, s in sides),
        "cases_all_facts": sum(1 for _, s in sides if s.all_facts),
        "valid_cases": sum(1 for _, s in sides if s.valid),
        "deterministic_cases": sum(1 for _, s in sides if s.deterministic),
        "latency_median_of_case_medians_ms": statistics.median(s.median for _, s in sides) * 1000,
        "latency_p95_all_runs_ms": percentile(samples, 0.95) * 1000,
        "latency_median_all_runs_ms": statistics.median(samples) * 1000,
        "latency_sum_of_case_medians_ms": sum(s.median for _, s in sides) * 1000,
    }


def large_diffs(cases: list[Case]) -> list[Case]:
    """The diff cases whose baseline is over LARGE_DIFF_TOKENS: issue 9's 50% target is on these."""
    return [c for c in cases if c.kind == "diff" and c.tokens_before > LARGE_DIFF_TOKENS]


def split_summary(cases: list[Case]) -> dict[str, Any]:
    """Totals of one split (or of all cases): both sides, the cases both compress, the large diffs."""
    both, big = both_compressed(cases), large_diffs(cases)
    return {
        "ours": summarise(cases, "ours"),
        "reference": summarise(cases, "reference"),
        "both_compressed": {
            "cases": [c.id for c in both],
            "ours": summarise(both, "ours"),
            "reference": summarise(both, "reference"),
        },
        "large_diffs": {
            "cases": [c.id for c in big],
            "ours": summarise(big, "ours"),
            "reference": summarise(big, "reference"),
        },
    }


def by_split(cases: list[Case]) -> dict[str, list[Case]]:
    """The cases of each split that has any, open first."""
    return {
        name: [c for c in cases if c.split == name] for name in SPLITS if any(c.split == name for c in cases)
    }


def ratio(ours: float, reference: float) -> float | None:
    return ours / reference if reference else None


def fmt_pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def fmt_ms(value: float) -> str:
    return f"{value * 1000:.1f}"


def case_rows(cases: list[Case]) -> list[list[str]]:
    rows = []
    for c in cases:
        ref = c.reference
        has_ref = ref is not None and not ref.error
        rows.append(
            [
                c.id,
                c.kind,
                c.source,
                f"{c.tokens_before:,}",
                f"{c.ours.tokens_after:,}",
                fmt_pct(c.saved(c.ours)),
                f"{sum(c.ours.facts)}/{len(c.facts)}",
                "ok" if c.ours.valid else "INVALID",
                "yes" if c.ours.deterministic else "NO",
                fmt_ms(c.ours.median),
                fmt_ms(c.ours.p95),
                f"{ref.tokens_after:,}" if has_ref and ref else "-",
                fmt_pct(c.saved(ref)) if has_ref and ref else "-",
                f"{sum(ref.facts)}/{len(c.facts)}" if has_ref and ref else "-",
                ("ok" if ref.valid else "INVALID") if has_ref and ref else (ref.error[:20] if ref else "-"),
                ("yes" if ref.deterministic else "NO") if has_ref and ref else "-",
                fmt_ms(ref.median) if has_ref and ref else "-",
                fmt_ms(ref.p95) if has_ref and ref else "-",
                f"{c.ours.median / ref.median:.2f}" if has_ref and ref and ref.median else "-",
            ]
        )
    return rows


CASE_HEADER = [
    "case",
    "kind",
    "source",
    "before",
    "ours after",
    "ours saved",
    "ours facts",
    "ours valid",
    "ours det.",
    "ours p50 ms",
    "ours p95 ms",
    "ref after",
    "ref saved",
    "ref facts",
    "ref valid",
    "ref det.",
    "ref p50 ms",
    "ref p95 ms",
    "p50 ours/ref",
]


def markdown_table(header: list[str], rows: list[list[str]], right_from: int = 3) -> str:
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(out)


def totals_rows(
    ours: dict[str, Any], ref: dict[str, Any], first: dict[str, Any], subset: dict[str, Any] | None = None
) -> list[list[str]]:
    def both(key: str, show: Any) -> list[str]:
        return [show(ours[key]) if key in ours else "-", show(ref[key]) if key in ref else "-"]

    def r(key: str) -> str:
        value = ratio(ours.get(key, 0), ref.get(key, 0)) if ref else None
        return f"{value:.2f}x" if value is not None else "-"

    count = "{:,}".format
    rows = [
        ["cases", *both("cases", str), ""],
        ["tokens before (JSON minified: the baseline)", *both("tokens_before", count), ""],
        ["tokens before (as the tools returned them)", *both("tokens_raw", count), ""],
        ["tokens after", *both("tokens_after", count), r("tokens_after")],
        ["savings vs the baseline", *both("savings", fmt_pct), ""],
        ["savings vs pretty-printed input", *both("savings_vs_raw", fmt_pct), ""],
        ["savings at full retention", *both("savings_at_full_retention", fmt_pct), ""],
        [
            "facts kept",
            *[f"{s['facts_kept']}/{s['facts_total']}" if s else "-" for s in (ours, ref)],
            "",
        ],
        [
            "cases keeping every fact",
            *[f"{s['cases_all_facts']}/{s['cases']}" if s else "-" for s in (ours, ref)],
            "",
        ],
        ["valid cases", *[f"{s['valid_cases']}/{s['cases']}" if s else "-" for s in (ours, ref)], ""],
        [
            "deterministic cases",
            *[f"{s['deterministic_cases']}/{s['cases']}" if s else "-" for s in (ours, ref)],
            "",
        ],
        [
            "warm latency, median of case medians (ms)",
            *both("latency_median_of_case_medians_ms", "{:.1f}".format),
            r("latency_median_of_case_medians_ms"),
        ],
        [
            "warm latency, p95 over all runs (ms)",
            *both("latency_p95_all_runs_ms", "{:.1f}".format),
            r("latency_p95_all_runs_ms"),
        ],
        [
            "warm latency, whole corpus once (ms)",
            *both("latency_sum_of_case_medians_ms", "{:.1f}".format),
            r("latency_sum_of_case_medians_ms"),
        ],
    ]
    if subset and subset.get("ours") and subset.get("reference"):
        bo, br = subset["ours"], subset["reference"]
        rows.append(["cases both sides compress", str(bo["cases"]), str(br["cases"]), ""])
        for label, key in (
            ("median of case medians", "latency_median_of_case_medians_ms"),
            ("p95 over all runs", "latency_p95_all_runs_ms"),
        ):
            rows.append(
                [
                    f"warm latency on the cases both compress, {label} (ms)",
                    f"{bo[key]:.1f}",
                    f"{br[key]:.1f}",
                    f"{bo[key] / br[key]:.2f}x" if br[key] else "-",
                ]
            )
    fo, fr = first.get("ours", {}), first.get("reference", {})
    if "overall_median_s" in fo:
        value_o = fo["overall_median_s"] * 1000
        value_r = fr.get("overall_median_s", 0) * 1000
        rows.append(
            [
                "first call in a fresh process, median (ms)",
                f"{value_o:.0f}",
                f"{value_r:.0f}" if value_r else "-",
                f"{value_o / value_r:.2f}x" if value_r else "-",
            ]
        )
        counted_o = fo.get("overall_median_counted_s", 0) * 1000
        counted_r = fr.get("overall_median_counted_s", 0) * 1000
        rows.append(
            [
                "first call, then reading tokens_saved (exact counts), median (ms)",
                f"{counted_o:.0f}",
                f"{counted_r:.0f}" if counted_r else "-",
                f"{counted_o / counted_r:.2f}x" if counted_r else "-",
            ]
        )
    return rows


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def verdict(met: bool) -> str:
    return "**Met.**" if met else "**Not met.**"


def split_target_lines(name: str, summary: dict[str, Any]) -> list[str]:
    """Issue 9's targets on one split: every fact, savings at full retention, large diffs, warm p95."""
    ours, ref, big = summary["ours"], summary["reference"], summary["large_diffs"]
    full = ours["savings_at_full_retention"]
    lines = [
        f"- {name}: every fact in every case: {ours['cases_all_facts']}/{ours['cases']} cases keep "
        "every fact "
        f"({ours['facts_kept']}/{ours['facts_total']} facts). "
        + verdict(ours["cases_all_facts"] == ours["cases"]),
        f"- {name}: savings at full retention >= {FULL_RETENTION_TARGET:.0%}: {fmt_pct(full)}"
        + (f" (reference {fmt_pct(ref['savings_at_full_retention'])})" if ref else "")
        + ". "
        + verdict(full >= FULL_RETENTION_TARGET),
    ]
    mine = big["ours"]
    if mine:
        kept = mine["cases_all_facts"] == mine["cases"]
        lines.append(
            f"- {name}: diffs over {LARGE_DIFF_TOKENS:,} tokens ({plural(mine['cases'], 'case')}) save >= "
            f"{LARGE_DIFF_SAVED:.0%} with every fact kept: {fmt_pct(mine['savings'])} saved, "
            f"{mine['facts_kept']}/{mine['facts_total']} facts"
            + (
                f" (reference {fmt_pct(big['reference']['savings'])}, "
                f"{big['reference']['facts_kept']}/{big['reference']['facts_total']})"
                if big["reference"]
                else ""
            )
            + ". "
            + verdict(kept and mine["savings"] >= LARGE_DIFF_SAVED)
        )
    else:
        lines.append(f"- {name}: no diff over {LARGE_DIFF_TOKENS:,} tokens in this split.")
    if ref:
        p95 = ratio(ours["latency_p95_all_runs_ms"], ref["latency_p95_all_runs_ms"]) or 0
        median = (
            ratio(ours["latency_median_of_case_medians_ms"], ref["latency_median_of_case_medians_ms"]) or 0
        )
        both = summary["both_compressed"]
        subset = ""
        if both["ours"] and both["reference"]:
            bp = (
                ratio(both["ours"]["latency_p95_all_runs_ms"], both["reference"]["latency_p95_all_runs_ms"])
                or 0
            )
            subset = f"; {bp:.2f}x on the {plural(both['ours']['cases'], 'case')} both sides compress"
        lines.append(
            f"- {name}: warm latency p95 <= {PREVIOUS_RATIOS['warm_p95']}x the reference (as before "
            "issue 9): "
            f"{p95:.2f}x (median of case medians {median:.2f}x{subset}). "
            + verdict(p95 <= PREVIOUS_RATIOS["warm_p95"])
        )
    return lines


def global_target_lines(first: dict[str, Any], scale: list[Any]) -> list[str]:
    """The targets measured once for the whole checkout: the first call and scaling."""
    lines = []
    fo, fr = first.get("ours", {}), first.get("reference", {})
    if "overall_median_s" in fo:
        ms = fo["overall_median_s"] * 1000
        ref_ms = fr.get("overall_median_s", 0) * 1000
        if ref_ms:
            lines.append(
                f"- First call in a fresh process <= {PREVIOUS_RATIOS['first_call']}x the reference "
                "(as before "
                f"issue 9): {ms:.0f} ms, {ms / ref_ms:.2f}x the reference's {ref_ms:.0f} ms. "
                + verdict(ms / ref_ms <= PREVIOUS_RATIOS["first_call"])
            )
        else:
            lines.append(f"- First call in a fresh process: {ms:.0f} ms (reference not measured).")
    mine = [row for row in scale if row.get("side") == "ours" and "seconds" in row]
    big = [row for row in mine if row["target_tokens"] == max(SCALING_TOKENS)]
    if big:
        worst = max(big, key=lambda row: row["seconds"])
        per = [row["ms_per_1k_tokens"] for row in mine]
        lines.append(
            f"- 1M-token tool output in under 2 s, linear cost: slowest {worst['kind']} at "
            f"{worst['tokens']:,} tokens took {worst['seconds']:.2f} s "
            f"(peak RSS {worst['peak_rss_mb']:.0f} MB, "
            f"+{worst['peak_delta_mb']:.0f} MB during the call); cost per 1K tokens ranges "
            f"{min(per):.2f}-{max(per):.2f} ms across sizes. "
            + verdict(all(row["seconds"] < 2 for row in big))
        )
    return lines


def target_lines(splits: dict[str, dict[str, Any]], first: dict[str, Any], scale: list[Any]) -> list[str]:
    lines = []
    for name, summary in splits.items():
        lines += split_target_lines(f"{name.capitalize()} split", summary)
    return lines + global_target_lines(first, scale)


def attention(cases: list[Case]) -> list[str]:
    """What the compressor engineers need: cases that lose facts, and cases that save little."""
    lines = []
    for c in cases:
        lost = [f for f, kept in zip(c.facts, c.ours.facts, strict=True) if not kept]
        if lost:
            shown = "; ".join(f"`{show_fact(f)[:90]}`" for f in lost)
            lines.append(f"- **{c.id}** ({c.kind}) loses {len(lost)}/{len(c.facts)} facts: {shown}")
    for c in cases:
        if c.saved(c.ours) < 0.3:
            lines.append(
                f"- **{c.id}** ({c.kind}) saves only {fmt_pct(c.saved(c.ours))} "
                f"({c.tokens_before:,} -> {c.ours.tokens_after:,} tokens)"
            )
    for c in cases:
        if not c.ours.valid or not c.ours.deterministic:
            lines.append(f"- **{c.id}**: invalid or non-deterministic: {c.ours.structure + c.ours.json}")
    return lines


KIND_HEADER = [
    "kind",
    "split",
    "cases",
    "before",
    "ours facts",
    "ours saved",
    "ours saved at full retention",
    "ref facts",
    "ref saved",
    "ref saved at full retention",
]


def kind_rows(splits: dict[str, list[Case]]) -> list[list[str]]:
    """Per content type (the case's declared kind) and split: facts kept, tokens saved, and savings at
    full retention (a case losing any fact counts as 0% saved), ours beside the reference."""
    rows = []
    for kind in sorted({c.kind for group in splits.values() for c in group}):
        for name, cases in splits.items():
            group = [c for c in cases if c.kind == kind]
            if not group:
                continue
            before = sum(c.tokens_before for c in group)
            row = [kind, name, str(len(group)), f"{before:,}"]
            for pick in ("ours", "reference"):
                sides = [(c, c.ours if pick == "ours" else c.reference) for c in group]
                measured = [(c, side) for c, side in sides if side is not None and not side.error]
                if len(measured) < len(sides):
                    row += ["-", "-", "-"]
                    continue
                after = sum(side.tokens_after for _, side in measured)
                kept = sum(sum(side.facts) for _, side in measured)
                total = sum(len(c.facts) for c in group)
                full = sum(c.tokens_before - side.tokens_after for c, side in measured if side.all_facts)
                row += [f"{kept}/{total}", fmt_pct(1 - after / before), fmt_pct(full / before)]
            rows.append(row)
    return rows


def totals_table(
    splits: dict[str, dict[str, Any]], everything: dict[str, Any], first: dict[str, Any]
) -> tuple[list[str], list[list[str]]]:
    """The totals of each split side by side (and of all cases when there are two splits); the first
    call is measured once, so it only fills the all-cases column."""
    columns = dict(splits)
    if len(splits) > 1:
        columns["all"] = everything
    tables = {
        name: totals_rows(
            summary["ours"],
            summary["reference"],
            first if name == "all" or len(splits) == 1 else {},
            summary["both_compressed"],
        )
        for name, summary in columns.items()
    }
    labels: list[str] = []
    for rows in tables.values():
        labels += [row[0] for row in rows if row[0] not in labels]
    header = [""]
    for name in columns:
        header += [f"{name}: ours", f"{name}: reference", f"{name}: ours / reference"]
    body = []
    for label in labels:
        row = [label]
        for name in columns:
            found = next((r for r in tables[name] if r[0] == label), None)
            row += found[1:] if found else ["-", "-", "-"]
        body.append(row)
    return header, body


def scaling_table(rows: list[dict[str, Any]]) -> str:
    header = [
        "side",
        "input",
        "tokens",
        "MB",
        "seconds",
        "ms per 1K tokens",
        "peak RSS MB",
        "RSS growth MB",
        "tool output tokens after",
        "needle kept",
    ]
    body = []
    for row in rows:
        if "error" in row:
            error = row["error"].splitlines()[-1][:60] if row["error"] else "error"
            body.append(
                [row["side"], row["kind"], f"{row['target_tokens']:,}", "-", error, "-", "-", "-", "-", "-"]
            )
            continue
        body.append(
            [
                row["side"],
                row["kind"],
                f"{row['tokens']:,}",
                f"{row['chars'] / 1e6:.2f}",
                f"{row['seconds']:.3f}",
                f"{row['ms_per_1k_tokens']:.2f}",
                f"{row['peak_rss_mb']:.0f}",
                f"{row['peak_delta_mb']:.0f}",
                f"{row['tool_tokens_after']:,}",
                "yes" if row["needle_kept"] else "NO",
            ]
        )
    return markdown_table(header, body, right_from=2)


def split_note(results: dict[str, Any]) -> str:
    split = results["meta"]["split"]
    if not split["file"]:
        return (
            "**Split:** no `benchmarks/split.json`: the corpus is not sealed yet, so every case is open "
            "(`python benchmarks/split.py --seal` draws the sealed third)."
        )
    counts = {name: len(summary_ids(results, name)) for name in results["splits"]}
    return (
        f"**Split:** sealed with seed {split['seed']} on {split['sealed_at']} (benchmarks/SPLIT.md): "
        + " and ".join(plural(count, f"{name} case") for name, count in counts.items())
        + " in this run. The sealed cases are reported and never tuned on; their per-case rows are "
        "only in the sealed section below. The 46 cases earlier sessions tuned on are open by construction."
    )


def summary_ids(results: dict[str, Any], name: str) -> list[str]:
    return [c["id"] for c in results["cases"] if c["split"] == name]


def write_markdown(results: dict[str, Any], cases: list[Case], scale: list[dict[str, Any]]) -> str:
    first = results["first_call"]
    meta = results["meta"]
    groups = by_split(cases)
    parts = [
        "# Headroom benchmark results",
        "",
        f"Generated by `python benchmarks/run.py` on {meta['date']} ({meta['machine']}; 1-minute load "
        f"average {meta['load_average']['start'][0]:.1f} at the start, "
        f"{meta['load_average']['end'][0]:.1f} at the end: other work shared the machine, so latencies "
        "carry noise; ours and the reference are timed case by case in turn, so the ratios are fairer "
        "than the absolute figures). "
        f"Tokenizer: tiktoken `{TOKENIZER}` over every text leaf, plus {MESSAGE_FRAMING} tokens per message; "
        'one counter for both sides. Baseline ("before"): the conversation with each JSON tool output '
        "minified, so re-encoding JSON compactly earns nothing. Ours: `headroom.compress(messages, "
        f'model="{MODEL}")`, default pipeline, at commit `{meta["commit"]}`. Reference: '
        f'`{REFERENCE_SPEC}` from PyPI, `compress(messages, model="{MODEL}")` with its defaults '
        f"({meta.get('reference_note', '')}).",
        "",
        split_note(results),
        "",
        "## Against the targets (issue 9)",
        "",
        *target_lines(results["splits"], first, scale),
        "",
        "## Totals",
        "",
        markdown_table(*totals_table(results["splits"], results["all"], first), right_from=1),
        "",
        f"Warm latency: each case compressed {meta['repeats']} times in a warm process, each time "
        "with a fresh `MemoryStore()` (ours) or with the reference's result caches cleared, so no call "
        "is a cache hit; each side runs in its own long-lived driver process, timed case by case in turn. "
        f"First call: `python -c` in a fresh interpreter, import plus one compression, median of "
        f"{meta['fresh_runs']} processes on each of {', '.join(FIRST_CALL_CASES)}. Both sides load "
        "compiled bytecode, as a pip install provides: the reference's was compiled by pip, ours (run "
        "from the checkout) by `python -m compileall headroom` first, since a process that may not "
        "write bytecode (PYTHONDONTWRITEBYTECODE, set on this machine) would otherwise compile every "
        "module from source on each start.",
        "",
        "## By content type",
        "",
        "The kind is the case's declared content type. Saved at full retention: a case that loses any "
        "fact counts as 0% saved.",
        "",
        markdown_table(KIND_HEADER, kind_rows(groups), right_from=2),
        "",
    ]
    opened = groups.get("open", [])
    if opened:
        parts += [
            "## Needs attention (ours, open split)",
            "",
            *(attention(opened) or ["- nothing: every open case keeps every fact and saves at least 30%"]),
            "",
            "## Per case (open split)",
            "",
            "before/after in tokens; saved against the baseline; facts kept verbatim; valid = message list "
            "in the input's format with tool calls paired, cache_control kept, JSON outputs still JSON or a "
            "documented Headroom table; det. = identical bytes on every repeat.",
            "",
            markdown_table(CASE_HEADER, case_rows(opened)),
            "",
        ]
    sealed = groups.get("sealed", [])
    if sealed:
        losing = [c for c in sealed if not c.ours.all_facts]
        parts += [
            "## Sealed split (reported, never a tuning aid)",
            "",
            f"{len(sealed)} sealed cases; {len(losing)} lose a fact with ours. When a sealed case "
            "fails, first "
            "add a similar case of your own to the open split, and say so here. Columns as in the open "
            "split's table.",
            "",
            markdown_table(CASE_HEADER, case_rows(sealed)),
            "",
        ]
    if scale:
        parts += [
            "## Scaling",
            "",
            "One tool output of each size in a fresh process (`scaling_input.py`): a realistic application "
            "log and a JSON array of records, each with one needle. Time of one `compress()` call after a "
            "small warm-up call; peak RSS of the process (VmHWM) and its growth during the call; the tool "
            "output's tokens after. Flat ms per 1K tokens means linear cost.",
            "",
            scaling_table(scale),
            "",
        ]
    if first.get("ours"):
        parts += ["## First call in a fresh process", ""]
        rows = []
        for case_id in FIRST_CALL_CASES:
            o = first["ours"].get(case_id, {})
            r = first.get("reference", {}).get(case_id, {})
            rows.append(
                [
                    case_id,
                    f"{o.get('median_s', 0) * 1000:.0f}",
                    f"{o.get('median_wall_s', 0) * 1000:.0f}",
                    f"{r['median_s'] * 1000:.0f}" if r else "-",
                    f"{r['median_wall_s'] * 1000:.0f}" if r else "-",
                    f"{o.get('median_import_s', 0) * 1000:.0f}",
                    f"{r['median_import_s'] * 1000:.0f}" if r else "-",
                    f"{o.get('median_counted_s', 0) * 1000:.0f}",
                    f"{r['median_counted_s'] * 1000:.0f}" if r and "median_counted_s" in r else "-",
                    _same(o) + " / " + _same(r),
                ]
            )
        parts += [
            markdown_table(
                [
                    "case",
                    "ours import+call ms",
                    "ours process wall ms",
                    "ref import+call ms",
                    "ref process wall ms",
                    "ours import ms",
                    "ref import ms",
                    "ours + reading tokens_saved ms",
                    "ref + reading tokens_saved ms",
                    "same bytes as warm (ours / ref)",
                ],
                rows,
                right_from=1,
            ),
            "",
        ]
    return "\n".join(parts)


def _same(fresh: dict[str, Any]) -> str:
    if "same_bytes_as_warm" not in fresh:
        return "-"
    return "yes" if fresh["same_bytes_as_warm"] else "NO"


def git_commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=7, help="warm compressions per case and side")
    parser.add_argument("--fresh-runs", type=int, default=5, help="fresh processes per first-call case")
    parser.add_argument("--cases", help="comma-separated case ids (default: all)")
    parser.add_argument("--no-reference", action="store_true", help="skip the reference")
    parser.add_argument("--no-scaling", action="store_true", help="skip the scaling runs")
    parser.add_argument("--quick", action="store_true", help="3 repeats, 2 fresh runs, scaling to 100K only")
    parser.add_argument("--output", type=Path, default=HERE, help="where results.json and RESULTS.md go")
    parser.add_argument(
        "--split",
        choices=("open", "sealed", "all"),
        default="all",
        help="run only the open or the sealed cases (benchmarks/SPLIT.md; default: all)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.fresh_runs = 3, 2
    only = set(args.cases.split(",")) if args.cases else None
    load_at_start = os.getloadavg()
    tokens = Tokens()
    split = split_file.load_split()
    if split is None and args.split == "sealed":
        parser.error(
            "--split sealed: the corpus is not sealed (no benchmarks/split.json), every case is open"
        )
    cases = load_cases(only, args.split, None if split is None else set(split["sealed"]))
    for case in cases:
        case.tokens_raw = tokens.messages(case.messages)
        case.tokens_before = tokens.messages(minified(case.messages))

    print(f"{len(cases)} cases x {args.repeats} runs per side", file=sys.stderr)
    reason = measure(cases, args.repeats, tokens, not args.no_reference)
    reference_note = (
        f"not measured: {reason}"
        if reason
        else "tiktoken pointed at the encodings its own litellm wheel ships; its optional ML text "
        "compressor (Kompress) needs the [ml] extra and a model download, so as installed by default "
        "it is not used; by default it never modifies a block carrying cache_control (our Anthropic "
        "cases mark the newest tool result, as caching clients do) and protects code when the request "
        "reads like analysis; each case's transforms are in results.json"
    )
    if reason:
        print(f"reference: {reason}", file=sys.stderr)

    first: dict[str, Any] = {}
    wanted_first = [c for c in FIRST_CALL_CASES if (CORPUS / f"{c}.json").exists()]
    print("first call in fresh processes...", file=sys.stderr)
    compile_bytecode()
    first["ours"] = first_calls(Path(sys.executable), wanted_first, args.fresh_runs, ours_env())
    if not args.no_reference and reference_python().exists() and any(c.reference for c in cases):
        first["reference"] = first_calls(reference_python(), wanted_first, args.fresh_runs, reference_env())
    by_id = {c.id: c for c in cases}
    for pick, fresh in first.items():
        for case_id in wanted_first:
            case = by_id.get(case_id)
            side = None if case is None else (case.ours if pick == "ours" else case.reference)
            if side is not None and case_id in fresh:
                # Same bytes in every fresh process as in the warm one.
                fresh[case_id]["same_bytes_as_warm"] = fresh[case_id]["digests"] == [side.digest]

    scale: list[dict[str, Any]] = []
    if not args.no_scaling:
        sizes = SCALING_TOKENS[:2] if args.quick else SCALING_TOKENS
        scale = scaling(sizes, "ours", Path(sys.executable), ours_env())
        if not args.no_reference and reason is None:
            scale += scaling(sizes, "reference", reference_python(), reference_env())

    results: dict[str, Any] = {
        "meta": {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "load_average": {"start": load_at_start, "end": os.getloadavg()},
            "commit": git_commit(),
            "headroom_version": headroom.__version__,
            "tokenizer": TOKENIZER,
            "baseline": "each JSON tool output minified; every other text as the tool returned it",
            "model": MODEL,
            "repeats": args.repeats,
            "fresh_runs": args.fresh_runs,
            "reference": REFERENCE_SPEC,
            "reference_note": reference_note,
            "targets": TARGETS,
            "split": {
                "file": split is not None,
                "seed": split["seed"] if split else None,
                "sealed_at": split["sealed_at"] if split else None,
                "selected": args.split,
            },
        },
        "all": split_summary(cases),
        "splits": {name: split_summary(group) for name, group in by_split(cases).items()},
        "both_compressed": {
            "cases": [c.id for c in both_compressed(cases)],
            "ours": summarise(both_compressed(cases), "ours"),
            "reference": summarise(both_compressed(cases), "reference"),
        },
        "ours": summarise(cases, "ours"),
        "reference": summarise(cases, "reference"),
        "first_call": first,
        "scaling": scale,
        "cases": [
            {
                "id": c.id,
                "kind": c.kind,
                "source": c.source,
                "format": c.format,
                "split": c.split,
                "tokens_raw": c.tokens_raw,
                "tokens_before": c.tokens_before,
                "facts": c.facts,
                "ours": {**asdict(c.ours), "median_s": c.ours.median, "p95_s": c.ours.p95},
                "reference": (
                    {**asdict(c.reference), "median_s": c.reference.median, "p95_s": c.reference.p95}
                    if c.reference
                    else None
                ),
            }
            for c in cases
        ],
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    markdown = write_markdown(results, cases, scale)
    (args.output / "RESULTS.md").write_text(markdown, encoding="utf-8")

    groups = by_split(cases)
    if groups.get("open"):
        print(text_table(CASE_HEADER, case_rows(groups["open"])))
    if groups.get("sealed"):
        print(f"\n{len(groups['sealed'])} sealed cases: their rows are only in RESULTS.md's sealed section")
    print()
    print(text_table(*totals_table(results["splits"], results["all"], first)))
    print()
    print(split_note(results))
    print("\n".join(target_lines(results["splits"], first, scale)))
    print(f"\nwrote {args.output / 'results.json'} and {args.output / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
