"""Content-type detection from a sample of the text: cheap, deterministic, no parsing of the whole."""

from __future__ import annotations

import itertools
import re

from headroom.content.table_sniff import sniff_table

LABELS = (
    "json_array",
    "json_object",
    "log",
    "search",
    "diff",
    "code",
    "html",
    "table",
    "shell",
    "prose",
    "empty",
)

_SAMPLE_LINES = 200
# A file path alone on its line (indented, relative or absolute), with a `/` and a letter in it.
# (The lookaheads run once, at the line's start, so a long run of blanks costs linear time.)
PATH_LINE = r"^(?=[^\n/]*/)(?=[^\n]*[A-Za-z])[ \t]*/?[\w@+~.$-]+(?:/[\w@+~.$-]+)*/?[ \t]*$"
# A branch of a drawn tree (npm ls, tree, cargo tree): the rails of its ancestors, its own branch, a name.
TREE_LINE = r"^[│| ]*(?:[├└]─+[┬─]?|[+`]-[-┬]) \S"
_LOG_LINE = re.compile(
    r"^\s*(?:\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\[?\d{2}:\d{2}:\d{2}|[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}"
    r"|\[?(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|FATAL|CRITICAL)\b|[IWEF]\d{4} \d{2}:"
    r"|\[\s*\d+\.\d+\]"  # the kernel's dmesg
    r"|\S+ \S+ \S+ \[\d{1,2}/[A-Z][a-z]{2}/\d{4}[: ]\d{2}:\d{2})"  # web server access logs
)
# A log line opening with a bracketed time is not a JSON array.
_BRACKETED_TIME = re.compile(r"^\[[\s\d.:T/-]+\]\s")
_SEARCH_LINE = re.compile(r"^(?:[\w.@+-]*[/\\])*[\w@+-]+(?:\.[\w-]+)*\.[A-Za-z]\w*:\d+[:-]")
# grep -C context lines (`path-12-text`); ripgrep --heading: `12:text` under a path line.
_SEARCH_CONTEXT_LINE = re.compile(r"^(?:[\w.@+-]*[/\\])*[\w@+-]+(?:\.[\w-]+)*\.[A-Za-z]\w*-\d+-")
_HEADED_RESULT = re.compile(r"^\d+[:-]")
_PATH_LINE = re.compile(r"^[\w.@+~-]*(?:[/\\][\w.@+~-]+)*\.?[\w-]+$")
_DIFF_HUNK = re.compile(r"^@@@? -\d+(?:,\d+)? ")
_DIFF_SHAPED = re.compile(
    r"^(?:[-+ \\]|@@|diff |index |new file mode|deleted file mode|similarity index|rename (?:from|to) "
    r"|old mode|new mode|Binary files|commit [0-9a-f]{7,}|Author: |Date: |Merge: |$)"
)
_DIFF_LINE = re.compile(r"^(?:diff --git |--- |\+\+\+ |@@ -\d+)")
_HTML = re.compile(r"<(?:!doctype html|html|head|body|div|p|table|span|a\s)[\s>]", re.IGNORECASE)
_HTML_PAGE = re.compile(r"<!doctype html|<html[\s>]", re.IGNORECASE)
_CODE_LINE = re.compile(
    r"^\s*(?:def |class |import |from \S+ import |function |const |let |var |public |private |func |fn |"
    r"package |#include|return\b|if \(|for \(|\}|\{$)"
)
# Code: a line that opens with a keyword, ends like a statement or block, or is a comment;
# and lines that only code has (a signature, an import of a module).
_CODE_SHAPE = re.compile(
    r"^\s*(?:@[\w.]+|(?:def|class|import|from|return|if|elif|else|for|while|try|except|finally|with|raise"
    r"|yield|async|await|function|const|let|var|export|public|private|protected|static|func|fn|impl|pub|use"
    r"|mod|struct|enum|package|interface|type|switch|case|break|continue|throw|catch|new|module|require"
    r"|namespace|template|typedef|void|int|char|val|fun|trait|match|end)\b|#include|#define|#if)"
    r"|(?:[{};:(\[,]|=>|\)|\\)\s*$|^\s*(?://|/\*|\"\"\"|''')|^\s+\*(?:\s|/|$)|^\s*[}\])]+[;,)]*\s*$"
)
_MARKDOWN_LINE = re.compile(r"^(?:#{1,6} \S|[*+-] \S|\d+\. \S|> )")
_CODE_SIGNATURE = re.compile(
    r"^\s*(?:(?:async\s+)?def \w+\s*\(|class \w+\s*[(:{<]|(?:export\s+)?(?:async\s+)?function\*?\s*\w+\s*\("
    r"|func (?:\([^)]*\)\s*)?\w+\(|(?:pub(?:\([\w:]+\))?\s+)?(?:async\s+)?fn \w+|#include\s*[<\"]"
    r"|package [\w.]+;?\s*$|import [\w.{}*, ]+;?\s*$|from [\w.]+ import |use [\w:{}*, ]+;\s*$"
    r"|(?:public|private|protected)\s[\w<>\[\], ]+\(|(?:const|let|var) \w+ = (?:require\(|\(|function|async))"
)
_BLOCK_COMMENT = re.compile(r"/\*|\"\"\"|'''")
# A `#` comment line (shell, Python, Ruby, a shebang), not a C preprocessor line (`# define X 1`).
_HASH_COMMENT = re.compile(
    r"^\s*#(?!\s*(?:include|define|undef|if|ifdef|ifndef|elif|else|endif|pragma|error|warning|line)\b)"
    r"(?:[\s!#]|$)"
)
_SAMPLE_CHARS = 60_000
# `cat -n`, `nl` and editor tools number each line: "    12\t", "    12→", "12: ", "12 | ".
NUMBERED_LINE = re.compile(r"^\s*(\d+)(?:\t|→|: | \| )")
_SHELL_LINE = re.compile(
    r"^(?:\$ |> |npm (?:ERR|WARN)|PASSED|FAILED|ERROR |=+ .* =+$|tests? (?:passed|failed)|"
    r"Collecting |Downloading |Installing |Successfully |added \d+ packages|NAME\s+READY|CONTAINER ID"
    # test runners: pytest, go test, cargo test, jest/vitest, maven surefire
    r"|[^\s:]+::\S.* (?:PASSED|FAILED|SKIPPED|ERROR|XFAIL)\b|\S+\.py [.sxFE]+\s|E {3}|_{3,} \S.* _{3,}$"
    r"|=== RUN |\s*--- (?:PASS|FAIL|SKIP): |(?:ok|FAIL|\?)\s+\S+\s|PASS$|FAIL$|test \S+ \.\.\. |test result: "
    r"|running \d+ tests?$|(?:PASS|FAIL) \S|\s*[✓✔✕×✗] |Tests:\s|Test Suites:|Tests run: \d+"
    r"|BUILD (?:SUCCESS|FAILURE)"
    # package managers: pip, npm, apt, cargo
    r"|npm (?:error|warn|http|verbose|info|notice|timing)\b|Requirement already satisfied|Using cached "
    r"|Processing /|Would install |\s+Downloading \S|\s*[━╸╺]{5,}|(?:Get|Hit|Ign|Err):\d+ "
    r"|\(?Reading (?:package lists|database|state)"
    r"|Building dependency tree|The following (?:NEW |additional )?packages|\d+ upgraded, \d+ newly installed"
    r"|Need to get |After this operation"
    r"|(?:Unpacking|Setting up|Preparing to unpack|Selecting previously unselected|Processing triggers for) "
    r"|\s+(?:Compiling|Checking|Downloaded|Finished|Running|Fresh|Updating|Locking) \S"
    # builds: make, gcc/clang, rustc, tsc, webpack
    r"|make(?:\[\d+\])?: |(?:gcc|g\+\+|cc|c\+\+|clang|clang\+\+|ar|ld|nvcc) "
    r"|\S+:\d+:\d+: (?:fatal error|error|warning|note): |error(?:\[E\d+\])?: |warning: |\s+--> \S+:\d+"
    # a source snippet under a compiler message: "  12 |" or "   |" (no two quantifiers share the spaces)
    r"|(?: +|\s*\d+ +)\| |\S+\(\d+,\d+\): error TS\d+|Found \d+ errors?"
    r"|webpack \d|asset \S+ [\d.]+ \w+|ERROR in |WARNING in "
    # listings: ls -l, pip show
    r"|total \d+$|[-dlcbps][rwxsStT-]{9}[.+@]?\s+\d+ |(?:Name|Version|Location|Requires|Required-by): \S)"
    # a file path alone on its line: find, git ls-files, tar tf, pip show -f; a drawn tree: npm ls, tree
    r"|" + PATH_LINE + r"|" + TREE_LINE
)
# `kubectl get` and `docker ps` open with a header row of capitalised column names.
_LISTING_HEADER = re.compile(
    r"^(?:NAMESPACE|NAME|CONTAINER ID|REPOSITORY|IMAGE ID)\s{2,}(?:[A-Z][A-Z0-9()-]*(?: [A-Z]+)?\s{2,})+[A-Z]"
)


