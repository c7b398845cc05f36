"""The first 46 cases: real material from this machine and a few seeded generators (see the README)."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any

from corpus_kit import (
    DEBIAN_SITE,
    NPM_ROOT,
    PYPI_TSV,
    SITE,
    Call,
    Material,
    Skip,
    Turn,
    case,
    copy_tree,
    dist_version,
    fit,
    fresh_scratch,
    git,
    last_line_matching,
    line_matching,
    need,
    number_fact,
    read,
    run,
    run_stdout,
    value_fact,
)

# JSON arrays of records ------------------------------------------------------------------------


@case("pip_list_json", "json_array", "real", "openai")
def pip_list_json() -> Material:
    output = run([sys.executable, "-m", "pip", "list", "--format", "json"]).strip()
    packages = {p["name"].lower(): p["version"] for p in json.loads(output)}
    if "pydantic" not in packages or ("pydantic_core" not in packages and "pydantic-core" not in packages):
        raise Skip("pydantic not installed")
    core = packages.get("pydantic_core") or packages["pydantic-core"]
    return Material(
        question="I get `SystemError: The installed pydantic-core version is incompatible` at import. "
        "Which pydantic and pydantic-core versions are installed in this venv?",
        calls=[Call("run_shell", {"command": "pip list --format json"}, output, is_json=True)],
        facts=[value_fact(output, packages["pydantic"]), value_fact(output, core)],
        origin="`pip list --format json` in the benchmark's Python environment",
    )


@case("pip_inspect_metadata", "json_array", "real", "anthropic")
def pip_inspect_metadata() -> Material:
    report = json.loads(run_stdout([sys.executable, "-m", "pip", "inspect"]))
    rows = []
    for entry in report["installed"]:
        meta = entry.get("metadata", {})
        rows.append(
            {
                "name": meta.get("name"),
                "version": meta.get("version"),
                "summary": meta.get("summary"),
                "license": meta.get("license_expression") or meta.get("license"),
                "requires_python": meta.get("requires_python"),
                "requires_dist": meta.get("requires_dist", []),
            }
        )
    rows.sort(key=lambda row: str(row["name"]).lower())
    for row in rows:
        if isinstance(row["license"], str) and len(row["license"]) > 120:
            row["license"] = row["license"][:120]  # some ship the whole license text here; jq keeps a prefix
    output = json.dumps(rows, indent=2, ensure_ascii=False)
    while len(output) > 250_000:
        rows = rows[: int(len(rows) * 0.9)]
        output = json.dumps(rows, indent=2, ensure_ascii=False)
    capped = [
        requirement
        for row in rows
        for requirement in row["requires_dist"] or []
        if re.match(r"anyio\b", requirement) and "<5" in requirement
    ]
    if not capped:
        raise Skip("nothing caps anyio below 5")
    return Material(
        question="Before I bump anyio to 5.x: which installed packages cap it below 5, and with what exact "
        "version constraints?",
        calls=[
            Call(
                "Bash",
                {
                    "command": "pip inspect | jq '[.installed[].metadata | {name, version, summary, "
                    "license: (.license_expression // .license), requires_python, "
                    "requires_dist: (.requires_dist // [])}] | sort_by(.name | ascii_downcase)'",
                    "description": "List installed packages with their requirements",
                },
                output,
                is_json=True,
            )
        ],
        facts=capped,
        origin="`pip inspect` of the benchmark's environment, projected with a jq-style filter",
    )


@case("litellm_provider_fields", "json_array", "real", "openai")
def litellm_provider_fields() -> Material:
    path = SITE / "litellm/proxy/public_endpoints/provider_create_fields.json"
    output = read(path)
    providers = json.loads(output)
    azure = next((p for p in providers if p.get("litellm_provider") == "azure"), None)
    if azure is None:
        raise Skip("no azure provider")
    # The answer needs Azure's own record: its labels and placeholders, which no other provider shares.
    own = [value_fact(output, f["label"]) for f in azure["credential_fields"] if "Azure" in f["label"]]
    if not own:
        raise Skip("azure record has no Azure-specific labels")
    return Material(
        question="Setting up LiteLLM's admin UI for our Azure OpenAI deployment: which credential fields "
        "does it ask for, and which of them are mandatory?",
        calls=[
            Call(
                "read_file",
                {"path": "litellm/proxy/public_endpoints/provider_create_fields.json"},
                output,
                is_json=True,
            )
        ],
        facts=[*own, value_fact(output, azure["default_model_placeholder"])],
        origin="litellm's provider_create_fields.json (package data)",
        notes="facts are values found only in Azure's record",
    )


@case("github_issues_api", "json_array", "synthetic", "anthropic")
def github_issues_api() -> Material:
    rng = random.Random(20261102)
    labels = ["bug", "enhancement", "docs", "question", "performance", "good first issue", "triage"]
    verbs = ["Support", "Fix", "Document", "Improve", "Add", "Deprecate", "Refactor"]
    topics = [
        "retry backoff for 429 responses",
        "typed config loader",
        "CLI progress bar on Windows",
        "streaming JSON decoder",
        "async connection pool limits",
        "proxy auth headers",
        "TLS session resumption",
        "plugin entry points",
        "HTTP/2 prioritisation",
        "cookie jar persistence",
    ]
    users = [f"user{n:03d}" for n in range(60)]
    issues = []
    for number in range(4100, 4340):
        topic = rng.choice(topics)
        issues.append(
            {
                "number": number,
                "title": f"{rng.choice(verbs)} {topic}",
                "state": rng.choice(["open", "open", "closed"]),
                "user": {"login": rng.choice(users), "type": "User"},
                "labels": sorted(rng.sample(labels, rng.randint(0, 2))),
                "comments": rng.randint(0, 14),
                "created_at": f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}T"
                f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
                "body": f"We would like to {topic}. "
                + "Details in the linked discussion. " * rng.randint(1, 4),
            }
        )
    needle = issues[171]
    needle.update(
        title="Memory grows without bound when the websocket reconnects after a proxy timeout",
        state="open",
        labels=["bug", "performance"],
        comments=23,
        body="After ~40 reconnects RSS reaches 2.1 GB; heap snapshots show ReconnectBuffer retained by "
        "the closed transport.",
    )
    return Material(
        question="Is there already an issue about the memory leak we see when the websocket reconnects? "
        "I need its number and what the reporter measured.",
        calls=[
            Call(
                "github_list_issues",
                {"repo": "acme/netkit", "state": "all", "per_page": 240},
                json.dumps(issues, indent=2),
                is_json=True,
            )
        ],
        facts=[str(needle["number"]), "RSS reaches 2.1 GB", "ReconnectBuffer"],
        origin="seeded generator: a GitHub issues API page with one relevant issue",
    )


# nested JSON objects ---------------------------------------------------------------------------


@case("npm_ls_json", "json_object", "real", "anthropic")
def npm_ls_json() -> Material:
    output = run_stdout(["npm", "ls", "--all", "--json"], cwd=need(NPM_ROOT), ok=(0, 1))
    tree = json.loads(output)

    def find(node: dict[str, Any], name: str, trail: list[str]) -> list[tuple[list[str], str]]:
        found = []
        for child, info in (node.get("dependencies") or {}).items():
            if child == name and "version" in info:
                found.append((trail, info["version"]))
            found.extend(find(info, name, [*trail, child]))
        return found

    hits = find(tree, "minipass-fetch", [])
    if not hits:
        raise Skip("minipass-fetch not in the tree")
    parents, version = hits[0]
    return Material(
        question="Which version of minipass-fetch does this npm bundle, and through which package does npm "
        "pull it in?",
        calls=[
            Call(
                "Bash",
                {"command": f"cd {NPM_ROOT} && npm ls --all --json", "description": "npm dependency tree"},
                output,
                is_json=True,
            )
        ],
        facts=[version, parents[0] if parents else "npm"],
        origin="`npm ls --all --json` in the npm that ships with Node.js",
    )


@case("litellm_model_prices", "json_object", "real", "openai")
def litellm_model_prices() -> Material:
    path = SITE / "litellm/model_prices_and_context_window_backup.json"
    prices = json.loads(read(path))
    subset = {key: value for key, value in prices.items() if key.startswith(("gpt-4o", "gpt-4.1"))}
    mini = subset.get("gpt-4o-mini")
    if mini is None:
        raise Skip("gpt-4o-mini missing")
    output = json.dumps(subset, indent=4)
    return Material(
        question="For our cost model: what's gpt-4o-mini's max input context and its price per input and "
        "output token, according to LiteLLM's table?",
        calls=[
            Call(
                "run_shell",
                {
                    "command": 'jq \'with_entries(select(.key | startswith("gpt-4o") or '
                    'startswith("gpt-4.1")))\' litellm/model_prices_and_context_window_backup.json'
                },
                output,
                is_json=True,
            )
        ],
        notes="the numbers also occur in other models' entries; the key locates the right one",
        facts=[
            '"gpt-4o-mini"',
            str(mini["max_input_tokens"]),
            number_fact(mini["input_cost_per_token"]),
            number_fact(mini["output_cost_per_token"]),
        ],
        origin="litellm's model price table (package data), filtered like `jq with_entries(select(...))`",
    )


@case("cryptography_sbom", "json_object", "real", "anthropic")
def cryptography_sbom() -> Material:
    folder = next(iter(sorted(SITE.glob("cryptography-*.dist-info/sboms"))), None)
    if folder is None:
        raise Skip("no cryptography SBOM")
    path = next(iter(sorted(folder.glob("*rust*.json"))), None) or next(iter(sorted(folder.glob("*.json"))))
    output = read(path)
    sbom = json.loads(output)
    pyo3 = next((c for c in sbom.get("components", []) if c.get("name") == "pyo3"), None)
    if pyo3 is None:
        raise Skip("pyo3 not in SBOM")
    license_ids = [
        lic.get("license", {}).get("id") or lic.get("expression") for lic in pyo3.get("licenses", [])
    ]
    facts = [pyo3["version"], *[str(x) for x in license_ids if x]]
    return Material(
        question="Compliance asks which pyo3 version the cryptography wheel's Rust extension is built with "
        "and under what license. Can you check the SBOM?",
        calls=[Call("Read", {"file_path": str(path.relative_to(SITE))}, output, is_json=True)],
        facts=[value_fact(output, facts[0]), *facts[1:]],
        origin="the CycloneDX SBOM shipped inside the cryptography wheel",
    )


@case("debug_adapter_protocol", "json_object", "real", "openai")
def debug_adapter_protocol() -> Material:
    path = SITE / "debugpy/_vendored/pydevd/_pydevd_bundle/_debug_adapter/debugProtocol.json"
    output = read(path)
    schema = json.loads(output)
    args = schema["definitions"].get("SetBreakpointsArguments")
    if args is None:
        raise Skip("no SetBreakpointsArguments")
    required = [name for name in args.get("required", []) if name in args.get("properties", {})]
    return Material(
        question="I'm writing a DAP client. What does the setBreakpoints request's arguments object contain, "
        "and which properties are required?",
        calls=[Call("read_file", {"path": str(path.relative_to(SITE))}, output, is_json=True)],
        facts=[
            value_fact(output, args["description"]),
            *[
                value_fact(output, args["properties"][name]["description"])
                for name in ("lines", "sourceModified")
            ],
            *[value_fact(output, args["properties"][name]["description"]) for name in required],
        ],
        origin="the Debug Adapter Protocol JSON schema vendored in debugpy",
    )


# logs ------------------------------------------------------------------------------------------


@case("dpkg_log", "log", "real", "openai")
def dpkg_log() -> Material:
    text = read(Path("/var/log/dpkg.log"))
    lines = text.rstrip("\n").split("\n")
    tail = "\n".join(lines[-3000:])
    installs = [line for line in lines[-3000:] if re.search(r" install nodejs:\S+ ", line)]
    upgrades = [line for line in lines[-3000:] if re.search(r" status installed nodejs:\S+ ", line)]
    if not installs or not upgrades:
        raise Skip("no nodejs install in the dpkg log")
    return Material(
        question="When was Node.js first installed on this box, which version, and has it been upgraded "
        "since?",
        calls=[Call("run_shell", {"command": "tail -n 3000 /var/log/dpkg.log"}, tail)],
        facts=[installs[0], upgrades[-1]],
        origin="/var/log/dpkg.log (last 3000 lines)",
    )


@case("apt_term_log", "log", "real", "anthropic")
def apt_term_log() -> Material:
    text = read(Path("/var/log/apt/term.log"))
    facts = [
        line_matching(text, r"start-stop-daemon: unable to stat"),
        line_matching(text, r"Failed to open connection to \"system\" message bus"),
    ]
    return Material(
        question="Our image build ran a lot of apt installs. Did any maintainer script fail or print an "
        "error along the way? Quote the lines.",
        calls=[
            Call("Bash", {"command": "cat /var/log/apt/term.log", "description": "apt terminal log"}, text)
        ],
        facts=facts,
        origin="/var/log/apt/term.log",
    )


@case("apt_history_log", "log", "real", "openai")
def apt_history_log() -> Material:
    text = read(Path("/var/log/apt/history.log"))
    command = line_matching(text, r"^Commandline: .*install .*postgresql")
    blocks = text.split("\n\n")
    block = next(b for b in blocks if command in b)
    start = line_matching(block, r"^Start-Date:")
    return Material(
        question="Who installed PostgreSQL here: what exact apt command was run, and when?",
        calls=[Call("run_shell", {"command": "cat /var/log/apt/history.log"}, text)],
        facts=[command, start],
        origin="/var/log/apt/history.log",
    )


@case("dmesg_boot", "log", "real", "anthropic")
def dmesg_boot() -> Material:
    text = run(["dmesg"])
    memory = line_matching(text, r"Memory: \d+K/\d+K available")
    # The kernel switches clocksource during boot; the question asks for the one it ended up using.
    clock = last_line_matching(text, r"clocksource: Switched to clocksource")
    return Material(
        question="From the kernel log: how much memory did the kernel see at boot, and which clocksource "
        "did it end up using?",
        calls=[Call("Bash", {"command": "dmesg", "description": "kernel ring buffer"}, text)],
        facts=[memory, clock],
        origin="`dmesg` on this machine (a snapshot of the boot log)",
    )


_NGINX_PATHS = ["/", "/api/cart", "/api/products", "/static/app.js", "/api/search", "/health", "/api/user"]


@case("nginx_upstream_errors", "log", "synthetic", "openai")
def nginx_upstream_errors() -> Material:
    rng = random.Random(502)
    lines = []
    second = 0
    for index in range(2000):
        second += rng.randint(0, 2)
        stamp = f"27/Nov/2026:09:{(second // 60) % 60:02d}:{second % 60:02d} +0000"
        ip = f"10.{rng.randint(0, 3)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        if index == 1411:
            lines.append(
                f"2026/11/27 09:{(second // 60) % 60:02d}:{second % 60:02d} [error] 31#31: *884213 "
                "upstream timed out (110: Connection timed out) while reading response header from upstream, "
                'client: 10.2.14.77, server: shop.example.com, request: "POST /api/checkout HTTP/1.1", '
                'upstream: "http://10.0.3.41:8080/api/checkout", host: "shop.example.com"'
            )
            continue
        path = rng.choice(_NGINX_PATHS)
        status = 200 if rng.random() > 0.02 else rng.choice([301, 304, 404])
        if 1400 <= index <= 1430 and rng.random() < 0.5:
            path, status = "/api/checkout", 504
        size = rng.randint(120, 48000)
        agent = rng.choice(["Mozilla/5.0 (X11; Linux x86_64)", "curl/8.5.0", "okhttp/4.12.0"])
        lines.append(
            f'{ip} - - [{stamp}] "GET {path} HTTP/1.1" {status} {size} "-" "{agent}" '
            f"rt={rng.randint(1, 400) / 1000:.3f}"
        )
    return Material(
        question="Checkout started timing out around 09:1x this morning. What does nginx say the upstream "
        "problem is, and which backend address is involved?",
        calls=[Call("run_shell", {"command": "tail -n 2000 /var/log/nginx/shop.log"}, "\n".join(lines))],
        facts=["upstream timed out (110: Connection timed out)", "http://10.0.3.41:8080/api/checkout"],
        origin="seeded generator: nginx access log with one upstream timeout in the error stream",
    )


@case("jsonl_service_log", "log", "synthetic", "anthropic")
def jsonl_service_log() -> Material:
    rng = random.Random(77)
    lines = []
    for index in range(1800):
        ms = index * 137 + rng.randint(0, 99)
        record: dict[str, Any] = {
            "ts": f"2026-11-27T10:{(ms // 60000) % 60:02d}:{(ms // 1000) % 60:02d}.{ms % 1000:03d}Z",
            "level": "info" if rng.random() > 0.04 else "warn",
            "svc": "ingest-worker",
            "msg": rng.choice(["batch committed", "fetched partition", "heartbeat", "offset advanced"]),
            "partition": rng.randint(0, 11),
            "request_id": f"r-{rng.getrandbits(32):08x}",
        }
        if index == 1303:
            record.update(
                level="error",
                msg="worker crashed: java.lang.OutOfMemoryError: Java heap space",
                request_id="r-5c1e9a07",
                batch_size=250000,
            )
        lines.append(json.dumps(record, separators=(",", ":")))
    return Material(
        question="The ingest worker restarted overnight. Which request was it processing when it "
        "crashed, and what was the error?",
        calls=[
            Call(
                "Bash",
                {"command": "kubectl logs deploy/ingest-worker --since=2h", "description": "worker logs"},
                "\n".join(lines),
            )
        ],
        facts=["r-5c1e9a07", "java.lang.OutOfMemoryError: Java heap space"],
        origin="seeded generator: JSON-lines service log with one crash",
    )


# search results --------------------------------------------------------------------------------


@case("grep_timeouts_httpx_stack", "search", "real", "openai")
def grep_timeouts() -> Material:
    for package in ("httpx", "httpcore", "anyio", "h11"):
        need(SITE / package)
    output = run(
        ["grep", "-rn", "--include=*.py", "timeout", "httpx/", "httpcore/", "anyio/", "h11/"], cwd=SITE
    )
    fact = line_matching(output, r"^httpx/_config\.py:\d+:DEFAULT_TIMEOUT_CONFIG = ")
    return Material(
        question="Our calls through httpx give up after a few seconds. Where is httpx's default timeout "
        "defined, and what is it?",
        calls=[
            Call(
                "run_shell",
                {
                    "command": "cd site-packages && "
                    "grep -rn --include=*.py timeout httpx/ httpcore/ anyio/ h11/"
                },
                output,
            )
        ],
        facts=[fact],
        origin="`grep -rn timeout` over installed httpx, httpcore, anyio and h11",
    )


@case("grep_defs_requests", "search", "real", "anthropic")
def grep_defs_requests() -> Material:
    need(SITE / "requests")
    output = run(["grep", "-rn", "--include=*.py", "def ", "requests/", "urllib3/"], cwd=SITE)
    fact = line_matching(output, r"^requests/sessions\.py:\d+:\s+def merge_environment_settings")
    return Material(
        question="Where does requests merge proxy/verify settings from the environment into a request? "
        "I need the file, line and signature of that method.",
        calls=[
            Call(
                "Grep",
                {
                    "pattern": "def ",
                    "path": "site-packages",
                    "glob": "{requests,urllib3}/**/*.py",
                    "-n": True,
                },
                output,
            )
        ],
        facts=[fact],
        origin="`grep -rn 'def '` over installed requests and urllib3",
    )


@case("git_grep_pydantic_deprecated", "search", "real", "openai")
def git_grep_pydantic() -> Material:
    repo = fresh_scratch("pydantic-src")
    copy_tree(SITE / "pydantic", repo / "pydantic")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "pydantic sources")
    output = run(["git", "grep", "-n", "-C1", "deprecated"], cwd=repo)
    output = fit(output, 240_000)
    fact = line_matching(output, r"^pydantic/main\.py-\d+-\s+def parse_obj\(")
    return Material(
        question="Is `BaseModel.parse_obj` deprecated in the pydantic we ship, and what does it tell me to "
        "use instead? Show me where it's defined.",
        calls=[Call("run_shell", {"command": "git grep -n -C1 deprecated | head -c 240000"}, output)],
        facts=[fact, line_matching(output, r"^pydantic/main\.py:\d+:.*The `parse_obj` method is deprecated")],
        origin="`git grep -n -C1 deprecated` in a scratch repo of the installed pydantic",
    )


# diffs -----------------------------------------------------------------------------------------


def two_version_repo(name: str, old: Path, new: Path, subdir: str, old_tag: str, new_tag: str) -> Path:
    repo = fresh_scratch(f"{name}-history")
    copy_tree(old, repo / subdir)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", f"{name} {old_tag}", date="2026-01-10T09:00:00Z")
    shutil.rmtree(repo / subdir)
    copy_tree(new, repo / subdir)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"{name} {new_tag}", date="2026-06-20T09:00:00Z")
    return repo


@case("git_diff_pyjwt_upgrade", "diff", "real", "anthropic")
def git_diff_pyjwt() -> Material:
    old_version = dist_version(DEBIAN_SITE, "PyJWT")
    new_version = dist_version(SITE, "pyjwt")
    repo = two_version_repo("pyjwt", DEBIAN_SITE / "jwt", SITE / "jwt", "jwt", old_version, new_version)
    output = git(repo, "diff", "HEAD~1", "HEAD", "--", "jwt")
    output = fit(output, 240_000)
    return Material(
        question=f"We're upgrading PyJWT from {old_version} to {new_version}. Which claim checks does "
        "jwt.decode now verify by default that it didn't before?",
        calls=[
            Call(
                "Bash",
                {"command": "git diff HEAD~1 HEAD -- jwt", "description": "PyJWT upgrade diff"},
                output,
            )
        ],
        facts=[
            line_matching(output, r'^\+\s+"verify_sub": True'),
            line_matching(output, r'^\+\s+"verify_jti": True'),
        ],
        origin=f"`git diff` of a scratch repo: Debian's PyJWT {old_version} then the venv's {new_version}",
    )


@case("git_log_p_oauthlib", "diff", "real", "openai")
def git_log_oauthlib() -> Material:
    old_version = dist_version(DEBIAN_SITE, "oauthlib")
    new_version = dist_version(SITE, "oauthlib")
    repo = two_version_repo(
        "oauthlib", DEBIAN_SITE / "oauthlib", SITE / "oauthlib", "oauthlib", old_version, new_version
    )
    output = git(repo, "log", "-p", "-1", "--", "oauthlib/oauth2")
    output = fit(output, 240_000)
    return Material(
        question="What changed in oauthlib's OAuth2 code in the last commit? In particular, did the PKCE "
        "code_challenge_method handling change?",
        calls=[Call("run_shell", {"command": "git log -p -1 -- oauthlib/oauth2"}, output)],
        facts=[line_matching(output, r"^[-+].*code_challenge_method")],
        origin=f"`git log -p` of a scratch repo: Debian's oauthlib {old_version}, "
        f"then the venv's {new_version}",
    )


@case("git_diff_pygments_lexer", "diff", "real", "anthropic")
def git_diff_pygments() -> Material:
    old_version = dist_version(DEBIAN_SITE, "Pygments")
    new_version = dist_version(SITE, "pygments")
    repo = two_version_repo(
        "pygments", DEBIAN_SITE / "pygments", SITE / "pygments", "pygments", old_version, new_version
    )
    output = git(repo, "diff", "--stat=120", "HEAD~1", "HEAD", "--", "pygments/lexers/python.py") + git(
        repo, "diff", "HEAD~1", "HEAD", "--", "pygments/lexers/python.py"
    )
    return Material(
        question="Does the newer Pygments highlight Python template strings (PEP 750) properly? Show me the "
        "lexer lines that changed for them.",
        calls=[
            Call(
                "Bash",
                {
                    "command": "git diff --stat HEAD~1 HEAD -- pygments/lexers/python.py && "
                    "git diff HEAD~1 HEAD -- pygments/lexers/python.py",
                    "description": "Python lexer changes",
                },
                output,
            )
        ],
        facts=[
            line_matching(output, r"^\+\s+# non-raw f-strings and t-strings"),
            line_matching(output, r"^\+.*\[fFtT\]"),
        ],
        origin=f"`git diff` of a scratch repo: Debian's Pygments {old_version} then the venv's {new_version}",
    )


# source code -----------------------------------------------------------------------------------


@case("py_requests_sessions", "code", "real", "openai")
def py_requests_sessions() -> Material:
    text = read(SITE / "requests/sessions.py")
    return Material(
        question="Does requests.Session.request follow redirects by default? Show me its signature line and "
        "the default for allow_redirects.",
        calls=[Call("read_file", {"path": "site-packages/requests/sessions.py"}, text)],
        facts=[
            line_matching(text, r"^\s+def request\("),
            line_matching(text, r"^\s+allow_redirects: bool = True"),
        ],
        origin="requests/sessions.py from the installed requests",
    )


@case("py_grep_then_read_networkx", "code", "real", "anthropic")
def py_networkx_read() -> Material:
    need(SITE / "networkx")
    found = run(["grep", "-rn", "def floyd_warshall", "networkx/"], cwd=SITE)
    text = read(SITE / "networkx/algorithms/shortest_paths/dense.py")
    return Material(
        question="How does networkx's Floyd-Warshall treat parallel edges in a MultiGraph: the lowest weight "
        "or the last one? Point me at the line.",
        preamble="I'll find the implementation first.",
        calls=[
            Call("Grep", {"pattern": "def floyd_warshall", "path": "networkx/", "-n": True}, found),
            Call("Read", {"file_path": "networkx/algorithms/shortest_paths/dense.py"}, text),
        ],
        facts=[line_matching(text, r"dist\[u\]\[v\] = min\(e_weight, dist\[u\]\[v\]\)")],
        origin="`grep -rn` then networkx/algorithms/shortest_paths/dense.py from the installed networkx",
    )


@case("js_npm_ls_command", "code", "real", "openai")
def js_npm_ls() -> Material:
    text = read(NPM_ROOT / "lib/commands/ls.js")
    return Material(
        question="In npm's `ls` command source, how is a dependency marked as extraneous in the output? "
        "Show me the code that decides it.",
        calls=[Call("read_file", {"path": f"{NPM_ROOT}/lib/commands/ls.js"}, text)],
        facts=[line_matching(text, r"extraneous")],
        origin="lib/commands/ls.js of the npm that ships with Node.js",
    )


@case("js_npm_config_two_files", "code", "real", "anthropic")
def js_npm_config() -> Material:
    config = read(NPM_ROOT / "lib/commands/config.js")
    cache = read(NPM_ROOT / "lib/commands/cache.js")
    return Material(
        question="Which subcommands does `npm config` accept, and what does `npm cache verify` call under "
        "the hood?",
        preamble="Reading both command implementations.",
        calls=[
            Call("Read", {"file_path": "npm/lib/commands/config.js"}, config),
            Call("Read", {"file_path": "npm/lib/commands/cache.js"}, cache),
        ],
        facts=[line_matching(config, r"^\s+static usage"), line_matching(cache, r"verify\(")],
        origin="lib/commands/config.js and cache.js of the bundled npm",
    )


def jdk_source(member: str) -> str:
    for jdk in sorted(Path("/usr/lib/jvm").glob("java-17-openjdk*")) + sorted(Path("/usr/lib/jvm").glob("*")):
        archive = jdk / "lib/src.zip"
        if archive.exists():
            with zipfile.ZipFile(archive) as zipped:
                if member in zipped.namelist():
                    return zipped.read(member).decode("utf-8", "replace")
    raise Skip(f"no JDK sources with {member}")


@case("java_hashmap", "code", "real", "openai")
def java_hashmap() -> Material:
    text = jdk_source("java.base/java/util/HashMap.java")
    return Material(
        question="At what bucket size does java.util.HashMap switch a bin to a tree, and what's the minimum "
        "table capacity for treeification?",
        calls=[Call("read_file", {"path": "java.base/java/util/HashMap.java"}, text)],
        facts=[
            line_matching(text, r"static final int TREEIFY_THRESHOLD = "),
            line_matching(text, r"static final int MIN_TREEIFY_CAPACITY = "),
        ],
        origin="java/util/HashMap.java from the JDK 17 src.zip",
    )


@case("java_thread_pool", "code", "real", "anthropic")
def java_thread_pool() -> Material:
    text = jdk_source("java.base/java/util/concurrent/ThreadPoolExecutor.java")
    return Material(
        question="What's the default rejection policy of ThreadPoolExecutor and what does it do when the "
        "queue is full?",
        calls=[Call("Read", {"file_path": "java.base/java/util/concurrent/ThreadPoolExecutor.java"}, text)],
        facts=[
            line_matching(text, r"private static final RejectedExecutionHandler defaultHandler"),
            line_matching(text, r"throw new RejectedExecutionException\(\"Task \""),
        ],
        origin="java/util/concurrent/ThreadPoolExecutor.java from the JDK 17 src.zip",
    )


@case("go_persistent_https", "code", "real", "openai")
def go_persistent_https() -> Material:
    folder = need(Path("/usr/share/doc/git/contrib/persistent-https"))
    files = sorted(folder.glob("*.go"))
    if not files:
        raise Skip("no Go sources")
    output = ""
    for path in files:
        output += f"==> {path.name} <==\n{read(path)}\n"
    return Material(
        question="In git's persistent-https helper, how long does the proxy stay alive when idle, and where "
        "does it put its Unix socket?",
        calls=[Call("run_shell", {"command": f"cd {folder} && tail -n +1 *.go"}, output)],
        facts=[
            line_matching(output, r"defaultMaxIdleDuration\s+= "),
            line_matching(output, r"persistent-https-proxy-socket"),
        ],
        origin="the Go sources of git's contrib/persistent-https",
    )


# HTML ------------------------------------------------------------------------------------------


def rust_doc(relative: str) -> Path:
    for toolchain in sorted(Path.home().glob(".rustup/toolchains/*")):
        path = toolchain / "share/doc/rust/html" / relative
        if path.exists():
            return path
    raise Skip(f"no rust docs: {relative}")


@case("html_rustc_codegen_options", "html", "real", "anthropic")
def html_rustc_codegen() -> Material:
    path = rust_doc("rustc/codegen-options/index.html")
    text = read(path)
    return Material(
        question="Which values does rustc's `-C opt-level` accept, and what is the default?",
        calls=[Call("WebFetch", {"url": "file://" + str(path), "prompt": "opt-level values"}, text)],
        # Text as the page reads (text nodes are verbatim in the HTML and in any rendering of it).
        facts=[
            ": no optimizations, also turns on",
            ": optimize for binary size.",
            ": optimize for binary size, but more aggressively.",
        ],
        origin="rustc's codegen-options page from the local Rust documentation",
    )


@case("html_rust_book_strings", "html", "real", "openai")
def html_rust_book_strings() -> Material:
    path = rust_doc("book/ch08-02-strings.html")
    text = read(path)
    return Material(
        question="Why does indexing a Rust String with s[0] fail to compile? What's the compiler error the "
        "book shows?",
        calls=[Call("fetch_url", {"url": "file://" + str(path)}, text)],
        facts=[line_matching(text, r"the type `str` cannot be indexed by `\{integer\}`")],
        origin="the Rust book's 'Storing UTF-8 Encoded Text with Strings' page (local docs)",
    )


# tables ----------------------------------------------------------------------------------------


@case("pypi_tsv_pytest_plugins", "table", "real", "openai")
def pypi_tsv_slice() -> Material:
    text = read(PYPI_TSV)
    lines = text.split("\n")
    rows = [lines[0]] + [line for line in lines[1:] if line.startswith("pytest-")]
    ranked = [
        (int(r.split("\t")[3]), r) for r in rows[1:] if r.split("\t")[3:4] and r.split("\t")[3].isdigit()
    ]
    if not ranked:
        raise Skip("no ranked pytest plugin")
    best = min(ranked)[1]
    output = fit("\n".join(rows), 200_000)
    return Material(
        question="Of the pytest plugins in our package index dump, which one is the most downloaded?",
        calls=[
            Call(
                "run_shell",
                {"command": "head -1 pypi.tsv && grep '^pytest-' pypi.tsv | head -c 200000"},
                output,
            )
        ],
        facts=[best.split("\t")[0] + "\t" + best.split("\t")[1]],
        origin="the PyPI package list TSV that ships with this workplace, rows starting with pytest-",
    )


@case("dpkg_query_csv", "table", "real", "anthropic")
def dpkg_query_csv() -> Material:
    output = run_stdout(["dpkg-query", "-W", "-f=${Package},${Version},${Architecture},${Installed-Size}\n"])
    output = "package,version,architecture,installed_size_kb\n" + output
    row = line_matching(output, r"^libssl3,")
    return Material(
        question="Which libssl3 version is installed, and how much disk does it take?",
        calls=[
            Call(
                "Bash",
                {
                    "command": "echo package,version,architecture,installed_size_kb; dpkg-query -W "
                    "-f='${Package},${Version},${Architecture},${Installed-Size}\\n'",
                    "description": "installed Debian packages as CSV",
                },
                output,
            )
        ],
        facts=[row],
        origin="`dpkg-query -W` of the installed Debian packages, as CSV",
    )


@case("billing_csv_anomaly", "table", "synthetic", "openai")
def billing_csv() -> Material:
    rng = random.Random(1010)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["month", "account_id", "service", "region", "usage_hours", "cost_usd"])
    for month in ("2026-07", "2026-08", "2026-09", "2026-10"):
        for account in range(1, 61):
            for service in ("compute", "storage", "egress"):
                hours = rng.randint(200, 740)
                cost = round(hours * {"compute": 0.42, "storage": 0.05, "egress": 0.09}[service], 2)
                if month == "2026-10" and account == 37 and service == "egress":
                    hours, cost = 731, 18422.57
                region = rng.choice(["us-east-1", "eu-west-1"])
                writer.writerow([month, f"acct-{account:04d}", service, region, hours, cost])
    return Material(
        question="Our October bill jumped. Which account and service caused it, and by how much?",
        calls=[Call("run_shell", {"command": "cat exports/billing_2026q3q4.csv"}, out.getvalue())],
        facts=["2026-10,acct-0037,egress", "18422.57"],
        origin="seeded generator: a cloud billing export with one anomalous row",
    )


# prose -----------------------------------------------------------------------------------------


@case("markdown_fastapi_readme", "prose", "real", "anthropic")
def markdown_fastapi() -> Material:
    info = next(iter(sorted(SITE.glob("fastapi-*.dist-info"))), None)
    if info is None:
        raise Skip("fastapi not installed")
    text = read(info / "METADATA")
    return Material(
        question="According to FastAPI's README, which command runs the app in development mode, and what "
        "URL serves the interactive API docs?",
        calls=[Call("Read", {"file_path": str((info / "METADATA").relative_to(SITE))}, text)],
        facts=[line_matching(text, r"fastapi dev"), "http://127.0.0.1:8000/docs"],
        origin="the METADATA (README) of the installed fastapi",
    )


@case("git_release_notes", "prose", "real", "openai")
def git_release_notes() -> Material:
    folder = need(Path("/usr/share/doc/git/RelNotes"))
    names = [f"2.3{minor}.0.txt" for minor in range(5, 10)]
    output = ""
    for name in names:
        path = folder / name
        if not path.exists() and (folder / (name + ".gz")).exists():
            import gzip

            text = gzip.decompress((folder / (name + ".gz")).read_bytes()).decode("utf-8", "replace")
        else:
            text = read(path)
        output += f"==> {name} <==\n{text}\n"
    section = output[output.index("==> 2.39.0.txt <==") :]
    return Material(
        question="Which git release first let merge-tree read a series of merge requests on stdin, and how "
        "do the release notes describe it?",
        calls=[
            Call(
                "run_shell",
                {"command": "cd /usr/share/doc/git/RelNotes && tail -n +1 2.3[5-9].0.txt"},
                output,
            )
        ],
        facts=[
            line_matching(section, r"^Git v2\.39 Release Notes"),
            line_matching(section, r"git merge-tree --stdin"),
        ],
        origin="git's release notes 2.35.0 to 2.39.0 from /usr/share/doc/git",
    )


# shell output ----------------------------------------------------------------------------------


@case("pytest_networkx_regression", "shell", "real", "anthropic")
def pytest_networkx() -> Material:
    work = fresh_scratch("networkx-regression")
    copy_tree(SITE / "networkx", work / "networkx")
    dense = work / "networkx/algorithms/shortest_paths/dense.py"
    source = dense.read_text()
    bad = source.replace("pred[u][v] = pred[w][v]", "pred[u][v] = w", 1)
    if bad == source:
        raise Skip("mutation point not found")
    dense.write_text(bad)
    output = run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-v",
            "-p",
            "no:cacheprovider",
            "networkx/algorithms/shortest_paths",
        ],
        cwd=work,
        ok=(1,),
    )
    output = output.replace(str(work) + "/", "")
    failed = re.findall(r"^FAILED (\S+)", output, re.MULTILINE)
    if not failed:
        raise Skip("no failure")
    return Material(
        question="I refactored the Floyd-Warshall predecessor update in networkx and now tests fail. Which "
        "tests fail, and what assertion breaks first?",
        calls=[
            Call(
                "Bash",
                {
                    "command": "python -m pytest -v networkx/algorithms/shortest_paths",
                    "description": "run tests",
                },
                output,
            )
        ],
        facts=[f"FAILED {failed[0]}", line_matching(output, r"^E\s+(assert|AssertionError)")],
        origin="a real pytest run of networkx's shortest-path tests on a scratch copy with a one-line bug",
    )


@case("npm_ls_tree", "shell", "real", "openai")
def npm_ls_tree() -> Material:
    output = run(["npm", "ls", "--all"], cwd=need(NPM_ROOT), ok=(0, 1))
    return Material(
        question="Which version of `@npmcli/arborist` does this npm ship, and is `cacache` deduped under it?",
        calls=[Call("run_shell", {"command": f"cd {NPM_ROOT} && npm ls --all"}, output)],
        facts=[line_matching(output, r"@npmcli/arborist@"), line_matching(output, r"cacache@\S+ deduped")],
        origin="`npm ls --all` in the npm that ships with Node.js",
    )


@case("ps_aux_listing", "shell", "real", "anthropic")
def ps_aux() -> Material:
    output = run(["ps", "auxww", "--sort=-rss"])
    top = output.split("\n")[1]
    return Material(
        question="The box feels slow. Which process is using the most memory right now, and how much RSS?",
        calls=[
            Call("Bash", {"command": "ps auxww --sort=-rss", "description": "processes by memory"}, output)
        ],
        facts=[top.rstrip()[:80]],
        origin="`ps auxww --sort=-rss` on this machine (a snapshot)",
    )


@case("ls_la_libdir", "shell", "real", "openai")
def ls_libdir() -> Material:
    output = run(["ls", "-la", "--time-style=long-iso", "/usr/lib/x86_64-linux-gnu"])
    return Material(
        question="Are libssl.so.3 and libcrypto.so.3 in /usr/lib/x86_64-linux-gnu real files or symlinks, "
        "and how big are they?",
        calls=[Call("run_shell", {"command": "ls -la /usr/lib/x86_64-linux-gnu"}, fit(output, 250_000))],
        facts=[
            line_matching(output, r"\d\d:\d\d libssl\.so\.3$"),
            line_matching(output, r"\d\d:\d\d libcrypto\.so\.3$"),
        ],
        origin="`ls -la /usr/lib/x86_64-linux-gnu` on this machine",
    )


@case("find_native_extensions", "shell", "real", "anthropic")
def find_native_extensions() -> Material:
    output = run(["find", ".", "-name", "*.so", "-printf", "%s\t%p\n"], cwd=SITE)
    lines = sorted(output.strip().split("\n"), key=lambda line: line.split("\t")[1])
    output = "\n".join(lines)
    biggest = max(lines, key=lambda line: int(line.split("\t")[0]))
    return Material(
        question="The venv image is too big. Which native extension module is the largest, and how many "
        "bytes?",
        calls=[
            Call(
                "Bash",
                {
                    "command": "cd site-packages && find . -name '*.so' -printf '%s\\t%p\\n' | sort -k2",
                    "description": "native extensions with sizes",
                },
                output,
            )
        ],
        facts=[biggest],
        origin="`find -name '*.so' -printf` over site-packages",
    )


@case("pip_show_files", "shell", "real", "openai")
def pip_show_files() -> Material:
    output = run([sys.executable, "-m", "pip", "show", "-f", "tiktoken", "litellm"])
    output = fit(output, 240_000)
    return Material(
        question="Where is tiktoken installed, what does it require, and does its package include the "
        "o200k_base registry code (which file)?",
        calls=[Call("run_shell", {"command": "pip show -f tiktoken litellm"}, output)],
        facts=[
            line_matching(output, r"^Requires: .*regex"),
            line_matching(output, r"tiktoken_ext/openai_public\.py"),
        ],
        origin="`pip show -f tiktoken litellm` in the benchmark's environment",
    )


_RUST_MAIN = """use std::collections::HashMap;

