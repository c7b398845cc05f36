"""docs/integrations.md, run as written against the stub provider.

Each section's Python blocks run in order in a fresh namespace; a block whose first
line names a file (`# litellm_config.yaml`, `# my_proxy.py`) is written to that file
instead, and the section's check uses it the way the text says to.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import litellm
import pytest

from headroom import samples
from headroom.integrations.litellm_callback import HeadroomCallback, HeadroomCallbackType
from tests.integrations.checks import assert_compressed
from tests.proxy.scripted import Call, Reply, ScriptedUpstream, Turn, json_reply, sse_reply
from tests.stub_upstream import StubUpstream

DOC = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"
_FILE_LINE = re.compile(r"#\s*([\w.-]+\.(?:py|yaml))\s*$")

pytestmark = pytest.mark.usefixtures("clean_litellm_callbacks")


@dataclass
class Block:
    language: str
    code: str

    @property
    def file_name(self) -> str | None:
        match = _FILE_LINE.match(self.code.splitlines()[0]) if self.code else None
        return match.group(1) if match else None


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)

    @property
    def snippets(self) -> list[str]:
        return [b.code for b in self.blocks if b.language == "python" and b.file_name is None]


def read_sections() -> dict[str, Section]:
    sections: dict[str, Section] = {}
    current = Section("")
    fence: Block | None = None
    for line in DOC.read_text().splitlines():
        if fence is not None:
            if line.startswith("```"):
                current.blocks.append(fence)
                fence = None
            else:
                fence.code += line + "\n"
        elif line.startswith("```"):
            fence = Block(line[3:].strip(), "")
        elif line.startswith(("## ", "### ")):
            current = sections.setdefault(line.lstrip("#").strip(), Section(line.lstrip("#").strip()))
    return sections


SECTIONS = read_sections()


@pytest.fixture
def doc_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every file the document spells out, written to a folder that is importable."""
    for section in SECTIONS.values():
        for block in section.blocks:
            if block.file_name:
                (tmp_path / block.file_name).write_text(block.code)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


