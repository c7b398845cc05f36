"""Open cases made like the classes of sealed cases that lost facts (SPLIT.md: when a sealed case
fails, first add a similar case of your own to the open split). Each is made from material the
corpus did not hold before, and none reads a sealed case: the class is what the failure list says
(an orders page kept as a JSON object with fraud flags, a Java method asked about, `git log -G` and
`git log -p` over a history, `git log -p` asked which errors a function raises, a TSV filtered by a
column's value, a tab-separated data file with a comment header where several rows match the codes
asked for, grep for a class's methods (also named in words), `python -X importtime`).

Each case's facts are chosen by the rule written in it, applied in code to the raw output before
anything is compressed.
"""

from __future__ import annotations

import datetime
import json
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from corpus_kit import (
    ENV,
    SITE,
    Call,
    Material,
    Skip,
    case,
    fresh_scratch,
    line_matching,
    read,
    run,
    run_stdout,
    value_fact,
)

from corpus_cases.core import jdk_source
from corpus_cases.git_history import commit_blocks, git_out, header_facts, release_repo
from corpus_cases.sources import body_of

# JSON objects with a rare flag -----------------------------------------------------------------

_FIRST = (
    "Amara Bruno Chen Dario Elif Farah Goran Hana Ivo Jonas Keiko Lena Mateo Nia Oskar Priya Rafa Sven"
).split()
_LAST = "Okafor Rossi Zhang Haddad Yilmaz Novak Tanaka Berg Silva Kowalski Murphy Dubois Ivanova Lund".split()
_CITIES = [
    ("Lyon", "FR", "69003"),
    ("Porto", "PT", "4050-262"),
    ("Leipzig", "DE", "04109"),
    ("Gdansk", "PL", "80-831"),
    ("Utrecht", "NL", "3511 LX"),
    ("Bilbao", "ES", "48001"),
    ("Turin", "IT", "10121"),
    ("Aarhus", "DK", "8000"),
]
_PRODUCTS = [
    ("TEA-OOL-250", "Oolong loose leaf 250 g", "14.50"),
    ("TEA-SEN-100", "Sencha tin 100 g", "11.90"),
    ("CUP-POR-2", "Porcelain cup pair", "24.00"),
    ("KET-IRN-08", "Cast iron kettle 0.8 l", "59.00"),
    ("FIL-PAP-100", "Paper filters x100", "4.20"),
    ("TEA-RBS-500", "Rooibos 500 g", "17.80"),
    ("GFT-BOX-S", "Gift box small", "6.00"),
    ("MAT-CER-1", "Matcha ceremonial 30 g", "27.50"),
]
_REASONS = ["billing_shipping_mismatch", "card_velocity", "proxy_ip", "new_account_high_value"]


def _person(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    return f"{first} {last}", f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@mail.example"


def _order(rng: random.Random, number: int, created: datetime.datetime) -> dict[str, object]:
    """One order as a shop's REST API writes it: totals as strings, nested customer, address and
    risk assessment, a list of line items."""
    name, email = _person(rng)
    city, country, postcode = rng.choice(_CITIES)
    items = []
    for product in rng.sample(_PRODUCTS, rng.randint(1, 4)):
        sku, title, price = product
        quantity = rng.randint(1, 3)
        items.append({"sku": sku, "title": title, "quantity": quantity, "price": price})
    subtotal = sum(float(str(i["price"])) * int(str(i["quantity"])) for i in items)
    tax = round(subtotal * 0.2, 2)
    score = round(rng.betavariate(1.2, 9), 2)
    return {
        "id": 5_830_000_000 + number * 37,
        "name": f"#{number}",
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "financial_status": rng.choices(
            ["paid", "pending", "refunded", "partially_refunded"], [80, 12, 5, 3]
        )[0],
        "fulfillment_status": rng.choices(["fulfilled", None, "partial"], [60, 35, 5])[0],
        "currency": "EUR",
        "subtotal_price": f"{subtotal:.2f}",
        "total_tax": f"{tax:.2f}",
        "total_price": f"{subtotal + tax:.2f}",
        "customer": {"id": 7_100_000 + rng.randint(0, 99_999), "name": name, "email": email},
        "shipping_address": {"city": city, "country_code": country, "zip": postcode},
        "line_items": items,
        "risk": {
            "score": score,
            "recommendation": "accept" if score < 0.5 else "investigate",
            "fraud_flag": False,
            "reasons": [],
        },
    }


@case("orders_page_risk_fraud_nested", "json_object", "synthetic", "openai")
def orders_page_risk() -> Material:
    rng = random.Random(4711)
    moments = datetime.datetime(2026, 11, 20, 7, 0, tzinfo=datetime.timezone.utc)
    orders = []
    for number in range(10401, 10451):
        moments += datetime.timedelta(minutes=rng.randint(3, 40))
        orders.append(_order(rng, number, moments))
    for order in rng.sample(orders, 4):
        risk = order["risk"]
        assert isinstance(risk, dict)
        risk.update(
            score=round(rng.uniform(0.86, 0.99), 2),
            recommendation="cancel",
            fraud_flag=True,
            reasons=rng.sample(_REASONS, 2),
        )
    page = {
        "orders": orders,
        "page_info": {
            "page": 9,
            "per_page": 50,
            "has_next_page": True,
            "next_cursor": "eyJsYXN0X2lkIjo1ODMwMzg0OTE3fQ",
        },
        "shop": {"domain": "leafandkettle.example", "currency": "EUR", "timezone": "Europe/Paris"},
    }
    output = json.dumps(page, indent=2)
    flagged = [o for o in orders if o["risk"]["fraud_flag"]]  # type: ignore[index]
    facts: list[str | list[str]] = []
    for order in flagged:
        facts.append(value_fact(output, str(order["name"])))
        facts.append(value_fact(output, order["customer"]["email"]))  # type: ignore[index]
    return Material(
        question="Which orders on this page did the risk check flag as fraud? I need the order numbers and "
        "the customers' emails so I can hold them.",
        calls=[
            Call(
                "http_get",
                {"url": "https://leafandkettle.example/admin/api/orders.json?page=9&limit=50"},
                output,
                is_json=True,
            )
        ],
        facts=facts,
        rule="for every order whose nested `risk.fraud_flag` is true: its `name` and its customer's `email`",
        origin="seeded generator: a shop's orders page (JSON object: orders, page_info, shop), each order "
        "with a nested risk assessment; a few flagged as fraud",
    )


@case("orders_map_flags_chargeback", "json_object", "synthetic", "anthropic")
def orders_map_flags() -> Material:
    rng = random.Random(8123)
    moments = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.timezone.utc)
    orders: dict[str, dict[str, object]] = {}
    for number in range(1, 61):
        moments += datetime.timedelta(minutes=rng.randint(5, 90))
        order = _order(rng, 88000 + number * 7, moments)
        order.pop("risk")
        order["flags"] = rng.choices([[], ["gift"], ["vip"], ["gift", "vip"]], [70, 15, 10, 5])[0]
        orders[f"ORD-{88000 + number * 7}"] = order
    marked = rng.sample(sorted(orders), 3)
    for key in marked:
        flags = orders[key]["flags"]
        assert isinstance(flags, list)
        orders[key]["flags"] = [*flags, "chargeback"]
    output = json.dumps({"as_of": "2026-11-06T00:00:00Z", "count": len(orders), "orders": orders}, indent=2)
    facts: list[str | list[str]] = [
        json.dumps(key)
        for key, order in orders.items()
        if "chargeback" in order["flags"]  # type: ignore[operator]
    ]
    return Material(
        question="Which of last week's orders carry a chargeback flag?",
        calls=[Call("Read", {"file_path": "exports/orders_week45.json"}, output, is_json=True)],
        facts=facts,
        rule="the key of every order whose `flags` list holds `chargeback`",
        origin="seeded generator: a week of orders as a JSON object keyed by order id, each with a list "
        "of flags; three carry `chargeback`",
    )


