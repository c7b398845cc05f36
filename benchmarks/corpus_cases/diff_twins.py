"""Diff cases whose answers span many hunks, or sit in one function's signature.

Open twins of a failing class (issue 9): a question whose facts are many changed lines, spread over
many hunks of one or several files, in a big `git diff` or `git show` of a real upgrade. The
histories are scratch repositories of consecutive PyPI sdists, built as `git_history.py` builds
them (one commit per release, its PKG-INFO author and date, its changelog entry as the message), of
projects no other diff case uses: Jinja2, tornado, urllib3, blinker and Flask.

The signature cases: a question about the type hints one named function got in a release, whose
answer is the changed parameter and return lines below an unchanged `def name(` line.
"""

from __future__ import annotations

import re
from pathlib import Path

from corpus_kit import Call, Material, Skip, case

from corpus_cases.git_history import changed_lines, file_sections, git_out, release_repo

TWIN_PROJECTS: dict[str, tuple[str, ...]] = {
    "jinja2": ("3.1.4", "3.1.5"),
    "tornado": ("6.4", "6.4.1"),
    "urllib3": ("2.2.1", "2.2.2"),
    "blinker": ("1.7.0", "1.8.0"),
    "flask": ("3.0.2", "3.0.3"),
}


def twin_history(name: str) -> Path:
    return release_repo(name, TWIN_PROJECTS[name])[0]


def twin_origin(name: str, what: str) -> str:
    versions = TWIN_PROJECTS[name]
    return (
        f"`{what}` in a scratch git repository of {name}'s releases {', '.join(versions)} (one commit "
        "per PyPI sdist, with its PKG-INFO author, its date and its changelog entry)"
    )


def twin_upgrade(name: str) -> tuple[str, str]:
    """`git diff old..new` of a whole release: (the command as typed, its output)."""
    old, new = TWIN_PROJECTS[name]
    return f"git diff {old}..{new}", git_out(twin_history(name), "diff", f"{old}..{new}")


def changed_lines_under(diff: str, prefix: str, pattern: str) -> list[str]:
    """The changed lines matching `pattern` in every file whose path starts with `prefix`, in the
    diff's order, repeats once."""
    found: list[str] = []
    for path, section in file_sections(diff).items():
        if not path.startswith(prefix):
            continue
        try:
            found.extend(changed_lines(section, pattern))
        except Skip:  # a file without a matching line adds nothing
            continue
    return list(dict.fromkeys(found))


def signature_changes(section: str, function: str) -> list[str]:
    """The changed lines of one file's diff that lie in the signature of `def function(`: from that
    line (changed or not) to the line closing its parameter list, in the new and in the old text;
    blank changes left out, repeats once."""
    found: list[str] = []
    lines = section.splitlines()
    opening = re.compile(rf"^[ +-]\s*(?:async\s+)?def\s+{re.escape(function)}\(")
    for start, line in enumerate(lines):
        if not opening.match(line):
            continue
        for side in ("+", "-"):
            depth = 0
            for text in lines[start:]:
                if text.startswith("@@") or text.startswith("diff --git"):
                    break
                if text[:1] not in (" ", side):
                    continue
                if text[:1] in "+-" and text[1:].strip():
                    found.append(text)
                depth += text.count("(") - text.count(")")
                if depth <= 0:
                    break
    if not found:
        raise Skip(f"no changed line in the signature of {function}")
    return list(dict.fromkeys(found))


@case("git_diff_blinker_connected_to_hints", "diff", "real", "anthropic")
def git_diff_blinker_connected_to() -> Material:
    command, output = twin_upgrade("blinker")
    base = file_sections(output)["src/blinker/base.py"]
    return Material(
        question="After upgrading blinker from 1.7.0 to 1.8.0, mypy --strict now flags our call to "
        "connected_to(handler) in a test fixture. What type hints did connected_to get in the new "
        "blinker, and what were they before? Quote its old and new signature lines.",
        calls=[Call("run_shell", {"command": command}, output)],
        facts=signature_changes(base, "connected_to"),
        rule="every non-blank changed line in the signature of `def connected_to(` (from the def "
        "line to the line closing its parameters, old and new side)",
        origin=twin_origin("blinker", command),
    )


