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

from corpus_kit import Call, Material, case, number_fact, value_fact

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
            f'Successfully pulled image "{image}" in {pulled:.3f}s ({pulled + rng.uniform(0, 2):.3f}s '
            f"including waiting). Image size: {rng.randint(20_000_000, 900_000_000)} bytes.",
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
        suffix = rng.choice(["", "-preview", "-mini", "-2026-06"])
        name = f"{vendor}/{family}-{rng.randint(1, 4)}.{rng.randint(0, 9)}{suffix}"
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
    for index in range(1300):
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


_SUFFIXES = ["", "x", "kit", "lib", "2", "io"]
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
            rng.choice(_WORDS) + rng.choice(["", "-", "_"]) + rng.choice(_WORDS) + rng.choice(_SUFFIXES)
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
                    f'<span class="ts">{iso_ms(next(moments))}</span> alembic.runtime.migration '
                    "Running upgrade 7c1e2a9d04b3 -> 91fd3a6c2e10, add settlement reference",
                    f'<span class="ts">{iso_ms(next(moments))}</span> <span class="err">{error}</span>',
                    f'<span class="ts">{iso_ms(next(moments))}</span> <span class="err">Error: '
                    "Process completed with exit code 1.</span>",
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
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Build #4182 · '
        "acme/payouts</title>"
        '<link rel="stylesheet" href="/assets/ci.css"><script defer '
        'src="/assets/ci.js"></script></head><body>'
        '<header class="topbar"><a class="logo" href="/">CI</a><nav><a href="/acme">acme</a> / '
        '<a href="/acme/payouts">payouts</a> / <a href="/acme/payouts/actions">Actions</a></nav></header>'
        '<main><div class="run-header"><h1>Build #4182 <span class="badge badge-failed">failed</span></h1>'
        '<dl class="run-meta"><dt>Workflow</dt><dd>ci.yml</dd><dt>Branch</dt><dd>feature/settlement-ref</dd>'
        f'<dt>Commit</dt><dd><a class="sha" href="/acme/payouts/commit/{sha}">{sha}</a></dd>'
        '<dt>Triggered by</dt><dd>push by <a href="/mlindqvist">mlindqvist</a></dd>'
        f"<dt>Duration</dt><dd>{rng.randint(6, 14)}m {rng.randint(0, 59)}s</dd></dl></div>"
        f'<aside class="history"><h2>Recent runs</h2><ul>{nav}</ul></aside>'
        + "\n".join(job_html)
        + "</main><footer><p>&copy; 2026 Acme CI &middot; <a "
        'href="/status">Status</a></p></footer></body></html>'
    )
    return Material(
        question="Build #4182 of acme/payouts went red. Which commit did it build, which job and step "
        "failed, "
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
        "ledger_entry (account_id, amount, settlement_id) values (?, ?, ?)]; ERROR: canceling "
        "statement due to "
        f"lock timeout after {lock_ms}ms",
        *[f"\tat {frame}" for frame in _JAVA_FRAMES],
        "Caused by: org.postgresql.util.PSQLException: ERROR: canceling statement due to lock "
        f"timeout after {lock_ms}ms",
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
                '  File "/app/.venv/lib/python3.12/site-packages/celery/app/trace.py", line 453, in '
                "trace_task",
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


# system and access logs ------------------------------------------------------------------------


def _journal_noise(rng: random.Random, host: str) -> str:
    pid = rng.randint(300, 60000)
    session = rng.randint(100, 9999)
    templates = [
        f"systemd[1]: Started session-{session}.scope - Session {session} of User deploy.",
        f"systemd[1]: session-{session}.scope: Deactivated successfully.",
        f"systemd-logind[{rng.randint(500, 900)}]: New session {session} of user deploy.",
        f"sshd[{pid}]: Accepted publickey for deploy from "
        f"10.0.{rng.randint(0, 9)}.{rng.randint(2, 250)} port "
        f"{rng.randint(30000, 65000)} ssh2: ED25519 SHA256:{hexid(rng, 10)}",
        f"sshd[{pid}]: pam_unix(sshd:session): session opened for user deploy(uid=1001) by deploy(uid=0)",
        f"CRON[{pid}]: (root) CMD (/usr/local/bin/media-sync --quiet)",
        f"CRON[{pid}]: pam_unix(cron:session): session closed for user root",
        "systemd[1]: Starting logrotate.service - Rotate log files...",
        "systemd[1]: logrotate.service: Deactivated successfully.",
        "systemd[1]: Finished logrotate.service - Rotate log files.",
        f"systemd-resolved[{rng.randint(400, 600)}]: Clock change detected. Flushing caches.",
        f'containerd[{rng.randint(700, 900)}]: time="{iso_ms(EPOCH)}" level=info msg="cleaning up dead shim" '
        f"namespace=moby",
        f'dockerd[{rng.randint(900, 1100)}]: time="{iso_ms(EPOCH)}" level=info msg="ignoring event" '
        'module=libcontainerd namespace=moby topic=/tasks/delete type="*events.TaskDelete"',
        f"kernel: [UFW BLOCK] IN=ens5 OUT= MAC=0a:{hexid(rng, 2)}:{hexid(rng, 2)}:{hexid(rng, 2)} SRC=45."
        f"{rng.randint(1, 250)}.{rng.randint(1, 250)}.{rng.randint(1, 250)} DST=10.0.3.14 LEN=44 TOS=0x00 "
        f"PREC=0x00 TTL={rng.randint(40, 250)} ID={rng.randint(1, 65000)} PROTO=TCP "
        f"SPT={rng.randint(1000, 65000)} "
        f"DPT={rng.choice([23, 2323, 3389, 5900, 8088])} WINDOW=1024 RES=0x00 SYN URGP=0",
        f"nginx[{rng.randint(1200, 1300)}]: 2026/10/14 "
        f"02:{rng.randint(10, 59)}:{rng.randint(10, 59)} [notice] "
        "signal process started",
        f"thumbd[{rng.randint(20000, 23000)}]: rendered {rng.randint(1, 80)} thumbnails for album "
        f"{rng.randint(1000, 9999)} in {rng.randint(40, 900)}ms",
    ]
    return rng.choice(templates)


@case("journal_service_segfault", "log", "synthetic", "openai")
def journal_segfault() -> Material:
    rng = random.Random(1717)
    host = "media-01"
    moments = clock(rng, EPOCH - datetime.timedelta(hours=5), 11)
    crashes = {520: 23817, 610: 23902, 690: 23977}
    lines = []
    for index in range(1350):
        moment = next(moments)
        stamp = moment.strftime("%b %d %H:%M:%S")
        if index == 505:
            lines.append(
                f"{stamp} {host} kernel: audit: type=1400 audit({int(moment.timestamp())}.118:311): "
                'apparmor="DENIED" '
                'operation="open" class="file" profile="thumbd" name="/srv/media/cache/.tmp/" pid=23817 '
                'comm="thumbd" requested_mask="wc" denied_mask="wc" fsuid=998 ouid=998'
            )
        if index in crashes:
            pid = crashes[index]
            ip = f"00007f{hexid(rng, 10)}"
            lines += [
                f"{stamp} {host} kernel: thumbd[{pid}]: segfault at 0 ip {ip} sp "
                f"00007ffd{hexid(rng, 8)} error 4 in "
                f"libvips.so.42.17.1[7f3a1c200000+2a5000] likely on CPU {rng.randint(0, 3)} (core "
                f"{rng.randint(0, 3)}, "
                "socket 0)",
                f"{stamp} {host} kernel: Code: 48 8b 47 08 48 85 c0 74 1c 48 8b 10 <48> 8b 42 18 48 "
                "85 c0 74 0f",
                f"{stamp} {host} systemd-coredump[{pid + 31}]: Process {pid} (thumbd) of user 998 "
                "dumped core.",
                f"{stamp} {host} systemd[1]: thumbd.service: Main process exited, code=dumped, "
                "status=11/SEGV",
                f"{stamp} {host} systemd[1]: thumbd.service: Failed with result 'core-dump'.",
                f"{stamp} {host} systemd[1]: thumbd.service: Scheduled restart job, restart counter is at "
                f"{sorted(crashes).index(index) + 1}.",
            ]
            continue
        lines.append(f"{stamp} {host} {_journal_noise(rng, host)}")
    stamp = next(moments).strftime("%b %d %H:%M:%S")
    lines += [
        f"{stamp} {host} systemd[1]: thumbd.service: Start request repeated too quickly.",
        f"{stamp} {host} systemd[1]: thumbd.service: Failed with result 'start-limit-hit'.",
        f"{stamp} {host} systemd[1]: Failed to start thumbd.service - Thumbnail rendering daemon.",
    ]
    for _ in range(120):
        lines.append(f"{next(moments).strftime('%b %d %H:%M:%S')} {host} {_journal_noise(rng, host)}")
    output = "\n".join(lines)
    first_segfault = next(
        line for line in output.split("\n") if "thumbd[" in line and " segfault at " in line
    )
    denial = next(line for line in output.split("\n") if 'apparmor="DENIED"' in line and "thumbd" in line)
    gave_up = [line for line in output.split("\n") if "Failed to start thumbd.service" in line][-1]
    return Material(
        question="thumbd.service on media-01 has been down since last night. Why did it die, and why didn't "
        "systemd bring it back? Quote the journal lines.",
        calls=[Call("run_shell", {"command": "journalctl -b --no-pager"}, output)],
        facts=[denial, first_segfault, gave_up],
        rule="the AppArmor denial naming the process, the process's first segfault line, and the last line "
        "where systemd gives up starting the unit",
        origin="seeded generator: a systemd journal of ~1,500 lines with a service that segfaults three "
        "times and hits its start limit",
    )


_PATHS = [
    ("GET", "/api/v2/orders?page={n}", "orders"),
    ("GET", "/api/v2/orders/{id}", "orders"),
    ("POST", "/api/v2/orders", "orders"),
    ("GET", "/api/v2/inventory/sku/{sku}", "inventory"),
    ("POST", "/api/v2/inventory/reserve", "inventory"),
    ("GET", "/api/v2/search?q={q}", "search"),
    ("GET", "/healthz", "gateway"),
]
_AGENTS = [
    "okhttp/4.12.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)",
    "python-httpx/0.27.2",
    "Go-http-client/2.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
]
_UPSTREAMS = {
    "orders": "10.8.1.{h}:8080",
    "inventory": "10.8.2.{h}:8080",
    "search": "10.8.3.{h}:9200",
    "gateway": "127.0.0.1:{h}",
}


@case("envoy_access_503_burst", "log", "synthetic", "openai")
def envoy_access() -> Material:
    rng = random.Random(5031)
    moments = clock(rng, EPOCH + datetime.timedelta(hours=3), 0.6)
    burst = range(190, 228)
    lines = []
    for index in range(420):
        moment = next(moments)
        method, path, service = rng.choice(_PATHS)
        if index in burst and rng.random() < 0.8:
            method, path, service = rng.choice(_PATHS[3:5])
        path = path.format(
            n=rng.randint(1, 40),
            id=hexid(rng, 8),
            sku=f"SKU-{rng.randint(1000, 9999)}",
            q=rng.choice(["boots", "rain+jacket", "tent", "merino"]),
        )
        status, flags, upstream = 200, "-", _UPSTREAMS[service].format(h=rng.randint(2, 60))
        duration = rng.randint(2, 180)
        if method == "POST":
            status = 201
        if index in burst and service == "inventory":
            status, flags, upstream, duration = 503, "UH", "-", 0
        elif service == "search" and rng.random() < 0.01:
            status, flags, duration = 504, "UT", 15000
        sent = 19 if status == 503 else rng.randint(80, 24000)
        lines.append(
            f'[{iso_ms(moment)}] "{method} {path} HTTP/1.1" {status} {flags} '
            f"{rng.randint(0, 900) if method == 'POST' else 0} "
            f"{sent} {duration} {'-' if status == 503 else max(1, duration - rng.randint(0, 3))} "
            f'"10.1.{rng.randint(0, 9)}.{rng.randint(2, 250)}" "{rng.choice(_AGENTS)}" '
            f'"{hexid(rng, 8)}-{hexid(rng, 4)}-{hexid(rng, 4)}-{hexid(rng, 4)}-{hexid(rng, 12)}" '
            f'"api.shop.example" "{upstream}"'
        )
    output = "\n".join(lines)
    unavailable = [line for line in lines if '" 503 ' in line]
    return Material(
        question="Mobile clients saw 'service unavailable' errors this morning. From the edge proxy's access "
        "log: when did the 503s start and stop, which endpoints were hit, and what reason does Envoy give?",
        calls=[
            Call(
                "Bash",
                {"command": "kubectl logs -n edge deploy/envoy --since=1h", "description": "edge access log"},
                output,
            )
        ],
        facts=[unavailable[0], unavailable[-1]],
        rule="the first and the last line with status 503 (each carries the endpoint and Envoy's response "
        "flag)",
        origin="seeded generator: an Envoy access log of 420 requests with a burst of 503 UH (no healthy "
        "upstream) on the inventory endpoints and a few 504 UT elsewhere",
    )


@case("compose_logs_worker_exit", "log", "synthetic", "anthropic")
def compose_logs() -> Material:
    rng = random.Random(6464)
    moments = clock(rng, EPOCH + datetime.timedelta(hours=2), 0.8)
    width = len("worker-1")
    lines = []

    def say(service: str, text: str) -> None:
        lines.append(f"{service:<{width}}  | {text}")

    say("db-1", "PostgreSQL Database directory appears to contain a database; Skipping initialization")
    say("db-1", f"{iso_ms(next(moments))[:-1]} UTC [1] LOG:  database system is ready to accept connections")
    say("cache-1", "1:M 14 Oct 2026 08:00:01.204 * Ready to accept connections tcp")
    crash_at = {240: 1, 520: 2, 790: 3}
    for index in range(1000):
        moment = next(moments)
        if index in crash_at:
            stamp = iso_ms(moment)
            say(
                "db-1",
                f"{stamp[:-1]} UTC [{rng.randint(60, 400)}] FATAL:  password authentication failed "
                'for user "orders_rw"',
            )
            say(
                "db-1",
                f"{stamp[:-1]} UTC [{rng.randint(60, 400)}] DETAIL:  Connection matched file "
                '"/var/lib/postgresql/data/pg_hba.conf" line 128: "host all all all scram-sha-256"',
            )
            say("worker-1", f"{stamp} ERROR rq.worker: failed to open database session")
            say("worker-1", "Traceback (most recent call last):")
            say("worker-1", '  File "/app/worker/session.py", line 22, in open_session')
            say("worker-1", "    conn = engine.connect()")
            say(
                "worker-1",
                "sqlalchemy.exc.OperationalError: (psycopg.OperationalError) connection failed: "
                "connection to "
                'server at "172.19.0.3", port 5432 failed: FATAL:  password authentication failed '
                'for user "orders_rw"',
            )
            lines.append(f"worker-1 exited with code {1 if crash_at[index] < 3 else 3}")
            continue
        service = rng.choice(["proxy-1", "proxy-1", "api-1", "api-1", "worker-1", "cache-1", "db-1"])
        stamp = iso_ms(moment)
        if service == "proxy-1":
            say(
                service,
                f'172.19.0.1 - - [{moment.strftime("%d/%b/%Y:%H:%M:%S +0000")}] "GET '
                f"/api/orders/{rng.randint(1000, 99999)} "
                f'HTTP/1.1" 200 {rng.randint(200, 9000)} "-" "{rng.choice(_AGENTS)}"',
            )
        elif service == "api-1":
            say(
                service,
                f"{stamp} INFO  app.http: {rng.choice(['GET', 'POST'])} /orders/{rng.randint(1000, 99999)} "
                f"{rng.choice([200, 200, 201, 304])} {rng.randint(2, 400)}ms",
            )
        elif service == "worker-1":
            say(
                service,
                f"{stamp} INFO  rq.worker: default: jobs.sync_inventory({rng.randint(1, 999)}) "
                f"({hexid(rng, 8)}-{hexid(rng, 4)}) done in {round(rng.uniform(0.1, 9), 2)}s",
            )
        elif service == "cache-1":
            say(
                service,
                f"1:M 14 Oct 2026 {moment.strftime('%H:%M:%S')}.{rng.randint(0, 999):03d} * "
                f"{rng.randint(1, 100)} changes in 60 seconds. Saving...",
            )
        else:
            say(
                service,
                f"{stamp[:-1]} UTC [{rng.randint(60, 400)}] LOG:  checkpoint complete: wrote "
                f"{rng.randint(3, 900)} buffers ({round(rng.uniform(0, 5), 1)}%)",
            )
    output = "\n".join(lines)
    rows = output.split("\n")
    facts = [
        next(line for line in rows if line.startswith("worker-1") and "Error: " in line),
        next(line for line in rows if line.startswith("db-1") and "FATAL:" in line),
        [line for line in rows if re.match(r"worker-1 exited with code [1-9]", line)][-1],
    ]
    return Material(
        question="Our compose stack is up but the worker container keeps exiting. Why? Quote the log lines "
        "that show it.",
        calls=[
            Call("Bash", {"command": "docker compose logs --no-color", "description": "stack logs"}, output)
        ],
        facts=facts,
        rule="the worker's first exception line, the database's first FATAL line, and the last "
        "`exited with code` line of the worker with a non-zero code",
        origin="seeded generator: `docker compose logs` interleaving a proxy, an API, a worker, Redis and "
        "Postgres, the worker crashing three times",
    )


# test runners ----------------------------------------------------------------------------------

_VERBS = ["applies", "rejects", "rounds", "computes", "parses", "handles", "returns"]
_CONDITIONS = ["zero", "negative", "large", "unicode", "empty", "default", "expired", "duplicate"]
_PY_MODULES = [
    "pricing",
    "money",
    "tax",
    "inventory",
    "orders",
    "shipping",
    "coupons",
    "accounts",
    "auth",
    "reports",
]


@case("pytest_verbose_three_failures", "shell", "synthetic", "anthropic")
def pytest_verbose() -> Material:
    rng = random.Random(3030)
    tests = []
    for module in _PY_MODULES:
        for _ in range(rng.randint(50, 95)):
            name = (
                f"test_{rng.choice(_VERBS)}_{rng.choice(_CONDITIONS)}"
                f"_{rng.choice(['amount', 'input', 'rate', 'code', 'sku', 'user', 'window', 'region'])}"
            )
            if rng.random() < 0.3:
                name += f"[{rng.choice(['0', '1', '10', 'EUR', 'USD', 'de_DE', 'ja_JP'])}]"
            tests.append(f"tests/unit/test_{module}.py::{name}")
    tests = list(dict.fromkeys(tests))
    failing = {
        tests[140]: (
            "assert round_money(Decimal('2.675')) == Decimal('2.68')",
            "AssertionError: assert Decimal('2.67') == Decimal('2.68')",
        ),
        tests[401]: ("assert quote.total_cents == 12_990", "AssertionError: assert 13189 == 12990"),
        tests[655]: ("resp = client.post('/orders', json=payload)", "KeyError: 'shipping_zone'"),
    }
    skipped = set(rng.sample(tests, 4)) - set(failing)
    lines = [
        "============================= test session starts ==============================",
        "platform linux -- Python 3.12.6, pytest-8.3.3, pluggy-1.5.0 -- /srv/app/.venv/bin/python",
        "cachedir: .pytest_cache",
        "rootdir: /srv/app",
        "configfile: pyproject.toml",
        "plugins: anyio-4.6.0, cov-5.0.0, xdist-3.6.1, hypothesis-6.115.0",
        f"collecting ... collected {len(tests)} items",
        "",
    ]
    for position, test in enumerate(tests):
        outcome = (
            "FAILED" if test in failing else ("SKIPPED (needs network)" if test in skipped else "PASSED")
        )
        percent = f"[{(position + 1) * 100 // len(tests):3d}%]"
        lines.append(f"{test} {outcome}".ljust(74) + percent)
    lines += ["", "=================================== FAILURES ==================================="]
    for test, (source, error) in failing.items():
        title = test.split("::")[1]
        path = test.split("::")[0]
        lineno = rng.randint(20, 300)
        lines += [
            f"{'_' * ((78 - len(title)) // 2 - 1)} {title} {'_' * ((78 - len(title)) // 2 - 1)}",
            "",
            f"    def {title.split('[')[0]}({'client' if 'KeyError' in error else ''}):",
            f"        payload = build_payload({rng.randint(1, 9)})"
            if "KeyError" in error
            else "        setup_rates()",
            f">       {source}",
            f"E       {error}",
            "",
            f"{path}:{lineno}: {error.split(':')[0]}",
        ]
    summary = [f"FAILED {test} - {error}" for test, (_, error) in failing.items()]
    lines += [
        "=========================== short test summary info ============================",
        *summary,
        f"============ {len(failing)} failed, {len(tests) - len(failing) - len(skipped)} passed, "
        f"{len(skipped)} skipped in 48.31s ============",
    ]
    output = "\n".join(lines)
    facts = lines_where(output, lambda line: line.startswith("FAILED ")) + [
        next(line for line in section.split("\n") if line.startswith("E   "))
        for section in output.split("=================================== FAILURES")[1].split("\n_")[1:]
    ]
    return Material(
        question="CI's unit-test job failed. Which tests failed, and what does each assertion or error say?",
        calls=[
            Call("Bash", {"command": "python -m pytest -v tests/unit", "description": "unit tests"}, output)
        ],
        facts=list(dict.fromkeys(facts)),
        rule="every `FAILED` line of the short summary and the first `E` line of each failure",
        origin="seeded generator: `pytest -v` output of ~700 tests with three failures",
    )


@case("jest_two_failing_suites", "shell", "synthetic", "openai")
def jest_output() -> Material:
    rng = random.Random(4040)
    areas = ["cart", "checkout", "catalog", "account", "search", "payments", "i18n", "utils", "hooks", "api"]
    lines = []
    failures = []
    total = passed = 0
    for area in areas:
        for suite_index in range(rng.randint(5, 9)):
            stem = rng.choice(["format", "reducer", "selectors", "client", "validate", "useQuery", "render"])
            suite = f"src/{area}/{stem}{suite_index}.test.ts"
            broken = (area, suite_index) in {("checkout", 2), ("i18n", 1)}
            lines.append(f"{'FAIL' if broken else 'PASS'} {suite} ({round(rng.uniform(0.3, 6), 2)} s)")
            describe = area.capitalize()
            lines.append(f"  {describe}")
            for test_index in range(rng.randint(4, 14)):
                name = f"{rng.choice(_VERBS)} {rng.choice(_CONDITIONS).replace('_', ' ')} state {test_index}"
                total += 1
                if broken and test_index == 1:
                    lines.append(f"    \u2715 {name} ({rng.randint(2, 60)} ms)")
                    failures.append((suite, describe, name))
                else:
                    passed += 1
                    lines.append(f"    \u2713 {name} ({rng.randint(1, 40)} ms)")
            lines.append("")
    details = {
        0: (
            "expect(received).toBe(expected) // Object.is equality",
            "Expected: 4210",
            "Received: 4620",
            "    > 43 |     expect(total.cents).toBe(4210);",
        ),
        1: (
            "expect(received).toEqual(expected) // deep equality",
            'Expected: "1.234,50 €"',
            'Received: "1,234.50 €"',
            '    > 17 |     expect(formatPrice(123450, "de-DE")).toEqual("1.234,50 €");',
        ),
    }
    for index, (suite, describe, name) in enumerate(failures):
        matcher, expected, received, pointer = details[index]
        lines += [
            f"  \u25cf {describe} \u203a {name}",
            "",
            f"    {matcher}",
            "",
            f"    {expected}",
            f"    {received}",
            "",
            pointer,
            "         |                         ^",
            "",
            f"      at Object.<anonymous> ({suite}:{pointer.split('|')[0].split()[-1]}:25)",
            "",
        ]
    suites = sum(1 for line in lines if line.startswith(("PASS ", "FAIL ")))
    lines += [
        f"Test Suites: {len(failures)} failed, {suites - len(failures)} passed, {suites} total",
        f"Tests:       {len(failures)} failed, {passed} passed, {total} total",
        "Snapshots:   0 total",
        f"Time:        {round(rng.uniform(20, 60), 3)} s",
        "Ran all test suites.",
    ]
    output = "\n".join(lines)
    facts = lines_where(output, lambda line: line.startswith("FAIL ")) + lines_where(
        output, lambda line: line.startswith("  \u25cf ")
    )
    return Material(
        question="`npm test` is red on my branch. Which suites and tests fail, and what do they expect?",
        calls=[Call("run_shell", {"command": "npx jest --verbose"}, output)],
        facts=facts,
        rule="every `FAIL` suite line and every `\u25cf` failing-test title line",
        origin="seeded generator: `jest --verbose` output of ~70 suites with two failing tests",
    )


@case("go_test_fail_and_panic", "shell", "synthetic", "anthropic")
def go_test_output() -> Material:
    rng = random.Random(5050)
    packages = ["cron", "store", "queue", "api", "auth", "config", "metrics", "worker", "retry", "clock"]
    lines = []
    for package in packages:
        module = f"github.com/acme/scheduler/internal/{package}"
        failed = False
        for test_index in range(rng.randint(6, 16)):
            verb = rng.choice(["Parse", "Next", "Apply", "Load", "Retry", "Encode", "Lease"])
            test = f"Test{package.capitalize()}{verb}{test_index}"
            lines.append(f"=== RUN   {test}")
            subtests = [
                rng.choice(["empty", "utc", "dst", "leap_year", "overflow", "zero", "many"]) + f"_{n}"
                for n in range(rng.randint(0, 5))
            ]
            for sub in subtests:
                lines.append(f"=== RUN   {test}/{sub}")
            if package == "cron" and test_index == 3:
                sub = "dst_spring_forward"
                lines += [
                    f"=== RUN   {test}/{sub}",
                    '    cron_test.go:88: NextRun("0 2 * * *", 2026-03-29 01:30 Europe/Berlin) = 2026-03-30 '
                    "02:00:00 +0200 CEST, want 2026-03-29 03:00:00 +0200 CEST",
                    f"    --- FAIL: {test}/{sub} (0.00s)",
                ]
                for done in subtests:
                    lines.append(f"    --- PASS: {test}/{done} (0.00s)")
                lines.append(f"--- FAIL: {test} (0.01s)")
                failed = True
                continue
            if package == "queue" and test_index == 5:
                lines += [
                    "panic: runtime error: invalid memory address or nil pointer dereference [recovered]",
                    "\tpanic: runtime error: invalid memory address or nil pointer dereference",
                    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x6b2f1d]",
                    "",
                    f"goroutine {rng.randint(20, 90)} [running]:",
                    "testing.tRunner.func1.2({0x7a1c40, 0xa4e3b0})",
                    "\t/usr/local/go/src/testing/testing.go:1632 +0x230",
                    "panic({0x7a1c40?, 0xa4e3b0?})",
                    "\t/usr/local/go/src/runtime/panic.go:785 +0x132",
                    f"{module}.(*Lease).Renew(0x0, {{0x8c2e68, 0xc0000a6000}})",
                    f"\t/src/internal/{package}/lease.go:57 +0x1d",
                    f"{module}.{test}(0xc000183520)",
                    f"\t/src/internal/{package}/lease_test.go:112 +0x8e",
                    "testing.tRunner(0xc000183520, 0x82f0b8)",
                    "\t/usr/local/go/src/testing/testing.go:1690 +0xf4",
                    f"FAIL\t{module}\t0.214s",
                ]
                break
            for sub in subtests:
                lines.append(f"    --- PASS: {test}/{sub} (0.00s)")
            lines.append(f"--- PASS: {test} ({rng.randint(0, 40) / 100:.2f}s)")
        else:
            lines.append("FAIL" if failed else "PASS")
            lines.append(f"{'FAIL' if failed else 'ok  '}\t{module}\t{rng.randint(100, 2400) / 1000:.3f}s")
    lines.append("FAIL")
    output = "\n".join(lines)
    fail_lines = lines_where(output, lambda line: line.lstrip().startswith("--- FAIL"))
    rows = output.split("\n")
    messages = [rows[rows.index(line) - 1].rstrip() for line in fail_lines if line.startswith("    ")]
    facts = fail_lines + messages + lines_where(output, lambda line: line.startswith(("panic: ", "FAIL\t")))
    return Material(
        question="`go test ./...` fails in CI for the scheduler. Which packages and tests fail, and why?",
        calls=[Call("Bash", {"command": "go test -v ./...", "description": "run all tests"}, output)],
        facts=list(dict.fromkeys(facts)),
        rule="every `--- FAIL` line, the message a failing subtest logged just before its `--- FAIL`, the "
        "`panic:` line and every `FAIL\\t<package>` line",
        origin="seeded generator: `go test -v ./...` over ten packages with a failing subtest and a nil "
        "pointer panic",
    )


