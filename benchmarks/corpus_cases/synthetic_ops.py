"""Seeded generators for the classes of tool output issue 9 names: cluster events, paged JSON,
records with numbers in scientific notation, maps keyed by name, tables with anomalous rows, a CI
page, logs with stack traces, a journal, test-runner output, an access log, source files and
interleaved container logs.

Each generator is realistic in shape and vocabulary, not a copy of any example, and seeded so the
corpus rebuilds byte for byte. The facts are chosen by each case's written rule, applied in code
to the generated output (which rows hold the minimum, which lines carry the failure), never by
naming the planted strings.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator

from corpus_kit import Call, Material, Skip, case, number_fact, value_fact

EPOCH = datetime.datetime(2026, 10, 14, 6, 0, 0, tzinfo=datetime.timezone.utc)


def clock(rng: random.Random, start: datetime.datetime, mean_gap_s: float) -> Iterator[datetime.datetime]:
    """Ever later timestamps with random gaps, as a busy service writes them."""
    moment = start
    while True:
        moment += datetime.timedelta(seconds=rng.expovariate(1 / mean_gap_s))
        yield moment


def iso_ms(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def hexid(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


def lines_where(text: str, keep: Callable[[str], bool]) -> list[str]:
    """Every line (without its newline) that the rule keeps, in order, each once."""
    return list(dict.fromkeys(line.rstrip() for line in text.split("\n") if keep(line)))


# kubectl get events ----------------------------------------------------------------------------

_NODES = [
    f"ip-10-{a}-{b}-{c}.eu-west-1.compute.internal"
    for a, b, c in ((4, 17, 203), (4, 21, 9), (4, 33, 118), (5, 2, 61), (5, 9, 140), (5, 14, 77))
]
_APPS = {
    "storefront": ["web", "cart", "search-api", "recommender"],
    "fin-core": ["ledger", "fx-rates", "statements", "payouts"],
    "platform": ["ingress-nginx-controller", "external-dns", "cert-manager", "keda-operator"],
    "batch": ["nightly-export", "reindex", "invoice-run"],
    "observability": ["prometheus-server", "loki-write", "tempo-distributor", "grafana"],
}


def _age(seconds: int) -> str:
    """kubectl's LAST SEEN: 47s, 3m12s, 18m, 2h14m, 5h."""
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 600:
        return f"{seconds // 60}m{seconds % 60}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours}h{minutes}m" if hours < 6 else f"{hours}h"


def _pod(rng: random.Random, app: str) -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return f"{app}-{hexid(rng, 9)[:10]}-{''.join(rng.choice(alphabet) for _ in range(5))}"


def _normal_events(rng: random.Random, namespace: str, app: str) -> list[tuple[str, str, str, str]]:
    """(type, reason, object, message) of one pod's ordinary life, as the scheduler and kubelet log it."""
    pod = _pod(rng, app)
    image = (
        f"registry.internal/{namespace}/{app}:{rng.randint(1, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 9)}"
    )
    node = rng.choice(_NODES)
    pulled = rng.uniform(0.4, 9.0)
    events = [
        ("Normal", "Scheduled", f"pod/{pod}", f"Successfully assigned {namespace}/{pod} to {node}"),
        ("Normal", "Pulling", f"pod/{pod}", f'Pulling image "{image}"'),
        (
            "Normal",
            "Pulled",
            f"pod/{pod}",
            f'Successfully pulled image "{image}" in {pulled:.3f}s ({pulled + rng.uniform(0, 2):.3f}s including '
            f"waiting). Image size: {rng.randint(20_000_000, 900_000_000)} bytes.",
        ),
        ("Normal", "Created", f"pod/{pod}", f"Created container {app}"),
        ("Normal", "Started", f"pod/{pod}", f"Started container {app}"),
    ]
    if rng.random() < 0.3:
        events.append(("Normal", "Killing", f"pod/{pod}", f"Stopping container {app}"))
    return events


def _controller_events(rng: random.Random, namespace: str, app: str) -> list[tuple[str, str, str, str]]:
    rs = f"{app}-{hexid(rng, 9)[:10]}"
    replicas = rng.randint(2, 12)
    return [
        ("Normal", "ScalingReplicaSet", f"deployment/{app}", f"Scaled up replica set {rs} to {replicas}"),
        ("Normal", "SuccessfulCreate", f"replicaset/{rs}", f"Created pod: {_pod(rng, app)}"),
    ]


