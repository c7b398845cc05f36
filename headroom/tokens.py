"""Token counting: the right tiktoken encoding per OpenAI model family, and a
documented estimate for everyone else.

- o200k_base: gpt-4o, gpt-4.1, gpt-4.5, gpt-5, the o-series (o1, o3, o4...).
- cl100k_base: gpt-4, gpt-3.5, the text-embedding-3 models and other older OpenAI models.
- Every other model (Claude, Gemini, Llama, Mistral, ...): `estimate_tokens`, a
  lexical estimate (a word of up to 8 letters is one token, a longer one a token
  per 6 letters; digits in threes; a run of punctuation a token per 3 marks; a
  line break with its indentation one token; one per non-ASCII character). Their
  tokenizers are not public or not offline; on prose, pretty and minified JSON,
  logs and code the estimate lands within about 15% of o200k_base (see
  tests/test_tokens.py; text in non-Latin scripts runs higher), which is as close
  as the vendors' tokenizers are to each other.

Encodings load lazily, once per process, and never through litellm.
"""

from __future__ import annotations

import math
import os
import re
import threading
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from headroom import _env  # noqa: F401  (sets TIKTOKEN_CACHE_DIR before tiktoken loads)

Counter = Callable[[str], int]

_O200K_PREFIXES = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "chatgpt-4o", "o1", "o3", "o4", "gpt-oss")
_CL100K_PREFIXES = ("gpt-4", "gpt-3.5", "gpt-35", "text-embedding-3", "text-embedding-ada")

_CONTEXT_WINDOWS: tuple[tuple[str, int], ...] = (
    ("gpt-4.1", 1_047_576),
    ("gpt-5", 400_000),
    ("gpt-4o", 128_000),
    ("gpt-4-turbo", 128_000),
    ("gpt-4", 8_192),
    ("gpt-3.5", 16_385),
    ("o1", 200_000),
    ("o3", 200_000),
    ("o4", 200_000),
    ("claude", 200_000),
    ("gemini", 1_048_576),
)
DEFAULT_CONTEXT_WINDOW = 128_000

_encoder_lock = threading.Lock()


def _bare_model(model: str) -> str:
    """'azure/gpt-4o' -> 'gpt-4o'; 'bedrock/anthropic.claude-3' -> 'anthropic.claude-3'."""
    return model.rsplit("/", 1)[-1].lower().strip()


def encoding_name_for(model: str | None) -> str | None:
    """The tiktoken encoding for an OpenAI model, or None when we estimate."""
    if not model:
        return "o200k_base"
    bare = _bare_model(model)
    if bare.startswith(_O200K_PREFIXES):
        return "o200k_base"
    if bare.startswith(_CL100K_PREFIXES):
        return "cl100k_base"
    return None


def context_window(model: str | None) -> int:
    bare = _bare_model(model or "")
    for prefix, size in _CONTEXT_WINDOWS:
        if prefix in bare:
            return size
    return DEFAULT_CONTEXT_WINDOW


@lru_cache(maxsize=4)
def _encoding(name: str) -> Any:
    with _encoder_lock:
        import tiktoken

        spec = _read_parsed_ranks(name)
        if spec is None:
            import tiktoken_ext.openai_public as public

            spec = getattr(public, name)()  # parses the ranks file tiktoken ships or downloads
            _write_parsed_ranks(name, spec)
        return tiktoken.Encoding(**spec)


# tiktoken parses its 200,000-line ranks file (base64 per line) on every process start: about
# 300 ms for o200k_base. The parsed form, pickled once in a cache folder, loads in about 60 ms.
_RANKS_FORMAT = 1


def _parsed_ranks_path(name: str) -> Path:
    import sys

    import tiktoken

    folder = os.environ.get("HEADROOM_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "headroom"
    )
    tiktoken_version = getattr(tiktoken, "__version__", "unknown")
    python = f"py{sys.version_info[0]}{sys.version_info[1]}"
    return Path(folder) / f"{name}-tiktoken{tiktoken_version}-{python}-v{_RANKS_FORMAT}.pickle"


def _read_parsed_ranks(name: str) -> dict[str, Any] | None:
    import pickle

    path = _parsed_ranks_path(name)
    if not path.is_file():
        return None
    try:
        spec = pickle.loads(path.read_bytes())
    except Exception:  # a damaged cache file is parsed again from tiktoken's
        return None
    shape_ok = (
        isinstance(spec, dict) and spec.get("name") == name and isinstance(spec.get("mergeable_ranks"), dict)
    )
    return spec if shape_ok else None


def _write_parsed_ranks(name: str, spec: dict[str, Any]) -> None:
    import pickle
    import tempfile

    path = _parsed_ranks_path(name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
            handle.write(pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(handle.name, path)  # atomic: a concurrent reader sees the old file or the new one
    except OSError:
        pass  # a read-only home only costs the slower parse next time


# Words, numbers, a line break with its indentation, a run of ASCII punctuation, one other character.
_PIECES = r"[A-Za-z]+|\d+|\n[ \t]*|[^\sA-Za-z\d\x80-\U0010ffff]+|[^\s\x00-\x7f]"


def estimate_tokens(text: str) -> int:
    """Lexical token estimate for models without a public offline tokenizer."""
    if not text:
        return 0
    total = 0
    for piece in re.findall(_PIECES, text):  # compiled on first use (its range costs ~5 ms)
        first = piece[0]
        if first.isascii() and first.isalpha():
            total += 1 if len(piece) <= 8 else math.ceil(len(piece) / 6)
        elif first.isdigit():
            total += math.ceil(len(piece) / 3)
        elif first == "\n":
            total += 1
        elif first.isascii():
            total += math.ceil(len(piece) / 3)
        else:
            total += 1
    return total


@lru_cache(maxsize=32)
def counter_for(model: str | None) -> Counter:
    """A function text -> token count for this model."""
    name = encoding_name_for(model)
    if name is None:
        return estimate_tokens

    def count(text: str) -> int:
        if not text:
            return 0
        return len(_encoding(name).encode_ordinary(text))

    return count


def count_tokens(text: str, model: str | None = None) -> int:
    return counter_for(model)(text)


CHARS_PER_TOKEN = 4


def approx_tokens(text: str) -> int:
    """The estimate stages decide with: about four characters a token.

    Decisions only compare parts of one text with each other (a budget is a share of a block),
    so the scale barely matters, and a character count costs nothing: compressing never waits
    for a tokenizer to load. Reported figures (`tokens_before`, ...) are exact.
    """
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


# Chat formats add a few tokens of framing per message (role, separators).
MESSAGE_OVERHEAD = 4


_NOT_TEXT_KEYS = frozenset({"role", "type", "id", "tool_call_id", "tool_use_id", "cache_control"})


def iter_text(value: Any) -> Iterator[str]:
    """Every string leaf of a message, in order (roles and type tags excluded). Walked with a
    stack, so a value nested any depth costs no recursion."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            children = [
                child
                for key, child in item.items()
                if key not in _NOT_TEXT_KEYS
                # image/document payloads are billed differently; never compressed
                and not (key == "source" and isinstance(child, dict))
            ]
            pending.extend(reversed(children))
        elif isinstance(item, list):
            pending.extend(reversed(item))


def count_message_tokens(messages: Any, model: str | None = None) -> int:
    """Tokens in a message list: every text leaf plus per-message framing."""
    if not isinstance(messages, list):
        return 0
    count = counter_for(model)
    total = 0
    for message in messages:
        total += MESSAGE_OVERHEAD
        total += sum(count(text) for text in iter_text(message))
    return total
