"""Never a bare "Infeasible": shortfalls become penalised slack, reported in words."""

from __future__ import annotations

import numpy as np
import pytest

from tests.optimize.tiny import PLAIN, solved, tiny
from vaxsim.optimize.lp.explain import findings


def test_storage_overflow_is_slack_with_a_finding():
    # 100 doses (0.3 L) delivered to a unit whose fridge holds 0.06 L: the LP still solves,
    # overflow is priced, and the finding names the node, class and date.
    inflow = np.zeros((2, 1, 3))
    inflow[1, 0, 0] = 1000
    storage = np.full((2, 3), np.inf)
    storage[1] = [0.0, 0.0, 0.06]
    sub = tiny(stock0=0.0, inflow=inflow, storage=storage, approvals0=5.0)
    result = solved(sub)
    assert result.overflow[1, 2, 0] == pytest.approx(1000 * 0.003 - 5 * 0.003 - 0.06)
    table = findings(sub, result)
    assert "storage_overflow" in set(table.kind)
    message = table[table.kind == "storage_overflow"].message.iloc[0]
    assert "unit-0" in message and "2–8 °C storage over capacity" in message and "2021-08-02" in message


def test_unmet_demand_is_reported_by_unit_and_day():
    sub = tiny(stock0=0.0, approvals0=10.0)
    result = solved(sub)
    assert result.backlog.sum() == pytest.approx(30)
    table = findings(sub, result)
    row = table[table.kind == "supply_short"].iloc[0]
    assert row.node_id == "unit-0" and row.amount == pytest.approx(10)
    assert "no vaccine for 10 people waiting from 2021-08-02 to 2021-08-04" in row.message


def test_capacity_shortfall_names_the_binding_constraint():
    sub = tiny(stock0=100.0, approvals0=50.0, capacity=10.0)
    table = findings(sub, solved(sub))
    assert "capacity_full" in set(table.kind)
    assert "appointment capacity full" in table[table.kind == "capacity_full"].message.iloc[0]


def test_no_capacity_and_no_supply_still_solves():
    sub = tiny(stock0=0.0, capacity=0.0, approvals0=0.0)
    result = solved(sub)
    assert result.objective == pytest.approx(0)


def test_lexicographic_minimises_slack_first():
    # Overdue next doses are slack; the lexicographic solve never has more of it.
    inflow = np.zeros((2, 1, 3))
    inflow[1, 0, 0] = 1000
    storage = np.full((2, 3), np.inf)
    storage[1] = [0.0, 0.0, 0.06]
    sub = tiny(stock0=0.0, inflow=inflow, storage=storage, approvals0=5.0, weights=PLAIN)
    plain = solved(sub)
    lexicographic = solved(sub, lexicographic=True)
    slack = ("overdue", "expiry", "overflow", "reserve")
    assert sum(lexicographic.terms[t] for t in slack) <= sum(plain.terms[t] for t in slack) + 1e-6
