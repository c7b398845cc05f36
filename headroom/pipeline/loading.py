"""Loading a pipeline: a shipped name, a file, a dict or YAML text in; a `Pipeline` out.

Loading flows one way. A file with a compiled plan for exactly its text and this Headroom
version is read from the plan (`headroom.pipeline.plan`: no pydantic, no networkx); anything else
is validated (`headroom.pipeline.validation`), which reports every problem at once. Neither the
plan nor the validator imports this module, and `Pipeline` loads nothing itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from headroom.pipeline.errors import PipelineSpecError, Problem, UnknownPipelineError, did_you_mean
from headroom.pipeline.pipeline import Pipeline
from headroom.pipeline.plan import load_plan
from headroom.pipeline.shipped import builtin_dir, builtin_names
from headroom.pipeline.stage import Stage

if TYPE_CHECKING:
    from headroom.pipeline.spec import PipelineSpec


EXTENDS_DEPTH = 8  # overlays of overlays; deeper is surely a loop
_OVERLAY_FIELDS = ("use", "after", "params", "enabled")


def build_pipeline(raw: Any, source: str = "<pipeline>", *, base_dir: Path | None = None) -> Pipeline:
    """Validate a loaded YAML document and build the pipeline. Raises PipelineSpecError with every
    problem. A document with `extends:` is first laid over the file it names (`base_dir`: where a
    relative name is looked for, besides the shipped pipelines)."""
    from headroom.pipeline.validation import validate_pipeline

    return validate_pipeline(expand_extends(raw, source, base_dir), source)


def pipeline_from_yaml(text: str, source: str = "<string>", *, base_dir: Path | None = None) -> Pipeline:
    """Validate YAML text and build the pipeline (no plan is consulted)."""
    return build_pipeline(_read(text, source), source, base_dir=base_dir)


def _read(text: str, source: str) -> Any:
    from headroom.pipeline.spec import read_yaml

    raw, problems = read_yaml(text)
    if problems:
        raise PipelineSpecError(source, problems)
    return raw


def expand_extends(raw: Any, source: str, base_dir: Path | None = None, depth: int = 0) -> Any:
    """A pipeline document with its `extends:` resolved: the base file's stages, with each stage
    the overlay names changed in only the fields it gives (`params` merged key by key; `use`,
    `after` and `enabled` replaced; a new id added whole), and the top-level fields it gives.
    A stage whose `use` changes takes its params from the overlay alone."""
    if not isinstance(raw, dict) or "extends" not in raw:
        return raw
    where = ("extends",)
    name = raw["extends"]
    if not isinstance(name, str) or not name:
        raise PipelineSpecError(source, [Problem(where, "extends names a pipeline file, as a string")])
    if depth >= EXTENDS_DEPTH:
        raise PipelineSpecError(source, [Problem(where, f"more than {EXTENDS_DEPTH} levels of extends")])
    try:
        path = _base_path(name, base_dir)
    except UnknownPipelineError as error:
        raise PipelineSpecError(source, [Problem(where, str(error))]) from error
    base = expand_extends(
        _read(path.read_text(encoding="utf-8"), str(path)), str(path), path.parent, depth + 1
    )
    if not isinstance(base, dict) or not isinstance(base.get("stages"), dict):
        raise PipelineSpecError(source, [Problem(where, f"{name!r} is not a pipeline file with stages")])
    return _overlay(base, raw, source)


def _base_path(name: str, base_dir: Path | None) -> Path:
    if base_dir is not None and (base_dir / name).is_file():
        return (base_dir / name).resolve()
    return resolve_pipeline_path(name)


def _overlay(base: dict[str, Any], overlay: dict[str, Any], source: str) -> dict[str, Any]:
    merged = {key: value for key, value in base.items() if key != "stages"}
    merged.update({key: value for key, value in overlay.items() if key not in ("extends", "stages")})
    stages = {stage_id: dict(body) for stage_id, body in base["stages"].items()}
    changes = overlay.get("stages") or {}
    if not isinstance(changes, dict):
        raise PipelineSpecError(source, [Problem(("stages",), "stages is a mapping of stage ids")])
    problems = []
    for stage_id, change in changes.items():
        if not isinstance(change, dict):
            problems.append(Problem(("stages", stage_id), "a stage entry is a mapping"))
            continue
        unknown = sorted(set(change) - set(_OVERLAY_FIELDS))
        for field_name in unknown:
            hint = did_you_mean(field_name, _OVERLAY_FIELDS)
            problems.append(Problem(("stages", stage_id, field_name), f"not a stage field{hint}"))
        stages[stage_id] = _changed_stage(stages.get(stage_id), change)
    if problems:
        raise PipelineSpecError(source, problems)
    merged["stages"] = stages
    return merged


def _changed_stage(shipped: dict[str, Any] | None, change: dict[str, Any]) -> dict[str, Any]:
    if shipped is None or ("use" in change and change["use"] != shipped.get("use")):
        return dict(change)  # a new stage, or another stage in this place: nothing to inherit
    stage = dict(shipped)
    for field_name in ("use", "after", "enabled"):
        if field_name in change:
            stage[field_name] = change[field_name]
    if "params" in change:
        given = change["params"]
        stage["params"] = {**(shipped.get("params") or {}), **given} if isinstance(given, dict) else given
    return stage


def resolve_pipeline_path(name: str | Path) -> Path:
    """A path to a user's file, or the name of a shipped pipeline ('default', 'default.yaml')."""
    candidate = Path(name).expanduser()
    if candidate.is_file():
        return candidate.resolve()
    text = str(name)
    shipped = builtin_dir() / (text if text.endswith((".yaml", ".yml")) else f"{text}.yaml")
    if "/" not in text and shipped.is_file():
        return shipped
    available = builtin_names()
    raise UnknownPipelineError(
        f"no pipeline file {text!r}{did_you_mean(text, available)}; "
        f"shipped pipelines: {', '.join(available)}; or give a path to a YAML file"
    )


