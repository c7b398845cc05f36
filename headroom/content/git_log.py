"""Git history: `git log` in its forms, and `git show`.

Recognized: commit blocks that open with `commit <sha>` (with --decorate's refs after it), their
`Merge:`, `Author:` and `Date:` lines (--format=fuller's `AuthorDate:`, `Commit:`, `CommitDate:`,
--pretty=raw's `tree`, `parent`, `author`, `committer`), and the message indented under them;
`--oneline` (`<short sha> (refs) subject`); the rails `--graph` draws before either; and under
each commit its `--name-status`, `--name-only`, `--stat` (with its summary line), `--raw` lines
or its `-p` patch, which the diff parser reads (`headroom.content.diff`), so a patch has the
same file sections and hunks as a diff.

Units are lines, numbered from 1 as in every line format; the unit of selection is the commit.
Each commit knows its header (the sha line through the subject line: what a kept commit always
keeps whole), its message, its file lines and its patch. A dropped run of whole commits is
marked in place with a summary of how many commits it held, the days they span and their
authors (and any revert, fix, security or breaking change among them):

    [headroom: omitted lines 40-212 of 900; hash=...] [headroom: summary of 173 omitted lines:
    kind: commit x14; date: 2026-01-05..2026-02-11; author: "Ada Lovelace" x6, "Mei Tanaka" x8]

(on one line). A run inside a kept commit's patch is summarised as a diff's is.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from headroom.content.detect import COMMIT_LINE, ONELINE
from headroom.content.diff import META, DiffDocument, describe_lines, hunk_entries
from headroom.content.signals import line_starts, lines_holding, whole_word
from headroom.markers import Scalar, SummaryEntry, summary

_RAILS = re.compile(r"^(?:[*|/\\_.-]| )*[*|/\\](?: +|$)")
_RAIL_CHARS = frozenset("*|/\\_.- ")
_NAME_STATUS = re.compile(r"^[ACDMRTUXB]\d{0,3}\t(?:.*\t)?(?P<path>[^\t]+)$")
_RAW = re.compile(r"^:(?:\d{6} )+(?:[0-9a-f]+\.* )+[A-Z]\d*\t(?:.*\t)?(?P<path>[^\t]+)$")
_STAT = re.compile(r"^ (?P<path>\S.*?) +\| +(?:\d+|Bin\b)")
_STAT_SUMMARY = re.compile(r"^ \d+ files? changed")
_AUTHOR = re.compile(
    r"^(?:Author: +|author )(?P<name>[^<\n]*?)\s*(?:<[^>\n]*>)?(?: (?P<raw>\d{9,11} [+-]\d{4}))?$"
)
_DATE = re.compile(r"^(?:Date|AuthorDate): +(?P<date>.+)$")
# Words that make a commit stand out, found in its lower-cased subject and message: (signal,
# words found where a word starts, words found whole). A conventional commit's `feat!:` breaks too.
_SIGNALS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("revert", ("revert",), ()),
    ("security", ("security", "cve-", "vulnerab", "exploit"), ("xss", "csrf")),
    ("breaking", ("breaking",), ()),
    ("fix", ("bugfix", "hotfix", "regression"), ("fix", "fixes", "fixed")),
)
_CONVENTIONAL_BREAKING = re.compile(r"^\w+(?:\([^)]*\))?!:")
MAX_LISTED_AUTHORS = 6


@dataclass
class Commit:
    """One commit's lines, and what its header says."""

    lines: range
    header: range  # the sha line through the subject line
    sha: str
    refs: str = ""
    author: str = ""
    date: str = ""
    subject: str = ""
    message: range = range(0)  # the message lines after the subject
    file_lines: dict[int, str] = field(default_factory=dict)  # line -> path (name-status, stat, ...)
    stat_summary: int | None = None  # --stat's "N files changed" line
    signals: tuple[str, ...] = ()  # revert, security, breaking, fix


