"""Identifiers by kind: the commit hashes, build and run numbers, versions and ids a page or an output
shows, and which kinds a request asks for ("which commit was built?", "what build number?").

A kind is asked for when the request uses one of its words; a token is of a kind when it has the
kind's shape:

- commit: `commit`, `sha`, `hash`, `revision`, `rev`, `changeset`: 7 to 64 hex digits holding a
  digit and a letter (`4f3a9c1`, a full SHA-1 or SHA-256);
- build: `build`, `run`, `job`, `pipeline`, `workflow`, `attempt`: a number after `#` or after one
  of those words (`Build #4521`, `run 918273645`, `/actions/runs/918273645`);
- version: `version`, `release`, `tag`, `toolchain`: three or more dotted numbers, optionally after
  `v` (`1.95.0`, `v2.3.1-rc.1`), or two after `v`, `version` or `release` (`v2.3`, `Version: 3.11`);
- id: `uuid`, `guid`, `id`, `identifier`: a UUID, or a long hex token as for commits;
- number: `pr`, `pull`, `issue`, `ticket`, `number`: a number after `#`.

`shows_identifier` says whether a text holds a token of any kind (a sidebar line worth rescuing),
`target_identifiers` what a link target names; `kinds_asked` and `holds_kind` serve selection.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_HEX = r"(?<![0-9A-Za-z])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}(?![0-9A-Za-z])"
_UUID = r"(?<![0-9A-Za-z])[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}(?![0-9A-Za-z])"
_RUN_WORDS = r"(?:builds?|runs?|jobs?|pipelines?|workflows?|attempts?)"
_VERSION = r"(?<![\w.])v?\d+\.\d+(?:\.\d+)+(?:[-+][0-9A-Za-z.-]+)?(?![\w])|(?<![\w.])v\d+\.\d+\b"
_NAMED_VERSION = r"\b(?:version|release)\s*:?\s*\d+\.\d+\b"
_SHAPES = {
    "commit": re.compile(_HEX),
    "build": re.compile(
        rf"#\d{{1,12}}\b|\b{_RUN_WORDS}(?:\s*(?:#|no\.?|number|id)?\s*[:=]?\s*|/)#?\d{{1,12}}\b", re.I
    ),
    "version": re.compile(f"{_VERSION}|{_NAMED_VERSION}", re.I),
    "id": re.compile(f"{_UUID}|{_HEX}"),
    "number": re.compile(r"#\d{1,9}\b"),
}
_WORDS = {
    "commit": ("commit", "commits", "sha", "shas", "sha1", "sha256", "hash", "revision", "rev", "changeset"),
    "build": ("build", "builds", "run", "runs", "job", "jobs", "pipeline", "workflow", "attempt"),
    "version": ("version", "versions", "release", "released", "tag", "tagged", "toolchain"),
    "id": ("uuid", "guid", "id", "ids", "identifier"),
    "number": ("pr", "pull", "issue", "ticket", "number"),
}
KINDS = tuple(_SHAPES)
_REQUEST_WORD = re.compile(r"[a-z0-9]+")
# What makes a line worth keeping: any kind but the bare `#12` number.
_ANY = re.compile(f"{_HEX}|(?i:{_SHAPES['build'].pattern})|(?i:{_VERSION}|{_NAMED_VERSION})")
_UUID_SHAPE = re.compile(_UUID)
# What makes a link target worth keeping: a hash, a UUID, or a number a path names as a build or
# run (`/actions/runs/918273645`). A `#12` in a target is an anchor in a page, not a build; a
# version in one is mostly a documentation site's (`releases.llvm.org/12.0.0/...`).
_IN_TARGET = re.compile(f"{_HEX}|{_UUID}|(?i:/{_RUN_WORDS}/\\d+)")


def kinds_asked(query: str) -> list[str]:
    """The kinds of identifier a request asks for, by the words it uses, in KINDS order."""
    words = set(_REQUEST_WORD.findall(query.lower()))
    return [kind for kind in KINDS if words.intersection(_WORDS[kind])]


def names_kind(text: str, kinds: Iterable[str]) -> bool:
    """Whether a text uses a word of one of the kinds ("Commit", "Build"), as a label does."""
    words = set(_REQUEST_WORD.findall(text.lower()))
    return any(words.intersection(_WORDS[kind]) for kind in kinds)


def holds_kind(text: str, kinds: Iterable[str]) -> bool:
    """Whether a text holds a token of one of the kinds."""
    return any(_SHAPES[kind].search(text) for kind in kinds)


def shows_identifier(text: str) -> bool:
    """Whether a text holds a commit hash, a build or run number, a version or a UUID."""
    return bool(_ANY.search(text) or _UUID_SHAPE.search(text))


def target_identifiers(target: str) -> list[str]:
    """The identifiers a link target holds: hashes, UUIDs, `/runs/N`-style numbers."""
    return [match[0].rsplit("/", 1)[-1] for match in _IN_TARGET.finditer(target)]
