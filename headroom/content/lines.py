"""Line-oriented text (logs, shell output): units are lines, numbered from 1.

Kept lines are verbatim. Each run of dropped lines becomes one marker line in
place; when the run holds lines that carry an error signal
(`headroom.content.signals`), its marked summary says how many and where
(`errors: 3 at lines 412, 988, 1530`), whatever else it leaves out.

Stack traces (Python, Java/JVM, JavaScript, Go panics and goroutines, Rust
backtraces) are found as groups, so a compressor can keep them whole. Every
trace's anchors always survive: its header, its exception lines (Python's last
line, Java's first line and each `Caused by:`), its first and last frame (with
the line that names the frame's function, in Go and Rust, or shows its source, in
Python), and the error line that introduces it.
"""

from __future__ import annotations

import re

from headroom.content.base import Document
from headroom.content.signals import line_starts, per_line_error_signals, signal_entry
from headroom.content.templates import masked_lines
from headroom.markers import SummaryEntry, omitted, runs, summary, with_first_entry, with_markers

_FRAME = re.compile(
    r"""^\s+(?:at\s+\S|File\s+".*",\s+line\s+\d+)      # JVM / JS / .NET; Python
       |^\s+\S+\.(?:go|rs|py|js|ts|java|kt|rb|c|cc|cpp):\d+  # Go, Rust and friends
       |^\s+\d+:\s+0x[0-9a-f]+\s                             # Rust backtrace numbers
    """,
    re.VERBOSE,
)
_MORE = re.compile(r"^\s*\.\.\.\s+\d+\s+more\b")  # "... 12 more"
# The line naming a frame's function above its location: Rust's `  6: ledger::post`, Go's
# `main.(*Server).handle(0xc000012345)` and `created by net/http.(*Server).Serve in goroutine 1`.
_FRAME_NAME = re.compile(r"^\s+\d+: \S|^created by \S|^[^\s(][^\s(]*\(.*\)$")
_TRACE_START = re.compile(
    r"Traceback \(most recent call last\)|^\s*(?:Caused by:|Suppressed:|Exception in thread)"
    r"|goroutine \d+ \[|stack backtrace:"
)
_CAUSE = re.compile(r"^\s*(?:Caused by:|Suppressed:|Exception in thread)")
_GOROUTINE = re.compile(r"^goroutine \d+ \[")
# Go and Rust print the panic and its message, then the stack a few lines below.
_PANIC = re.compile(r"^(?:panic: |fatal error: |thread '[^']*' (?:\(\d+\) )?panicked at )")
PANIC_REACH = 4
_PYTHON_CODE_LINE = re.compile(r"^\s{4,}\S")
_PYTHON_CARETS = re.compile(r"^\s+[\^~]+\s*$")  # Python 3.11+ underlines the failing expression
_EXCEPTION_LINE = re.compile(r"^[\w.]+(?:Error|Exception|Exit|Interrupt|Warning)\b.*|^\w+(?:\.\w+)+: .+")
# A run's summary is written only when the run is at least this many times longer than the summary.
SUMMARY_MIN_RATIO = 3


class LinesDocument(Document):
    unit_name = "lines"
    first_number = 1

    def __init__(self, text: str):
        super().__init__(text, text.split("\n"))
        self._groups: list[range] | None = None
        self._errors: list[float] | None = None
        self._templates: list[str] | None = None

    @classmethod
    def parse(cls, text: str) -> LinesDocument:
        return cls(text)

    def render(self, keep: list[bool] | None, ref: str) -> str:
        if keep is None:
            return self.text
        return self.remember("render", (tuple(keep), ref), lambda: self._render(keep, ref))

    def _render(self, keep: list[bool], ref: str) -> str:
        total = len(self.units)
        spans = runs(keep)
        notes = dict(zip(spans, self.describe_runs(keep, spans), strict=True))
        signals = self.error_signals()

        def marker(first: int, last: int) -> str:
            text = omitted(self.unit_name, first + 1, last + 1, total, ref)
            note = notes[(first, last)]
            errors = signal_entry(signals, first, last, self.first_number, self.unit_name)
            always = ([errors] if errors else []) + self.required_entries(keep, first, last)
            # A summary is only worth its tokens next to a run several times its size; where the
            # errors are, and what `required_entries` gives, are worth them always.
            if note and len(note) * SUMMARY_MIN_RATIO <= self._chars(first, last):
                for entry in reversed(always):
                    note = with_first_entry(note, entry)
                text += " " + note
            elif always:
                text += " " + summary(last - first + 1, self.unit_name, always)
            return text

        return "\n".join(with_markers(keep, self.units, marker))

    def describe_runs(self, keep: list[bool], spans: list[tuple[int, int]]) -> list[str]:
        """A marked summary (`headroom.markers.summary`) of each dropped run, or "" for none.

        `keep` is the final mask, so a summary may point at kept lines ("like line 5")."""
        return [""] * len(spans)

    def required_entries(self, keep: list[bool], first: int, last: int) -> list[SummaryEntry]:
        """Summary entries a dropped run's marker carries whatever its size (a diff's hunk headers)."""
        return []

    def _chars(self, first: int, last: int) -> int:
        return sum(len(self.units[i]) + 1 for i in range(first, last + 1))

    def error_signals(self) -> list[float]:
        if self._errors is None:
            self._errors = per_line_error_signals(self.text, line_starts(self.units))
        return self._errors

    def groups(self) -> list[range]:
        if self._groups is None:
            self._groups = _find_traces(self.units)
        return self._groups

    def templates(self) -> list[str]:
        if self._templates is None:
            self._templates = masked_lines(self.text)
        return self._templates

    def anchors(self) -> set[int]:
        """Every trace's anchors (see `trace_anchors`)."""
        signals = self.error_signals()
        return {i for trace in self.groups() for i in trace_anchors(self.units, trace, signals)}


