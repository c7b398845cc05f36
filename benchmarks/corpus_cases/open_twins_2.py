"""Open twins, second round (issue 9: fidelity on unseen material). Two classes of sealed cases still
lost facts; these cases are made from other real material, each testing one hypothesis about the
shapes of that class the first twins (`open_twins.py`) did not cover. None reads a sealed case.

Search results asked for the methods of a named class: grep over a single file (`123:    def f(`,
and without line numbers), with `-A`/`-B` context (`path-12-` lines and `--` separators), ripgrep's
heading format and `--vimgrep`, and `grep -n 'def \\|class '` over a file whose classes interleave,
each class named only by its `class X` line. The facts (rule in `_class_methods`): every method hit
of the class, the indented `def` hits after its `class` hit, one level in, until the next hit at its
depth or less.

A named method of a big JDK class (17's `src.zip`): a file of 6,000 lines (25K+ tokens) under a
tight budget, an overloaded method whose answer spans both overloads, an answer two helper calls
deep, an answer in the method's Javadoc (`@throws X if ...`), and the method written `Class.method`,
`method()`, bare, or in words. Facts: the `@throws` lines of the named method's Javadoc, and the
`throw` lines (or the calls leading to them) in it and the helpers it reaches.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from corpus_kit import SITE, Call, Material, Skip, case, line_matching, run_stdout

from corpus_cases.core import jdk_source
from corpus_cases.sources import body_of

DEBIAN = Path("/usr/lib/python3/dist-packages")
_DEFINITIONS = r"^\s*(class|def) "

# Search results: the methods of a named class -------------------------------------------------------

Hit = tuple[str, str, str]  # (file, the hit's code text, the whole output line)


def _class_methods(hits: Iterable[Hit], owner: str, minimum: int = 3) -> list[str | list[str]]:
    """The output lines of every method of `class owner`: the `def` hits after its `class` hit in
    the same file, at the depth of the first `def` deeper than the class, until the next hit in that
    file at the class's depth or less (hits whose text is blank or a comment do not end it)."""
    facts: list[str | list[str]] = []
    inside: tuple[str, int] | None = None
    level: int | None = None
    for path, code, line in hits:
        if not code.strip() or code.strip().startswith("#"):
            continue
        indent = len(code) - len(code.lstrip())
        if inside is not None and (path != inside[0] or indent <= inside[1]):
            inside = None
        named = re.match(r"\s*class (\w+)", code)
        if inside is None and named and named.group(1) == owner:
            inside, level = (path, indent), None
            continue
        if inside is not None and re.match(r"\s*(?:async\s+)?def \w+", code):
            level = indent if level is None else level
            if indent == level:
                facts.append(line)
    if len(facts) < minimum:
        raise Skip(f"class {owner} has fewer than {minimum} methods in the output")
    return facts


def _flat_hits(output: str) -> list[Hit]:
    """`path:12:text` match lines (context lines `path-12-text` and `--` are not hits)."""
    hits = []
    for line in output.split("\n"):
        found = re.match(r"^([^:\n]+):(\d+):(.*)$", line)
        if found:
            hits.append((found[1], found[3], line))
    return hits


def _numbered_hits(output: str, path: str) -> list[Hit]:
    """`12:text` match lines of a grep over one file (context lines read `12-text`)."""
    return [
        (path, found[2], line) for line in output.split("\n") if (found := re.match(r"^(\d+):(.*)$", line))
    ]


def _heading_hits(output: str) -> list[Hit]:
    """ripgrep's heading format: the file's path on a line of its own, then `12:text` match lines
    (`12-text` context), a blank line between files."""
    hits: list[Hit] = []
    path: str | None = None
    for line in output.split("\n"):
        if not line.strip():
            path = None
            continue
        found = re.match(r"^(\d+):(.*)$", line)
        if path is None:
            path = line
        elif found:
            hits.append((path, found[2], line))
    return hits


