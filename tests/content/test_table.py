"""Tables: detection, rows (a quoted CSV field may span lines), verbatim rendering, line-range markers
and the per-column summary of dropped rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from headroom.content import detect_label, parse
from headroom.content.table import TableDocument, sniff_table
from headroom.markers import find_markers, find_summaries

REF = "0123456789abcdef"
FIXTURES = Path(__file__).parent.parent / "fixtures" / "structured"

CSV = "\n".join(
    ["id,host,status,latency_ms,created_at"]
    + [
        f"{i},web-{i % 3},{'failed' if i == 40 else 'ok'},{900 if i == 40 else 20 + i % 9},"
        f"2026-11-{1 + i % 27:02d}"
        for i in range(60)
    ]
)
PS = "\n".join(
    ["USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND"]
    + [
        f"root     {100 + i:5d}  0.0  0.1  {5000 + i:5d}  {900 + i:4d} ?        S    "
        f"17:{i % 60:02d}   0:00 worker --id {i}"
        for i in range(40)
    ]
)
DF = """Filesystem      Size  Used Avail Use% Mounted on
/dev/vda        252G   24G   78G  24% /
tmpfs            24G     0   24G   0% /dev/shm
/dev/vdb        100G   95G    5G  95% /data
devtmpfs         12G     0   12G   0% /dev"""


def doc(text: str) -> TableDocument:
    document = TableDocument.parse(text)
    assert document is not None
    return document


@pytest.mark.parametrize(
    "text",
    [
        CSV,
        CSV.replace(",", "\t"),
        PS,
        DF,
        "| name | age |\n|------|-----|\n| ann | 3 |\n| bob | 4 |\n| cy | 5 |",
        'id,comment\n1,"a, b"\n2,"c\nd"\n3,e',
        "\n".join(["time,host,latency"] + [f"2026-11-01T00:00:{i:02d}Z,web-{i % 3},{i}" for i in range(40)]),
    ],
)
def test_tables_are_detected(text: str) -> None:
    assert detect_label(text) == "table"
    assert isinstance(parse("table", text), TableDocument)


@pytest.mark.parametrize(
    "text",
    [
        "\n".join(
            f"2026-11-01 12:00:{i:02d},123 INFO app: handled request {i}, user x, ok" for i in range(40)
        ),
        "The quick brown fox, as always, jumps.\nThen it rests, and eats.\nFinally, it sleeps.",
    ],
)
def test_logs_and_prose_with_commas_are_not_tables(text: str) -> None:
    assert detect_label(text) != "table"
    assert sniff_table(text.split("\n")) is None or not sniff_table(text.split("\n")).has_header  # type: ignore[union-attr]


def test_aligned_columns_count_what_the_rows_have() -> None:
    document = doc(DF)
    assert document.column_names() == ["Filesystem", "Size", "Used", "Avail", "Use%", "Mounted on"]
    assert doc(PS).column_names()[-1] == "COMMAND"
    assert doc(PS).row_values(1)[-1] == "worker --id 0"


def test_a_quoted_field_with_a_newline_is_one_row_over_two_lines() -> None:
    document = doc('id,comment\n1,"a, b"\n2,"c\nd"\n3,e\n4,f\n5,g')
    assert document.units[2] == '2,"c\nd"'
    assert document.spans[2] == (2, 3)
    keep = [True, True, False, True, True, True]
    rendered = document.render(keep, REF)
    (marker,) = find_markers(rendered)
    assert (marker.unit, marker.first, marker.last, marker.total) == ("lines", 3, 4, 7)


def test_unreadable_csv_falls_back_to_one_row_a_line() -> None:
    text = 'a,b,c\n1,2,3\n4,"5,6\n7,8,9\n10,11,12'
    document = doc(text)
    assert document.units == text.split("\n")


def test_kept_rows_are_verbatim_and_dropped_runs_are_line_ranges_with_one_summary() -> None:
    document = doc(CSV)
    keep = [i in (0, 1, 2, 41, 60) for i in range(61)]
    rendered = document.render(keep, REF)
    lines = rendered.split("\n")
    originals = CSV.split("\n")
    kept = [line for line in lines if not line.startswith("[headroom:")]
    assert kept == [originals[i] for i in (0, 1, 2, 41, 60)]
    markers = find_markers(rendered)
    assert [(m.first, m.last, m.total) for m in markers] == [(4, 41, 61), (43, 60, 61)]
    (note,) = find_summaries(rendered)
    assert note.count == 56 and note.unit == "rows"
    assert note.entries["status"] == [("ok", 56)]
    assert (
        note.entries["host"] == [("web-0", 19), ("web-1", 19), ("web-2", 18)]
        or len(note.entries["host"]) == 3
    )
    assert note.entries["created_at"] == ("2026-11-01", "2026-11-27")
    assert isinstance(note.entries["latency_ms"], tuple)


def test_nothing_dropped_is_the_text_itself() -> None:
    assert doc(CSV).render(None, REF) == CSV


def test_error_rows_anomalies_and_the_header_anchor() -> None:
    document = doc(CSV)
    errors = document.error_signals()
    assert [i for i, s in enumerate(errors) if s >= 1.0] == [41]
    anomalies = document.anomaly_signals()
    assert anomalies[41] > 0
    assert document.anchors() == {0}


def test_an_error_word_outside_a_status_column_is_only_a_hint() -> None:
    text = "\n".join(
        ["pid,command"] + [f"{i},worker (crashed once)" if i == 5 else f"{i},worker" for i in range(20)]
    )
    signals = doc(text).error_signals()
    assert 0 < signals[6] < 1.0


def test_real_tsv_slice() -> None:
    text = (FIXTURES / "pypi_slice.tsv").read_text()
    document = parse("table", text)
    assert isinstance(document, TableDocument)
    assert document.column_names()[:3] == ["name", "version", "month"]
    assert document.render(None, REF) == text


DISTRO_INFO = Path("/usr/share/distro-info")


def _distro_csv(name: str) -> str:
    path = DISTRO_INFO / name
    if not path.exists():
        pytest.skip(f"{path} is not installed")
    return path.read_text()


@pytest.mark.parametrize("name", ["ubuntu.csv", "debian.csv"])
def test_real_csv_whose_last_columns_are_optional_is_a_table(name: str) -> None:
    """distro-info writes a release's eol-server, eol-esm (or eol-lts, eol-elts) only once it has one."""
    text = _distro_csv(name)
    lines = text.strip().split("\n")
    widths = {len(line.split(",")) for line in lines}
    assert len(widths) > 1  # ragged, as the rule is about
    assert detect_label(text) == "table"
    document = doc(text)
    assert document.column_names() == lines[0].split(",")
    assert document.render(None, REF) == text
    names = lines[0].split(",")
    full = [i for i, line in enumerate(lines[1:], 1) if len(line.split(",")) == len(names)]
    short = [i for i, line in enumerate(lines[1:], 1) if len(line.split(",")) < len(names)]
    records = document.records()
    assert full and short
    assert all(records[i][names[-1]] for i in full)
    assert all(names[-1] not in records[i] for i in short)


