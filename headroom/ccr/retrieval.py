"""CCR (compress, cache, retrieve): getting an original back, by code or by the model.

- `retrieve(hash)` returns the original text byte for byte; `retrieve(hash, query=...)`
  returns only the units (lines, items) that contain the query, each with its position
  in the numbering the markers use (lines from 1, items from 0).
- `lookup(hash, query=...)` says what happened when there is nothing to return:
  "expired", "unknown", "corrupt" (the stored text does not match its hash),
  "invalid", "unavailable" or "query too long".
- Every read is in one namespace (`namespace=`, `default` when not given): a hash
  another namespace stored is "unknown" here (`headroom.ccr.stores.namespaces`).
- `retrieve_tool(format)` is the `headroom_retrieve` tool definition, in the OpenAI
  function format or the Anthropic tool format, the same bytes every time.
- `with_retrieve_tool(request)` adds it to a request's tools, on every turn, so the
  tools list (part of the provider's cached prefix) never flips between turns.
- `answer_retrieve_calls(response, messages)` answers the model's `headroom_retrieve`
  calls from the store: it returns the tool-result messages to append.

Compressed blocks end with a note in the marker grammar (`headroom.markers.retrieval_note`)
telling the model what it can get back and how.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from headroom import content
from headroom.ccr.stores import (
    DEFAULT_NAMESPACE,
    Lookup,
    ScopedStore,
    StoreLike,
    StoreUnavailable,
    check_namespace,
    default_store,
    open_store,
)
from headroom.content.lines import LinesDocument
from headroom.markers import HASH_LENGTH, omitted
from headroom.tokens import iter_text

TOOL_NAME = "headroom_retrieve"
MAX_QUERY_CHARS = 500
# What one tool answer may hold; longer originals are cut at a unit boundary, with a marker.
DEFAULT_ANSWER_CHARS = 100_000

Status = Literal["found", "expired", "unknown", "corrupt", "invalid", "unavailable", "query too long"]
Format = Literal["openai", "anthropic", "responses"]

_HASH = re.compile(rf"[0-9a-f]{{{HASH_LENGTH}}}")
_HASH_IN_TEXT = re.compile(rf"hash=([0-9a-f]{{{HASH_LENGTH}}})")


@dataclass(frozen=True)
class Match:
    """One unit that contains the query, at its position (lines from 1, items from 0)."""

    position: int
    text: str


@dataclass(frozen=True)
class Retrieval:
    """What a lookup found: the original (and, for a query, the matches with the unit they are
    counted in and how many units there are), or why there is none."""

    status: Status
    hash: str
    text: str | None = None
    query: str | None = None
    unit: str = "lines"
    total: int = 0
    matches: list[Match] = field(default_factory=list)
    reason: str = ""

    @property
    def found(self) -> bool:
        return self.status == "found"

    def answer(self, max_chars: int | None = DEFAULT_ANSWER_CHARS) -> str:
        """The text a tool result carries back to the model."""
        if not self.found or self.text is None:
            return f"[headroom: {self.status}, {self.reason}; hash={self.hash}]"
        if self.query is None:
            return _fit(self.text, self.hash, max_chars, "ask with a query for the lines you need")
        singular = self.unit.removesuffix("s")
        head = (
            f"[headroom: {len(self.matches)} of {self.total} {self.unit} match "
            f"{orjson.dumps(self.query).decode()}; hash={self.hash}]"
        )
        body = "\n".join(f"{singular} {match.position}: {match.text}" for match in self.matches)
        return _fit(head + ("\n" + body if body else ""), self.hash, max_chars, "ask with a narrower query")


def _units(text: str) -> tuple[str, int, list[str]]:
    """(unit name, number of the first unit, units) the way the markers number this text."""
    document = content.parse(content.detect_label(text), text)
    if document is None:
        document = LinesDocument(text)
    numbered = getattr(document, "retrieval_units", None)  # a numbered listing: its own lines
    if numbered is not None:
        found: tuple[str, int, list[str]] = numbered()
        return found
    return document.unit_name, document.first_number, document.units


def _matches(units: list[str], first: int, query: str) -> list[Match]:
    """Units holding the query (any case); when none holds it whole, units holding every word of it."""
    wanted = query.lower()
    lowered = [unit.lower() for unit in units]
    hits = [i for i, unit in enumerate(lowered) if wanted in unit]
    words = wanted.split()
    if not hits and len(words) > 1:
        hits = [i for i, unit in enumerate(lowered) if all(word in unit for word in words)]
    return [Match(first + i, units[i]) for i in hits]


def normalise_hash(ref: Any) -> str | None:
    """A marker's hash from `3f2a...`, `hash=3f2a...` or a whole marker; None when it holds none."""
    if not isinstance(ref, str):
        return None
    text = ref.strip().lower()
    if _HASH.fullmatch(text.removeprefix("hash=")):
        return text.removeprefix("hash=")
    found = _HASH_IN_TEXT.findall(text)
    return found[0] if len(set(found)) == 1 else None