def _vimgrep_hits(output: str) -> list[Hit]:
    """`rg --vimgrep`: `path:12:5:text`."""
    hits = []
    for line in output.split("\n"):
        found = re.match(r"^([^:\n]+):(\d+):(\d+):(.*)$", line)
        if found:
            hits.append((found[1], found[4], line))
    return hits


def _rg() -> str:
    found = shutil.which("rg")
    if found is None:
        raise Skip("ripgrep (rg) not installed")
    return found


def _methods_material(
    question: str, tool: str, command: str, output: str, facts: list[str | list[str]], rule: str, origin: str
) -> Material:
    return Material(
        question=question,
        calls=[Call(tool, {"command": command}, output)],
        facts=facts,
        rule=rule,
        origin=origin,
    )


_RULE = (
    "every method of the named class: the `def` hits after its `class` hit in the same file, one level "
    "in (the depth of the first deeper `def`), up to the next hit at the class's depth or less"
)


@case("grep_single_file_apt_version_methods", "search", "real", "openai")
def grep_single_file_apt_version_methods() -> Material:
    """Hypothesis A1: grep over a single file, so its lines are `123:    def foo(self):`, no path."""
    root = DEBIAN / "apt"
    if not (root / "package.py").exists():
        raise Skip("python3-apt not installed")
    output = run_stdout(["grep", "-n", "-E", _DEFINITIONS, "package.py"], cwd=root)
    return _methods_material(
        "What methods does the Version class in apt/package.py have? Give me their lines.",
        "run_shell",
        f"cd {root} && grep -n -E '{_DEFINITIONS}' package.py",
        output,
        _class_methods(_numbered_hits(output, "package.py"), "Version"),
        _RULE,
        "`grep -n` for class and def lines over one file of Debian's python3-apt",
    )


@case("grep_single_file_unnumbered_sourceslist_methods", "search", "real", "anthropic")
def grep_single_file_unnumbered_sourceslist_methods() -> Material:
    """Hypothesis A1: grep over a single file without `-n`: the hits are the bare source lines."""
    path = DEBIAN / "aptsources/sourceslist.py"
    if not path.exists():
        raise Skip("python3-apt not installed")
    output = run_stdout(["grep", "-E", _DEFINITIONS, path.name], cwd=path.parent)
    hits = [(path.name, line, line) for line in output.split("\n") if line.strip()]
    return _methods_material(
        "Which methods does SourcesList define?",
        "Bash",
        f"grep -E '{_DEFINITIONS}' {path}",
        output,
        _class_methods(hits, "SourcesList"),
        _RULE,
        "`grep` (no line numbers) for class and def lines over one file of Debian's python3-apt",
    )


@case("grep_after_context_lazr_entry_methods", "search", "real", "openai")
def grep_after_context_lazr_entry_methods() -> Material:
    """Hypothesis A2: `grep -rn -A2`: context lines `path-12-text` and `--` between groups."""
    if not (DEBIAN / "lazr/restfulclient").exists():
        raise Skip("python3-lazr.restfulclient not installed")
    output = run_stdout(["grep", "-rn", "-A2", "-E", _DEFINITIONS, "lazr/restfulclient/"], cwd=DEBIAN)
    return _methods_material(
        "List every method of the Entry class in lazr.restfulclient, with file and line.",
        "run_shell",
        f"cd {DEBIAN} && grep -rn -A2 -E '{_DEFINITIONS}' lazr/restfulclient/",
        output,
        _class_methods(_flat_hits(output), "Entry"),
        _RULE + " (match lines only: `path:12:`; context lines `path-12-` are not hits)",
        "`grep -rn -A2` for class and def lines over Debian's python3-lazr.restfulclient",
    )