# source files: what a function does on a named failure -----------------------------------------

_GO_ENTITIES = [
    *("Pair", "Provider", "Snapshot", "Alert", "Subscription", "Ledger", "Holiday", "Spread"),
    *("Fixing", "Corridor", "Margin", "Settlement", "Venue", "Tenor", "Benchmark", "Override"),
]


def _go_helpers(rng: random.Random) -> list[str]:
    """Ordinary methods of a Go service package, so the asked-about one is a needle among peers."""
    blocks = []
    for entity in _GO_ENTITIES:
        lower = entity[0].lower() + entity[1:]
        field = rng.choice(["ID", "Code", "Name", "Key"])
        blocks.append(
            f"""// {entity}Store keeps {lower} records in Postgres.
type {entity}Store struct {{
	db      *sql.DB
	table   string
	timeout time.Duration
}}

// Get{entity} loads one {lower} by its {field.lower()}.
func (s *{entity}Store) Get{entity}(ctx context.Context, {lower}{field} string) (*{entity}, error) {{
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	query := "SELECT payload FROM " + s.table + " WHERE {field.lower()} = $1"
	row := s.db.QueryRowContext(ctx, query, {lower}{field})
	var payload []byte
	if err := row.Scan(&payload); err != nil {{
		if errors.Is(err, sql.ErrNoRows) {{
			return nil, fmt.Errorf("{lower} %q: %w", {lower}{field}, ErrNotFound)
		}}
		return nil, fmt.Errorf("load {lower} %q: %w", {lower}{field}, err)
	}}
	var out {entity}
	if err := json.Unmarshal(payload, &out); err != nil {{
		return nil, fmt.Errorf("decode {lower} %q: %w", {lower}{field}, err)
	}}
	return &out, nil
}}

// List{entity}s pages through {lower} records, {rng.choice([50, 100, 200, 500])} at a time.
func (s *{entity}Store) List{entity}s(ctx context.Context, after string, limit int) ([]{entity}, error) {{
	if limit <= 0 || limit > {rng.choice([100, 500, 1000])} {{
		return nil, fmt.Errorf("list {lower}s: limit %d out of range", limit)
	}}
	query := "SELECT payload FROM " + s.table +
		" WHERE {field.lower()} > $1 ORDER BY {field.lower()} LIMIT $2"
	rows, err := s.db.QueryContext(ctx, query, after, limit)
	if err != nil {{
		return nil, fmt.Errorf("list {lower}s: %w", err)
	}}
	defer rows.Close()
	var out []{entity}
	for rows.Next() {{
		var payload []byte
		if err := rows.Scan(&payload); err != nil {{
			return nil, err
		}}
		var item {entity}
		if err := json.Unmarshal(payload, &item); err != nil {{
			return nil, fmt.Errorf("decode {lower}: %w", err)
		}}
		out = append(out, item)
	}}
	return out, rows.Err()
}}
"""
        )
    return blocks