class GitLogDocument(DiffDocument):
    def __init__(self, text: str):
        self._bare: list[str] | None = None
        self._commit_starts: list[int] | None = None
        super().__init__(text)
        self.commits = _commits(self.diff_lines(), self.kinds)
        self.commit_of = [-1] * len(self.units)
        for position, commit in enumerate(self.commits):
            for index in commit.lines:
                self.commit_of[index] = position

    @classmethod
    def parse(cls, text: str) -> GitLogDocument:
        return cls(text)  # a text with no commit in it is one preamble: a crusher leaves it whole

    def diff_lines(self) -> list[str]:
        """The lines without the rails of a --graph."""
        if self._bare is None:
            self._bare = _without_rails(self.units)
        return self._bare

    def anchors(self) -> set[int]:
        # Which commits survive is the crusher's choice; a dropped commit takes its file headers along.
        return set()

    def groups(self) -> list[range]:
        return [commit.lines for commit in self.commits]

    def _starts(self) -> list[int]:
        """Each commit's first line, in order."""
        if self._commit_starts is None:
            self._commit_starts = [commit.lines.start for commit in self.commits]
        return self._commit_starts

    def preamble(self) -> range:
        """Lines before the first commit (an annotated tag's header, a command line)."""
        return range(self.commits[0].lines.start if self.commits else len(self.units))

    def files_of(self, commit: Commit) -> list[str]:
        """The paths a commit touches, as its file lines and its patch name them."""
        paths = list(commit.file_lines.values())
        for section in self.sections:
            if section.lines.start in commit.lines:
                paths.append(section.path)
        return list(dict.fromkeys(paths))

    def describe_runs(self, keep: list[bool], spans: list[tuple[int, int]]) -> list[str]:
        return [self._describe_run(keep, first, last) for first, last in spans]

    def required_entries(self, keep: list[bool], first: int, last: int) -> list[SummaryEntry]:
        """The hunk headers a run drops from the patches of kept commits (a dropped commit's patch
        goes with it, counted in the commit summary)."""
        owner = self.commit_of
        kept = [
            i for i in range(first, last + 1) if owner[i] >= 0 and keep[self.commits[owner[i]].lines.start]
        ]
        return hunk_entries(self, keep, kept)

    def implied(self, chosen: set[int]) -> set[int]:
        """A kept line's commit header (whole), and in a patch its hunk and file headers."""
        owner = self.commit_of
        commits = {owner[i] for i in chosen if 0 <= i < len(owner) and owner[i] >= 0}
        return super().implied(chosen) | {i for c in commits for i in self.commits[c].header}

    def _describe_run(self, keep: list[bool], first: int, last: int) -> str:
        starts = self._starts()
        dropped = self.commits[bisect_left(starts, first) : bisect_right(starts, last)]
        if not dropped:
            return describe_lines(self, keep, first, last, self._file_counts(first, last))
        entries: list[SummaryEntry] = [("kind", [("commit", len(dropped))])]
        days = [day for day in (commit_day(c.date) for c in dropped) if day is not None]
        if days:
            ordered = sorted(days)
            entries.append(("date", (ordered[0][1], ordered[-1][1])))
        authors = Counter(c.author for c in dropped if c.author)
        if authors:
            ranked = sorted(authors.items(), key=lambda pair: (-pair[1], pair[0]))
            key = "author" if len(ranked) <= MAX_LISTED_AUTHORS else "top_author"
            listed: list[tuple[Scalar, int]] = list(ranked[:MAX_LISTED_AUTHORS])
            entries.append((key, listed))
        signals = Counter(signal for c in dropped for signal in c.signals)
        if signals:
            entries.append(("signal", [(name, signals[name]) for name, *_ in _SIGNALS if signals[name]]))
        return summary(last - first + 1, self.unit_name, entries)

    def _file_counts(self, first: int, last: int) -> Counter[str]:
        """Dropped file lines (name-status, stat) of a kept commit count for their paths."""
        counts: Counter[str] = Counter()
        for index in range(first, last + 1):
            commit = self.commit_of[index]
            if commit >= 0 and index in self.commits[commit].file_lines:
                counts[self.commits[commit].file_lines[index]] += 1
        return counts