@case("grep_before_context_wadllib_resource_methods", "search", "real", "anthropic")
def grep_before_context_wadllib_resource_methods() -> Material:
    """Hypothesis A2: `grep -rn -B2`: decorators and blank lines before each hit as context."""
    if not (DEBIAN / "wadllib").exists():
        raise Skip("python3-wadllib not installed")
    output = run_stdout(["grep", "-rn", "-B2", "-E", _DEFINITIONS, "wadllib/"], cwd=DEBIAN)
    hits = [hit for hit in _flat_hits(output) if hit[0] == "wadllib/application.py"]
    return _methods_material(
        "What are the methods of wadllib's Resource class (application.py)?",
        "Bash",
        f"cd {DEBIAN} && grep -rn -B2 -E '{_DEFINITIONS}' wadllib/",
        output,
        _class_methods(hits, "Resource"),
        _RULE + " (match lines only: `path:12:`; context lines `path-12-` are not hits)",
        "`grep -rn -B2` for class and def lines over Debian's python3-wadllib",
    )


@case("rg_heading_yaml_parser_methods", "search", "real", "openai")
def rg_heading_yaml_parser_methods() -> Material:
    """Hypothesis A3: ripgrep's heading format (a terminal's default): path alone, then `12:text`."""
    if not (DEBIAN / "yaml").exists():
        raise Skip("python3-yaml not installed")
    output = run_stdout([_rg(), "--heading", "-n", "--sort", "path", _DEFINITIONS, "yaml/"], cwd=DEBIAN)
    return _methods_material(
        "Which methods does the Parser class in PyYAML have?",
        "run_shell",
        f"cd {DEBIAN} && rg --heading -n --sort path '{_DEFINITIONS}' yaml/",
        output,
        _class_methods(_heading_hits(output), "Parser"),
        _RULE + " (the file is the heading line above its hits)",
        "ripgrep (heading format) for class and def lines over Debian's python3-yaml",
    )


@case("rg_vimgrep_jwt_pyjws_methods", "search", "real", "anthropic")
def rg_vimgrep_jwt_pyjws_methods() -> Material:
    """Hypothesis A3: `rg --vimgrep`: `path:12:5:text`, a column after the line number."""
    if not (DEBIAN / "jwt").exists():
        raise Skip("python3-jwt not installed")
    output = run_stdout([_rg(), "--vimgrep", "--sort", "path", _DEFINITIONS, "jwt/"], cwd=DEBIAN)
    return _methods_material(
        "What methods does PyJWS have? File and line for each.",
        "Bash",
        f"cd {DEBIAN} && rg --vimgrep --sort path '{_DEFINITIONS}' jwt/",
        output,
        _class_methods(_vimgrep_hits(output), "PyJWS"),
        _RULE,
        "`rg --vimgrep` for class and def lines over Debian's python3-jwt",
    )


@case("grep_interleaved_apt_cache_class_methods", "search", "real", "openai")
def grep_interleaved_apt_cache_class_methods() -> Material:
    """Hypothesis A4: `grep -n 'def \\|class '` over one file of several classes: the hits of each
    class interleave with the others' and with `class` in docstrings; a class is named only by its
    `class X` hit."""
    root = DEBIAN / "apt"
    if not (root / "cache.py").exists():
        raise Skip("python3-apt not installed")
    output = run_stdout(["grep", "-n", r"def \|class ", "cache.py"], cwd=root)
    hits = _numbered_hits(output, "cache.py")
    return _methods_material(
        "Which methods do the ProblemResolver and FilteredCache classes have?",
        "run_shell",
        f"cd {root} && grep -n 'def \\|class ' cache.py",
        output,
        _class_methods(hits, "ProblemResolver") + _class_methods(hits, "FilteredCache"),
        _RULE + "; for each of the two classes named",
        "`grep -n 'def \\|class '` over one file of Debian's python3-apt",
    )


