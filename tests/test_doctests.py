"""The docstring examples of every vaxsim module run as doctests (from the repository root)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import vaxsim
from tests.conftest import ROOT

WITH_EXAMPLES = ["vaxsim"] + sorted(
    info.name
    for info in pkgutil.walk_packages(vaxsim.__path__, "vaxsim.")
    if ">>>" in (importlib.util.find_spec(info.name).loader.get_source(info.name) or "")
)


def test_there_are_examples():
    assert {"vaxsim", "vaxsim.scenario.changes", "vaxsim.run.replicate", "vaxsim.run.sweep"} <= set(
        WITH_EXAMPLES
    )


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples_run(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(
        importlib.import_module(name), optionflags=flags, raise_on_error=False, report=True
    )
    assert result.attempted > 0
    assert result.failed == 0