@case("kubectl_events_oom_mount", "shell", "synthetic", "openai")
def kubectl_events() -> Material:
    rng = random.Random(7311)
    rows: list[tuple[str, str, str, str, str]] = []  # namespace, type, reason, object, message
    for _ in range(150):
        namespace = rng.choice(sorted(_APPS))
        app = rng.choice(_APPS[namespace])
        made = (
            _normal_events(rng, namespace, app)
            if rng.random() < 0.8
            else _controller_events(rng, namespace, app)
        )
        rows += [(namespace, *event) for event in made]
    # Unrelated warnings elsewhere: the rule must tell them apart.
    rows.insert(
        90,
        (
            "storefront",
            "Warning",
            "Unhealthy",
            f"pod/{_pod(rng, 'search-api')}",
            "Readiness probe failed: HTTP probe failed with statuscode: 503",
        ),
    )
    rows.insert(
        300,
        (
            "batch",
            "Warning",
            "FailedScheduling",
            f"pod/{_pod(rng, 'reindex')}",
            "0/6 nodes are available: 6 Insufficient cpu. preemption: 0/6 nodes are available: 6 No "
            "preemption victims found for incoming pod.",
        ),
    )
    # The ledger pods' trouble, spread through the later part of the listing.
    victim, other = _pod(rng, "ledger"), _pod(rng, "ledger")
    node = _NODES[2]
    trouble = [
        (
            "fin-core",
            "Warning",
            "FailedMount",
            f"pod/{other}",
            'MountVolume.SetUp failed for volume "signing-keys" : secret "ledger-signing-keys-v2" not found',
        ),
        (
            "default",
            "Warning",
            "OOMKilling",
            f"node/{node}",
            "Out of memory (memcg): Killed process 30117 (ledgerd) total-vm:2415880kB, anon-rss:1046112kB, "
            "file-rss:31208kB, shmem-rss:0kB, UID:10001 pgtables:2388kB oom_score_adj:936",
        ),
        (
            "fin-core",
            "Warning",
            "Unhealthy",
            f"pod/{victim}",
            'Liveness probe failed: Get "http://10.42.3.17:8081/healthz": context deadline exceeded '
            "(Client.Timeout exceeded while awaiting headers)",
        ),
        (
            "fin-core",
            "Warning",
            "BackOff",
            f"pod/{victim}",
            f"Back-off restarting failed container ledger in pod {victim}_fin-core({hexid(rng, 8)}-"
            f"{hexid(rng, 4)}-{hexid(rng, 4)}-{hexid(rng, 4)}-{hexid(rng, 12)})",
        ),
    ]
    for offset, event in zip((420, 505, 560, 640), trouble, strict=True):
        rows.insert(offset, event)
    ages = sorted((rng.randint(5, 5 * 3600) for _ in rows), reverse=True)
    cells = [
        (ns, _age(age), kind, reason, obj, message)
        for (ns, kind, reason, obj, message), age in zip(rows, ages, strict=True)
    ]
    header = ("NAMESPACE", "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE")
    widths = [max(len(row[i]) for row in [header, *cells]) + 3 for i in range(5)]
    lines = [
        "".join(cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True)) + row[5]
        for row in [header, *cells]
    ]
    output = "\n".join(line.rstrip() for line in lines)
    ledger_pods = {victim, other}
    facts = lines_where(
        output,
        lambda line: (
            " Warning " in line
            and (any(f"pod/{pod} " in line for pod in ledger_pods) or " OOMKilling " in line)
        ),
    )
    return Material(
        question="The ledger deployment in fin-core keeps restarting since this morning. Go through the "
        "cluster events: what is killing its pods, and what else is failing for them? Quote the events.",
        calls=[
            Call(
                "run_shell",
                {"command": "kubectl get events -A --sort-by=.lastTimestamp"},
                output,
            )
        ],
        facts=facts,
        rule="every Warning event whose object is a pod of the deployment the question names, and every "
        "node OOM-kill event",
        origin="seeded generator: `kubectl get events -A` over five namespaces, with an OOM kill, a failed "
        "secret mount, a failing liveness probe and a back-off among ordinary pod lifecycle events",
    )


# JSON: a page of orders, records in scientific notation, maps keyed by name --------------------

_COUNTRIES = ["DE", "FR", "NL", "GB", "US", "CA", "ES", "IT", "SE", "PL", "BR", "JP"]
_SKUS = [
    f"{prefix}-{n:04d}" for prefix in ("TEE", "MUG", "CAP", "BAG", "SOCK", "PIN") for n in range(1, 40, 3)
]


