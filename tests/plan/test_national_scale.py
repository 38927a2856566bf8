"""The plan bundle at national scale: vietnam-2021 optimized with HiGHS, written, read, checked.

Slow (minutes, several GiB): not in the default suite; run with ``make test-slow`` or
``pytest -m slow tests/plan/test_national_scale.py``. No timing assertions (see
``benchmarks/bench_plan_bundle.py`` for the figures).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import vaxsim
import vaxsim.plan
from vaxsim.plan.tables import TABLES

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "vietnam-2021.yaml"


@pytest.mark.slow
def test_vietnam_plan_writes_reads_and_checks(tmp_path: Path) -> None:
    plan = vaxsim.optimize(vaxsim.load(SCENARIO), solver="highs", threads=2)
    bundle = plan.write(tmp_path)
    same = vaxsim.plan.read(bundle)
    canonical = plan.normalised()
    for name in TABLES:
        assert len(getattr(same, name)) == len(getattr(canonical, name)), name
    assert len(same.capacity) > 100_000  # national scale, not a toy
    found = vaxsim.plan.check(bundle, SCENARIO)
    assert [str(violation) for violation in found[:50]] == [], f"{len(found)} violations"
