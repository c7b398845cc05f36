"""crush.table.v1: the header, error and anomalous rows, the asked-for rows, first and last stay verbatim;
dropped runs are line ranges with one per-column summary."""

from __future__ import annotations

import random

import pytest

from headroom.markers import find_markers, find_summaries
from headroom.stages.crush.table import CrushTable, TableParams
from headroom.tokens import count_tokens
from tests.stages.crush.common import (
    assert_markers_retrieve_the_original,
    botocore_model,
    compressed,
    crushed,
    fixture,
)


def billing_csv(rows: int = 500) -> str:
    rng = random.Random(5)
    lines = ["invoice,customer,region,status,amount,issued_at"]
    for i in range(rows):
        status = "failed" if i == 333 else "paid"
        amount = 99_999.0 if i == 120 else round(rng.uniform(10, 200), 2)
        region = "ap-south" if i == 410 else rng.choice(["eu", "us"])
        lines.append(
            f"INV-{i:05d},cust-{rng.randint(100, 999)},{region},{status},{amount},2026-10-{1 + i % 30:02d}"
        )
    lines.insert(200, 'INV-note,"Acme, Inc.","eu","paid",12.5,"2026-10-05"')  # quoted fields
    return "\n".join(lines)


def crush(text: str, query: str = "Summarise the tool output.", **params: object):
    return crushed(CrushTable(TableParams(**params)), text, "table", query)


def test_keeps_header_errors_anomalies_asked_for_rows_first_and_last_verbatim() -> None:
    text = billing_csv()
    lines = text.split("\n")
    block = crush(text, "What is the status of INV-00042?")
    rendered = block.render().split("\n")
    kept = [line for line in rendered if not line.startswith("[headroom:")]
    for needle in (
        "invoice,customer",
        "INV-00000,",
        "INV-00042,",
        "INV-00333,",
        "INV-00120,",
        "INV-00410,",
        lines[-1],
    ):
        assert any(line.startswith(needle) or line == needle for line in kept), needle
    assert all(line in lines for line in kept)  # verbatim
    assert len(kept) < 40


def test_markers_are_line_ranges_and_one_summary_covers_every_dropped_row() -> None:
    text = billing_csv()
    block = crush(text)
    rendered = block.render()
    markers = find_markers(rendered)
    kept = [line for line in rendered.split("\n") if not line.startswith("[headroom:")]
    assert sum(m.last - m.first + 1 for m in markers) + len(kept) == len(text.split("\n"))
    assert all(m.unit == "lines" and m.total == len(text.split("\n")) for m in markers)
    (note,) = find_summaries(rendered)
    assert note.unit == "rows" and note.count == len(text.split("\n")) - len(kept)
    assert note.entries["status"] == [("paid", note.count)]
    assert set(dict(note.entries["region"])) == {"eu", "us"}  # type: ignore[arg-type]
    low, high = note.entries["amount"]  # type: ignore[misc]
    assert float(low) >= 10 and float(high) <= 200  # type: ignore[arg-type]
    assert note.entries["issued_at"] == ("2026-10-01", "2026-10-30")


def test_short_tables_and_lossless_are_left_whole() -> None:
    assert crush(billing_csv(20)).keep is None
    assert crush(billing_csv(), policy="lossless").keep is None


def test_without_a_score_stage_the_failed_row_survives() -> None:
    block = crushed(CrushTable(), billing_csv(), "table", score=False)
    assert any(line.startswith("INV-00333,") for line in block.render().split("\n"))


def test_bias_keeps_more_or_less() -> None:
    text = billing_csv()
    query = "invoices for cust-500 through cust-999"
    base = len(crushed(CrushTable(), text, "table", query).kept_indices())
    assert len(crushed(CrushTable(), text, "table", query, bias=3.0).kept_indices()) >= base
    assert len(crushed(CrushTable(), text, "table", query, bias=0.3).kept_indices()) <= base


