"""Source files of installed software, asked what a named function does in a specific case (its error
path, its return line): Python (redis-py, urllib3, aiohttp), JavaScript (npm's minipass-fetch and
npm-registry-fetch), Java (the JDK's src.zip), Rust (std's sources as rustdoc renders them), C (zlib's
examples, the kernel's errno header)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from corpus_kit import NPM_ROOT, SITE, Call, Material, Skip, Turn, case, line_matching, need, read, run

from corpus_cases.core import jdk_source, rust_doc


def body_of(text: str, signature: str) -> str:
    """The lines of the definition whose first line matches `signature`: up to the first later
    non-blank line indented no deeper than it (a closing brace is kept; a Python dedent is not)."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if re.search(signature, line)), None)
    if start is None:
        raise Skip(f"no definition matches {signature!r}")
    depth = len(lines[start]) - len(lines[start].lstrip())
    body = [lines[start]]
    for line in lines[start + 1 :]:
        shallow = line.strip() and len(line) - len(line.lstrip()) <= depth
        if shallow and line.strip().startswith("}"):
            body.append(line)
            break
        if shallow and not line.strip().startswith((")", "throws", "{")):
            break
        body.append(line)
    return "\n".join(body)


def lines_in(body: str, *patterns: str) -> list[str]:
    """For each pattern, the first line of the body that matches it."""
    return [line_matching(body, pattern) for pattern in patterns]


# Python ----------------------------------------------------------------------------------------


@case("py_redis_connect_errors", "code", "real", "openai")
def py_redis_connect() -> Material:
    text = read(SITE / "redis/connection.py")
    body = body_of(text, r"^    def connect_check_health\(")
    return Material(
        question="In redis-py, what exception does a connection raise when the server refuses the TCP "
        "connection, and what when connecting times out? Show me the lines in connect_check_health.",
        calls=[Call("read_file", {"path": "site-packages/redis/connection.py"}, text)],
        facts=lines_in(body, r"e = TimeoutError\(", r"e = ConnectionError\("),
        origin="redis/connection.py from the installed redis-py",
        rule="in the body of the function the question names, the line building the exception for each "
        "failure it names",
    )


@case("py_urllib3_retry_exhausted", "code", "real", "anthropic")
def py_urllib3_retry() -> Material:
    text = read(SITE / "urllib3/util/retry.py")
    body = body_of(text, r"^    def increment\(")
    return Material(
        question="What does urllib3's Retry.increment do once the retries are used up? Quote the check and "
        "what it raises.",
        calls=[Call("Read", {"file_path": "site-packages/urllib3/util/retry.py"}, text)],
        facts=lines_in(body, r"if new_retry\.is_exhausted\(\):", r"raise MaxRetryError\("),
        origin="urllib3/util/retry.py from the installed urllib3",
        rule="in the body of the method the question names, the exhaustion check and the line it raises on",
    )


@case("py_aiohttp_raise_for_status", "code", "real", "openai")
def py_aiohttp_raise_for_status() -> Material:
    text = read(SITE / "aiohttp/client_reqrep.py")
    body = body_of(text, r"^    def raise_for_status\(self\)")
    return Material(
        question="When an aiohttp response is a 503, what does ClientResponse.raise_for_status do: does it "
        "release the connection before raising, and which exception does it raise?",
        calls=[Call("read_file", {"path": "site-packages/aiohttp/client_reqrep.py"}, text)],
        facts=lines_in(
            body, r"def raise_for_status", r"if not self\._in_context:", r"raise ClientResponseError\("
        ),
        origin="aiohttp/client_reqrep.py from the installed aiohttp",
        rule="the method's signature and, in its body, the release condition and the raise line",
    )


# JavaScript ------------------------------------------------------------------------------------


@case("js_minipass_fetch_redirects", "code", "real", "anthropic")
def js_minipass_fetch() -> Material:
    path = NPM_ROOT / "node_modules/minipass-fetch/lib/index.js"
    text = read(path)
    return Material(
        question="In npm's minipass-fetch, what happens when a server answers with a redirect and the "
        "request's redirect mode is 'error'? And when too many redirects are followed?",
        calls=[Call("Read", {"file_path": str(path)}, text)],
        facts=[
            line_matching(text, r"reject\(new FetchError\('uri requested responds with a redirect, '"),
            line_matching(text, r"`redirect mode is set to error: "),
            line_matching(text, r"reject\(new FetchError\(`maximum redirect reached at: "),
        ],
        origin="lib/index.js of minipass-fetch bundled with npm",
        rule="the reject lines of the redirect branches for the two cases the question names",
    )


