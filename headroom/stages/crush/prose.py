"""crush.prose.v1: prose and Markdown, by extractive selection of whole lines.

Keeps the outline (every heading, up to a cap), the first sentence of each
section, the paragraphs and list items that share the most rare words with the
request and the tool arguments (TF-IDF over the document's chunks, from one pass; a
word is also found written as two, `filesystem` as "file system" or `file-system`,
and two words as one; the words of a path the call read choose nothing the user
does not ask for too),
code blocks that match the request, and pinned lines. Near-duplicate chunks (the
same words, or word 3-grams that mostly overlap an earlier chunk) are never chosen
for relevance. Every other run of lines becomes a marker naming its line range and
section. Each kept line keeps the lines that introduce it in a hanging indent
(`ProseDocument.entry_heads`): the option a man page or `--help` describes, the
list item a nested one belongs to. Kept lines are verbatim; `lossless` leaves the
text whole.
"""

from __future__ import annotations

import math
from collections import Counter
from itertools import pairwise

from headroom.content.prose import Chunk, ProseDocument, near_duplicates, stem_words
from headroom.pipeline.params import param
from headroom.pipeline.registry import register
from headroom.pipeline.stage import BlockState, RunState
from headroom.stages.crush import MARKER_TOKENS, CrushParams, CrushStage
from headroom.stages.crush.scoring import request_terms, unit_scores
from headroom.stages.score import argument_values, path_names, query_terms
from headroom.stages.selection import fill_small_gaps, mask, scaled


class ProseParams(CrushParams):
    min_lines: int = param(40, ge=0, description="Texts this short are left whole")
    max_paragraphs: int = param(12, ge=0, description="Request-relevant paragraphs and items kept (scaled)")
    max_code_blocks: int = param(3, ge=0, description="Request-relevant code blocks kept (scaled)")
    max_headings: int = param(
        80, ge=0, description="Headings kept as the outline (scaled); shallow ones first"
    )
    max_chunk_lines: int = param(
        24, ge=1, description="A longer relevant chunk keeps only its matching lines and its first (scaled)"
    )
    first_sentences: bool = param(True, description="Keep the first sentence of each section")
    min_relevance: float = param(
        0.15, ge=0, le=1, description="Chunks scoring under this share of the best match are not relevant"
    )


@register("crush.prose.v1")
class CrushProse(CrushStage):
    """Prose: keep the outline, first sentences, and the paragraphs and code the request is about."""

    document_type = ProseDocument
    Params = ProseParams
    params: ProseParams

    def process_block(self, block: BlockState, state: RunState) -> None:
        document = block.document
        assert isinstance(document, ProseDocument)
        total = len(document.units)
        if self.params.policy == "lossless" or total <= self.params.min_lines:
            return
        before = len(block.kept_indices())
        chosen = self._selection(block, state, document)
        keep = fill_small_gaps(mask(total, chosen), state.unit_tokens(block), MARKER_TOKENS)
        previous = block.keep
        block.narrow(keep)
        if self.params.policy == "auto" and len(block.render()) >= len(block.text):
            block.keep = previous  # the markers would cost more than the lines they replace
            return
        block.note(f"{self.name}:lines {before}->{len(block.kept_indices())}")

    def _selection(self, block: BlockState, state: RunState, document: ProseDocument) -> set[int]:
        p = self.params
        bias = block.bias
        _, pinned = unit_scores(block, state)
        chunks = document.chunks
        words = document.chunk_words()
        query = _request_words(block)
        compounds = Compounds(query)
        matched = [compounds.added(chunk_words) for chunk_words in words]
        # In a long chunk only the request's rarer words pick lines; the common ones are everywhere.
        distinctive = _distinctive(matched, query)
        relevance = _relevance(matched, chunks, query)
        duplicates = near_duplicates(words, [chunk.kind for chunk in chunks])
        chosen = self._pinned_chunks(document, pinned)
        headings = self._outline(chunks, relevance, scaled(p.max_headings, bias))
        for index in headings:
            chosen.update(range(chunks[index].start, chunks[index].stop))
        if p.first_sentences:
            chosen |= self._first_sentences(document, headings, duplicates)
        prose = [i for i, c in enumerate(chunks) if c.kind in ("paragraph", "item") and i not in duplicates]
        code = [i for i, c in enumerate(chunks) if c.kind == "code" and i not in duplicates]
        limit = scaled(p.max_chunk_lines, bias)
        # A chunk that only shares the document's commonest words with the request is not about it.
        floor = max(relevance, default=0.0) * p.min_relevance
        for pool, capacity in ((prose, p.max_paragraphs), (code, p.max_code_blocks)):
            relevant = sorted((i for i in pool if relevance[i] > floor), key=lambda i: (-relevance[i], i))
            for index in relevant[: scaled(capacity, bias)]:
                chosen |= _chunk_lines(document, chunks[index], distinctive, limit, compounds)
        return chosen | document.entry_heads(chosen)

    @staticmethod
    def _pinned_chunks(document: ProseDocument, pinned: set[int]) -> set[int]:
        """Pinned lines, each with its whole chunk when that is short (a code block stays balanced)."""
        chosen = set(pinned)
        for line in pinned:
            chunk = document.chunks[document.chunk_of_line[line]]
            if chunk.stop - chunk.start <= 12:
                chosen.update(range(chunk.start, chunk.stop))
        return chosen

    @staticmethod
    def _outline(chunks: list[Chunk], relevance: list[float], capacity: int) -> set[int]:
        """Heading chunks to keep: all when they fit, else the shallowest, then those of relevant sections."""
        headings = [i for i, chunk in enumerate(chunks) if chunk.kind == "heading"]
        if len(headings) <= capacity:
            return set(headings)
        section_relevance: dict[int, float] = {}
        for index, chunk in enumerate(chunks):
            if chunk.section >= 0:
                section_relevance[chunk.section] = (
                    section_relevance.get(chunk.section, 0.0) + relevance[index]
                )
        order = sorted(
            headings, key=lambda i: (relevance[i] + section_relevance.get(i, 0.0) <= 0, chunks[i].level, i)
        )
        return set(order[:capacity])

    @staticmethod
    def _first_sentences(document: ProseDocument, headings: set[int], duplicates: set[int]) -> set[int]:
        """The first sentence of the text, and of each kept heading's section."""
        lines: set[int] = set()
        wanted = {-1} | headings
        for index, chunk in enumerate(document.chunks):
            opens_section = chunk.kind in ("paragraph", "item") and chunk.section in wanted
            if opens_section and index not in duplicates and document.units[chunk.start].strip():
                lines.update(document.first_sentence_lines(chunk))
                wanted.discard(chunk.section)
        return lines


