"""Source code documents: the outline a parser gives, markers in place, and never a raise."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from headroom.content import detect_label, parse
from headroom.content.code import CodeDocument, guess_language, indent_outline, language_for_path
from headroom.markers import content_hash, find_markers

FIXTURES = Path(__file__).parent.parent / "fixtures" / "code"
SAMPLES = sorted(FIXTURES.iterdir())

PYTHON = '''"""Module doc."""

import os

LIMIT = 3


@decorate
def outer(a, b):
    """Outer doc.

    More words.
    """
    total = a + b
    return total


class Parser:
    """Parses."""

    def parse(self, text):
        lines = text.split()
        return lines

    def one(self): return 1
'''


def _definitions(document: CodeDocument) -> dict[str, tuple[str, int, int, range]]:
    return {d.name: (d.kind, d.start, d.end, d.body) for d in document.all_definitions()}


def test_python_outline_from_ast_knows_bodies_docstrings_and_decorators() -> None:
    document = CodeDocument(PYTHON)
    document.analyse("python")
    assert document.parser == "ast"
    found = _definitions(document)
    # `@decorate` is line 8 (index 7); the body after the docstring is lines 14-15 (indices 13-14).
    assert found["outer"] == ("function", 7, 14, range(13, 15))
    assert found["Parser"][0] == "class"
    assert found["Parser.parse"] == ("function", 20, 22, range(21, 23))
    assert found["Parser.one"][3] == range(24, 24)  # a one-line def has no body to drop


@pytest.mark.parametrize(
    ("name", "language", "functions"),
    [
        ("express_response.js", "javascript", {"send", "json", "redirect"}),
        ("net_http_client.go", "go", {"Client.Do", "Client.send", "send"}),
        ("regex_re_unicode.rs", "rust", {"Regex.new", "Regex.is_match"}),
        ("rxjs_TestScheduler.ts", "typescript", {"TestScheduler.run", "TestScheduler.flush"}),
        ("ThreadPoolExecutor.java", "java", {"ThreadPoolExecutor.execute", "ThreadPoolExecutor.shutdown"}),
    ],
)
def test_tree_sitter_outlines_name_functions_by_their_owner(
    name: str, language: str, functions: set[str]
) -> None:
    document = CodeDocument((FIXTURES / name).read_text())
    assert language_for_path(name) == language
    document.analyse(language)
    assert document.parser == "tree-sitter"
    names = {d.name for d in document.all_definitions() if d.kind == "function"}
    assert functions <= names


def test_a_function_body_lies_between_its_braces() -> None:
    document = CodeDocument((FIXTURES / "net_http_client.go").read_text())
    document.analyse("go")
    send = next(d for d in document.all_definitions() if d.name == "Client.send")
    assert document.units[send.start].startswith("func (c *Client) send(")
    assert document.units[send.body.start - 1].rstrip().endswith("{")
    assert document.units[send.body.stop].strip() == "}"


def test_a_syntax_error_falls_back_to_the_indentation_outline() -> None:
    broken = PYTHON.replace("def parse(self, text):", "def parse(self, text:")
    document = CodeDocument(broken)
    document.analyse("python")
    assert document.parser == "indent"
    assert "outer" in {d.name for d in document.all_definitions()}


def test_indentation_outline_finds_function_headers_of_an_unknown_language() -> None:
    lines = [
        "proc main {",
        "    set a 1",
        "    set b 2",
        "}",
        "sub helper {",
        "    print 1",
        "    print 2",
        "}",
    ]
    found = {d.name: d.body for d in indent_outline(lines)}
    assert found == {"main": range(1, 3), "helper": range(5, 7)}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "x",
        "def (:\n  ))))\n",
        "\x00\x01\n\x02",
        "}\n{\n" * 50,
        "a\r\nb\rc\n" * 5,
        "\ud800\n\udc00\n",
    ],
)
def test_odd_input_never_raises(text: str) -> None:
    document = CodeDocument.parse(text)
    if document is None:
        return
    for language in (None, "python", "javascript", "go", "rust", "cobol"):
        document.analyse(language)
        keep = [index % 2 == 0 for index in range(len(document.units))]
        document.render(keep, content_hash(text))


def test_numbered_listings_are_read_without_their_numbers_and_kept_with_them() -> None:
    listing = subprocess.run(["cat", "-n"], input=PYTHON, capture_output=True, text=True, check=True).stdout
    document = CodeDocument(listing)
    document.analyse("python")
    assert document.parser == "ast"
    body = next(d.body for d in document.all_definitions() if d.name == "Parser.parse")
    keep = [index not in body for index in range(len(document.units))]
    rendered = document.render(keep, content_hash(listing))
    kept_lines = [line for line in rendered.split("\n") if "[headroom:" not in line]
    assert all(line in document.units for line in kept_lines)
    (marker_line,) = [line for line in rendered.split("\n") if "[headroom:" in line]
    # The number column becomes blank: the marker lines up with the code it replaces.
    assert marker_line.startswith("      \t        [headroom: omitted lines 22-23 of")
    assert document.line_index(21) == 20


def test_markers_are_indented_like_the_body_and_name_the_function() -> None:
    document = CodeDocument(PYTHON)
    document.analyse("python")
    body = next(d.body for d in document.all_definitions() if d.name == "outer")
    keep = [index not in body for index in range(len(document.units))]
    rendered = document.render(keep, "0123456789abcdef")
    assert '    [headroom: omitted lines 14-15 of 26 (body of "outer"); hash=0123456789abcdef]' in rendered
    (marker,) = find_markers(rendered)
    assert (marker.first, marker.last, marker.scope, marker.section) == (14, 15, "body of", "outer")


def test_render_without_a_mask_is_the_original() -> None:
    text = (FIXTURES / "httpx_client.py").read_text()
    assert CodeDocument(text).render(None, "0" * 16) == text


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_real_sources_are_labelled_code_and_their_language_guessed(sample: Path) -> None:
    text = sample.read_text()
    assert detect_label(text) == "code"
    numbered = subprocess.run(["cat", "-n"], input=text, capture_output=True, text=True, check=True).stdout
    assert detect_label(numbered) == "code"
    assert guess_language(text) == language_for_path(sample.name)
    assert isinstance(parse("code", text), CodeDocument)


def test_detection_of_html_does_not_take_code_that_quotes_a_tag() -> None:
    text = (FIXTURES / "express_response.js").read_text()
    assert "<a " in text or "<p>" in text
    assert detect_label(text) == "code"


def test_a_line_s_scope_is_its_definition_and_the_ones_around_it() -> None:
    document = CodeDocument.parse(
        "class Catalog:\n    def load(self, name):\n        return self._data[name]\n\n\n"
        "def load(path):\n    pass\n"
    )
    scopes = document.scopes()
    assert scopes[2].names == ("Catalog.load", "Catalog")
    assert scopes[2].within("catalog")
    assert not scopes[6].within("catalog")


# exits and error paths ---------------------------------------------------------------------------------

EXIT_SAMPLES = {
    "python": (
        "def fetch(key):\n"
        "    try:\n"
        "        value = cache.get(key)\n"
        "    except ConnectionError:\n"  # 3
        "        log.warning('cache down')\n"
        "        return load(key)\n"  # 5
        "    if value is None:\n"  # 6
        "        raise KeyError(key)\n"  # 7
        "    total = value\n"
        "    return total\n"  # 9
    ),
    "go": (
        "package cache\n"
        "func Fetch(key string) (string, error) {\n"
        "\tv, err := rdb.Get(ctx, key).Result()\n"
        "\tif err != nil {\n"  # 3
        '\t\tlog.Printf("redis down: %v", err)\n'
        "\t\treturn load(key)\n"  # 5
        "\t}\n"
        '\tif v == "" {\n'  # 7
        '\t\tpanic("empty value")\n'  # 8
        "\t}\n"
        "\treturn v, nil\n"  # 10
        "}\n"
    ),
    "javascript": (
        "async function fetch(key) {\n"
        "  try {\n"
        "    const v = await cache.get(key);\n"
        "    if (!v) throw new Error('empty');\n"  # 3
        "    return v;\n"  # 4
        "  } catch (err) {\n"  # 5
        "    console.error(err);\n"
        "    process.exit(1);\n"  # 7
        "  }\n"
        "}\n"
    ),
    "rust": (
        "fn fetch(key: &str) -> Result<String, Error> {\n"
        "    let v = cache.get(key)?;\n"  # 1
        "    if v.is_empty() {\n"  # 2
        "        return Err(Error::Empty);\n"  # 3
        "    }\n"
        "    Ok(v)\n"
        "}\n"
    ),
    "java": (
        "class Cache {\n"
        "  String fetch(String key) {\n"
        "    try {\n"
        "      String v = store.get(key);\n"
        "      if (v == null) {\n"  # 4
        "        throw new IllegalStateException(key);\n"  # 5
        "      }\n"
        "      return v;\n"  # 7
        "    } catch (IOException e) {\n"  # 8
        "      System.exit(2);\n"  # 9
        "    }\n"
        "    return null;\n"  # 11
        "  }\n"
        "}\n"
    ),
}
EXIT_ROWS = {
    "python": {3, 5, 6, 7, 9},
    "go": {3, 5, 7, 8, 10},
    "javascript": {3, 4, 5, 7},
    "rust": {1, 2, 3},
    "java": {4, 5, 7, 8, 9, 11},
}


@pytest.mark.parametrize("language", sorted(EXIT_SAMPLES))
def test_exit_lines_are_returns_raises_panics_exits_catches_and_their_guards(language: str) -> None:
    document = CodeDocument(EXIT_SAMPLES[language])
    document.analyse(language)
    assert document.parser in ("ast", "tree-sitter")
    assert document.exit_lines() == EXIT_ROWS[language]


def test_exit_lines_without_a_parser_are_found_by_keyword() -> None:
    text = "proc fetch {key} {\n  if {[catch {get $key} v]} {\n    return -code error $v\n  }\n  exit 1\n}\n"
    document = CodeDocument(text)
    document.analyse("tcl")
    assert document.parser == "indent"
    assert document.exit_lines() == {2, 4}


def test_a_python_module_s_opening_comments_and_docstring_are_comment_definitions() -> None:
    # The first lines of huggingface_hub/utils/_chunk_utils.py (site-packages): a licence, then the
    # module docstring, then code.
    text = "\n".join(
        [
            "# Copyright 2022-present, the HuggingFace Inc. team.",
            "#",
            '# Licensed under the Apache License, Version 2.0 (the "License");',
            "# you may not use this file except in compliance with the License.",
            '"""Contains a utility to iterate by chunks over an iterator.',
            "",
            'Taken from https://stackoverflow.com/a/8998040."""',
            "",
            "import itertools",
            "",
            "",
            "def chunk_iterable(iterable, chunk_size):",
            "    iterator = iter(iterable)",
            "    while True:",
            "        yield itertools.islice(iterator, chunk_size)",
        ]
    )
    document = CodeDocument(text)
    document.analyse("python")
    comments = [(d.start, d.end, d.doc) for d in document.all_definitions() if d.kind == "comment"]
    assert comments == [(0, 3, range(0, 4)), (4, 6, range(4, 7))]
