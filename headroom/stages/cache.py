"""cache.v1: keep every original under its hash, and send each block in the same bytes on every turn.

In graph order (last, after budget) it fixes each block's final text, ending a block
that lost something with a one-line retrieval note. After every stage has run
(`finish`) it stores the original of every block that changed (so
`headroom.retrieve(hash)` returns it byte for byte) and records the output twice: as a
memo (keyed by everything the output depends on) and as the session's form for that
position.

Before any stage runs (`prepare`), a block is answered from what was recorded:
first the form it was sent in earlier in this session, then a memo. Either way no
other stage touches it. Neither is needed for stability: a block's output depends only
on the block and the turns before it, so a fresh process computes the same bytes. The
records make later turns cheap, and hold a block's form even when something outside
that rule (a hook's bias) changes. An answer whose original is gone is not used: the
block is computed again, and its original stored again.

Everything lives in the run's namespace (`headroom.ccr.stores.namespaces`), and every read
is verified: a record that fails its check is not used (the block is computed again),
an original that fails is stored again. Two different originals with one 16-digit hash
in one namespace cannot both be retrieved by it: the second block is sent as it was,
and the result's `failures` says so.

When the store cannot be reached, nothing is compressed (an elision whose original is
not kept could never be undone): every block goes back as it was and the result's
`failures` says why.
"""

from __future__ import annotations

import json
from typing import Any

from headroom.ccr.sessions import (
    ToolOutputs,
    configuration,
    digest,
    first_sent_ends,
    position_key,
    session_key,
)
from headroom.ccr.stores import ScopedStore, StoreUnavailable, check_url, scoped
from headroom.markers import MARKER_PATTERN, retrieval_note, worth_sending
from headroom.pipeline.params import StageParams, param
from headroom.pipeline.registry import register
from headroom.pipeline.stage import BlockState, Failure, RunState, Stage, block_guard

MEMO_HIT = "memo hit"
AS_SENT = "as sent before"
CORRUPT = "record failed its check; computed again"


def _known_store_url(url: str | None) -> str | None:
    return None if url is None else check_url(url)


class CacheParams(StageParams):
    memoize: bool = param(True, description="Reuse the output for a block whose inputs were seen before")
    sessions: bool = param(
        True, description="On later turns of a session, send each block in the form it was first sent"
    )
    note: bool = param(
        True, description="End each compressed block with one line saying how to retrieve the original"
    )
    store: str | None = param(
        None,
        description="Where originals live: memory://, sqlite:///path or redis://host:port/db"
        " (compress(store=...) takes precedence)",
        check=_known_store_url,
    )


class _Positions:
    """How many tool outputs follow a block: up to the end of the request that first carried it,
    and up to the end of this request."""

    def __init__(self, state: RunState):
        self._outputs = ToolOutputs(state)
        self._ends = first_sent_ends(state.messages)
        self._last = len(state.messages) - 1

    def in_first_request(self, block: BlockState) -> int:
        return self._outputs.after(block, self._ends[block.block.message_index])

    def in_this_request(self, block: BlockState) -> int:
        return self._outputs.after(block, self._last)


def memo_key(block: BlockState, state: RunState, positions: _Positions | None = None) -> str:
    """Everything the output of a block depends on: the block, the turns before it, the configuration.

    The number of tool outputs after it counts only up to the end of the request that first
    carried it, so the key (and the memo) stays the same as later turns arrive.
    """
    where = positions or _Positions(state)
    call = block.block.tool_call
    return digest(
        configuration(state),
        block.ref,
        block.block.origin,
        block.block.query,
        call.arguments if call else "",
        repr(block.bias),
        str(where.in_first_request(block)),
    )


def _record(output: str | None, notes: list[str], later: int) -> str:
    # The standard library escapes lone surrogates (which orjson refuses), so any text records.
    return json.dumps({"output": output, "notes": notes, "later": later})


