"""Province sub-problems solved in worker processes give the same plan as serially."""

from __future__ import annotations

import pandas as pd
import pytest

import vaxsim
from tests.conftest import DEMO
from vaxsim.optimize import highs_available
from vaxsim.plan import TABLES


@pytest.mark.skipif(not highs_available(), reason="highspy is not installed")
def test_threads_do_not_change_the_plan():
    # HiGHS in the parent (the national LP) and in the workers (the provinces): the workers must
    # not inherit the parent's solver state.
    serial = vaxsim.optimize(DEMO, solver="highs", appointments=False)
    parallel = vaxsim.optimize(DEMO, solver="highs", threads=2, appointments=False)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(parallel, name), check_dtype=False)
    assert serial.solver["objective"] == pytest.approx(parallel.solver["objective"])
