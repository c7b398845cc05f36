"""classify.v1: the content type of every block, and which blocks are protected.

`protect_recent_tool_outputs` leaves the newest N tool outputs whole. What happens to one
of them once newer outputs push it out of that window is `recent_policy`:

- `keep_as_sent` (default): it stays as it was first sent, whole, so the provider's prompt
  cache keeps serving it. Whether it was among the newest is judged in the request that
  first carried it (see `headroom.session`), so the answer never changes on later turns.
- `compress_once`: it is compressed on the first turn it is out of the window, and stays
  in that form afterwards (one cache miss for the rest of the request, once).

The output of a `headroom_retrieve` call is an original the model asked for: it is never
compressed again.
"""

from __future__ import annotations

from typing import Literal

from headroom.content import detect_label
from headroom.params import param
from headroom.registry import register
from headroom.session import ToolOutputs, first_sent_ends
from headroom.stage import BlockState, RunState, Stage, StageParams, block_guard

RETRIEVE_TOOL = "headroom_retrieve"


class ClassifyParams(StageParams):
    protect_system: bool = param(True, description="Never compress system and developer prompts")
    protect_user: bool = param(True, description="Never compress what the user typed")
    protect_assistant: bool = param(True, description="Never compress the assistant's own text")
    min_tokens: int = param(200, ge=0, description="Blocks smaller than this (estimated) are left alone")
    protect_recent_tool_outputs: int = param(
        0, ge=0, description="Leave the newest N tool outputs as they are (0: compress every tool output)"
    )
    recent_policy: Literal["keep_as_sent", "compress_once"] = param(
        "keep_as_sent",
        description="A tool output that was among the newest when first sent: keep it whole (cache-friendly)"
        " or compress it once when it leaves the window",
    )


@register("classify.v1")
class Classify(Stage):
    """Label each block's content type and decide what is protected."""

    provides = frozenset({"labels"})
    Params = ClassifyParams
    params: ClassifyParams

    def applies_to(self, block: BlockState) -> bool:
        return block.failed is None and block.output is None

    async def run(self, state: RunState) -> None:
        recent = self._recent_tool_blocks(state)
        for block in state.blocks:
            if self.applies_to(block):
                with block_guard(self, state, block):
                    block.label = detect_label(block.text)
                    block.protected = self._protection(block, recent)

    def _recent_tool_blocks(self, state: RunState) -> set[int]:
        """Tool blocks among the newest N: in the request that first carried them (keep_as_sent),
        or in this request (compress_once)."""
        newest = self.params.protect_recent_tool_outputs
        if newest == 0:
            return set()
        last = len(state.messages) - 1
        ends = first_sent_ends(state.messages) if self.params.recent_policy == "keep_as_sent" else None
        outputs = ToolOutputs(state)
        return {
            b.block.id
            for b in state.blocks
            if b.block.origin == "tool"
            and outputs.after(b, ends[b.block.message_index] if ends else last) < newest
        }

    def _protection(self, block: BlockState, recent: set[int]) -> str | None:
        origin = block.block.origin
        role_rules = {
            "system": self.params.protect_system,
            "user": self.params.protect_user,
            "assistant": self.params.protect_assistant,
        }
        if role_rules.get(origin, False):
            return f"{origin} text"
        if origin == "other":
            return "unknown role"
        if block.block.id in recent:
            return "recent tool output"
        call = block.block.tool_call
        if origin == "tool" and call is not None and call.name == RETRIEVE_TOOL:
            return "retrieved original"
        # ~4 characters a token: classification must not tokenise.
        if len(block.text) < self.params.min_tokens * 4:
            return f"under {self.params.min_tokens} tokens"
        if block.label == "empty":
            return "empty"
        return None