def lookup(
    ref: Any, query: Any = None, *, store: StoreLike | None = None, namespace: str | None = None
) -> Retrieval:
    """The original behind a hash in one namespace (and the units matching `query`), or a clear
    reason why not.

    Never raises for a bad hash, an oversized query or a store that cannot be reached; a
    store URL of no known kind, or a bad namespace, is configuration and raises.
    """
    shown = str(ref)[:40] if ref is not None else "none"
    scope = check_namespace(namespace) if namespace is not None else DEFAULT_NAMESPACE
    key = normalise_hash(ref)
    if key is None:
        return Retrieval("invalid", shown, reason=f"not a hash: expected {HASH_LENGTH} hex digits")
    if query is not None and not isinstance(query, str):
        return Retrieval("invalid", key, reason="query must be text")
    if query is not None and len(query) > MAX_QUERY_CHARS:
        reason = f"{len(query)} characters, at most {MAX_QUERY_CHARS}"
        return Retrieval("query too long", key, reason=reason)
    try:
        opened = open_store(store if store is not None else default_store())
        found: Lookup = ScopedStore(opened, scope).lookup(key)
    except StoreUnavailable as error:
        return Retrieval("unavailable", key, reason=f"the store cannot be reached ({error.reason})")
    if found.status == "expired":
        return Retrieval("expired", key, reason="the original is no longer stored")
    if found.status == "corrupt":
        return Retrieval("corrupt", key, reason="the stored text does not match this hash; not returned")
    if found.value is None:
        return Retrieval("unknown", key, reason="nothing was stored under this hash")
    if not query:  # the original alone: no need to cut it into units
        return Retrieval("found", key, found.value)
    unit, first, units = _units(found.value)
    return Retrieval("found", key, found.value, query, unit, len(units), _matches(units, first, query))


def retrieve(
    ref: str, store: StoreLike | None = None, *, query: str | None = None, namespace: str | None = None
) -> str | list[Match] | None:
    """The original text, byte for byte; with `query`, only the matching units with their positions.

    Reads in `namespace` (`default` when not given). None when there is nothing to return;
    `lookup` says why (expired, unknown, corrupt, ...).
    """
    found = lookup(ref, query, store=store, namespace=namespace)
    if not found.found:
        return None
    return found.matches if query else found.text


def _fit(text: str, ref: str, max_chars: int | None, hint: str) -> str:
    """The text whole, or cut at a line boundary with a marker for the lines left out."""
    if max_chars is None or len(text) <= max_chars:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > max_chars and kept:
            break
        kept.append(line)
        size += len(line) + 1
    marker = omitted("lines", len(kept) + 1, len(lines), len(lines), ref)
    return "\n".join([*kept, f"{marker} [headroom: answer cut at {max_chars} characters; {hint}]"])


# the tool --------------------------------------------------------------------------------

