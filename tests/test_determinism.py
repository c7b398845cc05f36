"""Same input, same bytes, in every process: nothing may depend on string hashing (set or dict
order of strings changes with PYTHONHASHSEED from one interpreter to the next)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"

_SCRIPT = """
import hashlib, json, sys
from pathlib import Path
from headroom import compress
from headroom.ccr.stores import MemoryStore

digests = {}
for path in sorted(Path(sys.argv[1]).rglob("*")):
    if not path.is_file():
        continue
    text = path.read_text(encoding="utf-8", errors="replace")
    for query in ("Why did it fail and where is the timeout set?", "Summarise this for me."):
        messages = [
            {"role": "user", "content": query},
            {"role": "tool", "tool_call_id": "a", "content": text},
        ]
        result = compress(messages, model="gpt-4o", store=MemoryStore())
        out = json.dumps(result.messages, ensure_ascii=False).encode()
        digests[f"{path.name} / {query}"] = hashlib.sha256(out).hexdigest()
print(json.dumps(digests))
"""


def _digests(hash_seed: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(FIXTURES)], capture_output=True, text=True, env=env, check=True
    )
    digests: dict[str, str] = json.loads(done.stdout)
    return digests


def test_every_fixture_compresses_to_the_same_bytes_under_different_string_hashing() -> None:
    first, second = _digests("1"), _digests("2")
    assert len(first) > 40
    assert {name for name in first if first[name] != second[name]} == set()
