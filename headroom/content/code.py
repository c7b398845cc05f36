"""Source code: units are lines, numbered from 1; an outline says which lines are whose body.

The outline comes from a real parser: Python's `ast` for Python, tree-sitter
grammars for the other common languages (`headroom.content.code_syntax`,
imported only when such code is seen). When neither applies (an unknown
language, a syntax error, a fragment), an indentation outline finds the
blocks under lines that look like function headers. Parsing never raises.

Each `Definition` is a function, a class (or namespace, impl, interface) or a
long statement, with the lines that would go if it were outlined (`body`): a
function's body after its docstring, a statement's lines after its first.
Classes are never outlined as a whole; their members are.

Listings whose lines carry numbers (`cat -n`, `nl`, editor tools) or `git blame`'s
columns (commit, author, date, number) are read without them; kept lines keep them.
Kept lines are verbatim. Each run of dropped lines becomes one marker line in place,
indented like the code it replaces and naming the function whose body it is:

    [headroom: omitted lines 120-188 of 950 (body of "Parser.parse"); hash=3f2a9c1b7d4e5f60]
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator

from headroom.content.base import Document, Scope
from headroom.content.code_outline import Definition, link
from headroom.content.detect import BLAME_LINE
from headroom.content.framing import NUMBERED_LINE
from headroom.markers import omitted, with_markers

LANGUAGE_BY_EXTENSION = {
    "py": "python",
    "pyi": "python",
    "js": "javascript",
    "mjs": "javascript",
    "cjs": "javascript",
    "jsx": "javascript",
    "ts": "typescript",
    "mts": "typescript",
    "cts": "typescript",
    "tsx": "tsx",
    "go": "go",
    "rs": "rust",
    "java": "java",
    "c": "c",
    "h": "c",
    "cc": "cpp",
    "cpp": "cpp",
    "cxx": "cpp",
    "hpp": "cpp",
    "hh": "cpp",
    "hxx": "cpp",
    "cs": "csharp",
    "rb": "ruby",
    "php": "php",
    "kt": "kotlin",
    "kts": "kotlin",
    "sh": "bash",
    "bash": "bash",
}

# A function this long whose body is mostly other definition------------------------------------


def python_outline(code: str) -> list[Definition] | None:
    """The outline from Python's own parser, or None when the code does not parse."""
    if "\r" in code.replace("\r\n", ""):
        return None  # Python counts a lone CR as a line break; the document does not
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return _python_module_comments(code.split("\n"), tree.body) + _python_scope(tree.body, "")


def _python_module_comments(lines: list[str], body: list[ast.stmt]) -> list[Definition]:
    """The comments a module opens with (a licence's `#` lines, after any shebang) and its docstring,
    as comment definitions: what they say is prose, so an outline keeps their summary."""
    found: list[Definition] = []
    first = 1 if lines and lines[0].startswith("#!") else 0
    last = first
    while last < len(lines) and lines[last].startswith("#"):
        last += 1
    if last - first >= 2:
        found.append(Definition("comment", "", first, last - 1, range(0), doc=range(first, last)))
    if body and _is_docstring(body[0]):
        start, end = body[0].lineno - 1, (body[0].end_lineno or body[0].lineno) - 1
        if end > start:
            found.append(Definition("comment", "", start, end, range(0), doc=range(start, end + 1)))
    return found


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _sub_statements(node: ast.stmt) -> list[ast.stmt]:
    found: list[ast.stmt] = []
    for name in ("body", "orelse", "finalbody"):
        value = getattr(node, name, None)
        if isinstance(value, list):
            found.extend(item for item in value if isinstance(item, ast.stmt))
    for part in [*getattr(node, "handlers", []), *getattr(node, "cases", [])]:
        found.extend(part.body)
    return found


def _holds_definitions(node: ast.stmt) -> bool:
    pending = _sub_statements(node)
    while pending:
        statement = pending.pop()
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return True
        pending.extend(_sub_statements(statement))
    return False


def _statement_name(node: ast.stmt) -> str:
    target: ast.expr | None = None
    if isinstance(node, ast.Assign) and node.targets:
        target = node.targets[0]
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        target = node.target
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    return ""


