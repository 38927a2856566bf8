"""Conservation: for every lot at every store, every day, received = administered + wasted +
shipped out + on hand — as a property over random small chains and random days of operation,
with every mishap switched on. A broken identity must fail loudly, naming lot, store and day."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.coldchain import builders
from vaxsim.coldchain import ConservationError, Sessions
from vaxsim.scenario.cold_chain import Disruptions
from vaxsim.scenario.distributions import Exponential
from vaxsim.scenario.policies import OpenVial

CLASSES = ("ultra_cold", "frozen", "cold_2_8")


@st.composite
def small_chains(draw):
    """A random store tree, links, products, lots, districts, mishaps and open-vial policy."""
    n = draw(st.integers(1, 5))
    capacity = st.sampled_from([0.0, 0.05, 0.5, 5.0, 1000.0])
    stores = []
    for i in range(n):
        parent = -1 if i == 0 else draw(st.integers(0, i - 1))
        level = "national" if i == 0 else draw(st.sampled_from(["regional", "provincial", "district"]))
        stores.append((f"s{i}", level, parent, (draw(capacity), draw(capacity), draw(capacity))))
    links = [
        (s[2], i, draw(st.integers(0, 3)), draw(st.sampled_from([np.nan, 0.01, 0.1, 1.0])),
         draw(st.sampled_from(["daily", "weekly", "on_demand"])), draw(st.integers(0, 6)))
        for i, s in enumerate(stores) if s[2] >= 0
    ]
    products = []
    for k in range(draw(st.integers(1, 3))):
        cls = draw(st.sampled_from(CLASSES))
        products.append({
            "id": f"p{k}",
            "doses_per_vial": draw(st.sampled_from([1, 2, 5, 6, 10, 20])),
            "storage_class": cls,
            "days_at_2_8c": None if cls == "cold_2_8" else draw(st.integers(1, 10)),
            "in_use_hours": draw(st.sampled_from([0.5, 1.0, 6.0])),
            "volume_litres_per_dose": draw(st.sampled_from([0.0018, 0.004, 0.01])),
        })
    days = draw(st.integers(3, 16))
    lots = []
    for j in range(draw(st.integers(1, 5))):
        arrival = draw(st.integers(-2, days - 1))
        lots.append((f"lot{j}", draw(st.integers(0, len(products) - 1)), draw(st.integers(1, 400)),
                     arrival, arrival + draw(st.integers(0, 20)), draw(st.integers(0, n - 1))))
    district_stores = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))
    disruptions = Disruptions(
        shipment_delay_probability=draw(st.sampled_from([0.0, 0.3, 1.0])),
        shipment_delay_days=Exponential(mean=draw(st.sampled_from([0.5, 2.0]))),
        excursion_probability_per_store_day=draw(st.sampled_from([0.0, 0.05, 0.3])),
        breakage_share=draw(st.sampled_from([0.0, 0.02, 0.5])),
    )
    open_vial = OpenVial(
        discard_at_session_end=draw(st.booleans()),
        late_minutes=draw(st.sampled_from([0.0, 30.0])),
        min_people_late=draw(st.integers(1, 8)),
    )
    spec = {"stores": stores, "links": links, "lots": lots, "products": products,
            "district_stores": district_stores, "days": days}
    return spec, disruptions, open_vial, draw(st.integers(0, 2**16))


@given(small_chains(), st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_dose_is_accounted_for_every_day(setup, data):
    spec, disruptions, open_vial, seed = setup
    m = builders.model(**spec)
    chain = builders.chain(m, seed=seed, disruptions=disruptions, open_vial=open_vial)
    districts, products = len(m.districts), len(m.products)
    for day in range(len(m.dates)):
        chain.receive(day)
        chain.advance(day)
        if data.draw(st.booleans()):
            wanted = np.array(data.draw(st.lists(st.integers(0, 300), min_size=districts * products,
                                                 max_size=districts * products))).reshape(districts, products)
            orders = chain.request(day, wanted)
            assert np.all(orders.allocated >= 0) and np.all(orders.allocated + orders.unfilled == wanted)
        else:
            chain.request(day)  # only loads today's trips
        if data.draw(st.booleans()):
            count = data.draw(st.integers(0, 6))
            people = np.array(data.draw(st.lists(st.integers(0, 40), min_size=count, max_size=count)),
                              dtype=np.int64)
            late = np.array([data.draw(st.integers(0, p)) for p in people], dtype=np.int64)
            start = np.array(data.draw(st.lists(st.sampled_from([420, 600, 780]), min_size=count,
                                                max_size=count)), dtype=float)
            sessions = Sessions.of(
                district=data.draw(st.lists(st.integers(0, districts - 1), min_size=count, max_size=count)),
                product=data.draw(st.lists(st.integers(0, products - 1), min_size=count, max_size=count)),
                people=people, late=late,
                site=data.draw(st.lists(st.integers(0, 2), min_size=count, max_size=count)),
                start=start, end=start + 120,
            )
            before = chain.available(day).copy()
            outcome = chain.administer(day, sessions)
            assert np.array_equal(outcome.given + outcome.short + outcome.turned_away, people)
            assert np.all((outcome.short >= 0) & (outcome.turned_away >= 0))
            given = outcome.by_district("given", districts, products)
            wasted = outcome.by_district("wasted", districts, products)
            assert np.all(given + wasted <= before)
            assert np.array_equal(chain.available(day), before - given - wasted)
        if data.draw(st.booleans()):
            chain.end_day(day)  # checks every lot at every store, and every dose on the road
        ledger = chain.ledger
        assert chain.delivered.sum() == (ledger.administered.sum() + ledger.wasted.sum()
                                         + chain.stock.doses.sum() + chain.transit.doses.sum())
        assert np.all(chain.stock.doses >= 0) and np.all(chain.transit.doses >= 0)
    summary = chain.results().summary()  # closes nothing; checks again from the tidy ledger
    assert summary["doses_delivered"] == (
        summary["doses_given"] + summary["doses_wasted"]
        + summary["doses_on_hand_at_end"] + summary["doses_in_transit_at_end"]
    )


def three_tier_chain():
    m = builders.three_tier([("AZ-1", 0, 1000, 0, 50, 0)], [builders.ASTRAZENECA], days=10)
    chain = builders.chain(m)
    chain.request(0, np.array([[300], [200]]))
    for day in range(3):
        chain.end_day(day)
    return chain


def test_a_dose_that_vanishes_fails_loudly_naming_lot_store_and_day():
    chain = three_tier_chain()
    chain.stock.doses[np.flatnonzero(chain.stock.doses == 300)[0]] -= 1  # a dose lost silently
    with pytest.raises(ConservationError) as error:
        chain.end_day(3)
    message = str(error.value)
    assert "day 3" in message and "'AZ-1'" in message and "'district-a'" in message
    assert "off by +1" in message
    assert error.value.breaks[0]["on_hand"] == 299


def test_a_dose_lost_on_the_road_fails_loudly():
    m = builders.three_tier([("AZ-1", 0, 1000, 0, 50, 0)], [builders.ASTRAZENECA], days=10)
    chain = builders.chain(m)
    chain.request(0, np.array([[300], [200]]))
    chain.transit.doses[0] -= 1
    with pytest.raises(ConservationError, match="in transit"):
        chain.end_day(0)


def test_the_tidy_ledger_is_checked_independently():
    chain = three_tier_chain()
    results = chain.results()
    results.verify()
    ledger = results.ledger()
    by_event = ledger.groupby("event").doses.sum()
    assert by_event["received"] == 1000 + 500 + 500  # national, province, districts
    assert by_event["shipped"] == 500 + 500
    from vaxsim.coldchain.ledger import verify_table

    stock = results.stock_on_hand()
    stock.loc[0, "doses"] += 5
    with pytest.raises(ConservationError, match="end of the run"):
        verify_table(ledger, stock)


def test_a_conservation_error_survives_simpys_re_raise():
    """SimPy re-raises a process's exception as ``type(exc)(*exc.args)``: the error must come
    out whole (its message and its breaks), not as a TypeError about missing arguments."""
    import simpy

    breaks = [
        {
            "lot": "L1", "node": "s0", "received": 5, "administered": 1, "wasted": 0, "shipped": 0,
            "on_hand": 1, "difference": 3,
        }
    ]

    def broken(env):
        yield env.timeout(1)
        raise ConservationError(1, breaks)

    env = simpy.Environment()
    env.process(broken(env))
    with pytest.raises(ConservationError, match="lot 'L1' at 's0'") as error:
        env.run()
    assert error.value.breaks == breaks and error.value.day == 1
