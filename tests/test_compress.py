"""compress() and acompress(): table-driven pipeline runs, user pipelines changing behaviour, options."""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import anyio
import orjson
import pytest

import headroom
from headroom import acompress, compress, samples
from headroom.ccr.stores import MemoryStore
from headroom.content.json_array import decode_items
from headroom.markers import find_markers
from headroom.pipeline import registry
from headroom.pipeline.errors import ConfigurationError, InputError, PipelineSpecError, UnknownPipelineError
from headroom.pipeline.loading import load_pipeline
from headroom.tokens import count_message_tokens
from tests.helpers import (
    PIPELINES,
    anthropic_tool_turn,
    kept_records,
    openai_tool_turn,
    record_parse_and_tokenizer_threads,
    tool_text,
)

REFERENCE_ORDER = ["classify", "score", "crush_json", "crush_log", "budget", "cache"]
SMALL = [{"id": 1, "kind": "order", "ok": True}, {"id": 2, "kind": "order", "ok": False}]
UNIFORM = [{"id": i, "kind": "order", "amount": i * 10} for i in range(40)]
RECORDS, FAILED = samples.json_records()
LOG, FACTS = samples.application_log()
FAILED_JSON = orjson.dumps(FAILED).decode()


def incident(records_as: str = "pretty") -> list[dict[str, Any]]:
    messages = samples.openai_conversation()
    if records_as == "minified":
        messages[3]["content"] = json.dumps(RECORDS, separators=(",", ":"))
    return messages


def replaced(messages: list[dict[str, Any]], index: int, content: str) -> list[dict[str, Any]]:
    expected = copy.deepcopy(messages)
    expected[index]["content"] = content
    return expected


def survives_needles(result: headroom.CompressResult) -> None:
    orders, log = result.messages[3]["content"], result.messages[4]["content"]
    assert FAILED_JSON in orders
    assert FACTS["request_id"] in log
    for frame in FACTS["trace_first_frames"] + FACTS["trace_last_frames"]:
        assert frame in log


def lossless_values(result: headroom.CompressResult) -> None:
    # A faithful re-encoding (minified JSON or the compact table) decodes to the same records.
    assert decode_items(result.messages[3]["content"]) == RECORDS
    assert result.messages[4]["content"] == LOG
    assert not any(find_markers(m["content"] or "") for m in result.messages)
    assert "omitted" not in json.dumps(result.messages)


@dataclass
class Case:
    pipeline: str  # a file in tests/pipelines/ or a shipped name
    messages: list[dict[str, Any]]
    expected: list[dict[str, Any]] | Callable[[headroom.CompressResult], None]
    order: list[str]


def case_messages() -> dict[str, Case]:
    pretty_small = openai_tool_turn(json.dumps(SMALL, indent=2))
    uniform = openai_tool_turn(json.dumps(UNIFORM, indent=2))
    table = "\n".join(
        [
            '[headroom: table of 40 items; columns=["id","amount"] constant={"kind":"order"}; '
            "each row is one item's values as JSON, without brackets]",
            *(f"{i},{i * 10}" for i in range(40)),
        ]
    )
    return {
        "classify only changes nothing": Case("classify_only.yaml", incident(), incident(), ["classify"]),
        "lossless JSON is minified": Case(
            "json_minify.yaml",
            pretty_small,
            replaced(pretty_small, 3, json.dumps(SMALL, separators=(",", ":"))),
            ["classify", "crush_json"],
        ),
        "anthropic JSON is minified in place": Case(
            "json_minify.yaml",
            anthropic_tool_turn(json.dumps(SMALL, indent=2)),
            lambda r: _assert_anthropic_minified(r),
            ["classify", "crush_json"],
        ),
        "uniform records become a table": Case(
            "json_table.yaml", uniform, replaced(uniform, 3, table), ["classify", "crush_json"]
        ),
        "a table bigger than the input is not used": Case(
            "json_table.yaml",
            openai_tool_turn(json.dumps(SMALL, separators=(",", ":"))),
            openai_tool_turn(json.dumps(SMALL, separators=(",", ":"))),
            ["classify", "crush_json"],
        ),
        "the reference pipeline keeps the needles": Case(
            "reference.yaml", incident(), survives_needles, REFERENCE_ORDER
        ),
        "budget before the crushers still keeps the needles": Case(
            "budget_first.yaml",
            incident(),
            survives_needles,
            ["classify", "score", "budget", "crush_json", "crush_log", "cache"],
        ),
        "lossless drops nothing": Case(
            "lossless_json.yaml", incident(), lossless_values, ["classify", "crush_json", "cache"]
        ),
        "without score": Case(
            "no_score.yaml",
            incident(),
            lambda r: None,
            ["classify", "crush_json", "crush_log", "budget", "cache"],
        ),
        "score switched off": Case(
            "score_disabled.yaml",
            incident(),
            lambda r: None,
            ["classify", "crush_json", "crush_log", "budget", "cache"],
        ),
    }