def test_real_tsv_end_to_end() -> None:
    text = fixture("structured/pypi_slice.tsv")
    target = next(line for line in text.split("\n")[777:] if "-" in line.split("\t")[0])
    name = target.split("\t")[0]
    output, store = compressed(text, f"What is the summary of the package {name}?")
    assert target in output.split("\n")
    assert text.split("\n")[0] in output.split("\n")
    assert count_tokens(output) < 0.1 * count_tokens(text)
    assert_markers_retrieve_the_original(output, text, store)


def test_a_column_the_request_names_keeps_its_extremes_over_the_whole_table() -> None:
    lines = ["name\tversion\trank_among_most_downloaded"]
    lines += [f"pytest-plugin-{i}\t1.{i}\t{(i * 37) % 900 + 50 if i % 3 else ''}" for i in range(600)]
    text = "\n".join(lines)
    best = min((line for line in lines[1:] if line.split("\t")[2]), key=lambda line: int(line.split("\t")[2]))
    block = crushed(
        CrushTable(TableParams(max_rows=0, max_matches=0)),
        text,
        "table",
        "Which plugin is the most downloaded?",
    )
    assert best in block.render().split("\n")


def test_an_outlier_cost_is_kept_among_many_ordinary_accounts() -> None:
    lines = ["month,account_id,service,cost_usd"]
    lines += [
        f"2026-{7 + i // 180:02d},acct-{i % 60:04d},{['compute', 'egress', 'storage'][i % 3]},{20 + i % 50}.5"
        for i in range(720)
    ]
    lines[650] = "2026-10,acct-0037,egress,18422.57"
    block = crushed(
        CrushTable(), "\n".join(lines), "table", "Our October bill jumped. Which account caused it?"
    )
    assert "2026-10,acct-0037,egress,18422.57" in block.render().split("\n")


def test_the_row_answering_which_is_the_most_survives_the_budget_too() -> None:
    """A real `ps aux` (benchmarks/corpus): "which process uses the most memory, how much RSS?".
    The biggest process is no outlier (others are nearly as big), and the budget cuts after the
    crusher: the row must be pinned by the crusher to survive."""
    import json
    from pathlib import Path

    from headroom import MemoryStore, compress

    case = json.loads((Path(__file__).parents[3] / "benchmarks/corpus/ps_aux_listing.json").read_text())
    result = compress(case["messages"], store=MemoryStore())
    assert result.tokens_after < result.tokens_before / 2
    (fact,) = case["facts"]
    assert fact in json.dumps(result.messages, ensure_ascii=False)


def test_a_request_word_names_a_short_or_abbreviated_column() -> None:
    from headroom.stages.crush.scoring import named_fields
    from tests.helpers import make_state, openai_tool_turn

    state = make_state(openai_tool_turn("a\nb", "How much memory and RSS does it use?"))
    fields = ["USER", "PID", "%MEM", "RSS", "COMMAND", "id"]
    assert named_fields(state.blocks[-1], fields) == ["%MEM", "RSS"]


# the record rules, end to end -----------------------------------------------------------------------


def orders_csv(count: int = 500, seed: int = 23) -> str:
    """Sales rows where revenue is units x price, with the anomalies the issue lists planted."""
    rng = random.Random(seed)
    lines = ["order_id,region,sku,units,unit_price,revenue"]
    for i in range(count):
        units, price = rng.randint(1, 30), round(rng.uniform(3, 80), 2)
        lines.append(
            f"SO-{50000 + i},{rng.choice(['north', 'south', 'east', 'west'])},SKU-{rng.randint(100, 999)},"
            f"{units},{price},{units * price:.2f}"
        )
    lines[77] = "SO-50076,east,SKU-311,-4,12.50,-50.00"  # negative units
    lines[212] = "SO-50211,west,SKU-540,6,0.00,0.00"  # a zero price
    lines[348] = "SO-50347,north,SKU-128,3,19.99,599.70"  # revenue is not units x price
    return "\n".join(lines)