def test_ragged_rows_count_in_the_summary_with_the_cells_they_have() -> None:
    header = "version,codename,created,eol,eol-esm"
    rows = [f"{i}.04,name{i},20{i:02d}-04-01,20{i + 3:02d}-04-01" for i in range(40)]
    rows[5] += ",2040-01-01"
    rows[30] += ",2041-01-01"
    document = doc("\n".join([header, *rows]))
    keep = [True, True] + [False] * 39
    (note,) = find_summaries(document.render(keep, REF))
    assert note.count == 39
    assert note.entries["created"] == (
        "2001-04-01",
        "2039-04-01",
    )  # every dropped row, not the full ones only
    assert note.entries["eol-esm"] == [("2040-01-01", 1), ("2041-01-01", 1)]


@pytest.mark.parametrize(
    "text",
    [
        # A sentence's commas leave words that start with a space.
        "The result, as expected, was fine\nbut later, sadly, it failed, again\nand then, well, it ran\nok",
        # A line of a few short words with commas, then lines with fewer commas: prose, not a header.
        "apples,pears,plums\nI bought apples, and pears\nthen, plums\nnothing else here at all\nthe end",
    ],
)
def test_prose_with_uneven_commas_is_no_ragged_table(text: str) -> None:
    found = sniff_table(text.split("\n"))
    assert found is None or found.columns < 3 or not found.has_header
    assert detect_label(text) != "table"


def test_a_comment_above_the_header_is_a_preamble_kept_with_it() -> None:
    """matplotlib's Stocks.csv opens with `# Data source: ...` above its header."""
    matplotlib = pytest.importorskip("matplotlib")
    text = (Path(matplotlib.get_data_path()) / "sample_data" / "Stocks.csv").read_text()
    lines = text.split("\n")
    assert lines[0].startswith("#") and "," not in lines[0]
    assert detect_label(text) == "table"
    document = doc(text)
    assert document.format.preamble == 1
    assert document.column_names() == lines[1].split(",")
    assert document.anchors() == {0, 1}
    assert document.data_rows().start == 2
    assert document.render(None, REF) == text
    assert document.error_signals()[0] == 0.0


def test_a_quote_in_the_preamble_opens_no_field() -> None:
    rows = [f"{i},host-{i},{i * 3}" for i in range(20)]
    text = '# export of "hosts\n' + "\n".join(["id,host,load", *rows])
    document = doc(text)
    assert document.units[0] == '# export of "hosts'
    assert document.units[1] == "id,host,load"
    assert len(document.units) == 22


