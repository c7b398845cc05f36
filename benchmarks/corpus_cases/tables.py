"""Tables from real files and tools: distro-info's release CSVs, matplotlib's sample stock data,
tzdata's zone1970.tab, slices of the workplace's npm and NuGet package lists and PyPI's month
column, and `psql`'s aligned listing of a scratch cluster's settings."""

from __future__ import annotations

import csv
from pathlib import Path

from corpus_kit import PYPI_TSV, SITE, Call, Material, Skip, case, fit, line_matching, read

from corpus_cases.machine_logs import Postgres

DISTRO_INFO = Path("/usr/share/distro-info")
SAMPLE_DATA = SITE / "matplotlib/mpl-data/sample_data"
PACKAGE_LISTS = PYPI_TSV.parent


def csv_rows(text: str) -> tuple[list[str], list[tuple[str, dict[str, str]]]]:
    """The header and each data row as (the line as written, its fields by column)."""
    lines = [line for line in text.split("\n") if line and not line.startswith("#")]
    header = next(csv.reader([lines[0]]))
    rows = [(line, dict(zip(header, next(csv.reader([line])), strict=False))) for line in lines[1:]]
    return header, rows


@case("distro_info_debian_ubuntu", "table", "real", "anthropic")
def distro_info() -> Material:
    debian = read(DISTRO_INFO / "debian.csv")
    ubuntu = read(DISTRO_INFO / "ubuntu.csv")
    facts = [line_matching(debian, r",bookworm,"), line_matching(ubuntu, r",noble,")]
    return Material(
        question="Our base images are Debian bookworm and Ubuntu noble. When does each reach end of life "
        "(and for noble, end of standard and ESM support)?",
        preamble="Reading distro-info's release tables for both.",
        calls=[
            Call("Read", {"file_path": "/usr/share/distro-info/debian.csv"}, debian),
            Call("Read", {"file_path": "/usr/share/distro-info/ubuntu.csv"}, ubuntu),
        ],
        facts=facts,
        origin="distro-info-data's debian.csv and ubuntu.csv",
        rule="the row of each release the question names",
        notes="small outputs: checks that short blocks pass through untouched",
    )


@case("ubuntu_csv_longest_esm", "table", "real", "openai")
def ubuntu_longest_esm() -> Material:
    text = read(DISTRO_INFO / "ubuntu.csv")
    _, rows = csv_rows(text)
    with_esm = [(fields["eol-esm"], line) for line, fields in rows if fields.get("eol-esm")]
    if not with_esm:
        raise Skip("no eol-esm column values")
    return Material(
        question="Which Ubuntu release has the longest-running ESM support, i.e. the latest eol-esm date?",
        calls=[Call("run_shell", {"command": "cat /usr/share/distro-info/ubuntu.csv"}, text)],
        facts=[max(with_esm)[1]],
        origin="distro-info-data's ubuntu.csv",
        rule="the row holding the largest eol-esm value",
        notes="small output: checks that short blocks pass through untouched",
    )


@case("stocks_csv_extremes", "table", "real", "openai")
def stocks_csv() -> Material:
    text = read(SAMPLE_DATA / "Stocks.csv")
    _, rows = csv_rows(text)

    def extreme(column: str, largest: bool) -> str:
        valued = [(float(fields[column]), line) for line, fields in rows if fields.get(column)]
        return (max(valued) if largest else min(valued))[1]

    return Material(
        question="In the monthly stock sample, on which date did AMZN close at its highest, and when was "
        "IBM at its lowest? Give the rows.",
        calls=[
            Call(
                "run_shell",
                {"command": "cat matplotlib/mpl-data/sample_data/Stocks.csv"},
                text,
            )
        ],
        facts=[extreme("AMZN", largest=True), extreme("IBM", largest=False)],
        origin="matplotlib's sample data Stocks.csv (monthly closes of ten tickers, with empty cells "
        "before listing)",
        rule="the row holding the largest AMZN value and the row holding the smallest IBM value",
    )


@case("msft_csv_volume_extremes", "table", "real", "anthropic")
def msft_csv() -> Material:
    text = read(SAMPLE_DATA / "msft.csv")
    _, rows = csv_rows(text)
    volumes = [(int(fields["Volume"]), line) for line, fields in rows]
    return Material(
        question="In this MSFT price sample, which day traded the most shares and which the fewest?",
        calls=[Call("Read", {"file_path": "matplotlib/mpl-data/sample_data/msft.csv"}, text)],
        facts=[max(volumes)[1], min(volumes)[1]],
        origin="matplotlib's sample data msft.csv",
        rule="the rows holding the largest and the smallest Volume",
        notes="small output: checks that short blocks pass through untouched",
    )


