"""Search results: each line read as a match, a context line, a heading or a separator; grouped by file."""

from __future__ import annotations

from headroom.content import parse
from headroom.content.search import CONTEXT, HEADING, MATCH, ONE_FILE, OTHER, SEPARATOR, SearchDocument
from headroom.markers import find_markers, find_summaries
from tests.stages.crush.line_checks import check_lines, fixture

REF = "0123456789abcdef"


def kinds(document: SearchDocument) -> list[str]:
    return [line.kind for line in document.lines]


def test_grep_rn_lines_are_matches_with_path_and_line_number() -> None:
    document = SearchDocument.parse(
        "src/app.py:12:def main():\nsrc/app.py:40:    main()\nlib/x.py:3:import app"
    )
    assert [(line.kind, line.path, line.line) for line in document.lines] == [
        (MATCH, "src/app.py", 12),
        (MATCH, "src/app.py", 40),
        (MATCH, "lib/x.py", 3),
    ]
    assert document.files() == [range(0, 2), range(2, 3)]


def test_a_column_number_is_not_part_of_the_path() -> None:
    document = SearchDocument.parse("botocore/retries/quota.py:24:60:        # retryable\nb.py:1:1:x")
    assert [(line.path, line.line) for line in document.lines] == [
        ("botocore/retries/quota.py", 24),
        ("b.py", 1),
    ]


def test_context_lines_are_read_with_their_neighbours_path_even_when_it_holds_dashes_and_digits() -> None:
    text = "\n".join(
        [
            "pkg-2-tools/run.py-9-    before()",
            "pkg-2-tools/run.py:10:    raise TimeoutError()",
            "pkg-2-tools/run.py-11-    after()",
            "--",
            "other.py:5:raise TimeoutError",
        ]
    )
    document = SearchDocument.parse(text)
    assert [(line.kind, line.path, line.line) for line in document.lines] == [
        (CONTEXT, "pkg-2-tools/run.py", 9),
        (MATCH, "pkg-2-tools/run.py", 10),
        (CONTEXT, "pkg-2-tools/run.py", 11),
        (SEPARATOR, None, None),
        (MATCH, "other.py", 5),
    ]
    assert document.files() == [range(0, 3), range(4, 5)]


def test_ripgrep_heading_mode_reads_the_path_from_the_heading() -> None:
    text = "src/a.py\n3:import os\n10-    pass\n12:os.getcwd()\n\nsrc/b.py\n1:import os"
    document = SearchDocument.parse(text)
    assert document.heading_mode
    assert kinds(document) == [HEADING, MATCH, CONTEXT, MATCH, SEPARATOR, HEADING, MATCH]
    assert [line.path for line in document.lines] == ["src/a.py"] * 4 + [None, "src/b.py", "src/b.py"]
    assert document.files() == [range(0, 4), range(5, 7)]


def test_the_real_fixtures_parse_as_results_with_no_line_left_unread() -> None:
    for name, heading_mode in [
        ("grep_rn_def_init.txt", False),
        ("grep_context_timeout.txt", False),
        ("rg_heading_def_init.txt", True),
        ("rg_column_retry.txt", False),
        ("git_grep_timeout.txt", False),
    ]:
        text = fixture(name)
        document = parse("search", text)
        assert isinstance(document, SearchDocument)
        assert document.heading_mode is heading_mode
        unread = [
            unit for unit, line in zip(document.units, document.lines, strict=True) if line.kind == OTHER
        ]
        assert all(not unit.strip() for unit in unread), (name, unread[:3])


def test_search_results_report_no_errors_and_anchor_nothing() -> None:
    document = SearchDocument.parse("a.py:1:raise ValueError('error: failed')\nb.py:2:except Exception:")
    assert document.error_signals() == [0.0, 0.0]
    assert document.anchors() == set()


def test_a_dropped_run_within_one_file_is_summarised_by_file_and_source_lines() -> None:
    lines = [f"src/app.py:{10 * i}:    value_{i} = compute({i}, options=DEFAULTS)" for i in range(1, 21)]
    document = SearchDocument.parse("\n".join(lines))
    keep = [True] + [False] * 18 + [True]
    rendered = document.render(keep, REF)
    (marker,) = find_markers(rendered)
    assert (marker.first, marker.last, marker.total) == (2, 19, 20)
    (summary,) = find_summaries(rendered)
    assert summary.count == 18
    assert summary.entries == {"matches": [("src/app.py", 18)], "file_lines": (20, 190)}
    check_lines(document.text, rendered, REF)


def test_a_run_over_many_files_names_the_first_and_last_file_and_counts_matches() -> None:
    lines = [
        f"pkg/mod_{i:02d}.py:{i + 1}:    def __init__(self, value_{i}, options=None):" for i in range(40)
    ]
    document = SearchDocument.parse("\n".join(lines))
    rendered = document.render([True] + [False] * 38 + [True], REF)
    (summary,) = find_summaries(rendered)
    assert summary.entries["kind"] == [("match", 38)]
    assert summary.entries["files"] == ("pkg/mod_01.py", "pkg/mod_38.py")
    assert summary.entries["matches_per_file"] == (1, 1)


