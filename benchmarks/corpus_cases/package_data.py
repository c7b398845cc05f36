"""JSON shipped with installed software or printed by real tools: ISO code tables from iso-codes,
npm's bundled packages as `npm query` reports them, ruff's JSON diagnostics, botocore's service
models and retry table, litellm's header map, Node's build configuration, JSON Schema metaschemas."""

from __future__ import annotations

import collections
import gzip
import json
import sys
from pathlib import Path

from corpus_kit import (
    NPM_ROOT,
    SITE,
    Call,
    Material,
    Skip,
    case,
    entry_fact,
    need,
    read,
    run_stdout,
    value_fact,
)

ISO_CODES = Path("/usr/share/iso-codes/json")

# JSON arrays of records ------------------------------------------------------------------------


@case("iso_3166_countries", "json_array", "real", "openai")
def iso_3166_countries() -> Material:
    records = json.loads(read(ISO_CODES / "iso_3166-1.json"))["3166-1"]
    output = json.dumps(records, indent=2, ensure_ascii=False)
    asked = ("Curaçao", "Eswatini")
    by_name = {record["name"]: record for record in records}
    if any(name not in by_name for name in asked):
        raise Skip("a country the question names is missing")
    facts: list[str | list[str]] = []
    for name in asked:
        record = by_name[name]
        facts += [value_fact(output, record["alpha_3"]), value_fact(output, record["numeric"])]
    return Material(
        question="For the shipping form I need the ISO 3166 alpha-3 and numeric codes of Curaçao and "
        "Eswatini.",
        calls=[
            Call(
                "run_shell",
                {"command": "jq '.\"3166-1\"' /usr/share/iso-codes/json/iso_3166-1.json"},
                output,
                is_json=True,
            )
        ],
        facts=facts,
        origin="iso-codes' ISO 3166-1 country table (/usr/share/iso-codes/json)",
        rule="the alpha_3 and numeric values of each record the question names",
    )


@case("iso_639_constructed_languages", "json_array", "real", "anthropic")
def iso_639_constructed() -> Material:
    records = json.loads(read(ISO_CODES / "iso_639-3.json"))["639-3"]
    subset = [record for record in records if record["alpha_3"][0] in "ab"]
    output = json.dumps(subset, indent=2, ensure_ascii=False)
    constructed = [record for record in subset if record["type"] == "C"]
    if not constructed:
        raise Skip("no constructed language in the slice")
    return Material(
        question="Among the ISO 639-3 codes starting with a or b, which ones are constructed languages (type "
        "C)? Give their codes and names.",
        calls=[
            Call(
                "Bash",
                {
                    "command": 'jq \'[."639-3"[] | select(.alpha_3 | test("^[ab]"))]\' '
                    "/usr/share/iso-codes/json/iso_639-3.json",
                    "description": "ISO 639-3 codes a-b",
                },
                output,
                is_json=True,
            )
        ],
        facts=[value_fact(output, record["name"]) for record in constructed],
        origin="iso-codes' ISO 639-3 language table, the codes starting with a or b",
        rule="the name of every record whose type is the rare value C the question asks for",
    )


@case("npm_query_rare_licenses", "json_array", "real", "openai")
def npm_query_licenses() -> Material:
    packages = json.loads(run_stdout(["npm", "query", ":root > *", "--json"], cwd=need(NPM_ROOT)))
    for package in packages:  # npm loads the tree concurrently: its edge lists come in any order
        for edges in ("from", "to"):
            if isinstance(package.get(edges), list):
                package[edges] = sorted(package[edges])
    output = json.dumps(packages, indent=2, ensure_ascii=False)
    common = {"ISC", "MIT"}
    other = [p for p in packages if isinstance(p.get("license"), str) and p["license"] not in common]
    if not other:
        raise Skip("every bundled package is ISC or MIT")
    return Material(
        question="Legal wants every package bundled with npm that is NOT under ISC or MIT. Which are they, "
        "and under which license?",
        calls=[
            Call(
                "run_shell",
                {
                    "command": f"cd {NPM_ROOT} && npm query ':root > *' --json "
                    "| jq 'map(.from |= sort | .to |= sort)'"
                },
                output,
                True,
            )
        ],
        facts=[value_fact(output, p["pkgid"]) for p in other],
        origin="`npm query ':root > *' --json` in the npm that ships with Node.js, edge lists sorted",
        rule="the pkgid of every record whose license is neither ISC nor MIT",
    )


@case("ruff_json_tornado_rare_rules", "json_array", "real", "anthropic")
def ruff_json_tornado() -> Material:
    need(SITE / "tornado")
    output = run_stdout(
        [
            str(Path(sys.executable).parent / "ruff"),
            "check",
            "--no-cache",
            "--isolated",
            "--output-format",
            "json",
            "--select",
            "F,E9,B",
            "tornado",
        ],
        cwd=SITE,
        ok=(1,),
    )
    output = output.replace(str(SITE) + "/", "")
    findings = json.loads(output)
    counts = collections.Counter(finding["code"] for finding in findings)
    asked = ("B020", "B004")
    hits = [finding for finding in findings if finding["code"] in asked]
    if any(counts[code] == 0 for code in asked):
        raise Skip("a rule the question names found nothing")
    return Material(
        question="Ruff's bugbear rules over tornado: are there any B020 (loop variable overrides its "
        "iterable) or B004 findings? Which file, line and message for each?",
        calls=[
            Call(
                "Bash",
                {
                    "command": "ruff check --isolated --output-format json --select F,E9,B tornado",
                    "description": "lint tornado with pyflakes and bugbear",
                },
                output,
                is_json=True,
            )
        ],
        facts=[value_fact(output, hit["message"]) for hit in hits],
        origin="a real `ruff check --output-format json` over the installed tornado",
        rule="the message of every finding whose code the question names (each names its record)",
    )