@case("zone1970_tab_country_codes", "table", "real", "anthropic")
def zone1970_tab() -> Material:
    text = read(Path("/usr/share/zoneinfo/zone1970.tab"))
    asked = ("NZ", "AQ")
    facts = [
        line
        for line in text.split("\n")
        if line and not line.startswith("#") and set(line.split("\t")[0].split(",")) & set(asked)
    ]
    if not facts:
        raise Skip("no zones for the asked countries")
    return Material(
        question="Which tz zones does zone1970.tab list for New Zealand (NZ) and for Antarctica (AQ)?",
        calls=[
            Call(
                "Bash",
                {"command": "cat /usr/share/zoneinfo/zone1970.tab", "description": "tz zones by country"},
                text,
            )
        ],
        facts=facts,
        origin="tzdata's zone1970.tab",
        rule="every row whose country-code field contains a code the question names",
    )


@case("npm_tsv_eslint_plugins_downloads", "table", "real", "openai")
def npm_tsv_eslint() -> Material:
    text = read(PACKAGE_LISTS / "npm.tsv")
    lines = text.split("\n")
    rows = [lines[0]] + [line for line in lines[1:] if line.startswith("eslint-plugin-")]
    counted = [
        (int(row.split("\t")[2]), row)
        for row in rows[1:]
        if row.split("\t")[2:3] and row.split("\t")[2].isdigit()
    ]
    if not counted:
        raise Skip("no eslint plugins with download counts")
    output = fit("\n".join(rows), 200_000)
    best = max(counted)[1]
    if best not in output:
        raise Skip("the best row was cut")
    return Material(
        question="Which eslint-plugin-* package in our npm registry dump has the most downloads a month, and "
        "how many?",
        calls=[Call("run_shell", {"command": "head -1 npm.tsv && grep '^eslint-plugin-' npm.tsv"}, output)],
        facts=[best.split("\t")[0] + "\t" + best.split("\t")[1] + "\t" + best.split("\t")[2]],
        origin="the npm package list TSV that ships with this workplace, rows starting with eslint-plugin-",
        rule="the name, version and downloads of the row holding the largest downloads_a_month",
    )


@case("nuget_tsv_extensions_licences", "table", "real", "anthropic")
def nuget_tsv_licences() -> Material:
    text = read(PACKAGE_LISTS / "nuget.tsv")
    lines = text.split("\n")
    rows = [line for line in lines[1:] if line.startswith("Microsoft.Extensions.")]
    output = "\n".join([lines[0], *rows])
    odd = [row for row in rows if row.split("\t")[2] != "MIT"]
    if not odd:
        raise Skip("every Microsoft.Extensions package is MIT")
    return Material(
        question="Are all the Microsoft.Extensions.* packages in our NuGet list MIT-licensed? List any that "
        "aren't, with their licence.",
        calls=[
            Call(
                "Bash",
                {
                    "command": "head -1 nuget.tsv && grep '^Microsoft\\.Extensions\\.' nuget.tsv",
                    "description": "Microsoft.Extensions packages",
                },
                output,
            )
        ],
        facts=["\t".join(row.split("\t")[:3]) for row in odd],
        origin="the NuGet package list TSV that ships with this workplace, rows for Microsoft.Extensions.*",
        rule="name, version and licence of every row whose licence is not the common value MIT",
    )


@case("pypi_tsv_flask_oldest_month", "table", "real", "openai")
def pypi_tsv_flask() -> Material:
    text = read(PYPI_TSV)
    lines = text.split("\n")
    rows = [line for line in lines[1:] if line.startswith("flask-")]
    output = fit("\n".join([lines[0], *rows]), 200_000)
    kept = [row for row in output.split("\n")[1:] if len(row.split("\t")) > 2 and row.split("\t")[2]]
    if not kept:
        raise Skip("no flask- rows with a month")
    month = min(row.split("\t")[2] for row in kept)
    oldest = [row for row in kept if row.split("\t")[2] == month]
    return Material(
        question="Which flask-* extension in the PyPI dump has gone the longest without a release (the "
        "oldest month), and what version is it at?",
        calls=[
            Call(
                "run_shell",
                {"command": "head -1 pypi.tsv && grep '^flask-' pypi.tsv | head -c 200000"},
                output,
            )
        ],
        facts=["\t".join(row.split("\t")[:3]) for row in oldest],
        origin="the PyPI package list TSV that ships with this workplace, rows starting with flask-",
        rule="name, version and month of every row holding the smallest month value",
    )


@case("psql_pg_settings_memory", "table", "real", "openai")
def psql_pg_settings() -> Material:
    pg = Postgres("postgres-settings", {"shared_buffers": "256MB", "work_mem": "16MB"})
    pg.start()
    try:
        output = pg.psql(
            "SELECT name, setting, unit, context, source FROM pg_settings ORDER BY name;", db="postgres"
        )
    finally:
        pg.stop()
    asked = ("shared_buffers", "work_mem", "maintenance_work_mem")
    return Material(
        question="What are shared_buffers, work_mem and maintenance_work_mem set to on this server (with "
        "units), and which of them needs a restart to change?",
        calls=[
            Call(
                "run_shell",
                {
                    "command": "psql -c 'SELECT name, setting, unit, context, source FROM pg_settings "
                    "ORDER BY name'"
                },
                output,
            )
        ],
        facts=[line_matching(output, rf"^ {name}\s+\|") for name in asked],
        origin="`psql` listing pg_settings of a scratch PostgreSQL 15 cluster started with two settings",
        rule="the row of each setting the question names",
    )
