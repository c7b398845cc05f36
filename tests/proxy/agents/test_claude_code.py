"""Claude Code (the real CLI from npm, pinned) through the proxy, in print mode.

A scripted model plays Claude over three turns: print app.log (Bash), print orders.json
(Bash), then answer. Claude Code runs each command and sends its output back in the next
request, with the whole history, as it does against the real API.

- Control, no proxy: the model receives both outputs whole, as the files hold them.
- Through the proxy: the model receives each output compressed (a marker, fewer bytes),
  and an output already sent is written with the same bytes on every later turn, so the
  provider's prompt cache would keep hitting.
- Retrieval: a model that calls `headroom_retrieve` on each compressed output gets the
  original from the proxy, which then asks it again and splices the rounds into one stream:
  Claude Code finishes its session without ever seeing the call.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.proxy.agents.anthropic_model import FINAL_ANSWER, RETRIEVE_TOOL, ScriptedClaude, ToolCall
from tests.proxy.agents.conftest import Route
from tests.proxy.agents.sessions import (
    MARKER,
    Workspace,
    tool_names,
    tool_outputs,
    tools_as_written,
)
from tests.stub_upstream import RecordedRequest, serve_in_thread

pytestmark = pytest.mark.slow

PROMPT = "Read app.log and orders.json with cat and tell me which request failed."
SCRIPT = [
    ToolCall("Bash", {"command": "cat app.log", "description": "Print the application log"}),
    ToolCall("Bash", {"command": "cat orders.json", "description": "Print the order records"}),
]
_RUN_LIMIT_SECONDS = 180


def claude_env(workspace: Workspace, base_url: str) -> dict[str, str]:
    return {
        **workspace.base_env(),
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": "sk-ant-test-agents-0123456789",
        # Nothing but the model's API: no updates, telemetry, error reports or feature-flag calls.
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
    }


def run_claude(binary: Path, workspace: Workspace, base_url: str) -> dict[str, Any]:
    """One print-mode session; returns Claude Code's JSON result. Never prompts: the one tool
    it needs is allowed up front, and stdin is closed."""
    command = [
        str(binary),
        "-p",
        PROMPT,
        "--allowedTools",
        "Bash(cat:*)",
        "--output-format",
        "json",
        "--max-turns",
        "6",
    ]
    started = time.monotonic()
    done = subprocess.run(
        command,
        cwd=workspace.project,
        env=claude_env(workspace, base_url),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=_RUN_LIMIT_SECONDS,
    )
    print(f"claude -p ran {time.monotonic() - started:.1f}s")
    assert done.returncode == 0, (
        f"claude exited {done.returncode}\nstdout: {done.stdout[-3000:]}\nstderr: {done.stderr[-3000:]}"
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def session(
    binary: Path, route: Route, tmp_path: Path, *, retrieve: bool = False
) -> tuple[Workspace, list[RecordedRequest]]:
    """Run the scripted session; the requests of each agent turn, in order."""
    workspace = Workspace.create(tmp_path)
    model = ScriptedClaude(SCRIPT, retrieve=retrieve)
    with serve_in_thread(model.app) as model_url, route(model_url) as base_url:
        result = run_claude(binary, workspace, base_url)
    assert result.get("result") == FINAL_ANSWER, result
    turns = model.agent_turns()
    if not retrieve:
        assert len(turns) == len(SCRIPT) + 1, [r.path for r in model.requests]
    return workspace, turns


def retrieve_calls_in(turn: RecordedRequest) -> list[dict[str, Any]]:
    """The headroom_retrieve calls in a request's history."""
    return [
        block
        for message in turn.json()["messages"]
        if message.get("role") == "assistant" and isinstance(message.get("content"), list)
        for block in message["content"]
        if block.get("type") == "tool_use" and block.get("name") == RETRIEVE_TOOL
    ]


def test_without_a_proxy_the_model_receives_each_output_whole(
    claude_binary: Path, no_proxy: Route, tmp_path: Path
) -> None:
    workspace, turns = session(claude_binary, no_proxy, tmp_path)
    outputs = [tool_outputs(turn.body, "anthropic") for turn in turns]
    assert [len(sent) for sent in outputs] == [0, 1, 2]
    log, orders = outputs[2]
    assert log.text.strip() == workspace.files["app.log"].strip()
    assert orders.text.strip() == workspace.files["orders.json"].strip()
    assert MARKER not in log.text + orders.text


def test_through_the_proxy_each_output_arrives_compressed_and_stays_byte_stable(
    claude_binary: Path, headroom_proxy: Route, tmp_path: Path
) -> None:
    workspace, turns = session(claude_binary, headroom_proxy, tmp_path)
    outputs = [tool_outputs(turn.body, "anthropic") for turn in turns]
    assert [len(sent) for sent in outputs] == [0, 1, 2]
    originals = [workspace.files["app.log"], workspace.files["orders.json"]]
    for sent in outputs[1:]:
        for output, original in zip(sent, originals, strict=False):
            assert MARKER in output.text, output.text[:500]
            assert len(output.text) < len(original.strip())
    # The log's output as turn 2 sent it is the same bytes in turn 3 (its cache_control moved on).
    assert outputs[2][0].call_id == outputs[1][0].call_id
    assert outputs[2][0].raw == outputs[1][0].raw
    # Content was dropped, so headroom_retrieve is offered from the first turn on, and the
    # tools array is the same bytes on every turn.
    assert all("headroom_retrieve" in tool_names(turn.body) for turn in turns)
    assert len({tools_as_written(turn.body) for turn in turns}) == 1


def test_through_the_proxy_retrieve_calls_are_answered_and_claude_code_never_sees_them(
    claude_binary: Path, headroom_proxy: Route, tmp_path: Path
) -> None:
    workspace, turns = session(claude_binary, headroom_proxy, tmp_path, retrieve=True)
    from_claude = [turn for turn in turns if not retrieve_calls_in(turn)]
    follow_ups = [turn for turn in turns if retrieve_calls_in(turn)]
    # Claude Code's own three requests, and one follow-up from the proxy per compressed output.
    assert len(from_claude) == len(SCRIPT) + 1
    assert len(follow_ups) == len(SCRIPT)
    originals = [workspace.files["app.log"], workspace.files["orders.json"]]
    for follow_up, original in zip(follow_ups, originals, strict=True):
        answer = tool_outputs(follow_up.body, "anthropic")[-1]
        assert answer.call_id == retrieve_calls_in(follow_up)[-1]["id"]
        assert answer.text.strip() == original.strip()
    # What Claude Code sends back holds its own calls only, each output still compressed.
    final = tool_outputs(from_claude[-1].body, "anthropic")
    assert len(final) == len(SCRIPT)
    assert all(MARKER in output.text for output in final)