@pytest.fixture(autouse=True)
def provider_environment(upstream: StubUpstream, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the examples' providers at the stub, the way a user points them at the real ones."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    monkeypatch.setenv("OPENAI_BASE_URL", upstream.openai_base)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-stub")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", upstream.url)


def run(title: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": f"docs_{title}"}
    for index, code in enumerate(SECTIONS[title].snippets):
        exec(compile(code, f"{DOC}:{title}:{index}", "exec"), namespace)
    return namespace


def chat_bodies(upstream: StubUpstream) -> list[list[dict[str, Any]]]:
    return [r.json()["messages"] for r in upstream.requests if r.path == "/v1/chat/completions"]


def check_litellm_callback(upstream: StubUpstream, files: Path) -> None:
    run("LiteLLM callback")

    sent = samples.openai_conversation()
    bodies = chat_bodies(upstream)
    assert len(bodies) == 2  # the sync call and the async streaming call
    for body in bodies:
        assert_compressed(sent, body)
    assert_compressed(sent, upstream.last("/v1/messages").json()["messages"])


def check_options(upstream: StubUpstream, files: Path) -> None:
    callback = run("Options and running totals")["callback"]

    assert callback.compressor.pipeline.name == "aggressive"
    assert callback.requests_compressed == 1
    assert callback.total_tokens_saved > 10_000
    assert_compressed(samples.openai_conversation(), chat_bodies(upstream)[-1])


async def _load_and_ask(config: Path) -> Any:
    from litellm.proxy.proxy_server import ProxyConfig

    router, _, _ = await ProxyConfig().load_config(router=None, config_file_path=str(config))
    return await router.acompletion(model="gpt-4o", messages=samples.openai_conversation())


def check_proxy_configs(upstream: StubUpstream, files: Path) -> None:
    asyncio.run(_load_and_ask(files / "litellm_config.yaml"))
    assert HeadroomCallback in litellm.callbacks
    assert_compressed(samples.openai_conversation(), chat_bodies(upstream)[-1])

    litellm.logging_callback_manager._reset_all_callbacks()
    asyncio.run(_load_and_ask(files / "litellm_custom_config.yaml"))
    custom = [cb for cb in litellm.callbacks if isinstance(cb, HeadroomCallbackType)]
    assert [cb.compressor.pipeline.name for cb in custom] == ["aggressive"]
    assert custom[0].requests_compressed == 1
    assert_compressed(samples.openai_conversation(), chat_bodies(upstream)[-1])


def check_asgi_gateway(upstream: StubUpstream, files: Path) -> None:
    reply = run("ASGI middleware")["reply"]

    assert reply.status_code == 200
    assert reply.headers["x-headroom-compressed"] == "true"
    assert int(reply.headers["x-headroom-tokens-saved"]) > 10_000
    assert_compressed(samples.openai_conversation(), chat_bodies(upstream)[-1])


def check_proxy_app(upstream: StubUpstream, files: Path, proxy_app: Any) -> None:
    my_proxy = importlib.import_module("my_proxy")
    from litellm.proxy.proxy_server import initialize

    async def serve_one() -> httpx.Response:
        await initialize(config=str(files / "litellm_config.yaml"))
        transport = httpx.ASGITransport(app=my_proxy.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy") as client:
            payload = {"model": "gpt-4o", "messages": samples.openai_conversation()}
            return await client.post("/v1/chat/completions", json=payload)

    response = asyncio.run(serve_one())

    assert my_proxy.app is proxy_app
    assert response.status_code == 200
    assert response.headers["x-headroom-compressed"] == "true"
    assert_compressed(samples.openai_conversation(), chat_bodies(upstream)[-1])


def _agno_model_turn(body: dict[str, Any]) -> Reply:
    """The model's side of the Agno section's runs: call the tool, then answer once it has the result."""
    answered = any(
        isinstance(message["content"], list)
        and any(b.get("type") == "tool_result" for b in message["content"])
        for message in body["messages"]
    )
    turn = (
        Turn("Nothing failed.")
        if answered
        else Turn(None, [Call("call_1", "search_logs", {"service": "api"})])
    )
    return (sse_reply if body.get("stream") else json_reply)("anthropic", turn)


def _agno_tool_results(body: dict[str, Any]) -> list[str]:
    blocks = [b for m in body["messages"] if isinstance(m["content"], list) for b in m["content"]]
    return [b["content"] for b in blocks if b.get("type") == "tool_result"]


def check_agno(upstream: StubUpstream, files: Path) -> None:
    # The section's agent calls its tool: played by a scripted provider, not the fixed-reply stub.
    with ScriptedUpstream() as scripted, pytest.MonkeyPatch.context() as env:
        env.setenv("ANTHROPIC_BASE_URL", scripted.url)
        scripted.queue("/v1/messages", *[_agno_model_turn] * 6)
        namespace = run("Agno")
    bodies = [r.json() for r in scripted.requests_to("/v1/messages")]

    results = [text for body in bodies for text in _agno_tool_results(body)]
    assert len(bodies) == 6 and len(results) == 3  # three runs: plain, streaming, async
    original = namespace["search_logs"]("api")
    for text in results:
        assert_compressed([{"role": "tool", "content": original}], [{"role": "tool", "content": text}])
    assert namespace["model"].total_tokens_saved > 0
    assert [record.compressed for record in namespace["model"].records] == [False, True] * 3
    assert namespace["tuned"].compressor.pipeline.name == "aggressive"


def check_langchain(upstream: StubUpstream, files: Path) -> None:
    namespace = run("LangChain")

    assert namespace["response"].content == "stub reply"
    hello, *turns = chat_bodies(upstream)
    assert hello == [{"role": "user", "content": "Hello!"}]  # under min_tokens: sent as it is
    assert len(turns) == 3  # invoke, stream, bind_tools(...).invoke
    for body in turns:
        assert_compressed(samples.openai_conversation(), body)
    assert namespace["llm"].total_tokens_saved > 10_000
    assert namespace["llm"].last_call.compressed


def check_langgraph(upstream: StubUpstream, files: Path) -> None:
    from langchain_core.messages import ToolMessage

    state = run("LangGraph and the headroom_retrieve tool")["state"]

    (request,) = [r.json() for r in upstream.requests if r.path == "/v1/chat/completions"]
    assert_compressed(samples.openai_conversation(), request["messages"])
    assert "headroom_retrieve" in [tool["function"]["name"] for tool in request["tools"]]
    originals = [m["content"] for m in samples.openai_conversation() if m["role"] == "tool"]
    assert [m.content for m in state["messages"] if isinstance(m, ToolMessage)] == originals


CHECKS: dict[str, Callable[[StubUpstream, Path], None]] = {
    "LiteLLM callback": check_litellm_callback,
    "Options and running totals": check_options,
    "LiteLLM proxy": check_proxy_configs,
    "ASGI middleware": check_asgi_gateway,
    "Agno": check_agno,
    "LangChain": check_langchain,
    "LangGraph and the headroom_retrieve tool": check_langgraph,
}


@pytest.mark.parametrize("title", list(CHECKS))
def test_section_runs_as_written(title: str, upstream: StubUpstream, doc_files: Path) -> None:
    CHECKS[title](upstream, doc_files)


def test_proxy_app_section_runs_as_written(upstream, doc_files, fresh_proxy_app, monkeypatch) -> None:
    monkeypatch.delitem(sys.modules, "my_proxy", raising=False)
    check_proxy_app(upstream, doc_files, fresh_proxy_app)


def test_every_section_with_code_is_checked() -> None:
    with_code = {title for title, section in SECTIONS.items() if section.blocks}
    assert with_code == {*CHECKS, "On the LiteLLM proxy app"}
