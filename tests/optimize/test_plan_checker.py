"""The independent plan checker (vaxsim.plan.check) accepts the optimizer's demo plan, made
with either solver (issue 13: the plans pass every invariant with CBC and with HiGHS).

About 20 s per solver: the optimizer and the checker each take about 10 s on the demo.
"""

from __future__ import annotations

import pytest
from vaxsim.plan.check import check

import vaxsim
from tests.conftest import DEMO


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_the_checker_finds_no_violation_in_the_demo_plan(tmp_path, solver):
    scenario = vaxsim.load(DEMO)
    plan = vaxsim.optimize(scenario, solver=solver)
    path = plan.write(tmp_path)
    assert [str(v) for v in check(path, scenario)] == []