@lru_cache(maxsize=64)
def _load_file(path: str, mtime_ns: int) -> Pipeline:
    text = Path(path).read_text(encoding="utf-8")
    source = Path(path).name if Path(path).parent == builtin_dir() else path
    compiled = load_plan(Path(path), text, source)
    return compiled if compiled is not None else pipeline_from_yaml(text, source, base_dir=Path(path).parent)


def load_pipeline(pipeline: str | Path | Pipeline | dict[str, Any] = "default") -> Pipeline:
    """A Pipeline from a shipped name, a file path, a dict spec, or a Pipeline (returned as is).
    Files are loaded once and reloaded when they change."""
    if isinstance(pipeline, Pipeline):
        return pipeline
    if isinstance(pipeline, dict):
        return build_pipeline(pipeline, "<dict>")
    path = resolve_pipeline_path(pipeline)
    return _load_file(str(path), path.stat().st_mtime_ns)


def spec_of(pipeline: Pipeline) -> PipelineSpec:
    """The pipeline's file as its pydantic model, read from its canonical text."""
    from headroom.pipeline.spec import parse_spec, read_yaml

    raw, problems = read_yaml(pipeline.text)
    spec, more = parse_spec(raw)
    if spec is None or problems or more:
        raise PipelineSpecError(pipeline.source, problems + more)
    return spec


class PipelineBuilder:
    """A pipeline built in code, validated as a file would be:

        pipeline = (
            PipelineBuilder("mine")
            .add_stage("classify", Classify())
            .add_stage("crush_json", CrushJson(CrushJson.Params(max_items=5)), after=["classify"])
            .build()
        )

    Each stage is an instance of a registered stage class; the built pipeline runs those
    instances, and its `to_yaml()` is a file that loads the same pipeline.
    """

    def __init__(self, name: str, *, on_error: str = "passthrough", description: str = ""):
        self.name = name
        self.on_error = on_error
        self.description = description
        self._stages: dict[str, tuple[Stage, list[str]]] = {}

    def add_stage(self, stage_id: str, stage: Stage, *, after: Sequence[str] = ()) -> PipelineBuilder:
        if stage_id in self._stages:
            raise PipelineSpecError(
                f"<builder {self.name}>", [Problem(("stages", stage_id), "a stage with this id was added")]
            )
        self._stages[stage_id] = (stage, list(after))
        return self

    def build(self) -> Pipeline:
        from headroom.pipeline.validation import validate_pipeline

        raw: dict[str, Any] = {"version": 1, "name": self.name, "on_error": self.on_error}
        if self.description:
            raw["description"] = self.description
        raw["stages"] = {
            stage_id: {"use": stage.name, "after": after, "params": stage.params.as_dict()}
            for stage_id, (stage, after) in self._stages.items()
        }
        instances = {stage_id: stage for stage_id, (stage, _) in self._stages.items()}
        return validate_pipeline(raw, f"<builder {self.name}>", instances=instances)
