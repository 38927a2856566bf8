"""Thaw clocks: ultra-cold and frozen stock moved to +2..+8 °C expires after days_at_2_8c
(31 days for Pfizer in 2021) or at its lot expiry, whichever comes first."""

from __future__ import annotations

import numpy as np
import pytest

from tests.coldchain import builders
from vaxsim.coldchain import Sessions

FAR = 300  # a lot expiry well after any thaw clock


def run(chain, days: int, wanted_on_day0: np.ndarray) -> None:
    chain.request(0, wanted_on_day0)
    for day in range(days):
        chain.end_day(day)


def wasted(chain) -> list[tuple[int, str, str, str, int]]:
    ledger = chain.results().ledger()
    rows = ledger[ledger.event == "wasted"]
    return list(zip(rows.day, rows.store, rows.lot, rows.cause, rows.doses, strict=True))


def test_pfizer_thaws_when_it_leaves_for_a_store_without_ultra_cold():
    """The provincial store has ultra-cold capacity, the district stores do not: the vials
    leave the province on day 1 at +2..+8 °C and may be used on days 1..31 only."""
    m = builders.three_tier([("PF-1", 0, 600, 0, FAR, 0)], [builders.PFIZER], days=40)
    chain = builders.chain(m)
    run(chain, 40, np.array([[300], [300]]))
    assert wasted(chain) == [
        (32, "district-a", "PF-1", "thaw_clock", 300),
        (32, "district-b", "PF-1", "thaw_clock", 300),
    ]
    stock = chain.results().stock_by_store()
    at_province = stock[(stock.store == "province")]
    assert at_province.empty  # nothing waits: all earmarked stock moved on


def test_thawed_stock_is_usable_until_its_last_day():
    m = builders.three_tier([("PF-1", 0, 600, 0, FAR, 0)], [builders.PFIZER], days=40)
    chain = builders.chain(m)
    chain.request(0, np.array([[300], [300]]))
    for day in range(31):
        chain.end_day(day)
    assert chain.available(31).tolist() == [[300], [300]]
    assert chain.available(31, horizon=1).tolist() == [[0], [0]]
    outcome = chain.administer(31, Sessions.of([0, 1], [0, 0], [60, 6]))
    assert outcome.given.tolist() == [60, 6]
    chain.end_day(31)
    chain.end_day(32)
    assert [w[3:] for w in wasted(chain)] == [("thaw_clock", 240), ("thaw_clock", 294)]


def test_lot_expiry_before_the_thaw_clock_is_expiry():
    m = builders.three_tier([("PF-1", 0, 600, 0, 10, 0)], [builders.PFIZER], days=20)
    chain = builders.chain(m)
    run(chain, 20, np.array([[300], [300]]))
    assert {(day, cause) for day, _, _, cause, _ in wasted(chain)} == {(11, "expiry")}


def test_stock_kept_ultra_cold_has_no_thaw_clock():
    """Districts with ultra-cold capacity keep Pfizer frozen: nothing expires before the lot."""
    m = builders.three_tier([("PF-1", 0, 600, 0, 50, 0)], [builders.PFIZER],
                            district_capacity=(10.0, 10.0, 100.0), days=55)
    chain = builders.chain(m)
    run(chain, 55, np.array([[300], [300]]))
    assert {(day, cause) for day, _, _, cause, _ in wasted(chain)} == {(51, "expiry")}


def test_delivery_into_a_store_without_the_class_thaws_on_arrival():
    frozen = dict(builders.PFIZER, id="moderna", storage_class="frozen", days_at_2_8c=30,
                  doses_per_vial=10, volume_litres_per_dose=0.0043)
    m = builders.model(
        stores=[("national", "national", -1, (0.0, 0.0, 1000.0))],
        lots=[("MD-1", 0, 500, 3, FAR, 0)], products=[frozen], district_stores=[0], days=40,
    )
    chain = builders.chain(m)
    for day in range(40):
        chain.end_day(day)
    assert wasted(chain) == [(33, "national", "MD-1", "thaw_clock", 500)]
    utilisation = chain.results().utilisation()
    assert utilisation["class"].tolist() == ["cold_2_8"]


@pytest.mark.parametrize("lead", [0, 2])
def test_thaw_clock_counts_days_on_the_road(lead):
    """Thawed on the day it leaves: a longer trip leaves fewer usable days at the district."""
    m = builders.model(
        stores=[("national", "national", -1, (100.0, 0.0, 100.0)),
                ("district", "district", 0, (0.0, 0.0, 100.0))],
        links=[(0, 1, lead, np.nan, "daily", 0)],
        lots=[("PF-1", 0, 60, 0, FAR, 0)], products=[builders.PFIZER], district_stores=[1], days=40,
    )
    chain = builders.chain(m)
    run(chain, 40, np.array([[60]]))
    assert wasted(chain) == [(31, "district", "PF-1", "thaw_clock", 60)]
    received = chain.results().ledger().query("event == 'received' and store == 'district'")
    assert received.day.tolist() == [lead]