_DESCRIPTION = (
    "Get back content that Headroom compressed. Compressed tool outputs carry markers such as "
    "[headroom: omitted lines 120-340 of 2000; hash=3f2a9c1b7d4e5f60]. Call this with that hash to "
    "get the original in full, or add a query to get only the lines or items that contain it, "
    "each with its line number or item index."
)
_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "hash": {
            "type": "string",
            "description": "The 16 hex digits after hash= in a [headroom: ...] marker.",
        },
        "query": {
            "type": "string",
            "description": "Optional text to search for; only the lines or items containing it come back.",
        },
    },
    "required": ["hash"],
    "additionalProperties": False,
}
_TOOLS: dict[str, dict[str, Any]] = {
    "openai": {
        "type": "function",
        "function": {"name": TOOL_NAME, "description": _DESCRIPTION, "parameters": _PARAMETERS},
    },
    "anthropic": {"name": TOOL_NAME, "description": _DESCRIPTION, "input_schema": _PARAMETERS},
    # the OpenAI Responses API writes a function tool flat
    "responses": {
        "type": "function",
        "name": TOOL_NAME,
        "description": _DESCRIPTION,
        "parameters": _PARAMETERS,
    },
}


def retrieve_tool(format: Format = "openai") -> dict[str, Any]:
    """The `headroom_retrieve` tool definition (a fresh copy; the same bytes every time): in the
    OpenAI Chat Completions function format, the Anthropic tool format, or the Responses API's."""
    if format not in _TOOLS:
        raise ValueError(f"format must be 'openai', 'anthropic' or 'responses', not {format!r}")
    return copy.deepcopy(_TOOLS[format])


def request_format(request: Mapping[str, Any]) -> Format:
    """Anthropic when the request looks like a Messages API request, else OpenAI."""
    if "system" in request or "anthropic_version" in request:
        return "anthropic"
    for tool in request.get("tools") or ():
        if isinstance(tool, Mapping) and "input_schema" in tool:
            return "anthropic"
    from headroom.messages import detect_format

    return "anthropic" if detect_format(request.get("messages") or []) == "anthropic" else "openai"


def with_retrieve_tool(
    request: Mapping[str, Any], format: Format | None = None, *, pipeline: Any = None
) -> dict[str, Any]:
    """A copy of a request (model, messages, tools, ...) with `headroom_retrieve` last in its tools.

    Call it on every turn, not only on turns where something was dropped: the tools list is
    part of the provider's cached prefix, and a tool that comes and goes would break the cache.
    With `pipeline`, the tool is added only when that pipeline can drop content (a fixed
    answer for a configuration, so it never flips between turns either). A request that has
    the tool keeps it as is.
    """
    if pipeline is not None and not pipeline_can_drop(pipeline):
        return dict(request)
    kind = format or request_format(request)
    tools = list(request.get("tools") or [])
    if not any(tool_name(tool) == TOOL_NAME for tool in tools):
        tools.append(retrieve_tool(kind))
    updated = dict(request)
    updated["tools"] = tools
    return updated


def pipeline_can_drop(pipeline: Any = "default") -> bool:
    """Whether a pipeline may drop content (so the model may need `headroom_retrieve`)."""
    from headroom.pipeline.loading import load_pipeline

    return load_pipeline(pipeline).can_drop


def tool_name(tool: Any) -> str | None:
    """A tool definition's name, in any of the formats `retrieve_tool` writes."""
    if not isinstance(tool, Mapping):
        return None
    function = tool.get("function")
    if isinstance(function, Mapping):
        return function.get("name")
    return tool.get("name")


# answering the model's calls ---------------------------------------------------------------


@dataclass(frozen=True)
class RetrieveCall:
    id: str
    arguments: Any  # a dict, or the raw text when it is not a JSON object


def _plain(value: Any) -> Any:
    """A response from an SDK (pydantic models) as plain dicts and lists."""
    dump = getattr(value, "model_dump", None)
    return dump() if callable(dump) else value