#[derive(Debug)]
struct Order {
    id: u64,
    total_cents: i64,
}

fn index_orders(orders: &[Order]) -> HashMap<u64, &Order> {
    let mut by_id = HashMap::new();
    for order in orders {
        by_id.insert(order.id, order);
    }
    by_id
}

fn total(orders: &[Order]) -> i64 {
    orders.iter().map(|o| o.total_cents).sum()
}

fn main() {
    let orders = vec![Order { id: 1, total_cents: 1250 }, Order { id: 2, total_cents: 830 }];
    let index = index_orders(&orders);
    let grand: u32 = total(&orders);
    println!("{} orders, {} cents, first {:?}", index.len(), grand, index.get(&1));
}
"""


@case("cargo_build_error", "shell", "real", "anthropic")
def cargo_build_error() -> Material:
    crate = fresh_scratch("orders-rs")
    run(["cargo", "new", "--vcs", "none", "--name", "orders", str(crate / "orders")])
    (crate / "orders/src/main.rs").write_text(_RUST_MAIN)
    output = run(["cargo", "build", "--offline", "--color", "never"], cwd=crate / "orders", ok=(101,))
    output = output.replace(str(crate) + "/", "")
    return Material(
        question="cargo build fails on my orders crate. What's the error, and on which line?",
        calls=[Call("Bash", {"command": "cargo build", "description": "build the crate"}, output)],
        facts=[line_matching(output, r"^error\[E\d+\]"), line_matching(output, r"--> src/main\.rs:\d+:\d+")],
        origin="a real `cargo build` of a small scratch crate with a type error",
    )


_JAVA_SOURCE = """package shop;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

