"""Identifiers by kind (headroom.content.identifiers): which kinds a request asks for, which tokens
are of a kind, what a link target names."""

from __future__ import annotations

import pytest

from headroom.content.identifiers import (
    holds_kind,
    kinds_asked,
    names_kind,
    shows_identifier,
    target_identifiers,
)


@pytest.mark.parametrize(
    ("query", "kinds"),
    [
        ("Which commit did this build run on?", ["commit", "build"]),
        ("What's the SHA of the deployed revision?", ["commit"]),
        ("What build number failed?", ["build", "number"]),
        ("Which Rust version built these docs?", ["version"]),  # "built" is no build
        ("What is the request id?", ["id"]),
        ("Summarise the page.", []),
    ],
)
def test_the_kinds_a_request_asks_for(query: str, kinds: list[str]) -> None:
    assert kinds_asked(query) == kinds


@pytest.mark.parametrize(
    ("text", "kind", "holds"),
    [
        ("Commit 4f3a9c1 by alice", "commit", True),
        ("sha256:" + "ab12" * 16, "commit", True),
        ("deadbeef is a word here", "commit", False),  # no digit: a word, not a hash
        ("1234567 rows", "commit", False),  # no letter: a number
        ("Build #4521 passed", "build", True),
        ("/acme/shop/actions/runs/918273645", "build", True),
        ("Run 77 of the nightly pipeline", "build", True),
        ("rustc 1.95.0 (59807616e 2026-04-14)", "version", True),
        ("Version: 3.11", "version", True),
        ("took 3.5 seconds", "version", False),
        ("trace 3f1e2d4c-1111-2222-3333-444455556666", "id", True),
        ("see #1234", "number", True),
    ],
)
def test_tokens_of_a_kind(text: str, kind: str, holds: bool) -> None:
    assert holds_kind(text, [kind]) is holds


def test_what_a_link_target_names_and_what_a_page_anchor_does_not() -> None:
    assert target_identifiers("https://github.com/acme/shop/commit/4f3a9c1e2b7d") == ["4f3a9c1e2b7d"]
    assert target_identifiers("/acme/shop/actions/runs/918273645/job/77") == ["918273645", "77"]
    assert target_identifiers("https://releases.llvm.org/12.0.0/tools/lld/docs/Driver.html") == []
    assert target_identifiers("../src/alloc/vec/mod.rs.html#438") == []
    assert target_identifiers("struct.Vec.html#method.len") == []


def test_a_label_names_its_kind() -> None:
    assert names_kind("Commit: 4f3a9c1", ["commit"]) and not names_kind("4f3a9c1", ["commit"])
    assert shows_identifier("Build #4521") and not shows_identifier("Widgets and lids")
