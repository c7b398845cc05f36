"""What each stage did, kept when `compress(..., trace=True)`: for notebooks and debugging.

The trace observes the real run: the same schedule and the same answers (a memo that answers a
block shows as the cache's doing). `trace=["score", "budget"]` records only those stages.

After every stage the trace records, per block: label (and every candidate detection saw,
with its confidence), protection, scores,
the kept and dropped units, and the tokens the block would have if rendered
now. `Trace.rows()` gives plain dicts (for pandas or plotting);
`_repr_html_` draws a table in Jupyter.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from headroom.pipeline.stage import BlockState, RunState


@dataclass
class BlockSnapshot:
    block_id: int
    message_index: int
    label: str | None
    protected: str | None
    units: int
    kept: list[int]
    dropped: list[int]
    scores: list[float] | None
    pinned: list[int]
    tokens: int
    failed: str | None
    candidates: tuple[Any, ...] = ()  # `headroom.content.detect.Candidate`s, surest first
    unit_texts: list[str] = field(default_factory=list, repr=False)  # shared with the document, not copied

    @classmethod
    def take(cls, block: BlockState, state: RunState) -> BlockSnapshot:
        document = block.document if block.label is not None else None
        total = len(document.units) if document is not None else 0
        kept = block.kept_indices() if document is not None else []
        kept_set = set(kept)
        rendered = block.render()
        tokens = state.count_tokens(rendered)
        return cls(
            block_id=block.block.id,
            message_index=block.block.message_index,
            label=block.label,
            protected=block.protected,
            units=total,
            kept=kept,
            dropped=[i for i in range(total) if i not in kept_set],
            scores=list(block.scores) if block.scores is not None else None,
            pinned=sorted(block.pinned),
            tokens=tokens,
            failed=block.failed,
            candidates=block.candidates,
            unit_texts=document.units if document is not None else [],
        )


@dataclass
class StageTrace:
    stage_id: str
    stage_name: str
    seconds: float
    blocks: list[BlockSnapshot]

    @property
    def tokens(self) -> int:
        return sum(block.tokens for block in self.blocks)


@dataclass
class Trace:
    pipeline: str
    tokens_input: int = 0  # exact tokens of every block's text before the first stage
    stages: list[StageTrace] = field(default_factory=list)

    def __repr__(self) -> str:
        steps = ", ".join(f"{stage.stage_id}={stage.tokens}" for stage in self.stages)
        return f"Trace({self.pipeline!r}, tokens_input={self.tokens_input}, stages: {steps})"

    only: frozenset[str] | None = None  # the stage ids to record; None: every stage

    def record(self, stage_id: str, stage_name: str, seconds: float, state: RunState) -> None:
        if self.only is not None and stage_id not in self.only:
            return
        snapshots = [BlockSnapshot.take(block, state) for block in state.blocks]
        self.stages.append(StageTrace(stage_id, stage_name, seconds, snapshots))

    def in_order(self, order: list[str]) -> None:
        """List the stages in the pipeline's order (concurrent stages finish in any order)."""
        position = {stage_id: index for index, stage_id in enumerate(order)}
        self.stages.sort(key=lambda stage: position.get(stage.stage_id, len(position)))

    def stage(self, stage_id: str) -> StageTrace:
        for stage in self.stages:
            if stage.stage_id == stage_id:
                return stage
        raise KeyError(f"no stage {stage_id!r} in this trace; stages: {[s.stage_id for s in self.stages]}")

    def rows(self) -> list[dict[str, Any]]:
        """One row per (stage, block): easy to load into a DataFrame."""
        return [
            {
                "stage": stage.stage_id,
                "use": stage.stage_name,
                "ms": round(stage.seconds * 1000, 3),
                "message": block.message_index,
                "block": block.block_id,
                "label": block.label,
                "candidates": ", ".join(str(candidate) for candidate in block.candidates),
                "protected": block.protected,
                "units": block.units,
                "kept": len(block.kept),
                "dropped": len(block.dropped),
                "tokens": block.tokens,
            }
            for stage in self.stages
            for block in stage.blocks
        ]

    def tokens_per_stage(self) -> list[tuple[str, int]]:
        return [(stage.stage_id, stage.tokens) for stage in self.stages]

    def _repr_html_(self) -> str:
        head = "".join(
            f"<th>{html.escape(col)}</th>" for col in ("stage", "use", "ms", "tokens", "blocks changed")
        )
        body = []
        for stage in self.stages:
            changed = sum(1 for block in stage.blocks if block.dropped)
            cells = (
                stage.stage_id,
                stage.stage_name,
                f"{stage.seconds * 1000:.2f}",
                str(stage.tokens),
                str(changed),
            )
            body.append("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>")
        title = f"<b>{html.escape(self.pipeline)}</b>: {self.tokens_input} tokens of text in"
        return f"<div>{title}<table><tr>{head}</tr>{''.join(body)}</table></div>"