@case("orders_page_flagged", "json_object", "synthetic", "anthropic")
def orders_page() -> Material:
    rng = random.Random(5150)
    moments = clock(rng, EPOCH, 95)
    orders = []
    for index in range(180):
        items = [
            {"sku": rng.choice(_SKUS), "qty": rng.randint(1, 4), "unit_price": round(rng.uniform(4, 79), 2)}
            for _ in range(rng.randint(1, 4))
        ]
        subtotal = round(sum(i["qty"] * i["unit_price"] for i in items), 2)
        shipping = rng.choice([0.0, 4.9, 6.5, 12.0])
        orders.append(
            {
                "id": f"ord_{hexid(rng, 12)}",
                "number": 88_000 + index * 3 + rng.randint(0, 2),
                "created_at": iso_ms(next(moments)),
                "status": rng.choice(
                    ["paid", "paid", "paid", "fulfilled", "fulfilled", "refunded", "pending"]
                ),
                "customer": {
                    "id": f"cus_{hexid(rng, 10)}",
                    "email": f"{rng.choice(['ana', 'li', 'sam', 'noor', 'jo', 'kai', 'eva', 'raj'])}."
                    f"{rng.choice(['k', 'm', 'p', 't', 'w'])}{rng.randint(1, 999)}@example.net",
                    "country": rng.choice(_COUNTRIES),
                },
                "items": items,
                "amounts": {
                    "subtotal": subtotal,
                    "shipping": shipping,
                    "total": round(subtotal + shipping, 2),
                },
                "currency": "EUR",
                "payment": {
                    "method": rng.choice(["card", "card", "card", "paypal", "sepa_debit", "klarna"]),
                    "card_last4": f"{rng.randint(0, 9999):04d}",
                },
                "risk": {"score": rng.randint(1, 38), "flags": []},
            }
        )
    for position, flag in ((37, "fraud_suspected"), (104, "chargeback"), (151, "disputed")):
        orders[position]["risk"] = {"score": rng.randint(71, 97), "flags": [flag]}
    page = {
        "object": "list",
        "page": 7,
        "per_page": len(orders),
        "total": 2_431,
        "has_more": True,
        "data": {"orders": orders},
        "links": {"next": "/v1/orders?page=8&per_page=180", "prev": "/v1/orders?page=6&per_page=180"},
    }
    output = json.dumps(page, indent=2)
    flagged = [o for o in page["data"]["orders"] if o["risk"]["flags"]]
    facts: list[str | list[str]] = []
    for order in flagged:
        facts += [value_fact(output, order["id"]), value_fact(output, order["risk"]["flags"][0])]
    return Material(
        question="Finance asks which orders on page 7 our risk engine has flagged. Give each order's id "
        "and what it was flagged for.",
        calls=[
            Call(
                "shop_api_get",
                {"path": "/v1/orders", "query": {"page": 7, "per_page": 180, "expand": "risk"}},
                output,
                is_json=True,
            )
        ],
        facts=facts,
        rule="the id and the flag of every order whose `risk.flags` is not empty",
        origin="seeded generator: one page of an orders API as a JSON object (`data.orders`), three of "
        "180 orders flagged",
    )


@case("gpu_jobs_error_rate_max", "json_array", "synthetic", "openai")
def gpu_jobs() -> Material:
    rng = random.Random(6606)
    moments = clock(rng, EPOCH, 400)
    jobs = []
    for _ in range(220):
        jobs.append(
            {
                "job_id": f"train-{hexid(rng, 6)}",
                "cluster": rng.choice(["gpu-a100-west", "gpu-h100-east", "gpu-l4-spot"]),
                "started": iso_ms(next(moments)),
                "gpus": rng.choice([1, 2, 4, 8]),
                # bit-flip error rates: tiny numbers, json writes most of them in exponent form
                "ecc_error_rate": float(f"{rng.uniform(1, 9.9):.2f}e-{rng.randint(6, 8)}"),
                "throughput_samples_s": round(rng.uniform(180, 2600), 1),
                "loss_final": round(rng.uniform(0.8, 2.4), 4),
                "state": rng.choice(["COMPLETED", "COMPLETED", "COMPLETED", "PREEMPTED"]),
            }
        )
    jobs[133]["ecc_error_rate"] = 4.7e-05  # one job on a failing card
    output = json.dumps(jobs, indent=2)
    worst = max(jobs, key=lambda job: job["ecc_error_rate"])
    return Material(
        question="One of last night's training jobs probably ran on a GPU with failing memory. Which job has "
        "the highest ECC error rate, what is that rate, and on which cluster did it run?",
        calls=[Call("query_jobs", {"since": "2026-10-14T06:00:00Z", "fields": "all"}, output, is_json=True)],
        facts=[
            value_fact(output, worst["job_id"]),
            number_fact(worst["ecc_error_rate"]),
        ],
        rule="the `job_id` and the `ecc_error_rate` of the record holding the largest `ecc_error_rate` "
        "(every rate is written in scientific notation)",
        origin="seeded generator: a JSON array of GPU training jobs whose error rates are all tiny",
    )


_VENDORS = ["aster", "nimbus", "orca", "quill", "tessel", "vega"]
_FAMILIES = ["swift", "pro", "max", "lite", "reason", "vision", "embed", "code"]