def trace_anchors(lines: list[str], trace: range, signals: list[float]) -> set[int]:
    """A trace's lines that must survive: its first line (a header or an exception line), its last
    (Python's exception line), each `Caused by:` and exception line within, its first and last frame
    with the line naming or showing the frame, and the error line just above it (`signals`: each line's
    error signal)."""
    anchors = {trace.start, trace.stop - 1}
    frames = [i for i in trace if _FRAME.match(lines[i])]
    for frame in frames[:1] + frames[-1:]:
        anchors.add(frame)
        if frame - 1 in trace and _FRAME_NAME.match(lines[frame - 1]):
            anchors.add(frame - 1)
        if frame + 1 in trace and _PYTHON_CODE_LINE.match(lines[frame + 1]) and 'File "' in lines[frame]:
            anchors.add(frame + 1)
    anchors.update(i for i in trace if _CAUSE.match(lines[i]))
    if _PANIC.match(lines[trace.start]):  # the panic's message, down to its stack
        for index in trace:
            if _TRACE_START.search(lines[index]):
                break
            if lines[index].strip():
                anchors.add(index)
    anchors.update(i for i in trace if _EXCEPTION_LINE.match(lines[i]))
    above = trace.start - 1
    if above >= 0 and lines[above].strip() and signals[above] >= 0.5:
        anchors.add(above)
    return anchors


def _in_trace(lines: list[str], index: int) -> bool:
    """A line that continues a trace: a frame, the line naming a frame or showing its source,
    "... 12 more", a Python caret line, or a blank line before the next goroutine."""
    line = lines[index]
    if _FRAME.match(line) or _MORE.match(line) or _TRACE_START.search(line):
        return True
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if _FRAME_NAME.match(line):
        # Rust numbers every frame; Go names it on the line above its location.
        return line[:1].isspace() or bool(_FRAME.match(following))
    if not line.strip():
        return bool(_GOROUTINE.match(following))
    previous = lines[index - 1] if index > 0 else ""
    # Python prints the source line under each `File "...", line N` frame, and may underline it.
    return bool(
        (_PYTHON_CODE_LINE.match(line) and 'File "' in previous)
        or (_PYTHON_CARETS.match(line) and _PYTHON_CODE_LINE.match(previous))
    )


def _is_frame(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _FRAME.match(line):
        return True
    # Python prints the source line under each `File "...", line N` frame.
    return index > 0 and bool(_PYTHON_CODE_LINE.match(line)) and 'File "' in lines[index - 1]


def _stack_below(lines: list[str], index: int) -> int | None:
    """The goroutine or backtrace line a few lines below a panic, if any."""
    for below in range(index + 1, min(len(lines), index + 1 + PANIC_REACH)):
        if _TRACE_START.search(lines[below]):
            return below
    return None


def _find_traces(lines: list[str]) -> list[range]:
    traces: list[range] = []
    index = 0
    total = len(lines)
    while index < total:
        line = lines[index]
        stack = _stack_below(lines, index) if _PANIC.match(line) else None
        if stack is None and not (
            _TRACE_START.search(line) or (index + 1 < total and _is_frame(lines, index + 1))
        ):
            index += 1
            continue
        end = (stack if stack is not None else index) + 1
        while end < total and _in_trace(lines, end):
            end += 1
        # Python closes a trace with the exception line itself.
        if end < total and _EXCEPTION_LINE.match(lines[end]):
            end += 1
        if end - index >= 2:
            traces.append(range(index, end))
        index = max(end, index + 1)
    return traces
