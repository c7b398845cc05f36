"""The stage registry: namespaced, versioned names; built-ins and entry-point plugins."""

from __future__ import annotations

from typing import Any

import pytest

from headroom.pipeline import registry
from headroom.pipeline.errors import PipelineSpecError
from headroom.pipeline.loading import build_pipeline
from headroom.pipeline.registry import RegistryError
from headroom.pipeline.stage import Stage
from headroom.stages.budget import Budget
from headroom.stages.cache import Cache
from headroom.stages.classify import Classify
from headroom.stages.crush.json import CrushJson
from headroom.stages.crush.log import CrushLog
from headroom.stages.score import Score

BUILT_INS = {
    "budget.v1": Budget,
    "cache.v1": Cache,
    "classify.v1": Classify,
    "crush.json.v1": CrushJson,
    "crush.log.v1": CrushLog,
    "score.v1": Score,
}


@pytest.fixture
def isolated_registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, type[Stage]]:
    """A copy of the registry that the test may change; the real one is restored afterwards."""
    registry.names()  # load the built-ins first
    stages = dict(registry._stages)
    monkeypatch.setattr(registry, "_stages", stages)
    monkeypatch.setattr(registry, "_broken", {})
    return stages


def test_built_in_stages_are_registered_under_their_names() -> None:
    names = registry.names()
    assert names == sorted(names)
    for name, cls in BUILT_INS.items():
        assert name in names
        assert registry.lookup(name) is cls
        assert cls.name == name


def test_built_in_table_names_every_stage_module_and_its_stages() -> None:
    import importlib
    import pkgutil

    import headroom.stages

    registered: dict[str, str] = {}
    for found in pkgutil.walk_packages(headroom.stages.__path__, "headroom.stages."):
        module = importlib.import_module(found.name)
        for value in vars(module).values():
            own_stage = isinstance(value, type) and issubclass(value, Stage)
            if own_stage and value.__module__ == found.name and value.name:
                registered[value.name] = found.name
    assert registered == registry.BUILT_IN


def test_looking_up_a_built_in_imports_only_its_module() -> None:
    from tests.helpers import modules_loaded_by

    loaded = modules_loaded_by(
        "from headroom import registry\nassert registry.lookup('crush.log.v1').name == 'crush.log.v1'\n"
    )
    assert [name for name, module in registry.BUILT_IN.items() if module in loaded] == ["crush.log.v1"]


def test_lookup_of_an_unknown_name_is_none() -> None:
    assert registry.lookup("crush.xml.v1") is None


@pytest.mark.parametrize(
    "name", ["crush", "crush.json", "crush.json.1", "crush..v1", ".json.v1", "crush.json.vx"]
)
def test_names_must_be_namespaced_and_versioned(name: str) -> None:
    with pytest.raises(RegistryError, match=rf"stage name '{name}' must look like family.name.vN"):
        registry.register(name)


def test_a_taken_name_cannot_be_registered_by_another_class(isolated_registry: dict[str, Any]) -> None:
    class Impostor(Stage):
        pass

    with pytest.raises(
        RegistryError, match=r"stage name 'crush.json.v1' is taken by headroom.stages.crush.json.CrushJson"
    ):
        registry.register("crush.json.v1")(Impostor)
    assert registry.lookup("crush.json.v1") is CrushJson


def test_registering_sets_the_name_and_is_idempotent(isolated_registry: dict[str, Any]) -> None:
    class Mine(Stage):
        pass

    assert registry.register("mine.thing.v2")(Mine) is Mine
    assert registry.register("mine.thing.v2")(Mine) is Mine
    assert Mine.name == "mine.thing.v2"
    assert registry.lookup("mine.thing.v2") is Mine
    assert "mine.thing.v2" in registry.names()


def test_unknown_stage_message_suggests_and_lists() -> None:
    message = registry.unknown_stage_message("crush.jsn.v1")
    assert message.startswith("unknown stage 'crush.jsn.v1' (did you mean \"crush.json.v1\"?); registered: ")
    listed = message.split("registered: ", 1)[1].split(", ")
    assert listed == registry.names()
    assert "did you mean" not in registry.unknown_stage_message("zzzzzz")