@case("model_catalog_largest_context", "json_object", "synthetic", "anthropic")
def model_catalog() -> Material:
    rng = random.Random(9090)
    catalog: dict[str, dict[str, object]] = {}
    while len(catalog) < 260:
        vendor, family = rng.choice(_VENDORS), rng.choice(_FAMILIES)
        name = f"{vendor}/{family}-{rng.randint(1, 4)}.{rng.randint(0, 9)}{rng.choice(['', '-preview', '-mini', '-2026-06'])}"
        mode = "embedding" if family == "embed" else "chat"
        catalog[name] = {
            "max_input_tokens": rng.choice([8192, 16384, 32768, 65536, 128000, 200000, 262144]),
            "max_output_tokens": rng.choice([4096, 8192, 16384, 32768]),
            "input_cost_per_token": float(f"{rng.uniform(0.5, 9.9):.1f}e-0{rng.randint(6, 7)}"),
            "output_cost_per_token": float(f"{rng.uniform(0.5, 9.9):.1f}e-0{rng.randint(5, 6)}"),
            "mode": mode,
            "supports_vision": family == "vision" or rng.random() < 0.2,
            "supports_function_calling": mode == "chat" and rng.random() < 0.8,
            "deprecation_date": rng.choice([None, None, None, "2027-01-31", "2026-12-15"]),
        }
    names = sorted(catalog)
    widest = names[rng.randrange(len(names))]
    catalog[widest]["max_input_tokens"] = 1_048_576
    output = json.dumps(dict(sorted(catalog.items())), indent=2)
    best = max(catalog, key=lambda key: int(catalog[key]["max_input_tokens"]))  # type: ignore[call-overload]
    return Material(
        question="Which model in our gateway's catalog accepts the largest input context, how many tokens is "
        "that, and what does it charge per output token?",
        calls=[Call("Read", {"file_path": "gateway/config/model_catalog.json"}, output, is_json=True)],
        facts=[
            json.dumps(best),
            str(catalog[best]["max_input_tokens"]),
            number_fact(catalog[best]["output_cost_per_token"]),  # type: ignore[arg-type]
        ],
        rule="the key of the entry holding the largest `max_input_tokens`, that value, and its "
        "`output_cost_per_token`",
        notes="the price may occur in other entries too; the key locates the right one",
        origin="seeded generator: a model catalog keyed by model name, one entry with a far larger context",
    )


_REGIONS = [
    "us-east1",
    "us-east4",
    "us-central1",
    "us-west1",
    "us-west2",
    "northamerica-northeast1",
    "southamerica-east1",
    "europe-west1",
    "europe-west2",
    "europe-west3",
    "europe-west4",
    "europe-north1",
    "europe-central2",
    "asia-east1",
    "asia-northeast1",
    "asia-south1",
    "asia-southeast1",
    "australia-southeast1",
    "me-west1",
    "africa-south1",
]
_METRICS = [
    "CPUS",
    "N2_CPUS",
    "C3_CPUS",
    "NVIDIA_L4_GPUS",
    "NVIDIA_A100_GPUS",
    "SSD_TOTAL_GB",
    "DISKS_TOTAL_GB",
    "IN_USE_ADDRESSES",
    "STATIC_ADDRESSES",
    "INSTANCE_GROUPS",
    "FIREWALLS",
    "TARGET_POOLS",
]


@case("region_quotas_least_headroom", "json_object", "synthetic", "openai")
def region_quotas() -> Material:
    rng = random.Random(2718)
    regions: dict[str, dict[str, dict[str, float]]] = {}
    for region in _REGIONS:
        quotas = {}
        for metric in _METRICS:
            limit = float(rng.choice([8, 24, 64, 100, 500, 1000, 2400, 4096, 20480]))
            usage = float(round(limit * rng.uniform(0.05, 0.8)))
            quotas[metric] = {"limit": limit, "usage": usage, "available": limit - usage}
        regions[region] = quotas
    tight = rng.choice(_REGIONS[3:])
    gpus = regions[tight]["NVIDIA_A100_GPUS"]
    gpus.update(limit=36.0, usage=35.0, available=1.0)  # a limit no other quota has
    for region in _REGIONS:
        if region != tight:
            row = regions[region]["NVIDIA_A100_GPUS"]
            row["available"] = max(row["available"], 2.0)
            row["usage"] = row["limit"] - row["available"]
    document = {"project": "acme-ml-prod", "fetched": "2026-10-14T09:12:44Z", "regions": regions}
    output = json.dumps(document, indent=2)
    least = min(_REGIONS, key=lambda region: regions[region]["NVIDIA_A100_GPUS"]["available"])
    return Material(
        question="We need to launch A100 nodes. Which region has the fewest A100 GPUs still available under "
        "our quota, and what are its limit and usage there?",
        calls=[Call("gcloud_quotas", {"project": "acme-ml-prod", "format": "json"}, output, is_json=True)],
        facts=[json.dumps(least), *[number_fact(gpus[key]) for key in ("limit", "usage")]],
        rule="the key of the region whose `NVIDIA_A100_GPUS.available` is smallest, and that entry's "
        "`limit` and `usage`",
        notes="limit and usage values also occur in other regions; the region key locates them",
        origin="seeded generator: per-region quotas as a nested JSON map keyed by region and metric",
    )


# tables ----------------------------------------------------------------------------------------

_STORES = [f"S{n:03d}" for n in (11, 14, 19, 23, 31, 37, 42, 58, 64, 71)]
_CATEGORIES = {"apparel": (9, 89), "footwear": (35, 160), "accessories": (4, 45), "outdoor": (15, 240)}


