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

`render(None, ref)` gives the original page while `encoding` is "source"; a
crusher that reads the page sets it to "text".
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Literal

from headroom.content.base import Document
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

    def __init__(self, text: str, units: list[str], levels: list[int], dropped: list[tuple[str, int]]):
        super().__init__(text, units)
        self.levels = levels  # heading level per unit; 0 for anything else
        self.dropped = dropped  # (kind, count), the tally of what reading the page left out
        self.encoding: Literal["source", "text"] = "source"

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
        dropped = _drop_boilerplate(tree)  # nodes read before this line must not be touched after it
        reader = _Reader()
        if title:
            reader.add(title, 0)
        reader.read(tree.body if tree.body is not None else root)
        if reader.comments:
            dropped["comment"] += reader.comments
        counts = sorted(dropped.items(), key=lambda item: (-item[1], item[0]))
        return cls(text, reader.units, reader.levels, counts)

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
        index = 0
        while index < total:
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


def _drop_boilerplate(tree: Any) -> Counter[str]:
    """Remove what a reader skips; count it by kind."""
    dropped: Counter[str] = Counter()

    def remove(nodes: list[Any], kind: str) -> None:
        # Only the outermost of nested matches is removed: a node inside a removed one is gone with it
        # (and must not be touched again). Which are outermost is settled before anything is removed.
        for node in _outermost(nodes):
            dropped[kind] += 1
            node.decompose()

    head = tree.head
    if head is not None:
        remove([head], "head")
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
        remove(tree.css(tag), tag)
    remove(tree.css('[hidden], [aria-hidden="true"]'), "hidden")
    return dropped


class _Reader:
    """One walk over the page, in order, gathering blocks of text."""

    def __init__(self) -> None:
        self.units: list[str] = []
        self.levels: list[int] = []
        self.comments = 0
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
        stack: list[tuple[Any, bool]] = [(root, False)]
        while stack:
            node, leaving = stack.pop()
            tag = node.tag
            if leaving:
                self._leave(tag)
                continue
            if tag == "-text":
                self._inline.append(node.text_content or "")
                continue
            if tag == "-comment":
                self.comments += 1
                continue
            if self._whole(node, tag):
                continue
            if tag in _BLOCKS or tag in _LISTS:
                self._enter(tag)
                stack.append((node, True))
            elif tag == "br":
                self.flush()
            children = []
            child = node.child
            while child is not None:
                children.append(child)
                child = child.next
            stack.extend((child, False) for child in reversed(children))
        self.flush()

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
            text = _normal(node.text(deep=True))
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