def _python_scope(statements: list[ast.stmt], prefix: str) -> list[Definition]:
    found: list[Definition] = []
    for index, node in enumerate(statements):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.append(_python_definition(node, prefix))
        elif _holds_definitions(node):
            found.extend(_python_scope(_sub_statements(node), prefix))
        elif (node.end_lineno or node.lineno) - node.lineno >= 2 and not (index == 0 and _is_docstring(node)):
            end = (node.end_lineno or node.lineno) - 1
            name = _statement_name(node)
            found.append(
                Definition(
                    "statement", prefix + name if name else "", node.lineno - 1, end, range(node.lineno, end)
                )
            )
    return found


def _python_definition(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, prefix: str
) -> Definition:
    name = prefix + node.name
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
    end = (node.end_lineno or node.lineno) - 1
    children = _python_scope(node.body, name + ".")
    first = node.body[0]
    doc = range(first.lineno - 1, first.end_lineno or first.lineno) if _is_docstring(first) else range(0)
    doc = doc if doc.start >= node.lineno else range(0)  # a docstring on the `def` line is the header
    if isinstance(node, ast.ClassDef):
        return Definition("class", name, start, end, range(0), children, doc=doc)
    body_start = doc.stop if doc else first.lineno - 1
    body_start = max(body_start, node.lineno)  # never the `def` line itself
    return Definition("function", name, start, end, range(body_start, end + 1), children, doc=doc)


_PYTHON_EXIT_CALLS = frozenset({"sys.exit", "os._exit", "exit", "quit", "os.abort", "abort"})


def python_exits(code: str) -> set[int] | None:
    """The rows (0-based) of Python's control-flow exits and error paths: return, raise, assert,
    sys.exit and the like, `except` headers, and the `if`/`elif`/`else` rows guarding a branch that
    holds an exit. None when the code does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    rows: set[int] = set()
    _python_exits(tree.body, rows, code.split("\n"))
    return rows


_ELSE_LINE = re.compile(r"\s*else\s*:")


def _python_exits(statements: list[ast.stmt], rows: set[int], lines: list[str]) -> bool:
    """Add the exits among `statements` (and below them) to `rows`; whether there was one."""
    found = False
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            _python_exits(node.body, rows, lines)  # its own exits, not the enclosing block's
            continue
        if isinstance(node, (ast.Return, ast.Raise, ast.Assert)) or _exit_call(node):
            rows.add(node.lineno - 1)  # its first line says what leaves
            found = True
            continue
        if isinstance(node, ast.If):
            in_body = _python_exits(node.body, rows, lines)
            in_else = _python_exits(node.orelse, rows, lines)
            if in_body or in_else:
                rows.add(node.lineno - 1)  # the test guards the exit
            if in_else and node.orelse and not _is_elif(node):
                rows.update(_else_line(lines, node.orelse[0].lineno - 1))
            found = found or in_body or in_else
            continue
        for handler in getattr(node, "handlers", []):
            rows.add(handler.lineno - 1)  # `except ...:`: an error path, whatever it does
            found = _python_exits(handler.body, rows, lines) or found
        for part in _sub_blocks(node):
            found = _python_exits(part, rows, lines) or found
    return found


def _else_line(lines: list[str], first: int) -> list[int]:
    """The `else:` row above an else branch's first statement (comments may sit between)."""
    for row in range(first - 1, max(-1, first - 6), -1):
        if _ELSE_LINE.match(lines[row]):
            return [row]
    return []


def _is_elif(node: ast.If) -> bool:
    return (
        len(node.orelse) == 1
        and isinstance(node.orelse[0], ast.If)
        and node.orelse[0].col_offset == node.col_offset
    )


def _sub_blocks(node: ast.stmt) -> list[list[ast.stmt]]:
    blocks = [
        getattr(node, name)
        for name in ("body", "orelse", "finalbody")
        if isinstance(getattr(node, name, None), list)
    ]
    blocks.extend(case.body for case in getattr(node, "cases", []))
    return blocks


def _exit_call(node: ast.stmt) -> bool:
    if not isinstance(node, ast.Expr) or not isinstance(node.value, ast.Call):
        return False
    return ast.unparse(node.value.func) in _PYTHON_EXIT_CALLS


# Fallback: indentation -------------------------------------------------------------------------

# An exit or an error path where no parser reads the language: by its keyword at a line's start.
_EXIT_LINE = re.compile(
    r"^\s*(?:\}\s*)?(?:return\b|raise\b|throw\b|panic\b|die\b|exit\b|goto\b|except\b|catch\b|rescue\b"
    r"|if\s+err\s*!=\s*nil\b|os\.Exit\b|sys\.exit\b|process\.exit\b|abort\b)"
)


