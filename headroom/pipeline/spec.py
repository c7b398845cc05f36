"""The pipeline file: pydantic models for the YAML, loading that reports every problem at once,
a canonical dump (load then dump gives the same bytes), and the JSON Schema for editors.

    version: 1
    name: default
    stages:
      classify: {use: classify.v1, params: {min_tokens: 200}}
      score:    {use: score.v1, after: [classify]}
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from headroom.pipeline.errors import Problem

STAGE_ID_PATTERN = r"^[a-z][a-z0-9_]*$"


class StageSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    use: str = Field(description="A registered stage name, such as crush.json.v1")
    after: list[str] = Field(default_factory=list, description="Ids of the stages this one runs after")
    params: dict[str, Any] = Field(default_factory=dict, description="The stage's parameters")
    enabled: bool = Field(
        default=True, description="false removes the stage; its successors keep their order"
    )


class PipelineSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    name: str
    description: str = ""
    on_error: Literal["passthrough", "strict"] = "passthrough"
    stages: dict[str, StageSpec]


class _Envelope(BaseModel):
    """The top level with stages left raw, so each stage's problems are found separately."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    name: str
    description: str = ""
    on_error: Literal["passthrough", "strict"] = "passthrough"
    stages: dict[str, Any] = Field(min_length=1)


def problems_from(error: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[Problem]:
    return [Problem(prefix + tuple(item["loc"]), item["msg"]) for item in error.errors()]


def parse_spec(raw: Any) -> tuple[PipelineSpec | None, list[Problem]]:
    """Validate a loaded YAML document. Returns the spec and every problem found. The spec is None
    when nothing can be checked further, and partial (only the valid stages) when there are problems."""
    if not isinstance(raw, dict):
        return None, [
            Problem(
                (), f"a pipeline file is a mapping with version, name and stages, not {type(raw).__name__}"
            )
        ]
    problems: list[Problem] = []
    try:
        envelope = _Envelope.model_validate(raw)
    except ValidationError as error:
        problems.extend(problems_from(error))
        envelope = None
    raw_stages = raw.get("stages")
    stages: dict[str, StageSpec] = {}
    if isinstance(raw_stages, dict):
        for stage_id, body in raw_stages.items():
            stage = _parse_stage(str(stage_id), body, problems)
            if stage is not None:
                stages[str(stage_id)] = stage
    if envelope is None:
        if not isinstance(raw_stages, dict):
            return None, problems
        # The top level is wrong but the stages can still be checked: report their problems too.
        partial = PipelineSpec.model_construct(
            version=1, name=str(raw.get("name", "")), description="", on_error="passthrough", stages=stages
        )
        return partial, problems
    spec = PipelineSpec(
        version=envelope.version,
        name=envelope.name,
        description=envelope.description,
        on_error=envelope.on_error,
        stages=stages,
    )
    return spec, problems


def _parse_stage(stage_id: str, body: Any, problems: list[Problem]) -> StageSpec | None:
    import re

    if not re.match(STAGE_ID_PATTERN, stage_id):
        problems.append(
            Problem(("stages", stage_id), "a stage id is lower-case letters, digits and underscores")
        )
    try:
        return StageSpec.model_validate(body)
    except ValidationError as error:
        problems.extend(problems_from(error, ("stages", stage_id)))
        return None


# libyaml's safe loader when the wheel has it: the same documents, about ten times faster.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str) -> tuple[Any, list[Problem]]:
    try:
        return yaml.load(text, Loader=_SAFE_LOADER), []
    except yaml.YAMLError:
        pass
    # A broken file is read again by the pure-Python loader, whose messages are the same everywhere.
    try:
        return yaml.safe_load(text), []
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        return None, [Problem((), f"not valid YAML: {where}{getattr(error, 'problem', None) or error}")]


def dump_spec(spec: PipelineSpec) -> str:
    """The canonical YAML text of a spec. Shipped pipeline files are stored in this form."""
    data: dict[str, Any] = {"version": spec.version, "name": spec.name}
    if spec.description:
        data["description"] = spec.description
    if spec.on_error != "passthrough":
        data["on_error"] = spec.on_error
    data["stages"] = {
        stage_id: stage.model_dump(exclude_defaults=True) for stage_id, stage in spec.stages.items()
    }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def json_schema(*, built_in_only: bool = False) -> dict[str, Any]:
    """JSON Schema for pipeline files, with each registered stage's params under its `use` name
    (`built_in_only`: the stages that ship with Headroom, not installed plugins)."""
    from headroom.pipeline import registry

    schema = PipelineSpec.model_json_schema()
    variants = []
    for name in registry.builtin_names() if built_in_only else registry.names():
        cls = registry.lookup(name)
        assert cls is not None
        params_schema = cls.Params.json_schema()
        schema.setdefault("$defs", {}).update(params_schema.pop("$defs", {}))
        variants.append(
            {
                "type": "object",
                "description": (cls.__doc__ or name).strip().split("\n")[0],
                "properties": {
                    "use": {"const": name},
                    "after": {"type": "array", "items": {"type": "string"}},
                    "params": params_schema,
                    "enabled": {"type": "boolean"},
                },
                "required": ["use"],
                "additionalProperties": False,
            }
        )
    schema["properties"]["stages"] = {
        "type": "object",
        "propertyNames": {"pattern": STAGE_ID_PATTERN},
        "additionalProperties": {"oneOf": variants},
    }
    schema.get("$defs", {}).pop("StageSpec", None)
    schema["title"] = "Headroom pipeline"
    return schema
