"""Fixtures of the plan tests: the hand-made plan, its bundle, and the shared reference folder."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tests.plan.fixture import fixture_plan
from vaxsim.plan import Plan

#: The shared reference material beside the repository (test data only, never shipped).
REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference"
NOW = dt.datetime(2021, 8, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def reference(*parts: str) -> Path:
    """A path in the shared reference folder; skips the test when the folder is absent."""
    path = REFERENCE.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference material {path} is absent (the folder `shared` beside the repository)")
    return path


@pytest.fixture
def plan() -> Plan:
    return fixture_plan()


@pytest.fixture(scope="session")
def written_bundle(tmp_path_factory) -> Path:
    """The fixture plan written once; copy it (see ``bundle``) before changing anything."""
    return fixture_plan().write(tmp_path_factory.mktemp("written"), now=NOW)


@pytest.fixture
def bundle(written_bundle: Path, tmp_path: Path) -> Path:
    """A private copy of the fixture bundle that a test may corrupt."""
    target = tmp_path / written_bundle.name
    shutil.copytree(written_bundle, target)
    return target
