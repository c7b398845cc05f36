"""docs/writing-a-stage.md works as written: its package, entry point, pipeline file and test,
taken from the page itself, run against this checkout."""

from __future__ import annotations

import importlib
import importlib.metadata
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from headroom import compress
from headroom.ccr.stores import MemoryStore
from headroom.pipeline import PipelineSpecError, load_pipeline, registry

PAGE = Path(__file__).resolve().parents[1] / "docs" / "writing-a-stage.md"
_FILE_BLOCK = re.compile(r"^```\w+ (\S+)\n(.*?)^```$", re.M | re.S)
_ENTRY = re.compile(r'^"([\w.]+)"\s*=\s*"([\w.:]+)"$', re.M)


def _files() -> dict[str, str]:
    """The page's named code blocks (```python acme_stages/__init__.py), by file name."""
    return {name: body for name, body in _FILE_BLOCK.findall(PAGE.read_text(encoding="utf-8"))}


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The page's package on the path and its entry points registered, as `pip install .` would."""
    files = _files()
    for name, body in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    section = files["pyproject.toml"].split('[project.entry-points."headroom.stages"]', 1)[1]
    entries = [
        importlib.metadata.EntryPoint(name, value, registry.ENTRY_POINT_GROUP)
        for name, value in _ENTRY.findall(section)
    ]
    assert entries, "the page's pyproject declares no headroom.stages entry point"
    monkeypatch.syspath_prepend(str(tmp_path))
    with registry.scoped(plugins=True):
        monkeypatch.setattr(registry, "entry_points", lambda group: entries)
        yield tmp_path
    sys.modules.pop("acme_stages", None)
    sys.modules.pop("test_dedupe", None)


def test_the_page_names_its_files() -> None:
    assert {"acme_stages/__init__.py", "pyproject.toml", "pipeline.yaml", "test_dedupe.py"} <= set(_files())


def test_the_plugin_loads_by_its_entry_point_and_lists_its_params(installed_plugin: Path) -> None:
    assert "acme.dedupe_lines.v1" in registry.names()
    cls = registry.lookup("acme.dedupe_lines.v1")
    assert cls is not None and cls.Params().as_dict() == {"min_repeats": 3}


def test_the_pages_pipeline_file_runs_the_stage_inside_the_default(installed_plugin: Path) -> None:
    pipeline = load_pipeline(installed_plugin / "pipeline.yaml")
    shipped = load_pipeline("default")
    assert set(pipeline.order) == set(shipped.order) | {"dedupe"}
    assert pipeline.order.index("dedupe") < pipeline.order.index("crush_log")
    noisy = [f"2026-12-03 10:{minute:02d}:00 INFO GET /health 200" for minute in range(5)] * 60
    log = "\n".join(
        [
            "2026-12-03 09:59:58 INFO service starting",
            *sorted(noisy),
            "2026-12-03 10:05:02 ERROR worker 7 crashed: disk /var/data full",
        ]
    )
    messages = [
        {"role": "user", "content": "Why did the worker crash?"},
        {"role": "tool", "tool_call_id": "a", "content": log},
    ]
    result = compress(messages, pipeline=pipeline, store=MemoryStore())
    assert any(note.startswith("acme.dedupe_lines.v1:") for note in result.transforms_applied)
    out = result.messages[1]["content"]
    assert "ERROR worker 7 crashed: disk /var/data full" in out
    assert out.count("10:03:00 INFO GET /health 200") <= 1


def test_the_pages_own_test_passes(installed_plugin: Path) -> None:
    module = importlib.import_module("test_dedupe")
    module.test_a_repeated_line_keeps_its_first_occurrence()


def test_a_misspelt_param_in_the_pages_pipeline_is_refused_with_where(installed_plugin: Path) -> None:
    text = (installed_plugin / "pipeline.yaml").read_text(encoding="utf-8")
    broken = installed_plugin / "broken.yaml"
    broken.write_text(text.replace("min_repeats", "min_repeat"), encoding="utf-8")
    with pytest.raises(PipelineSpecError, match=r"stages -> dedupe -> params -> min_repeat"):
        load_pipeline(broken)
