"""Output of real commands run here: a build that fails to link, mypy over an untyped package,
openssl over certifi's bundle, `python -X importtime`, `dpkg -L`, and a two-turn session over a
scratch copy of tornado with a one-line bug (`git diff`, then pytest)."""

from __future__ import annotations

import re
import shutil
import sys
from datetime import datetime
from pathlib import Path

from corpus_kit import (
    DEBIAN_SITE,
    SITE,
    Call,
    Material,
    Skip,
    Turn,
    case,
    copy_tree,
    fresh_scratch,
    git,
    line_matching,
    need,
    read,
    run,
    run_stdout,
)

_MAKEFILE = """CC ?= gcc
CFLAGS ?= -O2 -Wall -Wextra

all: zpipe

zpipe: zpipe.o
\t$(CC) $(CFLAGS) -o $@ $^

zpipe.o: zpipe.c
\t$(CC) $(CFLAGS) -c -o $@ $<

clean:
\trm -f zpipe zpipe.o
"""


@case("make_zpipe_link_error", "shell", "real", "anthropic")
def make_zpipe() -> Material:
    folder = fresh_scratch("zpipe-build")
    shutil.copy(need(Path("/usr/share/doc/zlib1g-dev/examples/zpipe.c")), folder / "zpipe.c")
    (folder / "Makefile").write_text(_MAKEFILE)
    output = run(["make", "--no-print-directory"], cwd=folder, ok=(2,))
    output = output.replace(str(folder) + "/", "")
    return Material(
        question="`make` fails on the zpipe example. Does it compile? What exactly fails, and which make "
        "target?",
        calls=[Call("Bash", {"command": "make", "description": "build zpipe"}, output)],
        facts=[
            line_matching(output, r"undefined reference to `deflateInit_'"),
            line_matching(output, r"ld returned 1 exit status"),
            line_matching(output, r"^make: \*\*\* \[Makefile:\d+: zpipe\] Error 1"),
        ],
        origin="a real `make` of zlib's zpipe.c example with a Makefile that forgets -lz",
        rule="the first undefined-reference line, the linker's exit line and make's error line",
        notes="small output: checks that short blocks pass through untouched",
    )


@case("mypy_httplib2_rare_codes", "shell", "real", "openai")
def mypy_httplib2() -> Material:
    need(DEBIAN_SITE / "httplib2")
    output = run(
        [
            str(Path(sys.executable).parent / "mypy"),
            "--no-incremental",
            "--cache-dir=/dev/null",
            "--ignore-missing-imports",
            "--check-untyped-defs",
            "--show-error-codes",
            "httplib2",
        ],
        cwd=DEBIAN_SITE,
        ok=(1,),
        timeout=600,
    )
    asked = ("used-before-def", "return-value")
    facts = [line for line in output.split("\n") if any(line.endswith(f"[{code}]") for code in asked)]
    if len(facts) < len(asked):
        raise Skip("mypy no longer reports the codes the question names")
    return Material(
        question="mypy over httplib2 (and what it imports) prints hundreds of errors. I only care about "
        "real bugs: are there any used-before-def or return-value errors? Where?",
        calls=[
            Call(
                "run_shell",
                {"command": "mypy --ignore-missing-imports --check-untyped-defs httplib2"},
                output,
            )
        ],
        facts=facts,
        origin="a real mypy run (--check-untyped-defs) over Debian's httplib2 in dist-packages (and what it "
        "imports from there)",
        rule="every error line whose code is one the question names",
    )


@case("openssl_certifi_soonest_expiry", "shell", "real", "openai")
def openssl_certifi() -> Material:
    bundle = read(SITE / "certifi/cacert.pem")
    certificates = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n", bundle, re.DOTALL)
    if not certificates:
        raise Skip("empty certifi bundle")
    folder = fresh_scratch("certifi-split")
    blocks = []
    for number, pem in enumerate(certificates, start=1):
        path = folder / f"cert{number:03d}.pem"
        path.write_text(pem)
        printed = run_stdout(["openssl", "x509", "-noout", "-subject", "-enddate", "-in", str(path)])
        blocks.append(printed.strip())
    output = "\n".join(blocks)

    def expiry(block: str) -> datetime:
        stamp = block.split("notAfter=")[1].strip()
        return datetime.strptime(stamp, "%b %d %H:%M:%S %Y %Z")

    soonest = min(blocks, key=expiry)
    return Material(
        question="Which root CA in certifi's bundle expires soonest, and on what date?",
        calls=[
            Call(
                "run_shell",
                {
                    "command": "csplit -s -z -f cert -b '%03d.pem' cacert.pem '/BEGIN CERT/' '{*}' && "
                    "for f in cert*.pem; do openssl x509 -noout -subject -enddate -in $f; done"
                },
                output,
            )
        ],
        facts=soonest.split("\n"),
        origin="`openssl x509 -subject -enddate` over every certificate in the installed certifi bundle",
        rule="the subject and notAfter lines of the certificate with the smallest notAfter date",
    )


