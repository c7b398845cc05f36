"""A pipeline as the executor runs it: its stages in order, each with what scheduling needs.

`Pipeline` is a plain runtime object. It reads no file and validates nothing: a loader
(`headroom.pipeline.loading`) makes one, from a compiled plan (`headroom.pipeline.plan`) or from a
validated YAML document (`headroom.pipeline.validation`). It builds each stage (importing its
module) the first time the stage is needed, and its networkx graph when asked for it. Stages run
in lexicographic topological order, so a file always runs the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from headroom.pipeline import registry
from headroom.pipeline.errors import PipelineSpecError, Problem
from headroom.pipeline.stage import Stage

if TYPE_CHECKING:
    import networkx as nx


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
    store: str | None = None  # the store URL the stage declares (`Stage.store_param`)
    drops: bool = False  # whether it may leave units out (`Stage.may_drop`)
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
            store=stage.declared_store(),
            drops=stage.may_drop(),
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
        text: str,
        description: str = "",
        graph: nx.DiGraph | None = None,
    ):
        self.name = name
        self.on_error = on_error
        self.source = source
        self.order = order
        self.entries = entries
        self.fingerprint = fingerprint  # hash of the canonical text: part of every memo key
        self.text = text  # the canonical YAML it was loaded from
        self.description = description
        if graph is not None:
            self.__dict__["graph"] = graph  # a validator built it already: not built twice

    @property
    def strict(self) -> bool:
        return self.on_error == "strict"

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

    @property
    def store(self) -> str | None:
        """The store the pipeline declares (the first stage in order that names one), or None."""
        return next((self.entries[i].store for i in self.order if self.entries[i].store), None)

    @property
    def can_drop(self) -> bool:
        """Whether a run may leave content out, so the model may need `headroom_retrieve`."""
        return any(self.entries[stage_id].drops for stage_id in self.order)

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
        """The pipeline's canonical YAML text (loading it again gives this pipeline)."""
        return self.text

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
