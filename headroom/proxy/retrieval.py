"""`headroom_retrieve` answered inside the proxy: the client sees one complete response.

When the proxy compresses a request it adds the `headroom_retrieve` tool, so the model
may ask for an original. A client (Claude Code, Cursor, an SDK) knows nothing of that tool,
so the proxy answers it: when a reply's only tool calls are `headroom_retrieve`, it looks
the hashes up, appends the model's turn and the answers to the conversation and calls the
upstream again, up to `rounds` times. The client receives the last reply.

- Which hashes are answered: only those that a marker in the request's own conversation
  names, read from the store in the caller's namespace (`headroom.ccr.answer`). Anything
  else is answered "unknown", so a model cannot read another conversation's originals, nor
  a caller another caller's.
- Mixed calls: a reply that calls `headroom_retrieve` together with any of the client's
  own tools is passed through untouched, retrieve call included; answering only part of a
  turn would leave the client's calls unpaired. The client sees a call to a tool it did not
  declare and answers it as it answers any unknown tool (an error result); the model then
  carries on.
- Past the round limit, the last reply is passed through as it is (it calls the tool).
- JSON: the final reply, with the content of the earlier rounds other than the retrieve
  calls (text the model wrote before asking) put before its own, and `usage` summed over
  every round, since the caller pays for all of them.
- SSE: the stream is relayed as it arrives, event by event and byte for byte. Only a
  `headroom_retrieve` call and what follows it in that round are held back until the round
  ends: if the round turns out retrieve-only, its retrieve calls and closing events are
  never sent, the next round's content is spliced into the same stream (block and output
  indexes and sequence numbers renumbered, one opening and one closing event) and its
  closing usage is the sum over the rounds. Otherwise the held events go out unchanged.
  A failure in a later round ends the stream with the provider's error event.
- Per API: Anthropic Messages (a `tool_use` block, answered by `tool_result` blocks), Chat
  Completions (a `tool_calls` entry, answered by `tool` messages; a request for several
  choices, or a stream that turns out to carry several, is passed through), Responses (a
  `function_call` output item, answered by `function_call_output` input items).
- A spliced Responses stream keeps the first round's response id (the SDKs require one id
  per stream); the proxy remembers the last round's id for it, so a later request chained
  with `previous_response_id` reaches the conversation the provider stored.
"""

from __future__ import annotations

import copy
import hashlib
import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.responses import Response, StreamingResponse

from headroom import ccr, workers
from headroom.ccr import TOOL_NAME, RetrieveCall
from headroom.json_text import SpliceError, rewrite_json
from headroom.proxy.errors import Api, stream_error_event
from headroom.proxy.sse import SSEEvent, SSESplitter
from headroom.proxy.upstream import Upstream, UpstreamFailure, UpstreamReply, failure_response, relay
from headroom.stores import ScopedStore, Store

logger = logging.getLogger("headroom.proxy")

Json = dict[str, Any]


@dataclass
class Exchange:
    """One client request on its way upstream, and what answering retrieve calls needs."""

    api: Api
    request: Json  # the request as sent upstream (parsed): compressed, with the tool
    body: bytes  # its bytes
    streaming: bool
    upstream: Upstream  # call again with a new body for the next round
    store: Store
    namespace: str
    rounds: int
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers


async def complete(exchange: Exchange) -> Response:
    """Send the request; answer `headroom_retrieve` rounds; return the client's response."""
    if exchange.api == "responses":
        await _follow_alias(exchange)
    try:
        reply = await exchange.upstream(exchange.body)
    except UpstreamFailure as failure:
        return failure_response(exchange.api, failure)
    if reply.status != 200 or reply.is_stream != exchange.streaming or not _answerable(exchange):
        return relay(reply, exchange.api, exchange.headers)
    if exchange.streaming:
        return _streaming_response(exchange, reply)
    return await _json_response(exchange, reply)


