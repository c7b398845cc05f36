"""Pipeline files: canonical dumps (golden round trips), problems found while parsing, the JSON Schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from headroom.pipeline import registry
from headroom.pipeline.errors import PipelineSpecError, Problem
from headroom.pipeline.loading import load_pipeline, pipeline_from_yaml
from headroom.pipeline.shipped import builtin_dir, builtin_names
from headroom.pipeline.spec import (
    PipelineSpec,
    StageSpec,
    dump_spec,
    json_schema,
    parse_spec,
)
from tests.helpers import PIPELINES

SHIPPED = sorted(builtin_dir().glob("*.yaml"))
FIXTURES = sorted(PIPELINES.glob("*.yaml"))


def test_the_three_pipelines_are_shipped() -> None:
    assert builtin_names() == ["aggressive.yaml", "default.yaml", "lossless.yaml"]
    assert [path.name for path in SHIPPED] == builtin_names()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_pipeline_round_trips_byte_for_byte(path: Path) -> None:
    original = path.read_bytes()
    assert load_pipeline(path.name).to_yaml().encode("utf-8") == original
    spec, problems = parse_spec(yaml.safe_load(original))
    assert problems == [] and spec is not None
    assert dump_spec(spec).encode("utf-8") == original


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixture_pipeline_round_trips_byte_for_byte(path: Path) -> None:
    original = path.read_text(encoding="utf-8")
    spec, problems = parse_spec(yaml.safe_load(original))
    assert problems == [] and spec is not None
    assert dump_spec(spec) == original


def test_dump_leaves_out_defaults_and_writes_what_differs() -> None:
    spec = PipelineSpec(
        version=1,
        name="p",
        on_error="strict",
        stages={
            "classify": StageSpec(use="classify.v1"),
            "score": StageSpec(
                use="score.v1", after=["classify"], enabled=False, params={"error_weight": 2.0}
            ),
        },
    )
    assert dump_spec(spec) == (
        "version: 1\n"
        "name: p\n"
        "on_error: strict\n"
        "stages:\n"
        "  classify:\n"
        "    use: classify.v1\n"
        "  score:\n"
        "    use: score.v1\n"
        "    after:\n"
        "    - classify\n"
        "    params:\n"
        "      error_weight: 2.0\n"
        "    enabled: false\n"
    )


def test_dump_is_canonical_whatever_the_input_style() -> None:
    flow = (
        "{version: 1, name: p, stages: {classify: {use: classify.v1, after: [], params: {}, enabled: true}}}"
    )
    assert (
        pipeline_from_yaml(flow).to_yaml()
        == "version: 1\nname: p\nstages:\n  classify:\n    use: classify.v1\n"
    )


# Problems found while parsing: each kind pinned to its message. ------------------------------------

ONE_STAGE = "  classify: {use: classify.v1}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "version: 1\nname: [unclosed\n",
            r"^1 problem in pipeline p\.yaml\np\.yaml: not valid YAML: line 3, column 1: expected ',' or ']'",
            id="not-yaml",
        ),
        pytest.param(
            "- classify\n- score\n",
            r"p\.yaml: a pipeline file is a mapping with version, name and stages, not list",
            id="not-a-mapping",
        ),
        pytest.param(
            "",
            r"p\.yaml: a pipeline file is a mapping with version, name and stages, not NoneType",
            id="empty-file",
        ),
        pytest.param(
            "description: nothing else\n",
            r"^3 problems in pipeline p\.yaml\n"
            r"p\.yaml: version: Field required\n"
            r"p\.yaml: name: Field required\n"
            r"p\.yaml: stages: Field required\n",
            id="missing-version-name-stages",
        ),
        pytest.param(
            "name: p\nstages:\n" + ONE_STAGE,
            r"^1 problem in pipeline p\.yaml\np\.yaml: version: Field required\n",
            id="missing-version",
        ),
        pytest.param(
            "version: 1\nstages:\n" + ONE_STAGE,
            r"p\.yaml: name: Field required",
            id="missing-name",
        ),
        pytest.param(
            "version: 2\nname: p\nstages:\n" + ONE_STAGE,
            r"p\.yaml: version: Input should be 1",
            id="wrong-version",
        ),
        pytest.param(
            "version: 1\nname: p\nstage:\n" + ONE_STAGE,
            r"p\.yaml: stages: Field required\np\.yaml: stage: Extra inputs are not permitted",
            id="unknown-top-level-key",
        ),
        pytest.param(
            "version: 1\nname: p\non_error: ignore\nstages:\n" + ONE_STAGE,
            r"p\.yaml: on_error: Input should be 'passthrough' or 'strict'",
            id="bad-on-error",
        ),
        pytest.param(
            "version: 1\nname: p\nstages: {}\n",
            r"p\.yaml: stages: Dictionary should have at least 1 item",
            id="no-stages",
        ),
        pytest.param(
            "version: 1\nname: p\nstages: [classify]\n",
            r"p\.yaml: stages: Input should be a valid dictionary",
            id="stages-not-a-mapping",
        ),
        pytest.param(
            "version: 1\nname: p\nstages:\n  Crush-JSON: {use: crush.json.v1}\n",
            r"p\.yaml: stages -> Crush-JSON: a stage id is lower-case letters, digits and underscores",
            id="bad-stage-id",
        ),
        pytest.param(
            "version: 1\nname: p\nstages:\n  classify: {use: classify.v1, before: [score]}\n",
            r"p\.yaml: stages -> classify -> before: Extra inputs are not permitted",
            id="unknown-key-in-a-stage",
        ),
        pytest.param(
            "version: 1\nname: p\nstages:\n  classify: {after: []}\n",
            r"p\.yaml: stages -> classify -> use: Field required",
            id="stage-without-use",
        ),
        pytest.param(
            "version: 1\nname: p\nstages:\n  classify: classify.v1\n",
            r"p\.yaml: stages -> classify: Input should be a valid dictionary",
            id="stage-not-a-mapping",
        ),
        pytest.param(
            "version: 1\nname: p\nstages:\n  classify: {use: classify.v1, after: classify}\n",
            r"p\.yaml: stages -> classify -> after: Input should be a valid list",
            id="after-not-a-list",
        ),
        pytest.param(
            "version: 1\nname: p\nstages:\n  classify: {use: classify.v1, enabled: sometimes}\n",
            r"p\.yaml: stages -> classify -> enabled: Input should be a valid boolean",
            id="enabled-not-a-boolean",
        ),
    ],
)
def test_each_parse_problem_has_its_message(text: str, message: str) -> None:
    with pytest.raises(PipelineSpecError, match=message) as info:
        pipeline_from_yaml(text, source="p.yaml")
    assert str(info.value).endswith("hint: `headroom stages` lists every registered stage and its parameters")


def test_yaml_is_loaded_safely() -> None:
    text = "!!python/object/apply:os.system ['echo pwned']\n"
    with pytest.raises(PipelineSpecError, match=r"not valid YAML: .*could not determine a constructor"):
        pipeline_from_yaml(text, source="evil.yaml")


def test_problems_render_their_path() -> None:
    assert Problem(("stages", "crush", "params", "max_items"), "bad").render() == (
        "stages -> crush -> params -> max_items: bad"
    )
    assert Problem((), "bad").render() == "bad"
    error = PipelineSpecError("f.yaml", [Problem(("a",), "x"), Problem(("b", 0), "y")])
    assert error.problems == [Problem(("a",), "x"), Problem(("b", 0), "y")]
    assert str(error).split("\n")[:3] == [
        "2 problems in pipeline f.yaml",
        "f.yaml: a: x",
        "f.yaml: b -> 0: y",
    ]


def test_json_schema_has_one_variant_per_registered_stage_with_its_params() -> None:
    schema = json_schema()
    assert schema["title"] == "Headroom pipeline"
    stages = schema["properties"]["stages"]
    assert stages["propertyNames"] == {"pattern": "^[a-z][a-z0-9_]*$"}
    variants = {v["properties"]["use"]["const"]: v for v in stages["additionalProperties"]["oneOf"]}
    assert sorted(variants) == registry.names()
    crush = variants["crush.json.v1"]["properties"]["params"]
    assert crush["additionalProperties"] is False
    assert crush["properties"]["max_items"]["type"] == "integer"
    assert set(schema["required"]) == {"version", "name", "stages"}
