"""Every notebook in notebooks/ runs from top to bottom in a real Jupyter kernel (nbclient),
and shows its figures."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def images(notebook: nbformat.NotebookNode) -> int:
    """PNG figures among the executed notebook's outputs."""
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_shows_its_figures(path):
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    errors = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]
    assert errors == []
    figures = sum("plot(" in cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert figures >= 1
    assert images(notebook) >= figures


def test_there_are_the_three_notebooks():
    assert [p.stem for p in NOTEBOOKS] == [
        "01_demo_walkthrough",
        "02_replications_and_policies",
        "03_sweep_on_dask",
    ]
