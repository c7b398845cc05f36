"""How much memory a long-running process keeps per request it compresses through the default store.

    python benchmarks/memory_growth.py                      # 1,000 requests, the default store (256 MB)
    python benchmarks/memory_growth.py --max-mb 32          # the same with memory://?max_bytes=32 MB
    python benchmarks/memory_growth.py --write              # both, figures into benchmarks/MEMORY.md

Each request is a different agent turn, as a gateway serving many users sees them: a user question,
one or two tool calls, and their outputs, drawn in turn from real files on this machine (Python
sources of installed packages, Debian changelogs, dpkg and apt logs) and from the seeded log and
JSON-records generators, every one at its own offset and size. After a warm-up, the resident set
size (RSS) and the store's byte count are sampled every 100 requests; the report gives both per
request, and the store's count beside the text it was given (the originals it must keep).
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import platform
import random
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from headroom import compress, samples  # noqa: E402
from headroom.ccr.stores import MemoryStore, default_store, open_store  # noqa: E402
from headroom.tokens import count_tokens  # noqa: E402

WARM_UP = 20
SAMPLE_EVERY = 100
RESULTS = Path(__file__).with_name("MEMORY.md")
QUESTIONS = (
    "Why did this fail?",
    "Which entries mention a timeout?",
    "What changed in the last release?",
    "Where is the retry limit set?",
    "Which records have status failed?",
    "Summarise the errors.",
)


def real_texts(limit: int = 400) -> list[tuple[str, str]]:
    """(tool name, text) from real files on this machine, each at least 8 KB."""
    found: list[tuple[str, str]] = []
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = Path(sys.prefix) / "lib" / version / "site-packages"
    for path in sorted(site.glob("*/*.py"))[: limit * 3]:
        text = _read(path)
        if text and len(text) >= 8_000:
            found.append(("read_file", text))
    for path in sorted(Path("/usr/share/doc").glob("*/changelog*.gz"))[:limit]:
        try:
            text = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        except (OSError, EOFError):
            continue
        if len(text) >= 8_000:
            found.append(("read_file", text))
    for path in (Path("/var/log/dpkg.log"), Path("/var/log/apt/history.log"), Path("/var/log/apt/term.log")):
        text = _read(path)
        if text:
            found.append(("run_command", text))
    return found


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def tool_output(index: int, pool: list[tuple[str, str]], rng: random.Random) -> tuple[str, str]:
    """The index-th tool output: a slice of a real file, a synthetic log or a page of JSON records."""
    kind = index % 4
    if kind == 0:
        lines = rng.randint(300, 2_000)
        return "read_logs", samples.application_log(lines=lines, seed=index)[0]
    if kind == 1:
        records, _ = samples.json_records(rng.randint(60, 400), error_at=rng.randint(0, 59), seed=index)
        return "list_orders", json.dumps(records, indent=2)
    tool, text = pool[index % len(pool)]
    size = rng.randint(8_000, 120_000)
    start = rng.randint(0, max(0, len(text) - size))
    cut = text[start : start + size]
    return tool, cut[cut.find("\n") + 1 :] if start else cut


def requests(count: int) -> Iterator[list[dict[str, Any]]]:
    rng = random.Random(2026)
    pool = real_texts()
    for index in range(count):
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": f"You are agent {index % 37} helping with operations."},
            {"role": "user", "content": f"{rng.choice(QUESTIONS)} (ticket {index})"},
        ]
        for call in range(1 + index % 2):
            tool, text = tool_output(index * 2 + call, pool, rng)
            call_id = f"call_{index}_{call}"
            messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {"name": tool, "arguments": json.dumps({"ticket": index})},
                        }
                    ],
                }
            )
            messages.append({"role": "tool", "tool_call_id": call_id, "content": text})
        yield messages


@dataclass
class Sample:
    requests: int
    rss: int
    heap: int  # what Python's objects hold (tracemalloc), without the allocator's own overhead
    store_bytes: int
    input_chars: int
    originals: int


def memory() -> tuple[int, int]:
    """(RSS, Python heap) in bytes, after a collection."""
    gc.collect()
    return int(psutil.Process().memory_info().rss), tracemalloc.get_traced_memory()[0]


def run(count: int, max_mb: int | None) -> dict[str, Any]:
    store: MemoryStore
    if max_mb is None:
        store = default_store()
        url = None
    else:
        url = f"memory://?max_bytes={max_mb * 1024 * 1024}&name={uuid.uuid4().hex}"
        opened = open_store(url)
        assert isinstance(opened, MemoryStore)
        store = opened
    samples_taken: list[Sample] = []
    chars = 0
    count_tokens("warm the tokenizer: it is loaded once per process", "gpt-4o")
    tracemalloc.start(1)
    started = time.perf_counter()
    for done, messages in enumerate(requests(WARM_UP + count), start=1):
        result = compress(messages, model="gpt-4o", store=url)
        if result.failures:
            raise AssertionError(result.failures)
        if done > WARM_UP:
            chars += sum(len(m["content"]) for m in messages if m["role"] == "tool")
        if done == WARM_UP or (done > WARM_UP and (done - WARM_UP) % SAMPLE_EVERY == 0):
            samples_taken.append(Sample(done - WARM_UP, *memory(), store.bytes, chars, len(store)))
    seconds = time.perf_counter() - started
    first, last = samples_taken[0], samples_taken[-1]
    return {
        "store": url or "memory:// (the default store)",
        "max_bytes": store.max_bytes,
        "requests": count,
        "seconds": round(seconds, 1),
        "tool_output_chars_per_request": round(last.input_chars / count),
        "rss_start_mb": round(first.rss / 2**20, 1),
        "rss_end_mb": round(last.rss / 2**20, 1),
        "rss_growth_kb_per_request": round((last.rss - first.rss) / count / 1024, 1),
        "heap_growth_kb_per_request": round((last.heap - first.heap) / count / 1024, 1),
        "store_mb_end": round(last.store_bytes / 2**20, 1),
        "store_growth_kb_per_request": round((last.store_bytes - first.store_bytes) / count / 1024, 1),
        "originals_held": last.originals,
        "after_bound": _after_bound(samples_taken, store.max_bytes),
        "samples": [vars(sample) for sample in samples_taken],
    }


def _after_bound(taken: list[Sample], bound: int) -> dict[str, float] | None:
    """Growth per request from the first sample where the store was full to the last."""
    full = [sample for sample in taken if sample.store_bytes >= 0.99 * bound]
    if len(full) < 2:
        return None
    first, last = full[0], full[-1]
    count = last.requests - first.requests
    return {
        "from": first.requests,
        "to": last.requests,
        "rss_kb_per_request": round((last.rss - first.rss) / count / 1024, 1),
        "heap_kb_per_request": round((last.heap - first.heap) / count / 1024, 1),
    }


def report(results: list[dict[str, Any]]) -> str:
    lines = [
        "| store | bound | requests | tool output per request | RSS start -> end | RSS growth per request "
        "| Python heap growth per request | store at end | store growth per request | originals held |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        cells = [
            r["store"].split("&name=")[0],
            f"{r['max_bytes'] / 2**20:.0f} MB",
            f"{r['requests']:,}",
            f"{r['tool_output_chars_per_request'] / 1000:.0f} K chars",
            f"{r['rss_start_mb']} -> {r['rss_end_mb']} MB",
            f"{r['rss_growth_kb_per_request']} KB",
            f"{r['heap_growth_kb_per_request']} KB",
            f"{r['store_mb_end']} MB",
            f"{r['store_growth_kb_per_request']} KB",
            f"{r['originals_held']:,}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--max-mb", type=int, help="bound the store at this many MB (default: 256)")
    parser.add_argument("--write", action="store_true", help="the default and a 32 MB store, into MEMORY.md")
    parser.add_argument("--json", action="store_true", help="print one run's figures as JSON")
    args = parser.parse_args()
    if args.json:
        print(json.dumps(run(args.requests, args.max_mb)))
        return 0
    bounds = [None, 32] if args.write else [args.max_mb]
    results = [_in_fresh_process(args.requests, bound) for bound in bounds]
    table = report(results)
    print(table)
    if args.write:
        RESULTS.write_text(_document(table, results), encoding="utf-8")
        print(f"wrote {RESULTS}")
    return 0


def _in_fresh_process(count: int, max_mb: int | None) -> dict[str, Any]:
    """One run in its own process, so no run's memory counts in another's."""
    command = [sys.executable, __file__, "--json", "--requests", str(count)]
    if max_mb is not None:
        command += ["--max-mb", str(max_mb)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _document(table: str, results: list[dict[str, Any]]) -> str:
    machine = f"Python {platform.python_version()} on {platform.machine()}, {psutil.cpu_count()} cores"
    curve = "\n".join(
        f"| {s['requests']} | {s['rss'] / 2**20:.1f} | {s['heap'] / 2**20:.1f} "
        f"| {s['store_bytes'] / 2**20:.1f} | {s['originals']} |"
        for s in results[-1]["samples"]
    )
    return f"""# Memory growth over 1,000 requests