class _EntryPoint:
    def __init__(self, name: str, target: Any):
        self.name = name
        self._target = target

    def load(self) -> Any:
        return self._target


def test_entry_point_plugins_register_under_the_entry_name(
    isolated_registry: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Plugin(Stage):
        """A third-party stage."""

    def fake_entry_points(group: str) -> list[_EntryPoint]:
        assert group == "headroom.stages"
        return [_EntryPoint("acme.redact.v1", Plugin)]

    monkeypatch.setattr(registry, "entry_points", fake_entry_points)
    monkeypatch.setattr(registry, "_loaded", False)
    assert registry.lookup("acme.redact.v1") is Plugin
    assert Plugin.name == "acme.redact.v1"


def test_an_entry_point_that_is_not_a_stage_is_reported_by_its_name_alone(
    isolated_registry: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "entry_points", lambda group: [_EntryPoint("acme.bad.v1", object)])
    monkeypatch.setattr(registry, "_loaded", False)
    assert "acme.bad.v1" not in registry.names()
    with pytest.raises(
        RegistryError, match=r"plugin 'acme.bad.v1' .* failed to import: .*not a Stage subclass"
    ):
        registry.lookup("acme.bad.v1")


def test_a_plugin_that_fails_to_import_breaks_no_other_lookup(
    isolated_registry: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    class _Failing:
        name = "acme.broken.v1"

        def load(self) -> Any:
            raise ModuleNotFoundError("No module named 'acme_missing_dependency'")

    class Good(Stage):
        pass

    monkeypatch.setattr(
        registry, "entry_points", lambda group: [_Failing(), _EntryPoint("acme.good.v1", Good)]
    )
    monkeypatch.setattr(registry, "_loaded", False)
    assert registry.lookup("acme.good.v1") is Good
    assert registry.lookup("crush.json.v1") is not None
    with pytest.raises(RegistryError, match=r"plugin 'acme.broken.v1'.*acme_missing_dependency"):
        registry.lookup("acme.broken.v1")
    assert "acme_missing_dependency" in registry.broken_plugins()["acme.broken.v1"]


def test_a_pipeline_naming_a_broken_plugin_says_so_where_it_is_used(
    isolated_registry: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "entry_points", lambda group: [_EntryPoint("acme.bad.v1", object)])
    monkeypatch.setattr(registry, "_loaded", False)
    with pytest.raises(PipelineSpecError) as caught:
        build_pipeline({"version": 1, "name": "p", "stages": {"mine": {"use": "acme.bad.v1"}}})
    assert "stages -> mine -> use" in str(caught.value)
    assert "plugin 'acme.bad.v1'" in str(caught.value)


def test_a_misspelt_field_in_provides_is_refused_at_registration(isolated_registry: dict[str, Any]) -> None:
    class Misspelt(Stage):
        provides = frozenset({"selectoin"})

    with pytest.raises(
        RegistryError, match=r"provides unknown field 'selectoin' \(did you mean \"selection\"\?\)"
    ):
        registry.register("acme.misspelt.v1")(Misspelt)
    assert "acme.misspelt.v1" not in registry._stages


def test_a_scoped_registry_forgets_what_it_registered_and_reads_no_plugins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Plugged(Stage):
        pass

    with registry.scoped(plugins=True):  # what this test loads leaves with it
        monkeypatch.setattr(registry, "entry_points", lambda group: [_EntryPoint("acme.plugged.v1", Plugged)])
        with registry.scoped():
            assert "acme.plugged.v1" not in registry.names()

            class Local(Stage):
                pass

            registry.register("acme.local.v1")(Local)
            assert registry.lookup("acme.local.v1") is Local
        assert registry.lookup("acme.local.v1") is None
        assert registry.lookup("acme.plugged.v1") is Plugged
    assert "acme.plugged.v1" not in registry._stages
