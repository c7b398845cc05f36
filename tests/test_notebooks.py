"""Every notebook in notebooks/ runs headless, top to bottom, and shows what its text says it shows.

The notebooks run in a real Jupyter kernel ("python3") started by nbclient, with the notebooks
folder as the working directory and this checkout first on the kernel's PYTHONPATH. Committed
notebooks carry no outputs, so their diffs stay small and their bytes deterministic.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

try:
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
except ImportError as error:  # pragma: no cover - a broken dev environment
    MISSING: ImportError | None = error
else:
    MISSING = None

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
KERNEL = "python3"
CELL_TIMEOUT = 120  # seconds, per cell

pytestmark = pytest.mark.slow


def _require_tools() -> None:
    if MISSING is not None:
        pytest.fail(
            f"cannot run notebooks: {MISSING}. Install the dev extras: pip install -e '.[dev]'",
            pytrace=False,
        )


def _require_kernel() -> None:
    """Fail (not skip) with instructions when the kernel the notebooks need is not installed."""
    manager = KernelSpecManager()
    with contextlib.suppress(NoSuchKernel):
        manager.get_kernel_spec(KERNEL)
        return
    pytest.fail(
        f"no Jupyter kernel spec named {KERNEL!r} for {sys.executable}; looked in "
        f"{', '.join(manager.kernel_dirs)}. Install ipykernel into this environment "
        f"(pip install ipykernel puts the spec in {Path(sys.prefix, 'share/jupyter/kernels', KERNEL)}) "
        f"or run: {sys.executable} -m ipykernel install --sys-prefix",
        pytrace=False,
    )


def _kernel_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # Headless and Agg-based: figures become image/png outputs, no window is ever opened.
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    return env


@functools.cache
def executed(name: str) -> Any:
    """The notebook after running every cell once (cached: each notebook runs once per session)."""
    _require_tools()
    _require_kernel()
    notebook = nbformat.read(NOTEBOOKS_DIR / name, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        startup_timeout=60,
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )
    try:
        client.execute(env=_kernel_env())
    except CellExecutionError as error:
        failure = f"{name} failed while running:\n{error}"
    else:
        return notebook
    pytest.fail(failure, pytrace=False)  # outside the except: one report, not a chained pair


def tagged(notebook: Any, tag: str) -> Any:
    cells = [cell for cell in notebook.cells if tag in cell.metadata.get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0]


def stdout(cell: Any) -> str:
    return "".join(out.text for out in cell.outputs if out.output_type == "stream" and out.name == "stdout")


def mimetypes(cell: Any) -> set[str]:
    return {mime for out in cell.outputs if "data" in out for mime in out.data}


def table(cell: Any) -> dict[str, list[str]]:
    """A side-by-side table printed by the notebook: row label -> one cell per column."""
    lines = stdout(cell).splitlines()
    columns = lines[0].split()
    rows = {"columns": columns}
    for line in lines[1:]:
        label, *values = line.rsplit(None, len(columns))
        rows[label.strip()] = values
    return rows


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_committed_without_outputs(path: Path) -> None:
    _require_tools()
    text = path.read_text(encoding="utf-8")
    notebook = nbformat.reads(text, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {cell.id} has stored outputs; clear them"
            assert cell.execution_count is None, f"{path.name} cell {cell.id} has an execution count"
    assert nbformat.writes(notebook) + "\n" == text, f"{path.name} is not in nbformat's canonical form"
    assert notebook.metadata.kernelspec.name == KERNEL


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_runs_without_error(path: Path) -> None:
    notebook = executed(path.name)
    errors = [out for cell in notebook.cells for out in cell.get("outputs", []) if out.output_type == "error"]
    assert errors == []
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code_cells), "a cell did not run"


def test_there_is_a_notebook_to_run() -> None:
    assert any(path.name == "explore_pipeline.ipynb" for path in NOTEBOOKS)


@pytest.fixture(scope="module")
def explore() -> Any:
    return executed("explore_pipeline.ipynb")


def test_mermaid_text_of_the_graph(explore: Any) -> None:
    text = stdout(tagged(explore, "mermaid"))
    assert text.startswith("flowchart LR")
    assert "score --> crush_json" in text and "score --> crush_log" in text


def test_trace_renders_as_html(explore: Any) -> None:
    cell = tagged(explore, "trace-html")
    html = next(out.data["text/html"] for out in cell.outputs if "text/html" in out.get("data", {}))
    assert "<table>" in html
    for stage in ("classify", "score", "crush_json", "crush_log", "budget", "cache"):
        assert f"<td>{stage}</td>" in html


def test_scores_rank_the_failed_order_and_the_errors_first(explore: Any) -> None:
    json_lines = stdout(tagged(explore, "scores-json")).splitlines()
    assert json_lines[0].startswith("json_array: 300 units")
    assert json_lines[1].split()[0] == "#187" and "pinned" in json_lines[1]
    assert '"id":"ord-10187"' in json_lines[1]
    log_lines = stdout(tagged(explore, "scores-log")).splitlines()
    assert log_lines[0].startswith("log: 2000 units")
    assert "ERROR" in log_lines[1] and "pinned" in log_lines[1]


def test_kept_and_dropped_ranges(explore: Any) -> None:
    text = stdout(tagged(explore, "kept-dropped"))
    for label in ("json_array", "log"):
        assert re.search(rf"^{label}: kept \d+ of \d+, \d+ tokens$", text, re.MULTILINE)
    assert re.search(r"^  kept: +\d+(-\d+)?(, \d+(-\d+)?)*$", text, re.MULTILINE)
    assert re.search(r"^  dropped: +\d+-\d+", text, re.MULTILINE)


@pytest.mark.parametrize("tag", ["scores-plot", "tokens-plot", "comparison-plot"])
def test_plots_are_png_images(explore: Any, tag: str) -> None:
    assert "image/png" in mimetypes(tagged(explore, tag))


def test_yaml_edit_shows_in_the_diff(explore: Any) -> None:
    diff = stdout(tagged(explore, "yaml-diff"))
    assert "-  score:" in diff
    assert "-      max_items: 15" in diff and "+      max_items: 5" in diff


def test_edited_pipeline_sends_fewer_tokens_and_default_keeps_every_fact(explore: Any) -> None:
    rows = table(tagged(explore, "comparison"))
    assert rows["columns"] == ["default", "edited", "aggressive"]
    default, edited, aggressive = (int(value) for value in rows["tokens sent"])
    assert edited < default and aggressive < default
    facts = {label: cells for label, cells in rows.items() if label not in ("columns", "tokens sent")}
    assert any(label.startswith("failed order ord-10187") for label in facts)
    assert sum(label.startswith("frame ") for label in facts) == 6
    assert all(cells[0] == "kept" for cells in facts.values()), facts


def test_second_conversation(explore: Any) -> None:
    rows = table(tagged(explore, "k8s-comparison"))
    default, edited, _ = (int(value) for value in rows["tokens sent"])
    assert edited < default
    assert rows["metrics sample with the OOM kill"][0] == "kept"
    assert rows["OOMKilled error in the log"] == ["kept", "kept", "kept"]
