"""Loading: `extends:` overlays of a shipped or a sibling file, and pipelines built in code."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from headroom import compress
from headroom.ccr.stores import MemoryStore
from headroom.pipeline import PipelineBuilder, PipelineSpecError, load_pipeline
from headroom.stages.classify import Classify
from headroom.stages.crush.json import CrushJson
from headroom.stages.score import Score


def _write(folder: Path, name: str, document: dict[str, object]) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_an_overlay_changes_one_param_and_leaves_the_rest_as_shipped(tmp_path: Path) -> None:
    shipped = load_pipeline("default")
    path = _write(
        tmp_path,
        "tight.yaml",
        {"extends": "default.yaml", "name": "tight", "stages": {"budget": {"params": {"target_ratio": 0.5}}}},
    )
    tight = load_pipeline(path)
    assert tight.name == "tight"
    assert tight.order == shipped.order
    assert tight.entries["budget"].params["target_ratio"] == 0.5
    for stage_id in shipped.order:
        before, after = dict(shipped.entries[stage_id].params), dict(tight.entries[stage_id].params)
        if stage_id == "budget":
            before.pop("target_ratio"), after.pop("target_ratio")
        assert after == before, stage_id


def test_an_overlay_disables_adds_and_reorders_single_stages(tmp_path: Path) -> None:
    budget_after = [*load_pipeline("default").entries["budget"].after, "crush_json_again"]
    extra = {"use": "crush.json.v1", "after": ["crush_json"], "params": {"max_items": 3}}
    document = {
        "extends": "default",
        "stages": {"cache": {"enabled": False}, "crush_json_again": extra, "budget": {"after": budget_after}},
    }
    mine = load_pipeline(_write(tmp_path, "mine.yaml", document))
    assert "cache" not in mine.order
    assert mine.order.index("crush_json") < mine.order.index("crush_json_again") < mine.order.index("budget")
    assert mine.entries["crush_json_again"].params["max_items"] == 3
    assert mine.name == load_pipeline("default").name  # inherited when not given


def test_an_overlay_of_an_overlay_in_the_same_folder(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "base.yaml",
        {"extends": "default.yaml", "stages": {"budget": {"params": {"target_ratio": 0.4}}}},
    )
    path = _write(tmp_path, "top.yaml", {"extends": "base.yaml", "name": "top", "stages": {}})
    assert load_pipeline(path).entries["budget"].params["target_ratio"] == 0.4


def test_an_overlay_that_names_a_missing_file_or_a_wrong_field_raises_where(tmp_path: Path) -> None:
    missing = _write(tmp_path, "a.yaml", {"extends": "nowhere.yaml", "stages": {}})
    with pytest.raises(PipelineSpecError, match=r"extends.*no pipeline file 'nowhere.yaml'"):
        load_pipeline(missing)
    wrong = _write(tmp_path, "b.yaml", {"extends": "default", "stages": {"budget": {"parms": {}}}})
    with pytest.raises(PipelineSpecError, match=r"stages -> budget -> parms.*did you mean"):
        load_pipeline(wrong)
    bad_param = _write(
        tmp_path, "c.yaml", {"extends": "default", "stages": {"budget": {"params": {"target_ratoi": 1}}}}
    )
    with pytest.raises(PipelineSpecError, match=r"stages -> budget -> params -> target_ratoi"):
        load_pipeline(bad_param)


def test_a_loop_of_overlays_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "x.yaml", {"extends": "y.yaml", "stages": {}})
    path = _write(tmp_path, "y.yaml", {"extends": "x.yaml", "stages": {}})
    with pytest.raises(PipelineSpecError, match="levels of extends"):
        load_pipeline(path)


def test_a_pipeline_built_in_code_runs_its_own_instances_and_round_trips_as_yaml(
    records_json: str,
) -> None:
    crush = CrushJson(CrushJson.Params(max_items=4))
    pipeline = (
        PipelineBuilder("in-code")
        .add_stage("classify", Classify())
        .add_stage("score", Score(), after=["classify"])
        .add_stage("crush_json", crush, after=["score"])
        .build()
    )
    assert pipeline.order == ["classify", "score", "crush_json"]
    assert pipeline.stage("crush_json") is crush
    messages = [
        {"role": "user", "content": "Which order failed?"},
        {"role": "tool", "tool_call_id": "a", "content": records_json},
    ]
    result = compress(messages, pipeline=pipeline, store=MemoryStore())
    assert result.tokens_after < result.tokens_before
    again = load_pipeline(yaml.safe_load(pipeline.to_yaml()))
    assert again.order == pipeline.order
    assert again.entries["crush_json"].params == pipeline.entries["crush_json"].params


def test_a_built_pipeline_is_validated_like_a_file() -> None:
    with pytest.raises(PipelineSpecError, match="requires"):
        PipelineBuilder("broken").add_stage("crush_json", CrushJson()).build()