def test_in_heading_mode_a_kept_match_keeps_its_files_heading() -> None:
    text = "src/a.py\n" + "\n".join(f"{i}:line {i} of a.py with some text" for i in range(1, 30))
    document = SearchDocument.parse(text)
    keep = [False] * len(document.units)
    keep[15] = True  # a match; its heading (line 0) is dropped in the mask
    rendered = document.render(keep, REF)
    assert rendered.split("\n")[0] == "src/a.py"
    kept = check_lines(text, rendered, REF)
    assert kept == [0, 15]


def test_a_hit_sits_in_the_nearest_class_above_it_in_its_file_that_is_less_indented() -> None:
    document = SearchDocument.parse(
        "\n".join(
            [
                "pkg/io/core.py:40:class AbstractDataset(abc.ABC):",
                "pkg/io/core.py:88:    def load(self):",
                "pkg/io/core.py:120:class Version:",
                "pkg/io/core.py:150:    def load(self):",
                "pkg/io/core.py:300:def load(path):",
                "pkg/io/data_catalog.py:12:    def load(self, name):",
                "pkg/io/data_catalog.py=9=class DataCatalog:",
                "srv/ledger/store.go:118:func (s *Ledger) Post(entry Entry) error {",
            ]
        )
    )
    scopes = document.scopes()
    assert scopes[1].names == ("AbstractDataset",)
    assert scopes[3].names == ("Version",)
    assert scopes[4].names == ()  # a module-level function: no class around it
    assert scopes[5].file_names == ("pkg", "io", "data_catalog")
    assert scopes[7].names == ("Ledger",)  # a Go method's receiver
    assert scopes[1].within("abstractdataset") and not scopes[3].within("abstractdataset")
    assert scopes[5].within("datacatalog")  # by its file's name
    assert document.lines[6].kind == CONTEXT  # git grep -p names the enclosing class with `=`


def test_a_class_s_members_are_its_header_and_the_hits_directly_inside_it() -> None:
    document = SearchDocument.parse(
        "\n".join(
            [
                "pkg/client.py:10:class Client:",
                "pkg/client.py:12:    def send(self):",
                "pkg/client.py:20:    class Options:",
                "pkg/client.py:21:        def merge(self):",
                "pkg/client.py:30:    async def close(self):",
                "pkg/client.py:40:def helper():",
                "pkg/other.py:5:    def stray(self):",
                "pkg/other.py:9:class Client(Base):",
                "pkg/other.py:11:    def retry(self):",
            ]
        )
    )
    members = document.class_members()
    assert members["Client"] == [0, 1, 2, 4, 7, 8]  # the nested class's header is a member
    assert members["Options"] == [2, 3]  # its own method is not the outer class's
    assert 5 not in members["Client"] and 6 not in members["Client"]


# Context lines belong to their hit ---------------------------------------------------------------
# `git grep -n -A6 -E '^\s+def '` and `git grep -n -B4 'raise '` over h11 (site-packages), and the
# `-C2` output below, from the same checkout.

H11_C2 = """h11/_writers.py-89-        self._length -= len(data)
h11/_writers.py-90-        if self._length < 0:
h11/_writers.py:91:            raise LocalProtocolError("Too much data for declared Content-Length")
h11/_writers.py-92-        write(data)
h11/_writers.py-93-
h11/_writers.py-94-    def send_eom(self, headers: Headers, write: Writer) -> None:
h11/_writers.py-95-        if self._length != 0:
h11/_writers.py:96:            raise LocalProtocolError("Too little data for declared Content-Length")
h11/_writers.py-97-        if headers:
h11/_writers.py:98:            raise LocalProtocolError("Content-Length and trailers don't mix")
h11/_writers.py-99-
h11/_writers.py-100-"""


def source_line(document: SearchDocument, index: int | None) -> int | None:
    return None if index is None else document.lines[index].line


def test_with_after_context_each_context_line_belongs_to_the_match_above_it() -> None:
    document = SearchDocument.parse(fixture("git_grep_A6_h11_defs.txt"))
    for index, line in enumerate(document.lines):
        if line.kind != CONTEXT:
            continue
        above = max(i for i in range(index) if document.lines[i].kind == MATCH)
        assert document.hit_of(index) == above
    send_eom = document.units.index(
        "h11/_writers.py:94:    def send_eom(self, headers: Headers, write: Writer) -> None:"
    )
    assert [document.lines[i].line for i in document.hit_lines(send_eom)] == list(range(94, 101))


def test_with_before_context_each_context_line_belongs_to_the_match_below_it() -> None:
    document = SearchDocument.parse(fixture("git_grep_B4_h11_raise.txt"))
    checked = 0
    for index, line in enumerate(document.lines):
        if line.kind == CONTEXT:
            below = min(i for i in range(index, len(document.lines)) if document.lines[i].kind == MATCH)
            assert document.hit_of(index) == below
            checked += 1
    assert checked > 100
    raised = document.units.index(
        'h11/_writers.py:91:            raise LocalProtocolError("Too much data for declared Content-Length")'
    )
    assert [document.lines[i].line for i in document.hit_lines(raised)] == [87, 88, 89, 90, 91]


