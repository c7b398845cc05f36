"""The package's import graph: no circles, and arrows point inward (down the layers below).

Every import counts, function-local and TYPE_CHECKING ones included: a circle hidden inside a
function is still a circle a reader has to hold in mind.
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[1] / "headroom"

# From the bottom up. A module may import its own layer and the ones below it, never above.
LAYERS = [
    ("headroom._version", "headroom._env", "headroom._moved", "headroom._lazy"),
    (
        "headroom.messages",
        "headroom.markers",
        "headroom.tokens",
        "headroom.words",
        "headroom.json_text",
        "headroom.workers",
        "headroom.samples",
    ),
    ("headroom.content",),
    ("headroom.pipeline",),
    ("headroom.ccr",),
    ("headroom.stages",),
    ("headroom.compress",),
    ("headroom.integrations",),
    ("headroom.proxy",),
    ("headroom.cli", "headroom"),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {target for target in found if target in known and target != name}


def _graph() -> nx.DiGraph:
    modules = _modules()
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        graph.add_edges_from((name, target) for target in _imports(path, name, set(modules)))
    return graph


def _layer(module: str) -> int:
    best = None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (
                best is None or len(prefix) > len(best[1])
            ):
                best = (index, prefix)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best[0]


def test_the_import_graph_has_no_circles() -> None:
    assert list(nx.simple_cycles(_graph())) == []


def test_no_module_imports_one_from_a_layer_above_it() -> None:
    upward = sorted(
        f"{source} -> {target}" for source, target in _graph().edges if _layer(target) > _layer(source)
    )
    assert upward == []


def test_every_module_has_a_layer() -> None:
    for module in _modules():
        _layer(module)


def test_an_old_import_path_gives_the_moved_module_itself_with_a_warning() -> None:
    import headroom.pipeline.stage

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import headroom.stage as old  # type: ignore[import-not-found, unused-ignore]
        from headroom.stores.sqlite import SqliteStore  # type: ignore[import-not-found, unused-ignore]
    from headroom.ccr.stores.sqlite import SqliteStore as moved

    assert old is headroom.pipeline.stage
    assert SqliteStore is moved
    assert old.__spec__ is not None and old.__spec__.name == "headroom.pipeline.stage"
    assert any("headroom.pipeline.stage" in str(warning.message) for warning in caught)
