"""Codex (the real CLI from npm, pinned) through the proxy, with `codex exec`.

Codex ignores OPENAI_BASE_URL: it is pointed at the proxy by a `model_providers` entry in
`$CODEX_HOME/config.toml` (base_url = the proxy's /v1, wire_api = "responses", the key read
from the variable `env_key` names). A scripted model plays the model over three turns of
streamed /v1/responses: run `cat app.log` (exec_command), run `cat orders.json`, answer.

- Control, no proxy: each command's output reaches the model whole.
- Through the proxy: each output arrives compressed, and an output already sent is written
  with the same bytes on every later turn.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from headroom import samples
from tests.proxy.agents.conftest import ProxyRoute, Route
from tests.proxy.agents.responses_model import FINAL_ANSWER, RETRIEVE_TOOL, ScriptedCodexModel
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

PROMPT = "Read the logs and the orders and tell me which order failed."
LOGS = ["app.log", "worker.log"]
KEY_VARIABLE = "HEADROOM_TEST_CODEX_KEY"
API_KEY = "sk-test-codex-0123456789"
_RUN_LIMIT_SECONDS = 180


def codex_config(base_url: str) -> str:
    """config.toml: our provider, and nothing that would reach out past it (updates,
    analytics, plugin and app sync). A model Codex knows, so its own output limits apply."""
    return f"""\
model = "gpt-5.5"
model_provider = "headroom"
approval_policy = "never"
check_for_update_on_startup = false

[model_providers.headroom]
name = "Headroom proxy"
base_url = "{base_url}/v1"
wire_api = "responses"
env_key = "{KEY_VARIABLE}"

[analytics]
enabled = false

[features]
plugins = false
remote_plugin = false
apps = false
"""


def final_message(jsonl: str) -> str | None:
    """The agent's last message in `codex exec --json` output."""
    text = None
    for line in jsonl.splitlines():
        event = json.loads(line) if line.startswith("{") else {}
        item = event.get("item") or {}
        if event.get("type") == "item.completed" and item.get("type") == "agent_message":
            text = item.get("text")
    return text


def run_codex(binary: Path, workspace: Workspace, base_url: str) -> str | None:
    """One `codex exec` session; returns the agent's final message. Never prompts: approvals
    are off, commands run unsandboxed (the test's temp dir is the workspace), stdin is closed."""
    codex_home = workspace.home / ".codex"
    codex_home.mkdir(exist_ok=True)
    (codex_home / "config.toml").write_text(codex_config(base_url))
    env = {**workspace.base_env(), "CODEX_HOME": str(codex_home), KEY_VARIABLE: API_KEY}
    command = [
        str(binary),
        "exec",
        "--json",
        "--skip-git-repo-check",
        "--sandbox",
        "danger-full-access",
        "--cd",
        str(workspace.project),
        PROMPT,
    ]
    started = time.monotonic()
    done = subprocess.run(
        command,
        cwd=workspace.project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=_RUN_LIMIT_SECONDS,
    )
    print(f"codex exec ran {time.monotonic() - started:.1f}s")
    assert done.returncode == 0, (
        f"codex exited {done.returncode}\nstdout: {done.stdout[-3000:]}\nstderr: {done.stderr[-3000:]}"
    )
    return final_message(done.stdout)


def session(
    binary: Path, route: Route, tmp_path: Path, files: list[str], *, retrieve: bool = False
) -> tuple[Workspace, list[RecordedRequest]]:
    """Run the scripted session (`cat` each of `files`); the requests of each agent turn, in order."""
    workspace = Workspace.create(tmp_path)
    commands = [f"cat {name}" for name in files]
    model = ScriptedCodexModel(commands, str(workspace.project), retrieve=retrieve)
    with serve_in_thread(model.app) as model_url, route(model_url) as base_url:
        answer = run_codex(binary, workspace, base_url)
    assert answer == FINAL_ANSWER
    turns = model.agent_turns()
    if not retrieve:
        assert len(turns) == len(commands) + 1, [r.path for r in model.requests]
    return workspace, turns


def retrieve_calls_in(turn: RecordedRequest) -> list[dict[str, Any]]:
    """The headroom_retrieve calls in a request's input."""
    items = turn.json()["input"]
    return [
        item for item in items if item.get("type") == "function_call" and item.get("name") == RETRIEVE_TOOL
    ]


def outputs_of(turns: list[RecordedRequest]) -> list[list[Any]]:
    return [tool_outputs(turn.body, "responses") for turn in turns]


def test_without_a_proxy_the_model_receives_each_output_whole(
    codex_binary: Path, no_proxy: Route, tmp_path: Path
) -> None:
    workspace, turns = session(codex_binary, no_proxy, tmp_path, LOGS)
    check_whole(outputs_of(turns), [workspace.files[name] for name in LOGS])


def test_through_the_proxy_each_output_arrives_compressed_and_stays_byte_stable(
    codex_binary: Path, headroom_proxy: ProxyRoute, tmp_path: Path
) -> None:
    workspace, turns = session(codex_binary, headroom_proxy, tmp_path, LOGS)
    check_compressed_and_stable(outputs_of(turns), [workspace.files[name] for name in LOGS])
    # Content was dropped, so headroom_retrieve is offered from the first turn on, and the
    # tools array is the same bytes on every turn.
    assert all(RETRIEVE_TOOL in tool_names(turn.body) for turn in turns)
    assert len({tools_as_written(turn.body) for turn in turns}) == 1
    # The agent's key went upstream, and never into the proxy's log (one line a request, at debug level).
    assert all(API_KEY in json.dumps(turn.headers) for turn in turns)
    logged = headroom_proxy.log.read_text()
    assert logged.count("/v1/responses") >= len(turns)
    assert API_KEY not in logged


def test_through_the_proxy_retrieve_calls_are_answered_and_codex_never_sees_them(
    codex_binary: Path, headroom_proxy: ProxyRoute, tmp_path: Path
) -> None:
    workspace, turns = session(codex_binary, headroom_proxy, tmp_path, LOGS, retrieve=True)
    originals = [workspace.files[name] for name in LOGS]
    check_retrieve_loop(turns, originals, "responses", retrieve_calls_in, "call_id")


def test_through_the_proxy_json_output_arrives_compressed(
    codex_binary: Path, headroom_proxy: ProxyRoute, tmp_path: Path
) -> None:
    workspace, turns = session(codex_binary, headroom_proxy, tmp_path, ["orders.json"])
    (orders,) = tool_outputs(turns[1].body, "responses")
    assert MARKER in orders.text
    assert len(orders.text) < len(workspace.files["orders.json"])
    # Codex's header above the output is kept as it wrote it, up to its "Output:" line.
    head, lead_in, body = orders.text.partition("\nOutput:\n")
    assert lead_in and head.startswith("Chunk ID: ") and "Process exited with code 0" in head
    assert body.startswith("[") and MARKER not in head
    # The record the prompt asks about (the one that failed) is kept.
    _records, failed = samples.json_records(count=100, error_at=61)
    assert failed["id"] in body and failed["error"] in body
