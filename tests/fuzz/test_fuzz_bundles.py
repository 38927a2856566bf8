"""Fuzzing bundles and the file system: consistent single-cell corruptions of a plan must be
caught by the checker given the scenario; a write that fails at any point leaves the
destination as it was and nothing half-written."""

from __future__ import annotations

import dataclasses
import errno
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

import vaxsim
from tests.fuzz.conftest import LONG, count, examples
from tests.fuzz.corruption import catalogue
from tests.plan.fixture import fixture_plan
from vaxsim.io.atomic import MARKER, Destination, OutputError
from vaxsim.plan.checker import check
from vaxsim.scenario.load import canonical_json, scenario_hash

FIXTURE_SCENARIO = "tests/plan/fixture-scenario.yaml"
PLAN = fixture_plan()
# The same plan carrying the scenario it was made from (scenario.json), as vaxsim writes them.
_SCENARIO = vaxsim.load(FIXTURE_SCENARIO)
CARRYING = dataclasses.replace(
    PLAN,
    scenario={**PLAN.scenario, "sha256": scenario_hash(_SCENARIO)},
    scenario_json=canonical_json(_SCENARIO),
)
CATALOGUE = [edit for edit in catalogue(PLAN) if edit.operational]


@pytest.fixture(scope="module")
def fixture_model():
    return vaxsim.compile_model(vaxsim.load(FIXTURE_SCENARIO))


@examples("bundle_corruption")
@given(edit=st.sampled_from(CATALOGUE))
def test_operational_corruptions_are_caught_with_the_scenario(edit, fixture_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("corrupt")
    try:
        bundle = edit.apply(PLAN).write(folder)
    except ValueError:
        count("bundle_corruption", "refused when written")
        return
    violations = check(bundle, fixture_model)
    if not violations:  # only an edit that changes no operation may pass (benchmarks/fuzz.md)
        assert edit.changes_nothing(PLAN), f"not caught: {edit}"
        count("bundle_corruption", "changes nothing")
        return
    count("bundle_corruption", "caught")


@pytest.mark.skipif(not LONG, reason="the whole catalogue runs in `make fuzz` (VAXSIM_FUZZ=long)")
def test_the_whole_catalogue(fixture_model, tmp_path):
    """Every edit of the catalogue, with and without the scenario; the counts go to fuzz.json."""
    missed = []
    for number, edit in enumerate(catalogue(PLAN)):
        try:
            bundle = edit.apply(PLAN).write(tmp_path / str(number))
        except ValueError:
            count("catalogue", "refused when written")
            continue
        with_scenario = bool(check(bundle, fixture_model))
        without = bool(check(bundle))
        carried = bool(check(edit.apply(CARRYING).write(tmp_path / f"{number}-carrying")))
        kind = "operational" if edit.operational else "descriptive"
        if edit.operational and edit.changes_nothing(PLAN):
            kind = "changes nothing"  # a stock row where nothing moves or is held (fuzz.md)
        count("catalogue", f"{kind}/with scenario/{'caught' if with_scenario else 'missed'}")
        count("catalogue", f"{kind}/without scenario/{'caught' if without else 'missed'}")
        count("catalogue", f"{kind}/bundle carrying its scenario/{'caught' if carried else 'missed'}")
        if kind == "operational" and not with_scenario:
            missed.append(str(edit))
    assert missed == []


ERRORS = [errno.ENOSPC, errno.EACCES, errno.EROFS, errno.EIO, errno.EDQUOT]


@examples("file_system_fault")
@given(
    files=st.integers(min_value=1, max_value=6),
    fail_at=st.integers(min_value=0, max_value=7),
    code=st.sampled_from(ERRORS),
    replacing=st.booleans(),
)
def test_a_failing_write_changes_nothing(files, fail_at, code, replacing, tmp_path_factory):
    parent = tmp_path_factory.mktemp("out")
    target = parent / "result"
    if replacing:
        with Destination(target).writing() as folder:
            (folder / "old.txt").write_text("old")
    try:
        with Destination(target, replace=replacing).writing() as folder:
            for k in range(files):
                if k == fail_at:
                    raise OSError(code, os.strerror(code))
                (folder / f"part-{k}.txt").write_text(str(k))
    except OutputError:
        count("file_system_fault", "refused")
        leftovers = sorted(path.name for path in parent.iterdir())
        assert leftovers == (["result"] if replacing else [])
        if replacing:
            assert sorted(p.name for p in target.iterdir()) == sorted([MARKER, "old.txt"])
        return
    count("file_system_fault", "written")
    expected = [MARKER, *(f"part-{k}.txt" for k in range(files))]
    assert sorted(p.name for p in target.iterdir()) == sorted(expected)