def rows_breaking_the_rules(text: str) -> list[str]:
    """The data lines with negative units, a zero price, or revenue off units x price by over 1%."""
    found = []
    for line in text.split("\n")[1:]:
        units, price, revenue = (float(cell) for cell in line.split(",")[3:])
        if units < 0 or price == 0 or abs(units * price - revenue) > 0.01 * abs(units * price):
            found.append(line)
    return found


def test_negative_zero_and_disagreeing_rows_survive_the_default_pipeline() -> None:
    text = orders_csv()
    anomalous = rows_breaking_the_rules(text)
    assert len(anomalous) == 3
    output, store = compressed(text, "Which orders look wrong in this export?")
    lines = output.split("\n")
    assert all(row in lines for row in anomalous)
    assert count_tokens(output) < 0.15 * count_tokens(text)
    assert_markers_retrieve_the_original(output, text, store)


def test_the_rows_holding_each_numeric_columns_ends_survive() -> None:
    text = orders_csv()
    data = [line.split(",") for line in text.split("\n")[1:]]
    output, _ = compressed(text, "Summarise this sales export.")
    lines = output.split("\n")
    for column in (3, 4, 5):
        values = [float(row[column]) for row in data]
        for end in (min(values), max(values)):
            first = next(row for row in data if float(row[column]) == end)
            assert ",".join(first) in lines, (column, end)


def test_a_summary_says_how_many_flagged_rows_it_holds_past_the_cap() -> None:
    from headroom.content.records import PER_LABEL

    lines = orders_csv(1000).split("\n")
    for index in [40 * k + 7 for k in range(PER_LABEL + 3)]:
        cells = lines[index].split(",")
        lines[index] = ",".join([*cells[:3], "-1", cells[4], f"{-float(cells[4]):.2f}"])
    negative = [i for i, line in enumerate(lines[1:], 1) if float(line.split(",")[3]) < 0]
    assert len(negative) > PER_LABEL  # rare among 1000 rows, but past the cap
    block = crush("\n".join(lines), "Which orders look wrong?")
    rendered = block.render()
    kept = set(rendered.split("\n"))
    assert sum(1 for index in negative if lines[index] in kept) >= PER_LABEL
    (note,) = find_summaries(rendered)
    dropped = [index for index in negative if lines[index] not in kept]
    assert dict(note.entries["flagged"])["units:negative"] == len(dropped)  # type: ignore[arg-type]


def test_the_summary_of_dropped_rows_never_contradicts_the_kept_ones() -> None:
    """Every count and range a summary states is that of the omitted rows, read back from the original."""
    text = orders_csv()
    block = crush(text)
    rendered = block.render()
    kept = set(rendered.split("\n"))
    header, *rows = text.split("\n")
    omitted = [row.split(",") for row in rows if row not in kept]
    (note,) = find_summaries(rendered)
    assert note.count == len(omitted)
    names = header.split(",")
    for key, stats in note.entries.items():
        if key == "flagged":
            continue
        column = [row[names.index(key)] for row in omitted]
        if isinstance(stats, list):
            assert {str(value): count for value, count in stats} == {v: column.count(v) for v in set(column)}
        else:
            numbers = [float(value) for value in column]
            assert (float(stats[0]), float(stats[1])) == (min(numbers), max(numbers))  # type: ignore[arg-type]


def test_the_five_best_ranked_packages_of_a_real_tsv_survive() -> None:
    """The issue's TSV: "the packages with the best (smallest) download rank" are the top rows asked for."""
    text = fixture("structured/pypi_slice.tsv")
    ranked = [line for line in text.split("\n")[1:] if len(line.split("\t")) == 5 and line.split("\t")[3]]
    best = sorted(ranked, key=lambda line: int(line.split("\t")[3]))[:5]
    output, _ = compressed(text, "Which 5 packages in this dump have the best download rank?")
    assert all(line in output.split("\n") for line in best)
    assert count_tokens(output) < 0.1 * count_tokens(text)


