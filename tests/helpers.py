"""Builders shared by the tests: small message lists in both formats and hand-built run states."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from headroom.pipeline.stage import RunState
from headroom.testing import make_state, run_stage, tool_block, tool_blocks

PIPELINES = Path(__file__).parent / "pipelines"


def openai_tool_turn(
    content: str,
    query: str = "Summarise the tool output.",
    *,
    call_id: str = "call_1",
    tool: str = "fetch",
    arguments: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """system, user, assistant tool call, tool result: the smallest agent turn in OpenAI format."""
    return [
        {"role": "system", "content": "You are a careful assistant."},
        {"role": "user", "content": query},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": tool, "arguments": json.dumps(arguments or {})},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": content},
    ]


def anthropic_tool_turn(
    content: str,
    query: str = "Summarise the tool output.",
    *,
    call_id: str = "toolu_1",
    tool: str = "fetch",
    arguments: dict[str, Any] | None = None,
    as_parts: bool = False,
) -> list[dict[str, Any]]:
    """user, assistant tool_use, user tool_result: the same turn in Anthropic format."""
    inner: Any = [{"type": "text", "text": content}] if as_parts else content
    return [
        {"role": "user", "content": [{"type": "text", "text": query}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me look."},
                {"type": "tool_use", "id": call_id, "name": tool, "input": arguments or {}},
            ],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call_id, "content": inner}],
        },
    ]


def labelled(state: RunState, label: str) -> RunState:
    """Label every tool block by hand (what classify would do), leaving the others protected."""
    for block in state.blocks:
        if block.block.origin == "tool":
            block.label = label
        else:
            block.protected = f"{block.block.origin} text"
    return state


def tool_text(messages: list[Any]) -> str:
    """The text of the last tool output, in either format."""
    last = messages[-1]
    content = last["content"]
    if isinstance(content, str):
        return content
    inner = content[0]["content"]
    return inner if isinstance(inner, str) else inner[0]["text"]


def kept_records(text: str) -> int:
    """How many records a compressed JSON array kept, whether written as JSON or as a table."""
    if text.startswith("[headroom: table of "):
        return sum(1 for line in text.split("\n")[1:] if not line.startswith("[headroom:"))
    return sum(1 for item in json.loads(text) if isinstance(item, dict))


def modules_loaded_by(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running `code` (import costs are per process)."""
    import subprocess
    import sys

    script = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return set(loaded)


def record_parse_and_tokenizer_threads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """From now on, each block parsed and each text tokenised appends (what, thread id) to the list."""
    from headroom import content, tokens

    calls: list[tuple[str, int]] = []
    parse, encoding = content.parse, tokens._encoding

    def recording_parse(label: str, text: str) -> Any:
        calls.append(("parse", threading.get_ident()))
        return parse(label, text)

    def recording_encoding(name: str) -> Any:
        calls.append(("tokenizer", threading.get_ident()))
        return encoding(name)

    monkeypatch.setattr(content, "parse", recording_parse)
    monkeypatch.setattr(tokens, "_encoding", recording_encoding)
    return calls


__all__ = ["make_state", "run_stage", "tool_block", "tool_blocks"]
