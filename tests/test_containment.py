"""A failure is contained to the smallest unit that failed: a block, then a message.

A stage that fails on one block leaves that block as it came and every other block with its
normal output; in a session, the blocks compressed on earlier turns keep the form they were
sent in, so the provider's prompt cache never breaks.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest

from headroom import compress
from headroom.ccr.stores import MemoryStore
from headroom.content import detect_label, parse
from headroom.content.diff import DiffDocument
from headroom.pipeline import registry
from headroom.pipeline.stage import BlockState, RunState, Stage, StageParams, block_guard
from tests.helpers import PIPELINES

FIXTURES = Path(__file__).parent / "fixtures"
FAULT_PIPELINE = PIPELINES / "fault.yaml"


class FaultParams(StageParams):
    needle: str = "NO NEEDLE"  # fails on the blocks whose text holds this
    where: Literal["block", "run", "unguarded"] = "block"


class Fault(Stage):
    """Test only: narrows each block holding the needle, then fails on it. `block`: in process_block;
    `run`: in a run that looks across blocks, each in a block_guard; `unguarded`: in a run with no
    guard, so the executor's fallback must find the block it touched. Does nothing until armed."""

    requires = frozenset({"labels"})
    Params = FaultParams
    params: FaultParams
    armed = False

    async def run(self, state: RunState) -> None:
        if self.params.where == "block":
            await super().run(state)
            return
        open_blocks = [block for block in state.blocks if self.applies_to(block)]
        total = sum(len(block.text) for block in open_blocks)  # looks across every block
        for block in open_blocks:
            if self.params.where == "run":
                with block_guard(self, state, block):
                    self.process_block(block, state, total)
            else:
                self.process_block(block, state, total)

    def process_block(self, block: BlockState, state: RunState, total: int = 0) -> None:
        if not (Fault.armed and self.params.needle in block.text):
            return
        if block.document is not None:
            block.keep = [False] * len(block.document.units)  # half done: this must be undone
        raise RuntimeError(f"fault injected on {len(block.text)} of {total} characters")


@pytest.fixture(autouse=True)
def fault_stage() -> Iterator[None]:
    registry.names()
    registry.register("test.fault.v1")(Fault)
    yield
    Fault.armed = False
    registry._stages.pop("test.fault.v1", None)


def _fixture(name: str, limit: int = 30_000) -> str:
    text = (FIXTURES / "tool_output" / name).read_text(encoding="utf-8")
    return text if len(text) <= limit else text[: text.rindex("\n", 0, limit)]


# One tool output per turn, of different kinds (log, diff, test run, access log, listing).
OUTPUTS = [
    _fixture("dpkg.log"),
    _fixture("git_show_lock_bump.txt"),
    _fixture("pytest_verbose_failures.txt"),
    _fixture("http_server_access.log"),
    _fixture("kubectl_get_pods.txt"),
]
QUERY = "Which packages changed, and which tests failed?"


def _turns() -> list[list[dict[str, Any]]]:
    """The requests of an agent session: each adds one tool call and its output."""
    history: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a careful coding agent."},
        {"role": "user", "content": QUERY},
    ]
    requests = []
    for turn, output in enumerate(OUTPUTS):
        call = {"id": f"call_{turn}", "type": "function", "function": {"name": "run", "arguments": "{}"}}
        history.append({"role": "assistant", "content": None, "tool_calls": [call]})
        history.append({"role": "tool", "tool_call_id": f"call_{turn}", "content": output})
        requests.append(list(history))
    return requests


def _session(pipeline: Path, armed_from: int | None) -> list[tuple[list[Any], list[str]]]:
    """Each turn's (messages sent, failures), with the fault armed from turn `armed_from` on."""
    store = MemoryStore()
    sent = []
    for turn, messages in enumerate(_turns()):
        Fault.armed = armed_from is not None and turn >= armed_from
        result = compress(messages, pipeline=pipeline, store=store, session="agent")
        sent.append((result.messages, result.failures))
    return sent


def _with_needle(needle: str, where: str) -> str:
    text = FAULT_PIPELINE.read_text()
    return text.replace("needle: NO NEEDLE", f"needle: {json.dumps(needle)}").replace(
        "where: block", f"where: {where}"
    )