def indent_exits(lines: list[str]) -> set[int]:
    """Exits and error paths found by keyword, for code no parser reads."""
    return {index for index, line in enumerate(lines) if _EXIT_LINE.match(line)}


_HEADER_KEYWORD = re.compile(
    r"^\s*(?:(?:export|public|private|protected|internal|static|async|pub(?:\([\w:]+\))?|override|final|abstract"
    r"|inline|virtual|unsafe|extern|suspend|default)\s+)*"
    r"(?:def|function\*?|func|fn|fun|sub|proc|method)\s+(?:\([^)]*\)\s*)?(?P<name>[\w$.:]+)"
)
_CALL_KEYWORD = re.compile(r"(?:if|for|while|switch|catch|elif|with|return|else|do|try)\b")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$~")
_PREFIX_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:<>~*&[], .")
_AFTER_PARAMETERS = re.compile(r"\s*(?:const\s*)?(?:->\s*[\w<>:&*, \[\]]+\s*)?[{:]")


def _call_header_name(line: str) -> str | None:
    """The name in a header shaped like a call that opens a block (`int main(void) {`,
    `Foo::bar(x) const -> int {`), or None. Read by hand, not by one regex: a regex with a lazy
    prefix before the name backtracks without end on a long line (minified code)."""
    text = line.rstrip()
    if not text.endswith(("{", ":")):
        return None
    opening, closing = text.find("("), text.rfind(")")
    if opening < 0 or closing < opening or ";" in text[opening:closing]:
        return None
    if not _AFTER_PARAMETERS.fullmatch(text, closing + 1):
        return None
    head = text[:opening].rstrip()
    start = len(head)
    while start > 0 and head[start - 1] in _NAME_CHARS:
        start -= 1
    name, prefix = head[start:], head[:start].lstrip()
    if not name or not all(char in _PREFIX_CHARS for char in prefix):
        return None
    return None if _CALL_KEYWORD.match(prefix or name) else name


def _indent_width(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())


def indent_outline(lines: list[str]) -> list[Definition]:
    """Functions found by shape and indentation: a header line and the deeper-indented lines under it."""
    roots: list[Definition] = []
    open_blocks: list[tuple[int, Definition]] = []  # (header indent, definition)
    indents = [_indent_width(line) if line.strip() else -1 for line in lines]
    next_indent = [-1] * len(lines)
    following = -1
    for index in range(len(lines) - 1, -1, -1):
        next_indent[index] = following
        if indents[index] >= 0:
            following = indents[index]
    last_code = -1
    for index, line in enumerate(lines):
        width = indents[index]
        if width < 0:
            continue
        while open_blocks and width <= open_blocks[-1][0]:
            _close(open_blocks.pop()[1], last_code)
        keyword = _HEADER_KEYWORD.match(line)
        name = keyword["name"] if keyword is not None else _call_header_name(line)
        if name is not None and next_indent[index] > width:
            prefix = open_blocks[-1][1].name + "." if open_blocks and open_blocks[-1][1].name else ""
            definition = Definition("function", prefix + name, index, index, range(0))
            (open_blocks[-1][1].children if open_blocks else roots).append(definition)
            open_blocks.append((width, definition))
        last_code = index
    while open_blocks:
        _close(open_blocks.pop()[1], last_code)
    return roots


def _close(definition: Definition, last_line: int) -> None:
    definition.end = max(definition.start, last_line)
    definition.body = range(definition.start + 1, definition.end + 1)


# Which language ----------------------------------------------------------------------------------

