"""What a code outline is made of: definitions (functions, classes, long statements, comment
blocks) nested as the code nests them. Both outliners build these: Python's own parser in
`headroom.content.code`, tree-sitter in `headroom.content.code_syntax`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["function", "class", "statement", "comment"]

# A function this long whose body is mostly other definitions, or holds many (a module pattern,
# a test suite), is outlined member by member rather than dropped whole.
CONTAINER_MIN_LINES = 40
CONTAINER_SHARE = 0.5
CONTAINER_MEMBERS = 10


@dataclass(eq=False)
class Definition:
    """A function, class, long statement or comment block in the outline. Lines are 0-based, inclusive."""

    kind: Kind
    name: str  # qualified: "Parser.parse"; "" when anonymous
    start: int  # first line, decorators included
    end: int
    body: range  # the lines dropped when it is outlined (empty: nothing to drop)
    children: list[Definition] = field(default_factory=list)
    doc: range = range(0)  # its docstring, or the doc comment right above it
    parent: Definition | None = None
    container: bool = False

    @property
    def simple_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    @property
    def label(self) -> str:
        return self.name or f"{self.kind} at line {self.start + 1}"

    def walk(self) -> Iterator[Definition]:
        yield self
        for child in self.children:
            yield from child.walk()


def link(definitions: list[Definition], parent: Definition | None = None) -> list[Definition]:
    """Set parents and the container flag, children first; returns `definitions`."""
    for definition in definitions:
        definition.parent = parent
        link(definition.children, definition)
        if definition.kind == "function" and len(definition.body) >= CONTAINER_MIN_LINES:
            members = [c for c in definition.children if c.kind in ("function", "class")]
            nested = sum(c.end - c.start + 1 for c in members if c.kind != "comment")
            definition.container = (
                nested >= CONTAINER_SHARE * len(definition.body) or len(members) >= CONTAINER_MEMBERS
            )
    return definitions
