"""Lots in the LP: FEFO emerges from the expiry penalty; no use before arrival or after expiry."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.optimize.tiny import PLAIN, solved, tiny
from vaxsim.optimize.realise.assemble import _stock_by_class


def two_classes(weights=PLAIN):
    """Class 0 expires after period 1 (last usable period 1), class 1 is long-dated; 10 doses
    of each at the store, 10 people, capacity 10 a period, 4 periods."""
    stock0 = np.zeros((2, 2))
    stock0[0] = [10, 10]
    last = np.array([[1, 10_000], [1, 10_000]])
    return tiny(
        periods=4,
        classes=2,
        stock0=stock0,
        approvals0=10.0,
        weights=weights,
        class_expiry=np.array([1, 365]),
        last_period=last,
    )


def test_fefo_emerges_when_expiry_is_penalised():
    result = solved(two_classes())
    assert result.use[0, 0].sum() == pytest.approx(10)  # the short-dated class is used
    assert result.use[0, 1].sum() == pytest.approx(0)
    assert result.terms["expiry"] == pytest.approx(0)


def test_without_expiry_penalty_the_fefo_tie_break_still_prefers_early_expiry():
    weights = replace(PLAIN, expiry=0.0, fefo=0.001)
    result = solved(two_classes(weights))
    assert result.use[0, 0].sum() == pytest.approx(10)


def test_unusable_doses_are_counted_as_expired_not_used():
    # 20 short-dated doses, 10 people: 10 expire, priced at the expiry weight.
    sub = two_classes()
    sub.stock0[0] = [20, 0]
    result = solved(sub)
    assert result.use[0, 0].sum() == pytest.approx(10)
    assert result.terms["expiry"] == pytest.approx(10 * PLAIN.expiry)
    assert result.stock[:, 0, 2:].sum() == pytest.approx(0)  # nothing held past expiry


def test_no_shipment_before_arrival_or_after_expiry():
    # A lot arrives at the store in period 2 of 5; class expires after period 3.
    inflow = np.zeros((2, 1, 5))
    inflow[0, 0, 2] = 30
    sub = tiny(
        periods=5,
        stock0=0.0,
        approvals0=30.0,
        capacity=10.0,
        inflow=inflow,
        class_expiry=np.array([3]),
        last_period=np.array([[3], [3]]),
    )
    result = solved(sub)
    assert result.ship[1, 0, :2].sum() == pytest.approx(0)
    assert result.ship[1, 0, 4:].sum() == pytest.approx(0)
    assert result.use[0, 0, :2].sum() == pytest.approx(0)
    assert result.use[0, 0, 4:].sum() == pytest.approx(0)
    assert result.use[0, 0].sum() == pytest.approx(20)  # periods 2 and 3 only
    assert result.terms["expiry"] == pytest.approx(10 * PLAIN.expiry)


def test_stock_by_lot_class_sums_every_lot_of_a_class():
    rng = np.random.default_rng(5)
    stock = rng.integers(0, 10**7, (40, 30))
    of_lot = rng.integers(-1, 6, 30)  # class 5 may have no lot; -1: no class this window
    expected = np.zeros((40, 6))
    for lot, c in enumerate(of_lot):
        if c >= 0:
            expected[:, c] += stock[:, lot]
    assert np.array_equal(_stock_by_class(stock, of_lot, 6), expected)
    assert np.array_equal(_stock_by_class(stock, np.full(30, -1), 6), np.zeros((40, 6)))
