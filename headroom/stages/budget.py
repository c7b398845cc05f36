"""budget.v1: keep the highest-scoring units that fit a token budget, per block and overall.

Per block the budget is `max(min_tokens, target_ratio x block tokens) x bias`, for the content
types in `labels`. Overall, when the whole request is over `max_tokens` (an option, a param, or a
share of the model's context window), what the blocks keep shrinks by one factor per request in
the conversation, oldest first, each only as far as its request needs (so earlier turns keep
their bytes); this also shrinks the types in `overall_labels` (diffs, git logs), whose crushers
fit each block to a budget of their own by their structure. The overall cut keeps that
structure: it drops their groups (a diff's hunks, a log's commits) whole, the lowest-scoring
first, so a kept commit keeps its header and a dropped hunk is listed in its run's marker.
Pinned units always survive, even over budget, and a group holding one stays whole.
"""

from __future__ import annotations

from itertools import groupby

from headroom.ccr.sessions import first_sent_ends
from headroom.pipeline.params import StageParams, param
from headroom.pipeline.registry import register
from headroom.pipeline.stage import BlockState, RunState, Stage, block_guard, blocks_for
from headroom.stages.selection import (
    MARKER_TOKENS,
    fill_small_gaps,
    groups_within_budget,
    mask,
    target_ratio,
    within_budget,
)
from headroom.tokens import context_window


class BudgetParams(StageParams):
    target_ratio: float = param(0.25, gt=0, le=1, description="Keep about this share of each block's tokens")
    min_tokens: int = param(400, ge=0, description="No block's budget goes below this many tokens")
    max_tokens: int | None = param(None, gt=0, description="Overall budget for the request's text")
    context_share: float = param(
        0.8,
        gt=0,
        le=1,
        description="Without max_tokens: the overall budget is this share of the context window",
    )
    labels: list[str] = param(
        default_factory=lambda: ["json_array", "log", "html", "search", "shell", "json_object", "table"],
        description="Content types the budget may cut",
    )
    overall_labels: list[str] = param(
        default_factory=lambda: ["diff", "git_log"],
        description="Content types only the overall budget (max_tokens, the context window) may cut,"
        " group by group (hunks, commits): their crushers fit each block to a budget of their own",
    )


@register("budget.v1")
class Budget(Stage):
    """Fit each block, and the whole request, into a token budget by dropping the lowest scores."""

    requires = frozenset({"labels"})
    provides = frozenset({"selection"})
    Params = BudgetParams
    params: BudgetParams

    def applies_to(self, block: BlockState) -> bool:
        labels = (*self.params.labels, *self.params.overall_labels)
        return super().applies_to(block) and block.label in labels and block.document is not None

    async def run(self, state: RunState) -> None:
        targets = blocks_for(self, state)
        ratio = target_ratio(state, self.params.target_ratio)
        for block in targets:
            if block.label in self.params.labels:
                with block_guard(self, state, block):
                    self._fit(block, state, self._block_budget(block, state, ratio))
        self._fit_overall(state, [block for block in targets if block.failed is None], ratio)

    def _fit_overall(self, state: RunState, targets: list[BlockState], ratio: float) -> None:
        """Shrink blocks until the request fits the overall budget, one request at a time.

        Blocks are taken in the order the conversation first sent them (`headroom.ccr.sessions`):
        the blocks of each request shrink only as far as that request needs, given the
        blocks before it. So a block's form depends on the turns before it, never on later
        ones, and the provider's prompt cache keeps serving the earlier turns.
        """
        overall = self._overall_budget(state)
        chosen = {block.block.id for block in targets}

        def text(block: BlockState) -> str:
            if block.block.id in chosen and block.failed is None:
                with block_guard(self, state, block):
                    return block.render()
            return block.output if block.output is not None else block.text

        # A token is at least one byte: a request with fewer bytes than the budget fits for sure,
        # and the exact count (which may load a tokenizer) is only needed near the limit.
        if sum(len(text(block).encode("utf-8", "surrogatepass")) for block in state.blocks) <= overall:
            return
        ends = first_sent_ends(state.messages)
        before = 0  # tokens of the requests already fitted
        for _, blocks in groupby(state.blocks, key=lambda block: ends[block.block.message_index]):
            request = list(blocks)
            cut = [block for block in request if block.block.id in chosen]
            fixed = sum(state.count_tokens(text(block)) for block in request if block.block.id not in chosen)
            spent = sum(state.count_tokens(text(block)) for block in cut)
            room = overall - before - fixed
            if spent > room and spent > 0:
                factor = max(0.0, room / spent)
                for block in cut:
                    if block.failed is not None:
                        continue
                    with block_guard(self, state, block):
                        # Shrink what the block keeps now: a crusher may have kept far less than its budget.
                        tokens = state.unit_tokens(block)
                        kept = float(sum(tokens[i] for i in block.kept_indices()))
                        if block.label in self.params.labels:
                            kept = min(self._block_budget(block, state, ratio), kept)
                        self._fit(block, state, kept * factor)
                spent = sum(state.count_tokens(text(block)) for block in cut)
            before += fixed + spent

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
        if block.label in self.params.labels:
            chosen = within_budget(candidates, block.scores, tokens, block.pinned, budget)
        else:  # a type whose structure its crusher chose: whole groups go
            groups = document.groups()
            chosen = groups_within_budget(candidates, block.scores, tokens, block.pinned, budget, groups)
        keep = mask(len(document.units), chosen | document.implied(chosen))
        if document.unit_name == "lines":
            keep = fill_small_gaps(keep, tokens, MARKER_TOKENS)
        before = len(candidates)
        block.narrow(keep)
        block.note(
            f"{self.name}:{document.unit_name} {before}->{len(block.kept_indices())} (budget {int(budget)})"
        )
