"""Outlines of non-Python source from tree-sitter grammars.

Imported only when such code is seen, so `import headroom` stays fast. The
grammars are the compiled wheels from PyPI (tree-sitter-javascript, ...);
nothing is downloaded at run time. A language whose grammar is not installed
gets no outline (None), and the caller falls back to indentation.

One query finds every function and class node at C speed; the nesting comes
from their byte ranges. Long statements are looked for only where they can be
outlined on their own: at the top level, in class bodies and in functions that
mostly hold other definitions.
"""

from __future__ import annotations

import bisect
import importlib
import importlib.machinery
import importlib.util
import os
import threading
from dataclasses import dataclass
from typing import Any

from headroom.content.code_outline import Definition, Kind, link

_JS_FUNCTIONS = (
    "function_declaration",
    "generator_function_declaration",
    "function_expression",
    "function",
    "generator_function",
    "arrow_function",
    "method_definition",
)
_JS_CLASSES = ("class_declaration", "class", "abstract_class_declaration")
_TS_CLASSES = (*_JS_CLASSES, "interface_declaration", "internal_module", "module", "enum_declaration")


@dataclass(frozen=True)
class Grammar:
    module: str
    attribute: str
    functions: tuple[str, ...]
    classes: tuple[str, ...] = ()


GRAMMARS = {
    "javascript": Grammar("tree_sitter_javascript", "language", _JS_FUNCTIONS, _JS_CLASSES),
    "typescript": Grammar("tree_sitter_typescript", "language_typescript", _JS_FUNCTIONS, _TS_CLASSES),
    "tsx": Grammar("tree_sitter_typescript", "language_tsx", _JS_FUNCTIONS, _TS_CLASSES),
    "go": Grammar(
        "tree_sitter_go", "language", ("function_declaration", "method_declaration", "func_literal")
    ),
    "rust": Grammar(
        "tree_sitter_rust",
        "language",
        ("function_item", "closure_expression"),
        ("impl_item", "trait_item", "mod_item"),
    ),
    "java": Grammar(
        "tree_sitter_java",
        "language",
        (
            "method_declaration",
            "constructor_declaration",
            "compact_constructor_declaration",
            "lambda_expression",
        ),
        (
            "class_declaration",
            "interface_declaration",
            "enum_declaration",
            "record_declaration",
            "annotation_type_declaration",
        ),
    ),
    "c": Grammar("tree_sitter_c", "language", ("function_definition",)),
    "cpp": Grammar(
        "tree_sitter_cpp",
        "language",
        ("function_definition", "lambda_expression"),
        ("class_specifier", "struct_specifier", "namespace_definition"),
    ),
    "csharp": Grammar(
        "tree_sitter_c_sharp",
        "language",
        (
            "method_declaration",
            "constructor_declaration",
            "destructor_declaration",
            "local_function_statement",
            "operator_declaration",
            "conversion_operator_declaration",
            "accessor_declaration",
            "lambda_expression",
        ),
        (
            "class_declaration",
            "struct_declaration",
            "interface_declaration",
            "record_declaration",
            "namespace_declaration",
            "enum_declaration",
        ),
    ),
    "php": Grammar(
        "tree_sitter_php",
        "language_php",
        (
            "function_definition",
            "method_declaration",
            "anonymous_function",
            "anonymous_function_creation_expression",
            "arrow_function",
        ),
        ("class_declaration", "interface_declaration", "trait_declaration", "enum_declaration"),
    ),
    "ruby": Grammar("tree_sitter_ruby", "language", ("method", "singleton_method"), ("class", "module")),
    "kotlin": Grammar(
        "tree_sitter_kotlin",
        "language",
        ("function_declaration", "anonymous_function"),
        ("class_declaration", "object_declaration", "companion_object"),
    ),
    "bash": Grammar("tree_sitter_bash", "language", ("function_definition",)),
}

