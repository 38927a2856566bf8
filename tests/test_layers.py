"""Data flows one way: a lower layer never imports a higher one (checked on the source, every
import statement, including those inside functions)."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "vaxsim"

#: Layer -> the layers it must never import.
FORBIDDEN = {
    "scenario": ["model", "coldchain", "sim", "sites", "optimize", "results", "plan", "run", "report"],
    "model": ["coldchain", "sim", "optimize", "results", "run", "report"],
    "campaign": ["sim", "optimize", "plan", "results", "run", "report", "ensemble"],
    "sim": ["results", "optimize", "run", "report", "ensemble"],
    "optimize": ["results", "run", "report", "ensemble"],
    "results": ["run", "report", "ensemble", "optimize"],
    "run": ["report", "ensemble", "cli"],
    "report": ["ensemble", "cli"],
}


def imported(path) -> set[str]:
    """Every ``vaxsim.*`` module the file imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.startswith("vaxsim.")}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_nothing_above_it(layer):
    offending = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in imported(path):
            if name.split(".")[1] in FORBIDDEN[layer]:
                offending.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offending == []