_LANGUAGE_SIGNS: dict[str, re.Pattern[str]] = {
    "python": re.compile(
        r"^(?:\s*(?:async )?def \w+\(.*:\s*$|\s*class \w+.*:\s*$|import \w|from [\w.]+ import )", re.M
    ),
    "go": re.compile(r"^(?:package \w+\s*$|func |\s+\w+ := )", re.M),
    "rust": re.compile(r"^\s*(?:(?:pub(?:\([\w:]+\))? )?fn \w+|use \w+::|impl\b|let mut )", re.M),
    "java": re.compile(
        r"^(?:package [\w.]+;|import [\w.]+;|\s*(?:public|private|protected) (?:static )?(?:final )?\w)", re.M
    ),
    "csharp": re.compile(r"^(?:using System|namespace \w+|\s*\[\w+(?:\(.*\))?\]\s*$)", re.M),
    "php": re.compile(r"<\?php|^\s*\$\w+ = ", re.M),
    "ruby": re.compile(r"^\s*(?:def \w+[?!]?(?:\(.*\))?\s*$|end\s*$|require ['\"]|module \w+\s*$)", re.M),
    "cpp": re.compile(r"^\s*(?:#include|template\s*<|namespace \w+|std::|class \w+\s*[:{])", re.M),
    "c": re.compile(r"^\s*(?:#include|#define|typedef |static \w+ \w+\()", re.M),
    "typescript": re.compile(
        # `\b` first: a match starts where a word does, so a long word is not rescanned from each letter
        r"^\s*(?:export )?(?:interface|type|enum) \w+|\b\w+\??: (?:string|number|boolean)\b",
        re.M,
    ),
    "javascript": re.compile(
        r"^\s*(?:(?:export )?(?:async )?function\b|(?:const|let|var) \w+ = |module\.exports|import .* from )",
        re.M,
    ),
}
_SAMPLE_CHARS = 20_000


def guess_language(code: str) -> str | None:
    """The language with the most telling lines in a sample, or None when nothing tells."""
    sample = code[:_SAMPLE_CHARS]
    counts = {language: len(sign.findall(sample)) for language, sign in _LANGUAGE_SIGNS.items()}
    if counts["typescript"] and counts["javascript"]:
        counts["typescript"] += counts["javascript"]  # TypeScript is JavaScript with types
    if counts["cpp"] and counts["c"]:
        counts["cpp"] = counts["cpp"] + counts["c"] if counts["cpp"] > 1 else 0
    best = max(counts, key=lambda language: counts[language])
    return best if counts[best] >= 2 else None


def language_for_path(path: str) -> str | None:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in name:
        return None
    return LANGUAGE_BY_EXTENSION.get(name.rsplit(".", 1)[-1].lower())


# The document ------------------------------------------------------------------------------------