_BODY_TYPES = frozenset(
    {
        "statement_block",
        "block",
        "compound_statement",
        "function_body",
        "constructor_body",
        "class_body",
        "declaration_list",
        "field_declaration_list",
        "body_statement",
        "enum_body",
        "interface_body",
        "enum_class_body",
    }
)
# Declarations that read like signatures are never cut short, however long.
_WHOLE_WORDS = (
    "comment",
    "import",
    "type",
    "interface",
    "struct",
    "enum",
    "trait",
    "union",
    "preproc",
    "package",
    "signature",
)
_CONTEXT_NAME_FIELDS = ("name", "key", "left", "property", "pattern")
# What can hold an anonymous function under a name (not a call's `.call`, not an argument).
_NAMING_PARENTS = frozenset(
    {
        "variable_declarator",
        "pair",
        "assignment_expression",
        "augmented_assignment_expression",
        "public_field_definition",
        "field_definition",
        "property_signature",
        "short_var_declaration",
        "let_declaration",
        "var_spec",
        "const_spec",
        "assignment",
        "property_declaration",
        "variable_declaration",
    }
)
_NAME_TYPES = frozenset(
    {
        "identifier",
        "field_identifier",
        "qualified_identifier",
        "destructor_name",
        "operator_name",
        "type_identifier",
    }
)
MAX_NAME_CHARS = 60

_lock = threading.Lock()
_languages: dict[str, Any] = {}


def _language(name: str) -> Any:
    with _lock:
        if name not in _languages:
            import tree_sitter

            grammar = GRAMMARS[name]
            module = _binding(grammar.module)
            language = tree_sitter.Language(getattr(module, grammar.attribute)())
            kinds = [k for k in (*grammar.functions, *grammar.classes) if language.id_for_node_kind(k, True)]
            query = tree_sitter.Query(language, "[" + " ".join(f"({k})" for k in kinds) + "] @definition")
            _languages[name] = (language, query)
        return _languages[name]


def _binding(package: str) -> Any:
    """A grammar package's compiled `_binding` module, which holds its language functions, loaded
    without running the package's `__init__`: that imports importlib.resources (about 25 ms in a
    fresh process) for query files never read here. A package laid out otherwise is imported whole."""
    spec = importlib.util.find_spec(package)  # a top-level name: found, not imported
    for folder in (spec.submodule_search_locations or ()) if spec is not None else ():
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "_binding" + suffix)
            if os.path.isfile(path):
                loader = importlib.machinery.ExtensionFileLoader(f"{package}._binding", path)
                found = importlib.util.spec_from_file_location(loader.name, path, loader=loader)
                if found is not None:
                    module = importlib.util.module_from_spec(found)
                    loader.exec_module(module)
                    return module
    return importlib.import_module(package)


def syntax_outline(code: str, language: str) -> list[Definition] | None:
    """The outline of `code`, or None when no grammar for the language is installed."""
    if language not in GRAMMARS:
        return None
    try:
        import tree_sitter

        grammar_language, query = _language(language)
    except (ImportError, AttributeError, ValueError, OSError):
        return None
    source = code.encode("utf-8", "surrogatepass")
    tree = tree_sitter.Parser(grammar_language).parse(source)
    nodes = tree_sitter.QueryCursor(query).captures(tree.root_node).get("definition", [])
    return _Outliner(source, GRAMMARS[language]).outline(tree.root_node, nodes)