def retrieve_calls(response: Any) -> tuple[Format, list[RetrieveCall]]:
    """The `headroom_retrieve` calls in a model response (OpenAI or Anthropic, dict or SDK object)."""
    reply = _plain(response)
    if not isinstance(reply, Mapping):
        return "openai", []
    choices = reply.get("choices")
    if isinstance(choices, list) and choices:
        reply = _plain(choices[0]).get("message") or {}
    if "tool_calls" not in reply and isinstance(reply.get("content"), list):
        return "anthropic", [
            RetrieveCall(str(part.get("id", "")), part.get("input"))
            for part in (_plain(p) for p in reply["content"])
            if isinstance(part, Mapping) and part.get("type") == "tool_use" and part.get("name") == TOOL_NAME
        ]
    calls = []
    for call in reply.get("tool_calls") or ():
        call = _plain(call)
        function = call.get("function") if isinstance(call, Mapping) else None
        if isinstance(function, Mapping) and function.get("name") == TOOL_NAME:
            calls.append(RetrieveCall(str(call.get("id", "")), _arguments(function.get("arguments"))))
    return "openai", calls


def _arguments(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            return raw
    return raw


def hashes_in(messages: Sequence[Any]) -> set[str]:
    """Every hash a marker or note in the conversation names."""
    found: set[str] = set()
    for message in messages:
        for text in iter_text(_plain(message)):
            found.update(_HASH_IN_TEXT.findall(text))
    return found


def answer(
    call: RetrieveCall,
    allowed: set[str] | None,
    store: StoreLike | None,
    max_chars: int | None,
    namespace: str | None = None,
) -> str:
    """The text answering one call."""
    arguments = call.arguments if isinstance(call.arguments, Mapping) else {}
    ref = arguments.get("hash")
    key = normalise_hash(ref)
    if allowed is not None and key is not None and key not in allowed:
        return f"[headroom: unknown, no marker in this conversation names this hash; hash={key}]"
    return lookup(ref, arguments.get("query"), store=store, namespace=namespace).answer(max_chars)


def answer_retrieve_calls(
    response: Any,
    messages: Sequence[Any] | None = None,
    *,
    store: StoreLike | None = None,
    namespace: str | None = None,
    max_chars: int | None = DEFAULT_ANSWER_CHARS,
) -> list[dict[str, Any]]:
    """The tool-result messages that answer the model's `headroom_retrieve` calls, to append.

    OpenAI: one `{"role": "tool", ...}` message per call. Anthropic: one user message with a
    `tool_result` block per call. Originals are read in `namespace` only (`default` when not
    given; pass the one the messages were compressed in), so a caller can never read another
    namespace's originals, even by writing a marker into its own messages. With `messages`
    (the conversation so far) only hashes that a marker in it names are answered, so a
    model cannot read another conversation's originals in the same namespace either.
    Calls to other tools are left to the application; an empty list means there was nothing
    to answer.
    """
    kind, calls = retrieve_calls(response)
    if not calls:
        return []
    allowed = hashes_in(messages) if messages is not None else None
    answers = [(call, answer(call, allowed, store, max_chars, namespace)) for call in calls]
    if kind == "anthropic":
        results = [{"type": "tool_result", "tool_use_id": call.id, "content": text} for call, text in answers]
        return [{"role": "user", "content": results}]
    return [{"role": "tool", "tool_call_id": call.id, "content": text} for call, text in answers]


__all__ = [
    "DEFAULT_ANSWER_CHARS",
    "MAX_QUERY_CHARS",
    "TOOL_NAME",
    "Match",
    "Retrieval",
    "RetrieveCall",
    "answer_retrieve_calls",
    "hashes_in",
    "lookup",
    "pipeline_can_drop",
    "request_format",
    "retrieve",
    "retrieve_calls",
    "retrieve_tool",
    "tool_name",
    "with_retrieve_tool",
]