def _without_rails(lines: list[str]) -> list[str]:
    """Each line without the rails a --graph draws before it. Under a commit's sha line the rails
    are as wide as before that line, wherever those columns hold only rails (so a message's own
    `* bullet` stays); elsewhere, and in a one-line log, every rail character before the text goes."""
    if not any(_has_rails(line) for line in lines[:50]):
        return lines
    bare: list[str] = []
    width = 0
    for line in lines:
        full = COMMIT_LINE.match(line)
        if full is not None:
            width = full.start("sha") - len("commit ")
        elif ONELINE.match(line):
            width = 0
        if width and all(char in _RAIL_CHARS for char in line[:width]):
            bare.append(line[width:])
            continue
        rails = _RAILS.match(line)
        bare.append(line[rails.end() :] if rails else line)
    return bare


def _has_rails(line: str) -> bool:
    match = COMMIT_LINE.match(line) or ONELINE.match(line)
    return match is not None and match.start("sha") > 0 and line[0] in "*|/\\"


def _commits(bare: list[str], kinds: list[str]) -> list[Commit]:
    full = [i for i, line in enumerate(bare) if kinds[i] == META and COMMIT_LINE.match(line)]
    starts = full or [i for i, line in enumerate(bare) if kinds[i] == META and ONELINE.match(line)]
    if not starts:
        return []
    stops = [*starts[1:], len(bare)]
    reader = _read_full if full else _read_oneline
    commits = [reader(bare, kinds, range(start, stop)) for start, stop in zip(starts, stops, strict=True)]
    _read_signals(bare, commits)
    return commits


def _read_full(bare: list[str], kinds: list[str], lines: range) -> Commit:
    start = lines.start
    match = COMMIT_LINE.match(bare[start])
    assert match is not None
    refs = bare[start][match.end() :].strip()
    commit = Commit(lines, range(start, start + 1), match["sha"], refs=refs.strip("()"))
    index = start + 1
    while index < lines.stop and bare[index].strip():  # header fields, up to the blank line
        _read_field(commit, bare[index])
        index += 1
    header_end = index - 1
    index += 1 if index < lines.stop else 0
    message_start = index
    while index < lines.stop and bare[index].startswith("    ") and kinds[index] == META:
        index += 1
    message = range(message_start, index)
    if message:
        commit.subject = bare[message.start].strip()
        header_end = message.start
        commit.message = range(message.start + 1, message.stop)
    commit.header = range(start, header_end + 1)
    _read_files(commit, bare, kinds, range(index, lines.stop))
    return commit


def _read_field(commit: Commit, line: str) -> None:
    author = _AUTHOR.match(line)
    if author is not None and not commit.author:
        commit.author = author["name"].strip()
        if author["raw"]:
            commit.date = commit.date or author["raw"]
        return
    date = _DATE.match(line)
    if date is not None and not commit.date:
        commit.date = date["date"].strip()


def _read_oneline(bare: list[str], kinds: list[str], lines: range) -> Commit:
    start = lines.start
    match = ONELINE.match(bare[start])
    assert match is not None
    commit = Commit(lines, range(start, start + 1), match["sha"], refs=match["refs"] or "")
    commit.subject = bare[start][match.end() :].strip()
    _read_files(commit, bare, kinds, range(start + 1, lines.stop))
    return commit


def _read_files(commit: Commit, bare: list[str], kinds: list[str], lines: range) -> None:
    """The file lines after the message: --name-status, --raw, --stat (and its summary), --name-only."""
    for index in lines:
        line = bare[index]
        if kinds[index] != META or not line.strip():
            continue
        if _STAT_SUMMARY.match(line):
            commit.stat_summary = index
            continue
        found = _NAME_STATUS.match(line) or _RAW.match(line) or _STAT.match(line)
        if found is not None:
            commit.file_lines[index] = found["path"].strip()
        elif not line.startswith((" ", "\t")) and not _RAILS.fullmatch(line):
            commit.file_lines[index] = line.strip()  # --name-only