def test_with_context_on_both_sides_a_context_line_belongs_to_the_nearer_match() -> None:
    document = SearchDocument.parse(H11_C2)
    owners = {document.lines[i].line: source_line(document, document.hit_of(i)) for i in range(12)}
    assert owners == {
        89: 91,
        90: 91,
        91: 91,
        92: 91,
        93: 91,
        94: 96,
        95: 96,
        96: 96,
        97: 96,
        98: 98,
        99: 98,
        100: 98,
    }


def test_lines_of_no_hit_belong_to_none() -> None:
    document = SearchDocument.parse("a.py:1:x = 1\n--\ngrep: b.bin: binary file matches\na.py:9:y = 2")
    assert [document.hit_of(i) for i in range(4)] == [0, None, None, 3]


# A class's hits across `--` groups, and grep over a single file ------------------------------------
# Shapes of `grep -rn -A2 -E '^\s*(class|def) '` and `grep -n -A1` over one file (lazr.restfulclient,
# pyparsing, redis-py): the class line, its docstring and a blank line as context, `--`, its methods.

GREP_A2_CLASS = """pkg/resource.py:745:class Entry(Resource):
pkg/resource.py-746-    \"\"\"A class for an entry-type resource.\"\"\"
pkg/resource.py-747-
pkg/resource.py:748:    def __init__(self, root, wadl_resource):
pkg/resource.py-749-        super().__init__(root, wadl_resource)
pkg/resource.py-750-
--
pkg/resource.py:763:    def __repr__(self):
pkg/resource.py-764-        \"\"\"Return the WADL resource type and the URL to the resource.\"\"\"
pkg/resource.py-765-        return "<%s at %s>" % (
--
pkg/resource.py:900:def module_helper():
pkg/resource.py-901-    pass"""


def test_a_separator_or_a_blank_context_line_does_not_close_the_class_a_hit_sits_in() -> None:
    document = SearchDocument.parse(GREP_A2_CLASS)
    scopes = document.scopes()
    assert scopes[3].names == ("Entry",)  # after the blank context line 747
    assert scopes[7].names == ("Entry",)  # after the `--` separator
    assert scopes[10].names == ()  # a module-level def closes it
    members = document.class_members()["Entry"]
    assert 3 in members and 7 in members and 10 not in members


GREP_N_A1_ONE_FILE = """120:class Forward(ParseElementEnhance):
121-    \"\"\"
--
130:    def __init__(self, other=None):
131-        self.caller_frame = traceback.extract_stack(limit=2)[0]
--
140:    def __lshift__(self, other):
141-        if hasattr(self, "caller_frame"):
--
300:def srange(s):
301-    pass"""


def test_grep_n_over_one_file_reads_as_the_results_of_one_unnamed_file() -> None:
    document = SearchDocument.parse(GREP_N_A1_ONE_FILE)
    assert kinds(document)[:4] == [MATCH, CONTEXT, SEPARATOR, MATCH]  # no line taken for a heading
    assert {line.path for line in document.lines if line.kind in (MATCH, CONTEXT)} == {ONE_FILE}
    assert [line.line for line in document.lines[:2]] == [120, 121]
    assert document.class_members()["Forward"] == [0, 1, 3, 4, 6, 7]
    assert document.hit_of(4) == 3  # -A: a context line belongs to the hit above it


def test_a_dropped_run_of_an_unnamed_file_is_counted_by_kind_and_names_no_file() -> None:
    document = SearchDocument.parse(GREP_N_A1_ONE_FILE)
    keep = [index == 0 for index in range(len(document.units))]
    (note,) = document.describe_runs(keep, [(1, len(document.units) - 1)])
    assert note.startswith("[headroom: summary of 10 omitted lines: ")
    assert "kind: match x3, context x4" in note and '""' not in note
    assert "file_lines: 121..301" in note


GREP_R_UNNUMBERED = """pkg/client.py:class PubSub:
pkg/client.py:    def __init__(self, pool):
pkg/client.py:    def subscribe(self, *channels):
pkg/client.py:def helper():
pkg/other/io.py:class Reader:
pkg/other/io.py:    def read(self):"""


def test_grep_r_without_line_numbers_reads_each_path_text_line_as_a_match() -> None:
    document = SearchDocument.parse(GREP_R_UNNUMBERED)
    assert [(line.kind, line.path, line.line) for line in document.lines[:2]] == [
        (MATCH, "pkg/client.py", None),
        (MATCH, "pkg/client.py", None),
    ]
    assert document.files() == [range(0, 4), range(4, 6)]
    assert document.class_members()["PubSub"] == [0, 1, 2]  # `def helper` at the class's depth ends it
    assert document.class_members()["Reader"] == [4, 5]