def _share(lines: list[str], pattern: re.Pattern[str]) -> float:
    if not lines:
        return 0.0
    return sum(1 for line in lines if pattern.search(line)) / len(lines)


def _looks_like_table(lines: list[str]) -> bool:
    if len(lines) < 3:
        return False
    for delimiter in ("\t", ",", "|"):
        counts = [line.count(delimiter) for line in lines[:50]]
        if counts[0] >= 1 and sum(1 for c in counts if c == counts[0]) >= len(counts) * 0.9:
            return True
    return False


def strip_line_numbers(lines: list[str]) -> list[str] | None:
    """The lines without their numbers, when (nearly) every line is numbered in increasing order."""
    if len(lines) < 3:
        return None
    numbers: list[int] = []
    stripped: list[str] = []
    for line in lines:
        match = NUMBERED_LINE.match(line)
        if match is None:
            continue
        numbers.append(int(match[1]))
        if line[match.end() :].strip():
            stripped.append(line[match.end() :])
    increasing = all(later > earlier for earlier, later in itertools.pairwise(numbers))
    if len(numbers) < len(lines) * 0.9 or not increasing:
        return None
    return stripped


def _looks_like_code(lines: list[str]) -> bool:
    if len(lines) < 3:
        return _share(lines, _CODE_LINE) >= 0.25
    shaped = _share(lines, _CODE_SHAPE)
    signatures = sum(1 for line in lines if _CODE_SIGNATURE.match(line))
    fenced = any(line.lstrip().startswith("```") for line in lines)  # Markdown with examples: prose
    if signatures == 0 and _share(lines, _MARKDOWN_LINE) >= 0.3:
        return False  # headings and bullets, no definitions: a changelog's "(#123)" endings are not code
    return shaped >= 0.6 or (signatures >= 2 and shaped >= 0.35 and not fenced)


