"""Content-type detection: candidates with a confidence, the surest first, from a cheap sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from headroom import samples
from headroom.content import LABELS, detect_label, parse
from headroom.content.detect import CERTAIN, FALLBACK, LIKELY, STRONG, Candidate, detect
from headroom.content.json_array import JsonArrayDocument
from headroom.content.lines import LinesDocument

LOG = "\n".join(f"2026-11-27T08:00:{i:02d}Z INFO [api] GET /items/{i} 200" for i in range(20))
SEARCH = "\n".join(f"src/app/module_{i}.py:{i + 10}:    value = compute({i})" for i in range(10))
DIFF = "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@\n-old = 1\n+new = 2\n context"
HTML = "<!doctype html>\n<html><body><div>hello</div></body></html>"
CODE = "import os\n\n\ndef main():\n    return os.getcwd()\n\n\nclass Thing:\n    pass\n"
SHELL = "$ pytest -q\n....F\nFAILED tests/test_x.py::test_y\n1 failed, 4 passed\n$ echo done\ndone"
TABLE = "name,age,city\nalice,30,paris\nbob,25,rome\ncarol,41,oslo"
PROSE = "The quick brown fox jumps over the lazy dog.\nIt was a bright cold day in April."


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ('[{"a": 1}, {"a": 2}]', "json_array"),
        ("  [1, 2, 3]\n", "json_array"),
        ('{"a": [1, 2]}', "json_object"),
        (LOG, "log"),
        (samples.application_log(200)[0], "log"),
        (SEARCH, "search"),
        (DIFF, "diff"),
        (HTML, "html"),
        (CODE, "code"),
        (SHELL, "shell"),
        (TABLE, "table"),
        (PROSE, "prose"),
        ("", "empty"),
        (" \n\t ", "empty"),
    ],
)
def test_detect_label(text: str, label: str) -> None:
    assert detect_label(text) == label
    assert label in LABELS


def test_a_bracketed_text_that_is_not_json_is_still_labelled_json_array_but_not_parsed() -> None:
    # Detection is cheap and never parses; the document decides whether the text really is JSON.
    text = "[this is not json]"
    assert detect_label(text) == "json_array"
    assert parse("json_array", text) is None


@pytest.mark.parametrize(
    ("label", "document_type"),
    [("json_array", JsonArrayDocument), ("log", LinesDocument), ("shell", LinesDocument)],
)
def test_parse_gives_the_document_for_a_label(label: str, document_type: type) -> None:
    text = "[1, 2]" if label == "json_array" else "a\nb"
    assert isinstance(parse(label, text), document_type)


@pytest.mark.parametrize("label", ["prose", "code", "html", "json_object", "empty"])
def test_labels_no_compressor_understands_give_no_document(label: str) -> None:
    assert parse(label, "anything") is None


def test_markdown_star_bullets_are_prose_not_code_comments() -> None:
    changelog = "\n".join(
        ["# Changelog", "", "## Release v2.4.0", ""]
        + [
            f"* Add support for version 3.{n} ([#{2000 + n}](https://example.org/pull/{2000 + n}))"
            for n in range(30)
        ]
    )
    assert detect_label(changelog) == "prose"


def test_json_lines_are_a_log_and_one_object_over_lines_is_json() -> None:
    lines = "\n".join(f'{{"ts":"2026-11-27T10:00:0{n}Z","level":"info","msg":"fetched"}}' for n in range(5))
    assert detect_label(lines) == "log"
    assert detect_label('{\n  "name": "pkg",\n  "version": "1.0"\n}') == "json_object"


def test_a_list_of_file_paths_and_pip_show_files_are_shell_output() -> None:
    found = "\n".join(f"./src/pkg{i % 5}/module_{i}.py" for i in range(50))
    assert detect_label(found) == "shell"
    pip_show = "\n".join(
        ["Name: tiktoken", "Version: 0.14.0", "Summary: a tokeniser", "License: MIT", "Files:"]
        + [f"  tiktoken/part_{i}.py" for i in range(40)]
    )
    assert detect_label(pip_show) == "shell"


def test_a_drawn_dependency_tree_is_shell_output() -> None:
    tree = "\n".join(
        ["npm@11.19.1 /usr/lib/node_modules/npm"]
        + [f"│ ├── dep-{i}@1.0.{i} deduped" if i % 3 else f"├─┬ pkg-{i}@2.{i}.0" for i in range(60)]
    )
    assert detect_label(tree) == "shell"


SCALE = (CERTAIN, STRONG, LIKELY, FALLBACK)


@pytest.mark.parametrize(
    "text", [LOG, SEARCH, DIFF, HTML, CODE, SHELL, TABLE, PROSE, samples.application_log(200)[0]]
)
def test_detection_gives_candidates_surest_first_each_once_on_the_written_scale(text: str) -> None:
    detection = detect(text)
    confidences = [c.confidence for c in detection.candidates]
    assert confidences == sorted(confidences, reverse=True)
    assert all(confidence in SCALE for confidence in confidences)
    labels = [c.label for c in detection.candidates]
    assert len(labels) == len(set(labels)) and set(labels) <= set(LABELS)
    assert detection.label == labels[0] == detect_label(text)
    assert detection.candidates[-1] == Candidate("prose", FALLBACK, "no other shape") or labels == ["prose"]
    assert detection.rivals()[0] == detection.candidates[0]


def test_a_diff_with_file_and_hunk_headers_is_certain_and_statement_shaped_lines_only_likely() -> None:
    detection = detect(DIFF)
    assert detection.candidates[0] == Candidate("diff", CERTAIN, "file and hunk headers")
    assert len(detection.rivals()) == 1


def test_a_log_is_strong_when_four_in_five_lines_are_timestamped_and_likely_below() -> None:
    timestamped = [f"2026-11-27T08:00:{i:02d}Z INFO [api] GET /items/{i} 200" for i in range(10)]
    plain = [f"handled request number {i} for the items page" for i in range(10)]
    assert detect("\n".join(timestamped)).candidates[0].confidence == STRONG
    half = detect("\n".join(t for pair in zip(timestamped, plain, strict=True) for t in pair))
    assert (half.label, half.candidates[0].confidence) == ("log", LIKELY)


def test_detection_is_the_same_every_time() -> None:
    assert len({detect(text) for text in (LOG, DIFF, PROSE) for _ in range(3)}) == 3


# Comments are prose in any language: what a text is shows around them ----------------------------

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_source_whose_comments_fill_the_sample_is_code_and_its_comments_alone_are_prose() -> None:
    # glibc's regex.h documents every declaration; numpy's system_info.py opens with a 169-line
    # docstring. Both were read as prose from their first 200 lines.
    for name in ("glibc_regex.h", "numpy_system_info_head.py"):
        text = (FIXTURES / "code" / name).read_text()
        assert detect_label(text) == "code", name
    header = (FIXTURES / "code" / "glibc_regex.h").read_text()
    opening_comment = header[: header.index("*/") + 2]
    assert detect_label(opening_comment) == "prose"


def test_prose_stays_prose_whatever_comment_marks_it_holds() -> None:
    for path in sorted((FIXTURES / "prose").iterdir()):
        assert detect_label(path.read_text()) == "prose", path.name
    globs = "\n".join(
        ["Lint the sources:", "", "    eslint 'src/**/*.js'", ""]
        + [
            f"Rule {n} checks one more thing about how the files under src/**/*.ts are written."
            for n in range(30)
        ]
        + ["", "The last glob ends here: lib/*/"]
    )
    assert detect_label(globs) == "prose"


def test_importtime_rows_without_their_header_are_a_table_not_import_statements() -> None:
    # `python -X importtime ... | tail`: every line opens with `import`, and none is a statement.
    rows = [
        f"import time: {100 + i * 7:>9} | {900 + i * 31:>10} | {'  ' * (1 + i % 3)}pkg.mod{i}"
        for i in range(60)
    ]
    labels = [candidate.label for candidate in detect("\n".join(rows)).rivals()]
    assert "code" not in labels
    assert "table" in labels
    assert detect_label("import os\nimport sys\nfrom pathlib import Path\n\nprint(os.sep)\n") == "code"


def test_grep_n_with_context_over_one_file_is_search_and_a_numbered_listing_is_not() -> None:
    # `grep -n -A1 -E '^\s*(class|def) ' core.py`: no path, `12:` hits, `13-` context, `--` between.
    groups = [
        f"{100 + 10 * i}:    def method_{i}(self, value):\n{101 + 10 * i}-        return self.call({i})"
        for i in range(30)
    ]
    text = '120:class Forward(Base):\n121-    """Forward declaration."""\n--\n' + "\n--\n".join(groups)
    found = detect(text)
    assert found.label == "search"
    assert found.candidates[0].confidence == STRONG
    listing = "\n".join(f"{i}: value_{i} = compute({i})" for i in range(1, 40))  # numbered, no `--`, no `-`
    assert detect_label(listing) != "search"


def test_grep_r_without_line_numbers_is_search_and_pytest_ids_are_not() -> None:
    shapes = [
        "class Pool{i}:",
        "    def get_{i}(self):",
        "    def put_{i}(self, key, value=None):",
        "def helper_{i}(*args):",
    ]
    hits = "\n".join(f"pkg/mod_{i // 4}/core.py:" + shapes[i % 4].format(i=i) for i in range(40))
    assert detect(hits).label == "search"
    tests = "\n".join(f"tests/test_mod_{i}.py::test_case_{i} PASSED" for i in range(30))
    assert detect_label(tests) != "search"


def test_grep_n_over_one_file_is_search_when_its_numbers_skip_lines() -> None:
    # `grep -n -E '^\s*(class|def) ' core.py`: hits only, numbers rising with gaps.
    shapes = ["class Pool{i}(Base):", "    def get_{i}(self):", "    def put_{i}(self, key, value=None):"]
    hits = "\n".join(f"{100 + 7 * i}:" + shapes[i % 3].format(i=i) for i in range(40))
    assert detect_label(hits) == "search"
    listing = "\n".join(f"{100 + i}:" + shapes[i % 3].format(i=i) for i in range(40))  # counts on by one
    assert detect_label(listing) != "search"