@case("grep_interleaved_softwareproperties_methods", "search", "real", "anthropic")
def grep_interleaved_softwareproperties_methods() -> Material:
    """Hypothesis A4 over a package: `grep -rn 'def \\|class '`, the class named in words."""
    if not (DEBIAN / "softwareproperties").exists():
        raise Skip("python3-software-properties not installed")
    output = run_stdout(["grep", "-rn", r"def \|class ", "softwareproperties/"], cwd=DEBIAN)
    hits = [hit for hit in _flat_hits(output) if hit[0].endswith("/extendedsourceslist.py")]
    owner = next((m[1] for _, code, _ in hits if (m := re.match(r"class (\w+)", code))), None)
    if owner is None:
        raise Skip("no class in extendedsourceslist.py")
    return _methods_material(
        f"In softwareproperties, what are the methods of the {owner} class?",
        "run_shell",
        f"cd {DEBIAN} && grep -rn 'def \\|class ' softwareproperties/",
        output,
        _class_methods(hits, owner),
        _RULE + " (the first class of extendedsourceslist.py)",
        "`grep -rn 'def \\|class '` over Debian's python3-software-properties",
    )


# Java: a named method of a big JDK class --------------------------------------------------------------


def javadoc_of(text: str, signature: str) -> str:
    """The `/** ... */` comment right above the first line matching `signature` (annotations between
    them allowed)."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if re.search(signature, line)), None)
    if start is None:
        raise Skip(f"no definition matches {signature!r}")
    end = start - 1
    while end >= 0 and lines[end].strip().startswith("@"):
        end -= 1
    if end < 0 or not lines[end].strip().endswith("*/"):
        raise Skip(f"no javadoc above {signature!r}")
    begin = end
    while begin >= 0 and not lines[begin].strip().startswith("/**"):
        begin -= 1
    return "\n".join(lines[begin : end + 1])


def throws_tags(doc: str) -> list[str | list[str]]:
    """The first line of each `@throws` tag of a Javadoc comment."""
    tags: list[str | list[str]] = [
        line.rstrip() for line in doc.split("\n") if re.match(r"\s*\*\s*@throws\b", line)
    ]
    if not tags:
        raise Skip("no @throws tag")
    return tags


def throw_lines(body: str) -> list[str | list[str]]:
    """The lines of a body that throw (`throw new X(`), once each."""
    return list(
        dict.fromkeys(line.rstrip() for line in body.split("\n") if re.search(r"\bthrow new \w+", line))
    )


_JAVADOC_RULE = (
    "the first line of each `@throws` tag of the named method's Javadoc, and each `throw new` line of "
    "its body"
)


def _java(
    question: str, path: str, text: str, facts: list[str | list[str]], rule: str, notes: str = ""
) -> Material:
    return Material(
        question=question,
        calls=[Call("read_file", {"path": path}, text)],
        facts=facts,
        rule=rule,
        notes=notes,
        origin=f"{path} from the JDK 17 src.zip",
    )


@case("java_concurrenthashmap_compute_if_absent_throws", "code", "real", "openai")
def java_concurrenthashmap_compute_if_absent_throws() -> Material:
    """Hypotheses B1 and B4: a 6,400-line file (65K tokens); the answer partly in the Javadoc."""
    path = "java.base/java/util/concurrent/ConcurrentHashMap.java"
    text = jdk_source(path)
    signature = r"^    public V computeIfAbsent\("
    body = body_of(text, signature)
    return _java(
        "What does ConcurrentHashMap.computeIfAbsent throw, and in which situations? I'm worried about a "
        "mapping function that touches the map.",
        path,
        text,
        [*throws_tags(javadoc_of(text, signature)), *throw_lines(body)],
        _JAVADOC_RULE,
        notes="the body's throw lines read the same in compute and merge; the Javadoc's tags locate "
        "the method",
    )


@case("java_collections_copy_javadoc_throws", "code", "real", "anthropic")
def java_collections_copy_javadoc_throws() -> Material:
    """Hypotheses B1 and B4: Collections (6,200 lines); one failure is only in the Javadoc."""
    path = "java.base/java/util/Collections.java"
    text = jdk_source(path)
    signature = r"^    public static <T> void copy\("
    return _java(
        "When does Collections.copy() throw, and what exceptions? The destination might be shorter, or "
        "unmodifiable.",
        path,
        text,
        [*throws_tags(javadoc_of(text, signature)), *throw_lines(body_of(text, signature))],
        _JAVADOC_RULE,
    )


@case("java_formatter_format_both_overloads", "code", "real", "openai")
def java_formatter_format_both_overloads() -> Material:
    """Hypotheses B2 and B3: `format` is overloaded (with and without a Locale); the one without
    delegates to the other, which checks the formatter is open in a helper."""
    path = "java.base/java/util/Formatter.java"
    text = jdk_source(path)
    plain = r"^    public Formatter format\(String format, Object ?\.\.\. ?args\)"
    localized = r"^    public Formatter format\(Locale l, String format, Object ?\.\.\. ?args\)"
    work = body_of(text, localized)
    ensure = body_of(text, r"^    private void ensureOpen\(\)")
    tags = throws_tags(javadoc_of(text, plain)) + throws_tags(javadoc_of(text, localized))
    return _java(
        "What exceptions can Formatter.format throw? Cover both overloads, with and without a Locale, and "
        "show where each is thrown.",
        path,
        text,
        [
            *dict.fromkeys(tag for tag in tags if isinstance(tag, str)),
            line_matching(body_of(text, plain), r"return format\("),
            line_matching(work, r"ensureOpen\(\);"),
            *throw_lines(work),
            *throw_lines(ensure),
        ],
        "the `@throws` lines of both overloads' Javadoc (once each), the line of the plain overload that "
        "delegates to the Locale one, that one's call to its open check and its `throw new` lines, and the "
        "helper's (`ensureOpen`) `throw new` line",
    )


@case("java_threadpool_execute_rejection_two_deep", "code", "real", "anthropic")
def java_threadpool_execute_rejection_two_deep() -> Material:
    """Hypothesis B3: the answer lies two calls deep: `execute` -> `reject` -> the default handler's
    `rejectedExecution` (`AbortPolicy`)."""
    path = "java.base/java/util/concurrent/ThreadPoolExecutor.java"
    text = jdk_source(path)
    execute = body_of(text, r"^    public void execute\(Runnable command\)")
    reject = body_of(text, r"^    final void reject\(Runnable command\)")
    abort = body_of(text, r"^    public static class AbortPolicy ")
    return _java(
        "With the default handler, what happens in ThreadPoolExecutor.execute when the queue is full and "
        "the pool is at its maximum size? What exactly gets thrown, and from where?",
        path,
        text,
        [
            line_matching(execute, r"else if \(!addWorker\(command, false\)\)"),
            line_matching(reject, r"handler\.rejectedExecution\("),
            line_matching(text, r"private static final RejectedExecutionHandler defaultHandler"),
            *throw_lines(abort),
        ],
        "in the named method the branch that rejects when no worker can be added; in the helper it calls "
        "(`reject`) the handler call; the default handler's declaration; and the `throw new` line of the "
        "default handler's `rejectedExecution` (`AbortPolicy`)",
    )


@case("java_threadpool_set_max_pool_size_bare_name", "code", "real", "openai")
def java_threadpool_set_max_pool_size_bare_name() -> Material:
    """Hypotheses B4 and B5: the method written bare (`setMaximumPoolSize`, no class, no parentheses);
    its Javadoc states the condition."""
    path = "java.base/java/util/concurrent/ThreadPoolExecutor.java"
    text = jdk_source(path)
    signature = r"^    public void setMaximumPoolSize\("
    return _java(
        "If I call setMaximumPoolSize with a value smaller than the core size, what happens?",
        path,
        text,
        [*throws_tags(javadoc_of(text, signature)), *throw_lines(body_of(text, signature))],
        _JAVADOC_RULE,
    )


@case("java_aqs_acquire_interruptibly_in_words", "code", "real", "anthropic")
def java_aqs_acquire_interruptibly_in_words() -> Material:
    """Hypotheses B3 and B5: the method named in words ("the acquireInterruptibly method", the class
    named apart); part of the answer is the default `tryAcquire` it calls, which throws."""
    path = "java.base/java/util/concurrent/locks/AbstractQueuedSynchronizer.java"
    text = jdk_source(path)
    signature = r"^    public final void acquireInterruptibly\(int arg\)"
    body = body_of(text, signature)
    try_acquire = body_of(text, r"^    protected boolean tryAcquire\(int arg\)")
    return _java(
        "In AbstractQueuedSynchronizer, what can the acquireInterruptibly method throw? Include what the "
        "default tryAcquire it relies on does if a subclass doesn't override it.",
        path,
        text,
        [
            *throws_tags(javadoc_of(text, signature)),
            *throw_lines(body),
            *throw_lines(try_acquire),
            *throws_tags(javadoc_of(text, r"^    protected boolean tryAcquire\(int arg\)")),
        ],
        "the `@throws` lines of the named method's Javadoc and its `throw new` line; the `throw new` line "
        "and "
        "`@throws` lines of the helper it calls first (`tryAcquire`)",
    )


@case("java_hashmap_constructor_overloads", "code", "real", "openai")
def java_hashmap_constructor_overloads() -> Material:
    """Hypotheses B2 and B4: `new HashMap(int)` delegates to the two-argument constructor, which
    throws; each overload's Javadoc names the condition."""
    path = "java.base/java/util/HashMap.java"
    text = jdk_source(path)
    two = r"^    public HashMap\(int initialCapacity, float loadFactor\)"
    one = r"^    public HashMap\(int initialCapacity\)"
    return _java(
        "What does new HashMap(int) throw for a negative capacity, and what do the HashMap(int, float) "
        "overload's checks throw for a bad load factor?",
        path,
        text,
        [
            *throws_tags(javadoc_of(text, one)),
            *throws_tags(javadoc_of(text, two)),
            line_matching(body_of(text, one), r"this\(initialCapacity"),
            *throw_lines(body_of(text, two)),
        ],
        "the `@throws` lines of both constructors' Javadoc, the one-argument one's delegation, and the "
        "two-argument one's `throw new` lines",
    )


