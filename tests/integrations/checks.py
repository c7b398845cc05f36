"""Assertions about what reached the wire, shared by the integration tests."""

from __future__ import annotations

import json
from typing import Any

from headroom.tokens import count_message_tokens


def tokens(messages: Any) -> int:
    return count_message_tokens(messages, "gpt-4o")


def assert_compressed(sent: Any, received: Any) -> None:
    """`received` is the compressed form of `sent`: far fewer tokens, with markers where text was cut."""
    assert tokens(received) < tokens(sent) / 2
    assert "[headroom: omitted" in json.dumps(received)
