"""Time against nesting depth for deeply nested JSON tool outputs: the cost must grow linearly.

    python benchmarks/deep_json.py             # depths 1K, 3K, 10K, 100K, and within the depth limit
    python benchmarks/deep_json.py --repeats 5

Past `headroom.json_text.MAX_JSON_DEPTH` a JSON text is opaque (never parsed), so what is
timed is detection, the depth check and the rest of the pipeline on a text it leaves alone.
Within the limit, a structure whose every level is big enough to be opened is read into its
tree (`JsonObjectDocument.parse`): each value is written once, not once per level above it.
`compress()` is timed without the exact token count (`tokens_before` loads and runs the
tokenizer, whose cost is its own). Linear means the last column, microseconds per thousand
characters, stays flat as the depth grows.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from headroom import compress
from headroom.ccr.stores import MemoryStore
from headroom.content.json_object import JsonObjectDocument
from headroom.json_text import MAX_JSON_DEPTH

DEPTHS = (1_000, 3_000, 10_000, 100_000)
WITHIN_LIMIT = (10, 25, 50, MAX_JSON_DEPTH - 1)  # the root object is one level more


def arrays(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def padded(depth: int) -> str:
    """Each level has a field of its own and is big enough to be opened."""
    return '{"note":"a level with a field of its own","child":' * depth + '"leaf"' + "}" * depth


def wide_padded(depth: int) -> str:
    """Forty padded chains side by side: size and depth grow together."""
    return "{" + ",".join(f'"chain{i}":{padded(depth)}' for i in range(40)) + "}"


def best_of(repeats: int, work: Callable[[], object]) -> float:
    """The fastest of `repeats` runs (the least disturbed by other work on the machine)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def compress_once(text: str) -> None:
    messages = [
        {"role": "user", "content": "What is at the bottom of this structure?"},
        {"role": "tool", "tool_call_id": "c", "content": text},
    ]
    result = compress(messages, store=MemoryStore())
    assert not result.failures, result.failures


def row(label: str, depth: int, text: str, seconds: float) -> str:
    per_kilochar = seconds * 1e6 / (len(text) / 1000)
    return f"| {label} | {depth:,} | {len(text):,} | {seconds * 1000:.1f} | {per_kilochar:.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    compress_once(padded(10))  # warm up: imports, pipeline load
    print("| what | depth | characters | ms | µs per 1K chars |")
    print("|---|---:|---:|---:|---:|")
    for shape in (arrays, objects, padded):
        for depth in DEPTHS:
            text = shape(depth)
            print(
                row(
                    f"compress, {shape.__name__}",
                    depth,
                    text,
                    best_of(args.repeats, lambda text=text: compress_once(text)),
                )
            )
    for depth in WITHIN_LIMIT:
        text = wide_padded(depth)
        seconds = best_of(args.repeats, lambda text=text: JsonObjectDocument.parse(text))
        print(row("parse, 40 padded chains", depth, text, seconds))


if __name__ == "__main__":
    main()