def _pipeline_file(folder: Path, name: str, needle: str, where: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(_with_needle(needle, where))
    return path


FAULT_TURN = 2
NEW_BLOCK_MESSAGE = 2 + 2 * FAULT_TURN + 1  # the tool output the fault turn adds
EARLIER_BLOCK_MESSAGE = 3  # the first turn's tool output


@pytest.mark.parametrize("where", ["block", "run", "unguarded"])
def test_a_stage_failing_on_one_block_of_a_session_changes_no_other_block_and_no_earlier_turn(
    tmp_path: Path, where: str
) -> None:
    # The needle is in the fault turn's new output and in the first turn's (answered from the session).
    needle = "\n".join(OUTPUTS[FAULT_TURN].split("\n")[3:4])
    first_turn_needle = OUTPUTS[0].split("\n")[5]
    pipeline = _pipeline_file(tmp_path, "new_block", needle, where)
    earlier = _pipeline_file(tmp_path, "earlier_block", first_turn_needle, where)
    assert needle in OUTPUTS[FAULT_TURN] and needle not in OUTPUTS[0]

    clean = _session(pipeline, armed_from=None)
    faulty = _session(pipeline, armed_from=FAULT_TURN)

    for turn, ((clean_messages, clean_failures), (messages, failures)) in enumerate(
        zip(clean, faulty, strict=True)
    ):
        assert clean_failures == []
        if turn < FAULT_TURN:
            assert messages == clean_messages and failures == []
            continue
        original = _turns()[turn]
        for index, (message, clean_message) in enumerate(zip(messages, clean_messages, strict=True)):
            if index == NEW_BLOCK_MESSAGE:
                assert message == original[index]  # the block that failed goes out as it came, on every turn
                assert clean_message != original[index]
            else:
                assert json.dumps(message) == json.dumps(clean_message), (turn, index)
        if turn == FAULT_TURN:
            assert len(failures) == 1 and "test.fault.v1" in failures[0]
            assert f"(message {NEW_BLOCK_MESSAGE})" in failures[0] or where == "unguarded"

    # A block compressed on an earlier turn is answered from the session: a later fault never reaches it.
    clean_first = _session(earlier, armed_from=None)
    faulty_first = _session(earlier, armed_from=FAULT_TURN)
    assert [messages for messages, _ in faulty_first] == [messages for messages, _ in clean_first]
    assert clean_first[FAULT_TURN][0][EARLIER_BLOCK_MESSAGE] != _turns()[FAULT_TURN][EARLIER_BLOCK_MESSAGE]


@pytest.mark.parametrize("calls", [5, True, "call", {"id": "c"}])
def test_a_message_with_tool_calls_that_are_not_a_list_is_skipped_alone(calls: Any) -> None:
    messages = [
        {"role": "user", "content": QUERY},
        {"role": "assistant", "content": None, "tool_calls": calls},
        {"role": "tool", "tool_call_id": "c", "content": OUTPUTS[0]},
    ]

    result = compress(messages, store=MemoryStore())

    assert len(result.messages[2]["content"]) < len(OUTPUTS[0]) / 2  # the rest was still compressed
    assert result.messages[1] == messages[1]
    assert result.failures == [f"message 1: tool_calls is {type(calls).__name__}, not a list; ignored"]


def test_a_message_of_a_shape_nobody_foresaw_is_skipped_alone() -> None:
    class Odd(dict):  # a mapping whose reads fail
        def get(self, key: Any, default: Any = None) -> Any:
            if key == "content":
                raise KeyError("content is not readable")
            return super().get(key, default)

    messages = [
        {"role": "user", "content": QUERY},
        Odd(role="tool", tool_call_id="x", content="unreadable"),
        {"role": "tool", "tool_call_id": "c", "content": OUTPUTS[0]},
    ]

    result = compress(messages, store=MemoryStore())

    assert len(result.messages[2]["content"]) < len(OUTPUTS[0]) / 2
    assert result.messages[1] is messages[1]
    assert any(failure.startswith("message 1: KeyError") for failure in result.failures)


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_log_p_G_with_a_file_that_has_no_hunks_is_read(tmp_path: Path) -> None:
    """The issue's `zip() argument 2 is longer than argument 1`: a file section with no hunk (a binary
    file, an empty new file) beside the matching change."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "dev@example.com")
    _git(repo, "config", "user.name", "dev")
    lines = (FIXTURES / "tool_output" / "dpkg.log").read_text(encoding="utf-8").split("\n")
    (repo / "dpkg.log").write_text("\n".join(lines))
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "first")
    edited = [line + " (edited)" if index % 40 == 0 else line for index, line in enumerate(lines)]
    (repo / "dpkg.log").write_text("\n".join(edited))
    (repo / "empty.txt").write_text("")
    (repo / "blob.bin").write_bytes(bytes(range(256)))
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "second")
    text = _git(repo, "log", "-p", "--pickaxe-all", "-Gedited")
    assert "Binary files /dev/null and b/blob.bin differ" in text and "diff --git a/empty.txt" in text

    document = parse(detect_label(text), text)
    messages = [
        {"role": "user", "content": "Which files did the second commit add?"},
        {"role": "tool", "tool_call_id": "c", "content": text},
    ]
    result = compress(messages, store=MemoryStore(), strict=True)  # strict: any failure raises

    assert isinstance(document, DiffDocument)
    assert {section.path: len(section.hunks) for section in document.sections if not section.hunks} == {
        "blob.bin": 0,
        "empty.txt": 0,
    }
    assert result.failures == []
