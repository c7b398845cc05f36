"""classify.v1: the content type of every block, and which blocks are protected.

`protect_recent_tool_outputs` leaves the newest N tool outputs whole. What happens to one
of them once newer outputs push it out of that window is `recent_policy`:

- `keep_as_sent` (default): it stays as it was first sent, whole, so the provider's prompt
  cache keeps serving it. Whether it was among the newest is judged in the request that
  first carried it (see `headroom.ccr.sessions`), so the answer never changes on later turns.
- `compress_once`: it is compressed on the first turn it is out of the window, and stays
  in that form afterwards (one cache miss for the rest of the request, once).

The output of a `headroom_retrieve` call is an original the model asked for: it is never
compressed again.

The label is detection's surest candidate (`headroom.content.detect`). When two candidates are
equally sure (a one-line git log that also reads as a table, a diff inside a log, a search
result shaped like a log), the request decides: each rival's compressor (score.v1 and the
type's crusher, with their default params) is run on the block, and the type whose output keeps
more of the request's distinctive terms (each on at most half the lines; each term counts by the
share of its occurrences kept) wins; equal shares keep detection's order. Never by the size of
the output. Only blocks that may be compressed, with a request that has terms, and no
bigger than `contest_max_chars`, hold a contest; the trace shows every candidate
(`BlockSnapshot.candidates`) and a note says who won a contest and by how much.
"""

from __future__ import annotations

import re
from typing import Literal

from headroom.ccr.sessions import ToolOutputs, first_sent_ends
from headroom.content.detect import Candidate, detect
from headroom.content.types import CRUSHER_OF, DOCUMENT_TYPES
from headroom.markers import MARKER_PATTERN
from headroom.pipeline import registry
from headroom.pipeline.params import StageParams, param
from headroom.pipeline.registry import register
from headroom.pipeline.stage import BlockState, RunState, Stage, block_guard

RETRIEVE_TOOL = "headroom_retrieve"
_SUMMARY = re.compile(r'\[headroom: summary of (?:[^\]"]|"(?:[^"\\]|\\.)*")*\]')


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
    contest_max_chars: int = param(
        200_000,
        ge=0,
        description="Blocks up to this size whose type is in doubt are compressed as each rival type to"
        " see which keeps more of the request (0: never; the surest type wins)",
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
                    detection = detect(block.text)
                    block.label = detection.label
                    block.candidates = detection.candidates
                    block.protected = self._protection(block, recent)
                    rivals = [c for c in detection.rivals() if c.label in DOCUMENT_TYPES]
                    if (
                        len(rivals) > 1
                        and block.protected is None
                        and len(block.text) <= self.params.contest_max_chars
                    ):
                        self._contest(block, rivals, state)

    def _contest(self, block: BlockState, rivals: list[Candidate], state: RunState) -> None:
        """Label the block with the rival whose compressor keeps more of what the request names."""
        from headroom.stages.crush.scoring import request_words

        wanted = _distinctive_occurrences(block.text, request_words(block))
        terms = list(wanted)
        if not terms:
            return
        kept = {c.label: _kept_share(block, c.label, state, terms, wanted) for c in rivals}
        best = max(rivals, key=lambda c: kept[c.label])  # the first of equals: detection's order
        surest = rivals[0].label
        if best.label != surest:
            block.label = best.label
            counts = f"of {len(terms)} request terms kept {kept[best.label]:g}, {kept[surest]:g}"
            block.note(f"{self.name}:{best.label} over {surest} ({counts})")

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


def _kept_share(
    block: BlockState, label: str, state: RunState, terms: list[str], wanted: dict[str, int]
) -> float:
    """How much of what the request names the block keeps when compressed as `label` (score.v1,
    then the type's crusher, default params): for each term, the share of its occurrences kept,
    summed, so every term the request names counts alike; -1 when that fails."""
    score, crusher = registry.lookup("score.v1"), registry.lookup(CRUSHER_OF.get(label, ""))
    if score is None or crusher is None:
        return -1
    trial = BlockState(block.block, label=label, bias=block.bias)
    try:
        if trial.document is None:
            return -1
        score().process_block(trial, state)
        crusher().process_block(trial, state)
        found = _occurrences(_without_marks(trial.render()), terms)
    except Exception:
        return -1  # a type that fails on the block keeps nothing
    return round(sum(min(found[term], wanted[term]) / wanted[term] for term in terms), 6)


def _occurrences(text: str, terms: list[str]) -> dict[str, int]:
    lowered = text.lower()
    return {term: lowered.count(term) for term in terms}


def _distinctive_occurrences(text: str, terms: list[str]) -> dict[str, int]:
    """How often each term the request names occurs, for the terms on at most half the lines:
    one on most lines names nothing in particular."""
    lines = text.lower().split("\n")
    found = {}
    for term in terms:
        holding = sum(1 for line in lines if term in line)
        if 0 < holding <= len(lines) / 2:
            found[term] = sum(line.count(term) for line in lines)
    return found


def _without_marks(text: str) -> str:
    """The text without markers and marked summaries: what they name is not kept."""
    return _SUMMARY.sub("", MARKER_PATTERN.sub("", text))
