"""Compiled plans: a shipped pipeline, validated when the package is built, loaded without
pydantic or networkx.

Validating a pipeline file imports pydantic and networkx (about 250 ms in a
fresh process) and gives the same answer every time for a file that ships with
the package. So each shipped `name.yaml` has a `name.plan.json` beside it: the
stage order, each stage's predecessors and fully validated params, and what the
executor needs to schedule a stage without importing it. `headroom schema
--write` regenerates the plans, and a test fails when one is stale.

A plan is used only when it was compiled from exactly this YAML text (its
sha256 is recorded) by this Headroom version (a stage's params may change with
the version); an edited file, or an upgrade without new plans, is validated as usual.
Compiling needs the validator, which is given the text here (`compile_file`):
this module never imports the loader.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from headroom._version import __version__
from headroom.pipeline.errors import PipelineSpecError
from headroom.pipeline.pipeline import Pipeline, StageEntry

PLAN_FORMAT = 3
PLAN_SUFFIX = ".plan.json"


def headroom_version() -> str:
    return __version__


def plan_path(yaml_path: Path) -> Path:
    return yaml_path.with_name(yaml_path.stem + PLAN_SUFFIX)


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def compile_plan(pipeline: Pipeline, text: str) -> dict[str, Any]:
    """The plan of a validated pipeline read from `text`."""
    return {
        "format": PLAN_FORMAT,
        "yaml_sha256": text_digest(text),
        "headroom_version": headroom_version(),
        "name": pipeline.name,
        "description": pipeline.description,
        "on_error": pipeline.on_error,
        "fingerprint": pipeline.fingerprint,
        "order": pipeline.order,
        "stages": {stage_id: _entry_plan(pipeline.entries[stage_id]) for stage_id in pipeline.order},
    }


def _entry_plan(entry: StageEntry) -> dict[str, Any]:
    return {
        "use": entry.use,
        "after": list(entry.after),
        "params": entry.params,
        "provides": sorted(entry.provides),
        "handles": None if entry.handles is None else sorted(entry.handles),
        "phases": sorted(entry.phases),
        "store": entry.store,
        "drops": entry.drops,
    }


def plan_text(plan: dict[str, Any]) -> str:
    return json.dumps(plan, indent=1, sort_keys=False) + "\n"


def load_plan(yaml_path: Path, text: str, source: str) -> Pipeline | None:
    """The pipeline from the plan beside `yaml_path`, or None when there is none for this exact text."""
    path = plan_path(yaml_path)
    if not path.is_file():
        return None
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # unreadable: validating the YAML gives the same pipeline
    if (
        plan.get("format") != PLAN_FORMAT
        or plan.get("yaml_sha256") != text_digest(text)
        or plan.get("headroom_version") != headroom_version()
    ):
        return None
    return Pipeline(
        name=plan["name"],
        on_error=plan["on_error"],
        source=source,
        order=list(plan["order"]),
        entries={stage_id: _entry_from_plan(body) for stage_id, body in plan["stages"].items()},
        fingerprint=plan["fingerprint"],
        text=text,
        description=plan.get("description", ""),
    )


def _entry_from_plan(body: dict[str, Any]) -> StageEntry:
    handles = body["handles"]
    return StageEntry(
        use=body["use"],
        params=body["params"],
        after=tuple(body["after"]),
        provides=frozenset(body["provides"]),
        handles=None if handles is None else frozenset(handles),
        phases=frozenset(body["phases"]),
        store=body["store"],
        drops=body["drops"],
    )


def write_plans(folder: Path) -> list[Path]:
    """Compile every pipeline file in `folder` (the shipped ones) and write the plans beside them."""
    from headroom.pipeline.spec import read_yaml
    from headroom.pipeline.validation import validate_pipeline

    written = []
    for yaml_path in sorted(folder.glob("*.yaml")):
        text = yaml_path.read_text(encoding="utf-8")
        raw, problems = read_yaml(text)
        if problems:
            raise PipelineSpecError(yaml_path.name, problems)
        plan = compile_plan(validate_pipeline(raw, yaml_path.name), text)
        target = plan_path(yaml_path)
        target.write_text(plan_text(plan), encoding="utf-8")
        written.append(target)
    return written