def _dpkg_records(status: str) -> list[dict[str, str]]:
    records = []
    for paragraph in status.strip().split("\n\n"):
        fields: dict[str, str] = {}
        for line in paragraph.split("\n"):
            found = re.match(r"^([A-Za-z-]+): ?(.*)$", line)
            if found:
                fields[found.group(1)] = found.group(2)
        if "Package" in fields:
            records.append(fields)
    return records


@case("dpkg_inventory_json_protected", "json_object", "real", "openai")
def dpkg_inventory_protected() -> Material:
    records = _dpkg_records(read(Path("/var/lib/dpkg/status")))
    packages: dict[str, dict[str, object]] = {}
    for fields in sorted(records, key=lambda f: f["Package"]):
        entry: dict[str, object] = {
            "version": fields.get("Version", ""),
            "architecture": fields.get("Architecture", ""),
            "installed_size_kib": int(fields.get("Installed-Size", "0") or 0),
            "priority": fields.get("Priority", ""),
            "section": fields.get("Section", ""),
            "essential": fields.get("Essential") == "yes",
            "protected": fields.get("Protected") == "yes",
        }
        packages[fields["Package"]] = entry
    if sum(bool(entry["protected"]) for entry in packages.values()) == 0:
        raise Skip("no protected package installed")
    output = json.dumps(
        {"host": "build-runner-03", "dpkg_status": "install ok installed", "packages": packages}
    )
    facts: list[str | list[str]] = [
        json.dumps(name) for name, entry in packages.items() if entry["protected"]
    ]
    return Material(
        question="Which installed packages are marked Protected, so apt refuses to remove them?",
        calls=[Call("run_shell", {"command": "pkg-inventory --json"}, output, is_json=True)],
        facts=facts,
        rule="the key (package name) of every entry whose `protected` is true",
        origin="/var/lib/dpkg/status of this machine as a JSON object keyed by package (version, "
        "architecture, installed size, priority, section, essential, protected)",
    )


# Java: a named method of a JDK class --------------------------------------------------------------


@case("java_futuretask_get_failures", "code", "real", "openai")
def java_futuretask_get() -> Material:
    path = "java.base/java/util/concurrent/FutureTask.java"
    text = jdk_source(path)
    report = body_of(text, r"^    private V report\(int s\)")
    timed = body_of(text, r"^    public V get\(long timeout, TimeUnit unit\)")
    return Material(
        question="What does FutureTask.get() throw when the task was cancelled, and what when the callable "
        "itself threw? And what does the timed get throw when it runs out of time?",
        calls=[Call("read_file", {"path": path}, text)],
        facts=[
            line_matching(report, r"throw new CancellationException\("),
            line_matching(report, r"throw new ExecutionException\("),
            line_matching(timed, r"throw new TimeoutException\("),
        ],
        rule="in the method the question names and the helper its `return` calls (`report`), the `throw` "
        "line for each failure the question names",
        origin=f"{path} from the JDK's src.zip",
    )


@case("java_forkjoin_timed_get", "code", "real", "anthropic")
def java_forkjoin_timed_get() -> Material:
    path = "java.base/java/util/concurrent/ForkJoinTask.java"
    text = jdk_source(path)
    signature = r"^    public final V get\(long timeout, TimeUnit unit\)"
    timed = body_of(text, signature)
    return Material(
        question="In ForkJoinTask, what does get(long timeout, TimeUnit unit) do when the wait times out, "
        "when the caller is interrupted, and when the task completed abnormally?",
        calls=[Call("Read", {"file_path": f"/usr/lib/jvm/src/{path}"}, text)],
        facts=[
            line_matching(timed, signature),
            line_matching(timed, r"throw new TimeoutException\("),
            line_matching(timed, r"throw new InterruptedException\("),
            line_matching(timed, r"reportException\("),
        ],
        rule="in the body of the overload the question names: its signature line, the `throw` line for "
        "each failure named and the line reporting the task's own exception",
        notes="the interrupted and abnormal lines read the same in the untimed get(); the signature "
        "locates the overload",
        origin=f"{path} from the JDK's src.zip",
    )


@case("java_forkjoin_get_exception_chain", "code", "real", "openai")
def java_forkjoin_get_chain() -> Material:
    path = "java.base/java/util/concurrent/ForkJoinTask.java"
    text = jdk_source(path)
    get = body_of(text, r"^    public final V get\(\) throws")
    report = body_of(text, r"^    private void reportException\(")
    if "getException(" not in report:
        raise Skip("reportException no longer goes through getException")
    made = body_of(text, r"^    private Throwable getException\(boolean")
    return Material(
        question="What exception does ForkJoinTask.get() throw for a task that was cancelled, and what for "
        "one whose computation threw? Walk me through where it is created.",
        calls=[Call("read_file", {"path": path}, text)],
        facts=[
            line_matching(get, r"reportException\("),
            line_matching(made, r"return new CancellationException\("),
            line_matching(made, r"new ExecutionException\("),
        ],
        rule="the line of the named method that reports the failure, and in the helpers it leads to "
        "(`reportException`, then `getException`), the line creating each exception the question asks about",
        origin=f"{path} from the JDK's src.zip",
    )


# git log -G and -p over public repositories' own histories -----------------------------------------

MIRRORS = Path("/work/.mirror")


def mirrored(owner: str, name: str, commit: str) -> Path:
    """The bare clone of a public repository (brought here by the workplace's fetch), which must hold
    `commit`: the log is read from that commit so a rebuild gives the same bytes."""
    repo = MIRRORS / f"{owner}+{name}" / "repo"
    if not repo.exists():
        raise Skip(f"no mirror of {owner}/{name}")
    git_out(repo, "cat-file", "-e", f"{commit}^{{commit}}")
    return repo


REQUESTS_AT = "1f6589ec3a1ee910f9a65cc3ceac60b26677bc0e"  # psf/requests main, 2026-08-03
MARKUPSAFE_AT = "1251593f6b0e3b45f2cc8aba662622bc22d6a5e2"  # pallets/markupsafe main, 2025-06-14


def _added(block: str, pattern: str) -> list[str]:
    return [line.rstrip() for line in block.split("\n") if line.startswith("+") and re.search(pattern, line)]


def _removed(block: str, pattern: str) -> list[str]:
    return [line.rstrip() for line in block.split("\n") if line.startswith("-") and re.search(pattern, line)]


@case("git_log_pG_requests_ca_bundle", "git_log", "real", "openai")
def git_log_pg_requests_ca_bundle() -> Material:
    repo = mirrored("psf", "requests", REQUESTS_AT)
    args = ["log", "-p", "-G", "REQUESTS_CA_BUNDLE", REQUESTS_AT, "--", "requests", "src/requests"]
    output = git_out(repo, *args)
    blocks = commit_blocks(output)
    first = blocks[-1]  # newest first: the oldest commit touching the name
    fallback = r"REQUESTS_CA_BUNDLE['\"]\) or\b"
    curl = [b for b in blocks if _added(b, fallback)][-1]
    return Material(
        question="When did requests first read REQUESTS_CA_BUNDLE from the environment, and which commit "
        "made it fall back to CURL_CA_BUNDLE when that one is unset? I need the commit hashes, the dates "
        "and the lines.",
        calls=[
            Call(
                "run_shell",
                {
                    "command": "git log -p -G REQUESTS_CA_BUNDLE -- requests src/requests",
                    "cwd": "~/src/requests",
                },
                output,
            )
        ],
        facts=[
            first.split("\n")[0],
            header_facts(first)[2],
            _added(first, r"REQUESTS_CA_BUNDLE")[0],
            curl.split("\n")[0],
            header_facts(curl)[2],
            _added(curl, fallback)[0],
        ],
        rule="the oldest commit of the pickaxe log (its `commit` and `Date:` lines and its added line naming "
        "the variable) and the oldest commit adding a line that reads REQUESTS_CA_BUNDLE `or` another "
        "(the same three)",
        origin="`git log -p -G REQUESTS_CA_BUNDLE` over psf/requests' own history (a public clone, read "
        f"from {REQUESTS_AT[:12]})",
    )


