"""HTML pages: units are the page's readable blocks (headings, paragraphs, list items, code blocks,
table rows), numbered from 1 in page order.

The page is read with selectolax (the Lexbor HTML5 parser). What a reader
would not read is dropped and tallied by kind in one marker at the top:
scripts, styles, navigation, page headers and footers, sidebars, forms, SVG,
hidden elements, comments and the page's <head> (its title is kept):

    [headroom: omitted elements: 14 script, 3 style, 2 nav, 1 div.sphinxsidebar; hash=3f2a9c1b7d4e5f60]

The re-encoding rule: every kept block is text that the page shows, with HTML
entities decoded and runs of whitespace collapsed to one space (except inside
<pre>, kept as is). Markup and attributes (link targets too) are not kept.
Structure is written in a few fixed marks: a heading as `#` marks (one per
level) and a space, a list item as `- ` (indented two spaces per nesting
level), a <pre> block between ``` fence lines, a table row as its cells joined
by ` | `. When the crusher drops whole sections, each dropped run becomes one
marker naming the heading it starts at or sits under:

    [headroom: omitted blocks 40-72 of 300 (section "Installation"); hash=3f2a9c1b7d4e5f60]

Identifiers survive the reading (`headroom.content.identifiers`: commit hashes, build and run
numbers, versions, UUIDs). A link whose target holds a hash, a UUID or a build or run number that
its text does not show is followed by its target in angle brackets, as Markdown writes a bare link:

    View commit <https://github.com/acme/shop/commit/4f3a9c1e2b7d...>

And a dropped element (a sidebar, a page header) that shows one leaves its lines that do as
*asides*, where the element stood (rustdoc's sidebar: `(59807616e 2026-04-14)`). Asides are not
units and are not written unless a crusher shows them (`shown_asides`), when the request asks for
that kind of identifier; the tally counts the element as dropped either way.

`render(None, ref)` gives the original page while `encoding` is "source"; a
crusher that reads the page sets it to "text".
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Literal

from headroom.content.base import Document
from headroom.content.identifiers import shows_identifier, target_identifiers
from headroom.markers import omitted, runs, tally

_DROPPED_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "canvas",
    "iframe",
    "object",
    "embed",
    "form",
    "button",
    "select",
    "input",
    "textarea",
    "nav",
    "aside",
    "dialog",
    # Images and media have no text of their own to keep; they are counted like the rest.
    "img",
    "picture",
    "video",
    "audio",
)
# Page-level headers and footers; those inside an article or main are the content's own.
_PAGE_FRAME_TAGS = ("header", "footer")
_BOILERPLATE_ROLES = ("navigation", "banner", "contentinfo", "search", "complementary")
_BOILERPLATE_CLASSES = (
    "sidebar",
    "sphinxsidebar",
    "related",
    "navbar",
    "breadcrumb",
    "breadcrumbs",
    "headerlink",
    "skip-link",
    "cookie-banner",
    "sr-only",
)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCKS = frozenset(
    "p div section article main header footer ul ol li dl dt dd blockquote figure figcaption address details "
    "summary caption hr center body html".split()
)
_LISTS = frozenset({"ul", "ol"})
_SPACE = re.compile(r"\s+")
MAX_HEADING_CHARS = 80


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


class HtmlDocument(Document):
    unit_name = "blocks"
    first_number = 1

    def __init__(
        self,
        text: str,
        units: list[str],
        levels: list[int],
        dropped: list[tuple[str, int]],
        asides: list[tuple[int, str]] | None = None,
    ):
        super().__init__(text, units)
        self.levels = levels  # heading level per unit; 0 for anything else
        self.dropped = dropped  # (kind, count), the tally of what reading the page left out
        self.encoding: Literal["source", "text"] = "source"
        # (the unit it stood before, its text): identifier lines of dropped elements, in page order
        self.asides = asides or []
        self.shown_asides: frozenset[int] = frozenset()  # which asides are written (crusher's choice)

    @classmethod
    def parse(cls, text: str) -> HtmlDocument | None:
        if "<" not in text:
            return None
        try:
            from selectolax.lexbor import LexborHTMLParser

            tree = LexborHTMLParser(text)
        except (ImportError, ValueError, TypeError, RuntimeError):
            return None
        root = tree.root
        if root is None:
            return None
        title_node = tree.css_first("head > title")
        title = _normal(title_node.text(deep=True)) if title_node is not None else ""
        # Nodes read before this line must not be touched after it.
        dropped, aside_texts = _drop_boilerplate(tree)
        reader = _Reader(aside_texts)
        if title:
            reader.add(title, 0)
        reader.read(tree.body if tree.body is not None else root)
        if reader.comments:
            dropped["comment"] += reader.comments
        counts = sorted(dropped.items(), key=lambda item: (-item[1], item[0]))
        return cls(text, reader.units, reader.levels, counts, reader.asides)

    # sections -------------------------------------------------------------------------------

    def groups(self) -> list[range]:
        """Sections: a heading and the blocks up to the next heading (the blocks before the first too)."""
        starts = [0, *(i for i, level in enumerate(self.levels) if level and i > 0)]
        ends = [*starts[1:], len(self.units)]
        return [range(start, end) for start, end in zip(starts, ends, strict=False) if end > start]

    def heading(self, index: int) -> str:
        return _short(self.units[index].lstrip("#").strip())

    # rendering ------------------------------------------------------------------------------

    def render(self, keep: list[bool] | None, ref: str) -> str:
        if keep is None and self.encoding == "source":
            return self.text
        out = [tally("elements", self.dropped, ref)] if self.dropped else []
        total = len(self.units)
        starts = dict(runs(keep)) if keep is not None else {}
        asides = [(at, text) for n, (at, text) in enumerate(self.asides) if n in self.shown_asides]
        index = 0
        while index < total or asides:
            while asides and asides[0][0] <= index:  # where the element stood (before a dropped run)
                out.append(asides.pop(0)[1])
            if index >= total:
                break
            if index in starts:
                last = starts[index]
                out.append(
                    omitted(
                        self.unit_name, index + 1, last + 1, total, ref, section=self._section_of(index, last)
                    )
                )
                index = last + 1
            else:
                out.append(self.units[index])
                index += 1
        return "\n".join(out)

    def _section_of(self, first: int, last: int) -> str | None:
        """The first heading inside a run, else the heading the run sits under."""
        for index in range(first, last + 1):
            if self.levels[index]:
                return self.heading(index)
        for index in range(first - 1, -1, -1):
            if self.levels[index]:
                return self.heading(index)
        return None


def _link_target(link: Any) -> str | None:
    """A link's target when it holds an identifier that the link's text does not show."""
    target = (link.attributes.get("href") or "").strip()
    found = target_identifiers(target) if len(target) <= MAX_ASIDE_CHARS else []
    if not found:
        return None
    text = link.text(deep=True)
    return None if all(token in text for token in found) else target


def _short(text: str) -> str:
    return text if len(text) <= MAX_HEADING_CHARS else text[: MAX_HEADING_CHARS - 3] + "..."


def _inside(node: Any, tags: tuple[str, ...]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.parent
    return False


def _outermost(nodes: list[Any]) -> list[Any]:
    matched = {node.mem_id for node in nodes}
    return [node for node in nodes if not _has_ancestor_in(node, matched)]


def _has_ancestor_in(node: Any, ids: set[int]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.mem_id in ids:
            return True
        parent = parent.parent
    return False


def _drop_boilerplate(tree: Any) -> tuple[Counter[str], list[list[str]]]:
    """Remove what a reader skips; count it by kind. An element that shows identifiers leaves a
    placeholder text node in its place, naming its lines that show one (the second value)."""
    dropped: Counter[str] = Counter()
    asides: list[list[str]] = []

    def remove(nodes: list[Any], kind: str, *, shown: bool = True) -> None:
        # Only the outermost of nested matches is removed: a node inside a removed one is gone with it
        # (and must not be touched again). Which are outermost is settled before anything is removed.
        for node in _outermost(nodes):
            dropped[kind] += 1
            lines = _identifier_lines(node) if shown else []
            if lines:
                node.replace_with(f"{_ASIDE_OPEN}{len(asides)}{_ASIDE_CLOSE}")
                asides.append(lines)
            else:
                node.decompose()

    head = tree.head
    if head is not None:
        remove([head], "head", shown=False)
    for role in _BOILERPLATE_ROLES:
        nodes = _outermost(tree.css(f'[role="{role}"]'))
        for tag in sorted({node.tag for node in nodes}):
            remove([node for node in nodes if node.tag == tag], f"{tag}(role={role})")
    for name in _BOILERPLATE_CLASSES:
        for node in _outermost(tree.css(f".{name}, #{name}")):
            mark = "." if name in (node.attributes.get("class") or "").split() else "#"
            remove([node], f"{node.tag}{mark}{name}")
    for tag in _PAGE_FRAME_TAGS:
        remove([n for n in tree.css(tag) if not _inside(n, ("article", "main"))], tag)
    for tag in _DROPPED_TAGS:
        remove(tree.css(tag), tag, shown=tag in _SHOWN_DROPPED_TAGS)
    remove(tree.css('[hidden], [aria-hidden="true"]'), "hidden", shown=False)
    return dropped, asides


# A dropped element of these kinds shows text a reader may ask about; the rest show none.
_SHOWN_DROPPED_TAGS = frozenset({"nav", "aside", "dialog"})
_NO_TEXT_TAGS = frozenset(_DROPPED_TAGS) - _SHOWN_DROPPED_TAGS
_ASIDE_OPEN, _ASIDE_CLOSE = "\ue000headroom-aside:", "\ue001"
_ASIDE = re.compile(re.escape(_ASIDE_OPEN) + r"(\d+)" + re.escape(_ASIDE_CLOSE))
MAX_ASIDE_LINES = 4
MAX_ASIDE_CHARS = 300


def _identifier_lines(node: Any) -> list[str]:
    """The blocks of a dropped element that show an identifier (at most MAX_ASIDE_LINES)."""
    if not shows_identifier(node.text(deep=True)) and not any(
        target_identifiers(link.attributes.get("href") or "") for link in node.css("a[href]")
    ):
        return []
    # A sidebar's heading is often a name and a version in two boxes: read them apart.
    reader = _Reader([], skip=_NO_TEXT_TAGS, separator=" ")
    reader.read(node)
    lines = [unit for unit in reader.units if len(unit) <= MAX_ASIDE_CHARS and shows_identifier(unit)]
    return lines[:MAX_ASIDE_LINES]


class _Reader:
    """One walk over the page, in order, gathering blocks of text."""

    def __init__(
        self, aside_texts: list[list[str]], *, skip: frozenset[str] = frozenset(), separator: str = ""
    ) -> None:
        self.units: list[str] = []
        self.levels: list[int] = []
        self.comments = 0
        self.asides: list[tuple[int, str]] = []  # (the unit it stands before, its text)
        self._aside_texts = aside_texts
        self._skip = skip  # tags whose content is not read
        self._separator = separator  # between the texts of a heading's elements
        self._inline: list[str] = []
        self._lists = 0  # list nesting depth
        self._item_prefix: str | None = None  # the `- ` still owed to the current list item's first block

    def add(self, unit: str, level: int) -> None:
        self.units.append(unit)
        self.levels.append(level)

    def flush(self) -> None:
        text = _normal("".join(self._inline))
        self._inline.clear()
        if not text:
            return
        indent = "  " * max(0, self._lists - 1)
        if self._item_prefix is not None:
            text = self._item_prefix + text
            self._item_prefix = None
        elif self._lists:
            text = indent + "  " + text
        self.add(text, 0)

    def read(self, root: Any) -> None:
        stack: list[tuple[Any, bool | str]] = [(root, False)]
        while stack:
            node, leaving = stack.pop()
            if isinstance(leaving, str):  # the end of a link whose target names an identifier
                self._inline.append(leaving)
                continue
            tag = node.tag
            if leaving:
                self._leave(tag)
                continue
            if tag == "-text":
                self._text(node.text_content or "")
                continue
            if tag == "-comment":
                self.comments += 1
                continue
            if tag in self._skip or self._whole(node, tag):
                continue
            if tag in _BLOCKS or tag in _LISTS:
                self._enter(tag)
                stack.append((node, True))
            elif tag == "br":
                self.flush()
            elif tag == "a" and (target := _link_target(node)) is not None:
                stack.append((node, f" <{target}>"))
            children = []
            child = node.child
            while child is not None:
                children.append(child)
                child = child.next
            stack.extend((child, False) for child in reversed(children))
        self.flush()

    def _text(self, text: str) -> None:
        placeholder = _ASIDE.fullmatch(text) if text.startswith(_ASIDE_OPEN) else None
        if placeholder is None or int(placeholder[1]) >= len(self._aside_texts):
            self._inline.append(text)
            return
        self.flush()
        self.asides.extend((len(self.units), line) for line in self._aside_texts[int(placeholder[1])])

    def _enter(self, tag: str) -> None:
        self.flush()
        if tag in _LISTS:
            self._lists += 1
        elif tag == "li":
            self._item_prefix = "  " * max(0, self._lists - 1) + "- "

    def _leave(self, tag: str) -> None:
        self.flush()
        if tag in _LISTS:
            self._lists = max(0, self._lists - 1)
        elif tag == "li":
            self._item_prefix = None

    def _whole(self, node: Any, tag: str) -> bool:
        """Headings, code blocks and tables are read in one piece."""
        if tag in _HEADINGS:
            self.flush()
            text = _normal(node.text(deep=True, separator=self._separator))
            if text:
                self.add("#" * _HEADINGS[tag] + " " + text, _HEADINGS[tag])
            return True
        if tag == "pre":
            self.flush()
            code = node.text(deep=True).strip("\n")
            if code.strip():
                self.add("```\n" + code + "\n```", 0)
            return True
        if tag == "table":
            self.flush()
            self._table(node)
            return True
        return False

    def _table(self, table: Any) -> None:
        caption = table.css_first("caption")
        if caption is not None and _normal(caption.text(deep=True)):
            self.add(_normal(caption.text(deep=True)), 0)
        for row in table.css("tr"):
            cells = []
            cell = row.child
            while cell is not None:
                if cell.tag in ("td", "th"):
                    cells.append(_normal(cell.text(deep=True)))
                cell = cell.next
            if any(cells):
                self.add(" | ".join(cells), 0)
