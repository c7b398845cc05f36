"""Pathological lines (tens of thousands of spaces, colons, hex letters; a header-shaped line of
minified code) must not make any pattern backtrack without end: compression stays linear.

The whole battery runs in a fresh interpreter with a generous deadline, so a pattern that goes
quadratic again fails here (it took seconds to minutes per line before) instead of hanging CI.
"""

from __future__ import annotations

import json
import subprocess
import sys

LINE = 50_000

PATHOLOGICAL = {
    "spaces": "start\n" + " " * LINE + "\nend",
    "tabs": "start\n" + "\t" * LINE + "\nend",
    "colons": "x\n" + ":" * LINE + "\ny",
    "hex_letters": "log\n" + "abcdef" * (LINE // 6) + "\n",
    "word": "a" * LINE,
    "digits_and_colons": "1:" * (LINE // 2),
    "header_shaped_code": "def f():\n    pass\n" + "a" * LINE + "(b) {\n  x\n}\n",
    "blank_table_rows": "| a | b |\n|---|---|\n" + ("|" + " " * LINE + "|\n") * 3,
    "dots": "." * LINE,
    "tree_branch": "├── a\n│" + " " * LINE + "x\n",
    "minified_json_in_a_log": "\n".join(
        ["2024-01-01T00:00:00Z INFO " + json.dumps({f"k{i}": i for i in range(3000)})] * 3
    ),
}

_SCRIPT = """
import json, sys
from headroom import compress
from headroom.content import DOCUMENT_TYPES, detect_label, parse
from headroom.ccr.stores import MemoryStore

texts = json.loads(sys.stdin.read())
report = {}
for name, text in texts.items():
    label = detect_label(text)
    for kind in DOCUMENT_TYPES:  # every parser and renderer, not only the detected one
        document = parse(kind, text)
        if document is not None:
            document.render([i % 2 == 0 for i in range(len(document.units))], "0" * 16)
    call = {"path": "." * 20000 + ".py", "pattern": "a" * 20000}
    messages = [
        {"role": "user", "content": "Why did it fail?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "run", "arguments": json.dumps(call)}}]},
        {"role": "tool", "tool_call_id": "c", "content": text},
    ]
    result = compress(messages, store=MemoryStore())
    report[name] = {"label": label, "failures": result.failures}
print(json.dumps(report))
"""


def test_pathological_lines_compress_in_linear_time() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        input=json.dumps(PATHOLOGICAL),
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard, not a timing: the battery takes a few seconds
        check=True,
    )
    report = json.loads(done.stdout)
    assert set(report) == set(PATHOLOGICAL)
    assert all(not entry["failures"] for entry in report.values()), report
