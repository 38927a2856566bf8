"""Open-vial wastage: the closed form of VALIDATION.md, Monte Carlo through the vial rules, and
the opening-threshold and in-use rules on hand-checked sessions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import poisson

from tests.coldchain import builders
from vaxsim.coldchain import Sessions, expected_open_vial_wastage, open_vials
from vaxsim.coldchain.vials import usable_doses_per_vial
from vaxsim.scenario.policies import OpenVial

MEANS = (2, 3, 4, 5, 6, 9, 10, 20, 50)
#: Percent wastage, VALIDATION.md ("Open-vial wastage, closed form"), rounded to 0.1.
TABLE = {
    5: (54.6, 42.0, 33.3, 28.1, 24.8, 18.2, 16.7, 9.1, 3.8),
    6: (61.7, 49.2, 39.0, 32.4, 28.6, 21.9, 20.1, 11.1, 4.8),
    10: (76.9, 68.4, 59.4, 50.3, 42.3, 30.5, 29.5, 18.2, 8.3),
    20: (88.4, 84.2, 79.6, 74.8, 69.9, 55.0, 50.1, 30.6, 16.3),
}
CELLS = [(d, mu, pct) for d, row in TABLE.items() for mu, pct in zip(MEANS, row, strict=True)]
SESSIONS = 40_000


def closed_form(mu: float, d: int) -> float:
    """1 - μ / (d E[ceil(N/d)]) with the expectation summed over the Poisson pmf; the tail left
    out, beyond μ + 15√μ + 40, has probability below 1e-40."""
    n = np.arange(int(mu + 15 * np.sqrt(mu) + 40) + d)
    return 1.0 - mu / (d * np.sum(poisson.pmf(n, mu) * np.ceil(n / d)))


def ratio_and_error(wasted: np.ndarray, drawn: np.ndarray) -> tuple[float, float]:
    """Share wasted (ratio of sums) and its Monte Carlo standard error (delta method)."""
    share = wasted.sum() / drawn.sum()
    residual = wasted - share * drawn
    return share, residual.std(ddof=1) / (drawn.mean() * np.sqrt(len(drawn)))


@pytest.mark.parametrize(("d", "mu", "percent"), CELLS)
def test_closed_form_reproduces_the_validation_table(d, mu, percent):
    assert abs(100 * closed_form(mu, d) - percent) <= 0.05 + 1e-9
    assert expected_open_vial_wastage(mu, d) == pytest.approx(closed_form(mu, d), abs=1e-12)


@pytest.mark.parametrize("d", sorted(TABLE))
def test_simulated_sessions_match_the_closed_form(d):
    rng = np.random.default_rng(1000 + d)
    for mu in MEANS:
        people = rng.poisson(mu, SESSIONS)
        plan = open_vials(people, d)
        assert np.array_equal(plan.given, people)  # no threshold, no in-use limit: everyone served
        share, error = ratio_and_error(plan.wasted, plan.drawn)
        assert abs(share - closed_form(mu, d)) <= 4 * error, (d, mu, share, error)


def test_sessions_through_the_cold_chain_match_the_closed_form():
    """Pfizer (6 doses per vial), μ = 4 people per session, every dose through the ledger."""
    mu, d, sessions_per_day, days = 4, 6, 2_000, 5
    lots = [("PF-1", 0, 10**7, 0, 59, 2)]
    m = builders.model(
        stores=[("national", "national", -1, builders.UNLIMITED),
                ("province", "provincial", 0, builders.UNLIMITED),
                ("district", "district", 1, builders.UNLIMITED)],
        lots=lots, products=[builders.PFIZER], district_stores=[2], days=days + 1,
    )
    chain = builders.chain(m)
    chain.request(0, np.array([[10**7]]))
    rng = np.random.default_rng(7)
    people = []
    for day in range(days):
        chain.end_day(day)
        n = rng.poisson(mu, sessions_per_day)
        outcome = chain.administer(day + 1, Sessions.of(np.zeros_like(n), np.zeros_like(n), n))
        assert np.array_equal(outcome.given, n)
        people.append((n, outcome.wasted, outcome.vials))
    n, wasted, vials = (np.concatenate(x) for x in zip(*people, strict=True))
    assert np.array_equal(vials, -(-n // d))
    share, error = ratio_and_error(wasted, vials * d)
    assert abs(share - closed_form(mu, d)) <= 4 * error
    summary = chain.results().summary()
    assert summary["wasted_open_vial"] == wasted.sum()
    assert summary["doses_given"] == n.sum()


def test_who_indicative_wastage_bounds():
    """Single-dose vials waste nothing; 10-dose vials at 20 people a session about 18 %."""
    assert expected_open_vial_wastage(20, 1) == pytest.approx(0.0, abs=1e-12)
    assert 0.10 < expected_open_vial_wastage(20, 10) < 0.25
    assert expected_open_vial_wastage(50, 5) < expected_open_vial_wastage(50, 10)


@pytest.mark.parametrize(
    ("people", "late", "d", "k", "given", "vials", "turned_away"),
    [
        (12, 0, 10, 4, 12, 2, 0),   # no late people: the rule never bites
        (12, 2, 10, 4, 10, 1, 2),   # 10 early fill one vial; 2 late < 4: no new vial
        (12, 5, 10, 4, 10, 1, 2),   # 7 early; 3 late use the leftovers; 2 still waiting < 4
        (14, 6, 10, 4, 14, 2, 0),   # 8 early, 2 from leftovers, 4 waiting >= 4: open one
        (13, 13, 10, 4, 10, 1, 3),  # all late: 13 waiting >= 4 open one; then 3 < 4 wait
        (3, 3, 10, 4, 0, 0, 3),     # a late trickle below the threshold opens nothing
        (25, 25, 10, 12, 20, 2, 5),  # k > d: open while >= 12 wait: 25, 15, then 5 turned away
    ],
)
def test_opening_threshold(people, late, d, k, given, vials, turned_away):
    plan = open_vials(np.array([people]), d, late=np.array([late]), min_people_late=k)
    assert (plan.given[0], plan.vials[0], plan.turned_away[0]) == (given, vials, turned_away)
    assert plan.given[0] + plan.turned_away[0] == people
    assert plan.wasted[0] == plan.vials[0] * d - plan.given[0]


def test_threshold_rule_lowers_waste_and_serves_fewer():
    rng = np.random.default_rng(3)
    people = rng.poisson(6, 20_000)
    late = rng.binomial(people, 0.25)
    plain = open_vials(people, 10)
    ruled = open_vials(people, 10, late=late, min_people_late=3)
    assert ruled.wasted.sum() < plain.wasted.sum()
    assert ruled.given.sum() + ruled.turned_away.sum() == people.sum()
    assert ruled.turned_away.sum() > 0


def test_in_use_time_limits_doses_per_vial_in_long_sessions():
    # 10-dose vials, 2-hour in-use time, 8-hour session, 12 people evenly: 3 per vial life
    usable = usable_doses_per_vial(np.array([10, 10, 10]), np.array([12, 80, 12]),
                                   np.array([480.0, 480.0, 60.0]), np.array([120.0, 120.0, 120.0]))
    assert usable.tolist() == [3, 10, 10]
    plan = open_vials(np.array([12]), 10, usable=usable[:1])
    assert (plan.vials[0], plan.wasted[0]) == (4, 28)


def test_vials_kept_between_sessions_within_in_use_time():
    """With discard_at_session_end false, a site's morning and afternoon sessions share vials
    when both fit in the in-use time; otherwise each discards its own leftovers."""
    m = builders.model(
        stores=[("national", "national", -1, builders.UNLIMITED),
                ("district", "district", 0, builders.UNLIMITED)],
        lots=[("AZ-1", 0, 1000, 0, 59, 1)], products=[builders.ASTRAZENECA], district_stores=[1], days=4,
    )
    sessions = Sessions.of(district=[0, 0, 0, 0], product=[0, 0, 0, 0], people=[7, 6, 7, 6],
                           site=[1, 1, 2, 2], start=[480, 600, 420, 780], end=[570, 720, 540, 1020])
    keep = builders.chain(m, open_vial=OpenVial(discard_at_session_end=False))
    discard = builders.chain(m)
    outcomes = []
    for chain in (keep, discard):
        chain.request(0, np.array([[1000]]))
        chain.end_day(0)
        outcomes.append(chain.administer(1, sessions))
    kept, discarded = outcomes
    # site 1 spans 08:00-12:00 (4 h <= 6 h): 13 people, 2 vials, counted on its last session
    assert kept.vials.tolist() == [0, 2, 1, 1]
    assert kept.wasted.tolist() == [0, 7, 3, 4]
    assert discarded.vials.tolist() == [1, 1, 1, 1]
    assert kept.given.tolist() == discarded.given.tolist() == [7, 6, 7, 6]
    # What sessions will draw, known before they run (a re-plan reserves it for the people
    # booked), is what they drew: 4 vials of 10 doses either way.
    for chain, outcome in ((keep, kept), (discard, discarded)):
        assert chain.doses_to_draw(sessions).tolist() == [[outcome.vials.sum() * 10]] == [[40]]