def _read_signals(bare: list[str], commits: list[Commit]) -> None:
    """Each commit's signals, from its subject and message: one pass of str.find per word over all."""
    texts: list[str] = []
    owner: list[int] = []
    for position, commit in enumerate(commits):
        for text in (commit.subject, *(bare[i].strip() for i in commit.message)):
            texts.append(text.lower())
            owner.append(position)
    starts = line_starts(texts)
    joined = "\n".join(texts)
    found: list[set[str]] = [set() for _ in commits]
    for name, prefixes, words in _SIGNALS:
        for term, accept in [*((p, _starts_word) for p in prefixes), *((w, whole_word) for w in words)]:
            for line in lines_holding(joined, starts, term, accept):
                found[owner[line]].add(name)
    for commit, names in zip(commits, found, strict=True):
        if _CONVENTIONAL_BREAKING.match(commit.subject):
            names.add("breaking")
        commit.signals = tuple(name for name, *_ in _SIGNALS if name in names)


def _starts_word(text: str, index: int, length: int) -> bool:
    return index == 0 or not text[index - 1].isalnum()


_MONTHS = {
    name: number for number, name in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)
}
# git's default: "Thu Aug 20 09:12:10 2026 -0700"; --date=rfc: "Thu, 20 Aug 2026 09:12:10 -0700"
_DEFAULT_DATE = re.compile(
    r"^\w{3} (?P<month>[A-Z][a-z]{2}) (?P<day>\d{1,2}) (?P<time>\d{2}:\d{2}:\d{2}) (?P<year>\d{4}) "
    r"(?P<zone>[+-]\d{4})$"
)
_RFC_DATE = re.compile(
    r"^(?:\w{3}, )?(?P<day>\d{1,2}) (?P<month>[A-Z][a-z]{2}) (?P<year>\d{4}) (?P<time>\d{2}:\d{2}:\d{2}) "
    r"(?P<zone>[+-]\d{4})$"
)
# --date=iso, iso-strict, short
_ISO_DATE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[T ](?P<time>\d{2}:\d{2}:\d{2})(?: ?(?P<zone>Z|[+-]\d{2}:?\d{2}))?)?$"
)
_RAW_DATE = re.compile(r"^(?P<seconds>\d{9,11}) (?P<zone>[+-]\d{4})$")  # --pretty=raw, --date=raw


def commit_day(text: str) -> tuple[datetime, str] | None:
    """(the instant, the day in the commit's own zone as YYYY-MM-DD) of a date as git prints it
    (default, --date=iso, iso-strict, rfc, short, raw); None for a relative or unknown one."""
    text = text.strip()
    raw = _RAW_DATE.match(text)
    if raw is not None:
        local = datetime.fromtimestamp(int(raw["seconds"]), _zone(raw["zone"]))
        return local, local.strftime("%Y-%m-%d")
    iso = _ISO_DATE.match(text)
    if iso is not None:
        zone = _zone(iso["zone"] or "+0000")
        moment = datetime.fromisoformat(f"{iso['date']}T{iso['time'] or '00:00:00'}").replace(tzinfo=zone)
        return moment, iso["date"]
    named = _DEFAULT_DATE.match(text) or _RFC_DATE.match(text)
    if named is None or named["month"] not in _MONTHS:
        return None
    hour, minute, second = (int(part) for part in named["time"].split(":"))
    zone = _zone(named["zone"])
    moment = datetime(
        int(named["year"]), _MONTHS[named["month"]], int(named["day"]), hour, minute, second, tzinfo=zone
    )
    return moment, moment.strftime("%Y-%m-%d")


def _zone(text: str) -> timezone:
    if text == "Z":
        return timezone.utc
    digits = text.replace(":", "")
    sign = -1 if digits[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5])))