# Larger single files: the same shapes, long enough that the results are cut -------------------------


@case("grep_single_file_pyparsing_parserelement_methods", "search", "real", "anthropic")
def grep_single_file_pyparsing_parserelement_methods() -> Material:
    """Hypothesis A1 at size: `grep -n` over one 6,000-line module (hits `123:    def f(`), asked for
    the methods of its biggest class."""
    root = DEBIAN / "pyparsing"
    if not (root / "core.py").exists():
        raise Skip("python3-pyparsing not installed")
    output = run_stdout(["grep", "-n", "-E", _DEFINITIONS, "core.py"], cwd=root)
    return _methods_material(
        "What methods does ParserElement define? Line numbers please.",
        "Bash",
        f"cd {root} && grep -n -E '{_DEFINITIONS}' core.py",
        output,
        _class_methods(_numbered_hits(output, "core.py"), "ParserElement"),
        _RULE,
        "`grep -n` for class and def lines over Debian's python3-pyparsing core.py",
    )


@case("grep_single_file_context_pyparsing_forward_methods", "search", "real", "openai")
def grep_single_file_context_pyparsing_forward_methods() -> Material:
    """Hypotheses A1 and A2 together: `grep -n -A1` over one file: `123:` hits, `124-` context lines
    and `--` separators, no path anywhere."""
    root = DEBIAN / "pyparsing"
    if not (root / "core.py").exists():
        raise Skip("python3-pyparsing not installed")
    output = run_stdout(["grep", "-n", "-A1", "-E", _DEFINITIONS, "core.py"], cwd=root)
    return _methods_material(
        "List the methods of the Forward class in pyparsing's core.py.",
        "run_shell",
        f"cd {root} && grep -n -A1 -E '{_DEFINITIONS}' core.py",
        output,
        _class_methods(_numbered_hits(output, "core.py"), "Forward"),
        _RULE + " (match lines `12:` only; context lines `12-` are not hits)",
        "`grep -n -A1` for class and def lines over Debian's python3-pyparsing core.py",
    )


