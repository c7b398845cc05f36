"""Sessions: which requests belong to one conversation, and when each message was first sent.

A provider serves the longest prefix it has seen before from its prompt cache, so a
compressed message must be sent in the same bytes on every later turn. Headroom gets that
by making a block's compressed form a function of the block and the turns before it only.
Two facts about position keep that property:

- The request that first carried a message ends just before the next assistant message:
  an agent sends the history as soon as the tool results (or the user's turn) are in.
  `first_sent_ends` finds that end for every message, from the messages alone.
- Counting tool outputs up to that end (never to the end of the current request) says
  whether a block was among the newest when it was first sent.

A session is named by the caller (`compress(..., session="abc")`) or recognised from the
first system and user texts; its key also covers the pipeline, the model and the
options, so a different configuration starts a different session. A block's position key
covers what a block's own form depends on besides its text: its bias (from the hooks)
and the request it is read for (the user's turn and the tool call's arguments), so a
hook or a `user_query` that changes either is never answered with the form recorded
without it. The namespace keeps one caller's sessions apart from another's
(`headroom.ccr.stores.namespaces`).
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from headroom.pipeline.stage import BlockState, RunState

SESSION_OPTION = "session"


def digest(*parts: str) -> str:
    """SHA-256 hex of parts joined by a unit separator (no part can run into the next)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def first_sent_ends(messages: Sequence[Any]) -> list[int]:
    """For each message, the index of the last message of the request that first carried it."""
    ends = [0] * len(messages)
    end = len(messages) - 1
    for index in range(len(messages) - 1, -1, -1):
        ends[index] = end
        message = messages[index]
        if isinstance(message, Mapping) and message.get("role") == "assistant":
            end = index - 1
    return ends


class ToolOutputs:
    """The messages holding tool outputs, to count how many come after a block (bisect, not a scan)."""

    def __init__(self, state: RunState):
        self._indices = sorted({b.block.message_index for b in state.blocks if b.block.origin == "tool"})

    def after(self, block: BlockState, until: int) -> int:
        """How many tool-output messages come after the block's message, up to message `until`."""
        start = block.block.message_index
        return max(0, bisect.bisect_right(self._indices, until) - bisect.bisect_right(self._indices, start))


def session_name(state: RunState) -> str:
    """The caller's session name, or one recognised from the first system and user texts."""
    named = state.options.get(SESSION_OPTION)
    if named is not None:
        return f"named:{named}"
    first = {origin: "" for origin in ("system", "user")}
    for block in state.blocks:
        origin = block.block.origin
        if origin in first and not first[origin]:
            first[origin] = block.text
    if not any(first.values()) and state.blocks:
        first["user"] = state.blocks[0].text
    return "auto:" + digest(first["system"], first["user"])[:16]


def configuration(state: RunState) -> str:
    """Everything besides the messages that every output depends on: the pipeline, the model and
    the options (checked ones, so a default passed as None is no different from none passed)."""
    options = {
        key: value for key, value in state.options.items() if key != SESSION_OPTION and value is not None
    }
    # The standard library escapes lone surrogates (which orjson refuses), so any option value encodes.
    encoded = json.dumps(options, sort_keys=True, default=str)
    return digest(state.pipeline_id, state.context.model or "", encoded)


def session_key(state: RunState) -> str:
    """The session and everything a block's form depends on besides the block: pipeline, model, options."""
    return digest(session_name(state), configuration(state))


def position_key(session: str, block: BlockState) -> str:
    """Where a block sits in a session's conversation, what it holds, and what its form depends on
    besides the text: its bias and the request it is read for (the user's turn, the tool call)."""
    path = "/".join(str(part) for part in block.block.path)
    call = block.block.tool_call
    return digest(
        session,
        str(block.block.message_index),
        path,
        block.ref,
        repr(block.bias),
        block.block.query,
        call.arguments if call else "",
    )