@register("cache.v1")
class Cache(Stage):
    """Store originals by hash; send every block in the same bytes on every turn of a session."""

    requires = frozenset({"labels"})
    provides = frozenset({"stored"})
    Params = CacheParams
    store_param = "store"
    params: CacheParams

    def applies_to(self, block: BlockState) -> bool:
        return block.failed is None and block.protected is None and block.label is not None

    # before any stage --------------------------------------------------------------------

    async def prepare(self, state: RunState) -> None:
        if state.store is None or not (self.params.memoize or self.params.sessions):
            return
        open_blocks = [block for block in state.blocks if block.failed is None and block.output is None]
        if not open_blocks:
            return
        try:
            self._answer(state, scoped(state.store), open_blocks)
        except StoreUnavailable as error:
            self._fail_open(state, error)

    def _answer(self, state: RunState, store: ScopedStore, blocks: list[BlockState]) -> None:
        records: dict[int, tuple[str, dict[str, Any]]] = {}
        if self.params.sessions:
            records.update(self._sent_before(state, store, blocks))
        if self.params.memoize:
            rest = [block for block in blocks if block.block.id not in records]
            records.update(self._memoized(state, store, rest))
        compressed = [block for block in blocks if records.get(block.block.id, ("", {}))[1].get("output")]
        originals = store.lookup_many("original", [block.ref for block in compressed])
        for block, original in zip(compressed, originals, strict=True):
            if original.value != block.text:  # gone, corrupt, or another text with this hash
                del records[block.block.id]  # its markers could not be undone: compute it again
        for block in blocks:
            answered = records.get(block.block.id)
            if answered is None:
                continue
            how, record = answered
            block.output = record["output"] if record["output"] is not None else block.text
            block.notes.extend(record["notes"])
            block.note(f"{self.name}:{how}")
            block.answered = how

    def _sent_before(
        self, state: RunState, store: ScopedStore, blocks: list[BlockState]
    ) -> dict[int, tuple[str, dict[str, Any]]]:
        """The blocks this session sent before, each with the form it was sent in."""
        session = session_key(state)
        keys = [position_key(session, block) for block in blocks]
        records: dict[int, tuple[str, dict[str, Any]]] = {}
        for block, found in zip(blocks, store.lookup_many("session", keys), strict=True):
            if found.value is not None:
                records[block.block.id] = (AS_SENT, json.loads(found.value))
            elif found.status == "corrupt":
                block.note(f"{self.name}:session {CORRUPT}")
        return records

    def _memoized(
        self, state: RunState, store: ScopedStore, blocks: list[BlockState]
    ) -> dict[int, tuple[str, dict[str, Any]]]:
        """The blocks whose inputs were compressed before, each with that output."""
        positions = _Positions(state)
        keys = [memo_key(block, state, positions) for block in blocks]
        records: dict[int, tuple[str, dict[str, Any]]] = {}
        for block, found in zip(blocks, store.lookup_many("memo", keys), strict=True):
            if found.status == "corrupt":
                block.note(f"{self.name}:memo {CORRUPT}")
            if found.value is None:
                continue
            record = json.loads(found.value)
            # A memo made when fewer outputs followed the block may predate a recency window it is in now.
            if record["later"] <= positions.in_this_request(block):
                records[block.block.id] = (MEMO_HIT, record)
        return records

    # after every stage -------------------------------------------------------------------

    async def run(self, state: RunState) -> None:
        """Fix each compressed block's final text, retrieval note included, so later stages leave it be."""
        for block in state.blocks:
            if self.applies_to(block) and block.output is None:
                with block_guard(self, state, block):
                    self._finalise(block)

    def _finalise(self, block: BlockState) -> None:
        # What is recorded is what is sent: the block as it came when the output is not smaller.
        output = self._final_output(block)
        block.output = output if output is not None else block.text

    async def finish(self, state: RunState) -> None:
        if state.store is None:
            return
        store = scoped(state.store)
        try:
            self._store(state, store)
        except StoreUnavailable as error:
            # A block answered before any stage ran had its original checked in the store then:
            # it keeps the form it was sent in, so a store failing now does not break the prompt cache.
            self._fail_open(state, error, keep_answered=True)

    def _store(self, state: RunState, store: ScopedStore) -> None:
        positions = _Positions(state)
        session = session_key(state) if self.params.sessions else ""
        changed: list[BlockState] = []
        pins: dict[str, str] = {}
        for block in state.blocks:
            how = self._answered(block)
            if block.failed is not None or how == AS_SENT:
                continue
            if how == MEMO_HIT:
                output = block.output if block.output != block.text else None
                pins[position_key(session, block)] = _record(output, [], 0)
                continue
            if not self.applies_to(block):
                continue
            with block_guard(self, state, block):  # a block that cannot be recorded goes out as it came
                if block.output is None:  # a block no `run` of this stage saw (it was not last in the graph)
                    self._finalise(block)
                if block.output != block.text:
                    changed.append(block)
                else:
                    pins[position_key(session, block)] = _record(
                        None, self._notes(block), positions.in_this_request(block)
                    )
        originals: dict[str, str] = {}
        memos: dict[str, str] = {}
        for block in self._without_collisions(state, store, changed):
            record = _record(block.output, self._notes(block), positions.in_this_request(block))
            originals[block.ref] = block.text
            if self.params.memoize:
                memos[memo_key(block, state, positions)] = record
            pins[position_key(session, block)] = record
        store.put_many("original", originals)
        store.put_many("memo", memos)
        if self.params.sessions:
            store.put_many("session", pins)

    def _without_collisions(
        self, state: RunState, store: ScopedStore, blocks: list[BlockState]
    ) -> list[BlockState]:
        """The blocks whose original can be stored under their hash: no other text holds it in this
        namespace. A block whose hash another original holds goes back as it was, reported."""
        held = store.lookup_many("original", [block.ref for block in blocks])
        kept = []
        for block, found in zip(blocks, held, strict=True):
            if found.value is None or found.value == block.text:
                kept.append(block)
                continue
            where = f"stage {self.stage_id} ({self.name})"
            reason = f"another original in this namespace has hash {block.ref}; sent uncompressed"
            state.failures.append(Failure(where, reason, block.block.message_index))
            block.failed = f"{where}: hash collision"
            block.keep = None
            block.output = None
        return kept

    def _notes(self, block: BlockState) -> list[str]:
        """The notes a record keeps: the stages' own, not this run's cache notes (a record ignored)."""
        return [note for note in block.notes if not note.startswith(f"{self.name}:")]

    def _answered(self, block: BlockState) -> str | None:
        return block.answered

    def _final_output(self, block: BlockState) -> str | None:
        """The compressed text, with a retrieval note when something was left out; None when it
        would not be smaller. A faithful re-encoding that omits nothing needs no note."""
        rendered = block.render()
        if rendered == block.text:
            return None
        if self.params.note and MARKER_PATTERN.search(rendered):
            rendered = _with_note(rendered, self._note(block))
        return rendered if worth_sending(block.text, rendered) else None

    @staticmethod
    def _note(block: BlockState) -> str:
        document = block.document
        if document is not None:
            return retrieval_note(document.unit_name, len(document.units), block.ref)
        return retrieval_note("lines", block.text.count("\n") + 1, block.ref)

    def _fail_open(self, state: RunState, error: StoreUnavailable, keep_answered: bool = False) -> None:
        """Without a store no original can be kept: every block goes back exactly as it was (but
        those answered from the store, with `keep_answered`: their originals are there already)."""
        if state.strict:
            raise error
        where = f"stage {self.stage_id} ({self.name})"
        kept = "nothing new was compressed" if keep_answered else "nothing was compressed"
        state.failures.append(Failure(where, f"{error}; {kept}, since no original could be kept"))
        for block in state.blocks:
            if keep_answered and block.failed is None and self._answered(block) is not None:
                continue
            if block.failed is None:
                block.failed = f"{where}: store unavailable"
            block.keep = None
            block.output = None


NOTE_KEY = "[headroom]"


def _with_note(rendered: str, note: str) -> str:
    """The note where the output stays what it was: the last element of a JSON array, the last
    member of a JSON object (under NOTE_KEY), else a last line."""
    if (rendered.startswith("[") and rendered.endswith("]")) or (
        rendered.startswith("{") and rendered.endswith("}")
    ):
        try:
            value = json.loads(rendered)
        except (ValueError, RecursionError):  # not JSON, or JSON too deep to be read as such
            value = None
        encoded = json.dumps(note, ensure_ascii=False)
        if isinstance(value, list):
            return rendered[:-1] + ("," if value else "") + encoded + "]"
        if isinstance(value, dict) and NOTE_KEY not in value:
            return rendered[:-1] + ("," if value else "") + json.dumps(NOTE_KEY) + ":" + encoded + "}"
    return f"{rendered}\n{note}"