_GO_QUOTE = """// Quote returns the exchange rate for a currency pair, preferring the live provider.
func (s *Service) Quote(ctx context.Context, base, quote string) (Rate, error) {
	if base == quote {
		return Rate{Base: base, Quote: quote, Value: 1, AsOf: s.now()}, nil
	}
	key := pairKey(base, quote)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ProviderTimeout)
	defer cancel()
	live, err := s.provider.Fetch(ctx, base, quote)
	switch {
	case err == nil:
		s.cache.Put(key, live)
		return live, nil
	case errors.Is(err, context.DeadlineExceeded):
		if cached, ok := s.cache.Get(key); ok && s.now().Sub(cached.AsOf) < s.cfg.MaxStaleness {
			s.metrics.StaleServed.Inc()
			return cached.WithStale(true), nil
		}
		return Rate{}, fmt.Errorf("quote %s: provider timed out: %w", key, ErrUnavailable)
	case errors.Is(err, ErrUnknownPair):
		return Rate{}, err
	default:
		s.metrics.ProviderErrors.Inc()
		return Rate{}, fmt.Errorf("quote %s: %w", key, err)
	}
}
"""


def branch_returns(source: str, function: str, condition: str) -> list[str]:
    """The `func` line of `function` and the `return` lines of its `case`/`if` branch whose line
    matches `condition`, up to the next branch at the same depth."""
    lines = source.split("\n")
    start = next(i for i, line in enumerate(lines) if re.match(rf"func (\([^)]*\) )?{function}\(", line))
    end = next(i for i in range(start + 1, len(lines)) if lines[i] == "}")
    branch = next(i for i in range(start, end) if re.search(condition, lines[i]))
    depth = len(lines[branch]) - len(lines[branch].lstrip("\t"))
    found = [lines[start]]
    for line in lines[branch + 1 : end]:
        indent = len(line) - len(line.lstrip("\t"))
        if line.strip() and indent <= depth:
            break
        if line.strip().startswith("return "):
            found.append(line.rstrip())
    return found