def test_the_most_recent_package_of_a_real_tsv_survives() -> None:
    """ "Most recent" names no column, so the time columns are meant: here `month` (YYYY-MM)."""
    text = fixture("structured/pypi_slice.tsv")
    rows = [line for line in text.split("\n")[1:] if len(line.split("\t")) == 5]
    latest = max(rows, key=lambda row: row.split("\t")[2])  # the first row of the latest month
    output, _ = compressed(text, "Which of these packages was released most recently?")
    assert latest in output.split("\n")


def test_a_unit_suffixed_column_keeps_its_real_maximum() -> None:
    """Latencies written in ms and s: 1.2s is larger than 950ms, whatever the digits say."""
    rng = random.Random(4)
    lines = ["endpoint,p50,p99"]
    for i in range(120):
        lines.append(f"/api/v1/resource{i},{rng.randint(2, 40)}ms,{rng.randint(100, 990)}ms")
    lines[61] = "/api/v1/resource60,35ms,1.2s"
    scale = {"ms": 0.001, "s": 1.0}

    def seconds(cell: str) -> float:
        unit = "ms" if cell.endswith("ms") else "s"
        return float(cell[: -len(unit)]) * scale[unit]

    slowest = max(lines[1:], key=lambda line: seconds(line.split(",")[2]))
    block = crush("\n".join(lines), "Which endpoint has the highest p99?", max_rows=0, max_matches=0)
    assert slowest == lines[61] and slowest in block.render().split("\n")
    assert lines[61] in lines and 61 in block.pinned


def test_real_stock_prices_keep_every_tickers_ends_through_the_pipeline() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    from pathlib import Path

    text = (Path(matplotlib.get_data_path()) / "sample_data" / "Stocks.csv").read_text()
    header, *rows = text.strip().split("\n")[1:]  # a comment line first
    names = header.split(",")
    output, _ = compressed("\n".join([header, *rows]), "Summarise these monthly prices.")
    lines = output.split("\n")
    for c in range(1, len(names)):
        values = [(float(cells[c]), i) for i, row in enumerate(rows) if (cells := row.split(","))[c]]
        low = min(values)[1]
        high = max(values, key=lambda pair: (pair[0], -pair[1]))[1]
        assert rows[low] in lines and rows[high] in lines, names[c]


def test_real_stock_prices_under_their_comment_line_keep_every_tickers_ends() -> None:
    """Stocks.csv as the file is, `# Data source: ...` above the header: read as a table, not prose."""
    matplotlib = pytest.importorskip("matplotlib")
    from pathlib import Path

    text = (Path(matplotlib.get_data_path()) / "sample_data" / "Stocks.csv").read_text()
    comment, header, *rows = text.strip().split("\n")
    names = header.split(",")
    output, store = compressed(text, "On which date did AMZN close at its highest, and IBM at its lowest?")
    lines = output.split("\n")
    assert lines[:2] == [comment, header]
    for c in range(1, len(names)):
        values = [(float(cells[c]), i) for i, row in enumerate(rows) if (cells := row.split(","))[c]]
        low = min(values)[1]
        high = max(values, key=lambda pair: (pair[0], -pair[1]))[1]
        assert rows[low] in lines and rows[high] in lines, names[c]
    assert_markers_retrieve_the_original(output, text, store)


def test_real_csv_with_optional_last_columns_keeps_the_asked_for_latest_date() -> None:
    """distro-info's ubuntu.csv: only some releases have an eol-esm date; the latest one is asked for."""
    from pathlib import Path

    path = Path("/usr/share/distro-info/ubuntu.csv")
    if not path.exists():
        pytest.skip("distro-info-data is not installed")
    text = path.read_text()
    header, *rows = text.strip().split("\n")
    column = header.split(",").index("eol-esm")
    dated = [(cells[column], row) for row in rows if len(cells := row.split(",")) > column and cells[column]]
    latest = max(dated)[1]
    output, store = compressed(text, "Which Ubuntu release has the latest eol-esm date?")
    assert latest in output.split("\n")
    assert header in output.split("\n")
    assert_markers_retrieve_the_original(output, text, store)


