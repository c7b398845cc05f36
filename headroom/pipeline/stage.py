"""The stage contract. Every other module refers here; this is the one place it is written.

What a stage receives
    One `RunState` per compression run: the input messages (read-only), the
    `blocks` found in them (one `BlockState` per compressible string leaf), the
    run's `context` (model, query, tool calls), per-message `bias` weights from
    hooks, and run `options` (`max_tokens`, `target_ratio`, ...). Each block
    carries its content `label`, its `protected` reason (None when it may be
    compressed), a lazily parsed `document` (its units: lines, items), the unit
    `scores` and `pinned` units, and the `keep` mask. A stage reads an option
    with `state.option(name)`, and only an option declared in `headroom.pipeline.options`
    (the list `compress()` accepts and the memo and session keys cover).

What a stage may change
    Only the fields it declares in `provides`, and only on blocks it
    `applies_to`. The vocabulary is fixed: `labels` (label, protected),
    `scores` (scores, relevance, pinned), `selection` (keep, encoding), `stored` (output).
    Selection only ever narrows: a stage may drop units another kept, never
    bring back one that was dropped, and never drop a pinned unit. A selecting
    stage may add to `pinned` a unit it keeps because the request asks for it
    (the largest value of a column the request names), so no later cut drops it.
    What a selecting stage keeps includes what its kept units need beside them
    (`Document.implied`: a diff line's hunk and file headers, a commit's header).

What a stage must never do
    Mutate the input messages. Split a tool call from its result (stages work
    inside one block's text; the message list's shape is fixed). Emit text that
    was not in the input, except a marker or marked summary (`headroom.markers`)
    or a faithful re-encoding (the same values in a more compact form).
    Depend on anything but the block, the turns before it and its own params,
    so the same input always gives the same bytes.

How a stage reports
    `block.note(...)` records what it did ("crush.json.v1:items 300->14"); these
    become `result.transforms_applied`. A stage raises on failure; the executor
    turns that into a `StageError` (strict) or a reported failure that leaves
    the block as it was (the default, `on_error: passthrough`).

Tokens
    Stages decide with `state.block_tokens` / `state.unit_tokens`, a character
    estimate (`headroom.tokens.approx_tokens`): decisions compare parts of one
    text, so the scale barely matters, and no tokenizer is loaded to decide.
    `state.count_tokens` is exact for the model; use it only where an absolute
    figure matters (an overall budget near the context limit).

A stage that declares `handles` (the labels it works on) is neither built nor
run for a request with no compressible block of those labels: its module is
not even imported. A stage that must see every request leaves `handles` None.
The labels are those of `headroom.content.types`; a built-in crusher is given
its labels by that table, where each content type names its default crusher.

Run settings a stage declares are read once, when the pipeline loads, never by
scanning params at run time: `store_param` names the param holding the store
URL (`Pipeline.store`), and `may_drop()` says whether the stage can leave units
out (`Pipeline.can_drop`: whether `headroom_retrieve` is offered).

A stage may also implement `prepare(state)`, run before any stage, and
`finish(state)`, run after all of them, for work that must see the whole run
(a cache answering repeats, then storing results).

Stages declare `requires` (fields an ancestor must provide) and `provides`,
both from the vocabulary above (`FIELDS`; a misspelt field is refused when the
stage registers); the graph checks at load time that an ancestor provides each
requirement. In the default pipeline, `classify.v1` provides `labels`,
`score.v1` provides `scores`, every `crush.*.v1` stage and `budget.v1` provide
`selection`, and `cache.v1` provides `stored`. `Params` (a
`headroom.pipeline.params.StageParams` subclass whose fields are declared with
`param(...)`) is the YAML `params:` schema and the constructor's argument at once.

Threads
    `process_block` is synchronous, and runs in a worker thread: `compress()` runs a
    whole pipeline in a thread of its own with its own event loop, and `acompress()`
    never runs a stage on the caller's loop. So a stage may take CPU time freely,
    must not touch the caller's event loop, and must not keep state between runs
    on `self` (one instance serves concurrent runs in several threads): keep it on
    the block or the state. `run`, `prepare` and `finish` are coroutines on the
    run's own loop.

Selecting
    A selecting stage decides a keep mask over `block.document.units` and applies it
    with `headroom.stages.selection.narrow_to(block, state, chosen, self.name)`, which
    intersects it with what earlier stages kept, never drops a pinned unit, keeps a
    dropped run too small to be worth its marker (`fill_small_gaps`), and notes what
    it did. Rendering marks every elision in place; the stage writes no marker itself.

Registering
    `@register("family.name.v1")` in the stage's module. A third-party package
    registers through the entry-point group `headroom.stages` (the entry's name is the
    stage's name, its value the class: `"acme.dedupe.v1" = "acme_stages:Dedupe"`), so a
    pipeline file can name it in `use:` once the package is installed. See
    docs/writing-a-stage.md; `headroom.testing` has `make_state` and `run_stage`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from headroom import content
from headroom.content.base import Document
from headroom.markers import content_hash
from headroom.messages import Block, Conversation, ToolCall
from headroom.pipeline.hooks import provider_for
from headroom.pipeline.options import is_declared
from headroom.pipeline.params import StageParams
from headroom.tokens import approx_tokens

FIELDS = frozenset({"labels", "scores", "selection", "stored"})


@dataclass
class BlockState:
    """Everything stages know and decide about one block."""

    block: Block
    label: str | None = None
    candidates: tuple[Any, ...] = ()  # what detection saw (`headroom.content.detect.Candidate`), surest first
    protected: str | None = None  # why it must not be compressed; None when it may be
    bias: float = 1.0
    scores: list[float] | None = None
    relevance: list[float] | None = None  # per unit, 0..1: how well it matches the request alone
    pinned: set[int] = field(default_factory=set)
    keep: list[bool] | None = None  # None: every unit kept
    output: str | None = None  # final text, when a stage has fixed it
    answered: str | None = None  # how a stage answered it from an earlier run ("memo hit"); None: this run
    failed: str | None = None
    notes: list[str] = field(default_factory=list)
    _document: Document | None = None
    _parsed: bool = False
    _ref: str | None = None

    @property
    def text(self) -> str:
        return self.block.text

    @property
    def document(self) -> Document | None:
        """The parsed document for this block's label (None: no compressor understands it)."""
        if not self._parsed and self.label is not None:
            self._document = content.parse(self.label, self.text)
            self._parsed = True
        return self._document

    @property
    def ref(self) -> str:
        """The hash that retrieves this block's original text."""
        if self._ref is None:
            self._ref = content_hash(self.text)
        return self._ref

    @property
    def compressible(self) -> bool:
        return self.protected is None and self.failed is None and self.output is None

    def kept_indices(self) -> list[int]:
        document = self.document
        if document is None:
            return []
        if self.keep is None:
            return list(range(len(document.units)))
        return [i for i, kept in enumerate(self.keep) if kept]

    def narrow(self, keep: Sequence[bool]) -> None:
        """Intersect the keep mask with `keep`; pinned units always stay."""
        current = self.keep or [True] * len(keep)
        self.keep = [
            (old and new) or (old and index in self.pinned)
            for index, (old, new) in enumerate(zip(current, keep, strict=True))
        ]

    def render(self) -> str:
        if self.output is not None:
            return self.output
        # A block no stage reported changing (dropped nothing, chose no encoding) stays exactly as it was.
        if self.failed is not None or (self.keep is None and not self.notes):
            return self.text
        document = self.document
        return self.text if document is None else document.render(self.keep, self.ref)

    def note(self, text: str) -> None:
        self.notes.append(text)