@case("js_npm_registry_fetch_otp", "code", "real", "openai")
def js_npm_registry_otp() -> Material:
    folder = NPM_ROOT / "node_modules/npm-registry-fetch/lib"
    check = read(folder / "check-response.js")
    errors = read(folder / "errors.js")
    auth_otp = body_of(errors, r"^class HttpErrorAuthOTP ")
    return Material(
        question="When the registry answers 401 with a `www-authenticate: otp` header, which error does "
        "npm-registry-fetch throw, and what code and message does that error carry?",
        preamble="Reading the response check and the error classes.",
        calls=[
            Call("read_file", {"path": str(folder / "check-response.js")}, check),
            Call("read_file", {"path": str(folder / "errors.js")}, errors),
        ],
        facts=[
            line_matching(check, r"auth\.indexOf\('otp'\) !== -1"),
            *lines_in(auth_otp, r"this\.message = ", r"this\.code = "),
        ],
        origin="lib/check-response.js and lib/errors.js of npm-registry-fetch bundled with npm",
        rule="the branch line testing for the case the question names, and the message and code lines of "
        "the error class it throws",
    )


# Java ------------------------------------------------------------------------------------------


@case("java_completable_future_get", "code", "real", "anthropic")
def java_completable_future() -> Material:
    text = jdk_source("java.base/java/util/concurrent/CompletableFuture.java")
    get = body_of(text, r"private static Object reportGet\(")
    join = body_of(text, r"private static Object reportJoin\(")
    return Material(
        question="If a CompletableFuture completed exceptionally, what does get() throw, and how does "
        "join() differ? Point me at the code that decides.",
        calls=[Call("Read", {"file_path": "java.base/java/util/concurrent/CompletableFuture.java"}, text)],
        facts=[
            *lines_in(get, r"private static Object reportGet\(", r"throw wrapInExecutionException\(x\);"),
            *lines_in(join, r"throw \(CompletionException\)x;", r"throw wrapInCompletionException\(x\);"),
        ],
        origin="java/util/concurrent/CompletableFuture.java from the JDK's src.zip",
        rule="in the two methods that report get's and join's outcome, the signature of the first and the "
        "throw lines for an exceptional result",
    )


# Rust ------------------------------------------------------------------------------------------


def rustdoc_source(relative: str) -> str:
    """A std source file as rustdoc's source view renders it, back to its text (line anchors and
    highlighting spans removed, entities decoded)."""
    page = read(rust_doc(relative))
    start = page.find('<pre class="rust"><code>')
    end = page.find("</code></pre>", start)
    if start < 0 or end < 0:
        raise Skip(f"no source block in {relative}")
    body = page[start + len('<pre class="rust"><code>') : end]
    body = re.sub(r"<a href=#\d+ id=\d+ data-nosnippet>\d+</a>", "", body)
    return html.unescape(re.sub(r"<[^>]+>", "", body))


@case("rust_mpsc_recv_timeout_errors", "code", "real", "openai")
def rust_mpsc() -> Material:
    text = rustdoc_source("src/std/sync/mpsc.rs.html")
    display = body_of(text, r"^impl fmt::Display for RecvTimeoutError")
    return Material(
        question="What message does std's RecvTimeoutError print for a timeout and for a disconnected "
        "channel? Show me the Display impl's arms.",
        calls=[Call("read_file", {"path": "library/std/src/sync/mpsc.rs"}, text)],
        facts=lines_in(display, r"RecvTimeoutError::Timeout => ", r"RecvTimeoutError::Disconnected => "),
        origin="library/std/src/sync/mpsc.rs of the installed Rust toolchain (from its rustdoc source view)",
        rule="the match arms of the Display impl of the type the question names",
    )


@case("rust_child_wait_with_output", "code", "real", "anthropic")
def rust_wait_with_output() -> Material:
    text = rustdoc_source("src/std/process.rs.html")
    body = body_of(text, r"^    pub fn wait_with_output\(mut self\)")
    return Material(
        question="What does std's Child::wait_with_output do with the child's stdin before it waits, and how "
        "does it read stdout and stderr when both are piped?",
        calls=[Call("Read", {"file_path": "library/std/src/process.rs"}, text)],
        facts=lines_in(
            body,
            r"pub fn wait_with_output\(mut self\)",
            r"drop\(self\.stdin\.take\(\)\);",
            r"imp::read_output\(",
        ),
        origin="library/std/src/process.rs of the installed Rust toolchain (from its rustdoc source view)",
        rule="the signature of the method the question names and the body lines handling stdin and the "
        "both-piped case",
    )


