"""Loading a pipeline: a shipped name, a file, a dict or YAML text in; a `Pipeline` out.

Loading flows one way. A file with a compiled plan for exactly its text and this Headroom
version is read from the plan (`headroom.pipeline.plan`: no pydantic, no networkx); anything else
is validated (`headroom.pipeline.validation`), which reports every problem at once. Neither the
plan nor the validator imports this module, and `Pipeline` loads nothing itself.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from headroom.pipeline.errors import PipelineSpecError, UnknownPipelineError, did_you_mean
from headroom.pipeline.pipeline import Pipeline
from headroom.pipeline.plan import load_plan
from headroom.pipeline.shipped import builtin_dir, builtin_names

if TYPE_CHECKING:
    from headroom.pipeline.spec import PipelineSpec


def build_pipeline(raw: Any, source: str = "<pipeline>") -> Pipeline:
    """Validate a loaded YAML document and build the pipeline. Raises PipelineSpecError with every problem."""
    from headroom.pipeline.validation import validate_pipeline

    return validate_pipeline(raw, source)


def pipeline_from_yaml(text: str, source: str = "<string>") -> Pipeline:
    """Validate YAML text and build the pipeline (no plan is consulted)."""
    from headroom.pipeline.spec import read_yaml

    raw, problems = read_yaml(text)
    if problems:
        raise PipelineSpecError(source, problems)
    return build_pipeline(raw, source)


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
    return compiled if compiled is not None else pipeline_from_yaml(text, source=source)


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