@case("go_service_quote_on_timeout", "code", "synthetic", "openai")
def go_service_source() -> Material:
    rng = random.Random(6060)
    helpers = _go_helpers(rng)
    position = rng.randint(3, len(helpers) - 2)
    header = """// Package fxrates serves currency exchange rates to the checkout and invoicing services.
package fxrates

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("fxrates: not found")

// ErrUnavailable is returned when no trustworthy rate can be served.
var ErrUnavailable = errors.New("fxrates: rate unavailable")

// ErrUnknownPair is returned by a provider for a pair it does not quote.
var ErrUnknownPair = errors.New("fxrates: unknown currency pair")
"""
    source = "\n".join([header, *helpers[:position], _GO_QUOTE, *helpers[position:]])
    return Material(
        question="In our fxrates service, what does Service.Quote do when the live rate provider times out? "
        "Does checkout get an error or a rate?",
        calls=[Call("read_file", {"path": "internal/fxrates/service.go"}, source)],
        facts=branch_returns(source, "Quote", r"context\.DeadlineExceeded"),
        rule="the `func` line of the function the question names and every `return` line of its branch for "
        "the failure the question names",
        origin="seeded generator: a Go service file with sixteen store types and the asked-about method "
        "among "
        "them",
    )


_TS_QUEUE = """export class {name} {{
  private readonly pending = new Map<string, {item}>();
  private flushing = false;

  constructor(
    private readonly client: HttpClient,
    private readonly options: QueueOptions = {{ batchSize: {batch}, flushIntervalMs: {interval} }},
  ) {{}}

  enqueue(item: {item}): void {{
    if (this.pending.has(item.id)) {{
      return;
    }}
    this.pending.set(item.id, item);
    if (this.pending.size >= this.options.batchSize) {{
      void this.flush();
    }}
  }}

  async flush(): Promise<number> {{
    if (this.flushing || this.pending.size === 0) {{
      return 0;
    }}
    this.flushing = true;
    const batch = [...this.pending.values()].slice(0, this.options.batchSize);
    try {{
      const response = await this.client.post("/v1/{path}", {{ items: batch }});
      if (response.status >= 500) {{
        throw new RetryableError(`{path} flush failed with ${{response.status}}`);
      }}
      for (const item of batch) {{
        this.pending.delete(item.id);
      }}
      return batch.length;
    }} finally {{
      this.flushing = false;
    }}
  }}
}}
"""