@case("git_log_p_markupsafe_soft_unicode", "git_log", "real", "anthropic")
def git_log_p_markupsafe_soft_unicode() -> Material:
    repo = mirrored("pallets", "markupsafe", MARKUPSAFE_AT)
    output = git_out(repo, "log", "-p", MARKUPSAFE_AT, "--", "src/markupsafe/__init__.py")
    blocks = commit_blocks(output)
    dropped = next(b for b in blocks if _removed(b, r"^-\s+from \._\w+ import soft_unicode\b"))  # newest
    moved = [b for b in blocks if _added(b, r"^\+def soft_str\(")][-1]  # oldest
    return Material(
        question="In markupsafe's history of src/markupsafe/__init__.py: which commit dropped the "
        "soft_unicode imports, and which one made soft_str a plain function defined in __init__.py? "
        "Hashes, dates and the lines, please.",
        calls=[Call("Bash", {"command": "git log -p -- src/markupsafe/__init__.py"}, output)],
        facts=[
            dropped.split("\n")[0],
            header_facts(dropped)[2],
            _removed(dropped, r"^-\s+from \._\w+ import soft_unicode\b")[0],
            moved.split("\n")[0],
            header_facts(moved)[2],
            _added(moved, r"^\+def soft_str\(")[0],
        ],
        rule="the newest commit removing a line that imports soft_unicode (its `commit` and `Date:` lines "
        "and the first such removed line) and the oldest commit adding `def soft_str(` (its `commit` and "
        "`Date:` lines and that line)",
        origin="`git log -p -- src/markupsafe/__init__.py` over pallets/markupsafe's own history (a public "
        f"clone, read from {MARKUPSAFE_AT[:12]})",
    )


REQUESTS_RELEASES = ("v2.26.0", "v2.27.0", "v2.28.0", "v2.28.2", "v2.29.0", "v2.30.0", "v2.31.0", "v2.32.0")
REQUESTS_RELEASES += ("v2.32.3", "v2.32.5", "v2.33.0", "v2.34.0")