@case("sales_csv_anomalous_rows", "table", "synthetic", "anthropic")
def sales_csv() -> Material:
    rng = random.Random(4477)
    rows = []
    day = datetime.date(2026, 9, 1)
    for index in range(1000):
        category = rng.choice(sorted(_CATEGORIES))
        low, high = _CATEGORIES[category]
        units = rng.randint(1, 24)
        price = round(rng.uniform(low, high), 2)
        rows.append(
            [
                (day + datetime.timedelta(days=index // 45)).isoformat(),
                rng.choice(_STORES),
                f"{category[:3].upper()}-{rng.randint(1000, 9999)}",
                category,
                rng.choice(["pos", "pos", "web", "marketplace"]),
                str(units),
                f"{price:.2f}",
                f"{units * price:.2f}",
            ]
        )
    rows[211][5] = "-3"  # a return booked as a sale
    rows[211][7] = f"{-3 * float(rows[211][6]):.2f}"
    rows[478][6], rows[478][7] = "0.00", "0.00"  # a price that never loaded
    rows[802][7] = f"{float(rows[802][7]) * 10:.2f}"  # a total that disagrees with units x price
    rows[955][4] = ""  # no channel
    rows[1130][3] = "gift-cards"  # a category seen once
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["date", "store", "sku", "category", "channel", "units", "unit_price", "revenue"]
    writer.writerow(header)
    writer.writerows(rows)
    output = out.getvalue()
    categories = Counter(row[3] for row in rows)

    def anomalous(row: list[str]) -> bool:
        units, price, revenue = int(row[5]), float(row[6]), float(row[7])
        return (
            units < 0
            or price == 0
            or abs(units * price - revenue) > 0.011
            or any(cell == "" for cell in row)
            or categories[row[3]] == 1
        )

    facts = [",".join(row) for row in rows if anomalous(row)]
    return Material(
        question="Before we load September's sales export into the warehouse: which rows look wrong (bad "
        "quantities or prices, totals that don't add up, missing values, odd categories)? Quote them.",
        calls=[Call("Read", {"file_path": "exports/sales_2026-09.csv"}, output)],
        facts=facts,
        rule="every row with a negative `units`, a zero `unit_price`, a `revenue` that differs from units x "
        "unit_price, an empty cell, or a `category` that occurs only once",
        origin="seeded generator: a retail sales CSV of 1,300 rows with five anomalous ones",
    )


_WORDS = [
    "fast",
    "py",
    "json",
    "http",
    "async",
    "cli",
    "data",
    "yaml",
    "auth",
    "cloud",
    "log",
    "test",
    "graph",
    "mail",
    "cache",
    "queue",
    "image",
    "text",
    "time",
    "geo",
    "sql",
    "vector",
    "stream",
]


@case("package_rank_tsv_top5", "table", "synthetic", "openai")
def package_rank_tsv() -> Material:
    rng = random.Random(3141)
    names: set[str] = set()
    while len(names) < 900:
        names.add(
            f"{rng.choice(_WORDS)}{rng.choice(['', '-', '_'])}{rng.choice(_WORDS)}{rng.choice(['', 'x', 'kit', 'lib', '2', 'io'])}"
        )
    ranks = rng.sample(range(1, 40_000), len(names))
    rows = []
    for name, rank in zip(sorted(names), ranks, strict=True):
        downloads = int(2.4e9 / rank**0.92 * rng.uniform(0.85, 1.15))
        rows.append(
            [
                name,
                str(rank),
                str(downloads),
                str(rng.randint(1, 14)),
                f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}",
                rng.choice(["MIT", "BSD-3-Clause", "Apache-2.0", "MPL-2.0", "GPL-3.0-only"]),
            ]
        )
    output = "\n".join(
        ["name\tdownload_rank\tdownloads_30d\tmaintainers\tlast_release\tlicense"]
        + ["\t".join(r) for r in rows]
    )
    best = sorted(rows, key=lambda row: int(row[1]))[:5]
    return Material(
        question="From this package index extract, which five packages have the best (smallest) download "
        "rank? List them with their 30-day downloads.",
        calls=[Call("run_shell", {"command": "cat data/index_extract.tsv"}, output)],
        facts=["\t".join(row) for row in best],
        rule="the five rows with the smallest `download_rank`",
        origin="seeded generator: a TSV of 900 packages sorted by name, with a rank column",
    )


# HTML: a CI build page -------------------------------------------------------------------------

_JOBS = [
    ("lint", ["Checkout", "Set up Node 20", "npm ci", "eslint", "prettier --check"]),
    ("typecheck", ["Checkout", "Set up Node 20", "npm ci", "tsc --noEmit"]),
    ("unit-tests", ["Checkout", "Set up Node 20", "npm ci", "vitest run --coverage", "Upload coverage"]),
    ("build-image", ["Checkout", "Set up Buildx", "Log in to registry", "docker build", "Push image"]),
    (
        "integration-tests",
        ["Checkout", "Start services", "Run migrations", "pytest tests/integration", "Collect logs"],
    ),
    ("e2e", ["Checkout", "Install Playwright", "Start preview", "playwright test"]),
    ("deploy-staging", ["Checkout", "helm upgrade", "Smoke test"]),
]


@case("ci_build_page_failed_step", "html", "synthetic", "anthropic")
def ci_build_page() -> Material:
    rng = random.Random(1212)
    sha = hexid(rng, 40)
    failing_job, failing_step = "integration-tests", "Run migrations"
    error = 'psycopg.errors.DuplicateColumn: column "settlement_ref" of relation "payouts" already exists'
    moments = clock(rng, EPOCH, 1.7)
    job_html = []
    for job, steps in _JOBS:
        status = "failed" if job == failing_job else ("skipped" if job == "deploy-staging" else "passed")
        step_html = []
        for step in steps:
            state = status
            if job == failing_job:
                state = (
                    "passed"
                    if steps.index(step) < steps.index(failing_step)
                    else ("failed" if step == failing_step else "skipped")
                )
            log = [
                f'<span class="ts">{iso_ms(next(moments))}</span> {_ci_log_line(rng, step)}'
                for _ in range(rng.randint(6, 22))
            ]
            if job == failing_job and step == failing_step:
                log += [
                    f'<span class="ts">{iso_ms(next(moments))}</span> alembic.runtime.migration Running upgrade 7c1e2a9d04b3 -> 91fd3a6c2e10, add settlement reference',
                    f'<span class="ts">{iso_ms(next(moments))}</span> <span class="err">{error}</span>',
                    f'<span class="ts">{iso_ms(next(moments))}</span> <span class="err">Error: Process completed with exit code 1.</span>',
                ]
            step_html.append(
                f'<details class="step step-{state}"{" open" if state == "failed" else ""}>'
                f'<summary><span class="icon icon-{state}"></span><span class="step-name">{step}</span>'
                f'<span class="dur">{rng.randint(1, 240)}s</span></summary>'
                f'<pre class="log">{chr(10).join(log)}</pre></details>'
            )
        job_html.append(
            f'<section class="job job-{status}" id="job-{job}"><h3><span class="icon icon-{status}"></span>'
            f'{job}</h3><p class="runner">ubuntu-24.04 &middot; runner-{rng.randint(100, 999)}</p>'
            + "\n".join(step_html)
            + "</section>"
        )
    nav = "".join(f'<li><a href="/acme/payouts/actions/runs/{n}">#{n}</a></li>' for n in range(4170, 4182))
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Build #4182 · acme/payouts</title>'
        '<link rel="stylesheet" href="/assets/ci.css"><script defer src="/assets/ci.js"></script></head><body>'
        '<header class="topbar"><a class="logo" href="/">CI</a><nav><a href="/acme">acme</a> / '
        '<a href="/acme/payouts">payouts</a> / <a href="/acme/payouts/actions">Actions</a></nav></header>'
        '<main><div class="run-header"><h1>Build #4182 <span class="badge badge-failed">failed</span></h1>'
        '<dl class="run-meta"><dt>Workflow</dt><dd>ci.yml</dd><dt>Branch</dt><dd>feature/settlement-ref</dd>'
        f'<dt>Commit</dt><dd><a class="sha" href="/acme/payouts/commit/{sha}">{sha}</a></dd>'
        '<dt>Triggered by</dt><dd>push by <a href="/mlindqvist">mlindqvist</a></dd>'
        f"<dt>Duration</dt><dd>{rng.randint(6, 14)}m {rng.randint(0, 59)}s</dd></dl></div>"
        f'<aside class="history"><h2>Recent runs</h2><ul>{nav}</ul></aside>'
        + "\n".join(job_html)
        + '</main><footer><p>&copy; 2026 Acme CI &middot; <a href="/status">Status</a></p></footer></body></html>'
    )
    return Material(
        question="Build #4182 of acme/payouts went red. Which commit did it build, which job and step failed, "
        "and with what error?",
        calls=[Call("fetch_url", {"url": "https://ci.acme.dev/acme/payouts/actions/runs/4182"}, page)],
        facts=[sha, failing_job, failing_step, error],
        rule="the commit hash the page names, the name of the failed job and of its failed step, and the "
        "error line of that step's log (text as the page reads)",
        origin="seeded generator: a CI run page in HTML with seven jobs, their steps and logs",
    )