_TS_VERIFY = """export class WebhookVerifier {
  constructor(
    private readonly secrets: SecretStore,
    private readonly clock: Clock = systemClock,
    private readonly toleranceSeconds = 300,
    private readonly metrics: Metrics = noopMetrics,
  ) {}

  async verify(req: IncomingRequest): Promise<VerifiedEvent> {
    const header = req.headers["x-acme-signature"];
    if (typeof header !== "string" || header.length === 0) {
      throw new WebhookError("missing_signature", "X-Acme-Signature header is required", 400);
    }
    const parts = Object.fromEntries(header.split(",").map((part) => part.split("=", 2) as [string, string]));
    const timestamp = Number(parts.t);
    if (!Number.isFinite(timestamp)) {
      throw new WebhookError("malformed_signature", `cannot read a timestamp from "${header}"`, 400);
    }
    const ageSeconds = Math.abs(this.clock.now() / 1000 - timestamp);
    if (ageSeconds > this.toleranceSeconds) {
      this.metrics.increment("webhooks.rejected.stale");
      throw new WebhookError("stale_timestamp", `signature is ${Math.round(ageSeconds)}s old`, 401);
    }
    const secret = await this.secrets.current(req.headers["x-acme-account"] as string);
    const expected = createHmac("sha256", secret).update(`${parts.t}.${req.rawBody}`).digest("hex");
    if (!timingSafeEqual(Buffer.from(expected), Buffer.from(parts.v1 ?? ""))) {
      throw new WebhookError("bad_signature", "signature does not match the payload", 401);
    }
    return { id: String(req.body.id), type: String(req.body.type), receivedAt: this.clock.now() };
  }
}
"""