@dataclass
class RunContext:
    model: str | None
    provider: str
    format: str
    user_query: str
    turn_number: int
    tool_calls: list[ToolCall]

    @classmethod
    def of(cls, conversation: Conversation, model: str | None, user_query: str | None = None) -> RunContext:
        """What a run knows of its request: the model, the conversation's format, its last
        user turn (or the request the caller names), and the tool calls."""
        return cls(
            model=model,
            provider=provider_for(model, conversation.format),
            format=conversation.format,
            user_query=user_query if user_query is not None else conversation.last_user_text,
            turn_number=conversation.user_turns,
            tool_calls=conversation.tool_calls,
        )


@dataclass
class Failure:
    """A reported (not raised) failure: a stage or hook that did not work."""

    where: str
    error: str
    message_index: int | None = None


@dataclass
class RunState:
    messages: Sequence[Any]
    blocks: list[BlockState]
    context: RunContext
    count_tokens: Callable[[str], int]  # exact, for this model; may load a tokenizer: use sparingly
    options: dict[str, Any] = field(default_factory=dict)
    store: Any = None
    strict: bool = False
    failures: list[Failure] = field(default_factory=list)
    stages_run: list[str] = field(default_factory=list)
    pipeline_id: str = ""  # hash of the pipeline's canonical text: part of every memo key

    def option(self, name: str, default: Any = None) -> Any:
        """A run option (`headroom.pipeline.options`); only a declared option can be read."""
        if not is_declared(name):
            raise KeyError(
                f"option {name!r} is not declared; declare it with headroom.pipeline.options.declare_option"
            )
        value = self.options.get(name)
        return default if value is None else value

    def unit_tokens(self, block: BlockState) -> list[int]:
        """Estimated tokens per unit (see `headroom.tokens.approx_tokens`)."""
        document = block.document
        if document is None:
            return []
        return [max(1, approx_tokens(unit)) for unit in document.units]

    def block_tokens(self, block: BlockState) -> int:
        """Estimated tokens of a block's original text."""
        return approx_tokens(block.text)


