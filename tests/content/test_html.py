"""HTML documents: the page's readable blocks, what was dropped tallied, and only text the page shows."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

import pytest

from headroom.content import detect_label, parse
from headroom.content.html import HtmlDocument
from headroom.markers import find_markers, find_tallies

FIXTURES = Path(__file__).parent.parent / "fixtures" / "html"
SAMPLES = sorted(FIXTURES.iterdir())

PAGE = """<!doctype html>
<html><head><title>Widget docs</title><style>p {color: red}</style><script>var x = 1;</script></head>
<body>
<header><a href="/">Home</a> | <a href="/about">About</a></header>
<nav><ul><li>Menu one</li><li>Menu two</li></ul></nav>
<main>
<h1>Widgets <a class="headerlink" href="#w">¶</a></h1>
<p>A widget   holds <b>three</b>
 parts &amp; a lid.</p>
<!-- build 42 -->
<h2>Install</h2>
<ul><li>Download it</li><li>Run <code>make</code><ul><li>with sudo</li></ul></li></ul>
<pre>make install
  --prefix=/opt</pre>
<h2>Sizes</h2>
<table><tr><th>size</th><th>grams</th></tr><tr><td>small</td><td>12</td></tr></table>
<form><input name="q"><button>Go</button></form>
<svg><text>chart</text></svg>
</main>
<footer>Copyright 2026</footer>
</body></html>"""


def _document(text: str = PAGE) -> HtmlDocument:
    document = HtmlDocument.parse(text)
    assert document is not None
    document.encoding = "text"
    return document


def test_readable_blocks_in_page_order_with_structure_marks() -> None:
    assert _document().units == [
        "Widget docs",
        "# Widgets",
        "A widget holds three parts & a lid.",
        "## Install",
        "- Download it",
        "- Run make",
        "  - with sudo",
        "```\nmake install\n  --prefix=/opt\n```",
        "## Sizes",
        "size | grams",
        "small | 12",
    ]


def test_what_was_dropped_is_tallied_by_kind_in_one_marker() -> None:
    rendered = _document().render(None, "0123456789abcdef")
    assert rendered.startswith("[headroom: omitted elements: ")
    (tallied,) = find_tallies(rendered)
    assert dict(tallied.counts) == {
        "head": 1,
        "header": 1,
        "nav": 1,
        "footer": 1,
        "form": 1,
        "svg": 1,
        "a.headerlink": 1,
        "comment": 1,
    }
    for gone in ("var x", "color: red", "Menu one", "Copyright", "chart", "Home", "¶", "build 42"):
        assert gone not in rendered


def test_every_kept_word_is_text_the_page_shows() -> None:
    for sample in SAMPLES:
        source = sample.read_text()
        # Compared without whitespace: the page's own spacing (and tags between words) may differ.
        shown = _SPACE.sub("", html_lib.unescape(re.sub(r"<[^>]+>", "", source)))
        document = _document(source)
        for unit in document.units:
            for line in unit.split("\n"):
                words = re.sub(r"^(#+ |\s*- |```)", "", line).split(" | ")
                for word in words:
                    assert _SPACE.sub("", word) in shown, (sample.name, word)


_SPACE = re.compile(r"\s+")


def test_dropped_sections_are_marked_with_their_heading() -> None:
    document = _document()
    keep = [True] * len(document.units)
    keep[3:8] = [False] * 5  # the Install section
    rendered = document.render(keep, "0123456789abcdef")
    (marker,) = find_markers(rendered)
    assert (marker.unit, marker.first, marker.last, marker.total) == ("blocks", 4, 8, 11)
    assert (marker.scope, marker.section) == ("section", "Install")
    assert [list(group) for group in document.groups()] == [[0], [1, 2], [3, 4, 5, 6, 7], [8, 9, 10]]


def test_source_encoding_renders_the_original_page() -> None:
    document = HtmlDocument.parse(PAGE)
    assert document is not None
    assert document.render(None, "0" * 16) == PAGE


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_real_pages_are_labelled_html_and_shrink(sample: Path) -> None:
    text = sample.read_text()
    assert detect_label(text) == "html"
    document = parse("html", text)
    assert isinstance(document, HtmlDocument)
    document.encoding = "text"
    assert len(document.render(None, "0" * 16)) < len(text) / 2


@pytest.mark.parametrize(
    "text",
    [
        "<",
        "<<<>>>",
        "<div><p>unclosed",
        "<table><tr><td>1",
        "<script>only()</script>",
        "<a>\x00</a>",
        "<p>\ud800</p>",
    ],
)
def test_odd_html_never_raises(text: str) -> None:
    document = HtmlDocument.parse(text)
    if document is not None:
        document.encoding = "text"
        document.render([False] * len(document.units), "0" * 16)


def test_text_without_tags_is_not_a_page() -> None:
    assert HtmlDocument.parse("just words") is None


def test_images_are_counted_in_the_tally_not_dropped_silently() -> None:
    from headroom.content.html import HtmlDocument
    from headroom.markers import find_tallies

    page = (
        "<html><body><h1>Guide</h1><p>Install it first.</p><img src='a.png' alt='diagram'>"
        + ("<p>More text about the setup and its options.</p>" * 40)
        + "<picture><img src='b.png'></picture></body></html>"
    )
    document = HtmlDocument.parse(page)
    assert document is not None
    rendered = document.render([True] * len(document.units), "0123456789abcdef")  # the text reading
    (tally,) = find_tallies(rendered)
    assert "img" in dict(tally.counts) and "picture" in dict(tally.counts)


# identifiers ------------------------------------------------------------------------------------------

SHA = "4f3a9c1e2b7d5a608f1e3c2b9d7a6e5f4c3b2a19"
FORGE = f"""<html><body>
<header><a href="/acme/shop">acme/shop</a>
<span>Run #88 at <a href="/acme/shop/commit/{SHA}">{SHA[:7]}</a></span></header>
<main><h1>Run 88</h1>
<p>Built <a href="/acme/shop/commit/{SHA}">{SHA[:7]}</a>; see <a href="#logs">the logs</a>,
<a href="/acme/shop/commit/{SHA}">{SHA}</a> and <a href="/docs/guide.html#2">step 2</a>.</p>
<h2>Logs</h2><p>all green</p></main></body></html>"""


def test_a_link_target_is_written_only_when_it_names_an_identifier_its_text_does_not_show() -> None:
    document = HtmlDocument.parse(FORGE)
    assert document is not None
    built = next(unit for unit in document.units if unit.startswith("Built"))
    assert built == (
        f"Built {SHA[:7]} </acme/shop/commit/{SHA}>; see the logs, {SHA} and step 2."
    )  # the short hash gains its full target; a link showing the full hash, or an anchor, does not


def test_a_dropped_element_showing_an_identifier_leaves_an_aside_written_only_when_shown() -> None:
    document = HtmlDocument.parse(FORGE)
    assert document is not None
    assert ("header", 1) in document.dropped
    (aside,) = document.asides
    assert aside[0] == 0 and "Run #88" in aside[1] and SHA in aside[1]
    document.encoding = "text"
    assert "Run #88" not in document.render(None, "0" * 16)
    document.shown_asides = frozenset({0})
    keep = [index > 0 for index in range(len(document.units))]
    lines = document.render(keep, "0" * 16).split("\n")
    # Where the header stood: before the first block, here before the marker of the dropped run.
    assert lines[1] == aside[1]
    assert lines[2].startswith(f"[headroom: omitted blocks 1-1 of {len(document.units)}")


def test_nothing_from_a_dropped_element_without_identifiers_is_kept() -> None:
    document = HtmlDocument.parse(PAGE)
    assert document is not None and document.asides == []
