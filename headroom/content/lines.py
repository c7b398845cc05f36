"""Line-oriented text (logs, shell output): units are lines, numbered from 1.

Kept lines are verbatim. Each run of dropped lines becomes one marker line in
place. Stack traces (Python, Java/JVM, JavaScript, Go, Rust) are found as
groups, so a compressor can keep them whole, and their first and last frames
are anchors that always survive.
"""

from __future__ import annotations

import re

from headroom.content.base import Document
from headroom.content.signals import line_starts, per_line_error_signals
from headroom.markers import omitted, runs, with_markers

_FRAME = re.compile(
    r"""^\s+(?:at\s+\S|File\s+".*",\s+line\s+\d+)      # JVM / JS / .NET; Python
       |^\s+\S+\.(?:go|rs|py|js|ts|java|kt|rb|c|cc|cpp):\d+  # Go, Rust and friends
       |^\s+\d+:\s+0x[0-9a-f]+\s                             # Rust backtrace numbers
       |^\s*\.\.\.\s+\d+\s+more\b                            # "... 12 more"
    """,
    re.VERBOSE,
)
_TRACE_START = re.compile(
    r"Traceback \(most recent call last\)|^\s*(?:Caused by:|Exception in thread)"
    r"|goroutine \d+ \[|stack backtrace:"
)
_PYTHON_CODE_LINE = re.compile(r"^\s{4,}\S")
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

        def marker(first: int, last: int) -> str:
            text = omitted(self.unit_name, first + 1, last + 1, total, ref)
            note = notes[(first, last)]
            # A summary is only worth its tokens next to a run several times its size.
            if note and len(note) * SUMMARY_MIN_RATIO <= self._chars(first, last):
                text += " " + note
            return text

        return "\n".join(with_markers(keep, self.units, marker))

    def describe_runs(self, keep: list[bool], spans: list[tuple[int, int]]) -> list[str]:
        """A marked summary (`headroom.markers.summary`) of each dropped run, or "" for none.

        `keep` is the final mask, so a summary may point at kept lines ("like line 5")."""
        return [""] * len(spans)

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

    def anchors(self) -> set[int]:
        """A trace's header, first frame, last frame and closing exception line."""
        anchors: set[int] = set()
        for trace in self.groups():
            frames = [i for i in trace if _FRAME.match(self.units[i])]
            anchors.add(trace.start)
            anchors.add(trace.stop - 1)
            if frames:
                anchors.update((frames[0], frames[-1]))
        return anchors


def _is_frame(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _FRAME.match(line):
        return True
    # Python prints the source line under each `File "...", line N` frame.
    return index > 0 and bool(_PYTHON_CODE_LINE.match(line)) and 'File "' in lines[index - 1]


def _find_traces(lines: list[str]) -> list[range]:
    traces: list[range] = []
    index = 0
    total = len(lines)
    while index < total:
        starts_trace = bool(_TRACE_START.search(lines[index]))
        next_is_frame = index + 1 < total and _is_frame(lines, index + 1)
        if not (starts_trace or next_is_frame):
            index += 1
            continue
        end = index + 1
        while end < total and (_is_frame(lines, end) or _TRACE_START.search(lines[end])):
            end += 1
        # Python closes a trace with the exception line itself.
        if end < total and _EXCEPTION_LINE.match(lines[end]):
            end += 1
        if end - index >= 2:
            traces.append(range(index, end))
        index = max(end, index + 1)
    return traces
