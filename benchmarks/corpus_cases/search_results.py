"""Search results over installed software: `grep -rn` over Debian's Python packages and npm's bundled
modules, `zgrep` over the Debian changelogs, `git grep` in a scratch repo of click."""

from __future__ import annotations

import re
from pathlib import Path

from corpus_kit import (
    DEBIAN_SITE,
    NPM_ROOT,
    SITE,
    Call,
    Material,
    Skip,
    case,
    copy_tree,
    fit,
    fresh_scratch,
    git,
    line_matching,
    need,
    read,
    run,
)


def method_line(source: str, class_name: str, method: str) -> int:
    """The 1-based line of `def method` inside `class class_name` (the class runs to the next
    top-level statement)."""
    lines = source.split("\n")
    start = next((i for i, line in enumerate(lines) if re.match(rf"class {class_name}\b", line)), None)
    if start is None:
        raise Skip(f"no class {class_name}")
    for number in range(start + 1, len(lines)):
        line = lines[number]
        if line and not line[0].isspace() and not line.startswith(("#", ")")):
            break
        if re.match(rf"    (async )?def {method}\(", line):
            return number + 1
    raise Skip(f"no {class_name}.{method}")


@case("grep_aptsources_class_methods", "search", "real", "openai")
def grep_aptsources() -> Material:
    need(DEBIAN_SITE / "aptsources")
    output = run(["grep", "-rn", "def \\|^class ", "aptsources/", "softwareproperties/"], cwd=DEBIAN_SITE)
    output = "\n".join(
        sorted(output.strip().split("\n"), key=lambda hit: (hit.split(":")[0], int(hit.split(":")[1])))
    )
    source = read(DEBIAN_SITE / "aptsources/sourceslist.py")
    asked = [("SourcesList", "add"), ("SourceEntry", "parse"), ("SourceEntry", "__init__")]
    facts = [
        line_matching(output, rf"^aptsources/sourceslist\.py:{method_line(source, cls, method)}:")
        for cls, method in asked
    ]
    return Material(
        question="Where are SourcesList.add, SourceEntry.parse and the SourceEntry constructor defined in "
        "python-apt's aptsources? I need file, line and signature.",
        calls=[
            Call(
                "run_shell",
                {
                    "command": "cd /usr/lib/python3/dist-packages && grep -rn 'def \\|^class ' aptsources/ "
                    "softwareproperties/"
                },
                output,
            )
        ],
        facts=facts,
        origin="`grep -rn` for definitions over Debian's aptsources and softwareproperties packages",
        rule="the hit of each `Class.method` the question names: the `def` line inside that class "
        "(located from the source file), not a same-named method of another class",
    )


@case("grep_npm_network_error_codes", "search", "real", "anthropic")
def grep_npm_errors() -> Material:
    root = need(NPM_ROOT)
    output = run(
        [
            "grep",
            "-rn",
            "--include=*.js",
            "--exclude-dir=undici",
            "-E",
            r"\bE[A-Z]{5,}\b",
            "lib/",
            "node_modules/",
        ],
        cwd=root,
    )
    # Minified bundles have lines of many kilobytes: cut each hit as `cut -c1-300` would.
    output = fit("\n".join(sorted(hit[:300] for hit in output.strip().split("\n"))), 200_000)
    return Material(
        question="When the registry host can't be resolved (ENOTFOUND), does npm's fetch layer retry? And "
        "does it retry on ECONNREFUSED? Show me where that's decided.",
        calls=[
            Call(
                "Grep",
                {
                    "pattern": "\\bE[A-Z]{5,}\\b",
                    "path": str(root),
                    "glob": "*.js",
                    "-n": True,
                    "exclude": "undici",
                },
                output,
            )
        ],
        facts=[
            line_matching(output, r"^node_modules/make-fetch-happen/lib/remote\.js:\d+:\s+// ENOTFOUND"),
            line_matching(output, r"^node_modules/make-fetch-happen/lib/remote\.js:\d+:\s+'ECONNREFUSED',"),
        ],
        origin="`grep -rn` for error codes (E followed by capitals) over the npm bundled with Node.js, "
        "lines cut at 300 characters",
        rule="the hits in the retry list of npm's fetch layer for each error code the question names",
    )


@case("zgrep_changelogs_cve_expat", "search", "real", "openai")
def zgrep_changelogs() -> Material:
    docs = Path("/usr/share/doc")
    output = run("zgrep -n 'CVE-2024-' */changelog.Debian.gz", cwd=docs, ok=(0, 1, 2))
    output = "\n".join(sorted(line for line in output.strip().split("\n") if "CVE-2024-" in line))
    cve = "CVE-2024-45490"
    facts = [line for line in output.split("\n") if cve in line]
    if not facts:
        raise Skip(f"no changelog mentions {cve}")
    return Material(
        question=f"Is {cve} (the expat negative-length bug) fixed in any package on this box? Which "
        "packages' changelogs mention it?",
        calls=[
            Call(
                "run_shell",
                {"command": "cd /usr/share/doc && zgrep -n 'CVE-2024-' */changelog.Debian.gz"},
                output,
            )
        ],
        facts=facts,
        origin="`zgrep -n CVE-2024-` over the Debian changelogs in /usr/share/doc",
        rule="every hit line that names the CVE the question asks about",
    )


@case("git_grep_click_context_exits", "search", "real", "anthropic")
def git_grep_click() -> Material:
    repo = fresh_scratch("click-src")
    copy_tree(SITE / "click", repo / "src/click")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "click sources")
    output = fit(run(["git", "grep", "-n", "-A8", "-E", r"^\s+def "], cwd=repo), 240_000)
    asked = ("exit", "abort")
    facts = []
    for method in asked:
        number = method_line(read(repo / "src/click/core.py"), "Context", method)
        facts.append(line_matching(output, rf"^src/click/core\.py:{number}:"))
        following = output[output.index(f"src/click/core.py:{number}:") :]
        facts.append(line_matching(following, r"^src/click/core\.py-\d+-\s+raise "))
    return Material(
        question="What do click's Context.exit and Context.abort raise? Show me where each is defined.",
        calls=[
            Call(
                "Bash",
                {
                    "command": "git grep -n -A8 -E '^\\s+def '",
                    "description": "find definitions",
                },
                output,
            )
        ],
        facts=facts,
        origin="`git grep -n -A8` in a scratch repo of the installed click",
        rule="for each `Context.method` the question names, its `def` hit inside class Context and the "
        "first `raise` line of its context",
    )