def _code_outside_comments(text: str, *, numbered: bool) -> bool:
    """Whether the lines outside the text's comments look like code (`_lines_outside_comments`); a
    numbered listing (`cat -n`) is read without its numbers."""
    head = text[:_SAMPLE_CHARS]
    if numbered:
        head = "\n".join(NUMBERED_LINE.sub("", line, count=1) for line in head.split("\n"))
    lines = _lines_outside_comments(head)
    return lines is not None and _looks_like_code(lines)


def _lines_outside_comments(text: str) -> list[str] | None:
    """The sample's lines without its comments and docstrings (C's slash-star blocks, Python's
    triple-quoted strings, `#` comment lines), or None when it has none, or fenced Markdown examples.
    Comments are prose in any language and may fill the sample (zlib's gzlog.c opens with 220
    lines of them; a C header documents every declaration, a Python file opens with its licence):
    what a text is shows in the lines around them."""
    head = text[:_SAMPLE_CHARS]
    if "```" in head:
        return None
    pieces: list[str] = []
    position = 0
    while True:
        opening = _BLOCK_COMMENT.search(head, position)
        if opening is None:
            break
        closer = "*/" if opening[0] == "/*" else opening[0]
        end = head.find(closer, opening.end())
        if end < 0:
            break  # never closed: no later opening is closed either
        pieces.append(head[position : opening.start()])
        position = end + len(closer)
    pieces.append(head[position:])
    lines = "\n".join(pieces).split("\n", _SAMPLE_LINES * 4)[: _SAMPLE_LINES * 4]
    kept = [line for line in lines if line.strip() and not _HASH_COMMENT.match(line)]
    if len(pieces) == 1 and len(kept) == sum(1 for line in lines if line.strip()):
        return None
    return kept[:_SAMPLE_LINES]


