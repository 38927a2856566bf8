"""The independent plan checker (vaxsim.plan.check) accepts the optimizer's demo plan.

Slow: the checker needs about two minutes on the demo's 62,000 appointments.
"""

from __future__ import annotations

import pytest

import vaxsim
from tests.conftest import DEMO


@pytest.mark.slow
def test_the_checker_finds_no_violation_in_the_demo_plan(tmp_path):
    from vaxsim.plan.check import check

    scenario = vaxsim.load(DEMO)
    plan = vaxsim.optimize(scenario)
    path = plan.write(tmp_path)
    assert [str(v) for v in check(path, scenario)] == []
