"""budget.v1: keep the highest-scoring units that fit a token budget, per block and overall.

Per block the budget is `max(min_tokens, target_ratio x block tokens) x bias`.
Overall, when the whole request is over `max_tokens` (an option, a param, or a
share of the model's context window), what every block keeps shrinks by the
same factor. Pinned units always survive, even over budget.
"""

from __future__ import annotations

from pydantic import Field

from headroom.registry import register
from headroom.selection import fill_small_gaps, mask, within_budget
from headroom.stage import BlockState, RunState, Stage, StageParams
from headroom.stages.crush import MARKER_TOKENS
from headroom.tokens import context_window


class BudgetParams(StageParams):
    target_ratio: float = Field(0.25, gt=0, le=1, description="Keep about this share of each block's tokens")
    min_tokens: int = Field(400, ge=0, description="No block's budget goes below this many tokens")
    max_tokens: int | None = Field(None, gt=0, description="Overall budget for the request's text")
    context_share: float = Field(
        0.8,
        gt=0,
        le=1,
        description="Without max_tokens: the overall budget is this share of the context window",
    )
    labels: list[str] = Field(
        default_factory=lambda: ["json_array", "log"], description="Content types the budget may cut"
    )


@register("budget.v1")
class Budget(Stage):
    """Fit each block, and the whole request, into a token budget by dropping the lowest scores."""

    requires = frozenset({"labels"})
    provides = frozenset({"selection"})
    Params = BudgetParams
    params: BudgetParams

    def applies_to(self, block: BlockState) -> bool:
        return super().applies_to(block) and block.label in self.params.labels and block.document is not None

    async def run(self, state: RunState) -> None:
        targets = [block for block in state.blocks if self.applies_to(block)]
        ratio = float(state.option("target_ratio", self.params.target_ratio))
        for block in targets:
            self._fit(block, state, self._block_budget(block, state, ratio))
        factor = self._overall_factor(state, targets)
        if factor < 1.0:
            for block in targets:
                # Shrink what the block keeps now: a crusher may have kept far less than its budget.
                tokens = state.unit_tokens(block)
                kept = sum(tokens[i] for i in block.kept_indices())
                self._fit(block, state, min(self._block_budget(block, state, ratio), kept) * factor)

    def _overall_factor(self, state: RunState, targets: list[BlockState]) -> float:
        """How much every block's budget must shrink for the whole request to fit (1.0: it fits)."""
        overall = self._overall_budget(state)
        rendered = {block.block.id: block.render() for block in targets}
        others = [block.text for block in state.blocks if block.block.id not in rendered]
        texts = [*rendered.values(), *others]
        # A token is at least one byte: a request with fewer bytes than the budget fits for sure,
        # and the exact count (which may load a tokenizer) is only needed near the limit.
        if sum(len(text.encode("utf-8", "surrogatepass")) for text in texts) <= overall:
            return 1.0
        spent = sum(state.count_tokens(text) for text in rendered.values())
        fixed = sum(state.count_tokens(text) for text in others)
        if spent + fixed <= overall or spent == 0:
            return 1.0
        return max(0.0, (overall - fixed) / spent)

    def _block_budget(self, block: BlockState, state: RunState, ratio: float) -> float:
        return max(self.params.min_tokens, ratio * state.block_tokens(block)) * block.bias

    def _overall_budget(self, state: RunState) -> int:
        explicit = state.option("max_tokens", self.params.max_tokens)
        if explicit is not None:
            return int(explicit)
        return int(context_window(state.context.model) * self.params.context_share)

    def _fit(self, block: BlockState, state: RunState, budget: float) -> None:
        document = block.document
        assert document is not None
        tokens = state.unit_tokens(block)
        candidates = block.kept_indices()
        if sum(tokens[i] for i in candidates) <= budget:
            return
        chosen = within_budget(candidates, block.scores, tokens, block.pinned, budget)
        keep = mask(len(document.units), chosen)
        if document.unit_name == "lines":
            keep = fill_small_gaps(keep, tokens, MARKER_TOKENS)
        before = len(candidates)
        block.narrow(keep)
        block.note(
            f"{self.name}:{document.unit_name} {before}->{len(block.kept_indices())} (budget {int(budget)})"
        )
