"""crush.table.v1: the header, error and anomalous rows, the asked-for rows, first and last stay verbatim;
dropped runs are line ranges with one per-column summary."""

from __future__ import annotations

import random

from headroom.markers import find_markers, find_summaries
from headroom.stages.crush.table import CrushTable, TableParams
from headroom.tokens import count_tokens
from tests.stages.crush.common import assert_markers_retrieve_the_original, compressed, crushed, fixture


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