@case("grep_single_file_unnumbered_pkg_resources_workingset", "search", "real", "openai")
def grep_single_file_unnumbered_pkg_resources_workingset() -> Material:
    """Hypothesis A1 at size: `grep` without `-n` over one 3,000-line module: the hits are bare
    source lines, the class named only by its `class X` line."""
    path = DEBIAN / "pkg_resources/__init__.py"
    if not path.exists():
        raise Skip("python3-pkg-resources not installed")
    output = run_stdout(["grep", "-E", _DEFINITIONS, path.name], cwd=path.parent)
    hits = [(path.name, line, line) for line in output.split("\n") if line.strip()]
    return _methods_material(
        "Which methods does the WorkingSet class have?",
        "run_shell",
        f"cd {path.parent} && grep -E '{_DEFINITIONS}' {path.name}",
        output,
        _class_methods(hits, "WorkingSet"),
        _RULE,
        "`grep` (no line numbers) for class and def lines over Debian's pkg_resources/__init__.py",
    )


@case("grep_interleaved_matplotlib_patches_methods", "search", "real", "anthropic")
def grep_interleaved_matplotlib_patches_methods() -> Material:
    """Hypothesis A4 at size: `grep -n 'def \\|class '` over a module of forty classes, whose
    docstrings say `class` too."""
    root = SITE / "matplotlib"
    if not (root / "patches.py").exists():
        raise Skip("matplotlib not installed")
    output = run_stdout(["grep", "-n", r"def \|class ", "patches.py"], cwd=root)
    hits = _numbered_hits(output, "patches.py")
    return _methods_material(
        "In matplotlib's patches.py, what methods do the Rectangle and Ellipse classes have?",
        "Bash",
        f"cd {root} && grep -n 'def \\|class ' patches.py",
        output,
        _class_methods(hits, "Rectangle") + _class_methods(hits, "Ellipse"),
        _RULE + "; for each of the two classes named",
        "`grep -n 'def \\|class '` over the installed matplotlib's patches.py",
    )


