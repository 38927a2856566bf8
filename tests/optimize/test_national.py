"""vietnam-2021 down to the site level (slow: about a minute and a half on two cores)."""

from __future__ import annotations

import pytest

import vaxsim
from tests.conftest import VIETNAM
from vaxsim.optimize import highs_available


@pytest.mark.slow
@pytest.mark.skipif(not highs_available(), reason="highspy is not installed")
def test_the_national_plan_holds_its_invariants():
    plan = vaxsim.optimize(VIETNAM, solver="highs", threads=2)
    assert plan.column_problems() == []
    assert set(plan.log.status) == {"optimal"}
    s = plan.stock_projection
    assert ((s.opening + s.received - s.issued - s.administered - s.wasted - s.expired) == s.closing).all()
    assert (s[["opening", "closing"]] >= 0).all().all()
    lots = plan.lots.set_index("lot_id")
    used = s[s.administered > 0]
    assert (used.date <= lots.expiry_date.reindex(used.lot_id).to_numpy()).all()
    assert (plan.capacity.booked <= plan.capacity.capacity).all()
    summary = plan.summary
    assert summary["doses_planned"] <= summary["supply"]["delivered"]
    assert summary["doses_planned"] > 100_000_000
    assert len(plan.appointments) == 0 and "not filled" in summary["appointments"]