def test_the_rows_of_the_minority_values_a_request_asks_about_survive() -> None:
    """Secrets Manager's shapes as a CSV: "which are not structures, strings or lists?". The answer
    is chosen from the rows by that rule before compressing."""
    shapes = botocore_model("secretsmanager")["shapes"]
    lines = ["name,type,members,documented"] + [
        f"{name},{shape['type']},{len(shape.get('members', {}))},{'documentation' in shape}"
        for name, shape in shapes.items()
    ]
    wanted = [line for line in lines[1:] if line.split(",")[1] not in ("structure", "string", "list")]
    assert 3 <= len(wanted) <= 25
    text = "\n".join(lines)
    output, store = compressed(text, "Which shapes are not structures, strings or lists? Give each type.")
    kept = output.split("\n")
    assert [line for line in wanted if line in kept] == wanted
    assert count_tokens(output) < 0.7 * count_tokens(text)  # a small table; the rows asked for are many
    assert_markers_retrieve_the_original(output, text, store)


def test_the_largest_number_behind_a_label_every_row_writes_survives() -> None:
    # `python -X importtime`: each cell of the first column is `import time:` and a number.
    lines = ["import time: self [us] | cumulative | imported package"]
    for i in range(400):
        own = 250_000 if i == 211 else 100 + (i * 53) % 4000
        lines.append(f"import time: {own:>9} | {own + 2000 * i:>10} | {'  ' * (1 + i % 4)}vendor.module_{i}")
    block = crush("\n".join(lines), "Importing this is slow: what costs the most?")
    rendered = block.render().split("\n")
    assert lines[212] in rendered
    assert len(rendered) < 100


def test_every_row_holding_a_value_the_request_names_survives_beyond_the_match_cap() -> None:
    rng = random.Random(4)
    lines = ["host\tregion\tstate"]
    for i in range(800):
        region = "ca-central" if i % 20 == 3 else rng.choice(["eu-west", "us-east", "us-west"])
        lines.append(f"host-{i:04d}\t{region}\t{rng.choice(['up', 'draining'])}")
    block = crush("\n".join(lines), "Which hosts are in ca-central?", max_matches=10)
    rendered = block.render().split("\n")
    assert all(line in rendered for line in lines if "\tca-central\t" in line)
    assert block.pinned >= {i for i, line in enumerate(lines) if "\tca-central\t" in line}


def test_the_rows_of_a_country_code_under_a_long_comment_block_survive_the_pipeline() -> None:
    comments = ["# A description of the data, in the public domain.", *(f"# note {n}" for n in range(20))]
    comments += ["#code\tcoordinates\tTZ\tcomments"]
    rows = []
    for n in range(300):
        code = (
            ("CA", "MX", "AT", "IT")[n % 4] if n % 7 == 0 else f"Q{n % 26:c}".replace("Q", chr(65 + n % 26))
        )
        rows.append(f"{code}\t+{4000 + n}-0{7000 + n}\tArea/Zone_{n}" + ("" if n % 3 else f"\tpart {n}"))
    text = "\n".join(comments + rows) + "\n"
    output, _ = compressed(text, "What zones are listed for CA, MX, AT and IT?")
    kept = output.split("\n")
    assert all(row in kept for row in rows if row.split("\t")[0] in ("CA", "MX", "AT", "IT"))
    assert comments[0] in kept and comments[-1] in kept


