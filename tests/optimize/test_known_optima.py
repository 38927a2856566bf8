"""Small LPs whose optimum is known by hand or by enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.optimize.tiny import PLAIN, solved, tiny


def test_capacity_and_stock_limit_the_doses():
    # 25 people, 10 a period, 20 doses: 10, 10, 0; waiting 15 + 5 + 5 person-periods.
    result = solved(tiny())
    assert result.objective == pytest.approx(25.0)
    assert result.dose1[0, 0, 0] == pytest.approx([10, 10, 0])
    assert result.backlog[0, 0] == pytest.approx([15, 5, 5])


def test_priority_goes_first_when_doses_are_short():
    # Two groups waiting (weights 3 and 1), 10 doses, capacity 10: the priority group gets them.
    sub = tiny(
        periods=2,
        stock0=10.0,
        approvals=np.array([[[10.0, 0.0], [10.0, 0.0]]]),
        group_names=["first", "second"],
        suitable=np.ones((1, 2), dtype=bool),
        priority=np.array([3.0, 1.0]),
        backlog0=np.zeros((1, 2)),
    )
    result = solved(sub)
    assert result.dose1[0, 0, :, 0] == pytest.approx([10, 0])
    assert result.objective == pytest.approx(3 * 0 + 1 * 10 * 2)


def test_allocation_between_two_units_matches_enumeration():
    # 12 doses for two units of 10 waiting each, capacity 8 per unit and period, 2 periods:
    # every split of whole doses is enumerated and the LP must match the best.
    sub = tiny(periods=2, units=2, stock0=12.0, capacity=8.0, approvals0=10.0)
    result = solved(sub)
    best = min(
        sum(10 - a1 + 10 - a1 - a2 for a1, a2 in ((x[0], x[1]),))
        + sum(10 - b1 + 10 - b1 - b2 for b1, b2 in ((x[2], x[3]),))
        for x in itertools.product(range(9), repeat=4)
        if x[0] + x[1] <= 10 and x[2] + x[3] <= 10 and sum(x) <= 12
    )
    assert result.objective == pytest.approx(best)
    assert result.dose1.sum() == pytest.approx(12)


def test_storage_and_link_limits_bind():
    # The unit can hold 10 doses (0.03 L) at a time and the store can send 10 a period:
    # 30 people get 10 a period, although stock and capacity would allow 20.
    sub = tiny(periods=3, stock0=40.0, capacity=20.0, approvals0=30.0)
    sub.link_litres[1] = 10 * 0.003
    result = solved(sub)
    assert result.dose1[0, 0, 0] == pytest.approx([10, 10, 10])
    assert result.objective == pytest.approx(20 + 10 + 0)


def test_weights_are_costs_per_person_day():
    # Weekly periods: a person waiting one period costs 7 person-days.
    result = solved(tiny(period_days=7))
    assert result.objective == pytest.approx(7 * 25.0)
    assert PLAIN.priority == (1.0,)
