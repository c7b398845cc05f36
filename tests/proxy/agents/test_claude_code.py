"""Claude Code (the real CLI from npm, pinned) through the proxy, in print mode.

A scripted model plays Claude over four turns: print app.log (Bash), print orders.json
(Bash), read worker.log (Read), then answer. Claude Code runs each tool and sends its output
back in the next request, with the whole history, as it does against the real API.

- Control, no proxy: the model receives every output whole, as the files hold them.
- Through the proxy: the model receives each output compressed (a marker, fewer bytes), and
  an output already sent is written with the same bytes on every later turn, so the
  provider's prompt cache would keep hitting; the tools array is the same bytes every turn.
- Retrieval: a model that calls `headroom_retrieve` on each compressed output gets the
  original from the proxy, which then asks it again and splices the rounds into one stream:
  Claude Code finishes its session without ever seeing the call.
- Read numbers the lines of what it reads ("1\\t[", "2\\t  {"): a JSON file so read still
  arrives compressed as JSON, each kept line with its own number (`headroom.content.framing`).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from headroom import samples
from tests.proxy.agents.anthropic_model import FINAL_ANSWER, RETRIEVE_TOOL, ScriptedClaude, ToolCall
from tests.proxy.agents.conftest import ProxyRoute, Route
from tests.proxy.agents.sessions import (
    MARKER,
    Workspace,
    check_compressed_and_stable,
    check_retrieve_loop,
    check_whole,
    tool_names,
    tool_outputs,
    tools_as_written,
)
from tests.stub_upstream import RecordedRequest, serve_in_thread

pytestmark = pytest.mark.slow

PROMPT = "Read app.log, orders.json and worker.log and tell me which request failed."
# The tools Claude Code may use without asking: print mode never prompts, it refuses instead.
ALLOWED_TOOLS = ["Bash(cat:*)", "Read"]
API_KEY = "sk-ant-test-agents-0123456789"
_RUN_LIMIT_SECONDS = 180


def bash_cat(name: str) -> ToolCall:
    return ToolCall("Bash", {"command": f"cat {name}", "description": f"Print {name}"})


def read(workspace: Workspace, name: str) -> ToolCall:
    return ToolCall("Read", {"file_path": str(workspace.project / name)})


def the_script(workspace: Workspace) -> list[tuple[str, ToolCall]]:
    """(the file each call shows, the call), in the order the model makes them."""
    return [
        ("app.log", bash_cat("app.log")),
        ("orders.json", bash_cat("orders.json")),
        ("worker.log", read(workspace, "worker.log")),
    ]


def claude_env(workspace: Workspace, base_url: str) -> dict[str, str]:
    return {
        **workspace.base_env(),
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": API_KEY,
        # Nothing but the model's API: no updates, telemetry, error reports or feature-flag calls.
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
    }


def run_claude(binary: Path, workspace: Workspace, base_url: str) -> dict[str, Any]:
    """One print-mode session; returns Claude Code's JSON result. Never prompts: the tools
    it needs are allowed up front, and stdin is closed."""
    command = [str(binary), "-p", PROMPT, "--allowedTools", *ALLOWED_TOOLS]
    command += ["--output-format", "json", "--max-turns", "10"]
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
    assert result.get("result") == FINAL_ANSWER, result
    assert not result.get("permission_denials"), result["permission_denials"]
    return result


def session(
    binary: Path, route: Route, tmp_path: Path, *, retrieve: bool = False, files: list[str] | None = None
) -> tuple[list[str], list[RecordedRequest]]:
    """Run the scripted session (the calls for `files`, all of them when None); returns the
    originals the calls showed, in order, and the requests of each agent turn."""
    workspace = Workspace.create(tmp_path)
    steps = [step for step in the_script(workspace) if files is None or step[0] in files]
    model = ScriptedClaude([call for _name, call in steps], retrieve=retrieve)
    with serve_in_thread(model.app) as model_url, route(model_url) as base_url:
        run_claude(binary, workspace, base_url)
    return [workspace.files[name] for name, _call in steps], model.agent_turns()


def outputs_of(turns: list[RecordedRequest]) -> list[list[Any]]:
    return [tool_outputs(turn.body, "anthropic") for turn in turns]


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
    originals, turns = session(claude_binary, no_proxy, tmp_path)
    check_whole(outputs_of(turns), originals)


def test_through_the_proxy_each_output_arrives_compressed_and_stays_byte_stable(
    claude_binary: Path, headroom_proxy: ProxyRoute, tmp_path: Path
) -> None:
    originals, turns = session(claude_binary, headroom_proxy, tmp_path)
    check_compressed_and_stable(outputs_of(turns), originals)
    # Content was dropped, so headroom_retrieve is offered from the first turn on, and the
    # tools array is the same bytes on every turn.
    assert all(RETRIEVE_TOOL in tool_names(turn.body) for turn in turns)
    assert len({tools_as_written(turn.body) for turn in turns}) == 1
    # The agent's key went upstream, and never into the proxy's log (one line a request, at debug level).
    assert all(API_KEY in json.dumps(turn.headers) for turn in turns)
    logged = headroom_proxy.log.read_text()
    assert logged.count("/v1/messages") >= len(turns)
    assert API_KEY not in logged


def test_through_the_proxy_retrieve_calls_are_answered_and_claude_code_never_sees_them(
    claude_binary: Path, headroom_proxy: ProxyRoute, tmp_path: Path
) -> None:
    originals, turns = session(claude_binary, headroom_proxy, tmp_path, retrieve=True)
    check_retrieve_loop(turns, originals, "anthropic", retrieve_calls_in, "id")


def test_through_the_proxy_a_json_file_read_with_read_arrives_compressed(
    claude_binary: Path, headroom_proxy: ProxyRoute, tmp_path: Path
) -> None:
    workspace = Workspace.create(tmp_path)
    model = ScriptedClaude([read(workspace, "orders.json")])
    with serve_in_thread(model.app) as model_url, headroom_proxy(model_url) as base_url:
        run_claude(claude_binary, workspace, base_url)
    (orders,) = tool_outputs(model.agent_turns()[1].body, "anthropic")
    assert MARKER in orders.text
    assert len(orders.text) < len(workspace.files["orders.json"])
    # Every line is a line of the file with its own number in front, or a marker.
    file_lines = workspace.files["orders.json"].split("\n")
    for line in orders.text.split("\n"):
        if line.startswith(MARKER):
            continue
        number, tab, rest = line.lstrip(" ").partition("\t")
        assert tab and file_lines[int(number) - 1] == rest, line
    # The record the prompt asks about (the one that failed) is kept whole.
    _records, failed = samples.json_records(count=100, error_at=61)
    assert f'"error": "{failed["error"]}"' in orders.text