@case("grep_single_file_context_redis_list_methods", "search", "real", "openai")
def grep_single_file_context_redis_list_methods() -> Material:
    """Hypotheses A1 and A2 at size: `grep -n -A2` over one 11,000-line module (33K tokens): `123:`
    hits, `124-` context lines and `--` separators, no path anywhere."""
    root = SITE / "redis/commands"
    if not (root / "core.py").exists():
        raise Skip("redis not installed")
    output = run_stdout(["grep", "-n", "-A2", "-E", _DEFINITIONS, "core.py"], cwd=root)
    return _methods_material(
        "Which methods does the ListCommands class have? Line numbers, please.",
        "run_shell",
        f"cd {root} && grep -n -A2 -E '{_DEFINITIONS}' core.py",
        output,
        _class_methods(_numbered_hits(output, "core.py"), "ListCommands"),
        _RULE + " (match lines `12:` only; context lines `12-` are not hits)",
        "`grep -n -A2` for class and def lines over the installed redis-py's commands/core.py",
    )


@case("grep_after_context_redis_hash_methods", "search", "real", "anthropic")
def grep_after_context_redis_hash_methods() -> Material:
    """Hypothesis A2 at size: `grep -Hn -A1` whose asked class has ninety method hits (typed
    overloads: several `def` hits per method)."""
    if not (SITE / "redis/commands/core.py").exists():
        raise Skip("redis not installed")
    output = run_stdout(["grep", "-Hn", "-A1", "-E", _DEFINITIONS, "redis/commands/core.py"], cwd=SITE)
    return _methods_material(
        "List all the methods of HashCommands with file and line.",
        "Bash",
        f"grep -Hn -A1 -E '{_DEFINITIONS}' redis/commands/core.py",
        output,
        _class_methods(_flat_hits(output), "HashCommands"),
        _RULE + " (match lines only: `path:12:`; context lines `path-12-` are not hits)",
        "`grep -Hn -A1` for class and def lines over the installed redis-py's commands/core.py",
    )