class CodeDocument(Document):
    unit_name = "lines"
    first_number = 1

    def __init__(self, text: str):
        super().__init__(text, text.split("\n"))
        self.numbers: list[int | None] = [None] * len(self.units)
        self.prefix_lengths = [0] * len(self.units)
        self._read_numbering()
        self.code_lines = [unit[cut:] for unit, cut in zip(self.units, self.prefix_lengths, strict=False)]
        self.language: str | None = None
        self.parser: str | None = None  # "ast", "tree-sitter", "indent"
        self._definitions: list[Definition] | None = None
        self._owner: list[Definition | None] | None = None
        self._doc_owner: dict[int, Definition] | None = None
        self._exits: set[int] | None = None

    @classmethod
    def parse(cls, text: str) -> CodeDocument | None:
        if "\n" not in text.strip():
            return None  # one line: nothing to outline
        return cls(text)

    def _read_numbering(self) -> None:
        """Numbered listings (`cat -n`) and `git blame` (a commit, an author, a date and a number
        before each line): the code is read without the prefix, and kept lines keep it."""
        for pattern in (NUMBERED_LINE, BLAME_LINE):
            matches = [pattern.match(unit) for unit in self.units]
            numbered = [m for m in matches if m is not None]
            non_blank = sum(1 for unit in self.units if unit.strip())
            if len(numbered) < 3 or len(numbered) < 0.9 * non_blank:
                continue
            values = [int(m[1]) for m in numbered]
            if any(later <= earlier for earlier, later in itertools.pairwise(values)):
                continue
            for index, match in enumerate(matches):
                if match is not None:
                    self.numbers[index] = int(match[1])
                    self.prefix_lengths[index] = match.end()
            return

    # the outline -------------------------------------------------------------------------

    def analyse(self, language: str | None = None) -> list[Definition]:
        """Outline the code as `language` (None: guess from the text). Never raises."""
        code = "\n".join(self.code_lines)
        language = language or guess_language(code)
        definitions: list[Definition] | None = None
        if language == "python":
            definitions = python_outline(code)
            self.parser = "ast" if definitions is not None else None
        elif language is not None:
            from headroom.content.code_syntax import syntax_outline  # tree-sitter: only when needed

            definitions = syntax_outline(code, language)
            self.parser = "tree-sitter" if definitions is not None else None
        if definitions is None:
            definitions = indent_outline(self.code_lines)
            self.parser = "indent"
        self.language = language
        self._definitions = link(definitions)
        self._owner = None
        self._doc_owner = None
        self._exits = None
        return self._definitions

    def exit_lines(self) -> set[int]:
        """The lines (0-based) of control-flow exits and error paths, by the parser that outlined
        the code (`python_exits`, `code_syntax.syntax_exits`, else `indent_exits`). Computed once."""
        if self._exits is None:
            if self._definitions is None:
                self.analyse()
            code = "\n".join(self.code_lines)
            exits: set[int] | None = None
            if self.parser == "ast":
                exits = python_exits(code)
            elif self.parser == "tree-sitter" and self.language is not None:
                from headroom.content.code_syntax import syntax_exits

                exits = syntax_exits(code, self.language)
            self._exits = exits if exits is not None else indent_exits(self.code_lines)
        return self._exits

    @property
    def definitions(self) -> list[Definition]:
        if self._definitions is None:
            return self.analyse()
        return self._definitions

    def all_definitions(self) -> Iterator[Definition]:
        for definition in self.definitions:
            yield from definition.walk()

    def owner(self, line: int) -> Definition | None:
        """The innermost definition that spans a line."""
        if self._owner is None:
            owners: list[Definition | None] = [None] * len(self.units)
            for definition in self.all_definitions():  # parents first, so children paint over them
                for index in range(definition.start, min(definition.end, len(owners) - 1) + 1):
                    owners[index] = definition
            self._owner = owners
        return self._owner[line] if 0 <= line < len(self._owner) else None

    def doc_owner(self, line: int) -> Definition | None:
        """The definition whose docstring or doc comment a line is part of."""
        if self._doc_owner is None:
            self._doc_owner = {index: d for d in self.all_definitions() for index in d.doc}
        return self._doc_owner.get(line)

    def scopes(self) -> list[Scope]:
        """Each line's definition and the ones around it, innermost first (`Parser.parse`, `Parser`)."""
        found: list[Scope] = []
        for index in range(len(self.units)):
            names: list[str] = []
            definition = self.owner(index)
            while definition is not None:
                if definition.name:
                    names.append(definition.name)
                definition = definition.parent
            found.append(Scope(tuple(names)))
        return found

    def line_index(self, number: int) -> int | None:
        """The index of the line a trace or an editor calls `number` (numbered listings: by their numbers)."""
        if any(n is not None for n in self.numbers):
            for index, value in enumerate(self.numbers):
                if value == number:
                    return index
            return None
        return number - 1 if 1 <= number <= len(self.units) else None

    # rendering ---------------------------------------------------------------------------

    def render(self, keep: list[bool] | None, ref: str) -> str:
        if keep is None:
            return self.text
        return "\n".join(with_markers(keep, self.units, lambda first, last: self._marker(first, last, ref)))

    def _marker(self, first: int, last: int, ref: str) -> str:
        scope, name = self._where(first, last)
        marker = omitted(self.unit_name, first + 1, last + 1, len(self.units), ref, section=name, scope=scope)
        return self._indent(first, last) + marker

    def _where(self, first: int, last: int) -> tuple[str, str | None]:
        documented = self.doc_owner(first)
        if documented is not None and last in documented.doc:
            return (
                "rest of",
                documented.label if documented.kind == "comment" else f"doc of {documented.label}",
            )
        definition = self.owner(first)
        while definition is not None and not (definition.start <= first and last <= definition.end):
            definition = definition.parent
        if definition is not None and definition.kind == "statement":
            parent = definition.parent
            if parent is not None and parent.kind == "function" and not parent.container:
                definition = parent  # a statement in an outlined body: the body is what went
        if definition is None or definition.kind == "class":
            return "section", None
        if definition.kind == "statement":
            return "rest of", definition.name or f"statement at line {definition.start + 1}"
        return "body of", definition.label

    def _indent(self, first: int, last: int) -> str:
        for index in range(first, last + 1):
            code = self.code_lines[index]
            if code.strip():
                # The listing's number column becomes blank, so the marker lines up with the code.
                prefix = re.sub(r"\S", " ", self.units[index][: self.prefix_lengths[index]])
                return prefix + code[: len(code) - len(code.lstrip())]
        return ""