public class Inventory {
    private final List<String> skus = new ArrayList<>();

    public Optional<String> find(String prefix) {
        for (String sku : skus) {
            if (sku.startsWith(prefix)) {
                return sku;
            }
        }
        return Optional.empty();
    }

    public int count() {
        return skus.size()
    }
}
"""


@case("javac_errors", "shell", "real", "openai")
def javac_errors() -> Material:
    folder = fresh_scratch("inventory-java")
    (folder / "shop").mkdir()
    (folder / "shop/Inventory.java").write_text(_JAVA_SOURCE)
    output = run(["javac", "-Xlint:all", "shop/Inventory.java"], cwd=folder, ok=(1,))
    return Material(
        question="javac rejects Inventory.java. List every compile error with its line.",
        calls=[Call("run_shell", {"command": "javac -Xlint:all shop/Inventory.java"}, output)],
        facts=[line_matching(output, r"Inventory\.java:\d+: error: ';' expected")],
        origin="a real `javac` run on a small scratch class with a syntax error",
        notes="small output: checks that short blocks pass through untouched",
    )


@case("kubectl_pods_crashloop", "shell", "synthetic", "anthropic")
def kubectl_pods() -> Material:
    rng = random.Random(8080)
    namespaces = ["default", "payments", "search", "ingest", "monitoring", "kube-system"]
    apps = ["api", "worker", "cron", "web", "gateway", "exporter", "indexer", "scheduler"]
    lines = [f"{'NAMESPACE':<14}{'NAME':<48}{'READY':<8}{'STATUS':<20}{'RESTARTS':<16}AGE"]
    for index in range(420):
        ns = rng.choice(namespaces)
        name = f"{rng.choice(apps)}-{rng.getrandbits(32):08x}-{rng.getrandbits(20):05x}"
        status, restarts, ready = "Running", "0", "1/1"
        if index == 288:
            ns, name, status, restarts, ready = (
                "payments",
                "ledger-7d9f8c6b5-x2kqp",
                "CrashLoopBackOff",
                "57 (3m12s ago)",
                "0/1",
            )
        elif rng.random() < 0.03:
            restarts = f"{rng.randint(1, 3)} ({rng.randint(1, 20)}h ago)"
        lines.append(f"{ns:<14}{name:<48}{ready:<8}{status:<20}{restarts:<16}{rng.randint(1, 40)}d")
    return Material(
        question="Something in the cluster keeps restarting. Which pod is unhealthy, in which namespace, and "
        "how many restarts?",
        calls=[Call("Bash", {"command": "kubectl get pods -A", "description": "all pods"}, "\n".join(lines))],
        facts=["ledger-7d9f8c6b5-x2kqp", "CrashLoopBackOff", "57 (3m12s ago)"],
        origin="seeded generator: `kubectl get pods -A` listing with one crash-looping pod",
    )


@case("ci_build_log_npm", "shell", "synthetic", "openai")
def ci_build_log() -> Material:
    rng = random.Random(4242)
    lines = [
        "Run npm ci",
        "npm WARN deprecated inflight@1.0.6: This module is not supported, and leaks memory.",
    ]
    for index in range(1400):
        step = rng.choice(["transform", "bundle", "minify", "emit"])
        lines.append(
            f"2026-11-27T07:{(index // 60) % 60:02d}:{index % 60:02d}.{rng.randint(0, 999):03d}Z "
            f"[webpack] {step} src/modules/m{rng.randint(1, 400)}.ts ({rng.randint(1, 90)} kB)"
        )
        if index == 1190:
            lines += [
                "2026-11-27T07:19:50.114Z ERROR in src/modules/checkout/PaymentForm.tsx:88:17",
                "2026-11-27T07:19:50.114Z TS2345: Argument of type 'string | undefined' is not assignable to "
                "parameter of type 'string'.",
            ]
    lines += ["webpack compiled with 1 error", "Error: Process completed with exit code 1."]
    return Material(
        question="The CI build went red. Which file and line broke it, and what's the TypeScript error?",
        calls=[Call("get_ci_log", {"run_id": 88213, "job": "build"}, "\n".join(lines))],
        facts=["src/modules/checkout/PaymentForm.tsx:88:17", "TS2345: Argument of type 'string | undefined'"],
        origin="seeded generator: a CI webpack build log with one TypeScript error",
    )


# multi-turn sessions ---------------------------------------------------------------------------


@case("session_networkx_dag_regression", "code", "real", "openai")
def session_networkx_dag() -> Material:
    repo = fresh_scratch("networkx-dag-session")
    copy_tree(SITE / "networkx", repo / "networkx")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "vendor networkx")
    dag = repo / "networkx/algorithms/dag.py"
    source = dag.read_text()
    bad = source.replace(
        "        maxu = max(us, key=lambda x: x[0]) if us else (0, v)",
        "        maxu = min(us, key=lambda x: x[0]) if us else (0, v)",
        1,
    )
    if bad == source:
        raise Skip("mutation point not found")
    dag.write_text(bad)
    tests = run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "networkx/algorithms/tests/test_dag.py",
        ],
        cwd=repo,
        ok=(1,),
    ).replace(str(repo) + "/", "")
    diff = git(repo, "diff", "--", "networkx/algorithms/dag.py")
    failed = [line.split(" - ")[0] for line in tests.split("\n") if line.startswith("FAILED ")]
    by_class = {line.split("::")[1]: line for line in failed if line.count("::") == 2}
    if len(by_class) < 2:
        raise Skip("expected failures in two test classes")
    return Material(
        history=[
            Turn(
                question="I tidied up the DAG helpers in our vendored networkx and CI went red. Can you run "
                "the DAG tests?",
                calls=[
                    Call(
                        "run_shell",
                        {"command": "python -m pytest -q networkx/algorithms/tests/test_dag.py"},
                        tests,
                    )
                ],
                answer="Several tests in the longest-path test classes fail: the paths and lengths come out "
                "shorter than expected. The other DAG tests pass.",
            )
        ],
        question="Show me what I changed in dag.py since the last commit, and read the function it's in. "
        "Does that change explain every failure you saw?",
        preamble="Looking at the diff and the file.",
        calls=[
            Call("run_shell", {"command": "git diff -- networkx/algorithms/dag.py"}, diff),
            Call("read_file", {"path": "networkx/algorithms/dag.py"}, dag.read_text()),
        ],
        facts=[
            line_matching(diff, r"^-\s+maxu = max\(us"),
            line_matching(diff, r"^\+\s+maxu = min\(us"),
            line_matching(dag.read_text(), r"^def dag_longest_path\("),
            *sorted(by_class.values())[:2],
        ],
        origin="a multi-turn session on a scratch git repo of the installed networkx with a one-line "
        "bug: a real pytest run, then `git diff` and the file",
    )


@case("session_npm_tar_engine", "json_object", "real", "anthropic")
def session_npm_tar() -> Material:
    root = need(NPM_ROOT)
    versions = run(["grep", "-r", "--include=package.json", "-m1", '"version"', "node_modules/"], cwd=root)
    versions = "\n".join(sorted(versions.strip().split("\n")))
    manifest = read(root / "node_modules/tar/package.json")
    data = json.loads(manifest)
    engine = data.get("engines", {}).get("node")
    if not engine or "license" not in data:
        raise Skip("tar's package.json has no engines.node or license")
    return Material(
        history=[
            Turn(
                question="Which packages does the npm bundled with Node ship, at which versions? I'm "
                "especially interested in tar.",
                preamble="I'll read the version of every bundled package.",
                calls=[
                    Call(
                        "Grep",
                        {
                            "pattern": '"version"',
                            "path": f"{root}/node_modules",
                            "glob": "package.json",
                            "-m": 1,
                        },
                        versions,
                    )
                ],
                answer="The list above has one version line per bundled package; tar is among them, "
                "directly under node_modules/tar.",
            )
        ],
        question="And what Node.js engine range does that tar declare, and under which license is it "
        "published?",
        calls=[Call("Read", {"file_path": f"{root}/node_modules/tar/package.json"}, manifest, is_json=True)],
        facts=[value_fact(manifest, engine), value_fact(manifest, data["license"])],
        origin="a two-turn session: `grep -r '\"version\"'` over npm's bundled packages, then tar's "
        "package.json",
    )