@case("java_concurrenthashmap_compute_if_absent_spelled_out", "code", "real", "anthropic")
def java_concurrenthashmap_compute_if_absent_spelled_out() -> Material:
    """Hypothesis B5: the method's name spelled as words ("compute if absent"), in a 6,400-line file;
    the answer partly in its Javadoc."""
    path = "java.base/java/util/concurrent/ConcurrentHashMap.java"
    text = jdk_source(path)
    signature = r"^    public V computeIfAbsent\("
    return _java(
        "In ConcurrentHashMap, what happens if the mapping function I pass to compute if absent modifies "
        "the map? And what if the key is null?",
        path,
        text,
        [*throws_tags(javadoc_of(text, signature)), *throw_lines(body_of(text, signature))],
        _JAVADOC_RULE,
        notes="the body's throw lines read the same in compute and merge; the Javadoc's tags locate "
        "the method",
    )


@case("grep_yaml_safe_constructor_methods_in_words", "search", "real", "openai")
def grep_yaml_safe_constructor_methods_in_words() -> Material:
    """The class named in words ("the safe constructor"), not as the code writes it
    (`SafeConstructor`), in `grep -rn` over a package."""
    if not (DEBIAN / "yaml").exists():
        raise Skip("python3-yaml not installed")
    output = run_stdout(["grep", "-rn", "-E", _DEFINITIONS, "yaml/"], cwd=DEBIAN)
    return _methods_material(
        "In PyYAML, what methods does the safe constructor have?",
        "run_shell",
        f"cd {DEBIAN} && grep -rn -E '{_DEFINITIONS}' yaml/",
        output,
        _class_methods(_flat_hits(output), "SafeConstructor"),
        _RULE + " (the class the question names in words: `SafeConstructor`)",
        "`grep -rn` for class and def lines over Debian's python3-yaml",
    )


@case("grep_redis_asyncio_connection_pool_defines", "search", "real", "anthropic")
def grep_redis_asyncio_connection_pool_defines() -> Material:
    """The class's members asked for without the word "methods": "what does the ConnectionPool
    class define?", in `grep -rn` over a package."""
    if not (SITE / "redis/asyncio").exists():
        raise Skip("redis not installed")
    output = run_stdout(["grep", "-rn", "-E", _DEFINITIONS, "redis/asyncio/"], cwd=SITE)
    return _methods_material(
        "What does the ConnectionPool class define in redis.asyncio? File and line for each.",
        "Bash",
        f"grep -rn -E '{_DEFINITIONS}' redis/asyncio/",
        output,
        _class_methods(_flat_hits(output), "ConnectionPool"),
        _RULE,
        "`grep -rn` for class and def lines over the installed redis-py's asyncio package",
    )


@case("grep_r_unnumbered_redis_asyncio_pubsub_methods", "search", "real", "openai")
def grep_r_unnumbered_redis_asyncio_pubsub_methods() -> Material:
    """Hypothesis A1 over a package: `grep -r` without `-n`, so each hit is `dir/file.py:text`
    with no line number."""
    if not (SITE / "redis/asyncio").exists():
        raise Skip("redis not installed")
    output = run_stdout(["grep", "-r", "-E", _DEFINITIONS, "redis/asyncio/"], cwd=SITE)
    hits = [
        (m[1], m[2], line) for line in output.split("\n") if (m := re.match(r"^([^:\n]+\.py):(.*)$", line))
    ]
    return _methods_material(
        "Which methods does the PubSub class in redis.asyncio have?",
        "run_shell",
        f"grep -r -E '{_DEFINITIONS}' redis/asyncio/",
        output,
        _class_methods(hits, "PubSub"),
        _RULE + " (hits are `path:text`, no line numbers)",
        "`grep -r` (no line numbers) for class and def lines over the installed redis-py's asyncio package",
    )