@case("ts_webhook_verify_stale", "code", "synthetic", "anthropic")
def ts_webhook_source() -> Material:
    rng = random.Random(7070)
    queues = [
        _TS_QUEUE.format(
            name=f"{item}Queue",
            item=item,
            batch=rng.choice([25, 50, 100]),
            interval=rng.choice([500, 1000, 2500]),
            path=path,
        )
        for item, path in (
            ("Delivery", "deliveries"),
            ("AuditEvent", "audit"),
            ("Metric", "metrics"),
            ("Invoice", "invoices"),
            ("Refund", "refunds"),
            ("Notification", "notify"),
            ("Shipment", "shipments"),
            ("Payout", "payouts"),
            ("Dispute", "disputes"),
            ("Reminder", "reminders"),
            ("Export", "exports"),
            ("Webhook", "webhook-replays"),
            ("Session", "sessions"),
            ("Coupon", "coupons"),
            ("Review", "reviews"),
            ("Ticket", "tickets"),
        )
    ]
    header = """import { createHmac, timingSafeEqual } from "node:crypto";
import type { Clock, HttpClient, IncomingRequest, Metrics } from "./types";
import type { QueueOptions, SecretStore, VerifiedEvent } from "./types";
import { noopMetrics, systemClock } from "./runtime";

export class WebhookError extends Error {
  constructor(readonly code: string, message: string, readonly status: number) {
    super(message);
  }
}

export class RetryableError extends Error {}
"""
    at = rng.randint(2, len(queues) - 1)
    source = "\n".join([header, *queues[:at], _TS_VERIFY, *queues[at:]])
    lines = source.split("\n")
    signature = next(line for line in lines if "async verify(" in line)
    branch = next(i for i, line in enumerate(lines) if "ageSeconds > this.toleranceSeconds" in line)
    thrown = next(line for line in lines[branch:] if line.strip().startswith("throw "))
    return Material(
        question="What does WebhookVerifier.verify do when a webhook's signature timestamp is older than "
        "the allowed tolerance? Which error code and HTTP status does the sender get?",
        calls=[Call("Read", {"file_path": "src/webhooks/delivery.ts"}, source)],
        facts=[signature.rstrip(), thrown.rstrip()],
        rule="the signature line of the method the question names and the `throw` line of its branch for "
        "the failure the question names",
        origin="seeded generator: a TypeScript module with sixteen queue classes and the webhook verifier",
    )