def _import_name(line: str) -> tuple[int, str]:
    """(nesting depth, module name) of one `-X importtime` line."""
    name_field = line.split("|")[2]
    stripped = name_field.lstrip(" ")
    return (len(name_field) - len(stripped) - 1) // 2, stripped.strip()


@case("python_importtime_openai", "shell", "real", "anthropic")
def python_importtime() -> Material:
    need(SITE / "openai")
    output = run([sys.executable, "-X", "importtime", "-c", "import openai"]).strip()
    rows = [line for line in output.split("\n") if line.startswith("import time:") and line.count("|") == 2]
    timed = [row for row in rows if row.split("|")[0].split(":")[1].strip().isdigit()]
    slowest_self = max(timed, key=lambda row: int(row.split("|")[0].split(":")[1]))
    top = [row for row in timed if _import_name(row) == (0, "openai")]
    if not top:
        raise Skip("no top-level openai line")
    return Material(
        question="Importing openai makes our CLI start slowly. How long does the whole import take, and "
        "which single module spends the most time in itself (self time)?",
        calls=[
            Call(
                "Bash",
                {"command": "python -X importtime -c 'import openai'", "description": "import timings"},
                output,
            )
        ],
        facts=[top[0], slowest_self],
        origin="`python -X importtime -c 'import openai'` in the benchmark's environment",
        rule="the top-level openai line (its cumulative time) and the line holding the largest self time",
        notes="a snapshot: timings change on every rebuild",
    )


@case("dpkg_listfiles_postgresql", "shell", "real", "openai")
def dpkg_listfiles() -> Material:
    output = run(["dpkg", "-L", "postgresql-15"])
    return Material(
        question="Where did the postgresql-15 package put pg_ctl and the sample postgresql.conf?",
        calls=[Call("run_shell", {"command": "dpkg -L postgresql-15"}, output)],
        facts=[
            line_matching(output, r"/bin/pg_ctl$"),
            line_matching(output, r"/postgresql\.conf\.sample$"),
        ],
        origin="`dpkg -L postgresql-15` on this machine",
        rule="the path line of each file the question names",
    )


@case("session_tornado_url_unescape", "shell", "real", "openai")
def session_tornado() -> Material:
    repo = fresh_scratch("tornado-session")
    copy_tree(SITE / "tornado", repo / "tornado")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "vendor tornado")
    escape = repo / "tornado/escape.py"
    source = escape.read_text()
    original = "unquote = urllib.parse.unquote_plus if plus else urllib.parse.unquote"
    bad = source.replace(original, "unquote = urllib.parse.unquote if plus else urllib.parse.unquote_plus", 1)
    if bad == source:
        raise Skip("mutation point not found")
    escape.write_text(bad)
    diff = git(repo, "diff")
    modules = [
        f"tornado/test/{name}_test.py"
        for name in ("escape", "httputil", "util", "template", "locale", "options")
    ]
    tests = run([sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", *modules], cwd=repo, ok=(1,))
    tests = re.sub(r" in \d+\.\d+s", " in 0.00s", tests.replace(str(repo) + "/", ""))
    failed = [line for line in tests.split("\n") if line.startswith("FAILED ")]
    if not failed:
        raise Skip("the mutation broke no test")
    return Material(
        history=[
            Turn(
                question="I cleaned up url_unescape in our vendored tornado. Can you show me what changed?",
                calls=[Call("run_shell", {"command": "git diff"}, diff)],
                answer="One line in tornado/escape.py changed: the choice between unquote and "
                "unquote_plus in url_unescape.",
            )
        ],
        question="Now run the tests of the modules that use it (escape, httputil, util, template, locale, "
        "options). Which tests fail, what's the first failing assertion, and is it explained by the line I "
        "changed?",
        calls=[
            Call(
                "run_shell",
                {"command": "python -m pytest -v " + " ".join(modules)},
                tests,
            )
        ],
        facts=[
            failed[0],
            line_matching(tests, r"^E\s+(AssertionError|assert)"),
            line_matching(diff, r"^\+\s+unquote = "),
        ],
        origin="a two-turn session on a scratch git repo of the installed tornado with a one-line bug: "
        "`git diff`, then a real pytest run",
        rule="the first FAILED line, the first assertion line, and the added line of the diff",
    )
