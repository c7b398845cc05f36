"""Server-sent events split out of a byte stream, each with the exact bytes it arrived as.

The proxy watches a provider's stream as it relays it (to hold back a `headroom_retrieve`
tool call), so it must see events, yet every event it passes on must reach the client
byte for byte. `sse_events` yields one `SSEEvent` per block of lines ended by a blank line,
whatever the line endings (`\\n`, `\\r\\n` or a lone `\\r`, as the SSE standard allows) and
wherever the chunks happen to break (inside a line, between `\\r` and `\\n`).

Every byte of the stream belongs to exactly one event's `raw`: a stray blank line is an
event of its own (no fields), a comment block (`: ping`) is an event with empty `data`, and
bytes left after the last blank line when the stream ends come out as one last event.
So `b"".join(event.raw for event in events)` is always the stream itself.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field

_LINE_END = re.compile(rb"[\r\n]")
_CR = 0x0D
_LF = 0x0A


@dataclass(frozen=True)
class SSEEvent:
    """One event: its `event:` name (None when it has none), its `data:` lines joined with
    newlines, and the bytes it arrived as, blank line included."""

    event: str | None
    data: str
    raw: bytes
    data_lines: int = field(default=0, repr=False)  # how many `data:` lines it has

    @property
    def has_data(self) -> bool:
        """Whether the event carries any `data:` line (comments and blank lines carry none)."""
        return self.data_lines > 0


def parse_event(raw: bytes) -> SSEEvent:
    """The fields of one event's bytes (the blank line that ends it may be included)."""
    return _event_from_lines(raw, _lines_of(raw))


def _lines_of(raw: bytes) -> list[bytes]:
    return [line for line in re.split(rb"\r\n|\r|\n", raw) if line]


def _event_from_lines(raw: bytes, lines: Iterable[bytes]) -> SSEEvent:
    name: str | None = None
    data: list[str] = []
    for line in lines:
        if line.startswith(b":"):
            continue  # a comment
        field, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if field == b"event":
            name = value.decode("utf-8", "replace")
        elif field == b"data":
            data.append(value.decode("utf-8", "replace"))
    return SSEEvent(name, "\n".join(data), raw, len(data))


class SSESplitter:
    """Feed it chunks; it hands back each event as soon as its blank line has arrived."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._line_start = 0  # where the next unread line begins in the buffer
        self._searched = 0  # no line ends before here in the unread line (a long line is scanned once)
        self._lines: list[bytes] = []  # the current event's lines so far

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        self._buffer += chunk
        return self._split(final=False)

    def finish(self) -> list[SSEEvent]:
        """The events left when the stream has ended (an unterminated last event included)."""
        events = self._split(final=True)
        if self._buffer:
            tail = bytes(self._buffer[self._line_start :])
            lines = [*self._lines, tail] if tail else self._lines
            events.append(_event_from_lines(bytes(self._buffer), lines))
        self._buffer.clear()
        self._line_start = self._searched = 0
        self._lines = []
        return events

    def _split(self, *, final: bool) -> list[SSEEvent]:
        buffer = self._buffer
        events: list[SSEEvent] = []
        event_start = 0
        position = self._line_start
        searched = max(position, self._searched)
        while (found := _LINE_END.search(buffer, searched)) is not None:
            cut = found.start()
            if buffer[cut] == _CR:
                if cut + 1 == len(buffer) and not final:
                    searched = cut
                    break  # a "\r" that may be the first half of "\r\n" in the next chunk
                end = cut + 2 if cut + 1 < len(buffer) and buffer[cut + 1] == _LF else cut + 1
            else:
                end = cut + 1
            line = bytes(buffer[position:cut])
            position = searched = end
            if line:
                self._lines.append(line)
                continue
            events.append(_event_from_lines(bytes(buffer[event_start:end]), self._lines))
            self._lines = []
            event_start = end
        else:
            searched = len(buffer)
        if event_start:
            del buffer[:event_start]
        self._line_start = position - event_start
        self._searched = searched - event_start
        return events


async def sse_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[SSEEvent]:
    """The events of a stream, each as soon as it is complete; their raw bytes add up to the stream."""
    splitter = SSESplitter()
    async for chunk in chunks:
        for event in splitter.feed(chunk):
            yield event
    for event in splitter.finish():
        yield event


__all__ = ["SSEEvent", "SSESplitter", "parse_event", "sse_events"]