def _assert_anthropic_minified(result: headroom.CompressResult) -> None:
    assert result.messages[2]["content"][0]["content"] == json.dumps(SMALL, separators=(",", ":"))
    assert result.messages[2]["content"][0]["tool_use_id"] == "toolu_1"


CASES = case_messages()


def pipeline_arg(name: str) -> Any:
    return PIPELINES / name if name.endswith(".yaml") else name


@pytest.mark.parametrize("name", list(CASES))
def test_pipeline_table(name: str) -> None:
    case = CASES[name]
    before = copy.deepcopy(case.messages)
    result = compress(case.messages, pipeline=pipeline_arg(case.pipeline), trace=True, store=MemoryStore())
    assert case.messages == before
    assert result.failures == []
    assert result.trace is not None
    assert [stage.stage_id for stage in result.trace.stages] == case.order
    if callable(case.expected):
        case.expected(result)
    else:
        assert result.messages == case.expected


# User pipelines change behaviour with no code change. ---------------------------------------------


def test_without_score_what_the_user_asked_about_is_no_longer_pinned() -> None:
    # Needles come from score alone: without it, an ordinary record or log line the user names is
    # no longer kept on purpose (what a crusher finds on its own, like stack traces, stays).
    log_lines = incident()[4]["content"].split("\n")
    line = log_lines[1234]
    rid = line.rsplit("rid=", 1)[1]
    assert sum(rid in other for other in log_lines) == 1 and "INFO" in line
    record = orjson.dumps(RECORDS[42]).decode()
    asked = f"what about order {RECORDS[42]['id']} and request {rid}?"
    with_score = compress(incident(), user_query=asked, store=MemoryStore())
    without = compress(
        incident(), user_query=asked, pipeline=PIPELINES / "no_score.yaml", store=MemoryStore()
    )
    assert record in with_score.messages[3]["content"]
    assert line in with_score.messages[4]["content"].split("\n")
    assert record not in without.messages[3]["content"]
    assert line not in without.messages[4]["content"].split("\n")
    for frame in FACTS["trace_first_frames"] + FACTS["trace_last_frames"]:
        assert frame in without.messages[4]["content"]


def test_enabled_false_gives_the_same_output_as_leaving_the_stage_out() -> None:
    disabled = compress(incident(), pipeline=PIPELINES / "score_disabled.yaml", store=MemoryStore())
    removed = compress(incident(), pipeline=PIPELINES / "no_score.yaml", store=MemoryStore())
    default = compress(incident(), store=MemoryStore())
    assert orjson.dumps(disabled.messages) == orjson.dumps(removed.messages)
    assert disabled.messages != default.messages


def test_budget_first_cuts_before_the_crushers() -> None:
    result = compress(incident(), pipeline=PIPELINES / "budget_first.yaml", store=MemoryStore())
    assert result.transforms_applied[0].startswith("budget.v1:items 300->")
    assert any(
        t.startswith("crush.json.v1:items ") and not t.startswith("crush.json.v1:items 300->")
        for t in result.transforms_applied
    )
    assert result.compression_ratio > 0.8


@pytest.mark.parametrize("records_as", ["pretty", "minified"])
def test_lossless_drops_nothing(records_as: str) -> None:
    result = compress(incident(records_as), pipeline="lossless", store=MemoryStore())
    lossless_values(result)
    if records_as == "pretty":
        assert result.tokens_after < result.tokens_before  # minifying still saves
    notes = result.transforms_applied
    assert notes in ([], ["crush.json.v1:items 300->300 (json)"], ["crush.json.v1:items 300->300 (table)"])
    if records_as == "pretty":
        assert notes, "minifying a pretty-printed array is a re-encoding worth reporting"


