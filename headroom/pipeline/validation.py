"""Validating a pipeline file: every problem at once, with where, what and "did you mean".

Runs when a pipeline is read from YAML (or a dict) and when shipped pipelines are
compiled (`headroom.pipeline.plan`); networkx checks the graph and pydantic the params.
"""

from __future__ import annotations

import hashlib
from typing import Any

import networkx as nx
from pydantic import ValidationError

from headroom.pipeline import registry
from headroom.pipeline.errors import PipelineSpecError, Problem, did_you_mean
from headroom.pipeline.pipeline import Pipeline, StageEntry
from headroom.pipeline.spec import PipelineSpec, dump_spec, parse_spec, problems_from
from headroom.pipeline.stage import Stage


def _effective_after(spec: PipelineSpec, stage_id: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """`after` with disabled stages replaced by their own predecessors."""
    result: list[str] = []
    for target in spec.stages[stage_id].after:
        other = spec.stages.get(target)
        if other is None or target in seen:
            continue
        if other.enabled:
            result.append(target)
        else:
            result.extend(_effective_after(spec, target, seen | {stage_id}))
    return sorted(set(result))


def _instantiate(
    spec: PipelineSpec, problems: list[Problem], instances: dict[str, Stage] | None = None
) -> dict[str, Stage]:
    stages: dict[str, Stage] = {}
    for stage_id, stage_spec in spec.stages.items():
        if not stage_spec.enabled:
            continue
        given = (instances or {}).get(stage_id)
        if given is not None and registry.lookup(stage_spec.use) is type(given):
            given.stage_id = stage_id
            stages[stage_id] = given  # built in code: run this instance itself
            continue
        try:
            cls = registry.lookup(stage_spec.use)
        except registry.RegistryError as error:  # a plugin of that name failed to import
            problems.append(Problem(("stages", stage_id, "use"), str(error)))
            continue
        if cls is None:
            problems.append(
                Problem(("stages", stage_id, "use"), registry.unknown_stage_message(stage_spec.use))
            )
            continue
        try:
            params = cls.Params.from_config(stage_spec.params)
        except ValidationError as error:
            problems.extend(problems_from(error, ("stages", stage_id, "params")))
            continue
        stages[stage_id] = cls(params, stage_id=stage_id)
    return stages


def _check_after(spec: PipelineSpec, problems: list[Problem], declared: set[str]) -> None:
    for stage_id, stage_spec in spec.stages.items():
        for position, target in enumerate(stage_spec.after):
            if target not in spec.stages and target in declared:
                continue  # declared but invalid: its own problem is reported
            if target not in spec.stages:
                hint = did_you_mean(target, spec.stages)
                problems.append(
                    Problem(("stages", stage_id, "after", position), f"no stage with id {target!r}{hint}")
                )
            elif target == stage_id:
                problems.append(
                    Problem(("stages", stage_id, "after", position), "a stage cannot run after itself")
                )


def _build_graph(spec: PipelineSpec) -> nx.DiGraph:
    graph = nx.DiGraph()
    for stage_id, stage_spec in spec.stages.items():
        if stage_spec.enabled:
            graph.add_node(stage_id)
    for stage_id in graph.nodes:
        for target in _effective_after(spec, stage_id):
            if target in graph and target != stage_id:
                graph.add_edge(target, stage_id)
    return graph


def _after_broken(spec: PipelineSpec, stages: dict[str, Stage]) -> set[str]:
    """Stages that run after one that could not be built or does not exist. What they are given
    is unknown, so they are not checked for it; the broken stage's own problem is reported."""
    broken: set[str] = set()
    grew = True
    while grew:
        grew = False
        for stage_id, stage_spec in spec.stages.items():
            if stage_id in broken:
                continue
            for target in stage_spec.after:
                other = spec.stages.get(target)
                if other is None or (other.enabled and target not in stages) or target in broken:
                    broken.add(stage_id)
                    grew = True
                    break
    return broken


def _check_cycles(graph: nx.DiGraph, problems: list[Problem]) -> bool:
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return False
    path = " -> ".join([edge[0] for edge in cycle] + [cycle[0][0]])
    problems.append(Problem(("stages",), f"the stages form a cycle: {path}"))
    return True


def _check_requires(graph: nx.DiGraph, stages: dict[str, Stage], problems: list[Problem]) -> None:
    for stage_id, stage in stages.items():
        provided: set[str] = set()
        for ancestor in nx.ancestors(graph, stage_id):
            if ancestor in stages:
                provided |= stages[ancestor].provides
        for need in sorted(stage.requires - provided):
            providers = sorted({s.name for s in _all_stage_classes() if need in s.provides})
            problems.append(
                Problem(
                    ("stages", stage_id),
                    f"{stage.name} requires {need!r}, but no stage it runs after provides it "
                    f"(add `after: [...]` naming a stage that does: {', '.join(providers) or 'none'})",
                )
            )


def _check_concurrent_writers(graph: nx.DiGraph, stages: dict[str, Stage], problems: list[Problem]) -> None:
    ids = sorted(stages)
    for i, first in enumerate(ids):
        for second in ids[i + 1 :]:
            if nx.has_path(graph, first, second) or nx.has_path(graph, second, first):
                continue
            a, b = stages[first], stages[second]
            shared = a.provides & b.provides
            overlap = a.handles is None or b.handles is None or bool(a.handles & b.handles)
            if shared and overlap:
                problems.append(
                    Problem(
                        ("stages", second, "after"),
                        f"{first} and {second} both write {', '.join(sorted(shared))} for the same content "
                        f"and may run concurrently; add {first!r} to {second}'s `after` (or the reverse)",
                    )
                )


def _all_stage_classes() -> list[type[Stage]]:
    return [cls for name in registry.names() if (cls := registry.lookup(name)) is not None]


def validate_pipeline(
    raw: Any, source: str = "<pipeline>", *, instances: dict[str, Stage] | None = None
) -> Pipeline:
    """Validate a loaded YAML document and build the pipeline. Raises PipelineSpecError with every
    problem. `instances` (by stage id) are run as given, when they are of the class `use` names."""
    spec, problems = parse_spec(raw)
    if spec is None:
        raise PipelineSpecError(source, problems)
    stages = _instantiate(spec, problems, instances)
    raw_stages = raw.get("stages")
    _check_after(spec, problems, {str(key) for key in raw_stages} if isinstance(raw_stages, dict) else set())
    graph = _build_graph(spec)
    has_cycle = _check_cycles(graph, problems)
    if not has_cycle:
        broken = _after_broken(spec, stages)
        checkable = {stage_id: stage for stage_id, stage in stages.items() if stage_id not in broken}
        _check_requires(graph, checkable, problems)
        _check_concurrent_writers(graph, checkable, problems)
    if problems:
        raise PipelineSpecError(source, problems)
    order = list(nx.lexicographical_topological_sort(graph))
    entries = {
        stage_id: StageEntry.of(stages[stage_id], tuple(sorted(graph.predecessors(stage_id))))
        for stage_id in order
    }
    canonical = dump_spec(spec)
    pipeline = Pipeline(
        name=spec.name,
        on_error=spec.on_error,
        source=source,
        order=order,
        entries=entries,
        fingerprint=hashlib.sha256(canonical.encode()).hexdigest()[:16],
        text=canonical,
        description=spec.description,
        graph=graph,
    )
    return pipeline
