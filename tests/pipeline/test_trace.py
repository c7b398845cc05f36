"""trace=True: a snapshot after every stage, with tokens per stage, rows for pandas, HTML for notebooks."""

from __future__ import annotations

import pytest

from headroom import compress, load_pipeline, samples
from headroom.ccr.stores import MemoryStore
from headroom.pipeline.errors import UnknownOptionError
from headroom.pipeline.trace import Trace
from headroom.tokens import count_tokens


@pytest.fixture(scope="module")
def traced():
    return compress(samples.openai_conversation(), model="gpt-4o", trace=True, store=MemoryStore())


def test_no_trace_unless_asked() -> None:
    assert compress(samples.openai_conversation(), store=MemoryStore()).trace is None


def test_one_snapshot_per_stage_in_run_order(traced) -> None:
    trace: Trace = traced.trace
    assert trace.pipeline == "default"
    assert [s.stage_id for s in trace.stages] == load_pipeline("default").order
    assert all(len(s.blocks) == 4 for s in trace.stages)  # system, user, two tool outputs
    assert all(s.seconds >= 0 for s in trace.stages)


def test_snapshots_show_what_each_stage_decided(traced) -> None:
    trace: Trace = traced.trace
    classify = trace.stage("classify")
    assert [(b.message_index, b.label, b.protected) for b in classify.blocks] == [
        (0, "prose", "system text"),
        (1, "prose", "user text"),
        (3, "json_array", None),
        (4, "log", None),
    ]
    orders = {s.stage_id: s.blocks[2] for s in trace.stages}
    assert orders["classify"].scores is None and orders["score"].scores is not None
    assert orders["score"].pinned  # the failed record, the asked-for order
    assert orders["score"].dropped == [] and orders["score"].units == 300
    assert len(orders["crush_json"].kept) < 300
    assert len(orders["crush_json"].kept) + len(orders["crush_json"].dropped) == 300
    assert set(orders["score"].pinned) <= set(orders["crush_json"].kept)


def test_tokens_per_stage_fall_as_stages_cut(traced) -> None:
    trace: Trace = traced.trace
    tokens = dict(trace.tokens_per_stage())
    texts = [m["content"] for m in samples.openai_conversation() if isinstance(m["content"], str)]
    assert trace.tokens_input == sum(count_tokens(text, "gpt-4o") for text in texts)
    assert tokens["classify"] == tokens["score"]  # labelling and scoring change no text
    assert tokens["crush_log"] < tokens["score"] / 5
    assert 0 <= tokens["cache"] - tokens["budget"] <= 2 * 50  # cache adds one retrieval note per cut block
    message_tokens = [b.tokens for b in trace.stage("cache").blocks]
    expected = [count_tokens(m["content"], "gpt-4o") for i, m in enumerate(traced.messages) if i != 2]
    assert message_tokens == expected


def test_snapshots_are_the_same_every_run() -> None:
    runs = [compress(samples.openai_conversation(), trace=True, store=MemoryStore()).trace for _ in range(8)]
    assert all(run is not None for run in runs)
    first = [(s.stage_id, s.tokens, [b.kept for b in s.blocks]) for s in runs[0].stages]
    for run in runs[1:]:
        assert [(s.stage_id, s.tokens, [b.kept for b in s.blocks]) for s in run.stages] == first


def test_stage_lookup_names_the_stages_it_has(traced) -> None:
    with pytest.raises(KeyError, match=r"no stage 'nope' in this trace; stages: \['classify', 'score'"):
        traced.trace.stage("nope")


def test_rows_are_one_per_stage_and_block(traced) -> None:
    rows = traced.trace.rows()
    assert len(rows) == len(traced.trace.stages) * 4
    assert set(rows[0]) == {
        "stage",
        "use",
        "ms",
        "message",
        "block",
        "label",
        "candidates",
        "protected",
        "units",
        "kept",
        "dropped",
        "tokens",
    }
    crush = next(r for r in rows if r["stage"] == "crush_json" and r["message"] == 3)
    assert (
        crush["use"] == "crush.json.v1" and crush["units"] == 300 and crush["kept"] + crush["dropped"] == 300
    )