class _Outliner:
    def __init__(self, source: bytes, grammar: Grammar):
        self.source = source
        self.lines = source.split(b"\n")
        self.classes = frozenset(grammar.classes)

    def outline(self, root: Any, nodes: list[Any]) -> list[Definition]:
        nodes = sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))
        roots: list[Definition] = []
        stack: list[tuple[Any, Definition]] = []
        for node in nodes:
            while stack and node.start_byte >= stack[-1][0].end_byte:
                stack.pop()
            parent = stack[-1][1] if stack else None
            definition = self._definition(node, parent)
            (parent.children if parent else roots).append(definition)
            stack.append((node, definition))
        link(roots)
        starts = [n.start_byte for n in nodes]
        ends = [n.end_byte for n in nodes]
        self._add_statements(root, roots, "", starts, ends)
        for definition, node in self._scopes(roots, nodes):
            body = _body(node)
            if body is not None:
                prefix = definition.name + "." if definition.name else ""
                self._add_statements(body, definition.children, prefix, starts, ends)
        return roots

    def _scopes(self, roots: list[Definition], nodes: list[Any]) -> list[tuple[Definition, Any]]:
        """Classes and container functions, with their nodes: the places long statements are looked for."""
        flat = [d for root in roots for d in root.walk() if d.kind in ("function", "class")]
        return [(d, n) for d, n in zip(flat, nodes, strict=False) if d.kind == "class" or d.container]

    def _definition(self, node: Any, parent: Definition | None) -> Definition:
        kind: Kind = "class" if node.type in self.classes else "function"
        own = self._name(node)
        name = f"{parent.name}.{own}" if parent is not None and parent.name and own else own
        start, end = _rows(node)
        body = range(0) if kind == "class" else self._body_lines(node)
        return Definition(kind, name, start, end, body, doc=self._doc_comment(node))

    def _doc_comment(self, node: Any) -> range:
        """The comment lines right above a definition (attributes and decorators may sit between)."""
        anchor = node
        while anchor.parent is not None and anchor.parent.start_point.row == node.start_point.row:
            if anchor.parent.type in _BODY_TYPES or anchor.parent.parent is None:
                break
            anchor = anchor.parent  # `export function`, `const f = ...`: the statement holds the comment
        first = last = None
        expected = anchor.start_point.row - 1
        sibling = anchor.prev_named_sibling
        while sibling is not None and _rows(sibling)[1] == expected:
            if "comment" in sibling.type:
                first = sibling.start_point.row
                last = _rows(sibling)[1] if last is None else last
            elif not any(word in sibling.type for word in ("attribute", "decorator", "annotation")):
                break
            expected = sibling.start_point.row - 1
            sibling = sibling.prev_named_sibling
        return range(0) if first is None or last is None else range(first, last + 1)

    def _body_lines(self, node: Any) -> range:
        body = _body(node)
        if body is None:
            return range(0)
        first, last = body.start_point.row, body.end_point.row
        if self.source[body.start_byte : body.start_byte + 1] == b"{":
            return range(first + 1, last)  # between the braces; both brace lines stay
        if not (first > node.start_point.row and self._starts_line(body)):
            first += 1
        if not self._ends_line(body):
            last -= 1
        return range(first, last + 1)

    def _starts_line(self, node: Any) -> bool:
        return not self.lines[node.start_point.row][: node.start_point.column].strip()

    def _ends_line(self, node: Any) -> bool:
        return not self.lines[node.end_point.row][node.end_point.column :].strip()

    def _text(self, node: Any) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def _name(self, node: Any) -> str:
        named = node.child_by_field_name("name")
        if node.type == "impl_item":
            named = node.child_by_field_name("type")
        if named is None:
            named = self._declarator_name(node)
        if named is not None:
            name = self._text(named)
            receiver = self._receiver(node)
            return _short(f"{receiver}.{name}" if receiver else name)
        return _short(self._context_name(node))

    def _declarator_name(self, node: Any) -> Any:
        declarator = node.child_by_field_name("declarator")
        for _ in range(8):  # pointer and reference declarators wrap the name a few levels deep
            if declarator is None or declarator.type in _NAME_TYPES:
                return declarator
            declarator = declarator.child_by_field_name("declarator") or (
                declarator.named_children[0] if declarator.named_children else None
            )
        return None

    def _receiver(self, node: Any) -> str:
        """Go: the type a method belongs to."""
        receiver = node.child_by_field_name("receiver") if node.type == "method_declaration" else None
        if receiver is None or node.child_by_field_name("body") is None:
            return ""
        pending = list(receiver.named_children)
        while pending:
            child = pending.pop(0)
            if child.type == "type_identifier":
                return self._text(child)
            pending.extend(child.named_children)
        return ""

    def _context_name(self, node: Any) -> str:
        """An anonymous function is named by what holds it: `const f = () => ...`, `{key: function ...}`."""
        parent = node.parent
        if parent is None:
            return ""
        if parent.type == "arguments" and parent.parent is not None:
            callee = parent.parent.child_by_field_name("function")
            return f"{self._text(callee)} callback" if callee is not None else ""
        if parent.type not in _NAMING_PARENTS:
            return ""
        for field_name in _CONTEXT_NAME_FIELDS:
            named = parent.child_by_field_name(field_name)
            if named is not None and named.id != node.id:
                return self._text(named)
        return ""

    def _add_statements(
        self, scope: Any, members: list[Definition], prefix: str, starts: list[int], ends: list[int]
    ) -> None:
        """Long statements directly in a scope that hold no definition of their own, and comment blocks
        that document none."""
        statements: list[Definition] = []
        documented = {member.doc.start for member in members if member.doc}
        for comment in _comment_blocks(_statements(scope)):
            if comment.start not in documented and len(comment.doc) > 1:
                statements.append(comment)
        for child in _statements(scope):
            first, last = _rows(child)
            if last - first < 2 or any(word in child.type for word in _WHOLE_WORDS):
                continue
            if child.type in self.classes or _holds_definition(child, starts, ends):
                continue
            own = self._statement_name(child)
            statements.append(
                Definition("statement", prefix + own if own else "", first, last, range(first + 1, last))
            )
        if statements:
            members.extend(statements)
            members.sort(key=lambda d: d.start)

    def _statement_name(self, node: Any) -> str:
        pending = [node]
        for _ in range(4):  # `export const TABLE = ...`: the name sits a few levels down
            if not pending:
                break
            current = pending.pop(0)
            for field_name in ("name", "left", "pattern"):
                named = current.child_by_field_name(field_name)
                if named is not None and named.end_point.row == named.start_point.row:
                    return _short(self._text(named))
            pending.extend(current.named_children[:2])
        return ""


