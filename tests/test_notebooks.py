"""Every notebook in notebooks/ runs from top to bottom."""

from __future__ import annotations

import runpy

import pytest

from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch):
    monkeypatch.chdir(path.parent)
    namespace = runpy.run_path(str(path), run_name="__main__")
    assert "results" in namespace


def test_there_is_a_notebook():
    assert NOTEBOOKS
