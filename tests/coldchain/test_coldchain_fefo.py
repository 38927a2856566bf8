"""First expiry, first out: the issuing helpers, and the order in which the chain issues lots
when it earmarks stock, loads vehicles and opens vials."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.coldchain import builders
from vaxsim.coldchain import Sessions
from vaxsim.coldchain.fefo import draw_for_sessions, load_in_order, match, order_by, take_in_order


@st.composite
def grouped(draw, max_groups: int = 4, max_rows: int = 12):
    groups = draw(st.integers(1, max_groups))
    group = np.sort(np.array(draw(st.lists(st.integers(0, groups - 1), max_size=max_rows)), dtype=np.int64))
    amount = np.array(draw(st.lists(st.integers(0, 50), min_size=len(group), max_size=len(group))),
                      dtype=np.int64)
    return groups, group, amount


@given(grouped(), st.data())
@settings(max_examples=200, deadline=None)
def test_take_in_order_takes_earliest_rows_first(rows, data):
    groups, group, doses = rows
    wanted = np.array(data.draw(st.lists(st.integers(0, 120), min_size=groups, max_size=groups)))
    taken = take_in_order(group, doses, wanted)
    assert np.all((taken >= 0) & (taken <= doses))
    per_group = np.bincount(group, weights=taken, minlength=groups)
    stock = np.bincount(group, weights=doses, minlength=groups)
    assert np.array_equal(per_group, np.minimum(wanted, stock))
    # a row gives only once every earlier row of its group has given everything
    for i in range(1, len(group)):
        if group[i] == group[i - 1] and taken[i] > 0:
            assert taken[i - 1] == doses[i - 1]


@given(grouped(), st.data())
@settings(max_examples=200, deadline=None)
def test_load_in_order_never_exceeds_the_room(rows, data):
    groups, group, doses = rows
    litres = np.array(data.draw(st.lists(st.sampled_from([0.0018, 0.00408, 0.005, 0.01]),
                                         min_size=len(group), max_size=len(group))))
    room = np.array(data.draw(st.lists(st.floats(0, 2), min_size=groups, max_size=groups)))
    loaded = load_in_order(group, doses, litres, room)
    assert np.all((loaded >= 0) & (loaded <= doses))
    used = np.bincount(group, weights=loaded * litres, minlength=groups)
    assert np.all(used <= room * (1 + 1e-9) + 1e-12)
    # room left is less than one dose of the first row that did not load in full
    for g in range(groups):
        short = np.flatnonzero((group == g) & (loaded < doses))
        if len(short):
            assert room[g] - used[g] < litres[short[0]] + 1e-12


@given(grouped(), grouped(), st.data())
@settings(max_examples=200, deadline=None)
def test_match_tiles_supply_into_demands(supply_rows, demand_rows, data):
    groups = max(supply_rows[0], demand_rows[0])
    _, s_group, supply = supply_rows
    _, d_group, demand = demand_rows
    si, di, doses, offset = match(s_group, supply, d_group, demand, groups)
    assert np.all(doses > 0)
    assert np.all(s_group[si] == d_group[di])
    assert np.all(np.bincount(si, weights=doses, minlength=len(supply)) <= supply)
    filled = np.bincount(di, weights=doses, minlength=len(demand))
    assert np.all(filled <= demand)
    stock = np.bincount(s_group, weights=supply, minlength=groups)
    asked = np.bincount(d_group, weights=demand, minlength=groups)
    assert np.array_equal(np.bincount(d_group, weights=filled, minlength=groups), np.minimum(stock, asked))
    for d in range(len(demand)):  # each demand's pieces tile [0, filled) in supply order
        mine = np.flatnonzero(di == d)
        if not len(mine):
            continue
        assert np.all(np.diff(si[mine]) > 0)
        assert np.array_equal(offset[mine], np.concatenate([[0], np.cumsum(doses[mine])[:-1]]))


def test_order_by_packs_or_falls_back_to_lexsort_alike():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    assert np.array_equal(order_by(a, b), np.lexsort((b, a)))
    huge = np.where(b > 2, 2**40, b)  # too wide to pack with a
    assert np.array_equal(order_by(a * 2**30, huge), np.lexsort((huge, a * 2**30)))


def fefo_model():
    """Three AstraZeneca lots at the national store, expiring days 50, 20 and 35."""
    lots = [("AZ-LATE", 0, 100, 0, 50, 0), ("AZ-EARLY", 0, 100, 0, 20, 0), ("AZ-MID", 0, 100, 0, 35, 0)]
    return builders.model(
        stores=[("national", "national", -1, builders.UNLIMITED),
                ("district", "district", 0, builders.UNLIMITED)],
        lots=lots, products=[builders.ASTRAZENECA], district_stores=[1], days=10,
    )


def issued(chain, event: str) -> list[tuple[str, int]]:
    ledger = chain.results().ledger()
    rows = ledger[ledger.event == event]
    return list(zip(rows.lot, rows.doses, strict=True))


def test_earmarking_and_shipping_take_the_earliest_expiry_first():
    chain = builders.chain(fefo_model())
    chain.request(0, np.array([[150]]))
    assert sorted(issued(chain, "shipped")) == [("AZ-EARLY", 100), ("AZ-MID", 50)]


def test_sessions_use_the_earliest_expiry_first():
    chain = builders.chain(fefo_model())
    chain.request(0, np.array([[300]]))
    chain.end_day(0)
    chain.administer(1, Sessions.of([0], [0], [120]))  # 12 vials = 120 doses
    assert sorted(issued(chain, "administered")) == [("AZ-EARLY", 100), ("AZ-MID", 20)]
    chain.administer(1, Sessions.of([0], [0], [95]))  # 10 vials: 95 given, 5 wasted
    given: dict[str, int] = {}
    for lot, doses in issued(chain, "administered"):
        given[lot] = given.get(lot, 0) + doses
    assert given == {"AZ-EARLY": 100, "AZ-MID": 100, "AZ-LATE": 15}
    assert issued(chain, "wasted") == [("AZ-LATE", 5)]


def test_stock_expiring_before_arrival_is_not_sent():
    """A lot usable until day 1 cannot reach a district two days away: it is not earmarked."""
    m = builders.model(
        stores=[("national", "national", -1, builders.UNLIMITED),
                ("province", "provincial", 0, builders.UNLIMITED),
                ("district", "district", 1, builders.UNLIMITED)],
        lots=[("AZ-SOON", 0, 100, 0, 1, 0), ("AZ-LATER", 0, 100, 0, 30, 0)],
        products=[builders.ASTRAZENECA], district_stores=[2], days=5,
    )
    chain = builders.chain(m)
    orders = chain.request(0, np.array([[150]]))
    assert orders.allocated.tolist() == [[100]] and orders.unfilled.tolist() == [[50]]
    assert issued(chain, "shipped") == [("AZ-LATER", 100)]


def test_sessions_draw_lots_in_order_given_doses_before_leftovers():
    """Hand-worked: one district-product holds lot rows of 4 and 10 doses (earliest use-by
    first); its two sessions draw 6 doses (5 given) then 6 (2 given). Session 0 takes 4 of row
    0 and 2 of row 1, the 5 given first (4 + 1) and its leftover 1 after; session 1 takes 6 of
    row 1, 2 given and 4 left over. A second group with no sessions keeps its stock."""
    row, session, given, wasted = draw_for_sessions(
        np.array([0, 0, 1]), np.array([4, 10, 7]), np.array([0, 0]), np.array([6, 6]), np.array([5, 2]), 2
    )
    pieces = sorted(zip(row.tolist(), session.tolist(), given.tolist(), wasted.tolist(), strict=True))
    expected = [(0, 0, 4, 0), (1, 0, 0, 1), (1, 0, 1, 0), (1, 1, 0, 4), (1, 1, 2, 0)]
    assert [p for p in pieces if p[2] + p[3] > 0] == expected