def test_aggressive_keeps_less_than_default() -> None:
    default = compress(incident(), store=MemoryStore())
    aggressive = compress(incident(), pipeline="aggressive", store=MemoryStore())
    assert aggressive.tokens_after < default.tokens_after
    kept = [kept_records(r.messages[3]["content"]) for r in (default, aggressive)]
    assert kept[1] < kept[0]
    lines = [len(r.messages[4]["content"].split("\n")) for r in (default, aggressive)]
    assert lines[1] < lines[0]
    survives_needles(aggressive)


def test_pipeline_as_a_dict_a_path_string_and_an_object() -> None:
    raw = {"version": 1, "name": "inline", "stages": {"classify": {"use": "classify.v1"}}}
    assert compress(incident(), pipeline=raw).pipeline == "inline"
    assert compress(incident(), pipeline=str(PIPELINES / "classify_only.yaml")).pipeline == "classify_only"
    assert (
        compress(incident(), pipeline=load_pipeline("lossless"), store=MemoryStore()).pipeline == "lossless"
    )


# The result. ------------------------------------------------------------------------------------


def test_result_figures_are_exact_tokens_of_the_messages() -> None:
    messages = incident()
    result = compress(messages, model="gpt-4o", store=MemoryStore())
    assert result.tokens_before == count_message_tokens(messages, "gpt-4o")
    assert result.tokens_after == count_message_tokens(result.messages, "gpt-4o")
    assert result.tokens_saved == result.tokens_before - result.tokens_after
    assert result.compression_ratio == pytest.approx(result.tokens_saved / result.tokens_before)
    assert result.pipeline == "default"
    assert result.seconds > 0
    assert result.transforms_applied == [
        t for t in result.transforms_applied if t.startswith(("crush.", "budget.", "cache."))
    ]
    assert len(result.transforms_applied) >= 2


def test_markers_retrieve_the_original_through_the_default_store() -> None:
    result = compress(incident())  # no store given: the process-wide default
    for message, original in zip(result.messages[3:], incident()[3:], strict=True):
        markers = find_markers(message["content"])
        assert markers
        assert {m.hash for m in markers} == {markers[0].hash}
        assert headroom.retrieve(markers[0].hash) == original["content"]


def test_user_query_overrides_the_last_user_turn() -> None:
    plain = compress(incident(), store=MemoryStore())
    asked = compress(incident(), user_query="what about order ord-10042?", store=MemoryStore())
    needle = orjson.dumps(RECORDS[42]).decode()
    assert needle not in plain.messages[3]["content"]
    assert needle in asked.messages[3]["content"]


def test_max_tokens_option_shrinks_the_output() -> None:
    loose = compress(incident(), store=MemoryStore())
    assert loose.tokens_after > 2000
    tight = compress(incident(), max_tokens=1500, store=MemoryStore())
    assert tight.tokens_after < 0.75 * loose.tokens_after
    # About the budget: markers and pinned units cost a little more (the overall fit shrinks kept units
    # in one proportional pass and does not count the markers that adds).
    assert tight.tokens_after <= 1.35 * 1500
    assert FAILED_JSON in tight.messages[3]["content"]  # pinned units survive any budget
    tiny = compress(incident(), max_tokens=10, store=MemoryStore())
    survives_needles(tiny)  # however small the budget, pinned units stay


def test_target_ratio_option_is_passed_to_the_budget() -> None:
    log_only = openai_tool_turn(LOG)
    small = compress(
        log_only, target_ratio=0.05, pipeline=PIPELINES / "budget_first.yaml", store=MemoryStore()
    )
    large = compress(
        log_only, target_ratio=0.5, pipeline=PIPELINES / "budget_first.yaml", store=MemoryStore()
    )
    assert small.tokens_after < large.tokens_after


