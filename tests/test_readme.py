"""The README stays true: its examples are the tested ones, and its pipeline is the shipped one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from headroom.pipeline.loading import load_pipeline, spec_of

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
_FENCE = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def _blocks(text: str, language: str) -> list[str]:
    return [body for lang, body in _FENCE.findall(text) if lang == language]


def test_the_integration_examples_are_the_ones_the_docs_test_runs() -> None:
    docs = (ROOT / "docs" / "integrations.md").read_text(encoding="utf-8")
    examples = _blocks(_section("Integrations"), "python")
    assert len(examples) == 2
    for example in examples:
        assert example in docs, "README example differs from docs/integrations.md (run as written)"


def test_the_pipeline_shown_is_the_shipped_default() -> None:
    (shown,) = _blocks(_section("Pipelines are YAML"), "yaml")
    shipped = spec_of(load_pipeline("default"))
    raw = yaml.safe_load(shown)
    assert raw["name"] == shipped.name
    assert list(raw["stages"]) == list(shipped.stages)
    for stage_id, body in raw["stages"].items():
        spec = shipped.stages[stage_id]
        assert body["use"] == spec.use
        assert body.get("after", []) == spec.after
        assert body.get("params", {}) == spec.params


def test_every_registered_stage_is_in_the_stage_table() -> None:
    from headroom.pipeline import registry

    table = _section("Pipelines are YAML")
    for name in registry.names():
        assert f"| `{name}` |" in table, f"{name} is missing from the README's stage table"


def test_the_readme_opens_with_the_two_commands() -> None:
    (commands,) = _blocks(README[: README.index("## ")], "bash")
    setup_and_run, run_tests = commands.strip().splitlines()
    assert setup_and_run.endswith("headroom compress examples/incident.json")
    assert run_tests.endswith("python -m pytest")
    # The first command is quick: it installs what compressing needs, not the test tools.
    assert "pip install -e . &&" in setup_and_run and "[" not in setup_and_run
    assert 'pip install -e ".[dev]"' in run_tests


def test_the_core_dependencies_leave_the_test_tools_to_the_dev_extra() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = {
        re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0].lower()
        for requirement in project["dependencies"]
    }
    tools = {"pytest", "hypothesis", "ruff", "mypy", "ipykernel", "matplotlib", "fastapi", "uvicorn"}
    assert not core & tools


def test_the_example_figures_are_what_the_first_command_prints() -> None:
    import json

    from headroom import compress
    from headroom.ccr.stores import MemoryStore
    from headroom.tokens import count_message_tokens

    data = json.loads((ROOT / "examples" / "incident.json").read_text(encoding="utf-8"))
    model = data.get("model", "gpt-4o")
    result = compress(data["messages"], model=model, store=MemoryStore())
    pairs = [
        (count_message_tokens([old], model), count_message_tokens([new], model))
        for old, new in zip(data["messages"], result.messages, strict=True)
    ]
    shown = {
        row[0]: (int(row[1].replace(",", "")), int(row[2].replace(",", "")))
        for row in re.findall(r"^\| ([^|]+?) \| ([\d,]+) \| ([\d,]+) \| [\d.]+% \|$", README, re.MULTILINE)
    }
    assert shown["tool: 300 JSON records, one failed"] == pairs[3]
    assert shown["tool: 2,000-line log, 3 stack traces"] == pairs[4]
    assert shown["whole request"] == (sum(old for old, _ in pairs), sum(new for _, new in pairs))
