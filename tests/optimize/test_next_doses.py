"""Series completion: capacity and stock for the next dose are reserved inside the interval."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.optimize.tiny import PLAIN, solved, two_dose


def test_next_dose_capacity_is_reserved():
    # 10 people start at period 0, 10 more arrive at period 2; capacity 10 a period; the second
    # dose is due exactly 2 periods after the first (overdue costs 20 per person-period, waiting
    # 1). Every second dose falls exactly 2 periods after its first dose, inside the capacity,
    # and the best plan makes 10 person-periods of waiting (there are two such plans).
    approvals = np.zeros((1, 1, 5))
    approvals[0, 0, [0, 2]] = 10
    sub = two_dose(periods=5, min_periods=2, max_periods=2, stock0=100.0, approvals=approvals)
    result = solved(sub)
    first, second = result.dose1[0, 0, 0], result.dosek[0, 0, 0]
    assert result.objective == pytest.approx(10)
    assert second[2:] == pytest.approx(first[:3])
    assert second[:2] == pytest.approx([0, 0])
    assert first + second == pytest.approx(np.minimum(first + second, 10))
    assert result.overdue.sum() == pytest.approx(0)


def test_next_dose_stock_is_reserved():
    # 10 doses for 10 people of a two-dose series: 5 complete the series rather than 10 start
    # it and nobody finish (waiting costs 1, being overdue 20 per person-period).
    sub = two_dose(periods=6, min_periods=2, max_periods=2, stock0=10.0, approvals0=10.0)
    result = solved(sub)
    assert result.dose1.sum() == pytest.approx(5)
    assert result.dosek.sum() == pytest.approx(5)
    assert result.objective == pytest.approx(5 * 6)


def test_next_dose_falls_inside_the_interval_window():
    # Window of 2..3 periods: the second doses of period-0 people fall in periods 2 or 3.
    sub = two_dose(periods=6, min_periods=2, max_periods=3, stock0=100.0, approvals0=10.0, capacity=20.0)
    result = solved(sub)
    assert result.dose1[0, 0, 0, 0] == pytest.approx(10)
    assert result.dosek[0, 0, 0, :2].sum() == pytest.approx(0)
    assert result.dosek[0, 0, 0, 2:4].sum() == pytest.approx(10)
    assert result.overdue.sum() == pytest.approx(0)


def test_doses_given_before_the_window_come_due_inside_it():
    # History: 8 first doses given 1 period before the window, interval 2 periods: they are
    # due in period 1 of the window.
    history = np.zeros((1, 1, 3))
    history[0, 0, 0] = 8
    sub = two_dose(periods=4, min_periods=2, max_periods=2, approvals0=0.0, history=history)
    result = solved(sub)
    assert result.dosek[0, 0, 0] == pytest.approx([0, 8, 0, 0])


def test_the_completion_reward_finishes_series_before_starting_late_ones():
    # 20 doses for 20 people, capacity 20 a period, the second dose due from 2 periods on (and
    # not overdue inside the horizon). Counting person-periods only, 20 first doses now (20
    # person-periods in the pool at the end) beat 10 first and 10 second doses (10 people wait
    # 3 periods); a reward of 50 per next dose turns it round: 30 - 10 * 50.
    def plan(completion: float):
        weights = replace(PLAIN, completion=completion)
        sub = two_dose(3, 2, 9, stock0=20.0, approvals0=20.0, capacity=20.0, weights=weights)
        return solved(sub)

    plain, rewarded = plan(0.0), plan(50.0)
    assert (plain.dose1.sum(), plain.dosek.sum()) == pytest.approx((20, 0))
    assert plain.objective == pytest.approx(20)
    assert (rewarded.dose1.sum(), rewarded.dosek.sum()) == pytest.approx((10, 10))
    assert rewarded.objective == pytest.approx(30 - 10 * 50)


@pytest.mark.parametrize(("start", "share"), [(0, 1 - 0.1**2), (1, 0.9)])
def test_completion_reward_counts_the_chance_of_coming_before_the_end(start, share):
    # 10 people start at period `start`, their second dose is due 2 periods later, the campaign
    # ends with period 3 and 90 % of the people booked come each day (no-shows are due again
    # the next day): a second dose planned with d days left is given by the end with
    # probability 1 - 0.1^d, and the completion reward (100) counts only that share.
    approvals = np.zeros((1, 1, 4))
    approvals[0, 0, start] = 10
    weights = replace(PLAIN, completion=100.0)
    sub = two_dose(4, 2, 3, stock0=100.0, approvals=approvals, weights=weights)
    open_ended = solved(sub)
    ended = solved(replace(sub, last_day=3, show_up=0.9))
    for result in (open_ended, ended):
        assert result.dosek[0, 0, 0, start + 2] == pytest.approx(10)
    assert open_ended.terms["completion"] == pytest.approx(-1000)
    assert ended.terms["completion"] == pytest.approx(-1000 * share)


def test_completion_share_is_one_without_an_end_or_no_shows():
    sub = two_dose(4, 2, 3, stock0=100.0, weights=replace(PLAIN, completion=100.0))
    assert solved(replace(sub, last_day=3, show_up=1.0)).terms["completion"] == pytest.approx(
        solved(sub).terms["completion"]
    )
