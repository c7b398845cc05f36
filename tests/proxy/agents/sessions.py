"""What the real-agent tests share: the workspace an agent works in, and reading tool results
back out of the request bodies the scripted model received.

`Workspace` is a temporary HOME and a project folder holding big files (two 250-line
application logs, 100 order records as JSON) that the model asks the agent to print.
Each stays under Claude Code's default inline limit for a command's output (30,000
characters), so the agent sends the output itself, not a preview and a path.

`tool_outputs(body, ...)` finds every tool output in a request body, with its text and the
exact bytes it was written as, so a test can compare them turn by turn; `tools_as_written`
does the same for the tools array. `check_whole` and `check_compressed_and_stable` are the
two verdicts on a session: what the model got without a proxy, and through one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headroom import samples
from headroom.json_text import Path as JsonPath
from headroom.json_text import locate

MARKER = "[headroom:"
# The agents must not inherit this process's environment: only what a shell needs, plus what each test sets.
_INHERITED = ("PATH", "LANG", "LC_ALL", "TZ")


@dataclass(frozen=True)
class Workspace:
    home: Path
    project: Path
    files: dict[str, str]  # file name -> its text, as the agent will print it

    @classmethod
    def create(cls, root: Path) -> Workspace:
        home, project = root / "home", root / "project"
        home.mkdir()
        project.mkdir()
        records, _failed = samples.json_records(count=100, error_at=61)
        files = {
            "app.log": samples.application_log(lines=250)[0],
            "worker.log": samples.application_log(lines=250, request_id="req-5e1d07", seed=5)[0],
            "orders.json": json.dumps(records, indent=2) + "\n",
        }
        for name, text in files.items():
            (project / name).write_text(text)
        return cls(home, project, files)

    def base_env(self) -> dict[str, str]:
        env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
        return {**env, "HOME": str(self.home), "SHELL": "/bin/bash", "TMPDIR": str(self.home)}


@dataclass(frozen=True)
class ToolOutput:
    call_id: str
    text: str
    raw: bytes  # the JSON value exactly as the body wrote it


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [part.get("text", "") for part in content if isinstance(part, dict)]
        return "".join(str(part) for part in parts)
    return ""


def _anthropic_results(body: dict[str, Any]) -> Iterator[tuple[str, JsonPath, Any]]:
    for i, message in enumerate(body.get("messages", [])):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for j, block in enumerate(content):
            if isinstance(block, dict) and block.get("type") == "tool_result":
                yield (
                    str(block.get("tool_use_id")),
                    ("messages", i, "content", j, "content"),
                    block.get("content"),
                )


def _responses_results(body: dict[str, Any]) -> Iterator[tuple[str, JsonPath, Any]]:
    items = body.get("input")
    for i, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict) and item.get("type") == "function_call_output":
            yield str(item.get("call_id")), ("input", i, "output"), item.get("output")


def tool_names(raw_body: bytes) -> list[str]:
    """The names of the tools a request offers (Anthropic and Responses shapes alike)."""
    tools = json.loads(raw_body).get("tools") or []
    return [str(tool.get("name")) for tool in tools if isinstance(tool, dict)]


def tools_as_written(raw_body: bytes) -> bytes:
    """The request's `tools` array exactly as the body wrote it."""
    start, end = locate(raw_body, [("tools",)])[("tools",)]
    return raw_body[start:end]


def tool_outputs(raw_body: bytes, api: str) -> list[ToolOutput]:
    """Every tool output in a request body ("anthropic": tool_result blocks; "responses":
    function_call_output items), in order, each with its text and its bytes as written."""
    body = json.loads(raw_body)
    found = list(_anthropic_results(body) if api == "anthropic" else _responses_results(body))
    spans = locate(raw_body, [path for _id, path, _value in found])
    return [
        ToolOutput(call_id, _text_of(value), raw_body[spans[path][0] : spans[path][1]])
        for call_id, path, value in found
    ]


def _in_order(outputs: list[list[ToolOutput]], originals: list[str]) -> None:
    """Turn k holds the outputs of the k calls before it, in the order they were made."""
    assert [len(sent) for sent in outputs] == list(range(len(originals) + 1))
    for sent in outputs:
        assert [output.call_id for output in sent] == [output.call_id for output in outputs[-1][: len(sent)]]


def check_whole(outputs: list[list[ToolOutput]], originals: list[str]) -> None:
    """Every output reached the model whole: every line of its file, and no marker."""
    _in_order(outputs, originals)
    for sent in outputs:
        for output, original in zip(sent, originals, strict=False):
            assert MARKER not in output.text
            missing = [line for line in original.splitlines() if line not in output.text]
            assert not missing, f"{len(missing)} lines missing, first {missing[0]!r}"


def check_compressed_and_stable(outputs: list[list[ToolOutput]], originals: list[str]) -> None:
    """Every output reached the model compressed (a marker, less text than the file), and on
    every later turn as the same bytes as on the turn it first went out: the cached prefix."""
    _in_order(outputs, originals)
    for turn, sent in enumerate(outputs, start=1):
        for call, (output, original) in enumerate(zip(sent, originals, strict=False)):
            assert MARKER in output.text, f"turn {turn}, output {call + 1}: {output.text[:300]!r}"
            assert len(output.text) < len(original)
            first = outputs[call + 1][call]
            changed = f"output {call + 1} changed between turn {call + 2} and turn {turn}"
            assert output.raw == first.raw, changed


def check_retrieve_loop(
    turns: list[Any], originals: list[str], api: str, retrieve_calls_in: Any, call_id_key: str
) -> None:
    """The proxy answered the model's headroom_retrieve calls itself: the agent's own requests,
    plus one follow-up from the proxy per compressed output, whose last tool output is the
    proxy's answer (the original, every line); and what the agent sends back holds its own calls
    only, each output compressed as before. `retrieve_calls_in(turn)` lists a request's retrieve
    calls; `call_id_key` is where a call keeps its id ("id" for Anthropic, "call_id" for Responses)."""
    from_agent = [turn for turn in turns if not retrieve_calls_in(turn)]
    follow_ups = [turn for turn in turns if retrieve_calls_in(turn)]
    assert len(from_agent) == len(originals) + 1
    assert len(follow_ups) == len(originals)
    for follow_up, original in zip(follow_ups, originals, strict=True):
        answer = tool_outputs(follow_up.body, api)[-1]
        assert answer.call_id == retrieve_calls_in(follow_up)[-1][call_id_key]
        assert all(line in answer.text for line in original.splitlines())
    check_compressed_and_stable([tool_outputs(turn.body, api) for turn in from_agent], originals)
