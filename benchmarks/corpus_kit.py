"""The corpus builder's kit: what a case function returns, the `@case` registry and shared helpers.

Case functions live in `corpus_cases/` (one module per family of material) and register themselves
with `@case`; `build_corpus.py` imports them all, turns each into an agent conversation and checks its
facts. See `build_corpus.py` for the rules a case and its facts follow.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
SCRATCH = Path(os.environ.get("HEADROOM_BENCH_SCRATCH", "/tmp/headroom-bench-scratch"))
SITE = Path(sysconfig.get_paths()["purelib"])
DEBIAN_SITE = Path("/usr/lib/python3/dist-packages")
NPM_ROOT = Path("/usr/lib/node_modules/npm")
PYPI_TSV = Path("/work/.library/env/packages/pypi.tsv")
MAX_CASE_BYTES = 300_000

# Commands run with a fixed locale, zone and width so their output does not depend on the shell.
ENV = {
    **os.environ,
    "LC_ALL": "C.UTF-8",
    "LANG": "C.UTF-8",
    "TZ": "UTC",
    "COLUMNS": "120",
    "NO_COLOR": "1",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "PIP_NO_INPUT": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "GIT_AUTHOR_NAME": "dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}

SYSTEM_PROMPT = (
    "You are a coding and operations agent working in the user's Linux workstation. "
    "Use the tools to look things up; quote exact lines, ids and values from tool output when you answer."
)


class Skip(Exception):
    """This machine lacks what the case is made from; keep the committed file."""


@dataclass
class Call:
    """One tool call and what the tool returned."""

    name: str
    arguments: dict[str, Any]
    output: str
    is_json: bool = False  # the tool returned JSON text (the runner's baseline minifies it)


@dataclass
class Turn:
    """An earlier exchange of a multi-turn session: the user asks, the agent calls tools, then answers."""

    question: str
    calls: list[Call]
    answer: str
    preamble: str = ""


@dataclass
class Material:
    """What a case function gathers: the question, the tool calls, and the facts the answer needs."""

    question: str
    calls: list[Call]
    facts: list[str | list[str]]  # a list: equivalent spellings of one fact, any of which counts
    origin: str  # where the output comes from, for the README and the case file
    preamble: str = ""  # the assistant's text before its tool calls
    notes: str = ""
    # How the facts were chosen, written before anything is compressed and applied to the raw
    # material by code in the case function: "the line naming the package the question names",
    # "the row holding the smallest rank", "every ERROR line". New cases must give one.
    rule: str = ""
    history: list[Turn] = field(default_factory=list)  # earlier turns of the same session

    def turns(self) -> list[Turn]:
        return [*self.history, Turn(self.question, self.calls, "", self.preamble)]

    def all_calls(self) -> list[Call]:
        return [call for turn in self.turns() for call in turn.calls]


@dataclass
class CaseSpec:
    id: str
    kind: str  # the content type of the main tool output
    source: str  # "real" (command output or file on this machine) or "synthetic" (seeded generator)
    fmt: str  # "openai" or "anthropic"
    build: Callable[[], Material]
    tags: list[str] = field(default_factory=list)


CASES: list[CaseSpec] = []


def case(case_id: str, kind: str, source: str, fmt: str) -> Callable[[Callable[[], Material]], Any]:
    def register(build: Callable[[], Material]) -> Callable[[], Material]:
        CASES.append(CaseSpec(case_id, kind, source, fmt, build))
        return build

    return register


# helpers ---------------------------------------------------------------------------------------


def run(
    args: list[str] | str, cwd: Path | str | None = None, ok: Iterable[int] = (0,), timeout: int = 300
) -> str:
    """stdout+stderr of a command, as a terminal would show it. Skip when the command is missing."""
    shell = isinstance(args, str)
    try:
        done = subprocess.run(
            args,
            cwd=cwd,
            env=ENV,
            shell=shell,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as error:
        raise Skip(f"command not found: {error}") from error
    if done.returncode not in ok:
        raise Skip(f"{args!r} exited {done.returncode}: {done.stderr[-400:]}")
    return done.stdout + done.stderr


def run_stdout(args: list[str], cwd: Path | str | None = None, ok: Iterable[int] = (0,)) -> str:
    try:
        done = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    except FileNotFoundError as error:
        raise Skip(f"command not found: {error}") from error
    if done.returncode not in ok:
        raise Skip(f"{args!r} exited {done.returncode}: {done.stderr[-400:]}")
    return done.stdout


def need(path: Path) -> Path:
    if not path.exists():
        raise Skip(f"missing: {path}")
    return path


def read(path: Path) -> str:
    return need(path).read_text(encoding="utf-8", errors="replace")


def line_matching(text: str, pattern: str) -> str:
    """The first whole line matching a regex (without its newline): a fact quoted as the output shows it."""
    compiled = re.compile(pattern)
    for line in text.split("\n"):
        if compiled.search(line):
            return line.rstrip()
    raise Skip(f"no line matches {pattern!r}")


def last_line_matching(text: str, pattern: str) -> str:
    """The last whole line matching a regex: the answer to "which ... did it end up ..." questions."""
    compiled = re.compile(pattern)
    for line in reversed(text.split("\n")):
        if compiled.search(line):
            return line.rstrip()
    raise Skip(f"no line matches {pattern!r}")


def head_lines(text: str, count: int) -> str:
    return "\n".join(text.split("\n")[:count])


def fit(text: str, max_chars: int) -> str:
    """Cut at a line boundary so the case stays under the size cap (the tool call says so: `| head`)."""
    if len(text) <= max_chars:
        return text
    return text[: text.rfind("\n", 0, max_chars)]


def fresh_scratch(name: str) -> Path:
    folder = SCRATCH / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def git(repo: Path, *args: str, date: str = "2026-11-02T10:00:00Z") -> str:
    env = {**ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise Skip(f"git {args} failed: {done.stderr[-300:]}")
    return done.stdout


def copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(need(source), target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.so"))


def dist_version(site: Path, name: str) -> str:
    for info in sorted(site.glob(f"{name}-*.dist-info")) + sorted(site.glob(f"{name}-*.egg-info")):
        return info.name[len(name) + 1 :].rsplit(".", 1)[0]
    raise Skip(f"{name} not installed in {site}")


# facts ---------------------------------------------------------------------------------------


def number_fact(value: float) -> list[str]:
    """A number as the standard JSON encoders spell it (`1.5e-07` by json, `1.5e-7` by orjson):
    a faithful re-encoding of the same value keeps the fact."""
    spellings = [json.dumps(value)]
    try:
        import orjson

        spellings.append(orjson.dumps(value).decode())
    except ImportError:
        pass
    return list(dict.fromkeys(spellings))


def value_fact(output: str, value: str) -> str:
    """A JSON string value as a fact: bare (readable in any faithful re-encoding, a table row or
    minified JSON alike) when the bare text occurs once in the output, else with its JSON quotes."""
    return value if output.count(value) == 1 else json.dumps(value)


def entry_fact(output: str, key: str, value: Any) -> list[str]:
    """A JSON object entry (`"key": value`) as a fact: spelled as the output writes it (any
    whitespace, pretty or on one line), then as the standard encoders write it (default and compact
    separators), so a faithful re-encoding of the object keeps the fact. For answers that are an
    entry, not a value: a boolean, a small number or a key whose value repeats elsewhere."""
    compact = json.dumps({key: value}, separators=(",", ":"), ensure_ascii=False)[1:-1]
    spaced = json.dumps({key: value}, ensure_ascii=False)[1:-1]
    tokens = re.findall(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^{}\[\]:,\s"]+', compact)
    written = re.search(r"\s*".join(re.escape(token) for token in tokens), output)
    spellings = [written.group(0)] if written else []
    return list(dict.fromkeys([*spellings, spaced, compact]))


def html_text_fact(page: str, pattern: str) -> list[str]:
    """One line of an HTML page's text (a line of one text node, between tags) whose decoded text
    matches a regex, spelled as the markup writes it, with its entities decoded, and with its spaces
    collapsed: a compressor that keeps the markup or one that renders the text keeps the fact."""
    compiled = re.compile(pattern)
    for node in re.findall(r">([^<]+)<", page):
        for line in node.split("\n"):
            written = line.strip()
            decoded = html.unescape(written)
            if written and compiled.search(decoded):
                return list(dict.fromkeys([written, decoded, re.sub(r"\s+", " ", decoded)]))
    raise Skip(f"no text line matches {pattern!r}")


# release archives ------------------------------------------------------------------------------

SDIST_CACHE = SCRATCH / "pypi-sdists"  # kept across rebuilds: a release's sdist never changes


def pypi_sdist(name: str, version: str) -> Path:
    """A project's source distribution for one release, downloaded from PyPI once and cached.

    Skip when it cannot be had (offline, or the release ships no sdist)."""
    folder = SDIST_CACHE / f"{name}-{version}"
    found = sorted(folder.glob("*.tar.gz")) + sorted(folder.glob("*.zip")) if folder.exists() else []
    if found:
        return found[0]
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    done = subprocess.run(
        [*command, "--dest", str(folder), f"{name}=={version}"],
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    found = sorted(folder.glob("*.tar.gz")) + sorted(folder.glob("*.zip"))
    if done.returncode != 0 or not found:
        raise Skip(f"cannot download the sdist of {name} {version}: {done.stderr.strip()[-300:]}")
    return found[0]