# C ---------------------------------------------------------------------------------------------


@case("c_zlib_gzlog_write_errors", "code", "real", "openai")
def c_zlib_gzlog() -> Material:
    path = Path("/usr/share/doc/zlib1g-dev/examples/gzlog.c")
    text = read(path)
    body = body_of(text, r"^int gzlog_write\(")
    return Material(
        question="In zlib's gzlog example, what does gzlog_write return when it's given an invalid log "
        "object, and what if it can't create the .add file?",
        calls=[Call("read_file", {"path": str(path)}, text)],
        facts=lines_in(
            body,
            r"^int gzlog_write\(",
            r"if \(log == NULL \|\| strcmp\(log->id, LOGID\)\)",
            r"fd = open\(log->path, O_WRONLY \| O_CREAT \| O_TRUNC",
        ),
        origin="zlib's examples/gzlog.c (zlib1g-dev)",
        rule="the signature of the function the question names and the checks in its body for the two "
        "cases it names",
        notes="the invalid-log check recurs in other functions of the file; the signature pins this one",
    )


@case("c_errno_header_network", "code", "real", "anthropic")
def c_errno_header() -> Material:
    text = read(Path("/usr/include/asm-generic/errno.h"))
    return Material(
        question="Which errno values mean 'connection refused', 'connection timed out' and 'host "
        "unreachable' on Linux?",
        calls=[Call("Read", {"file_path": "/usr/include/asm-generic/errno.h"}, text)],
        facts=[
            line_matching(text, r"#define\s+ECONNREFUSED\s"),
            line_matching(text, r"#define\s+ETIMEDOUT\s"),
            line_matching(text, r"#define\s+EHOSTUNREACH\s"),
        ],
        origin="the kernel's asm-generic/errno.h (linux-libc-dev)",
        rule="the #define line of each error the question describes",
        notes="small output: checks that short blocks pass through untouched",
    )


# a multi-turn session --------------------------------------------------------------------------


@case("session_raise_for_status_httpx_requests", "code", "real", "anthropic")
def session_raise_for_status() -> Material:
    for package in ("httpx", "aiohttp", "requests"):
        need(SITE / package)
    found = run(["grep", "-rn", "def raise_for_status", "httpx/", "aiohttp/", "requests/"], cwd=SITE)
    found = "\n".join(sorted(found.strip().split("\n")))
    models_httpx = read(SITE / "httpx/_models.py")
    models_requests = read(SITE / "requests/models.py")
    httpx_body = body_of(models_httpx, r"^    def raise_for_status\(self\)")
    requests_body = body_of(models_requests, r"^    def raise_for_status\(self\)")
    return Material(
        history=[
            Turn(
                question="We call three HTTP clients in this service. Where does each one define "
                "raise_for_status?",
                calls=[
                    Call(
                        "Grep",
                        {"pattern": "def raise_for_status", "path": "site-packages", "-n": True},
                        found,
                    )
                ],
                answer="httpx defines it on Response in its models module, aiohttp on ClientResponse (and "
                "a client-level option), requests on Response in its models module.",
            )
        ],
        question="Read the httpx and requests versions. For a 503, what exception and message does each "
        "raise, and on which line of the grep output is the requests method?",
        preamble="Reading both models modules.",
        calls=[
            Call("Read", {"file_path": "site-packages/httpx/_models.py"}, models_httpx),
            Call("Read", {"file_path": "site-packages/requests/models.py"}, models_requests),
        ],
        facts=[
            *lines_in(httpx_body, r'5: "Server error",', r"raise HTTPStatusError\("),
            *lines_in(requests_body, r"Server Error: \{reason\} for url", r"raise HTTPError\("),
            line_matching(found, r"^requests/models\.py:\d+:"),
        ],
        origin="a two-turn session: `grep -rn 'def raise_for_status'` over httpx, aiohttp and requests, then "
        "httpx/_models.py and requests/models.py",
        rule="in each method the question names, the line naming the 5xx error and the raise line; and "
        "the earlier grep hit of the requests method",
    )