def _rows(node: Any) -> tuple[int, int]:
    """First and last row; a node that ends with its line break (a `//` comment) ends on the row before."""
    first, last = node.start_point.row, node.end_point.row
    if node.end_point.column == 0 and last > first:
        last -= 1
    return first, last


def _comment_blocks(children: list[Any]) -> list[Definition]:
    """Runs of comments on consecutive rows, as comment definitions."""
    blocks: list[Definition] = []
    for child in children:
        if "comment" not in child.type:
            continue
        first, last = _rows(child)
        if blocks and blocks[-1].end == first - 1 and blocks[-1].kind == "comment":
            first = blocks.pop().start
        blocks.append(Definition("comment", "", first, last, range(0), doc=range(first, last + 1)))
    return blocks


def _body(node: Any) -> Any:
    body = node.child_by_field_name("body")
    if body is not None:
        return body
    for child in node.named_children:
        if child.type in _BODY_TYPES:
            return child
    return None


def _statements(scope: Any) -> list[Any]:
    children = scope.named_children
    # Go wraps a block's statements in one statement_list.
    while len(children) == 1 and children[0].type.endswith("_list") and children[0].named_children:
        children = children[0].named_children
    return list(children)


def _holds_definition(node: Any, starts: list[int], ends: list[int]) -> bool:
    index = bisect.bisect_left(starts, node.start_byte)
    return index < len(starts) and starts[index] < node.end_byte and ends[index] <= node.end_byte


def _short(name: str) -> str:
    name = " ".join(name.split())
    return name if len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 3] + "..."


# Control-flow exits and error paths ---------------------------------------------------------------