def _request_words(block: BlockState) -> set[str]:
    """The request's words (`query_words`), with pairs joined (`joined_pairs`). Words of the paths the
    tool call read name what was read, not a part of it (`fastapi-0.165.0.dist-info/METADATA`: dist,
    info, metadata), so they choose nothing unless the user writes them too."""
    words = query_words(request_terms(block)) | joined_pairs(block.block.query)
    call = block.block.tool_call
    if call is None:
        return words
    asked = query_words(list(query_terms(block.block.query)))
    read = {word for name in path_names(argument_values(call.arguments)) for word in stem_words(name)}
    return words - (read - asked)


def query_words(terms: list[str]) -> set[str]:
    return {word for term in terms for word in stem_words(term) if len(word) >= 3}


# A compound is at least this long, and each of its two words at least MIN_PART.
MIN_COMPOUND = 6
MIN_PART = 3
# Words that join a sentence, never a compound ("and other", "how do" are no words written apart).
_FUNCTION_WORDS = frozenset(
    "the and for nor but yet with that this these those from what why how when where which who whom "
    "are was were has have had not all any can could should would will shall into onto upon about "
    "there their them they then than you your our its his her other each every some such also".split()
)


def joined_pairs(text: str) -> set[str]:
    """Words the request writes side by side, joined, so a text writing them as one word matches
    ("file systems" finds `filesystem`)."""
    words = stem_words(text)
    return {
        first + second
        for first, second in pairwise(words)
        if min(len(first), len(second)) >= MIN_PART
        and len(first) + len(second) >= MIN_COMPOUND
        and first not in _FUNCTION_WORDS
        and second not in _FUNCTION_WORDS
    }


class Compounds:
    """Pairs of neighbouring words that a request word joins into one: "file system" and
    `file-system` count as `filesystem` when the request says "filesystems"."""

    def __init__(self, query: set[str]):
        self.query = query
        self.starts = {
            word[:cut]
            for word in query
            if len(word) >= MIN_COMPOUND
            for cut in range(MIN_PART, len(word) - MIN_PART + 1)
        }

    def added(self, words: list[str]) -> list[str]:
        """The words, then each such pair joined."""
        if not self.starts:
            return words
        found = [
            first + second
            for first, second in pairwise(words)
            if first in self.starts and len(second) >= MIN_PART and first + second in self.query
        ]
        return words + found if found else words


def _relevance(words: list[list[str]], chunks: list[Chunk], query: set[str]) -> list[float]:
    """TF-IDF overlap of each chunk with the request's words; a heading's match lifts its section."""
    if not query:
        return [0.0] * len(chunks)
    counts = [Counter(w for w in chunk_words if w in query) for chunk_words in words]
    frequency: Counter[str] = Counter()
    for chunk_counts in counts:
        frequency.update(chunk_counts.keys())
    total = len(chunks)
    idf = {word: math.log((total + 1) / (frequency[word] + 0.5)) for word in query if frequency[word]}
    scores = []
    for chunk_counts, chunk_words in zip(counts, words, strict=True):
        raw = sum(idf[w] * (1 + math.log(n)) for w, n in chunk_counts.items())
        scores.append(raw / (1 + math.log(1 + len(chunk_words) / 40)))
    for index, chunk in enumerate(chunks):
        if chunk.kind != "heading" and chunk.section >= 0 and scores[chunk.section] > 0:
            scores[index] += 0.5 * scores[chunk.section] if scores[index] > 0 else 0.0
    return scores


def _distinctive(words: list[list[str]], query: set[str]) -> set[str]:
    """Request words found in at most a quarter of the chunks (and at least one)."""
    frequency: Counter[str] = Counter()
    for chunk_words in words:
        frequency.update(query.intersection(chunk_words))
    limit = max(1, len(words) // 4)
    return {word for word in query if 0 < frequency[word] <= limit}


def _chunk_lines(
    document: ProseDocument, chunk: Chunk, query: set[str], limit: int, compounds: Compounds
) -> set[int]:
    """A chunk's lines; of a long one, its first line and the lines that hold a request word (with the
    line after each, which usually finishes the sentence)."""
    lines = range(chunk.start, chunk.stop)
    if len(lines) <= limit:
        return set(lines)
    chosen = {chunk.start}
    for line in lines:
        if query.intersection(compounds.added(stem_words(document.units[line]))):
            chosen.update((line, min(line + 1, chunk.stop - 1)))
    return chosen
