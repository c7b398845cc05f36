"""Prose and Markdown: chunks, headings (Markdown, setext, reST, man pages), sections in markers,
near-duplicates."""

from __future__ import annotations

import re
from pathlib import Path

from headroom.content import detect_label, parse
from headroom.content.prose import ProseDocument, near_duplicates
from headroom.markers import find_markers

REF = "0123456789abcdef"
FIXTURES = Path(__file__).parent.parent / "fixtures" / "prose"

MARKDOWN = """# Tool

Tool does things. It does them well.

## Installation

Install it with pip. Then run it.

```bash
pip install tool
```

- first item
- second item

Setext title
============

Body text here.
"""


def doc(text: str) -> ProseDocument:
    document = ProseDocument.parse(text)
    assert document is not None
    return document


def headings(document: ProseDocument) -> list[str]:
    return [document.section_titles[i] for i, chunk in enumerate(document.chunks) if chunk.kind == "heading"]


def test_chunks_of_markdown() -> None:
    document = doc(MARKDOWN)
    kinds = [(c.kind, document.units[c.start]) for c in document.chunks]
    assert ("code", "```bash") in kinds
    assert ("item", "- first item") in kinds and ("item", "- second item") in kinds
    assert headings(document) == ["Tool", "Installation", "Setext title"]
    assert document.anchors() == {0, 4, 15, 16}  # setext: the title and its underline


def test_every_line_belongs_to_a_chunk_in_order() -> None:
    document = doc(MARKDOWN)
    covered = [line for chunk in document.chunks for line in range(chunk.start, chunk.stop)]
    assert covered == list(range(len(document.units)))


def test_man_page_titles_are_headings() -> None:
    document = parse("prose", (FIXTURES / "man_ls.txt").read_text())
    assert isinstance(document, ProseDocument)
    assert {"NAME", "SYNOPSIS", "DESCRIPTION", "AUTHOR", "SEE ALSO"} <= set(headings(document))


def test_a_hash_inside_a_code_block_is_not_a_heading() -> None:
    document = doc("# Title\n\n```python\n# a comment\nx = 1\n```\n\nText after.\n")
    assert headings(document) == ["Title"]


def test_markers_name_the_section_of_the_dropped_lines() -> None:
    document = doc(MARKDOWN)
    keep = [True] * len(document.units)
    keep[6] = keep[7] = False  # "Install it with pip." and the blank line
    rendered = document.render(keep, REF)
    (marker,) = find_markers(rendered)
    assert (marker.first, marker.last, marker.total, marker.section) == (
        7,
        8,
        len(document.units),
        "Installation",
    )
    assert rendered.split("\n")[:6] == MARKDOWN.split("\n")[:6]


def test_text_before_any_heading_has_no_section() -> None:
    document = doc("just\nsome\nlines\nof text\n")
    (marker,) = find_markers(document.render([True, False, False, True, True], REF))
    assert marker.section is None


def test_near_duplicates_exact_and_nearly() -> None:
    words = [
        "the quick brown fox jumps over the lazy dog today".split(),
        "something else entirely about other things here now".split(),
        "the quick brown fox jumps over the lazy dog today".split(),  # exact
        "the quick brown fox jumps over the lazy dog today again".split(),  # nearly
        "short one".split(),
    ]
    assert near_duplicates(words, ["paragraph"] * 5) == {2, 3}


def test_one_or_two_lines_are_not_a_document() -> None:
    assert ProseDocument.parse("one line only") is None
    assert detect_label((FIXTURES / "node_child_process.md").read_text()) == "prose"


# Option lists: man pages and --help output ------------------------------------------------------

TAR_HELP = (FIXTURES / "tar_help.txt").read_text()  # `tar --help`, GNU tar 1.34
MAN_SSH = (FIXTURES / "man_ssh.txt").read_text()  # `man ssh | col -bx`, OpenSSH


def test_each_option_of_a_help_text_is_a_chunk_with_the_lines_under_it() -> None:
    document = doc(TAR_HELP)
    lines = document.units
    # By their layout: an option line starts with 1 to 6 spaces and a dash; a wrapped description
    # is indented to the description column.
    options = [i for i, line in enumerate(lines) if re.match(r" {1,6}-", line)]
    assert len(options) > 100
    starts = {chunk.start: chunk for chunk in document.chunks}
    for index in options:
        chunk = starts[index]
        assert chunk.kind == "item"
        under = [i for i in range(index + 1, chunk.stop) if lines[i].strip()]
        assert all(lines[i].startswith(" " * 20) for i in under), lines[index]
    check_device = lines.index("      --check-device         check device numbers when creating incremental")
    assert lines[starts[check_device].stop - 1].strip() == "archives (default)"


def test_a_wrapped_sentence_starting_with_an_option_name_is_no_entry() -> None:
    document = doc(MAN_SSH)
    wrapped = document.units.index("             -J).")
    assert document.chunks[document.chunk_of_line[wrapped]].start < wrapped


def test_the_lines_introducing_an_indented_line_are_the_less_indented_ones_above_it() -> None:
    document = doc(MAN_SSH)
    lines = document.units
    caution = next(
        i for i, line in enumerate(lines) if "Agent forwarding should be enabled with caution" in line
    )
    option = lines.index("     -A      Enables forwarding of connections from an authentication agent")
    assert document.entry_heads({caution}) == {option}  # DESCRIPTION, a heading, ends the search
    assert document.entry_heads({option}) == set()


def test_lines_written_next_to_each_other_at_the_margin_are_no_titles() -> None:
    # psutil's METADATA: `Key: value` headers at the margin, then a README whose code is indented.
    document = doc((FIXTURES / "psutil_METADATA.txt").read_text())
    titles = headings(document)
    assert not any(title.startswith(("Requires-Dist:", "Classifier:", "Name:")) for title in titles)
    assert "CPU" in titles  # an RST title, underlined