def test_the_other_messages_are_passed_through_untouched() -> None:
    messages = samples.anthropic_conversation()
    result = compress(messages, model="claude-sonnet-4-5", store=MemoryStore())
    assert result.messages[0] is messages[0]  # the user's turn, with its image
    assert result.messages[1] is messages[1]
    assert result.messages[2]["content"][1]["cache_control"] == {"type": "ephemeral"}
    assert tool_text(result.messages) != tool_text(messages)


# Failing open, unless strict. --------------------------------------------------------------------------


# A configuration that cannot work raises at the call site, whatever `strict` says. ----------------


@pytest.mark.parametrize("strict", [False, True])
def test_an_unknown_pipeline_raises(strict: bool) -> None:
    with pytest.raises(UnknownPipelineError, match=r"no pipeline file 'nope'"):
        compress(incident(), pipeline="nope", strict=strict)


BROKEN = """\
version: 1
name: broken
stages:
  classify: {use: classify.v1, after: [budget], params: {min_tokens: lots}}
  score: {use: scroe.v1, after: [classify]}
  budget: {use: budget.v1, after: [classify]}
"""


@pytest.mark.parametrize("strict", [False, True])
def test_a_broken_pipeline_file_raises_with_every_problem_listed(tmp_path: Path, strict: bool) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    with pytest.raises(PipelineSpecError) as info:
        compress(incident(), pipeline=str(path), strict=strict)
    text = str(info.value)
    assert "min_tokens: Input should be a valid integer" in text
    assert """unknown stage 'scroe.v1' (did you mean "score.v1"?)""" in text
    assert "the stages form a cycle: " in text
    with pytest.raises(PipelineSpecError):
        anyio.run(lambda: acompress(incident(), pipeline=str(path), strict=strict))