`python benchmarks/memory_growth.py --write` ({machine}; each run in a fresh process). Each
request is a different agent turn with one or two tool outputs (real Python sources, Debian
changelogs and dpkg/apt logs of this machine, seeded logs and JSON records), compressed with the
default pipeline through the memory store. After {WARM_UP} warm-up requests and the tokenizer's
one-time load, and every {SAMPLE_EVERY} requests after, the run takes the resident set size
(RSS), the Python heap (what live Python objects allocated since the warm-up hold, from
`tracemalloc`) and the store's byte count (`MemoryStore.bytes`: what CPython holds for its keys
and values, see `headroom.ccr.stores.memory`).

{table}

The store keeps the original of every block it compressed (that is what makes every marker
retrievable) and each compressed output twice (its memo and its session record), so under its
bound it grows by about that much per request, and the process with it. At the bound the least
recently used entries go and the store stops growing.
{_full_sentence(results[-1])}
What RSS still gains there is the C allocator's fragmentation (freed text of one size is not always
reused for the next); glibc's `MALLOC_MMAP_THRESHOLD_=131072` (large texts in their own mappings, given
back when freed) roughly halved that in a trial run. The bounded run, sampled:

| requests | RSS MB | Python heap MB | store MB | originals held |
| ---: | ---: | ---: | ---: | ---: |
{curve}
"""


def _full_sentence(result: dict[str, Any]) -> str:
    full = result.get("after_bound")
    if not full:
        return ""
    return (
        f"From request {full['from']} to {full['to']}, with the {result['max_bytes'] / 2**20:.0f} MB"
        f" store full, the Python heap grew {full['heap_kb_per_request']} KB a request (the keys the"
        f" store remembers as expired, and other bounded caches, filling) and RSS"
        f" {full['rss_kb_per_request']} KB."
    )


if __name__ == "__main__":
    raise SystemExit(main())