def _ci_log_line(rng: random.Random, step: str) -> str:
    pools = {
        "npm ci": [
            "added {n} packages in {s}s",
            "npm warn deprecated glob@7.2.3: Glob versions prior to v9 are no longer supported",
            "{n} packages are looking for funding",
        ],
        "docker build": ["#{n} [build {m}/9] RUN npm run build", "#{n} DONE {s}s", "#{n} exporting layers"],
        "pytest tests/integration": [
            "tests/integration/test_payouts.py::test_batch_{n} PASSED",
            "collected {n} items",
        ],
    }
    template = rng.choice(
        pools.get(step, [f"{step}: ok ({{s}}s)", "Run {step} [{n}/{m}]", "cache hit for key v3-{n}"])
    )
    return template.format(
        n=rng.randint(2, 900), m=rng.randint(1, 9), s=round(rng.uniform(0.1, 40), 1), step=step
    )


# logs with stack traces ------------------------------------------------------------------------

_JAVA_INFO = [
    "c.a.s.web.RequestLoggingFilter : GET /api/v1/settlements/{n} -> 200 in {ms}ms",
    "c.a.s.web.RequestLoggingFilter : POST /api/v1/settlements -> 201 in {ms}ms",
    "c.a.s.kafka.SettlementConsumer : consumed settlement-events partition {p} offset {off}",
    "o.h.e.t.j.p.i.JdbcTransactionAccessImpl : committed transaction tx-{hex}",
    "c.a.s.service.FxQuoteCache : refreshed {n} FX quotes from upstream in {ms}ms",
    "c.z.hikari.pool.HikariPool : SettlementPool - Pool stats (total={t}, active={a}, idle={i}, waiting=0)",
    "c.a.s.scheduler.BatchCloser : closed batch B-{n} with {t} settlements",
    "o.s.k.l.KafkaMessageListenerContainer : settlement-group: partitions assigned: [settlement-events-{p}]",
]
_JAVA_FRAMES = [
    "org.springframework.jdbc.support.SQLStateSQLExceptionTranslator.doTranslate(SQLStateSQLExceptionTranslator.java:107)",
    "org.springframework.jdbc.support.AbstractFallbackSQLExceptionTranslator.translate(AbstractFallbackSQLExceptionTranslator.java:70)",
    "org.springframework.jdbc.core.JdbcTemplate.translateException(JdbcTemplate.java:1575)",
    "org.springframework.jdbc.core.JdbcTemplate.execute(JdbcTemplate.java:667)",
    "org.springframework.jdbc.core.JdbcTemplate.update(JdbcTemplate.java:960)",
    "com.acme.settle.repo.LedgerRepository.appendEntry(LedgerRepository.java:88)",
    "com.acme.settle.service.SettlementService.book(SettlementService.java:142)",
    "com.acme.settle.kafka.SettlementConsumer.onMessage(SettlementConsumer.java:61)",
    "org.springframework.kafka.listener.adapter.RecordMessagingMessageListenerAdapter.onMessage(RecordMessagingMessageListenerAdapter.java:88)",
    "org.springframework.kafka.listener.KafkaMessageListenerContainer$ListenerConsumer.doInvokeOnMessage(KafkaMessageListenerContainer.java:2905)",
    "java.base/java.lang.Thread.run(Thread.java:1583)",
]
_JAVA_CAUSE_FRAMES = [
    "org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse(QueryExecutorImpl.java:2725)",
    "org.postgresql.core.v3.QueryExecutorImpl.processResults(QueryExecutorImpl.java:2412)",
    "org.postgresql.jdbc.PgStatement.executeInternal(PgStatement.java:517)",
    "com.zaxxer.hikari.pool.HikariProxyPreparedStatement.executeUpdate(HikariProxyPreparedStatement.java)",
]


