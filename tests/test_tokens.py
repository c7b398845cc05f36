"""Token counting: the right encoding per model family, an honest estimate for the rest, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tiktoken

from headroom import samples, tokens
from headroom.tokens import (
    DEFAULT_CONTEXT_WINDOW,
    MESSAGE_OVERHEAD,
    context_window,
    count_message_tokens,
    count_tokens,
    counter_for,
    encoding_name_for,
    estimate_tokens,
    iter_text,
)

PROSE = (
    "When the checkout service started timing out on Tuesday morning, the on-call engineer opened the "
    "dashboard and saw that latency had doubled across every region. The first suspicion was the payments "
    "provider, because its status page reported degraded performance, but the error budget for the billing "
    "service was still intact. After an hour of reading logs, the team found that a connection pool had been "
    "sized for last year's traffic. They raised the limit, restarted the workers one at a time, and watched "
    "the queue drain. By noon the incident was closed, and the follow-up review asked for an alert on pool "
    "saturation so that the next spike would page someone before customers noticed anything at all."
)


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini", "o200k_base"),
        ("gpt-4.1", "o200k_base"),
        ("gpt-4.1-mini", "o200k_base"),
        ("gpt-5", "o200k_base"),
        ("o1", "o200k_base"),
        ("o3", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("o4-mini", "o200k_base"),
        ("azure/gpt-4o", "o200k_base"),
        ("openai/GPT-5", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("text-embedding-3-small", "cl100k_base"),
        ("claude-sonnet-4-5", None),
        ("anthropic/claude-3-5-sonnet", None),
        ("gemini-2.5-pro", None),
        ("llama-3.1-70b", None),
    ],
)
def test_encoding_per_model_family(model: str, encoding: str | None) -> None:
    assert encoding_name_for(model) == encoding


@pytest.mark.parametrize("model", ["gpt-4o", "o3", "gpt-5", "gpt-4.1"])
def test_o200k_models_count_with_o200k_base(model: str) -> None:
    expected = len(tiktoken.get_encoding("o200k_base").encode_ordinary(PROSE))
    assert count_tokens(PROSE, model) == expected


@pytest.mark.parametrize("model", ["gpt-4", "gpt-3.5-turbo"])
def test_cl100k_models_count_with_cl100k_base(model: str) -> None:
    expected = len(tiktoken.get_encoding("cl100k_base").encode_ordinary(PROSE))
    assert count_tokens(PROSE, model) == expected


def test_the_two_encodings_really_differ_on_this_text() -> None:
    # Otherwise the two tests above could not tell the encodings apart.
    assert count_tokens(PROSE, "gpt-4o") != count_tokens(PROSE, "gpt-4")


@pytest.mark.parametrize("model", ["claude-sonnet-4-5", "gemini-2.5-pro"])
def test_other_models_use_the_estimate(model: str) -> None:
    assert counter_for(model) is estimate_tokens
    assert count_tokens(PROSE, model) == estimate_tokens(PROSE)


def test_no_model_counts_with_o200k_base() -> None:
    assert encoding_name_for(None) == "o200k_base"
    assert count_tokens(PROSE) == count_tokens(PROSE, "gpt-4o")


def test_special_token_text_is_counted_as_ordinary_text() -> None:
    # encode() would raise on "<|endoftext|>"; tool outputs may contain anything.
    assert count_tokens("<|endoftext|> and <|im_start|>", "gpt-4o") > 2


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4", "claude-sonnet-4-5"])
def test_empty_text_is_zero_tokens(model: str) -> None:
    assert count_tokens("", model) == 0


def test_estimate_pieces() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("  \t ") == 0
    assert estimate_tokens("the cat sat") == 3  # a short word is one token
    assert estimate_tokens("internationalization") == 4  # a long one, a token per 6 letters
    assert estimate_tokens("1234567") == 3  # digits in threes
    assert estimate_tokens('{"a":"b"}') == 1 + 1 + 1 + 1 + 1  # punctuation runs, a token per 3 marks
    assert estimate_tokens("a\n    b") == 3  # a line break with its indentation is one token
    assert estimate_tokens("日本") == 2  # one per non-ASCII character


def _sample_texts() -> dict[str, str]:
    records, _ = samples.json_records()
    log, _ = samples.application_log()
    return {
        "json_records (as the tool sent them)": json.dumps(records, indent=2),
        "application_log": log,
        "prose": PROSE,
    }


@pytest.mark.parametrize("name", list(_sample_texts()))
def test_estimate_is_within_25_percent_of_o200k_base_on_sample_data(name: str) -> None:
    text = _sample_texts()[name]
    estimate = estimate_tokens(text)
    actual = count_tokens(text, "gpt-4o")
    assert abs(estimate - actual) / actual <= 0.25, f"{name}: estimate {estimate}, o200k_base {actual}"


def test_estimate_is_within_25_percent_of_o200k_base_on_minified_json() -> None:
    # Compressed JSON is minified, so the estimate must hold for that form too, or savings for
    # Claude and Gemini are misreported.
    records, _ = samples.json_records()
    text = json.dumps(records, separators=(",", ":"))
    estimate = estimate_tokens(text)
    actual = count_tokens(text, "gpt-4o")
    assert abs(estimate - actual) / actual <= 0.25, f"estimate {estimate}, o200k_base {actual}"


def test_counting_works_offline_in_a_fresh_process() -> None:
    # No network here: the encodings must come from local files. A fresh interpreter proves
    # nothing was cached by this test session.
    code = "from headroom.tokens import count_tokens; print(count_tokens('hello world', 'gpt-4o'))"
    env = {key: value for key, value in os.environ.items() if key != "TIKTOKEN_CACHE_DIR"}
    env.update(HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", NO_PROXY="")
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"


@pytest.mark.parametrize(
    ("model", "window"),
    [
        ("gpt-4o", 128_000),
        ("gpt-4.1-mini", 1_047_576),
        ("gpt-5", 400_000),
        ("gpt-4", 8_192),
        ("gpt-4-turbo", 128_000),
        ("claude-sonnet-4-5", 200_000),
        ("gemini-2.5-pro", 1_048_576),
        ("unknown-model", DEFAULT_CONTEXT_WINDOW),
        (None, DEFAULT_CONTEXT_WINDOW),
    ],
)
def test_context_windows(model: str | None, window: int) -> None:
    assert context_window(model) == window


def test_iter_text_skips_roles_ids_and_image_payloads() -> None:
    message: dict[str, Any] = {
        "role": "user",
        "tool_call_id": "call_1",
        "content": [
            {"type": "text", "text": "look"},
            {"type": "image", "source": {"type": "base64", "data": "AAAA"}},
            {"type": "tool_result", "tool_use_id": "t1", "content": "result", "cache_control": {"type": "x"}},
        ],
    }
    assert list(iter_text(message)) == ["look", "result"]


def test_count_message_tokens_adds_framing_per_message() -> None:
    messages = [{"role": "user", "content": "hello world"}, {"role": "assistant", "content": ""}]
    assert count_message_tokens(messages, "gpt-4o") == 2 * MESSAGE_OVERHEAD + count_tokens("hello world")
    assert count_message_tokens("not a list", "gpt-4o") == 0  # type: ignore[arg-type]


def _fresh_encoder_counts(text: str, model: str) -> int:
    tokens._encoding.cache_clear()
    return tokens.count_tokens(text, model)


@pytest.mark.parametrize("name, model", [("o200k_base", "gpt-4o"), ("cl100k_base", "gpt-4")])
def test_the_parsed_ranks_are_cached_and_count_exactly_like_tiktoken(
    name: str, model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADROOM_CACHE_DIR", str(tmp_path))
    text = "Résumé: naïve café 東京 — x=1; y = [2, 3]\n\tdef f(): return 'ok'"
    expected = len(tiktoken.get_encoding(name).encode_ordinary(text))
    assert _fresh_encoder_counts(text, model) == expected  # parsed by tiktoken, then cached
    cached = tokens._parsed_ranks_path(name)
    assert cached.parent == tmp_path and cached.is_file()
    assert _fresh_encoder_counts(text, model) == expected  # read from the cache
    cached.write_bytes(b"not a pickle")
    assert _fresh_encoder_counts(text, model) == expected  # a damaged cache is parsed again...
    assert tokens._read_parsed_ranks(name) is not None  # ...and rewritten
    tokens._encoding.cache_clear()


def test_an_unwritable_cache_folder_only_costs_the_slow_parse(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("HEADROOM_CACHE_DIR", str(blocker / "below-a-file"))
    assert _fresh_encoder_counts("hello world", "gpt-4o") == 2
    tokens._encoding.cache_clear()
