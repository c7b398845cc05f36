"""The compressed bytes of every fixture and every benchmark corpus case, recorded as digests.

A refactor must not change what the engine outputs: `test_golden.py` compresses everything again
(in a fresh interpreter, with the string-hash seed fixed) and compares with `outputs.json`. A
change that means to alter outputs records them anew in the same commit:

    python -m tests.golden --write

and the diff of `outputs.json` then names every input whose output changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
CORPUS = ROOT / "benchmarks" / "corpus"
RECORDED = Path(__file__).parent / "outputs.json"
HASH_SEED = "0"
_QUERIES = ("Why did it fail and where is the timeout set?", "Summarise this for me.")


def _digest(messages: Any) -> str:
    return hashlib.sha256(json.dumps(messages, ensure_ascii=False).encode()).hexdigest()


def _fixture_inputs() -> dict[str, tuple[list[dict[str, Any]], str]]:
    inputs = {}
    for path in sorted(FIXTURES.rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for query in _QUERIES:
            messages = [
                {"role": "user", "content": query},
                {"role": "tool", "tool_call_id": "a", "content": text},
            ]
            inputs[f"fixture {path.relative_to(FIXTURES)} / {query}"] = (messages, "gpt-4o")
    return inputs


def _corpus_inputs() -> dict[str, tuple[list[dict[str, Any]], str]]:
    inputs = {}
    for path in sorted(CORPUS.glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        inputs[f"corpus {case['id']}"] = (case["messages"], case.get("model") or "gpt-4o")
    return inputs


def compute() -> dict[str, str]:
    """Every input's compressed output, as a digest (run in this interpreter)."""
    from headroom import compress
    from headroom.stores import MemoryStore

    digests = {}
    for name, (messages, model) in {**_fixture_inputs(), **_corpus_inputs()}.items():
        result = compress(messages, model=model, store=MemoryStore())
        digests[name] = _digest(result.messages)
    return digests


def compute_in_fresh_process() -> dict[str, str]:
    """`compute()` in a new interpreter with the hash seed fixed, importing this checkout."""
    env = {**os.environ, "PYTHONHASHSEED": HASH_SEED, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.golden", "--print"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    digests: dict[str, str] = json.loads(done.stdout)
    return digests


def recorded() -> dict[str, str]:
    digests: dict[str, str] = json.loads(RECORDED.read_text(encoding="utf-8"))
    return digests


def main(argv: list[str]) -> int:
    if argv == ["--print"]:
        print(json.dumps(compute()))
        return 0
    if argv == ["--write"]:
        digests = compute_in_fresh_process()
        RECORDED.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"recorded {len(digests)} outputs in {RECORDED.relative_to(ROOT)}")
        return 0
    print("usage: python -m tests.golden --write | --print", file=sys.stderr)
    return 2