def _java_trace(stamp: str, thread: str, settlement: int, lock_ms: int) -> list[str]:
    head = (
        f"{stamp} ERROR 1 --- [settlement] [{thread}] c.a.s.kafka.SettlementConsumer : failed to book "
        f"settlement S-{settlement}, message will be retried"
    )
    return [
        head,
        "org.springframework.dao.CannotAcquireLockException: PreparedStatementCallback; SQL [insert into "
        "ledger_entry (account_id, amount, settlement_id) values (?, ?, ?)]; ERROR: canceling statement due to "
        f"lock timeout after {lock_ms}ms",
        *[f"\tat {frame}" for frame in _JAVA_FRAMES],
        f"Caused by: org.postgresql.util.PSQLException: ERROR: canceling statement due to lock timeout after {lock_ms}ms",
        '  Where: while inserting index tuple (412,7) in relation "ledger_entry_account_idx"',
        *[f"\tat {frame}" for frame in _JAVA_CAUSE_FRAMES],
        "\t... 19 common frames omitted",
    ]


@case("java_service_log_three_traces", "log", "synthetic", "openai")
def java_service_log() -> Material:
    rng = random.Random(2025)
    moments = clock(rng, EPOCH, 0.9)
    lines: list[str] = []
    planted = {270: (88412, 5000), 590: (88977, 7500), 880: (90133, 5000)}
    for index in range(1000):
        moment = next(moments)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        thread = (
            f"ntainer#0-{rng.randint(0, 5)}-C-1"
            if rng.random() < 0.5
            else f"nio-8080-exec-{rng.randint(1, 40)}"
        )
        if index in planted:
            lines += _java_trace(stamp, thread, *planted[index])
            continue
        level = "DEBUG" if rng.random() < 0.15 else "INFO "
        message = rng.choice(_JAVA_INFO).format(
            n=rng.randint(1000, 99999),
            ms=rng.randint(2, 900),
            p=rng.randint(0, 11),
            off=rng.randint(10**6, 10**7),
            hex=hexid(rng, 8),
            t=20,
            a=rng.randint(0, 20),
            i=rng.randint(0, 20),
        )
        lines.append(f"{stamp} {level} 1 --- [settlement] [{thread}] {message}")
    output = "\n".join(lines)
    facts: list[str | list[str]] = []
    for block in re.split(r"\n(?=\S+ ERROR )", output)[1:]:
        trace = block.split("\n")
        cause = next(i for i, line in enumerate(trace) if line.startswith("Caused by: "))
        frames = [line for line in trace[:cause] if line.startswith("\tat ")]
        cause_frames = [line for line in trace[cause:] if line.startswith("\tat ")]
        facts += [trace[0], trace[1], frames[0], frames[-1], trace[cause], cause_frames[-1]]
    facts = list(dict.fromkeys(f for f in facts if isinstance(f, str)))
    return Material(
        question="The settlement consumer logged errors overnight. How many times did booking fail, for "
        "which settlements, and what was the root cause each time? Show the trace boundaries too.",
        calls=[
            Call(
                "read_logs", {"service": "settlement", "since": "2026-10-14T06:00:00Z", "lines": 5000}, output
            )
        ],
        facts=facts,
        rule="for every stack trace: its ERROR line, its exception line, the first and last `at` frame of "
        "the exception, its `Caused by:` line and the cause's last frame (a line the same in every trace "
        "is one fact)",
        origin="seeded generator: a Spring Boot service log of 1,000 lines with three stack traces of the "
        "same shape",
    )


