"""Logs: lines, each with a template (the line with its variable fields masked).

Lines that differ only in numbers, IDs, hex, UUIDs, IPs or timestamps share a
template. A template's middle instances are *repeats*: the first and last
instance say what the others say, so a compressor need not keep the others
for their own sake (nor the lines around them). A stack trace repeated line for
line is a repeat too: it keeps its anchors (`headroom.content.lines`), not its
every frame, unless so many traces repeat that their anchors alone would be
too many signal units (`headroom.content.signals.signal_limit`): then only the
first and last trace of each shape keep theirs. Error lines are a matter for
the score stage, which keeps them all while they are few (`kept_signals`).

A dropped run's marker carries a marked summary: where its error lines are, how
many of its lines are like which kept line, and the range or counts of their
varying fields:

    [headroom: omitted lines 6-398 of 2000; hash=...] [headroom: summary of 393 omitted lines:
    errors: 2 at lines 120, 388; same_shape_as_line: 5 x393; time: 08:00:01..08:06:34; status: 200 x393]

(on one line).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from headroom.content.lines import LinesDocument, trace_anchors
from headroom.content.signals import signal_limit
from headroom.content.templates import MASK, field_values, summarize_fields
from headroom.markers import Scalar, SummaryEntry, summary

# A template must have this many instances before its middle ones count as repeats.
MIN_INSTANCES_FOR_REPEATS = 3
# A summary names the kept lines its run is like only when there are at most this many.
MAX_EXAMPLES_PER_SUMMARY = 6
# Anomalies: a field value this rare within a template seen this often.
ANOMALY_MIN_INSTANCES = 20
ANOMALY_MAX_DISTINCT = 12


class LogDocument(LinesDocument):
    def __init__(self, text: str):
        super().__init__(text)
        self._ids: list[int] | None = None
        self._repeats: set[int] | None = None
        self._anomalies: list[float] | None = None
        self._trace_repeats: set[int] | None = None
        self._values: list[list[str]] | None = None

    @classmethod
    def parse(cls, text: str) -> LogDocument:
        return cls(text)

    # templates -------------------------------------------------------------------

    def values(self) -> list[list[str]]:
        """Each line's field values, from one pass over the text."""
        if self._values is None:
            self._values = field_values(self.text, self.templates())
        return self._values

    def template_ids(self) -> list[int]:
        """Each line's template as a small integer, numbered in order of first appearance."""
        if self._ids is None:
            numbering: dict[str, int] = {}
            self._ids = [numbering.setdefault(template, len(numbering)) for template in self.templates()]
        return self._ids

    def repeats(self) -> set[int]:
        """Lines that are neither the first nor the last instance of a template seen 3+ times,
        and every line of a trace that repeats an earlier and a later trace line for line."""
        if self._repeats is None:
            self._repeats = _middle_instances(self.template_ids()) | self._repeated_trace_lines()
        return self._repeats

    def trace_is_repeat(self, trace: range) -> bool:
        """Whether a trace repeats an earlier and a later one line for line (by template)."""
        return trace.start in self._repeated_trace_starts()

    def _repeated_trace_starts(self) -> set[int]:
        if self._trace_repeats is None:
            ids = self.template_ids()
            traces = self.groups()
            middle = _middle_instances([tuple(ids[i] for i in trace) for trace in traces])
            self._trace_repeats = {traces[position].start for position in middle}
        return self._trace_repeats

    def _repeated_trace_lines(self) -> set[int]:
        starts = self._repeated_trace_starts()
        return {i for trace in self.groups() if trace.start in starts for i in trace}

    # signals ---------------------------------------------------------------------

    def anchors(self) -> set[int]:
        """Every trace's anchors; when there would be more than `signal_limit` of them, a repeated
        trace's only where it is the first or last of its shape."""
        signals = self.error_signals()
        per_trace = [(trace, trace_anchors(self.units, trace, signals)) for trace in self.groups()]
        collapse = sum(len(found) for _, found in per_trace) > signal_limit(len(self.units))
        return {
            i for trace, found in per_trace if not (collapse and self.trace_is_repeat(trace)) for i in found
        }

    def anomaly_signals(self) -> list[float]:
        """0.7 for a line whose field holds a rare value among many lines of its template
        (one `500` among two thousand `200`s)."""
        if self._anomalies is None:
            self._anomalies = self._rare_field_values()
        return self._anomalies

    def _rare_field_values(self) -> list[float]:
        signals = [0.0] * len(self.units)
        ids = self.template_ids()
        templates = self.templates()
        members: dict[int, list[int]] = defaultdict(list)
        for index, template_id in enumerate(ids):
            if MASK in templates[index]:
                members[template_id].append(index)
        for lines in members.values():
            if len(lines) < ANOMALY_MIN_INSTANCES:
                continue
            values = [self.values()[i] for i in lines]
            rare_limit = max(1, len(lines) // 50)
            for position in range(len(values[0])):
                column = Counter(row[position] for row in values)
                if not 2 <= len(column) <= ANOMALY_MAX_DISTINCT:
                    continue
                for line, row in zip(lines, values, strict=True):
                    if column[row[position]] <= rare_limit:
                        signals[line] = 0.7
        return signals

    # summaries -------------------------------------------------------------------

    def describe_runs(self, keep: list[bool], spans: list[tuple[int, int]]) -> list[str]:
        ids = self.template_ids()
        example: dict[int, int] = {}
        for index, kept in enumerate(keep):
            if kept:
                example.setdefault(ids[index], index)
        return [self._describe(first, last, example) for first, last in spans]

    def _describe(self, first: int, last: int, example: dict[int, int]) -> str:
        ids = self.template_ids()
        templates = self.templates()
        like = Counter(example[ids[i]] + 1 for i in range(first, last + 1) if ids[i] in example)
        entries: list[SummaryEntry] = []
        if like and len(like) <= MAX_EXAMPLES_PER_SUMMARY:
            examples: list[tuple[Scalar, int]] = list(like.most_common())
            entries.append(("same_shape_as_line", examples))
        entries.extend(
            summarize_fields(templates[first : last + 1], self.values()[first : last + 1], max_keys=3)
        )
        return summary(last - first + 1, self.unit_name, entries) if entries else ""


def _middle_instances(keys: list[int] | list[tuple[int, ...]]) -> set[int]:
    """Positions whose key occurs 3+ times and that are neither its first nor its last occurrence."""
    positions: dict[object, list[int]] = defaultdict(list)
    for position, key in enumerate(keys):
        positions[key].append(position)
    middle: set[int] = set()
    for found in positions.values():
        if len(found) >= MIN_INSTANCES_FOR_REPEATS:
            middle.update(found[1:-1])
    return middle
