"""Run settings are declared by stages and read when a pipeline loads, never found by name."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from headroom import compress, samples
from headroom.ccr.stores import MemoryStore, default_store, resolve_store
from headroom.ccr.stores.sqlite import SqliteStore
from headroom.pipeline import PipelineBuilder, load_pipeline, param, registry
from headroom.pipeline.stage import BlockState, RunState, Stage, StageParams
from headroom.stages.classify import Classify


def test_the_store_is_the_one_the_cache_stage_declares(tmp_path: Path) -> None:
    overlay = {"extends": "default", "stages": {"cache": {"params": {"store": f"sqlite:///{tmp_path}/o.db"}}}}
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(overlay), encoding="utf-8")
    pipeline = load_pipeline(path)
    assert pipeline.store == f"sqlite:///{tmp_path}/o.db"
    assert isinstance(resolve_store(None, pipeline), SqliteStore)
    assert load_pipeline("default").store is None
    assert resolve_store(None, load_pipeline("default")) is default_store()


class _NamedStoreParams(StageParams):
    store: str = param("sqlite:///nowhere/at/all.db", description="not a store: a shop's name")


class _ShopLabeller(Stage):
    """A stage with a param called `store` that is no store of originals."""

    provides = frozenset({"labels"})
    Params = _NamedStoreParams

    def process_block(self, block: BlockState, state: RunState) -> None:
        return None


def test_a_param_merely_called_store_is_not_taken_for_the_runs_store() -> None:
    with registry.scoped():
        registry.register("acme.shop_labeller.v1")(_ShopLabeller)
        pipeline = PipelineBuilder("p").add_stage("shop", _ShopLabeller()).build()
        assert pipeline.store is None
        assert resolve_store(None, pipeline) is default_store()


def test_can_drop_is_what_the_selecting_stages_declare() -> None:
    assert load_pipeline("default").can_drop
    assert not load_pipeline("lossless").can_drop
    assert not PipelineBuilder("labels only").add_stage("classify", Classify()).build().can_drop


@pytest.mark.parametrize("pipeline", ["default", "lossless"])
def test_a_plan_and_a_validated_file_declare_the_same_settings(pipeline: str) -> None:
    from headroom.pipeline.loading import pipeline_from_yaml, resolve_pipeline_path

    path = resolve_pipeline_path(pipeline)
    planned = load_pipeline(pipeline)
    validated = pipeline_from_yaml(path.read_text(encoding="utf-8"), path.name)
    assert (planned.store, planned.can_drop) == (validated.store, validated.can_drop)


def test_what_the_cache_answered_is_a_field_of_the_block_not_a_note() -> None:
    from headroom.stages.cache import MEMO_HIT, Cache
    from headroom.testing import make_state

    state = make_state(samples.openai_conversation())
    block = state.blocks[-1]
    block.note(f"cache.v1:{MEMO_HIT}")  # a note saying so decides nothing
    assert Cache()._answered(block) is None
    block.answered = MEMO_HIT
    assert Cache()._answered(block) == MEMO_HIT


def test_a_repeated_request_is_answered_by_the_cache_in_the_same_bytes() -> None:
    from headroom.stages.cache import AS_SENT, MEMO_HIT

    store = MemoryStore()
    messages = samples.openai_conversation()
    first = compress(messages, store=store)
    again = compress(messages, store=store)
    assert again.messages == first.messages
    answers = {f"cache.v1:{AS_SENT}", f"cache.v1:{MEMO_HIT}"}
    assert answers & set(again.transforms_applied)