_PY_INFO = [
    "celery.worker.strategy: Task reports.render[{uuid}] received",
    "celery.app.trace: Task reports.render[{uuid}] succeeded in {s}s: {{'pages': {n}}}",
    "reports.pipeline: tenant={tenant} fetched {n} rows from warehouse in {s}s",
    "reports.pipeline: tenant={tenant} uploaded s3://acme-reports/{tenant}/{n}.pdf",
    "kombu.connection: heartbeat ok (broker=amqp://rabbitmq:5672//)",
    "reports.cache: hit ratio {r} over the last {n} lookups",
]


@case("python_worker_log_tracebacks", "log", "synthetic", "anthropic")
def python_worker_log() -> Material:
    rng = random.Random(8128)
    moments = clock(rng, EPOCH, 1.6)
    tenants = ["t-aurora", "t-brisk", "t-cobalt", "t-delta9", "t-ember", "t-fjord"]
    planted = {260: "t-cobalt", 555: "t-ember"}
    lines: list[str] = []
    for index in range(720):
        stamp = next(moments).strftime("[%Y-%m-%d %H:%M:%S,") + f"{rng.randint(0, 999):03d}"
        worker = f"ForkPoolWorker-{rng.randint(1, 8)}"
        if index in planted:
            task = f"{hexid(rng, 8)}-{hexid(rng, 4)}-{hexid(rng, 4)}-{hexid(rng, 4)}-{hexid(rng, 12)}"
            lines += [
                f"{stamp}: ERROR/{worker}] celery.app.trace: Task reports.render[{task}] raised unexpected: "
                f"KeyError('fiscal_year_start')",
                "Traceback (most recent call last):",
                '  File "/app/.venv/lib/python3.12/site-packages/celery/app/trace.py", line 453, in trace_task',
                "    R = retval = fun(*args, **kwargs)",
                '  File "/app/reports/tasks.py", line 41, in render',
                "    doc = build_document(tenant_id, period)",
                '  File "/app/reports/pipeline.py", line 118, in build_document',
                "    window = fiscal_window(settings, period)",
                '  File "/app/reports/periods.py", line 27, in fiscal_window',
                '    start = settings["fiscal_year_start"]',
                f"KeyError: 'fiscal_year_start' (tenant={planted[index]})",
            ]
            continue
        message = rng.choice(_PY_INFO).format(
            uuid=f"{hexid(rng, 8)}-{hexid(rng, 4)}-{hexid(rng, 4)}-{hexid(rng, 4)}-{hexid(rng, 12)}",
            s=round(rng.uniform(0.01, 14), 3),
            n=rng.randint(1, 9000),
            tenant=rng.choice(tenants),
            r=round(rng.uniform(0.5, 0.99), 2),
        )
        lines.append(f"{stamp}: INFO/{worker}] {message}")
    output = "\n".join(lines)
    facts: list[str | list[str]] = []
    for block in re.split(r"\n(?=\[[^\]]+: ERROR/)", output)[1:]:
        trace = block.split("\n")
        files = [line for line in trace if line.startswith('  File "')]
        last = next(line for line in trace[1:] if re.match(r"\w+Error: ", line))
        facts += [trace[0], files[0], files[-1], last]
    return Material(
        question="Report rendering failed for some tenants last night. Which tenants, which task runs, and "
        "where in our code does it break?",
        calls=[
            Call(
                "Bash",
                {"command": "kubectl logs deploy/report-worker --since=12h", "description": "worker logs"},
                output,
            )
        ],
        facts=list(dict.fromkeys(f for f in facts if isinstance(f, str))),
        rule="for every traceback: its ERROR line, its first and last `File` frame, and its exception line",
        origin="seeded generator: a Celery worker log of 720 lines with two tracebacks of the same shape",
    )