def _rewritten(body: bytes, before: Json, after: Json) -> bytes:
    """`body` (which parses to `before`) changed to say `after`, every unchanged byte kept (the
    conversation grows at its end); re-encoded whole only when that cannot be done."""
    try:
        return rewrite_json(body, before, after)
    except SpliceError:
        return orjson.dumps(after)


def _answerable(exchange: Exchange) -> bool:
    """Whether this exchange's replies can be answered: rounds allowed, and one reply to answer
    (a Chat Completions request for several choices gets several, each with its own calls)."""
    several = exchange.api == "chat" and exchange.request.get("n") not in (None, 1)
    return exchange.rounds > 0 and not several


# Responses ids -------------------------------------------------------------------------------
#
# A spliced Responses stream must keep the first round's response id to the end (the SDKs
# check that a stream's lifecycle events name one response). The provider, though, stored
# the conversation under the last round's id. The proxy remembers which is which, in the
# caller's namespace of the store, and a later request whose `previous_response_id` is the
# id the client saw is sent with the last round's instead.

_ALIAS_DOMAIN = b"headroom response alias v1\x00"


def _alias_key(response_id: str) -> str:
    return hashlib.sha256(_ALIAS_DOMAIN + response_id.encode("utf-8", "surrogatepass")).hexdigest()


def _remember_alias(exchange: Exchange, shown: str, real: str) -> None:
    """Blocking (the store is written); a failure only costs the alias."""
    try:
        ScopedStore(exchange.store, exchange.namespace).put_many("memo", {_alias_key(shown): real})
    except Exception as error:
        logger.warning("headroom proxy: could not remember a response id: %s", type(error).__name__)


def _alias_of(exchange: Exchange, shown: str) -> str | None:
    try:
        found = ScopedStore(exchange.store, exchange.namespace).lookup(_alias_key(shown), "memo")
    except Exception as error:
        logger.warning("headroom proxy: could not read a response id: %s", type(error).__name__)
        return None
    return found.value if found.found else None


async def _follow_alias(exchange: Exchange) -> None:
    shown = exchange.request.get("previous_response_id")
    if not isinstance(shown, str) or not shown:
        return
    real = await workers.run_sync(_alias_of, exchange, shown)
    if real is not None and real != shown:
        changed = {**exchange.request, "previous_response_id": real}
        exchange.body = _rewritten(exchange.body, exchange.request, changed)
        exchange.request = changed


# answering ----------------------------------------------------------------------------------


def allowed_hashes(api: Api, request: Mapping[str, Any]) -> set[str]:
    """Hashes a marker in the request's conversation names (tools left out: their text is ours)."""
    if api == "anthropic":
        parts = [request.get("system"), request.get("messages")]
    elif api == "chat":
        parts = [request.get("messages")]
    else:
        parts = [request.get("instructions"), request.get("input")]
    return ccr.hashes_in([part for part in parts if part is not None])


def _answers(exchange: Exchange, calls: list[RetrieveCall], allowed: set[str]) -> list[tuple[str, str]]:
    """(call id, answer text) per call. Blocking: the store is read."""
    return [
        (call.id, ccr.answer(call, allowed, exchange.store, ccr.DEFAULT_ANSWER_CHARS, exchange.namespace))
        for call in calls
    ]


