"""The event book shared by the simulated cold chain and the optimizer's realised plan
(:class:`vaxsim.coldchain.ledger.Ledger`): per-row days, taken-back events, opening stock,
the in-transit check, the one write-off rule and the one store-room rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vaxsim.coldchain.errors import ConservationError
from vaxsim.coldchain.ledger import (
    ADMINISTERED,
    EXPIRY,
    OPEN_VIAL,
    RECEIVED,
    SHIPPED,
    THAW_CLOCK,
    WASTED,
    Ledger,
)
from vaxsim.coldchain.lots import NOT_THAWED, thaw_clock_binds
from vaxsim.coldchain.room import free_litres, litres_by_class, store_capacity

IDS = np.array(["national", "district"], dtype=object)
LOTS = np.array(["L0", "L1"], dtype=object)


def test_events_of_one_call_keep_their_own_days_and_sum_per_day_store_lot_and_partner():
    book = Ledger(2, 2)
    book.record(np.array([3, 3, 4]), RECEIVED, np.array([1, 1, 1]), np.array([0, 0, 0]), np.array([5, 6, 7]),
                partner=0)
    rows = book.events()
    assert rows[:, 0].tolist() == [3, 4]
    assert rows[:, 6].tolist() == [11, 7]
    assert (rows[:, 5] == 0).all()
    assert book.received[1, 0] == 18


def test_a_session_booked_with_its_site_as_partner_balances_its_store():
    book = Ledger(2, 2)
    book.record(0, RECEIVED, np.array([1]), np.array([1]), np.array([10]))
    book.record(np.array([2, 2]), ADMINISTERED, np.array([1, 1]), np.array([1, 1]), np.array([4, 3]),
                partner=np.array([7, 8]))  # sites 7 and 8: partners beyond the stores
    book.record(2, WASTED, np.array([1]), np.array([1]), np.array([2]), cause=OPEN_VIAL, partner=8)
    on_hand = np.array([[0, 0], [0, 1]])
    book.check(on_hand, 2, IDS, LOTS)
    assert sorted(book.events()[:, 5].tolist()) == [-1, 7, 8, 8]


def test_a_shipment_taken_back_nets_to_what_happened():
    book = Ledger(2, 1)
    book.record(0, RECEIVED, np.array([0]), np.array([0]), np.array([100]))
    book.record(1, SHIPPED, np.array([0]), np.array([0]), np.array([40]), partner=1)
    book.record(1, RECEIVED, np.array([1]), np.array([0]), np.array([40]), partner=0)
    book.amend(1, SHIPPED, np.array([0]), np.array([0]), np.array([15]), partner=1)
    book.amend(1, RECEIVED, np.array([1]), np.array([0]), np.array([15]), partner=0)
    assert book.shipped[0, 0] == 25 and book.received[1, 0] == 25
    book.check(np.array([[75], [25]]), None, IDS, LOTS[:1])
    book.check_transit(np.array([100]), np.array([0]), None, LOTS[:1])
    events = pd.DataFrame(book.events(), columns=["day", "node", "lot", "event", "cause", "partner", "doses"])
    assert events.groupby("event").doses.sum().tolist() == [100 + 25, 25]
    with pytest.raises(ValueError):
        book.record(1, SHIPPED, np.array([0]), np.array([0]), np.array([-1]))


def test_opening_stock_counts_as_received_and_a_misplaced_dose_names_both_stores():
    book = Ledger(2, 2)
    opening = np.array([[0, 50], [0, 0]])
    book.open_with(opening)
    book.check(opening, 0, IDS, LOTS)
    # The lot's total still balances, but one dose sits at the wrong store: both are named.
    with pytest.raises(ConservationError) as error:
        book.check(np.array([[0, 49], [0, 1]]), 0, IDS, LOTS)
    assert {b["node"] for b in error.value.breaks} == {"national", "district"}
    with pytest.raises(ConservationError, match="off by"):
        book.check(np.array([[0, 51], [0, -1]]), 0, IDS, LOTS)


def test_a_shipment_neither_landed_nor_on_the_road_breaks_the_transit_check():
    book = Ledger(2, 1)
    book.record(0, RECEIVED, np.array([0]), np.array([0]), np.array([10]))
    book.record(0, SHIPPED, np.array([0]), np.array([0]), np.array([4]), partner=1)
    book.check_transit(np.array([10]), np.array([4]), 0, LOTS[:1])
    with pytest.raises(ConservationError, match="in transit"):
        book.check_transit(np.array([10]), np.array([3]), 0, LOTS[:1])


def test_a_write_off_is_thaw_clock_waste_only_where_the_clock_ended_before_the_expiry():
    thaw_day = np.array([0, 0, NOT_THAWED])
    expiry = np.array([40, 20, 40])
    binds = thaw_clock_binds(thaw_day, np.array([31, 31, 31]), expiry)
    assert binds.tolist() == [True, False, False]
    book = Ledger(1, 3)
    day, node, lot = np.array([31, 21, 41]), np.zeros(3, dtype=np.int64), np.arange(3)
    book.write_off(day, node, lot, np.array([5, 6, 7]), binds)
    assert book.wasted[THAW_CLOCK].sum() == 5 and book.wasted[EXPIRY].sum() == 13
    assert sorted(book.events()[:, 0].tolist()) == [21, 31, 41]


def test_room_is_capacity_less_on_hand_less_arriving_plus_leaving():
    stores = pd.DataFrame(
        {
            "capacity_litres_ultra_cold": [10.0, 0.0],
            "capacity_litres_frozen": [0.0, 0.0],
            "capacity_litres_cold_2_8": [20.0, 0.0],
        }
    )
    capacity = store_capacity(stores)
    assert np.isinf(capacity[1]).all()  # nothing stated: no limit
    on_hand = litres_by_class(2, np.array([0, 0, 1]), np.array([2, 2, 0]), np.array([5.0, 3.0, 99.0]))
    arriving = litres_by_class(2, np.array([0]), np.array([0]), np.array([4.0]))
    leaving = np.zeros((2, 3))
    leaving[0, 2] = 2.0
    room = free_litres(capacity, on_hand, arriving, leaving)
    assert room[0].tolist() == [6.0, 0.0, 14.0]
    assert np.isinf(room[1]).all()
