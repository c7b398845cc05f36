"""sse.py: events split out of a byte stream, whatever the chunk boundaries and line endings,
each keeping the bytes it arrived as."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headroom.proxy.sse import SSEEvent, SSESplitter, parse_event, sse_events

ANTHROPIC_STREAM = (
    b'event: message_start\ndata: {"type":"message_start"}\n\n'
    b"event: ping\ndata: {}\n\n"
    b": keep-alive comment\n\n"
    b'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"a\\nb"}}\n\n'
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)


def _split_all(chunks: list[bytes]) -> list[SSEEvent]:
    async def collect() -> list[SSEEvent]:
        async def source() -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield chunk

        return [event async for event in sse_events(source())]

    return anyio.run(collect)


def _names(events: list[SSEEvent]) -> list[str | None]:
    return [event.event for event in events if event.has_data]


def test_events_keep_their_exact_bytes_and_fields() -> None:
    events = _split_all([ANTHROPIC_STREAM])
    assert b"".join(event.raw for event in events) == ANTHROPIC_STREAM
    assert _names(events) == ["message_start", "ping", "content_block_delta", "message_stop"]
    assert events[0].data == '{"type":"message_start"}'
    assert events[0].raw == b'event: message_start\ndata: {"type":"message_start"}\n\n'
    comment = events[2]
    assert comment.raw == b": keep-alive comment\n\n"
    assert not comment.has_data and comment.data == "" and comment.event is None


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending_the_standard_allows(ending: bytes) -> None:
    stream = ANTHROPIC_STREAM.replace(b"\n", ending)
    events = _split_all([stream])
    assert b"".join(event.raw for event in events) == stream
    assert _names(events) == ["message_start", "ping", "content_block_delta", "message_stop"]
    assert events[3].data == '{"type":"content_block_delta","delta":{"text":"a\\nb"}}'


def test_multi_line_data_is_joined_with_newlines_and_one_space_after_the_colon_dropped() -> None:
    event = parse_event(b"event:x\ndata: first\ndata:second\ndata:  indented\nid: 7\n\n")
    assert event.event == "x"
    assert event.data == "first\nsecond\n indented"


def test_a_line_without_a_colon_is_a_field_with_no_value() -> None:
    event = parse_event(b"data\n\n")
    assert event.has_data and event.data == ""


def test_a_stray_blank_line_is_an_event_of_its_own_so_no_byte_is_lost() -> None:
    stream = b"\n" + b"data: 1\n\n" + b"\r\n" + b"data: 2\n\n"
    events = _split_all([stream])
    assert [event.raw for event in events] == [b"\n", b"data: 1\n\n", b"\r\n", b"data: 2\n\n"]
    assert [event.data for event in events if event.has_data] == ["1", "2"]


def test_an_unterminated_last_event_comes_out_when_the_stream_ends() -> None:
    events = _split_all([b"data: 1\n\n", b"data: [DONE]\n"])
    assert [event.raw for event in events] == [b"data: 1\n\n", b"data: [DONE]\n"]
    assert events[-1].data == "[DONE]"
    bare = _split_all([b"data: 1\n\ndata: tail"])
    assert bare[-1].raw == b"data: tail" and bare[-1].data == "tail"


def test_a_carriage_return_at_a_chunk_end_waits_for_the_next_chunk() -> None:
    splitter = SSESplitter()
    assert splitter.feed(b"data: 1\r\n\r") == []  # "\r" may be the start of "\r\n"
    events = splitter.feed(b"\ndata: 2\r\n\r\n")
    assert [event.raw for event in events] == [b"data: 1\r\n\r\n", b"data: 2\r\n\r\n"]
    assert splitter.finish() == []


def test_a_lone_carriage_return_ending_the_stream_ends_the_event() -> None:
    splitter = SSESplitter()
    assert splitter.feed(b"data: 1\r\r") == []
    events = splitter.finish()
    assert [(event.raw, event.data) for event in events] == [(b"data: 1\r\r", "1")]


def test_an_event_is_yielded_as_soon_as_its_blank_line_arrives() -> None:
    splitter = SSESplitter()
    assert splitter.feed(b"data: 1\n") == []
    assert [event.data for event in splitter.feed(b"\ndata: 2")] == ["1"]


def test_utf8_split_across_chunks_is_decoded_whole() -> None:
    data = 'data: {"text":"héllo ✓"}\n\n'.encode()
    cut = data.index("✓".encode()) + 1
    events = _split_all([data[:cut], data[cut:]])
    assert events[0].data == '{"text":"héllo ✓"}'


@settings(max_examples=300, deadline=None)
@given(
    ending=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    cuts=st.lists(st.integers(min_value=0, max_value=len(ANTHROPIC_STREAM) * 2), max_size=12),
)
def test_chunk_boundaries_anywhere_give_the_same_events(ending: bytes, cuts: list[int]) -> None:
    stream = ANTHROPIC_STREAM.replace(b"\n", ending)
    points = sorted({cut % (len(stream) + 1) for cut in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    whole = _split_all([stream])
    splitter = SSESplitter()
    pieces = [event for chunk in chunks for event in splitter.feed(chunk)] + splitter.finish()
    assert [(e.raw, e.event, e.data) for e in pieces] == [(e.raw, e.event, e.data) for e in whole]
    assert b"".join(event.raw for event in pieces) == stream


def test_byte_by_byte() -> None:
    stream = ANTHROPIC_STREAM.replace(b"\n", b"\r\n")
    events = _split_all([stream[i : i + 1] for i in range(len(stream))])
    assert b"".join(event.raw for event in events) == stream
    assert _names(events) == ["message_start", "ping", "content_block_delta", "message_stop"]


def test_a_long_line_in_many_small_chunks_is_scanned_once() -> None:
    line = b"data: " + b"x" * 400_000 + b"\n\n"
    splitter = SSESplitter()
    for start in range(0, 200_000, 100):
        assert splitter.feed(line[start : start + 100]) == []
        assert splitter._searched == start + 100  # the next search starts after what was read
    events = splitter.feed(line[200_000:])
    assert [event.raw for event in events] == [line]