def _arguments(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return orjson.loads(raw) if raw.strip() else {}
        except orjson.JSONDecodeError:
            return raw
    return raw


def retrieve_only(calls: Iterable[tuple[str, str, Any]]) -> list[RetrieveCall] | None:
    """The retrieve calls when every one of (name, id, arguments) is `headroom_retrieve`; else None."""
    listed = list(calls)
    if not listed or any(name != TOOL_NAME for name, _, _ in listed):
        return None
    return [RetrieveCall(call_id, _arguments(arguments)) for _, call_id, arguments in listed]


# per API: the calls a reply makes, and the request for the next round ------------------------


def _anthropic_calls(content: list[Any]) -> list[tuple[str, str, Any]]:
    """The calls the client must answer (server tools, run by the provider, are not among them)."""
    return [
        (str(block.get("name")), str(block.get("id", "")), block.get("input"))
        for block in content
        if isinstance(block, dict) and block.get("type") == "tool_use"
    ]


def _chat_calls(message: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    calls = []
    for call in message.get("tool_calls") or ():
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            calls.append((str(function.get("name")), str(call.get("id", "")), function.get("arguments")))
        else:
            calls.append(("", "", None))  # a call of a kind we do not know: never ours
    return calls


# Output items of tools the provider runs itself: nothing for the client to answer.
_HOSTED_CALLS = frozenset(
    {"web_search_call", "file_search_call", "code_interpreter_call", "image_generation_call", "mcp_call"}
)


def _responses_calls(output: list[Any]) -> list[tuple[str, str, Any]]:
    """The calls the client must answer: function calls, and every other kind of call the client
    runs (custom tools, shell, computer use, MCP approvals), which are never ours."""
    calls = []
    for item in output:
        kind = str(item.get("type", "")) if isinstance(item, dict) else ""
        if kind == "function_call":
            calls.append((str(item.get("name")), str(item.get("call_id", "")), item.get("arguments")))
        elif (kind.endswith("_call") and kind not in _HOSTED_CALLS) or kind == "mcp_approval_request":
            calls.append((kind, str(item.get("call_id", item.get("id", ""))), None))
    return calls


def _anthropic_next(request: Json, content: list[Any], answers: list[tuple[str, str]]) -> Json:
    results = [{"type": "tool_result", "tool_use_id": call_id, "content": text} for call_id, text in answers]
    turn = [{"role": "assistant", "content": content}, {"role": "user", "content": results}]
    return {**request, "messages": [*request.get("messages", []), *turn]}


def _chat_next(request: Json, message: Json, answers: list[tuple[str, str]]) -> Json:
    assistant = {"role": "assistant", "content": message.get("content"), "tool_calls": message["tool_calls"]}
    results = [{"role": "tool", "tool_call_id": call_id, "content": text} for call_id, text in answers]
    return {**request, "messages": [*request.get("messages", []), assistant, *results]}


def _responses_next(request: Json, output: list[Any], answers: list[tuple[str, str]]) -> Json:
    given = request.get("input", [])
    items = [{"type": "message", "role": "user", "content": given}] if isinstance(given, str) else list(given)
    results = [
        {"type": "function_call_output", "call_id": call_id, "output": text} for call_id, text in answers
    ]
    return {**request, "input": [*items, *output, *results]}


def summed(usages: Iterable[Any]) -> Any:
    """Usage objects added up: every number summed (nested ones too), other values the last one's."""
    total: Any = None
    for usage in usages:
        if not isinstance(usage, dict):
            continue
        if total is None:
            total = copy.deepcopy(usage)
            continue
        for key, value in usage.items():
            mine = total.get(key)
            if isinstance(value, bool) or value is None:
                total.setdefault(key, value)
            elif isinstance(value, (int, float)) and isinstance(mine, (int, float)):
                total[key] = mine + value
            elif isinstance(value, dict) and isinstance(mine, dict):
                total[key] = summed([mine, value])
            else:
                total[key] = copy.deepcopy(value)
    return total


# JSON ---------------------------------------------------------------------------------------


class _JsonRounds:
    """One API's view of a JSON reply: its calls, the next request, the merged final reply."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def calls(self, reply: Json) -> list[tuple[str, str, Any]]:
        if self.api == "anthropic":
            return _anthropic_calls(reply.get("content") or [])
        if self.api == "chat":
            choices = reply.get("choices") or []
            if len(choices) != 1 or not isinstance(choices[0], dict):
                return [("", "", None)]  # several choices: nothing to answer for all of them
            return _chat_calls(choices[0].get("message") or {})
        return _responses_calls(reply.get("output") or [])

    def next_request(self, request: Json, reply: Json, answers: list[tuple[str, str]]) -> Json:
        if self.api == "anthropic":
            return _anthropic_next(request, reply["content"], answers)
        if self.api == "chat":
            return _chat_next(request, reply["choices"][0]["message"], answers)
        return _responses_next(request, reply["output"], answers)

    def merged(self, earlier: list[Json], final: Json) -> Json:
        """The final reply with the earlier rounds' content (retrieve calls left out) and usage summed."""
        merged = dict(final)
        if self.api == "anthropic":
            kept = [b for r in earlier for b in r["content"] if not _is_retrieve_block(b)]
            merged["content"] = [*kept, *final.get("content", [])]
        elif self.api == "chat":
            texts = [r["choices"][0]["message"].get("content") for r in earlier]
            message = dict(final["choices"][0].get("message") or {})
            said = "".join(text for text in [*texts, message.get("content")] if isinstance(text, str))
            if said or message.get("content") is not None:
                message["content"] = said
            merged["choices"] = [{**final["choices"][0], "message": message}, *final["choices"][1:]]
        else:
            kept = [i for r in earlier for i in r["output"] if not _is_retrieve_item(i)]
            merged["output"] = [*kept, *final.get("output", [])]
        usage = summed([r.get("usage") for r in [*earlier, final]])
        if usage is not None:
            merged["usage"] = usage
        return merged


def _is_retrieve_block(block: Any) -> bool:
    return isinstance(block, dict) and block.get("type") == "tool_use" and block.get("name") == TOOL_NAME


def _is_retrieve_item(item: Any) -> bool:
    return isinstance(item, dict) and item.get("type") == "function_call" and item.get("name") == TOOL_NAME


def _parsed(body: bytes) -> Json | None:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _whole(reply: UpstreamReply, body: bytes, headers: Mapping[str, str]) -> Response:
    response = Response(body, reply.status)
    pairs = [*reply.decoded_headers(), *headers.items(), ("content-length", str(len(body)))]
    response.raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in pairs]
    return response


async def _json_response(exchange: Exchange, reply: UpstreamReply) -> Response:
    view = _JsonRounds(exchange.api)
    allowed = allowed_hashes(exchange.api, exchange.request)
    request, sent = exchange.request, exchange.body
    earlier: list[Json] = []
    body = await reply.read()
    while True:
        parsed = _parsed(body)
        calls = retrieve_only(view.calls(parsed)) if parsed is not None else None
        if parsed is None or calls is None or len(earlier) >= exchange.rounds:
            break
        answers = await workers.run_sync(_answers, exchange, calls, allowed)
        following_request = view.next_request(request, parsed, answers)
        sent = await workers.run_sync(_rewritten, sent, request, following_request)
        request = following_request
        try:
            following = await exchange.upstream(sent)
        except UpstreamFailure as failure:
            return failure_response(exchange.api, failure)
        if following.status != 200 or following.is_stream:
            return relay(following, exchange.api, exchange.headers)
        earlier.append(parsed)
        reply = following
        body = await reply.read()
    if earlier and parsed is not None:
        body = orjson.dumps(view.merged(earlier, parsed))
    return _whole(reply, body, exchange.headers)


# SSE ----------------------------------------------------------------------------------------


def _event_bytes(name: str | None, data: Json) -> bytes:
    prefix = f"event: {name}\n".encode() if name else b""
    return prefix + b"data: " + orjson.dumps(data) + b"\n\n"


def _json_data(event: SSEEvent) -> Json | None:
    if not event.has_data or not event.data.startswith("{"):
        return None
    try:
        value = orjson.loads(event.data)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


class _Round:
    """What one round of a stream has shown so far (reset at the start of each round)."""

    def __init__(self, last: bool) -> None:
        self.last = last  # past the round limit: its retrieve calls are passed through
        self.holding = False  # a retrieve call has started: hold events until the round ends
        self.held: list[tuple[SSEEvent, Json | None]] = []
        self.draining = False  # retrieve-only: nothing more of this round goes to the client
        self.calls: list[RetrieveCall] | None = None
        self.index_map: dict[int, int] = {}
        self.usage: Any = None


class _StreamWatcher:
    """Watches one API's events across rounds; says what to send the client for each."""

    def __init__(self, request: Json) -> None:
        self.request = request
        self.round = _Round(last=False)
        self.rounds_done = 0
        self.earlier_usage: list[Any] = []

    def begin(self, last: bool) -> None:
        self.round = _Round(last)

    def feed(self, event: SSEEvent) -> list[bytes]:
        raise NotImplementedError

    def end(self) -> list[bytes]:
        """At the end of the round's stream: what is still held, when the round is not retrieve-only."""
        if self.round.draining:
            self.earlier_usage.append(self.round.usage)  # complete now: a usage chunk may follow the finish
            return []
        held, self.round.held = self.round.held, []
        return [self.relayed(event, data) for event, data in held]

    def relayed(self, event: SSEEvent, data: Json | None) -> bytes:
        """An event as the client gets it (renumbered where needed)."""
        return event.raw

    def next_request(self, answers: list[tuple[str, str]]) -> Json:
        raise NotImplementedError

    def _hold_or_send(self, event: SSEEvent, data: Json | None) -> list[bytes]:
        if self.round.holding:
            self.round.held.append((event, data))
            return []
        return [self.relayed(event, data)]

    def _decide(self, calls: list[tuple[str, str, Any]], event: SSEEvent, data: Json | None) -> list[bytes]:
        """At the event that closes a round: drain it when it was retrieve-only, else release it."""
        found = retrieve_only(calls)
        if found is not None and not self.round.last:
            self.round.calls = found
            self.round.draining = True
            return self._released_when_draining()
        held, self.round.held = self.round.held, []
        self.round.holding = False
        return [*(self.relayed(e, d) for e, d in held), self.closing(event, data)]

    def _released_when_draining(self) -> list[bytes]:
        return []

    def closing(self, event: SSEEvent, data: Json | None) -> bytes:
        return self.relayed(event, data)

    def total_usage(self, last: Any) -> Any:
        return summed([*self.earlier_usage, last])


class _AnthropicWatcher(_StreamWatcher):
    """Messages API: content blocks by index; the round closes at `message_delta`."""

    def __init__(self, request: Json) -> None:
        super().__init__(request)
        self.next_index = 0  # the client's next content block index
        self.started = False  # the client has its message_start
        self.blocks: dict[int, Json] = {}
        self.json_parts: dict[int, list[str]] = {}

    def begin(self, last: bool) -> None:
        super().begin(last)
        self.blocks = {}
        self.json_parts = {}

    def feed(self, event: SSEEvent) -> list[bytes]:
        data = _json_data(event)
        kind = data.get("type") if data else None
        if self.round.draining:
            return []
        if kind == "message_start" and data is not None:
            message = data.get("message") or {}
            self.round.usage = message.get("usage")
            if self.started:
                return []
            self.started = True
            return [event.raw]
        if data is not None and kind in ("content_block_start", "content_block_delta", "content_block_stop"):
            self._track(kind, data)
        if kind == "message_delta" and data is not None:
            # message_delta's figures are the message's totals so far: they replace message_start's
            self.round.usage = {**(self.round.usage or {}), **(data.get("usage") or {})}
            stop = (data.get("delta") or {}).get("stop_reason")
            calls = _anthropic_calls(self.content()) if stop == "tool_use" else []
            return self._decide(calls, event, data)
        return self._hold_or_send(event, data)

    def _track(self, kind: str, data: Json) -> None:
        index = data.get("index")
        if not isinstance(index, int):
            return
        if kind == "content_block_start":
            opened = dict(data.get("content_block") or {})
            self.blocks[index] = opened
            if opened.get("type") == "tool_use" and opened.get("name") == TOOL_NAME:
                self.round.holding = True
            return
        block = self.blocks.get(index)
        if block is None:
            return
        if kind == "content_block_stop":
            if index in self.json_parts:
                block["input"] = _arguments("".join(self.json_parts.pop(index)))
            return
        delta = data.get("delta") or {}
        if delta.get("type") == "input_json_delta":
            self.json_parts.setdefault(index, []).append(str(delta.get("partial_json", "")))
        elif delta.get("type") == "text_delta":
            block["text"] = block.get("text", "") + str(delta.get("text", ""))
        elif delta.get("type") == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + str(delta.get("thinking", ""))
        elif delta.get("type") == "signature_delta":
            block["signature"] = delta.get("signature")
        elif delta.get("type") == "citations_delta":
            block.setdefault("citations", []).append(delta.get("citation"))

    def content(self) -> list[Json]:
        """The round's content blocks, in order, as the next request's assistant turn carries them."""
        return [{k: v for k, v in self.blocks[i].items() if v is not None} for i in sorted(self.blocks)]

    def relayed(self, event: SSEEvent, data: Json | None) -> bytes:
        index = data.get("index") if data else None
        if data is None or not isinstance(index, int):
            return event.raw
        if index not in self.round.index_map:
            self.round.index_map[index] = self.next_index
            self.next_index += 1
        mapped = self.round.index_map[index]
        return event.raw if mapped == index else _event_bytes(event.event, {**data, "index": mapped})

    def _released_when_draining(self) -> list[bytes]:
        """A retrieve-only round: its other held blocks (text after the call) still reach the client."""
        held, self.round.held = self.round.held, []
        retrieve = {i for i, block in self.blocks.items() if _is_retrieve_block(block)}
        out = []
        for event, data in held:
            index = data.get("index") if data else None
            if isinstance(index, int) and index in retrieve:
                continue
            if data is not None and data.get("type") == "ping":
                continue
            out.append(self.relayed(event, data))
        return out

    def closing(self, event: SSEEvent, data: Json | None) -> bytes:
        if not self.earlier_usage or data is None:
            return event.raw
        return _event_bytes(event.event, {**data, "usage": self.total_usage(self.round.usage)})

    def next_request(self, answers: list[tuple[str, str]]) -> Json:
        self.request = _anthropic_next(self.request, self.content(), answers)
        return self.request


class _ChatWatcher(_StreamWatcher):
    """Chat Completions: `tool_calls` deltas by index; the round closes at the finish chunk."""

    def __init__(self, request: Json) -> None:
        super().__init__(request)
        self.first_id: str | None = None
        self.text: list[str] = []
        self.tool_calls: dict[int, Json] = {}
        self.several_choices = False
        self.finished = False

    def begin(self, last: bool) -> None:
        super().begin(last)
        self.text = []
        self.tool_calls = {}
        self.finished = False

    def feed(self, event: SSEEvent) -> list[bytes]:
        data = _json_data(event)
        if data is not None and data.get("usage") is not None:
            self.round.usage = data["usage"]
        if self.round.draining:
            return []
        if data is None or self.several_choices:
            return self._hold_or_send(event, data)
        if self.first_id is None and isinstance(data.get("id"), str):
            self.first_id = data["id"]
        choices = data.get("choices") or []
        if any(not isinstance(c, dict) or c.get("index", 0) != 0 for c in choices):
            self.several_choices = True  # not ours to splice: everything passes as it came
            held, self.round.held = self.round.held, []
            self.round.holding = False
            return [*(e.raw for e, _ in held), event.raw]
        finish = None
        for choice in choices:
            self._track(choice.get("delta") or {})
            finish = choice.get("finish_reason") or finish
        if finish is not None and not self.finished:
            self.finished = True
            calls = _chat_calls(self.message()) if finish == "tool_calls" else []
            return self._decide(calls, event, data)
        return self._hold_or_send(event, data)

    def _track(self, delta: Mapping[str, Any]) -> None:
        if isinstance(delta.get("content"), str):
            self.text.append(delta["content"])
        for call in delta.get("tool_calls") or ():
            index = call.get("index", 0) if isinstance(call, dict) else 0
            entry = self.tool_calls.setdefault(
                index, {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
            )
            if not isinstance(call, dict):
                continue
            if call.get("id"):
                entry["id"] = call["id"]
            function = call.get("function") or {}
            if function.get("name"):
                entry["function"]["name"] += function["name"]
                if entry["function"]["name"] == TOOL_NAME:
                    self.round.holding = True
            if isinstance(function.get("arguments"), str):
                entry["function"]["arguments"] += function["arguments"]

    def message(self) -> Json:
        calls = [self.tool_calls[i] for i in sorted(self.tool_calls)]
        return {"role": "assistant", "content": "".join(self.text) or None, "tool_calls": calls}

    def relayed(self, event: SSEEvent, data: Json | None) -> bytes:
        if data is None or self.rounds_done == 0 or self.first_id is None:
            return event.raw
        if data.get("usage") is not None and self.earlier_usage:
            data = {**data, "usage": self.total_usage(data["usage"])}
        elif data.get("id") == self.first_id:
            return event.raw
        return _event_bytes(event.event, {**data, "id": self.first_id})

    def next_request(self, answers: list[tuple[str, str]]) -> Json:
        self.request = _chat_next(self.request, self.message(), answers)
        return self.request


class _ResponsesWatcher(_StreamWatcher):
    """Responses API: output items by `output_index`, events by `sequence_number`; the round
    closes at `response.completed`."""

    _OPENING = ("response.created", "response.in_progress", "response.queued")
    _CLOSING = ("response.completed", "response.incomplete", "response.failed")

    def __init__(self, request: Json) -> None:
        super().__init__(request)
        self.sequence = 0  # the client's next sequence number
        self.next_output = 0
        self.started = False
        self.output: list[Json] = []  # this round's finished output items
        self.retrieve_outputs: set[int] = set()
        self.kept_items: list[Json] = []  # earlier rounds' items the client has
        self.first_id: str | None = None  # the response id the client sees
        self.alias: tuple[str, str] | None = None  # (id the client saw, the provider's last id)

    def begin(self, last: bool) -> None:
        super().begin(last)
        self.output = []
        self.retrieve_outputs = set()

    def feed(self, event: SSEEvent) -> list[bytes]:
        if self.round.draining:
            return []
        data = _json_data(event)
        kind = data.get("type") if data else None
        if kind in self._OPENING:
            if self.rounds_done:
                return []
            if data is not None and self.first_id is None:
                self.first_id = (data.get("response") or {}).get("id")
            return [self.relayed(event, data)]
        if data is not None and kind == "response.output_item.added":
            item = data.get("item") or {}
            if _is_retrieve_item(item):
                self.retrieve_outputs.add(data.get("output_index", -1))
                self.round.holding = True
        if data is not None and kind in self._CLOSING:
            response = data.get("response") or {}
            self.output = list(response.get("output") or [])
            self.round.usage = response.get("usage")
            calls = _responses_calls(self.output) if kind == "response.completed" else []
            return self._decide(calls, event, data)
        return self._hold_or_send(event, data)

    def relayed(self, event: SSEEvent, data: Json | None) -> bytes:
        if data is None:
            return event.raw
        changed = dict(data)
        if isinstance(data.get("sequence_number"), int):
            changed["sequence_number"] = self.sequence
            self.sequence += 1
        index = data.get("output_index")
        if isinstance(index, int):
            if index not in self.round.index_map:
                self.round.index_map[index] = self.next_output
                self.next_output += 1
            changed["output_index"] = self.round.index_map[index]
        return event.raw if changed == data else _event_bytes(event.event, changed)

    def _released_when_draining(self) -> list[bytes]:
        held, self.round.held = self.round.held, []
        out = []
        for event, data in held:
            index = data.get("output_index") if data else None
            if isinstance(index, int) and index in self.retrieve_outputs:
                continue
            out.append(self.relayed(event, data))
        self.kept_items.extend(item for item in self.output if not _is_retrieve_item(item))
        return out

    def closing(self, event: SSEEvent, data: Json | None) -> bytes:
        if not self.rounds_done or data is None:
            return self.relayed(event, data)
        response = dict(data.get("response") or {})
        if self.first_id is not None and response.get("id") != self.first_id:
            self.alias = (self.first_id, str(response.get("id")))
            response["id"] = self.first_id
        response["output"] = [*self.kept_items, *(response.get("output") or [])]
        if response.get("usage") is not None:
            response["usage"] = self.total_usage(response["usage"])
        changed = {**data, "response": response}
        if isinstance(data.get("sequence_number"), int):
            changed["sequence_number"] = self.sequence
            self.sequence += 1
        return _event_bytes(event.event, changed)

    def next_request(self, answers: list[tuple[str, str]]) -> Json:
        self.request = _responses_next(self.request, self.output, answers)
        return self.request


_WATCHERS: dict[str, type[_StreamWatcher]] = {
    "anthropic": _AnthropicWatcher,
    "chat": _ChatWatcher,
    "responses": _ResponsesWatcher,
}


def _error_message(status: int, body: bytes) -> str:
    parsed = _parsed(body) or {}
    error = parsed.get("error")
    message = error.get("message") if isinstance(error, dict) else None
    return (
        f"the upstream answered {status} while Headroom answered a retrieve call: {message or 'no message'}"
    )


async def _watched(chunks: AsyncIterator[bytes], watcher: _StreamWatcher) -> AsyncIterator[bytes]:
    """One round's stream as the client gets it: per chunk from upstream, the events it completed
    that go on (one write per chunk, as a plain relay makes), then what the round's end releases."""
    splitter = SSESplitter()
    async for chunk in chunks:
        out = [piece for event in splitter.feed(chunk) for piece in watcher.feed(event)]
        if out:
            yield b"".join(out)
    out = [piece for event in splitter.finish() for piece in watcher.feed(event)]
    out.extend(watcher.end())
    if out:
        yield b"".join(out)


def _streaming_response(exchange: Exchange, reply: UpstreamReply) -> Response:
    response = StreamingResponse(_spliced(exchange, reply), status_code=reply.status)
    pairs = [*reply.decoded_headers(), *exchange.headers.items()]
    response.raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in pairs]
    return response


async def _spliced(exchange: Exchange, reply: UpstreamReply) -> AsyncIterator[bytes]:
    """The client's one stream over every round."""
    watcher = _WATCHERS[exchange.api](exchange.request)
    allowed = allowed_hashes(exchange.api, exchange.request)
    current, sent = reply, exchange.body
    try:
        while True:
            watcher.begin(last=watcher.rounds_done >= exchange.rounds)
            async for piece in _watched(current.chunks(), watcher):
                yield piece
            await current.aclose()
            calls = watcher.round.calls
            if calls is None:
                alias = getattr(watcher, "alias", None)
                if alias is not None:
                    await workers.run_sync(_remember_alias, exchange, *alias)
                return
            answers = await workers.run_sync(_answers, exchange, calls, allowed)
            before = watcher.request
            sent = await workers.run_sync(_rewritten, sent, before, watcher.next_request(answers))
            watcher.rounds_done += 1
            try:
                current = await exchange.upstream(sent)
            except UpstreamFailure as failure:
                yield stream_error_event(exchange.api, f"the upstream could not be reached: {failure.detail}")
                return
            if current.status != 200 or not current.is_stream:
                yield stream_error_event(exchange.api, _error_message(current.status, await current.read()))
                return
    except UpstreamFailure as failure:
        yield stream_error_event(exchange.api, f"the upstream stream broke: {failure.detail}")
    finally:
        await current.aclose()


__all__ = ["Exchange", "allowed_hashes", "complete", "retrieve_only", "summed"]
