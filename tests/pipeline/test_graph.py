"""Pipelines as graphs: validation at load time (every problem at once), order, loading, drawing."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from headroom.pipeline import registry
from headroom.pipeline.errors import PipelineSpecError, UnknownPipelineError
from headroom.pipeline.loading import load_pipeline, pipeline_from_yaml, resolve_pipeline_path, spec_of
from headroom.pipeline.pipeline import Pipeline
from headroom.pipeline.shipped import builtin_dir
from tests.helpers import PIPELINES

HEAD = "version: 1\nname: p\nstages:\n"


def stages(*lines: str) -> str:
    return HEAD + "".join(f"  {line}\n" for line in lines)


def problems_of(text: str) -> list[str]:
    with pytest.raises(PipelineSpecError) as info:
        pipeline_from_yaml(text, source="p.yaml")
    return [problem.render() for problem in info.value.problems]


# Each kind of graph problem, pinned. ----------------------------------------------------------------


def test_unknown_stage_name_suggests_the_closest_and_lists_every_registered_stage() -> None:
    text = stages("classify: {use: classify.v1}", "crush_json: {use: crush.jsn.v1, after: [classify]}")
    registered = ", ".join(registry.names())
    with pytest.raises(
        PipelineSpecError,
        match=re.escape(
            "p.yaml: stages -> crush_json -> use: unknown stage 'crush.jsn.v1' "
            f'(did you mean "crush.json.v1"?); registered: {registered}'
        ),
    ):
        pipeline_from_yaml(text, source="p.yaml")


def test_bad_param_type_names_its_path() -> None:
    with pytest.raises(
        PipelineSpecError,
        match=(
            r"bad_param_type\.yaml: stages -> crush_json -> params -> max_items: "
            r"Input should be a valid integer"
        ),
    ):
        load_pipeline(PIPELINES / "invalid" / "bad_param_type.yaml")


def test_param_out_of_range_names_its_path() -> None:
    text = stages("classify: {use: classify.v1, params: {min_tokens: -5}}")
    assert problems_of(text) == [
        "stages -> classify -> params -> min_tokens: Input should be greater than or equal to 0"
    ]


def test_unknown_param() -> None:
    text = stages("classify: {use: classify.v1, params: {min_token: 5}}")
    with pytest.raises(
        PipelineSpecError,
        match=r"p\.yaml: stages -> classify -> params -> min_token: Extra inputs are not permitted",
    ):
        pipeline_from_yaml(text, source="p.yaml")


def test_unknown_after_target_suggests_the_closest_id() -> None:
    text = stages("classify: {use: classify.v1}", "score: {use: score.v1, after: [clasify]}")
    with pytest.raises(
        PipelineSpecError,
        match=re.escape(
            "p.yaml: stages -> score -> after -> 0: no stage with id 'clasify' (did you mean \"classify\"?)"
        ),
    ):
        pipeline_from_yaml(text, source="p.yaml")


def test_a_stage_cannot_run_after_itself() -> None:
    text = stages("classify: {use: classify.v1, after: [classify]}")
    assert problems_of(text) == ["stages -> classify -> after -> 0: a stage cannot run after itself"]


def test_a_cycle_is_reported_with_the_cycle() -> None:
    text = stages(
        "classify: {use: classify.v1}",
        "score: {use: score.v1, after: [classify, budget]}",
        "crush_json: {use: crush.json.v1, after: [score]}",
        "budget: {use: budget.v1, after: [crush_json]}",
    )
    with pytest.raises(PipelineSpecError, match=r"p\.yaml: stages: the stages form a cycle: ") as info:
        pipeline_from_yaml(text, source="p.yaml")
    (problem,) = info.value.problems
    cycle = problem.message.split("cycle: ", 1)[1].split(" -> ")
    assert cycle[0] == cycle[-1]
    assert sorted(cycle[:-1]) == ["budget", "crush_json", "score"]


def test_requires_must_be_provided_by_an_ancestor() -> None:
    text = stages("classify: {use: classify.v1}", "score: {use: score.v1}")
    with pytest.raises(
        PipelineSpecError,
        match=re.escape(
            "p.yaml: stages -> score: score.v1 requires 'labels', but no stage it runs after provides it "
            "(add `after: [...]` naming a stage that does: classify.v1)"
        ),
    ):
        pipeline_from_yaml(text, source="p.yaml")


def test_two_concurrent_stages_writing_the_same_field_are_refused() -> None:
    text = stages(
        "classify: {use: classify.v1}",
        "crush_json: {use: crush.json.v1, after: [classify]}",
        "budget: {use: budget.v1, after: [classify]}",
    )
    with pytest.raises(
        PipelineSpecError,
        match=re.escape(
            "p.yaml: stages -> crush_json -> after: budget and crush_json both write selection for the same "
            "content and may run concurrently; add 'budget' to crush_json's `after` (or the reverse)"
        ),
    ):
        pipeline_from_yaml(text, source="p.yaml")


def test_concurrent_writers_of_different_content_types_are_fine() -> None:
    text = stages(
        "classify: {use: classify.v1}",
        "crush_json: {use: crush.json.v1, after: [classify]}",
        "crush_log: {use: crush.log.v1, after: [classify]}",
    )
    assert pipeline_from_yaml(text).order == ["classify", "crush_json", "crush_log"]


def test_every_problem_in_a_file_is_reported_at_once() -> None:
    path = PIPELINES / "invalid" / "many_problems.yaml"
    with pytest.raises(PipelineSpecError, match=r"^7 problems in pipeline .*many_problems\.yaml\n") as info:
        load_pipeline(path)
    rendered = [problem.render() for problem in info.value.problems]
    assert sorted(rendered) == sorted(
        [
            "colour: Extra inputs are not permitted",
            "stages -> Budget: a stage id is lower-case letters, digits and underscores",
            "stages -> classify -> params -> min_tokens: Input should be greater than or equal to 0",
            "stages -> score -> use: unknown stage 'scroe.v1' (did you mean \"score.v1\"?); registered: "
            + ", ".join(registry.names()),
            "stages -> crush_json -> after -> 0: no stage with id 'scor' (did you mean \"score\"?)",
            "stages -> crush_json -> params -> max_items: Input should be a valid integer, "
            "unable to parse string as an integer",
            "stages -> crush_json -> params -> max_itemz: Extra inputs are not permitted",
        ]
    )
    message = str(info.value)
    for line in rendered:
        assert f"many_problems.yaml: {line}" in message


def test_a_stage_with_a_bad_body_is_not_also_reported_as_missing() -> None:
    text = stages("classify: {use: classify.v1, colour: red}", "score: {use: score.v1, after: [classify]}")
    assert problems_of(text) == ["stages -> classify -> colour: Extra inputs are not permitted"]


# Order, disabling, loading. ---------------------------------------------------------------------------


def test_order_is_lexicographic_topological() -> None:
    text = stages(
        "zeta: {use: classify.v1}",
        "crush_log: {use: crush.log.v1, after: [zeta]}",
        "crush_json: {use: crush.json.v1, after: [zeta]}",
        "alpha: {use: score.v1, after: [zeta]}",
    )
    pipeline = pipeline_from_yaml(text)
    assert pipeline.order == ["zeta", "alpha", "crush_json", "crush_log"]
    assert pipeline_from_yaml(text).order == pipeline.order


def test_enabled_false_removes_a_stage_and_its_successors_keep_their_order() -> None:
    pipeline = load_pipeline(PIPELINES / "score_disabled.yaml")
    assert pipeline.order == ["classify", "crush_json", "crush_log", "budget", "cache"]
    assert "score" not in pipeline.stages
    assert set(pipeline.graph.predecessors("crush_json")) == {"classify"}
    assert pipeline.to_yaml().count("enabled: false") == 1  # the file keeps the switched-off stage


def test_disabling_the_only_provider_is_a_load_error() -> None:
    text = stages("classify: {use: classify.v1, enabled: false}", "score: {use: score.v1, after: [classify]}")
    assert problems_of(text) == [
        "stages -> score: score.v1 requires 'labels', but no stage it runs after provides it "
        "(add `after: [...]` naming a stage that does: classify.v1)"
    ]


def test_stages_are_instances_with_their_ids_and_validated_params() -> None:
    pipeline = load_pipeline("aggressive")
    assert pipeline.stages["crush_json"].stage_id == "crush_json"
    assert pipeline.stages["crush_json"].params.max_items == 5  # type: ignore[attr-defined]
    assert pipeline.stages["crush_json"].params.keep_last == 1  # type: ignore[attr-defined]  (the default)
    assert pipeline.name == "aggressive" and not pipeline.strict
    assert load_pipeline(PIPELINES / "strict.yaml").strict


@pytest.mark.parametrize("name", ["default", "default.yaml"])
def test_shipped_pipelines_load_by_name(name: str) -> None:
    pipeline = load_pipeline(name)
    assert pipeline.name == "default"
    assert pipeline.source == "default.yaml"
    assert load_pipeline(name) is pipeline  # loaded once


def test_a_pipeline_object_is_returned_as_is_and_a_dict_is_built() -> None:
    pipeline = load_pipeline("lossless")
    assert load_pipeline(pipeline) is pipeline
    built = load_pipeline({"version": 1, "name": "d", "stages": {"classify": {"use": "classify.v1"}}})
    assert isinstance(built, Pipeline) and built.source == "<dict>" and built.order == ["classify"]


def test_a_changed_file_is_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    shutil.copy(PIPELINES / "classify_only.yaml", path)
    first = load_pipeline(path)
    assert load_pipeline(str(path)) is first
    path.write_text(path.read_text().replace("name: classify_only", "name: renamed"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_pipeline(path).name == "renamed"


def test_unknown_pipeline_name_lists_the_shipped_ones() -> None:
    with pytest.raises(
        UnknownPipelineError,
        match=re.escape(
            "no pipeline file 'defualt' (did you mean \"default.yaml\"?); shipped pipelines: "
            "aggressive.yaml, default.yaml, lossless.yaml; or give a path to a YAML file"
        ),
    ):
        load_pipeline("defualt")
    with pytest.raises(UnknownPipelineError, match=r"no pipeline file 'nowhere/x.yaml'; shipped pipelines: "):
        resolve_pipeline_path("nowhere/x.yaml")


def test_resolve_prefers_a_real_file_and_finds_shipped_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert resolve_pipeline_path("default") == builtin_dir() / "default.yaml"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "default.yaml").write_text((PIPELINES / "classify_only.yaml").read_text())
    assert resolve_pipeline_path("default.yaml") == tmp_path / "default.yaml"


def test_fingerprint_follows_the_canonical_text() -> None:
    default = load_pipeline("default")
    same = pipeline_from_yaml(default.to_yaml())
    assert same.fingerprint == default.fingerprint and len(default.fingerprint) == 16
    changed = pipeline_from_yaml(default.to_yaml().replace("max_items: 15", "max_items: 16"))
    assert changed.fingerprint != default.fingerprint


def test_to_mermaid_draws_every_stage_and_every_edge() -> None:
    pipeline = load_pipeline("default")
    text = pipeline.to_mermaid()
    lines = text.split("\n")
    assert lines[0] == "flowchart LR"
    for stage_id, stage in pipeline.stages.items():
        assert f'    {stage_id}["{stage_id}<br/>{stage.name}"]' in lines
    edges = {tuple(line.strip().split(" --> ")) for line in lines if "-->" in line}
    declared = {
        (before, stage_id) for stage_id, spec in spec_of(pipeline).stages.items() for before in spec.after
    }
    assert edges == declared == set(pipeline.graph.edges)
    assert ("classify", "score") in edges and ("budget", "cache") in edges
    assert repr(pipeline) == f"Pipeline('default', stages={pipeline.order})"