# nested JSON objects ---------------------------------------------------------------------------


def botocore_model(service: str) -> dict:
    versions = sorted((SITE / "botocore/data" / service).glob("*/service-2.json.gz"))
    if not versions:
        raise Skip(f"no botocore model for {service}")
    return json.loads(gzip.decompress(versions[-1].read_bytes()))


@case("botocore_sqs_send_message", "json_object", "real", "openai")
def botocore_sqs() -> Material:
    model = botocore_model("sqs")
    output = json.dumps(model, indent=2)
    members = model["shapes"]["SendMessageRequest"]["members"]
    asked = ("DelaySeconds", "MessageSystemAttributes")
    return Material(
        question="In SQS SendMessage, what range does DelaySeconds accept, and which message system "
        "attribute is supported? Check botocore's service model.",
        calls=[
            Call(
                "run_shell",
                {"command": "python -m json.tool botocore/data/sqs/2012-11-05/service-2.json"},
                output,
                is_json=True,
            )
        ],
        facts=[value_fact(output, members[name]["documentation"]) for name in asked],
        origin="botocore's SQS service model (package data)",
        rule="the documentation string of each SendMessageRequest member the question names",
    )


@case("botocore_retry_throttling", "json_object", "real", "anthropic")
def botocore_retry() -> Material:
    output = read(SITE / "botocore/data/_retry.json")
    table = json.loads(output)
    default = table["retry"]["__default__"]
    throttling = [
        definition["applies_when"]["response"]["service_error_code"]
        for definition in table["definitions"].values()
        if "service_error_code" in definition["applies_when"].get("response", {})
        and "hrottl" in definition["applies_when"]["response"]["service_error_code"]
    ]
    if not throttling:
        raise Skip("no throttling codes")
    return Material(
        question="How many attempts does botocore's legacy retry handler make by default, and which "
        "service error codes does it treat as throttling?",
        calls=[Call("Read", {"file_path": "botocore/data/_retry.json"}, output, is_json=True)],
        facts=[
            entry_fact(output, "max_attempts", default["max_attempts"]),
            *[value_fact(output, code) for code in throttling],
        ],
        origin="botocore's _retry.json (package data)",
        rule="the default max_attempts entry and every service_error_code naming a throttle",
    )


@case("litellm_beta_headers_bedrock", "json_object", "real", "openai")
def litellm_beta_headers() -> Material:
    output = read(SITE / "litellm/anthropic_beta_headers_config.json")
    config = json.loads(output)
    bedrock = config.get("bedrock", {})
    asked = ("advanced-tool-use-2025-11-20", "structured-outputs-2025-11-13")
    if any(name not in bedrock for name in asked):
        raise Skip("a header the question names is missing for bedrock")
    facts: list[str | list[str]] = []
    for name in asked:
        # The answer is the header's entry in bedrock's map: the key and the value it maps to.
        facts.append(entry_fact(output, name, bedrock[name]))
    return Material(
        question="Can LiteLLM forward the Anthropic betas advanced-tool-use-2025-11-20 and "
        "structured-outputs-2025-11-13 to Bedrock (invoke), and under which header names?",
        calls=[Call("read_file", {"path": "litellm/anthropic_beta_headers_config.json"}, output, True)],
        facts=facts,
        origin="litellm's anthropic_beta_headers_config.json (package data)",
        rule="the entry of each header the question names in the bedrock provider's map",
        notes="the same keys occur under every provider; the structured-outputs entry is bedrock's alone, "
        "the advanced-tool-use entry also occurs in other providers' maps (a weak fact)",
    )


@case("node_process_config_icu", "json_object", "real", "anthropic")
def node_process_config() -> Material:
    output = run_stdout(["node", "-p", "JSON.stringify(process.config, null, 2)"]).strip()
    variables = json.loads(output)["variables"]
    if "icu_data_in" not in variables or "openssl_is_fips" not in variables:
        raise Skip("no ICU/OpenSSL build variables")
    return Material(
        question="How was this Node.js built: which ICU data file and ICU major version, and which "
        "OpenSSL configuration (FIPS, QUIC)?",
        calls=[
            Call(
                "Bash",
                {
                    "command": "node -p 'JSON.stringify(process.config, null, 2)'",
                    "description": "build config",
                },
                output,
                is_json=True,
            )
        ],
        facts=[
            value_fact(output, variables["icu_data_in"]),
            entry_fact(output, "icu_ver_major", variables["icu_ver_major"]),
            entry_fact(output, "openssl_is_fips", variables["openssl_is_fips"]),
        ],
        origin="`node -p process.config` of the installed Node.js",
        rule="the build variables the question names (icu_data_in, icu_ver_major, openssl_is_fips)",
        notes="small output: checks that short blocks pass through untouched",
    )


@case("jsonschema_draft7_metaschema", "json_object", "real", "openai")
def jsonschema_draft7() -> Material:
    path = SITE / "jsonschema_specifications/schemas/draft7/metaschema.json"
    output = read(path)
    schema = json.loads(output)
    properties = schema["properties"]
    asked = ("minLength", "uniqueItems")
    return Material(
        question="In the draft-07 metaschema, what is `minLength` defined as, and what's the default of "
        "`uniqueItems`?",
        calls=[Call("read_file", {"path": str(path.relative_to(SITE))}, output, is_json=True)],
        facts=[entry_fact(output, name, properties[name]) for name in asked],
        origin="the JSON Schema draft-07 metaschema shipped in jsonschema-specifications",
        rule="the entry under `properties` of each keyword the question names",
        notes="small output: checks that short blocks pass through untouched",
    )
