"""Property tests: every table rendering decodes to the same values; summaries read back; JSON object
renderings stay valid JSON of the kept values; prose and table renderings keep lines verbatim."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from headroom.content.json_array import JsonArrayDocument, decode_items, decode_table
from headroom.content.json_object import JsonObjectDocument
from headroom.content.prose import ProseDocument
from headroom.markers import MARKER_PATTERN, find_markers, find_summaries, summary

REF = "0123456789abcdef"
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
keys = st.sampled_from(["id", "name", "status", "n", "a b", "é", ""])


@st.composite
def nearly_uniform(draw: st.DrawFn) -> list[dict[str, object]]:
    columns = draw(st.lists(keys, min_size=1, max_size=5, unique=True))
    count = draw(st.integers(min_value=2, max_value=25))
    rows = []
    for _ in range(count):
        row = {key: draw(values) for key in columns if draw(st.integers(0, 9)) > 0}
        if draw(st.integers(0, 12)) == 0:
            row["extra"] = draw(values)  # another shape now and then
        rows.append(row)
    return rows


@settings(max_examples=40, deadline=None)
@given(nearly_uniform(), st.data())
def test_every_table_decodes_to_the_same_values(rows: list[dict[str, object]], data: st.DataObject) -> None:
    document = JsonArrayDocument.parse(json.dumps(rows))
    assert document is not None
    document.encoding = "table"
    document.whole_rows = frozenset(data.draw(st.sets(st.integers(0, len(rows) - 1), max_size=3)))
    rendered = document.render(None, REF)
    if document.table_columns() is None:
        assert json.loads(rendered) == rows
        return
    assert decode_table(rendered) == rows
    keep = data.draw(st.lists(st.booleans(), min_size=len(rows), max_size=len(rows)))
    decoded = decode_items(document.render(keep, REF))
    kept = [item for item in decoded if not (isinstance(item, str) and find_markers(item))]
    assert kept == [row for row, k in zip(rows, keep, strict=True) if k]


summary_scalars = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=10))


@settings(max_examples=80, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=10),
        st.one_of(
            st.lists(st.tuples(summary_scalars, st.integers(1, 500)), min_size=1, max_size=4),
            st.tuples(summary_scalars, summary_scalars),
        ),
        max_size=5,
    )
)
def test_summaries_read_back(entries: dict[str, object]) -> None:
    text = summary(9, "items", list(entries.items()))  # type: ignore[arg-type]
    (found,) = find_summaries(f"x {text} y")
    assert found.entries == entries


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.text(max_size=6), values, min_size=1, max_size=6), st.data())
def test_object_renderings_stay_json_and_keep_kept_values(
    value: dict[str, object], data: st.DataObject
) -> None:
    value = {"items": [value] * 40, "name": "x"}
    document = JsonObjectDocument.parse(json.dumps(value))
    assert document is not None
    keep = data.draw(st.lists(st.booleans(), min_size=len(document.units), max_size=len(document.units)))
    parsed = json.loads(document.render(keep, REF))
    assert parsed["name"] == "x"  # a small field of a record is never dropped
    if isinstance(parsed["items"], str):  # the whole array elided in place
        (marker,) = find_markers(parsed["items"])
        assert (marker.unit, marker.total, marker.path) == ("items", 40, "$.items")
        return
    for item in parsed["items"]:
        assert item == value["items"][0] or (isinstance(item, str) and find_markers(item))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(["# Title", "## Part", "text line.", "", "```", "- item", "more words here"]),
        min_size=3,
        max_size=60,
    ),
    st.data(),
)
def test_prose_renderings_keep_lines_verbatim(lines: list[str], data: st.DataObject) -> None:
    text = "\n".join(lines)
    document = ProseDocument.parse(text)
    assert document is not None
    covered = [line for chunk in document.chunks for line in range(chunk.start, chunk.stop)]
    assert covered == list(range(len(lines)))
    keep = data.draw(st.lists(st.booleans(), min_size=len(lines), max_size=len(lines)))
    out = document.render(keep, REF).split("\n")
    assert [line for line in out if not MARKER_PATTERN.fullmatch(line)] == [
        text_line for text_line, k in zip(lines, keep, strict=True) if k
    ]