def test_lines_like_the_preamble_among_the_rows_make_no_table() -> None:
    """`git log --name-status --oneline`: a commit line, then `M<tab>path` lines, then a commit line."""
    commits = []
    for n in range(6):
        commits += [f"{n:07x} Release 3.{n}", "M\tREADME.rst", "M\tsrc/core.py", "A\ttests/test_core.py"]
    assert sniff_table(commits) is None or sniff_table(commits).preamble == 0  # type: ignore[union-attr]
    assert detect_label("\n".join(commits)) != "table"


@pytest.mark.parametrize(
    "cell", ["0", "-0", "12", "007", "1.5", "1.50", "-0.0", "0.30000000000000004", "1" * 400 + ".0"]
)
def test_a_cell_is_a_summary_number_exactly_when_json_writes_it_so(cell: str) -> None:
    import json

    from headroom.content.table import _cell_value

    try:
        number = json.loads(cell)
    except ValueError:  # not a JSON number at all ("007")
        number = None
    expected = number if number is not None and json.dumps(number) == cell else cell
    assert _cell_value(cell) == expected and type(_cell_value(cell)) is type(expected)


def _importtime(rows: int = 60, slowest: int = 37) -> str:
    """`python -X importtime` output: every row starts with the same label, then two numbers."""
    lines = ["import time: self [us] | cumulative | imported package"]
    for i in range(rows):
        own = 90_000 if i == slowest else 100 + (i * 37) % 900
        lines.append(f"import time: {own:>9} | {own + 500 * i:>10} | {'  ' * (1 + i % 3)}pkg.mod{i}")
    return "\n".join(lines)


def test_a_label_every_row_writes_before_a_number_is_no_part_of_the_value() -> None:
    document = doc(_importtime())
    assert document.row_values(1)[:2] == ["100", "100"]
    assert "import time: self [us]" in document.column_names()[0]
    assert document.row_values(0)[0].startswith("import time:")  # the header keeps its text


def test_a_label_before_a_number_leaves_the_column_numeric_so_its_ends_are_notable() -> None:
    document = doc(_importtime())
    assert 38 in document.notable().keep  # the row of the largest self time (data row 37)


@pytest.mark.parametrize(
    "cells",
    [
        ["Spain (mainland)", "Spain (Canary Islands)", "Spain (Ceuta)"],  # shared words, then words
        ["build 12", "test 14", "build 13"],  # no label shared by every row
    ],
)
def test_shared_words_before_words_or_a_label_not_on_every_row_are_kept(cells: list[str]) -> None:
    text = "\n".join(["where|count"] + [f"{cells[i % 3]}|{i}" for i in range(40)])
    document = doc(text)
    assert [document.row_values(i)[0] for i in (1, 2, 3)] == cells


def _commented_tsv(comments: int = 25) -> str:
    head = ["# tzdb-like data file", *(f"# line {n} of its description" for n in range(comments - 2))]
    head.append("#code\tcoordinates\tTZ\tcomments")
    rows = [
        f"X{chr(65 + n % 26)}\t+{4000 + n}+0{1000 + n}\tArea/City_{n}" + (f"\tnote {n}" if n % 2 else "")
        for n in range(80)
    ]
    rows.insert(40, "# a comment among the rows")
    return "\n".join(head + rows) + "\n"


def test_a_long_comment_block_above_tab_separated_rows_makes_a_table() -> None:
    text = _commented_tsv()
    found = sniff_table(text.split("\n"))
    assert found is not None and found.delimiter == "\t" and found.columns == 4 and found.preamble == 25
    assert not found.has_header  # the first row holds values, not names
    assert detect_label(text) == "table"
    document = doc(text)
    assert document.data_rows().start == 25
    assert document.anchors() == {0, 22, 23, 24}  # its first line and the last MAX_PREAMBLE
    assert document.render(None, REF) == text


def test_code_pairs_under_a_comment_block_are_a_table_and_prose_with_hashes_is_not() -> None:
    pairs = "\n".join(
        ["# ISO 3166 codes", "# (a description)", "# more", "# and more", "#code\tname"]
        + [f"{chr(65 + n // 26)}{chr(65 + n % 26)}\tCountry {n}" for n in range(60)]
    )
    assert detect_label(pairs) == "table"
    notes = "\n".join(["# Notes", "# about", "# the", "# release"] + [f"- item {n}, done" for n in range(30)])
    assert detect_label(notes) != "table"


@pytest.mark.skipif(not Path("/usr/share/zoneinfo/zone.tab").exists(), reason="tzdata is not installed")
def test_real_zone_tab_is_a_table_under_its_comments() -> None:
    text = Path("/usr/share/zoneinfo/zone.tab").read_text()
    document = parse("table", text)
    assert isinstance(document, TableDocument) and document.format.delimiter == "\t"
    assert detect_label(text) == "table"
    assert all(
        len(document.row_values(i)) in (3, 4)
        for i in document._record_rows()
        if not document.units[i].startswith("#")
    )