def test_bad_data_still_fails_open_with_a_good_configuration() -> None:
    messages = [*incident(), {"role": "tool", "content": 42}, "not a message"]
    result = compress(messages)
    assert result.failures and result.messages[-1] == "not a message"


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"max_token": 10}, TypeError, r'max_token.*did you mean "max_tokens"'),
        ({"target_ration": 0.5}, TypeError, r'did you mean "target_ratio"'),
        ({"sesion": "abc"}, TypeError, r'did you mean "session"'),
        ({"nothing_like_it": 1}, TypeError, r"options: max_tokens, session, target_ratio"),
        ({"max_tokens": "10"}, TypeError, r"max_tokens must be a whole number of tokens, not str"),
        ({"max_tokens": 0}, ValueError, r"max_tokens must be positive"),
        ({"target_ratio": 1.5}, ValueError, r"target_ratio must be in \(0, 1\]"),
        ({"namespace": ""}, ValueError, r"namespace must be 1 to 200 characters"),
        ({"namespace": 7}, TypeError, r"namespace must be a string"),
    ],
)
def test_an_unknown_option_or_a_bad_value_raises_at_the_call_site(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        compress(incident(), **options)
    with pytest.raises(error, match=message):
        anyio.run(lambda: acompress(incident(), **options))


def test_an_unknown_option_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        compress(incident(), max_token=10)


def test_a_none_option_is_the_default_in_output_and_in_every_key() -> None:
    store = MemoryStore()
    plain = compress(incident(), store=store)
    explicit = compress(incident(), store=MemoryStore(), max_tokens=None, target_ratio=None)
    assert explicit.messages == plain.messages
    again = compress(incident(), store=store, max_tokens=None)
    assert "cache.v1:as sent before" in again.transforms_applied  # the same session, not a new one


@pytest.mark.parametrize("messages", [None, "hello", 42, {"role": "user", "content": "hi"}])
def test_a_non_list_is_returned_as_is_or_raises_input_error_in_strict_mode(messages: Any) -> None:
    result = compress(messages)
    assert result.messages == messages
    assert result.failures == [f"input: messages is {type(messages).__name__}, not a list; passed through"]
    assert result.tokens_before == result.tokens_after == 0
    with pytest.raises(
        InputError, match=rf"messages must be a list of message objects, not {type(messages).__name__}"
    ):
        compress(messages, strict=True)


def test_skipped_messages_are_reported() -> None:
    messages = [*incident(), {"role": "robot", "content": "beep"}, 7]
    result = compress(messages, store=MemoryStore())
    assert "message 5: unknown role 'robot', passed through" in result.failures
    assert "message 6: not an object (int), passed through" in result.failures
    assert result.messages[5:] == messages[5:]
    assert result.tokens_after < result.tokens_before


# Sync inside async, and async. -------------------------------------------------------------------------


def test_compress_works_inside_a_running_asyncio_loop() -> None:
    async def handler() -> headroom.CompressResult:
        asyncio.get_running_loop()  # we are inside a loop, as in Jupyter or FastAPI
        return compress(incident(), store=MemoryStore())

    result = asyncio.run(handler())
    survives_needles(result)
    assert result.compression_ratio > 0.8


def test_compress_works_inside_anyio_run() -> None:
    async def handler() -> headroom.CompressResult:
        return compress(incident(), store=MemoryStore())

    assert anyio.run(handler).compression_ratio > 0.8


def test_acompress_gives_the_same_bytes_as_compress() -> None:
    async def handler() -> headroom.CompressResult:
        return await acompress(incident(), store=MemoryStore())

    awaited = anyio.run(handler)
    synced = compress(incident(), store=MemoryStore())
    assert orjson.dumps(awaited.messages) == orjson.dumps(synced.messages)
    assert awaited.transforms_applied == synced.transforms_applied


def test_concurrent_acompress_calls_do_not_interfere() -> None:
    async def both() -> list[headroom.CompressResult]:
        results: list[headroom.CompressResult] = []

        async def one(messages: list[dict[str, Any]]) -> None:
            results.append(await acompress(messages, store=MemoryStore()))

        async with anyio.create_task_group() as group:
            group.start_soon(one, incident())
            group.start_soon(one, incident("minified"))
        return results

    results = anyio.run(both)
    assert len(results) == 2
    for result in results:
        survives_needles(result)


# The caller's event loop never runs compression work. ------------------------------------------------


# A request of about 40,000 characters: small requests once ran on the caller's loop.
MID_SIZED = openai_tool_turn(LOG[: LOG.index("\n", 40_000)], "Which requests failed?")
PROBE_PIPELINE = {
    "version": 1,
    "name": "probe",
    "stages": {
        "classify": {"use": "classify.v1"},
        "probe": {"use": "test.thread-probe.v1", "after": ["classify"]},
    },
}


class _ThreadProbe(headroom.Stage):
    """Records the thread each block's work runs in."""

    name = "test.thread-probe.v1"
    requires = frozenset({"labels"})
    threads: ClassVar[list[int]] = []

    def process_block(self, block: Any, state: Any) -> None:
        _ThreadProbe.threads.append(threading.get_ident())


@pytest.fixture
def thread_probe() -> Iterator[type[_ThreadProbe]]:
    registry.names()
    registry.register(_ThreadProbe.name)(_ThreadProbe)
    _ThreadProbe.threads = []
    yield _ThreadProbe
    registry._stages.pop(_ThreadProbe.name, None)


@pytest.fixture
def parse_and_tokenizer_threads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    return record_parse_and_tokenizer_threads(monkeypatch)


def test_acompress_runs_no_stage_on_the_callers_event_loop(thread_probe) -> None:
    async def on_the_loop() -> int:
        await acompress(MID_SIZED, pipeline=PROBE_PIPELINE, store=MemoryStore())
        return threading.get_ident()

    loop_thread = anyio.run(on_the_loop)
    assert len(thread_probe.threads) == 1  # the tool output
    assert loop_thread not in thread_probe.threads


def test_acompress_parses_and_counts_tokens_off_the_callers_event_loop(parse_and_tokenizer_threads) -> None:
    async def on_the_loop() -> tuple[int, int]:
        result = await acompress(MID_SIZED, store=MemoryStore())
        await result.acount_tokens()
        return threading.get_ident(), result.tokens_saved  # read after counting: nothing runs here

    loop_thread, saved = anyio.run(on_the_loop)
    assert saved > 0
    kinds = {what for what, _ in parse_and_tokenizer_threads}
    assert kinds == {"parse", "tokenizer"}
    assert all(thread != loop_thread for _, thread in parse_and_tokenizer_threads)


def test_hooks_run_on_the_callers_event_loop_while_the_work_runs_off_it(thread_probe) -> None:
    seen: list[tuple[str, asyncio.AbstractEventLoop, int]] = []

    class Where(headroom.CompressionHooks):
        async def pre_compress(self, messages, ctx, **kwargs):
            seen.append(("pre_compress", asyncio.get_running_loop(), threading.get_ident()))
            return messages

        def compute_biases(self, messages, ctx, **kwargs):
            seen.append(("compute_biases", asyncio.get_running_loop(), threading.get_ident()))
            return {}

        async def post_compress(self, event, **kwargs):
            seen.append(("post_compress", asyncio.get_running_loop(), threading.get_ident()))

    async def on_the_loop() -> tuple[asyncio.AbstractEventLoop, int]:
        await acompress(MID_SIZED, pipeline=PROBE_PIPELINE, hooks=Where(), store=MemoryStore())
        return asyncio.get_running_loop(), threading.get_ident()

    loop, loop_thread = asyncio.run(on_the_loop())
    assert [name for name, _, _ in seen] == ["pre_compress", "compute_biases", "post_compress"]
    assert all(hook_loop is loop and thread == loop_thread for _, hook_loop, thread in seen)
    assert thread_probe.threads and loop_thread not in thread_probe.threads


def test_a_hook_failure_thrown_back_into_the_run_is_reported_as_before() -> None:
    class Failing(headroom.CompressionHooks):
        async def compute_biases(self, messages, ctx, **kwargs):
            raise RuntimeError("no weights today")

    async def run() -> headroom.CompressResult:
        return await acompress(incident(), hooks=Failing(), store=MemoryStore())

    result = anyio.run(run)
    assert any("compute_biases" in failure and "no weights today" in failure for failure in result.failures)
    assert result.compression_ratio > 0.8  # the rest of the run went on


def test_concurrent_acompress_calls_share_a_bounded_number_of_worker_threads(thread_probe) -> None:
    from headroom import workers

    active = 0
    most = 0
    lock = threading.Lock()

    def busy(self: Any, block: Any, state: Any) -> None:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        time.sleep(0.02)  # releases the interpreter: unbounded runs would overlap here
        with lock:
            active -= 1

    async def many() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(8):
                group.start_soon(lambda: acompress(MID_SIZED, pipeline=PROBE_PIPELINE, store=MemoryStore()))

    original = _ThreadProbe.process_block
    _ThreadProbe.process_block = busy  # type: ignore[method-assign]
    try:
        anyio.run(many)
    finally:
        _ThreadProbe.process_block = original  # type: ignore[method-assign]
    assert 1 <= most <= workers.WORKER_THREADS


def test_warm_loads_the_tokenizer_and_every_stage_of_the_pipeline(parse_and_tokenizer_threads) -> None:
    headroom.warm("gpt-4o", "default")
    assert ("tokenizer", threading.get_ident()) in parse_and_tokenizer_threads
    assert all(entry.instance is not None for entry in load_pipeline("default").entries.values())


def test_a_change_that_would_cost_tokens_is_not_made() -> None:
    """Found by the fuzz suite: four one-line cuts in a 2,300-character grep output saved 4% of the
    characters, and the markers and the retrieval note cost more tokens than the lines they replaced."""
    lines = (
        (Path(__file__).parent / "fixtures" / "tool_output" / "grep_context_timeout.txt")
        .read_text(encoding="utf-8")
        .split("\n")
    )
    output = "\n".join(lines[196:256])[:2304]
    messages = [
        {"role": "user", "content": "What failed?"},
        {"role": "tool", "tool_call_id": "a", "content": output},
    ]

    result = compress(messages, store=MemoryStore())

    assert result.tokens_after <= result.tokens_before
    assert result.messages[1] is messages[1]  # too little to gain: sent as it came


def test_the_synchronous_path_takes_every_keyword_acompress_takes() -> None:
    """compress() without a running loop runs `_here`: a keyword acompress learns must reach it too."""
    import importlib
    import inspect

    compress_module = importlib.import_module("headroom.compress")
    here = set(inspect.signature(compress_module._here).parameters)
    asynchronous = set(inspect.signature(compress_module.acompress).parameters)
    assert asynchronous - here == {"hooks"}  # the one keyword that sends compress() to acompress
