"""Compiled plans (headroom/plan.py): shipped pipelines load without validating again, and run the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from headroom.ccr.stores import MemoryStore
from headroom.compress import compress
from headroom.pipeline.loading import load_pipeline, pipeline_from_yaml, spec_of
from headroom.pipeline.plan import compile_plan, load_plan, plan_path, plan_text
from headroom.pipeline.shipped import builtin_dir
from headroom.pipeline.spec import json_schema
from tests.helpers import modules_loaded_by, openai_tool_turn

SHIPPED = sorted(builtin_dir().glob("*.yaml"))
LOG = "\n".join(
    [f"2024-05-01T10:00:{i % 60:02d}Z INFO worker-{i % 7} handled job {i} in {i % 13} ms" for i in range(400)]
    + ["2024-05-01T10:07:00Z ERROR worker-3 job 4711 failed: connection reset by peer"]
)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_each_shipped_pipeline_has_an_up_to_date_plan(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fresh = plan_text(compile_plan(pipeline_from_yaml(text, path.name), text))
    assert plan_path(path).read_text(encoding="utf-8") == fresh, "stale plan: run `headroom schema --write`"


def test_the_shipped_schema_is_up_to_date() -> None:
    shipped = (builtin_dir() / "schema.json").read_text(encoding="utf-8")
    assert json.loads(shipped) == json_schema(built_in_only=True), (
        "stale schema: run `headroom schema --write`"
    )


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_a_plan_builds_the_same_pipeline_as_validating_the_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    validated = pipeline_from_yaml(text, path.name)
    planned = load_plan(path, text, path.name)
    assert planned is not None
    assert (planned.name, planned.order, planned.fingerprint) == (
        validated.name,
        validated.order,
        validated.fingerprint,
    )
    assert {stage_id: planned.stage(stage_id).params for stage_id in planned.order} == {
        stage_id: validated.stage(stage_id).params for stage_id in validated.order
    }
    assert sorted(planned.graph.edges) == sorted(validated.graph.edges)
    assert spec_of(planned) == spec_of(validated)


def test_a_plan_and_a_validated_pipeline_give_the_same_bytes() -> None:
    path = builtin_dir() / "default.yaml"
    messages = openai_tool_turn(LOG, "Why did job 4711 fail?")
    planned = compress(messages, pipeline=load_pipeline("default"), store=MemoryStore())
    validated = compress(messages, pipeline=pipeline_from_yaml(path.read_text(), "x"), store=MemoryStore())
    assert planned.transforms_applied  # it did compress
    assert planned.messages == validated.messages


def test_a_plan_is_ignored_once_the_yaml_changes(tmp_path: Path) -> None:
    shipped = builtin_dir() / "default.yaml"
    copy = tmp_path / "default.yaml"
    plan = plan_path(copy)
    plan.write_text(plan_path(shipped).read_text())
    copy.write_text(shipped.read_text())
    assert load_plan(copy, copy.read_text(), "copy") is not None
    edited = shipped.read_text().replace("target_ratio: 0.25", "target_ratio: 0.3")
    assert edited != shipped.read_text()
    copy.write_text(edited)
    assert load_plan(copy, edited, "copy") is None  # the YAML is validated as usual instead
    assert load_pipeline(copy).stage("budget").params.target_ratio == 0.3  # type: ignore[attr-defined]


def test_a_broken_plan_falls_back_to_validating(tmp_path: Path) -> None:
    copy = tmp_path / "default.yaml"
    copy.write_text((builtin_dir() / "default.yaml").read_text())
    plan_path(copy).write_text("{not json")
    assert load_plan(copy, copy.read_text(), "copy") is None
    assert load_pipeline(copy).order == load_pipeline("default").order


def test_a_first_call_with_the_default_pipeline_loads_neither_pydantic_nor_networkx() -> None:
    messages = openai_tool_turn(LOG, "Why did job 4711 fail?")
    code = f"from headroom import compress\nassert compress({messages!r}).transforms_applied\n"
    loaded = modules_loaded_by(code)
    assert "headroom.stages.crush.log" in loaded  # it did run the log compressor
    assert not {"pydantic", "networkx", "yaml"} & loaded
    # a request of logs never loads the compressors of other content types
    assert not {"headroom.stages.crush.html", "headroom.content.html", "headroom.content.code"} & loaded
