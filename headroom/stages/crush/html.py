"""crush.html.v1: HTML pages, read as text.

The page becomes its readable blocks (`headroom.content.html`): scripts,
styles, navigation, page headers and footers, forms and the like are dropped
and tallied in one marker. When the text is still over `max_tokens` (scaled
by the hook bias), whole sections go, the least relevant to the request
first; the first section (title and introduction) and every section holding
a pinned block stay. Each dropped run of sections is one marker naming its
heading.

When the request asks for an identifier by its kind ("which commit was built?", "what build
number?", `headroom.content.identifiers`), the blocks showing one of that kind stay, with the
heading of their section, and are pinned: those naming the kind first ("Commit: 4f3a9c1"), then
in page order, at most `max_identifier_blocks`. The page's dropped elements (a sidebar, a page
header) that show one are written where they stood (`HtmlDocument.asides`).
"""

from __future__ import annotations

from headroom.content.html import HtmlDocument
from headroom.content.identifiers import holds_kind, kinds_asked, names_kind
from headroom.pipeline.params import param
from headroom.pipeline.registry import register
from headroom.pipeline.stage import BlockState, RunState
from headroom.stages.crush import CrushParams, CrushStage
from headroom.stages.score import query_terms
from headroom.stages.selection import mask, scaled

# A section scoring this much matches the request (score.v1 scales relevance to 0..1 per block).
RELEVANT = 0.5


class HtmlParams(CrushParams):
    max_tokens: int = param(
        2000,
        ge=0,
        description="Text over this many tokens loses its least relevant sections (scaled by bias)",
    )
    max_relevant_tokens: int = param(
        6000,
        ge=0,
        description="Sections that match the request stay up to this many tokens, past max_tokens "
        "(scaled by bias)",
    )
    keep_first_section: bool = param(True, description="The title and introduction always stay")
    max_identifier_blocks: int = param(
        12,
        ge=0,
        description="Blocks showing an identifier of the kind the request asks for (a commit, a build "
        "number) kept and pinned (scaled by bias)",
    )


@register("crush.html.v1")
class CrushHtml(CrushStage):
    """HTML: keep the readable text and tables; drop scripts, styles, navigation, then weak sections."""

    document_type = HtmlDocument
    Params = HtmlParams
    params: HtmlParams

    def process_block(self, block: BlockState, state: RunState) -> None:
        document = block.document
        assert isinstance(document, HtmlDocument)
        if self.params.policy == "lossless":
            return  # reading a page drops its markup: never faithful
        document.encoding = "text"
        as_text = document.render(block.keep, block.ref)
        if self.params.policy == "auto" and block.keep is None and len(as_text) >= len(block.text):
            document.encoding = "source"  # a bare fragment: the text is no smaller
            return
        before = len(block.kept_indices())
        asked = self._asked_identifiers(block, document)
        dropped_sections = self._fit(block, document, state, asked)
        block.pinned |= asked  # the request asks for them: no later cut may drop them
        after = len(block.kept_indices())
        elements = sum(count for _, count in document.dropped)
        block.note(
            f"{self.name}:blocks {before}->{after}"
            f" ({elements} elements dropped, {dropped_sections} sections dropped)"
        )

    def _asked_identifiers(self, block: BlockState, document: HtmlDocument) -> set[int]:
        """The blocks showing an identifier of a kind the request asks for (and the asides to show)."""
        kinds = kinds_asked(block.block.query)
        document.shown_asides = frozenset()
        if not kinds:
            return set()
        limit = scaled(self.params.max_identifier_blocks, block.bias)
        document.shown_asides = frozenset(
            n for n, (_, text) in enumerate(document.asides) if holds_kind(text, kinds)
        )
        kept = set(block.kept_indices())
        found = [i for i, unit in enumerate(document.units) if i in kept and holds_kind(unit, kinds)]
        # Blocks that name the kind ("Commit: 4f3a9c1", "Build #4521") say which identifier it is.
        named = [i for i in found if names_kind(document.units[i], kinds)]
        return set([*named, *(i for i in found if i not in named)][:limit])

    def _fit(self, block: BlockState, document: HtmlDocument, state: RunState, asked: set[int]) -> int:
        tokens = state.unit_tokens(block)
        kept = block.kept_indices()
        budget = scaled(self.params.max_tokens, block.bias)
        if sum(tokens[i] for i in kept) <= budget:
            return 0
        sections = document.groups()
        relevance = self._relevance(block, document, sections)
        chosen: set[int] = set()
        spent = 0
        for position, section in enumerate(sections):
            must = any(i in block.pinned for i in section) or (
                position == 0 and self.params.keep_first_section
            )
            if must:
                chosen.add(position)
                spent += sum(tokens[i] for i in section)
        # Best match first; among equals, earlier sections first (a page leads with what matters).
        ranked = sorted(
            (p for p in range(len(sections)) if p not in chosen), key=lambda p: (-relevance[p], p)
        )
        relevant_budget = max(budget, scaled(self.params.max_relevant_tokens, block.bias))
        partial: list[int] = []
        for rank, position in enumerate(ranked):
            cost = sum(tokens[i] for i in sections[position])
            strong = relevance[position] >= RELEVANT
            if spent + cost <= (relevant_budget if strong else budget):
                chosen.add(position)
                spent += cost
            elif rank == 0 and strong:
                # The best match alone is too big: its first blocks, as many as fit.
                for index in sections[position]:
                    if spent + tokens[index] > relevant_budget:
                        break
                    partial.append(index)
                    spent += tokens[index]
        units = [i for p in chosen for i in sections[p]] + partial
        # Asked-for identifiers stay with the heading of their section, however weak the section.
        headings = {section.start for section in sections for i in asked if i in section}
        block.narrow(mask(len(document.units), [*units, *asked, *headings]))
        return len(sections) - len(chosen)

    @staticmethod
    def _relevance(block: BlockState, document: HtmlDocument, sections: list[range]) -> list[float]:
        if block.scores is not None:
            # The best block, and the heading again: a heading that matches names the section.
            scores = block.scores
            return [
                max((scores[i] for i in section), default=0.0)
                + (scores[section.start] if document.levels[section.start] else 0.0)
                for section in sections
            ]
        # No score stage ran: count the request's terms each section holds.
        call = block.block.tool_call
        terms = query_terms(block.block.query, call.arguments if call else "")
        relevance = []
        for section in sections:
            text = " ".join(document.units[i] for i in section).lower()
            relevance.append(float(sum(1 for term in terms if term in text)))
        return relevance
