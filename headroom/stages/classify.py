"""classify.v1: the content type of every block, and which blocks are protected."""

from __future__ import annotations

from pydantic import Field

from headroom.content import detect_label
from headroom.registry import register
from headroom.stage import BlockState, RunState, Stage, StageParams


class ClassifyParams(StageParams):
    protect_system: bool = Field(True, description="Never compress system and developer prompts")
    protect_user: bool = Field(True, description="Never compress what the user typed")
    protect_assistant: bool = Field(True, description="Never compress the assistant's own text")
    min_tokens: int = Field(200, ge=0, description="Blocks smaller than this (estimated) are left alone")
    protect_recent_tool_outputs: int = Field(
        0, ge=0, description="Leave the newest N tool outputs as they are (0: compress every tool output)"
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
                block.label = detect_label(block.text)
                block.protected = self._protection(block, recent)

    def _recent_tool_blocks(self, state: RunState) -> set[int]:
        newest = self.params.protect_recent_tool_outputs
        if newest == 0:
            return set()
        tool_messages = sorted({b.block.message_index for b in state.blocks if b.block.origin == "tool"})
        recent_messages = set(tool_messages[-newest:])
        return {b.block.id for b in state.blocks if b.block.message_index in recent_messages}

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
        # ~4 characters a token: classification must not tokenise.
        if len(block.text) < self.params.min_tokens * 4:
            return f"under {self.params.min_tokens} tokens"
        if block.label == "empty":
            return "empty"
        return None
