"""Documentation shipped on this machine: HTML pages (Node.js, Cargo, Valgrind, npm, libffi, the Rust
docs' version stamp) and prose (Debian changelogs, GNU NEWS, man pages, Rust's release notes,
pydantic's changelog in its METADATA, Node's Markdown docs)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from corpus_kit import (
    NPM_ROOT,
    SITE,
    Call,
    Material,
    Skip,
    case,
    html_text_fact,
    line_matching,
    need,
    read,
    run,
)

from corpus_cases.core import rust_doc

NODE_DOCS = Path("/usr/share/doc/nodejs/api")


def gunzip(path: Path) -> str:
    return gzip.decompress(need(path).read_bytes()).decode("utf-8", "replace")


def section_holding(text: str, heading: str, needle: str) -> str:
    """The heading line (a regex) of the section in which `needle` first occurs."""
    at = text.find(needle)
    if at < 0:
        raise Skip(f"{needle!r} not in the text")
    headings = [m for m in re.finditer(heading, text, re.MULTILINE) if m.start() < at]
    if not headings:
        raise Skip(f"no heading before {needle!r}")
    line_start = headings[-1].start()
    return text[line_start : text.index("\n", line_start)].rstrip()


# HTML ------------------------------------------------------------------------------------------


@case("html_node_net_set_timeout", "html", "real", "openai")
def html_node_net() -> Material:
    path = NODE_DOCS / "net.html"
    page = read(path)
    return Material(
        question="In Node's net module, when a socket's setTimeout fires, is the connection closed "
        "automatically? What must I do?",
        calls=[Call("fetch_url", {"url": "file://" + str(path)}, page)],
        facts=[
            html_text_fact(page, r"^When an idle timeout is triggered the socket will receive a"),
            html_text_fact(page, r"connection will not be severed\. The user must manually call"),
        ],
        origin="Node.js's net module documentation (HTML) from /usr/share/doc/nodejs",
        rule="the text lines of socket.setTimeout's section that say what happens on timeout",
    )


@case("html_cargo_release_profile", "html", "real", "anthropic")
def html_cargo_profiles() -> Material:
    path = rust_doc("cargo/reference/profiles.html")
    page = read(path)
    return Material(
        question="What are Cargo's default settings for the release profile: opt-level, debug, lto, "
        "codegen-units and incremental?",
        calls=[Call("WebFetch", {"url": "file://" + str(path), "prompt": "release profile defaults"}, page)],
        facts=[
            html_text_fact(page, r"^codegen-units = 16$"),
            html_text_fact(page, r"^incremental = false$"),
        ],
        origin="the Cargo book's Profiles page from the local Rust documentation",
        rule="the lines of the default [profile.release] block that hold a value unique to that profile",
        notes="opt-level = 3, debug = false and lto = false also occur in other blocks of the page",
    )


@case("html_valgrind_leak_check", "html", "real", "openai")
def html_valgrind() -> Material:
    path = Path("/usr/share/doc/valgrind/html/mc-manual.html")
    page = read(path)
    return Material(
        question="What's Memcheck's default for --leak-check, and what does --leak-resolution default to?",
        calls=[Call("fetch_url", {"url": "file://" + str(path)}, page)],
        facts=[
            html_text_fact(page, r"^--leak-check=<no\|summary\|yes\|full> \[default: summary\]"),
            html_text_fact(page, r"^--leak-resolution=<low\|med\|high> \[default: high\]"),
        ],
        origin="Valgrind's Memcheck manual (HTML) from /usr/share/doc/valgrind",
        rule="the option-term line of each option the question names, which states its default",
    )


@case("html_npm_ci_lockfile", "html", "real", "anthropic")
def html_npm_ci() -> Material:
    path = need(NPM_ROOT / "docs/output/commands/npm-ci.html")
    page = read(path)
    return Material(
        question="What does `npm ci` do when package.json and the lockfile disagree, and does it touch "
        "an existing node_modules?",
        calls=[Call("Read", {"file_path": str(path)}, page)],
        facts=[
            html_text_fact(page, r"^If dependencies in the package lock do not match those in"),
            html_text_fact(page, r"is already present, it will be automatically removed"),
        ],
        origin="npm's own HTML documentation for `npm ci` (bundled with npm)",
        rule="the text lines of the page's list of differences that answer each part of the question",
    )


@case("html_libffi_closure_api", "html", "real", "openai")
def html_libffi() -> Material:
    path = Path("/usr/share/doc/libffi8/html/The-Closure-API.html")
    page = read(path)
    return Material(
        question="With libffi closures, what does ffi_closure_alloc return, and what does "
        "ffi_prep_closure_loc return on success and on error?",
        calls=[Call("fetch_url", {"url": "file://" + str(path)}, page)],
        facts=[
            html_text_fact(page, r"^pointer to the writable address, and sets"),
            html_text_fact(page, r"^went ok, and one of the other"),
        ],
        origin="libffi's manual page on the closure API (HTML) from /usr/share/doc/libffi8",
        rule="the text line that describes what each function the question names returns",
        notes="small output",
    )


@case("html_rust_docs_commit", "html", "real", "anthropic")
def html_rust_docs_commit() -> Material:
    path = rust_doc("version_info.html")
    page = read(path)
    index = read(rust_doc("index.html"))
    return Material(
        question="Which Rust version and which rustc commit were these local docs built from?",
        preamble="Reading the docs' index and its version stamp.",
        calls=[
            Call("WebFetch", {"url": "file://" + str(rust_doc("index.html")), "prompt": "version"}, index),
            Call("WebFetch", {"url": "file://" + str(path), "prompt": "version and commit"}, page),
        ],
        facts=[html_text_fact(page, r"^[0-9a-f]{9}$")],
        origin="the local Rust documentation's index.html and version_info.html",
        rule="the commit hash the version stamp shows",
    )


# prose -----------------------------------------------------------------------------------------


@case("changelog_libssl3_cves", "prose", "real", "anthropic")
def changelog_libssl3() -> Material:
    text = gunzip(Path("/usr/share/doc/libssl3/changelog.Debian.gz"))
    asked = ("CVE-2025-69419", "CVE-2023-5678")
    facts = [section_holding(text, r"^openssl \(", cve) for cve in asked]
    return Material(
        question="Security asks whether our libssl3 has the fixes for CVE-2025-69419 and CVE-2023-5678. "
        "Which Debian package version brought each?",
        calls=[
            Call(
                "Bash",
                {"command": "zcat /usr/share/doc/libssl3/changelog.Debian.gz", "description": "changelog"},
                text,
            )
        ],
        facts=facts,
        origin="the Debian changelog of libssl3 (/usr/share/doc/libssl3)",
        rule="the version line of the changelog entry that first lists each CVE the question names",
    )


@case("coreutils_news_ls_hyperlink", "prose", "real", "openai")
def coreutils_news() -> Material:
    text = gunzip(Path("/usr/share/doc/coreutils/NEWS.gz"))
    output = "\n".join(text.split("\n")[:1400])
    needle = "ls supports a new --hyperlink"
    return Material(
        question="Since which coreutils release does ls support --hyperlink, and what does the NEWS entry "
        "say it outputs?",
        calls=[
            Call("run_shell", {"command": "zcat /usr/share/doc/coreutils/NEWS.gz | head -n 1400"}, output)
        ],
        facts=[
            section_holding(output, r"^\* Noteworthy changes in release ", needle),
            line_matching(output, re.escape(needle)),
        ],
        origin="GNU coreutils' NEWS (first 1400 lines) from /usr/share/doc/coreutils",
        rule="the NEWS entry line naming the feature the question asks about, and the release heading "
        "above it",
    )


@case("man_tar_filesystem_options", "prose", "real", "anthropic")
def man_tar() -> Material:
    output = run("MANWIDTH=100 man -P cat tar | col -bx", timeout=60)
    if len(output) < 10_000:
        raise Skip("tar's man page is missing")
    return Material(
        question="How do I stop tar from descending into other mounted filesystems, and is there an option "
        "to skip .git and other VCS directories?",
        calls=[Call("Bash", {"command": "man tar | col -bx", "description": "tar manual"}, output)],
        facts=[
            line_matching(output, r"^\s+--one-file-system\s*$"),
            line_matching(output, r"^\s+--exclude-vcs\s*$"),
        ],
        origin="tar's man page rendered by `man -P cat` on this machine",
        rule="the option line of each option that answers a part of the question",
    )


@case("rust_release_notes_lazylock", "prose", "real", "openai")
def rust_release_notes() -> Material:
    text = read(rust_doc("releases.md"))
    start = text.index("Version 1.86.0 ")
    end = text.index("Version 1.74.0 ")
    output = text[start:end]
    needle = "[`LazyLock`]"
    return Material(
        question="Which Rust release stabilized LazyCell and LazyLock, and on what date was it released?",
        calls=[
            Call(
                "run_shell",
                {"command": "sed -n '/^Version 1.86.0 /,/^Version 1.74.0 /p' releases.md"},
                output,
            )
        ],
        facts=[section_holding(output, r"^Version \d+\.\d+\.\d+ \(", needle)],
        origin="Rust's release notes (releases.md, versions 1.86.0 to 1.75.0) from the local Rust docs",
        rule="the version heading of the release whose notes first list the API the question names",
    )


@case("pydantic_changelog_mypy_fix", "prose", "real", "anthropic")
def pydantic_changelog() -> Material:
    info = next(iter(sorted(SITE.glob("pydantic-*.dist-info"))), None)
    if info is None:
        raise Skip("pydantic not installed")
    text = read(info / "METADATA")
    item = line_matching(text, r"^\* Fix mypy plugin crash on deferred empty model")
    return Material(
        question="We hit the mypy plugin crash on a deferred empty model. Which pydantic release fixed it, "
        "and in which pull request?",
        calls=[Call("Read", {"file_path": str((info / "METADATA").relative_to(SITE))}, text)],
        facts=[section_holding(text, r"^## v\d", item), item],
        origin="the changelog in the METADATA of the installed pydantic",
        rule="the changelog item naming the fix the question describes, and the release heading above it",
    )


@case("markdown_node_child_process_maxbuffer", "prose", "real", "openai")
def markdown_node_child_process() -> Material:
    path = NODE_DOCS / "child_process.md"
    text = read(path)
    return Material(
        question="In Node's child_process.exec, what is the default maxBuffer, and what happens when the "
        "output exceeds it?",
        calls=[Call("read_file", {"path": str(path)}, text)],
        facts=[
            line_matching(text, r"`maxBuffer` \{number\} Largest amount of data"),
            line_matching(text, r"stderr\. If exceeded, the child process is terminated"),
        ],
        origin="Node.js's child_process documentation (Markdown) from /usr/share/doc/nodejs",
        rule="the option line that defines maxBuffer and the line saying what happens when it is exceeded",
    )