_EXIT_NODES = frozenset(
    {
        "return_statement",
        "return_expression",
        "return",
        "throw_statement",
        "throw_expression",
        "goto_statement",  # C's `goto fail;`
        "try_expression",  # Rust's `?` (Kotlin's try is not an exit: its grammar calls it so too)
        "exit_statement",  # PHP's exit and die
    }
)
_CATCH_NODES = frozenset({"catch_clause", "catch_block", "rescue", "except_clause"})
_CALL_NODES = frozenset(
    {
        "call_expression",
        "method_invocation",
        "invocation_expression",
        "function_call_expression",
        "member_call_expression",
        "scoped_call_expression",
        "call",
        "command",
        "macro_invocation",
    }
)
_IF_NODES = frozenset({"if_statement", "if_expression", "if", "unless"})
_ELSE_NODES = frozenset({"else_clause", "else", "elsif", "else_if_clause", "elif_clause"})
# Calls that end the program or the function abnormally, by the name they are called with.
EXIT_CALLS = frozenset(
    {
        "panic", "os.Exit", "log.Fatal", "log.Fatalf", "log.Fatalln", "log.Panic", "log.Panicf",
        "log.Panicln", "process.exit", "System.exit", "Environment.Exit", "exit", "_exit", "_Exit",
        "abort", "std::exit", "std::abort", "std::process::exit", "process::exit", "sys.exit",
        "unreachable", "todo", "unimplemented", "bail", "raise", "fail", "die",
    }
)  # fmt: skip
_NOT_EXITS = {"kotlin": frozenset({"try_expression"})}


def syntax_exits(code: str, language: str) -> set[int] | None:
    """The rows (0-based) of every control-flow exit and error path: return, throw, raise, goto,
    `?`, panic and exit calls, catch and rescue headers, and the `if`/`else` rows guarding a branch
    that holds an exit (`if err != nil {`). None when no grammar for the language is installed."""
    if language not in GRAMMARS:
        return None
    try:
        import tree_sitter

        grammar_language, _ = _language(language)
        query = _exit_query(language, grammar_language)
    except (ImportError, AttributeError, ValueError, OSError):
        return None
    source = code.encode("utf-8", "surrogatepass")
    tree = tree_sitter.Parser(grammar_language).parse(source)
    captured = tree_sitter.QueryCursor(query).captures(tree.root_node).get("node", [])
    functions = frozenset(GRAMMARS[language].functions)
    rows: set[int] = set()
    for node in captured:
        kind = node.type
        if kind in _CATCH_NODES:
            rows.add(node.start_point.row)
            continue
        if kind in _CALL_NODES and _callee(source, node) not in EXIT_CALLS:
            continue
        rows.add(node.start_point.row)  # its first line says what leaves: `return nil, &url.Error{`
        rows.update(_guards(node, functions))
    return rows


_exit_queries: dict[str, Any] = {}


def _exit_query(language: str, grammar_language: Any) -> Any:
    with _lock:
        if language not in _exit_queries:
            import tree_sitter

            skipped = _NOT_EXITS.get(language, frozenset())
            kinds = sorted(
                kind
                for kind in (_EXIT_NODES - skipped) | _CATCH_NODES | _CALL_NODES
                if grammar_language.id_for_node_kind(kind, True)
            )
            pattern = "[" + " ".join(f"({kind})" for kind in kinds) + "] @node"
            _exit_queries[language] = tree_sitter.Query(grammar_language, pattern)
        return _exit_queries[language]


def _callee(source: bytes, node: Any) -> str:
    """The name a call is made by: `os.Exit`, `panic`, `std::process::exit` (a macro without its `!`)."""
    head = source[node.start_byte : min(node.end_byte, node.start_byte + 80)].decode("utf-8", "replace")
    for stop in "(! \t\n":
        head = head.split(stop, 1)[0]
    return head.removeprefix("$")


def _guards(node: Any, functions: frozenset[str]) -> set[int]:
    """The rows of the `if` (and `else`) that lead to an exit, up to the function holding it."""
    rows: set[int] = set()
    child, parent = node, node.parent
    while parent is not None and parent.type not in functions:
        if parent.type in _ELSE_NODES:
            rows.add(parent.start_point.row)
        if parent.type in _IF_NODES:
            condition = parent.child_by_field_name("condition")
            if condition is None or condition.id != child.id:  # an exit in the branch, not the test
                rows.add(parent.start_point.row)
            return rows
        child, parent = parent, parent.parent
    return rows
