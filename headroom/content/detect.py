"""Content-type detection from a sample of the text: cheap, deterministic, no parsing of the whole.

`detect(text)` gives every type the text fits, surest first, each with a confidence on one
written scale:

    1.0  CERTAIN   a structure only this type has: a diff's file and hunk headers, a git log's
                   `commit <sha>` headers, an HTML page's doctype
    0.8  STRONG    four in five sampled lines have the type's shape, or a mark the type alone
                   carries (a CSV header row, ripgrep's path headings, a listing's header row,
                   numbered source lines, JSON's brackets)
    0.6  LIKELY    the type's lines pass its threshold, but not four in five
    0.2  FALLBACK  prose: what a text is when nothing else fits

Equally sure candidates keep the order the checks run in. A check that could not reach the
surest confidence found so far is not run (it could neither win nor tie), so the candidates are
every type as sure as the surest and those seen on the way. Where two types fit equally well,
the classify stage lets the request decide (`headroom.stages.classify`); `detect_label` is the
surest.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from headroom.content.framing import GUTTERED, NUMBERED_LINE, UNSTRUCTURED, Frame, describe, find_frame
from headroom.content.table_sniff import sniff_table
from headroom.content.types import BY_LABEL

CERTAIN, STRONG, LIKELY, FALLBACK = 1.0, 0.8, 0.6, 0.2
STRONG_SHARE = 0.8  # the share of lines with a type's shape that makes it strong


@dataclass(frozen=True)
class Candidate:
    label: str
    confidence: float  # on the module's scale: CERTAIN, STRONG, LIKELY, FALLBACK
    evidence: str  # what was seen, in a few words: "commit headers x12", "timestamped lines 83%"

    def __post_init__(self) -> None:
        if self.label not in BY_LABEL:  # every type is declared in headroom.content.types
            raise ValueError(f"detection proposed {self.label!r}, which no content type declares")

    def __str__(self) -> str:
        return f"{self.label} {self.confidence:.1f} ({self.evidence})"


@dataclass(frozen=True)
class Detection:
    candidates: tuple[Candidate, ...]  # surest first; never empty

    @property
    def label(self) -> str:
        return self.candidates[0].label

    def rivals(self) -> tuple[Candidate, ...]:
        """The candidates as sure as the surest (itself included): a contest when more than one."""
        top = self.candidates[0].confidence
        return tuple(c for c in self.candidates if c.confidence >= top)


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
# grep -r without -n, ripgrep piped: `dir/file.py:text`, a path with a directory and an extension.
_UNNUMBERED_SEARCH_LINE = re.compile(r"^(?:[\w.@+-]*[/\\])+[\w@+-]+(?:\.[\w-]+)*\.[A-Za-z]\w*:(?!:|\d+[:-])")
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
# Git history. The rails `git log --graph` draws before each line: `* `, `| * `, `|\  `, `| |/  `.
GRAPH_RAILS = r"(?:[*|/\\_.-]| )*[*|/\\](?: +|$)"
# A commit header (`git log`, `git show`, any --format that starts with `commit <sha>`).
COMMIT_LINE = re.compile(r"^(?:" + GRAPH_RAILS + r")?commit (?P<sha>[0-9a-f]{7,64})(?= |$)")
_COMMIT_HEADER = re.compile(
    r"(?:" + GRAPH_RAILS + r")?commit [0-9a-f]{7,64}(?:[ \t].*)?\n(?:" + GRAPH_RAILS + r")?"
    r"(?:Merge|Author|tree|Reflog):? "
)
_RAIL_CHARS = frozenset("*|/\\_.- ")
# `git log --oneline`: a short sha, the decorations, the subject.
ONELINE = re.compile(r"^(?:" + GRAPH_RAILS + r")?(?P<sha>[0-9a-f]{7,40}) (?:\((?P<refs>[^)\n]*)\) )?(?=\S)")
_ONELINE = ONELINE
_ONELINE_FIRST = frozenset("0123456789abcdef*|/\\")  # how a one-line commit's line can start
# `git blame` has a sha first too, then (with -C or -M) the file, its author and date and the line's
# number in parentheses (`-s`: the number alone), then the line: `^cb66d0e (Ada 2026-01-01 ... 12) `.
BLAME_LINE = re.compile(r"^\^?[0-9a-f]{7,40} (?:[^\s(]\S* +)?(?:\([^)\n]*? +)?(?P<number>\d+)\) ")
_BLAME_LINE = BLAME_LINE
# What a one-line log holds besides its commits: graph rails alone, --name-status, --stat lines.
_ONELINE_COMPANION = re.compile(
    r"^(?:" + GRAPH_RAILS + r")?(?:[ACDMRTUXB]\d{0,3}\t\S| \S.* \| +(?:\d+|Bin)| \d+ files? changed|$)"
    r"|^[*|/\\_. -]+$"
)
_HTML = re.compile(r"<(?:!doctype html|html|head|body|div|p|table|span|a\s)[\s>]", re.IGNORECASE)
_HTML_PAGE = re.compile(r"<!doctype html|<html[\s>]", re.IGNORECASE)
_CODE_LINE = re.compile(
    r"^\s*(?:def |class |import |from \S+ import |function |const |let |var |public |private |func |fn |"
    r"package |#include|return\b|if \(|for \(|\}|\{$)"
)
# Code: a line that opens with a keyword, ends like a statement or block, or is a comment;
# and lines that only code has (a signature, an import of a module). A colon after an imported
# name is no statement but a label (`import time:  462 | ...`, Python's -X importtime).
_CODE_SHAPE = re.compile(
    r"^\s*(?!import [\w.]+:)(?:@[\w.]+|(?:def|class|import|from|return|if|elif|else|for|while|try|except"
    r"|finally|with|raise|yield|async|await|function|const|let|var|export|public|private|protected|static|func|fn|impl|pub|use"
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


def count_commit_headers(text: str, most: int = 2) -> int:
    """How many `commit <sha>` headers (followed by Author:, Merge:, tree) the text has, up to `most`:
    str.find jumps from one "commit " to the next, and only one with nothing but rails before it
    on its line is read further."""
    found = 0
    position = text.find("commit ")
    while position != -1 and found < most:
        start = text.rfind("\n", 0, position) + 1
        if all(char in _RAIL_CHARS for char in text[start:position]) and _COMMIT_HEADER.match(text, start):
            found += 1
        position = text.find("commit ", position + 7)
    return found


def _share_from(lines: list[str], pattern: re.Pattern[str], least: float) -> float:
    """The share of lines matching `pattern`, or 0.0 as soon as it can no longer reach `least`."""
    allowed = len(lines) * (1 - least)  # misses the share can afford
    hits = misses = 0
    for line in lines:
        if pattern.search(line):
            hits += 1
        else:
            misses += 1
            if misses > allowed:
                return 0.0
    return hits / len(lines) if lines else 0.0


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


def _search_share(lines: list[str]) -> float:
    """The share of results (grep's `--` separators aside) shaped as `path:12:` or `path-12-`."""
    results = [line for line in lines if line != "--"]
    shaped = sum(1 for line in results if _SEARCH_LINE.match(line) or _SEARCH_CONTEXT_LINE.match(line))
    return shaped / len(results) if results else 0.0


def _looks_like_headed_search(lines: list[str]) -> bool:
    """ripgrep --heading: a path line, then `12:text` lines (blank lines are already left out)."""
    if len(lines) < 2 or not _PATH_LINE.match(lines[0]) or not _HEADED_RESULT.match(lines[1]):
        return False
    numbered = sum(1 for line in lines if _HEADED_RESULT.match(line))
    headings = sum(1 for line in lines if not _HEADED_RESULT.match(line) and _PATH_LINE.match(line))
    return numbered + headings >= 0.9 * len(lines)


def _looks_like_pathless_search(lines: list[str]) -> bool:
    """grep -n with -A/-B/-C over one file: no path on any line, `12:text` hits, `13-text` context
    lines and `--` between groups (blank lines are already left out). The `--` separators and the
    two marks tell it from a numbered listing (`cat -n` writes neither)."""
    if len(lines) < 3:
        return False
    hits = context = separators = 0
    for line in lines:
        if line == "--":
            separators += 1
            continue
        numbered = _HEADED_RESULT.match(line)
        if numbered is None:
            continue
        if line[numbered.end() - 1] == ":":
            hits += 1
        else:
            context += 1
    if hits and context and separators:
        return hits + context + separators >= 0.9 * len(lines)
    return hits >= 0.9 * len(lines) and _skips_lines(lines)


def _skips_lines(lines: list[str]) -> bool:
    """Whether `12:text` lines number a file's hits, not its every line: the numbers rise and most
    of them skip lines (`grep -n` over one file), where a listing (`cat -n`, `sed -n`) counts on
    by one."""
    numbers = [int(found[0][:-1]) for line in lines if (found := _HEADED_RESULT.match(line))]
    steps = [later - earlier for earlier, later in itertools.pairwise(numbers)]
    return (
        len(steps) >= 2
        and all(step > 0 for step in steps)
        and sum(step > 1 for step in steps) > 0.5 * len(steps)
    )


def _looks_like_delimited_table(lines: list[str]) -> bool:
    """CSV or TSV with a header row: the csv module reads the same number of cells from most lines."""
    table = sniff_table(lines)
    return table is not None and table.delimiter is not None and table.has_header


def _looks_like_json_lines(stripped: str) -> bool:
    """One JSON object per line (a structured log), not one object spread over lines."""
    head = stripped.split("\n", 3)[:3]
    return len(head) == 3 and all(line.startswith("{") and line.rstrip().endswith("}") for line in head)


def detect(text: str) -> Detection:
    """Every content type the text fits, each with how sure detection is (see the module docstring).
    Output an agent framed (a header above it, line numbers before each line) is detected by
    what is inside the frame (`headroom.content.framing`)."""
    framed = framed_detection(text)
    return framed if framed is not None else detect_unframed(text)


@dataclass(frozen=True)
class Settled:
    frame: Frame
    detection: Detection  # the body's


@functools.lru_cache(maxsize=8)
def settle(text: str) -> Settled | None:
    """The frame a text is read through, with its body's detection; None: read it whole.
    (Detection and parsing both ask, so the answer for the last few texts is kept.)"""
    frame = find_frame(text)
    if frame is None:
        return None
    if frame.gutter is not None:
        inside = detect_unframed(frame.body)
        if inside.label in GUTTERED:
            return Settled(frame, inside)
        frame = frame.without_gutter()  # numbered code, say: its own type reads the numbers
        if frame is None:
            return None
    inside = detect_unframed(frame.body)
    if inside.label in UNSTRUCTURED:
        return None
    whole, sure = detect_unframed(text).candidates[0].confidence, inside.candidates[0].confidence
    if sure < whole or (sure == whole and not frame.separated):
        return None
    return Settled(frame, inside)


def framed_detection(text: str) -> Detection | None:
    """The body's candidates, each saying what it was found behind; None: the text has no frame."""
    settled = settle(text)
    if settled is None:
        return None
    where = describe(settled.frame)
    return Detection(
        tuple(
            Candidate(c.label, c.confidence, f"{c.evidence}, {where}") for c in settled.detection.candidates
        )
    )


def detect_unframed(text: str) -> Detection:
    """`detect`, reading the text as it is, frame and all."""
    stripped = text.strip()
    if not stripped:
        return Detection((Candidate("empty", CERTAIN, "blank"),))
    first = stripped[0]
    # Brackets at both ends: the JSON document decides (it parses; detection never does).
    if first == "[" and stripped[-1] == "]" and not _BRACKETED_TIME.match(stripped):
        return Detection((Candidate("json_array", STRONG, "[...]"),))
    if first == "{" and stripped[-1] == "}":
        if _looks_like_json_lines(stripped):
            return Detection((Candidate("log", STRONG, "one JSON object a line"),))
        return Detection((Candidate("json_object", STRONG, "{...}"),))
    lines = [line for line in stripped.split("\n", _SAMPLE_LINES)[:_SAMPLE_LINES] if line.strip()]
    found = _git_candidates(stripped, lines)
    _line_shape_candidates(stripped, lines, found)
    found.append(Candidate("prose", FALLBACK, "no other shape"))
    return Detection(_ranked(found))


def detect_label(text: str) -> str:
    """The content type of a text: one of the declared labels (the surest candidate of `detect`)."""
    return detect(text).label


def _ranked(found: list[Candidate]) -> tuple[Candidate, ...]:
    """Surest first; among equally sure ones, the one the checks found first (they run in the
    order of the shapes least likely to be mistaken). Each label once, at its highest confidence."""
    order = sorted(range(len(found)), key=lambda i: (-found[i].confidence, i))
    ranked: list[Candidate] = []
    for index in order:
        if all(held.label != found[index].label for held in ranked):
            ranked.append(found[index])
    return tuple(ranked)


def _git_candidates(stripped: str, lines: list[str]) -> list[Candidate]:
    """A git log, a diff, or both (a `git log -p`, a `git show`)."""
    found: list[Candidate] = []
    commits = count_commit_headers(stripped)
    is_diff = (_share(lines, _DIFF_LINE) >= 0.05 and any(line.startswith("@@") for line in lines)) or (
        _looks_like_diff(lines)
    )
    if commits >= 2 or (commits == 1 and not is_diff):
        found.append(Candidate("git_log", CERTAIN, "commit headers" if commits > 1 else "a commit header"))
    elif commits == 1:
        found.append(Candidate("git_log", LIKELY, "one commit header around a patch"))
    else:
        oneline = _oneline_share(lines)
        if oneline is not None:
            found.append(oneline)
    if is_diff:
        # A patch inside a log of several commits is part of the log.
        confidence = LIKELY if commits >= 2 else CERTAIN
        found.append(Candidate("diff", confidence, "file and hunk headers"))
    return found


def _oneline_share(lines: list[str]) -> Candidate | None:
    """`git log --oneline` (with decorations, a --graph, --name-status or --stat lines under each)."""
    if len(lines) < 3 or sum(1 for line in lines if line[0] in _ONELINE_FIRST) < 3:
        return None
    commits = sum(1 for line in lines if _ONELINE.match(line) and not _BLAME_LINE.match(line))
    if commits < 3:
        return None
    shaped = sum(1 for line in lines if _ONELINE.match(line) or _ONELINE_COMPANION.match(line))
    share = shaped / len(lines)
    if share >= 0.9:
        return Candidate("git_log", STRONG, f"one-line commits {round(100 * share)}%")
    if share >= 0.6:
        return Candidate("git_log", LIKELY, f"one-line commits {round(100 * share)}%")
    return None


def _line_shape_candidates(stripped: str, lines: list[str], found: list[Candidate]) -> None:
    """The types told apart by the shape of their lines, each as sure as its share of lines says,
    added to `found`. A check that could not reach the surest confidence found so far is skipped:
    it could neither win nor tie, and detection runs on every block."""
    checks: list[tuple[float, Callable[[], list[Candidate]]]] = [
        (STRONG, lambda: _headed_search(lines)),
        (CERTAIN, lambda: _html(stripped)),
        (STRONG, lambda: _numbered_code(stripped, lines)),
        (STRONG, lambda: _blamed_lines(lines)),
        (STRONG, lambda: _delimited_table(lines)),  # before logs: a CSV may well start each row with a time
        (STRONG, lambda: _by_share(lines, "log", _LOG_LINE, _least(found, 0.4), "timestamped lines")),
        (STRONG, lambda: _search(lines, _least(found, 0.6))),
        (STRONG, lambda: _shell(lines, _least(found, 0.2))),
        (
            LIKELY,
            lambda: [Candidate("code", LIKELY, "statement-shaped lines")] if _looks_like_code(lines) else [],
        ),
        (LIKELY, lambda: [] if _surest(found) > FALLBACK else _code_beside_comments(stripped)),
        (LIKELY, lambda: _loose_table(lines)),
    ]
    for most, check in checks:
        if most >= _surest(found):
            found.extend(check())


def _surest(found: list[Candidate]) -> float:
    return max((c.confidence for c in found), default=0.0)


def _headed_search(lines: list[str]) -> list[Candidate]:
    if _looks_like_headed_search(lines):
        return [Candidate("search", STRONG, "path headings over numbered lines")]
    if _looks_like_pathless_search(lines):
        return [Candidate("search", STRONG, "numbered hits and context lines between `--` (one file)")]
    return []


def _html(stripped: str) -> list[Candidate]:
    if _HTML_PAGE.search(stripped[:4000]):
        return [Candidate("html", CERTAIN, "a page")]
    return [Candidate("html", STRONG, "opens with a tag")] if _looks_like_html(stripped) else []


def _numbered_code(stripped: str, lines: list[str]) -> list[Candidate]:
    numbered = strip_line_numbers(lines)
    if numbered is not None and (
        _looks_like_code(numbered) or _code_outside_comments(stripped, numbered=True)
    ):
        return [Candidate("code", STRONG, "numbered source lines")]
    return []


def _code_beside_comments(stripped: str) -> list[Candidate]:
    """Comments are prose in any language and may fill the sample: a text whose lines outside its
    comments and docstrings look like code is code (zlib's gzlog.c opens with 220 comment lines)."""
    if _code_outside_comments(stripped, numbered=False):
        return [Candidate("code", LIKELY, "statement-shaped lines outside its comments")]
    return []


def _blamed_lines(lines: list[str]) -> list[Candidate]:
    """`git blame`: a file's lines, each under its commit, author, date and number. Read as code
    (its prefix kept on every kept line, `CodeDocument`): a question about it is about the code's
    lines and their definitions, and who last changed them rides along."""
    matches = [BLAME_LINE.match(line) for line in lines]
    if len(lines) < 3 or sum(1 for m in matches if m is not None) < 0.9 * len(lines):
        return []
    code = [line[m.end() :] for line, m in zip(lines, matches, strict=True) if m is not None]
    sure = STRONG if _looks_like_code([line for line in code if line.strip()]) else LIKELY
    return [Candidate("code", sure, "blamed source lines")]


def _delimited_table(lines: list[str]) -> list[Candidate]:
    return (
        [Candidate("table", STRONG, "delimited rows under a header")]
        if _looks_like_delimited_table(lines)
        else []
    )


def _least(found: list[Candidate], threshold: float) -> float:
    """The share a line-shape type needs: its threshold, or a strong share once a strong type is found."""
    return STRONG_SHARE if _surest(found) >= STRONG else threshold


def _search(lines: list[str], least: float) -> list[Candidate]:
    share = max(_share_from(lines, _SEARCH_LINE, least), _search_share(lines))
    if share < least:  # no line numbers: grep -r without -n, ripgrep piped
        unnumbered = _share_from(lines, _UNNUMBERED_SEARCH_LINE, max(least, STRONG_SHARE))
        return _candidate_by_share("search", unnumbered, max(least, STRONG_SHARE), "path: results")
    return _candidate_by_share("search", share, least, "path:line: results")


def _shell(lines: list[str], least: float) -> list[Candidate]:
    found = [Candidate("shell", STRONG, "a listing's header row")] if _LISTING_HEADER.match(lines[0]) else []
    return found + _by_share(lines, "shell", _SHELL_LINE, least, "command output lines")


def _loose_table(lines: list[str]) -> list[Candidate]:
    if _looks_like_table(lines) or sniff_table(lines) is not None:
        return [Candidate("table", LIKELY, "aligned or delimited columns")]
    return []


def _by_share(
    lines: list[str], label: str, pattern: re.Pattern[str], threshold: float, what: str
) -> list[Candidate]:
    """A candidate when `threshold` of the lines or more have the type's shape (`pattern`)."""
    return _candidate_by_share(label, _share_from(lines, pattern, threshold), threshold, what)


def _candidate_by_share(label: str, share: float, threshold: float, what: str) -> list[Candidate]:
    """Likely from `threshold` on, strong when four in five lines have the type's shape."""
    if share < threshold:
        return []
    confidence = STRONG if share >= STRONG_SHARE else LIKELY
    return [Candidate(label, confidence, f"{what} {round(100 * share)}%")]
