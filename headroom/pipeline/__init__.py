"""The engine: stages, declared in YAML, run as a DAG over the blocks of one request.

A stage author needs four names from here: `Stage` (the contract, `headroom.pipeline.stage`),
`BlockState` and `RunState` (what a stage reads and decides), and `param` (how its parameters are
declared), plus `register` to give it a versioned name. The modules, from the bottom up:

- `errors`, `options`, `params`, `hooks`: vocabulary (problems and where they are, run options,
  stage parameters, caller hooks);
- `stage`: the stage contract, written down once;
- `registry`: versioned names -> stage classes (built-ins, then the `headroom.stages` entry points);
- `spec`: the YAML file's schema; `pipeline`: the runtime object the executor runs;
- `plan` (compiled shipped pipelines) and `validation` (every problem at once), which `loading`
  chooses between: loading flows one way, and nothing below it imports it;
- `executor`: runs the stages with anyio; `trace`: what each stage did, for notebooks.

Names load on first use (PEP 562): `from headroom.pipeline import Stage` does not load pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from headroom._lazy import lazy_exports

if TYPE_CHECKING:
    from headroom.pipeline.errors import HeadroomError, PipelineSpecError, Problem, StageError
    from headroom.pipeline.loading import PipelineBuilder, build_pipeline, load_pipeline, pipeline_from_yaml
    from headroom.pipeline.params import StageParams, param
    from headroom.pipeline.pipeline import Pipeline, StageEntry
    from headroom.pipeline.registry import register
    from headroom.pipeline.stage import FIELDS, BlockState, Failure, RunContext, RunState, Stage

# public name -> the module that defines it
_EXPORTS = {
    "FIELDS": "headroom.pipeline.stage",
    "BlockState": "headroom.pipeline.stage",
    "Failure": "headroom.pipeline.stage",
    "HeadroomError": "headroom.pipeline.errors",
    "Pipeline": "headroom.pipeline.pipeline",
    "PipelineBuilder": "headroom.pipeline.loading",
    "PipelineSpecError": "headroom.pipeline.errors",
    "Problem": "headroom.pipeline.errors",
    "RunContext": "headroom.pipeline.stage",
    "RunState": "headroom.pipeline.stage",
    "Stage": "headroom.pipeline.stage",
    "StageEntry": "headroom.pipeline.pipeline",
    "StageError": "headroom.pipeline.errors",
    "StageParams": "headroom.pipeline.params",
    "build_pipeline": "headroom.pipeline.loading",
    "load_pipeline": "headroom.pipeline.loading",
    "param": "headroom.pipeline.params",
    "pipeline_from_yaml": "headroom.pipeline.loading",
    "register": "headroom.pipeline.registry",
}

__all__ = [
    "FIELDS",
    "BlockState",
    "Failure",
    "HeadroomError",
    "Pipeline",
    "PipelineBuilder",
    "PipelineSpecError",
    "Problem",
    "RunContext",
    "RunState",
    "Stage",
    "StageEntry",
    "StageError",
    "StageParams",
    "build_pipeline",
    "load_pipeline",
    "param",
    "pipeline_from_yaml",
    "register",
]

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
