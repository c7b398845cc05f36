"""A pipeline: the spec turned into stages on a networkx DiGraph, validated at load time.

Validation reports every problem in the file at once: unknown stages (with
"did you mean" and the registered names), bad params (with their path),
unknown `after` targets, cycles (with the cycle), a stage requiring what no
ancestor provides, and two stages that may run concurrently writing the same
field of the same blocks. Stages run in lexicographic topological order, so a
file always runs the same way.

A shipped pipeline is validated when the package is built: its compiled plan
(`headroom.plan`) sits beside the YAML, and loading it needs neither pydantic
nor networkx. A `Pipeline` builds each stage (importing its module) the first
time the stage is needed, and its networkx graph when asked for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from headroom import registry
from headroom.errors import PipelineSpecError, Problem, UnknownPipelineError, did_you_mean
from headroom.shipped import builtin_dir, builtin_names
from headroom.stage import Stage

if TYPE_CHECKING:
    import networkx as nx

    from headroom.spec import PipelineSpec


@dataclass
class StageEntry:
    """One stage of a pipeline, described without importing it: enough to schedule it, to skip
    it when no block has a label it handles, and to build it when it must run."""

    use: str
    params: dict[str, Any]
    after: tuple[str, ...]
    provides: frozenset[str]
    handles: frozenset[str] | None
    phases: frozenset[str]  # which of prepare/finish the stage implements
    instance: Stage | None = None

    @classmethod
    def of(cls, stage: Stage, after: tuple[str, ...]) -> StageEntry:
        kind = type(stage)
        return cls(
            use=stage.name,
            params=stage.params.as_dict(),
            after=after,
            provides=frozenset(stage.provides),
            handles=None if stage.handles is None else frozenset(stage.handles),
            phases=frozenset(phase for phase in ("prepare", "finish") if _overrides(kind, phase)),
            instance=stage,
        )


def _overrides(kind: type[Stage], method: str) -> bool:
    return getattr(kind, method) is not getattr(Stage, method)


class Pipeline:
    """A validated pipeline, ready to run."""

    def __init__(
        self,
        *,
        name: str,
        on_error: str,
        source: str,
        order: list[str],
        entries: dict[str, StageEntry],
        fingerprint: str,
        spec: PipelineSpec | None = None,
        text: str | None = None,
    ):
        self.name = name
        self.on_error = on_error
        self.source = source
        self.order = order
        self.entries = entries
        self.fingerprint = fingerprint  # hash of the canonical text: part of every memo key
        self._spec = spec
        self._text = text

    @property
    def strict(self) -> bool:
        return self.on_error == "strict"

    @property
    def spec(self) -> PipelineSpec:
        if self._spec is None:
            from headroom.spec import parse_spec, read_yaml

            raw, _ = read_yaml(self._text or "")
            spec, problems = parse_spec(raw)
            if spec is None or problems:
                raise PipelineSpecError(self.source, problems)
            self._spec = spec
        return self._spec

    def stage(self, stage_id: str) -> Stage:
        """The stage instance, built (and its module imported) on first use."""
        entry = self.entries[stage_id]
        if entry.instance is None:
            cls = registry.lookup(entry.use)
            if cls is None:
                raise PipelineSpecError(
                    self.source,
                    [Problem(("stages", stage_id, "use"), registry.unknown_stage_message(entry.use))],
                )
            entry.instance = cls(cls.Params.trusted(entry.params), stage_id=stage_id)
        return entry.instance

    @property
    def stages(self) -> dict[str, Stage]:
        """Every stage instance, in order (builds them all)."""
        return {stage_id: self.stage(stage_id) for stage_id in self.order}

    def params(self) -> Mapping[str, Mapping[str, Any]]:
        """Each stage's params as plain values, without building any stage."""
        return {stage_id: self.entries[stage_id].params for stage_id in self.order}

    @cached_property
    def graph(self) -> nx.DiGraph:
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(self.order)
        graph.add_edges_from(
            (before, stage_id) for stage_id in self.order for before in self.entries[stage_id].after
        )
        return graph

    def to_yaml(self) -> str:
        from headroom.spec import dump_spec

        return dump_spec(self.spec)

    def to_mermaid(self) -> str:
        """The graph as Mermaid text; render it locally (a notebook, an editor), no service needed."""
        lines = ["flowchart LR"]
        for stage_id in self.order:
            lines.append(f'    {stage_id}["{stage_id}<br/>{self.entries[stage_id].use}"]')
        edges = sorted(
            (before, stage_id) for stage_id in self.order for before in self.entries[stage_id].after
        )
        for source, target in edges:
            lines.append(f"    {source} --> {target}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Pipeline({self.name!r}, stages={self.order})"


def build_pipeline(raw: Any, source: str = "<pipeline>") -> Pipeline:
    """Validate a loaded YAML document and build the pipeline. Raises PipelineSpecError with every problem."""
    from headroom.validation import validate_pipeline

    return validate_pipeline(raw, source)


def pipeline_from_yaml(text: str, source: str = "<string>") -> Pipeline:
    from headroom.spec import read_yaml

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
def _load_cached(path: str, mtime_ns: int) -> Pipeline:
    from headroom.plan import load_plan

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
    return _load_cached(str(path), path.stat().st_mtime_ns)