def test_a_value_the_request_leaves_out_pins_no_rows() -> None:
    rng = random.Random(4)
    lines = ["host\tregion\tstate"]
    for i in range(800):
        region = "ca-central" if i % 20 == 3 else rng.choice(["eu-west", "us-east", "us-west"])
        lines.append(f"host-{i:04d}\t{region}\t{rng.choice(['up', 'draining'])}")
    block = crush("\n".join(lines), "Which hosts are draining but not in ca-central?", max_matches=10)
    assert not block.pinned & {i for i, line in enumerate(lines) if "\tca-central\t" in line}


def test_a_row_listing_the_named_code_among_others_in_one_cell_survives() -> None:
    rng = random.Random(9)
    codes = [f"{chr(65 + a)}{chr(65 + b)}" for a in range(6) for b in range(10)]
    lines = ["codes\tcoordinates\tzone"]
    for n in range(1500):
        cell = ",".join(sorted(rng.sample(codes, 3))) if n % 9 == 0 else rng.choice(codes)
        lines.append(f"{cell}\t+{4000 + n}+0{1000 + n}\tArea/Zone_{n}")
    block = crush("\n".join(lines), "Which zones cover CD?", max_matches=5)
    rendered = block.render().split("\n")
    wanted = [line for line in lines[1:] if "CD" in line.split("\t")[0].split(",")]
    assert len(wanted) > 5
    assert all(line in rendered for line in wanted)


def package_listing() -> tuple[str, list[str]]:
    """A TSV of 200 packages, seven of which hold `json` in their name: as a word, or inside one."""
    rng = random.Random(41)
    words = ["alpha", "beta", "core", "util", "fetch", "tree", "glob", "cache", "lint", "pack"]
    names = sorted({f"{rng.choice(words)}-{rng.choice(words)}-{n}" for n in range(193)})
    names += [
        "jsonparse",
        "@scope/package-json",
        "parse-conflict-json",
        "JSONStream",
        "fast-json-x",
        "myjson2",
        "json",
    ]
    licences = ["MIT", "ISC", "Apache-2.0", "BSD-3-Clause"]
    rows = [
        f"{name}\t1.{i % 9}.{i % 4}\t{licences[i % 4]}\tsome package number {i}"
        for i, name in enumerate(names)
    ]
    text = "name\tversion\tlicense\tdescription\n" + "\n".join(rows) + "\n"
    return text, [row for row in rows if "json" in row.split("\t")[0].lower()]


@pytest.mark.parametrize(
    "question",
    [
        "Which packages have json in their name, and under which licence?",
        'Which packages have "json" in the package name?',
        "List the packages whose names contain json, with licences.",
        "Which packages match *json*? Their licences too.",
    ],
)
def test_every_row_whose_name_holds_the_asked_text_survives_inside_words_too(question: str) -> None:
    text, wanted = package_listing()
    output, store = compressed(text, question)
    assert all(row in output.split("\n") for row in wanted)
    assert count_tokens(output) < 0.5 * count_tokens(text)
    assert_markers_retrieve_the_original(output, text, store)


def test_a_text_most_names_hold_pins_nothing() -> None:
    """ "-" is in nearly every name: it tells no rows apart, and the table is still cut."""
    text, _ = package_listing()
    output, _ = compressed(text, "Which packages have - in their name?")
    assert count_tokens(output) < 0.5 * count_tokens(text)


def test_the_texts_a_request_says_a_name_holds() -> None:
    from headroom.stages.crush.scoring import name_patterns

    assert name_patterns("Which bundled packages have json in their name?") == ["json"]
    assert name_patterns("packages whose names contain `-plugin`, please") == ["-plugin"]
    assert name_patterns("the module named like http.client.") == ["http.client"]
    assert name_patterns("Which ones have that in their name?") == []
    assert name_patterns("Which packages are under MIT?") == []
    assert name_patterns("List the packages matching *.Extensions.* and their licences") == ["extensions"]
    assert name_patterns("packages whose ids end with .Abstractions?") == ["abstractions"]
    assert name_patterns("names starting with py, please") == ["py"]