@case("git_diff_flask_locate_app_hints", "diff", "real", "openai")
def git_diff_flask_locate_app() -> Material:
    command, output = twin_upgrade("flask")
    cli = file_sections(output)["src/flask/cli.py"]
    return Material(
        question="Our app factory loader wraps locate_app, and pyright reports a new overload "
        "mismatch since flask 3.0.3. Which type hints did locate_app get in that release? Quote "
        "the changed lines of its signatures, old and new.",
        calls=[Call("Bash", {"command": command, "description": "flask 3.0.2 -> 3.0.3"}, output)],
        facts=signature_changes(cli, "locate_app"),
        rule="every non-blank changed line in the signatures of `def locate_app(` (each overload: "
        "from the def line to the line closing its parameters, old and new side)",
        origin=twin_origin("flask", command),
    )


@case("git_diff_jinja2_sandbox_format_cve", "diff", "real", "anthropic")
def git_diff_jinja2_sandbox() -> Material:
    command, output = twin_upgrade("jinja2")
    sandbox = file_sections(output)["src/jinja2/sandbox.py"]
    return Material(
        question="Jinja 3.1.5 fixes a sandbox escape (CVE-2024-56326): templates could reach "
        "str.format through a stored reference without going through the sandbox's call(). We "
        "render untrusted templates. What changed in the sandbox module? Show me every changed line "
        "of src/jinja2/sandbox.py.",
        calls=[Call("Bash", {"command": command, "description": "jinja2 3.1.4 -> 3.1.5"}, output)],
        facts=changed_lines(sandbox),
        rule="every non-blank changed line of the file the question names",
        origin=twin_origin("jinja2", command) + "; the release also re-pins requirements/*.txt "
        "(pip-compile output) and adds tests across the suite",
    )


@case("git_diff_tornado_request_smuggling", "diff", "real", "openai")
def git_diff_tornado_smuggling() -> Material:
    command, output = twin_upgrade("tornado")
    sections = file_sections(output)
    framing = [
        *changed_lines(sections["tornado/http1connection.py"]),
        *changed_lines(sections["tornado/curl_httpclient.py"]),
    ]
    return Material(
        question="Tornado 6.4.1 is a security release against request smuggling and header injection. "
        "Before we roll it out behind our proxy I want to review the library code: list every "
        "changed line in tornado/http1connection.py and in tornado/curl_httpclient.py.",
        calls=[Call("run_shell", {"command": command}, output)],
        facts=list(dict.fromkeys(framing)),
        rule="every non-blank changed line of the two files the question names",
        origin=twin_origin("tornado", command),
    )


VERSION_PLUMBING = r"version_string|_http_vsn_str|http_version|HTTP/%s|response\.version"


@case("git_diff_urllib3_version_string_plumbing", "diff", "real", "openai")
def git_diff_urllib3_version_string() -> Material:
    command, output = twin_upgrade("urllib3")
    return Material(
        question='Our log parser reads urllib3\'s connection-pool debug line (`"GET / HTTP/1.1" 200`), '
        "and 2.2.2 changed where the HTTP version in it comes from. Trace it for me: every changed "
        "library line (under src/) that carries the version string from the connection to the "
        "response and into that log line.",
        calls=[Call("run_shell", {"command": command}, output)],
        facts=changed_lines_under(output, "src/", VERSION_PLUMBING),
        rule="every non-blank changed line under src/ holding `version_string`, `_http_vsn_str`, "
        "`http_version`, the log format's `HTTP/%s` or `response.version`",
        origin=twin_origin("urllib3", command),
    )


SELF_TYPE = r"\bSelf\b|_SelfT"


@case("git_show_urllib3_self_type_sweep", "diff", "real", "anthropic")
def git_show_urllib3_self_type() -> Material:
    output = git_out(twin_history("urllib3"), "show", "2.2.2")
    facts = changed_lines_under(output, "src/", SELF_TYPE)
    if len({re.sub(r"\s+", " ", fact) for fact in facts}) < 5:
        raise ValueError("the sweep touches too few distinct lines to be a many-hunk case")
    return Material(
        question="We subclass urllib3's PoolManager, HTTPConnectionPool and Retry, and mypy flags our "
        "overrides of __enter__ and Retry.new after upgrading to 2.2.2. Which annotations changed? "
        "Show me every changed line in the library that drops the old self TypeVar or uses the new "
        "Self type.",
        calls=[Call("Bash", {"command": "git show 2.2.2", "description": "the 2.2.2 release"}, output)],
        facts=facts,
        rule="every non-blank changed line under src/ holding `Self` as a word or `_SelfT`",
        origin=twin_origin("urllib3", "git show 2.2.2"),
    )
