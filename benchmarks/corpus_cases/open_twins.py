"""Open cases made like the classes of sealed cases that lost facts (SPLIT.md: when a sealed case
fails, first add a similar case of your own to the open split). Each is made from material the
corpus did not hold before, and none reads a sealed case: the class is what the failure list says
(an orders page kept as a JSON object with fraud flags, a Java method asked about, `git log -G` and
`git log -p` over a history, a TSV listing, a tab-separated data file with a comment header, grep for
a class's methods, `python -X importtime`).

Each case's facts are chosen by the rule written in it, applied in code to the raw output before
anything is compressed.
"""

from __future__ import annotations

import datetime
import json
import random
import re
from pathlib import Path

from corpus_kit import Call, Material, Skip, case, line_matching, read, value_fact

from corpus_cases.core import jdk_source
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