def test_html_repr_is_a_table_with_every_stage(traced) -> None:
    html = traced.trace._repr_html_()
    assert html.startswith("<div><b>default</b>: ") and html.endswith("</table></div>")
    assert html.count("<tr>") == 1 + len(traced.trace.stages)
    for stage in load_pipeline("default").order:
        assert f"<td>{stage}</td>" in html


def test_html_repr_escapes_names() -> None:
    trace = Trace("<script>alert(1)</script>")
    assert "<script>" not in trace._repr_html_()
    assert "&lt;script&gt;" in trace._repr_html_()


def test_the_trace_observes_the_run_and_changes_nothing_in_it() -> None:
    store = MemoryStore()
    messages = samples.openai_conversation()
    plain = compress(messages, store=store)
    again = compress(messages, store=store)  # a memo answers this one
    traced_again = compress(messages, store=store, trace=True)
    assert traced_again.messages == again.messages == plain.messages
    assert traced_again.transforms_applied == again.transforms_applied
    assert [stage.stage_id for stage in traced_again.trace.stages] == load_pipeline("default").order


def test_a_trace_can_ask_for_chosen_stages_alone() -> None:
    result = compress(samples.openai_conversation(), store=MemoryStore(), trace=["score", "budget"])
    assert [stage.stage_id for stage in result.trace.stages] == ["score", "budget"]


def test_a_trace_naming_no_stage_of_the_pipeline_raises_with_did_you_mean() -> None:
    with pytest.raises(TypeError, match=r'trace: no stage .scroe. .*did you mean "score"'):
        compress(samples.openai_conversation(), store=MemoryStore(), trace=["scroe"])


# overrides: a notebook injects one stage's output and sees what the rest of the pipeline makes of it


def _first_ten_records(block, state) -> None:
    from headroom.stages.selection import narrow_to

    narrow_to(block, state, set(range(10)), "injected")


def test_an_override_runs_instead_of_its_stage_and_the_trace_shows_it() -> None:
    result = compress(
        samples.openai_conversation(),
        trace=True,
        overrides={"crush_json": _first_ten_records},
        store=MemoryStore(),
    )
    crushed = result.trace.stage("crush_json")
    assert crushed.stage_name == "crush.json.v1 (overridden)"
    orders = crushed.blocks[2]
    # nothing of the crusher's own choice: the ten, and what the score stage pinned (always kept)
    assert set(orders.kept) == set(range(10)) | set(orders.pinned) and orders.pinned
    assert (
        result.trace.stage("budget").blocks[2].units == 300
    )  # the stages after it ran on the injected output


def test_an_overridden_run_leaves_the_callers_store_untouched() -> None:
    store = MemoryStore()
    normal = compress(samples.openai_conversation(), store=MemoryStore()).messages
    compress(samples.openai_conversation(), overrides={"crush_json": _first_ten_records}, store=store)
    assert len(store) == 0  # no originals, no memos: an experiment leaves nothing behind
    assert compress(samples.openai_conversation(), store=store).messages == normal


def test_an_override_that_fails_on_a_block_leaves_that_block_as_it_came() -> None:
    def broken(block, state) -> None:
        raise RuntimeError("injected failure")

    result = compress(samples.openai_conversation(), overrides={"crush_json": broken}, store=MemoryStore())
    original = samples.openai_conversation()
    assert result.messages[3] == original[3]  # the JSON tool output, as it came
    assert result.messages[4] != original[4]  # the log is still compressed
    assert any("injected failure" in failure for failure in result.failures)


def test_an_override_must_name_a_stage_and_be_a_function() -> None:
    with pytest.raises(UnknownOptionError, match='did you mean "crush_json"'):
        compress(samples.openai_conversation(), overrides={"crush_jsn": _first_ten_records})
    with pytest.raises(TypeError, match="overrides -> score: expected a function"):
        compress(samples.openai_conversation(), overrides={"score": [0.5]})