class Stage:
    """Base class for stages. Subclass, set the class attributes, implement `process_block`
    (or `run` for stages that look across blocks), and register with `@register("family.name.v1")`."""

    name: ClassVar[str] = ""
    requires: ClassVar[frozenset[str]] = frozenset()
    provides: ClassVar[frozenset[str]] = frozenset()
    handles: ClassVar[frozenset[str] | None] = None  # labels this stage works on; None: every label
    Params: ClassVar[type[StageParams]] = StageParams
    # The param that names where this stage keeps originals (a store URL), if it has one: the
    # pipeline's store, read once when it loads (`Pipeline.store`).
    store_param: ClassVar[str | None] = None

    def __init__(self, params: StageParams | None = None, *, stage_id: str | None = None):
        self.params = params if params is not None else self.Params()
        self.stage_id = stage_id or self.name

    def may_drop(self) -> bool:
        """Whether this stage, with its params, may leave units out (so the model may need
        `headroom_retrieve`): a selecting stage may, unless it says otherwise."""
        return "selection" in self.provides

    def declared_store(self) -> str | None:
        """The store URL this stage's params name, if it has a store param and it is set."""
        if self.store_param is None:
            return None
        value = getattr(self.params, self.store_param, None)
        return str(value) if value else None

    def applies_to(self, block: BlockState) -> bool:
        if not block.compressible:
            return False
        return self.handles is None or block.label in self.handles

    async def prepare(self, state: RunState) -> None:
        """Runs before any stage runs (a cache may answer blocks here). Default: nothing."""

    async def run(self, state: RunState) -> None:
        await for_each_block(self, state, self.process_block)

    async def finish(self, state: RunState) -> None:
        """Runs after every stage has run (a cache stores results here). Default: nothing."""

    def process_block(self, block: BlockState, state: RunState) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement process_block or run")


async def for_each_block(stage: Stage, state: RunState, work: Callable[[BlockState, RunState], None]) -> None:
    """Run `work` on every block the stage applies to, one after another, in this thread.

    A run already has a worker thread of its own (`acompress` never runs stages on the caller's
    event loop), so a block needs no thread of its own; the interpreter runs one at a time anyway.
    A failure on one block is the executor's to report (strict) or is recorded here and the block
    is left exactly as it was (passthrough).
    """
    for block in blocks_for(stage, state):
        guarded(stage, state, work, block)


def blocks_for(stage: Stage, state: RunState) -> list[BlockState]:
    """The blocks a stage applies to. Deciding may parse a block; a block whose text its parser
    cannot read fails alone (`block_guard`), and the others are worked on."""
    chosen: list[BlockState] = []
    for block in state.blocks:
        with block_guard(stage, state, block):
            if stage.applies_to(block):
                chosen.append(block)
    return chosen


def guarded(
    stage: Stage, state: RunState, work: Callable[[BlockState, RunState], None], block: BlockState
) -> None:
    """Run one block's work; in passthrough mode a failure leaves the block exactly as it was."""
    with block_guard(stage, state, block):
        work(block, state)


@contextmanager
def block_guard(stage: Stage, state: RunState, block: BlockState) -> Iterator[None]:
    """Contain a failure to one block: strict, it is raised as a StageError naming the block's
    message; otherwise the block is left exactly as it was, the failure is reported, and the code
    after the `with` goes on with the next block. Every stage loop over blocks runs its body in one."""
    from headroom.pipeline.errors import StageError

    try:
        yield
    except Exception as error:
        if state.strict:
            raise StageError(stage.stage_id, stage.name, block.block.message_index, error) from error
        fail_block(block, f"{stage.stage_id} ({stage.name}): {type(error).__name__}: {error}")
        state.failures.append(
            Failure(f"stage {stage.stage_id} ({stage.name})", str(error), block.block.message_index)
        )


def fail_block(block: BlockState, reason: str) -> None:
    """Undo everything stages decided for a block: it goes out exactly as it came."""
    block.failed = reason
    block.keep = None
    block.output = None