def _looks_like_html(stripped: str) -> bool:
    head = stripped[:4000]
    # Code and prose may quote a tag; a page starts with one, or declares itself.
    return bool(_HTML_PAGE.search(head)) or (stripped.startswith("<") and bool(_HTML.search(head)))


def _looks_like_diff(lines: list[str]) -> bool:
    """A hunk header, a file header, and (nearly) every line shaped like a diff's, so a deleted
    file of thousands of `-` lines is a diff too."""
    if not any(_DIFF_HUNK.match(line) for line in lines):
        return False
    if not any(line.startswith(("+++ ", "diff --git ", "diff --cc ")) for line in lines):
        return False
    return _share(lines, _DIFF_SHAPED) >= 0.9


def _looks_like_search(lines: list[str]) -> bool:
    results = [line for line in lines if line != "--"]
    shaped = sum(1 for line in results if _SEARCH_LINE.match(line) or _SEARCH_CONTEXT_LINE.match(line))
    return bool(results) and shaped >= 0.6 * len(results)


def _looks_like_headed_search(lines: list[str]) -> bool:
    """ripgrep --heading: a path line, then `12:text` lines (blank lines are already left out)."""
    if len(lines) < 2 or not _PATH_LINE.match(lines[0]) or not _HEADED_RESULT.match(lines[1]):
        return False
    numbered = sum(1 for line in lines if _HEADED_RESULT.match(line))
    headings = sum(1 for line in lines if not _HEADED_RESULT.match(line) and _PATH_LINE.match(line))
    return numbered + headings >= 0.9 * len(lines)


def _looks_like_delimited_table(lines: list[str]) -> bool:
    """CSV or TSV with a header row: the csv module reads the same number of cells from most lines."""
    table = sniff_table(lines)
    return table is not None and table.delimiter is not None and table.has_header


def _looks_like_json_lines(stripped: str) -> bool:
    """One JSON object per line (a structured log), not one object spread over lines."""
    head = stripped.split("\n", 3)[:3]
    return len(head) == 3 and all(line.startswith("{") and line.rstrip().endswith("}") for line in head)


def detect_label(text: str) -> str:
    """The content type of a text: one of LABELS."""
    stripped = text.strip()
    if not stripped:
        return "empty"
    first = stripped[0]
    if first == "[" and stripped[-1] == "]" and not _BRACKETED_TIME.match(stripped):
        return "json_array"
    if first == "{" and stripped[-1] == "}":
        return "log" if _looks_like_json_lines(stripped) else "json_object"
    lines = [line for line in stripped.split("\n", _SAMPLE_LINES)[:_SAMPLE_LINES] if line.strip()]
    if _share(lines, _DIFF_LINE) >= 0.05 and any(line.startswith("@@") for line in lines):
        return "diff"
    if _looks_like_diff(lines):
        return "diff"
    if _looks_like_headed_search(lines):
        return "search"
    if _looks_like_html(stripped):
        return "html"
    numbered = strip_line_numbers(lines)
    if numbered is not None and (
        _looks_like_code(numbered) or _code_outside_comments(stripped, numbered=True)
    ):
        return "code"
    if _looks_like_delimited_table(lines):  # before logs: a CSV may well start each row with a time
        return "table"
    if _share(lines, _LOG_LINE) >= 0.4:
        return "log"
    if _share(lines, _SEARCH_LINE) >= 0.6 or _looks_like_search(lines):
        return "search"
    if _share(lines, _SHELL_LINE) >= 0.2 or _LISTING_HEADER.match(lines[0]):
        return "shell"
    if _looks_like_code(lines):
        return "code"
    if _code_outside_comments(stripped, numbered=False):
        return "code"
    if _looks_like_table(lines) or sniff_table(lines) is not None:
        return "table"
    return "prose"