def release_history(repo: Path, tags: tuple[str, ...], name: str) -> tuple[Path, str]:
    """A scratch clone sharing `repo`'s objects, with one commit per release tag (its tree, its
    commit's author and date, the message "Release X"): a history whose every commit is a whole
    upgrade, as a project's release tarballs make one. Returns the clone and the range from the first
    release to the newest (the first, a root commit, adds every file: no change to ask about)."""
    scratch = fresh_scratch(name)
    clone = scratch / "repo.git"
    git_out(scratch, "clone", "-q", "--bare", "--shared", str(repo), str(clone))
    parent: str | None = None
    first = ""
    for tag in tags:
        who = git_out(clone, "log", "-1", "--format=%an%n%ae%n%aI", tag).split("\n")
        env = {
            **ENV,
            "GIT_AUTHOR_NAME": who[0],
            "GIT_AUTHOR_EMAIL": who[1],
            "GIT_AUTHOR_DATE": who[2],
            "GIT_COMMITTER_NAME": who[0],
            "GIT_COMMITTER_EMAIL": who[1],
            "GIT_COMMITTER_DATE": who[2],
        }
        args = ["git", "commit-tree", f"{tag}^{{tree}}", *(["-p", parent] if parent else [])]
        done = subprocess.run(
            [*args, "-m", f"Release {tag.lstrip('v')}"], cwd=clone, env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise Skip(f"cannot commit release {tag}: {done.stderr[-300:]}")
        parent = done.stdout.strip()
        first = first or parent
    return clone, f"{first}..{parent}"


@case("git_log_pG_requests_releases_chardet", "git_log", "real", "anthropic")
def git_log_pg_requests_releases_chardet() -> Material:
    repo = mirrored("psf", "requests", REQUESTS_AT)
    clone, releases = release_history(repo, REQUESTS_RELEASES, "requests-releases")
    output = git_out(clone, "log", "-p", "-G", "chardet", releases, "--", "src/requests", "requests")
    blocks = commit_blocks(output)
    ceiling = r"^\+\s+# chardet_version >= [\d.]+, < "
    raised = [b for b in blocks if _added(b, ceiling)]
    optional = [b for b in blocks if _added(b, r"^\+\s+chardet = None$")][-1]
    facts: list[str | list[str]] = []
    for block in raised:
        facts += [block.split("\n")[0], header_facts(block)[2], _added(block, ceiling)[0]]
    facts += [optional.split("\n")[0], _added(optional, r"^\+\s+chardet = None$")[0]]
    return Material(
        question="Since 2.26.0, which requests releases raised the highest chardet version it accepts, and "
        "to what? And which release made chardet optional altogether? Commits, dates and the lines, please.",
        calls=[Call("Bash", {"command": "git log -p -G chardet v2.26.0.. -- src/requests requests"}, output)],
        facts=facts,
        rule="every commit adding a `# chardet_version >= X, < Y` line (its `commit` and `Date:` lines and "
        "that line) and the oldest commit adding `chardet = None` (its `commit` line and that line)",
        origin="`git log -p -G chardet v2.26.0..` over a scratch history of psf/requests with one commit "
        f"per release ({REQUESTS_RELEASES[0]}..{REQUESTS_RELEASES[-1]}: the tag's tree, author and date)",
    )


# tab-separated data ---------------------------------------------------------------------------


@case("zone_tab_iberia", "table", "real", "openai")
def zone_tab_iberia() -> Material:
    path = Path("/usr/share/zoneinfo/zone.tab")
    text = read(path)
    wanted = ("ES", "PT")
    facts: list[str | list[str]] = [
        line for line in text.split("\n") if not line.startswith("#") and line.split("\t")[0] in wanted
    ]
    if not facts:
        raise Skip("zone.tab lists no zone for ES or PT")
    return Material(
        question="Which time zones does zone.tab list for Spain (ES) and Portugal (PT), with their "
        "coordinates and comments?",
        calls=[Call("read_file", {"path": str(path)}, text)],
        facts=facts,
        rule="every data line whose first column (the country code) is one the question names",
        origin="tzdata's /usr/share/zoneinfo/zone.tab (comment header, then tab-separated rows)",
    )


@case("dpkg_query_tsv_priorities", "table", "real", "anthropic")
def dpkg_query_tsv_priorities() -> Material:
    fmt = "${Package}\\t${Version}\\t${Section}\\t${Priority}\\t${Installed-Size}\\n"
    output = run_stdout(["dpkg-query", "-W", "-f", fmt.replace("\\t", "\t").replace("\\n", "\n")])
    rows = [line.split("\t") for line in output.strip().split("\n")]
    counts = Counter(row[3] for row in rows)
    rare = {value for value, count in counts.items() if count <= 2}
    if not rare:
        raise Skip("no priority is held by two packages or fewer")
    header = "package\tversion\tsection\tpriority\tinstalled_kib\n"
    output = header + output
    facts: list[str | list[str]] = [
        line for line in output.split("\n") if line.split("\t")[3:4] and line.split("\t")[3] in rare
    ]
    return Material(
        question="Which installed packages have an unusual priority, not one of the common ones?",
        calls=[Call("Bash", {"command": f"dpkg-query -W -f '{fmt}'"}, output)],
        facts=facts,
        rule="every row whose priority value is held by at most two rows",
        origin="`dpkg-query -W -f` of this machine as a TSV with a header row",
    )


# grep for a class's methods ---------------------------------------------------------------------


def _methods_of(grep: str, owner: str, method: str) -> str:
    """The grep hit defining `method` inside `class owner` (the nearest class hit above it, same file)."""
    current: dict[str, str] = {}
    for line in grep.split("\n"):
        found = re.match(r"^([^:]+):\d+:(.*)$", line)
        if not found:
            continue
        path, code = found.groups()
        named = re.match(r"class (\w+)", code)
        if named:
            current[path] = named.group(1)
        elif current.get(path) == owner and re.match(rf"\s+(?:async )?def {method}\(", code):
            return line
    raise Skip(f"no {owner}.{method} in the grep output")


@case("grep_httpx_class_methods", "search", "real", "openai")
def grep_httpx_class_methods() -> Material:
    root = SITE / "httpx"
    if not root.exists():
        raise Skip("httpx not installed")
    command = ["grep", "-rn", "-E", r"^class |^    (async )?def ", "httpx/"]
    output = run_stdout(command, cwd=SITE)
    asked = (("Response", "raise_for_status"), ("Response", "iter_bytes"), ("Headers", "multi_items"))
    return Material(
        question="Where are Response.raise_for_status, Response.iter_bytes and Headers.multi_items defined "
        "in httpx? File and line for each.",
        calls=[Call("run_shell", {"command": "grep -rn -E '^class |^    (async )?def ' httpx/"}, output)],
        facts=[_methods_of(output, owner, method) for owner, method in asked],
        rule="for each `Class.method` the question names, the grep hit of its `def` under that class's "
        "hit in the same file",
        origin="`grep -rn` for class and method definitions over the installed httpx",
    )


# python -X importtime ------------------------------------------------------------------------------


@case("python_importtime_httpx", "shell", "real", "anthropic")
def python_importtime_httpx() -> Material:
    output = run([sys.executable, "-X", "importtime", "-c", "import httpx"])
    rows = [
        (int(found.group(1)), line.rstrip())
        for line in output.split("\n")
        if (found := re.match(r"^import time:\s+(\d+) \|\s+\d+ \|", line))
    ]
    if not rows:
        raise Skip("no importtime rows")
    slowest = max(rows)[1]
    top = next(line for _, line in rows if re.search(r"\|\s?httpx$", line))
    return Material(
        question="Importing httpx feels slow. Which single module has the largest self time, and what is "
        "httpx's own cumulative import time?",
        calls=[Call("Bash", {"command": 'python -X importtime -c "import httpx"'}, output)],
        facts=[slowest, top],
        rule="the row with the largest self time, and the row of the top-level package the question names",
        notes="a snapshot: timings change on every rebuild",
        origin="`python -X importtime -c 'import httpx'` in the workplace's venv",
    )


def _importtime_rows(output: str, modules: tuple[str, ...]) -> list[str | list[str]]:
    """The `import time:` row of each module named (its name is the row's last field, exactly)."""
    rows: list[str | list[str]] = []
    for module in modules:
        found = [
            line
            for line in output.split("\n")
            if re.match(rf"^import time:.*\|\s+{re.escape(module)}$", line)
        ]
        if not found:
            raise Skip(f"no importtime row for {module}")
        rows.append(found[0].rstrip())
    return rows


@case("python_importtime_fastapi_deps", "shell", "real", "openai")
def python_importtime_fastapi_deps() -> Material:
    output = run([sys.executable, "-X", "importtime", "-c", "import fastapi"])
    modules = ("pydantic", "anyio", "fastapi")
    return Material(
        question="`import fastapi` is slow at start-up. How much of it is pydantic and anyio (cumulative "
        "microseconds each), and what is fastapi's own total?",
        calls=[Call("exec_command", {"cmd": 'python -X importtime -c "import fastapi"'}, output)],
        facts=_importtime_rows(output, modules),
        rule="the `import time:` row of each module the question names (its name is the row's last field)",
        notes="a snapshot: timings change on every rebuild",
        origin="`python -X importtime -c 'import fastapi'` in the workplace's venv",
    )


@case("python_importtime_networkx_self_time", "shell", "real", "openai")
def python_importtime_networkx_self_time() -> Material:
    output = run([sys.executable, "-X", "importtime", "-c", "import networkx"])
    rows = [
        (int(found.group(1)), line.rstrip())
        for line in output.split("\n")
        if (found := re.match(r"^import time:\s+(\d+) \|\s+\d+ \|", line))
    ]
    if not rows:
        raise Skip("no importtime rows")
    return Material(
        question="Importing networkx is slow. What does networkx.algorithms cost cumulatively, and "
        "which module has the largest self time?",
        calls=[Call("shell", {"command": 'python -X importtime -c "import networkx"'}, output)],
        facts=[*_importtime_rows(output, ("networkx.algorithms",)), max(rows)[1]],
        rule="the `import time:` row of the module the question names (its name is the row's last "
        "field), and the row with the largest self time",
        notes="a snapshot: timings change on every rebuild",
        origin="`python -X importtime -c 'import networkx'` in the workplace's venv",
    )


@case("python_importtime_anthropic_tail", "shell", "real", "anthropic")
def python_importtime_anthropic_tail() -> Material:
    full = run([sys.executable, "-X", "importtime", "-c", "import anthropic"])
    command = 'python -X importtime -c "import anthropic"'
    output = "\n".join(full.rstrip("\n").split("\n")[-2000:]) + "\n"  # `| tail -n 2000`: no header row
    rows = [
        (int(found.group(1)), line.rstrip())
        for line in output.split("\n")
        if (found := re.match(r"^import time:\s+(\d+) \|\s+\d+ \|", line))
    ]
    if not rows:
        raise Skip("no importtime rows")
    return Material(
        question="Importing anthropic takes almost two seconds. Which module has the largest self time, "
        "and what does anthropic._client cost cumulatively?",
        calls=[Call("Bash", {"command": f"{command} 2>&1 | tail -n 2000"}, output)],
        facts=[max(rows)[1], *_importtime_rows(output, ("anthropic._client",))],
        rule="the row with the largest self time, and the `import time:` row of the module the question "
        "names (its name is the row's last field)",
        notes="a snapshot: timings change on every rebuild",
        origin="the last 2,000 lines of `python -X importtime -c 'import anthropic'` in the workplace's venv",
    )


# a column's value named: every row holding it -------------------------------------------------------


def _rows_where(text: str, column: int, values: tuple[str, ...]) -> list[str | list[str]]:
    """Every data line (not a `#` comment) whose tab-separated `column` is one of `values`."""
    rows: list[str | list[str]] = [
        line
        for line in text.split("\n")
        if line
        and not line.startswith("#")
        and line.split("\t")[column : column + 1] in [[v] for v in values]
    ]
    if not rows:
        raise Skip(f"no row holds {values}")
    return rows


@case("zone_tab_canada_mexico", "table", "real", "anthropic")
def zone_tab_canada_mexico() -> Material:
    path = Path("/usr/share/zoneinfo/zone.tab")
    text = read(path)
    return Material(
        question="What time zones are there for CA and MX? I need each one's TZ name and comment.",
        calls=[Call("Read", {"file_path": str(path)}, text)],
        facts=_rows_where(text, 0, ("CA", "MX")),
        rule="every data line whose first column (the country code) is one the question names",
        origin="tzdata's /usr/share/zoneinfo/zone.tab (a 27-line comment block, then tab-separated rows)",
    )


@case("iso3166_tab_common_word_codes", "table", "real", "openai")
def iso3166_tab_common_word_codes() -> Material:
    path = Path("/usr/share/zoneinfo/iso3166.tab")
    text = read(path)
    codes = ("AT", "IT", "NO", "IN", "BE", "TO")
    return Material(
        question="Which countries do the codes AT, IT, NO, IN, BE and TO stand for in iso3166.tab?",
        calls=[Call("read_file", {"path": str(path)}, text)],
        facts=_rows_where(text, 0, codes),
        rule="every data line whose first column (the country code) is one the question names",
        origin="tzdata's /usr/share/zoneinfo/iso3166.tab (a comment block, then code<TAB>name rows)",
    )


@case("dpkg_query_tsv_sections_perl_java", "table", "real", "openai")
def dpkg_query_tsv_sections_perl_java() -> Material:
    fmt = "${Package}\\t${Version}\\t${Section}\\t${Architecture}\\t${Multi-Arch}\\t${Installed-Size}\\n"
    output = run_stdout(["dpkg-query", "-W", "-f", fmt.replace("\\t", "\t").replace("\\n", "\n")])
    output = "package\tversion\tsection\tarch\tmulti_arch\tinstalled_kib\n" + output
    return Material(
        question="Which installed packages are in the perl and java sections? Name and version.",
        calls=[Call("Bash", {"command": f"dpkg-query -W -f '{fmt}'"}, output)],
        facts=_rows_where(output, 2, ("perl", "java")),
        rule="every row whose section column is one the question names",
        origin="`dpkg-query -W -f` of this machine as a TSV with a header row",
    )


@case("litellm_models_tsv_search_ocr", "table", "real", "anthropic")
def litellm_models_tsv_search_ocr() -> Material:
    prices = json.loads(read(SITE / "litellm" / "model_prices_and_context_window_backup.json"))
    rows = [
        f"{name}\t{entry.get('litellm_provider', '')}\t{entry['mode']}\t{entry.get('max_input_tokens', '')}"
        for name, entry in sorted(prices.items())
        if isinstance(entry, dict) and entry.get("mode") not in (None, "chat") and name != "sample_spec"
    ]
    output = "model\tprovider\tmode\tmax_input_tokens\n" + "\n".join(rows)
    return Material(
        question="Which models are of mode search and ocr, and which provider serves each?",
        calls=[Call("Bash", {"command": "python export_models.py --exclude-mode chat --format tsv"}, output)],
        facts=_rows_where(output, 2, ("search", "ocr")),
        rule="every row whose mode column is one the question names",
        origin="litellm's model_prices_and_context_window_backup.json (installed), its non-chat models "
        "as a TSV",
    )


# git log -p: the errors a named function raises -----------------------------------------------------


def _enclosing_def(source: str, line_number: int) -> str | None:
    """The name of the innermost `def` a line (from 1) of Python source stands in, by indentation."""
    lines = source.split("\n")
    indent = len(lines[line_number - 1]) - len(lines[line_number - 1].lstrip())
    for line in reversed(lines[: line_number - 1]):
        found = re.match(r"^(\s*)(?:async )?def (\w+)\(", line)
        if found and len(found.group(1)) < indent:
            return found.group(2)
        if line.strip() and len(line) - len(line.lstrip()) < indent:
            indent = len(line) - len(line.lstrip())  # walked out to an outer block
            if re.match(r"^\s*class ", line):
                return None
    return None


def _raises_added_in(repo: Path, block: str, function: str) -> list[str]:
    """The added `raise` lines of a `git log -p` commit that stand in `function` in that commit's file."""
    sha = block.split("\n")[0].split()[1]
    found: list[str] = []
    path = new_line = None
    source = ""
    lines = block.split("\n")
    for at, line in enumerate(lines):
        if line.startswith("+++ b/"):
            path = line[6:]
            source = git_out(repo, "show", f"{sha}:{path}")
        elif hunk := re.match(r"^@@ -\d+(?:,\d+)? \+(\d+)", line):
            new_line = int(hunk.group(1))
        elif new_line is not None and path and line[:1] in (" ", "+"):
            raising = line.startswith("+") and re.match(r"^\+\s+raise ", line)
            if raising and _enclosing_def(source, new_line) == function:
                # `raise OSError(` alone occurs in many places: with its message's line it is one.
                following = lines[at + 1] if at + 1 < len(lines) else ""
                opened = line.rstrip().endswith("(") and following.startswith("+")
                found.append(line.rstrip() + ("\n" + following.rstrip() if opened else ""))
            new_line += 1
    return found


@case("git_log_p_requests_cert_verify_errors", "git_log", "real", "openai")
def git_log_p_requests_cert_verify_errors() -> Material:
    repo = mirrored("psf", "requests", REQUESTS_AT)
    output = git_out(
        repo, "log", "-p", "v2.10.0..v2.32.0", "--", "requests/adapters.py", "src/requests/adapters.py"
    )
    facts: list[str | list[str]] = []
    for block in commit_blocks(output):
        raised = _raises_added_in(repo, block, "cert_verify")
        if raised:
            facts += [block.split("\n")[0], raised[0]]
    if not facts:
        raise Skip("no commit adds a raise to cert_verify")
    return Material(
        question="Between requests 2.10 and 2.32, which commits changed the errors HTTPAdapter.cert_verify "
        "raises, and what does each raise now? Hashes and the raise lines, please.",
        calls=[
            Call(
                "Bash",
                {"command": "git log -p v2.10.0..v2.32.0 -- requests/adapters.py src/requests/adapters.py"},
                output,
            )
        ],
        facts=facts,
        rule="every commit adding a `raise` line that stands in `cert_verify` in that commit's file (by "
        "indentation from the nearest `def` above it): its `commit` line and its first such added line "
        "(with the next added line when the raise opens a parenthesis)",
        origin="`git log -p v2.10.0..v2.32.0` of adapters.py over psf/requests' own history (a public clone)",
    )


@case("git_log_p_requests_prepare_url_errors", "git_log", "real", "anthropic")
def git_log_p_requests_prepare_url_errors() -> Material:
    repo = mirrored("psf", "requests", REQUESTS_AT)
    paths = ("requests/models.py", "src/requests/models.py")
    output = git_out(repo, "log", "-p", "v2.10.0..v2.32.0", "--", *paths)
    facts: list[str | list[str]] = []
    for block in commit_blocks(output):
        raised = _raises_added_in(repo, block, "prepare_url")
        if raised:
            facts += [block.split("\n")[0], raised[0]]
    if not facts:
        raise Skip("no commit adds a raise to prepare_url")
    return Material(
        question="Which exceptions has PreparedRequest.prepare_url raised since requests 2.10, and which "
        "commits changed them? I need the commit hashes and the raise lines.",
        calls=[Call("Bash", {"command": f"git log -p v2.10.0..v2.32.0 -- {' '.join(paths)}"}, output)],
        facts=facts,
        rule="every commit adding a `raise` line that stands in `prepare_url` in that commit's file (by "
        "indentation from the nearest `def` above it): its `commit` line and its first such added line "
        "(with the next added line when the raise opens a parenthesis)",
        origin="`git log -p v2.10.0..v2.32.0` of models.py over psf/requests' own history (a public clone)",
    )


# grep for a class's methods, named in words ---------------------------------------------------------


def _grep_definitions(root: Path, package: str) -> str:
    if not (root / package).exists():
        raise Skip(f"{package} not installed under {root}")
    return run_stdout(["grep", "-rn", "-E", r"^\s*(class|def) ", f"{package}/"], cwd=root)


@case("grep_httplib2_methods_in_words", "search", "real", "anthropic")
def grep_httplib2_methods_in_words() -> Material:
    root = Path("/usr/lib/python3/dist-packages")
    output = _grep_definitions(root, "httplib2")
    asked = (("Http", "request"), ("Credentials", "add"))
    return Material(
        question="Where is the request method of Http defined, and the add method of Credentials? File and "
        "line, please.",
        calls=[
            Call(
                "Bash",
                {"command": "cd /usr/lib/python3/dist-packages && grep -rn -E '^\\s*(class|def) ' httplib2/"},
                output,
            )
        ],
        facts=[_methods_of(output, owner, method) for owner, method in asked],
        rule="for each method the question names in words (the M method of C), the grep hit of its `def` "
        "under that class's hit in the same file",
        origin="`grep -rn` for class and method definitions over Debian's python3-httplib2",
    )


@case("grep_click_methods_in_words", "search", "real", "openai")
def grep_click_methods_in_words() -> Material:
    output = _grep_definitions(SITE, "click")
    asked = (("Context", "invoke"), ("Option", "get_default"))
    return Material(
        question="Where is the invoke method of Context, and the get_default method of Option?",
        calls=[Call("run_shell", {"command": "grep -rn -E '^\\s*(class|def) ' click/"}, output)],
        facts=[_methods_of(output, owner, method) for owner, method in asked],
        rule="for each method the question names in words (the M method of C), the grep hit of its `def` "
        "under that class's hit in the same file",
        origin="`grep -rn` for class and method definitions over the installed click",
    )


# Orders pages whose flag is not rare, or whose page is short ----------------------------------
#
# The class of a sealed orders page that lost flagged orders, made again: a storefront's REST page
# (a JSON object: page fields and an `orders` array) whose orders carry forty-odd fields each, the
# flag among the last of them; flagged in more than a rare few of the orders, or on a page of a
# dozen orders that a budget still has to cut.

_SHOP_FIRST = "Ana Ben Cleo Dev Eva Finn Gia Hugo Ines Jai Kai Lia Max Noor Omar Pia Quinn Rosa".split()
_SHOP_LAST = "Abe Brandt Costa Diaz Eriksen Fox Gomez Hill Ito Jensen Kaur Lopez".split()
_SHOP_SKUS = ["SKU-BAG-01", "SKU-MUG-12", "SKU-CAP-03", "SKU-TEE-M", "SKU-TEE-L", "SKU-PIN-05", "SKU-NB-A5"]


def _storefront_order(rng: random.Random, number: int, created: datetime.datetime) -> dict[str, object]:
    """One order as a storefront's REST API writes it: forty-odd top-level fields (ids, tokens,
    prices as strings, statuses, timestamps), then its line items."""
    first, last = rng.choice(_SHOP_FIRST), rng.choice(_SHOP_LAST)
    email = f"{first.lower()}.{last.lower()}{number % 97}@example.net"
    order_id = 4_400_000_000 + number * 13
    stamp = created.isoformat()
    items = [
        {
            "id": rng.randint(10**9, 2 * 10**9),
            "sku": sku,
            "quantity": rng.randint(1, 4),
            "price": f"{rng.uniform(3, 90):.2f}",
        }
        for sku in rng.sample(_SHOP_SKUS, rng.randint(1, 3))
    ]
    subtotal = sum(float(str(i["price"])) * int(str(i["quantity"])) for i in items)
    return {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shop/Order/{order_id}",
        "app_id": 580111,
        "browser_ip": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "buyer_accepts_marketing": rng.random() < 0.3,
        "cancel_reason": None,
        "cancelled_at": None,
        "cart_token": f"c{rng.getrandbits(48):012x}",
        "checkout_id": 2_200_000 + number,
        "confirmed": True,
        "contact_email": email,
        "created_at": stamp,
        "currency": "USD",
        "current_subtotal_price": f"{subtotal:.2f}",
        "current_total_discounts": "0.00",
        "current_total_price": f"{subtotal * 1.08:.2f}",
        "current_total_tax": f"{subtotal * 0.08:.2f}",
        "customer_locale": "en",
        "email": email,
        "estimated_taxes": False,
        "financial_status": rng.choices(["paid", "pending", "refunded"], [85, 10, 5])[0],
        "fulfillment_status": rng.choice([None, "fulfilled"]),
        "gateway": "shop_payments",
        "landing_site": "/",
        "name": f"#{number}",
        "number": number - 1000,
        "order_number": number,
        "processed_at": stamp,
        "source_name": "web",
        "tags": "",
        "taxes_included": False,
        "test": False,
        "token": f"{rng.getrandbits(64):016x}",
        "total_weight": rng.randint(100, 3000),
        "updated_at": stamp,
        "line_items": items,
    }


def _storefront_orders(seed: int, first: int, count: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    moment = datetime.datetime(2026, 10, 1, 8, 0, tzinfo=datetime.timezone.utc)
    orders = []
    for number in range(first, first + count):
        moment += datetime.timedelta(minutes=rng.randint(2, 50))
        orders.append(_storefront_order(rng, number, moment))
    return orders


def _flagged_facts(
    output: str, orders: list[dict[str, object]], flagged: list[bool]
) -> list[str | list[str]]:
    facts: list[str | list[str]] = []
    for order, is_flagged in zip(orders, flagged, strict=True):
        if is_flagged:
            facts.append(value_fact(output, str(order["name"])))
            facts.append(value_fact(output, str(order["email"])))
    return facts


@case("orders_page_flagged_many_fields", "json_object", "synthetic", "openai")
def orders_page_flagged_many_fields() -> Material:
    orders = _storefront_orders(seed=3, first=2100, count=24)
    marked = set(random.Random(31).sample(range(len(orders)), 7))  # 7 of 24: no rare value
    for position, order in enumerate(orders):
        order["flagged"] = position in marked  # the last field, past the line items
    page = {"page": 4, "per_page": 24, "total_count": 812, "orders": orders, "links": {"next": "?page=5"}}
    output = json.dumps(page, indent=2)
    return Material(
        question="Which orders on this page have the fraud flag set? List their names and customer emails.",
        calls=[
            Call(
                "http_get",
                {"url": "https://shop.example/admin/api/2026-10/orders.json?page=4&limit=24"},
                output,
                is_json=True,
            )
        ],
        facts=_flagged_facts(output, orders, [bool(order["flagged"]) for order in orders]),
        rule="for every order whose `flagged` is true: its `name` and its `email`",
        origin="seeded generator: a storefront's orders page (JSON object: page fields, `orders`, links), "
        "orders of forty-odd fields; 7 of 24 flagged, in the last field",
    )


@case("orders_page_short_nested_fraud", "json_object", "synthetic", "anthropic")
def orders_page_short_nested_fraud() -> Material:
    orders = _storefront_orders(seed=7, first=5300, count=12)
    rng = random.Random(71)
    marked = set(rng.sample(range(len(orders)), 3))
    for position, order in enumerate(orders):
        if position in marked:
            order["fraud"] = {"score": round(rng.uniform(0.8, 1.0), 2), "flagged": True}
        else:
            order["fraud"] = {"score": round(rng.uniform(0.0, 0.4), 2), "flagged": False}
    page = {"page": 1, "per_page": 12, "has_more": False, "orders": orders}
    output = json.dumps(page, indent=2)
    return Material(
        question="Which of today's orders were flagged for fraud? Give me each order's name and email so "
        "I can hold the shipments.",
        calls=[Call("fetch_orders", {"date": "2026-10-01", "limit": 12}, output, is_json=True)],
        facts=_flagged_facts(output, orders, [order["fraud"]["flagged"] for order in orders]),  # type: ignore[index]
        rule="for every order whose nested `fraud.flagged` is true: its `name` and its `email`",
        origin="seeded generator: a short storefront orders page (12 orders of forty-odd fields, each "
        "with a nested fraud assessment); 3 flagged",
    )


@case("orders_array_short_flagged", "json_array", "synthetic", "openai")
def orders_array_short_flagged() -> Material:
    orders = _storefront_orders(seed=11, first=7700, count=10)
    marked = set(random.Random(111).sample(range(len(orders)), 4))
    for position, order in enumerate(orders):
        order["fraud_flag"] = position in marked
    output = json.dumps(orders, indent=2)
    return Material(
        question="Which of these orders carry a fraud flag? Their names and emails, please.",
        calls=[
            Call("run_shell", {"command": "shopctl orders list --status open --json"}, output, is_json=True)
        ],
        facts=_flagged_facts(output, orders, [bool(order["fraud_flag"]) for order in orders]),
        rule="for every order whose `fraud_flag` is true: its `name` and its `email`",
        origin="seeded generator: ten storefront orders as a JSON array (forty-odd fields each); 4 with "
        "`fraud_flag` true",
    )


@case("orders_page_flagged_in_a_word", "json_object", "synthetic", "anthropic")
def orders_page_flagged_in_a_word() -> Material:
    orders = _storefront_orders(seed=13, first=3100, count=30)
    marked = set(random.Random(131).sample(range(len(orders)), 3))  # 3 of 30: past the rare share
    for position, order in enumerate(orders):
        order["fraud_flag"] = position in marked  # past the 24 fields the record rules read
    page = {"page": 2, "per_page": 30, "orders": orders, "next_page": 3}
    output = json.dumps(page, indent=2)
    return Material(
        question="Which orders on this page were flagged? I need their names and emails.",
        calls=[
            Call(
                "http_get", {"url": "https://shop.example/admin/api/orders.json?page=2"}, output, is_json=True
            )
        ],
        facts=_flagged_facts(output, orders, [bool(order["fraud_flag"]) for order in orders]),
        rule="for every order whose `fraud_flag` is true: its `name` and its `email`",
        origin="seeded generator: a storefront's orders page (30 orders of forty-odd fields); 3 with "
        '`fraud_flag` true, the question naming one word of the field ("flagged")',
    )


# TSV package listings asked for the rows whose name holds a text -------------------------------
#
# The class of a sealed TSV listing that lost a row: packages whose name holds a word the question
# gives ("with json in their name") and a column of theirs (the licence). The word stands inside
# the names as often as apart (`jsonparse`, `@npmcli/package-json`, `httpcore`).


def _tsv(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join("\t".join(cells) for cells in [header, *rows]) + "\n"


def _one_line(text: object) -> str:
    return " ".join(str(text or "").split())


def _npm_bundled_rows() -> list[list[str]]:
    """name, version, licence, description of every package.json under npm's node_modules."""
    root = Path("/usr/lib/node_modules/npm/node_modules")
    if not root.exists():
        raise Skip("npm is not installed")
    rows: set[tuple[str, str, str, str]] = set()
    for manifest in sorted(root.glob("**/package.json")):
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            continue
        if not isinstance(data, dict) or "name" not in data or "version" not in data:
            continue
        licence = data.get("license") or ""
        if isinstance(licence, dict):
            licence = licence.get("type", "")
        rows.add(
            (
                str(data["name"]),
                str(data["version"]),
                _one_line(licence),
                _one_line(data.get("description"))[:100],
            )
        )
    return [list(row) for row in sorted(rows)]


def _name_rows_facts(rows: list[list[str]], text: str, cells: int = 3) -> list[str | list[str]]:
    """Each row whose name (the first cell) holds `text` anywhere, in any case: its first cells as
    the listing writes them, tab-separated."""
    facts: list[str | list[str]] = ["\t".join(row[:cells]) for row in rows if text in row[0].lower()]
    if not facts:
        raise Skip(f"no name holds {text!r}")
    return facts


@case("npm_bundled_tsv_json_licences", "table", "real", "openai")
def npm_bundled_tsv_json_licences() -> Material:
    rows = _npm_bundled_rows()
    output = _tsv(["name", "version", "license", "description"], rows)
    return Material(
        question="Which of the packages npm bundles have json in their name, and what licence does each "
        "carry?",
        calls=[
            Call(
                "run_shell",
                {"command": "npm-bundled-licences --tsv /usr/lib/node_modules/npm/node_modules"},
                output,
            )
        ],
        facts=_name_rows_facts(rows, "json"),
        rule="every row whose name holds `json` anywhere (any case): its name, version and licence cells",
        origin="every package.json under npm's bundled node_modules on this machine, as a TSV of name, "
        "version, licence and description",
    )


def _python_dist_rows() -> list[list[str]]:
    """name, version, licence, summary of every distribution installed in the project's environment."""
    import importlib.metadata

    rows: set[tuple[str, str, str, str]] = set()
    for dist in importlib.metadata.distributions(path=[str(SITE)]):
        meta = dist.metadata
        licence = meta.get("License-Expression") or meta.get("License") or ""
        first = licence.strip().splitlines()[0] if licence.strip() else ""
        rows.add(
            (str(meta["Name"]), dist.version, _one_line(first)[:60], _one_line(meta.get("Summary"))[:100])
        )
    if len(rows) < 40:
        raise Skip("too few distributions installed")
    return [list(row) for row in sorted(rows, key=lambda row: (row[0].lower(), row))]


@case("python_dists_tsv_core_licences", "table", "real", "anthropic")
def python_dists_tsv_core_licences() -> Material:
    rows = _python_dist_rows()
    output = _tsv(["name", "version", "license", "summary"], rows)
    return Material(
        question="Which installed distributions have core in their name, and under which licence is each?",
        calls=[Call("Bash", {"command": "pip-licences --format tsv"}, output)],
        facts=_name_rows_facts(rows, "core"),
        rule="every row whose name holds `core` anywhere (any case): its name, version and licence cells",
        origin="the metadata of every distribution installed in the project's environment (name, version, "
        "License-Expression or License's first line, Summary) as a TSV",
    )


@case("maven_tsv_json_artifacts", "table", "real", "openai")
def maven_tsv_json_artifacts() -> Material:
    text = read(Path("/work/.library/env/packages/maven-partial.tsv"))
    lines = text.rstrip("\n").split("\n")
    header = ["group:artifact", "newest_version_that_resolved", "newest_versions_served"]
    rows = [line.split("\t")[:3] for line in lines[1:] if line.count("\t") >= 1]
    rows = [row + [""] * (3 - len(row)) for row in rows][:1500]
    output = _tsv(header, rows)
    return Material(
        question="Which artifacts in this Maven listing have json in their name, and which version resolved "
        "for each?",
        calls=[Call("run_shell", {"command": "cut -f1-3 maven-partial.tsv | head -1501"}, output)],
        facts=_name_rows_facts(rows, "json", cells=2),
        rule="every row whose group:artifact holds `json` anywhere (any case): its name and resolved version",
        origin="the first 1,500 rows of the workplace's Maven package list TSV (its first three columns)",
    )


# grep for every method of a named class --------------------------------------------------------
#
# The class of a sealed `grep -n` over a Python package asked for the methods of a named class:
# the answer is every `def` hit directly under that class's hit, however many there are.


def _all_methods_of(grep: str, owner: str) -> list[str | list[str]]:
    """Every grep hit of a `def` one level inside `class owner` (4 spaces deeper than its `class`
    hit, same file, before the file's next hit at the class's depth or less)."""
    facts: list[str | list[str]] = []
    inside: tuple[str, int] | None = None
    for line in grep.split("\n"):
        found = re.match(r"^([^:]+):\d+:(\s*)(class|def|async def) (\w+)", line)
        if not found:
            continue
        path, indent, kind, name = found.groups()
        if inside is not None and (path != inside[0] or len(indent) <= inside[1]):
            inside = None
        if kind == "class" and name == owner:
            inside = (path, len(indent))
        elif inside is not None and kind != "class" and len(indent) == inside[1] + 4:
            facts.append(line)
    if len(facts) < 3:
        raise Skip(f"class {owner} has fewer than 3 methods in the grep output")
    return facts


def _grep_class_methods_case(package: str, owner: str, question: str) -> Material:
    output = _grep_definitions(SITE, package)
    return Material(
        question=question,
        calls=[Call("run_shell", {"command": f"grep -rn -E '^\\s*(class|def) ' {package}/"}, output)],
        facts=_all_methods_of(output, owner),
        rule="every grep hit of a `def` directly inside the named class's hit (one level deeper, same file)",
        origin=f"`grep -rn` for class and method definitions over the installed {package}",
    )


@case("grep_requests_adapter_all_methods", "search", "real", "openai")
def grep_requests_adapter_all_methods() -> Material:
    return _grep_class_methods_case(
        "requests", "HTTPAdapter", "What methods does the HTTPAdapter class define? File and line for each."
    )


@case("grep_jinja2_environment_methods", "search", "real", "anthropic")
def grep_jinja2_environment_methods() -> Material:
    return _grep_class_methods_case(
        "jinja2", "Environment", "List the methods of Environment, with their lines."
    )


@case("grep_urllib3_poolmanager_methods", "search", "real", "openai")
def grep_urllib3_poolmanager_methods() -> Material:
    return _grep_class_methods_case("urllib3", "PoolManager", "Which methods does PoolManager have?")


# git log -p asked for the errors of a named concept ----------------------------------------------
#
# The class of a sealed `git log -p` of a Python project asked about the errors related to a named
# concept: the answer is every changed line that raises, catches or defines an error of that
# concept, whose names hold the concept's word inside an identifier (`_TimeoutError`).

_CONCEPT_ERROR = r"^[+-]\s*(?:raise|except|class)\b.*(?:{words})"


def _concept_error_facts(log: str, words: str) -> list[str | list[str]]:
    """For every commit changing such a line: its `commit` line, then each changed line that raises,
    catches or defines a class (`raise`, `except`, `class`) and holds one of `words` (a regex, any
    case), once each."""
    pattern = re.compile(_CONCEPT_ERROR.format(words=words), re.IGNORECASE)
    facts: list[str | list[str]] = []
    for block in commit_blocks(log):
        lines = [
            line.rstrip()
            for line in block.split("\n")
            if pattern.match(line) and not line.startswith(("+++ ", "--- "))
        ]
        if lines:
            facts += [block.split("\n")[0].rstrip(), *dict.fromkeys(lines)]
    if len(facts) < 4:
        raise Skip(f"too few error lines about {words!r}")
    return facts


URLLIB3_RELEASES = ("2.0.0", "2.0.7", "2.1.0", "2.2.0", "2.2.3", "2.3.0")


@case("git_log_p_urllib3_contrib_timeout_errors", "git_log", "real", "openai")
def git_log_p_urllib3_timeout_errors() -> Material:
    repo, _ = release_repo("urllib3", URLLIB3_RELEASES)
    first = git_out(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    output = git_out(repo, "log", "-p", f"{first}..", "--", "src/urllib3/contrib")
    return Material(
        question="Since urllib3 2.0.0, which releases changed the errors urllib3's contrib modules raise or "
        "catch for timeouts? Commits and the lines, please.",
        calls=[Call("run_shell", {"command": "git log -p 2.0.0.. -- src/urllib3/contrib"}, output)],
        facts=_concept_error_facts(output, r"timeout|timed out"),
        rule="every commit changing a line that raises, catches or defines a class and holds `timeout` or "
        "`timed out` (any case): its `commit` line and each such line",
        origin="`git log -p` of src/urllib3/contrib in a scratch git repository of urllib3's releases "
        f"{URLLIB3_RELEASES[0]} to {URLLIB3_RELEASES[-1]} (one commit per PyPI sdist)",
    )


JINJA2_RELEASES = ("3.0.0", "3.0.3", "3.1.0", "3.1.2", "3.1.4", "3.1.6")


@case("git_log_p_jinja2_template_not_found_errors", "git_log", "real", "anthropic")
def git_log_p_jinja2_not_found_errors() -> Material:
    repo, _ = release_repo("jinja2", JINJA2_RELEASES)
    first = git_out(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    output = git_out(repo, "log", "-p", f"{first}..", "--", "src/jinja2")
    return Material(
        question="Since Jinja 3.0.0, which releases changed the errors raised or caught when a template is "
        "not found? Commits and the lines, please.",
        calls=[Call("Bash", {"command": "git log -p 3.0.0.. -- src/jinja2"}, output)],
        facts=_concept_error_facts(output, r"not ?found"),
        rule="every commit changing a line that raises, catches or defines a class and holds `not found` or "
        "`notfound` (any case): its `commit` line and each such line",
        origin="`git log -p` of src/jinja2 in a scratch git repository of Jinja2's releases "
        f"{JINJA2_RELEASES[0]} to {JINJA2_RELEASES[-1]} (one commit per PyPI sdist)",
    )


# Java: a method named in words, whose answer lies in the helper it calls -------------------------
#
# The class of a sealed Java source asked what a named method of a class does or throws: here the
# method is named in words ("the put method of ArrayBlockingQueue"), and part of the answer is in
# the private helper it calls, which the dotted name (`ArrayBlockingQueue.put`) already brought.


@case("java_arrayblockingqueue_put_in_words", "code", "real", "anthropic")
def java_arrayblockingqueue_put_in_words() -> Material:
    path = "java.base/java/util/concurrent/ArrayBlockingQueue.java"
    text = jdk_source(path)
    put = body_of(text, r"^    public void put\(E e\) throws")
    enqueue = body_of(text, r"^    private void enqueue\(E e\)")
    return Material(
        question="What does the put method of ArrayBlockingQueue do while the queue is full, and how does it "
        "wake a waiting taker?",
        calls=[Call("Read", {"file_path": f"/usr/lib/jvm/src/{path}"}, text)],
        facts=[
            line_matching(put, r"notFull\.await\(\)"),
            line_matching(put, r"enqueue\(e\)"),
            line_matching(enqueue, r"notEmpty\.signal\(\)"),
        ],
        rule="in the method the question names: the line waiting while full and the call adding the item; "
        "in the helper that call reaches (`enqueue`): the line signalling a waiting taker",
        origin=f"{path} from the JDK's src.zip",
    )


@case("java_futuretask_get_in_words", "code", "real", "openai")
def java_futuretask_get_in_words() -> Material:
    path = "java.base/java/util/concurrent/FutureTask.java"
    text = jdk_source(path)
    get = body_of(text, r"^    public V get\(\) throws")
    report = body_of(text, r"^    private V report\(int s\)")
    code = [line.rstrip() for line in get.split("\n") if line.strip() and not line.strip().startswith("@")]
    return Material(
        question="What does the get method of FutureTask do, and what can it throw?",
        calls=[Call("read_file", {"path": path}, text)],
        facts=[
            *code,
            line_matching(report, r"throw new CancellationException\("),
            line_matching(report, r"throw new ExecutionException\("),
        ],
        rule="every code line of the method the question names in words, and each `throw` line of the "
        "helper its `return` calls (`report`)",
        origin=f"{path} from the JDK's src.zip",
    )
