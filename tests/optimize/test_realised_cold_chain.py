"""The realised lot ledger keeps thaw clocks and store capacity (invariants 4 and 6).

The LPs model thaw periods and storage in fractions; the plan is made from the whole-dose
ledger, so the ledger itself must never use a thawed dose past its clock nor round a store over
its capacity. With weekly periods the LP's storage rows count a unit's week of use (its peak on
the evening shipments arrive).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import vaxsim
from tests.conftest import DEMO
from tests.optimize.tiny import PLAIN, solved, tiny
from vaxsim.coldchain.errors import ConservationError
from vaxsim.coldchain.ledger import ADMINISTERED, EXPIRY, RECEIVED, THAW_CLOCK, WASTED
from vaxsim.coldchain.lots import NOT_THAWED, Lots
from vaxsim.coldchain.temperature import COLD
from vaxsim.optimize.options import Options, PlanningOptions
from vaxsim.optimize.realise.ledger import PlanLedger
from vaxsim.optimize.realise.realise import _NationalDays, _Shipper, cold_chain
from vaxsim.optimize.realise.vaccination_day import usable_stock
from vaxsim.optimize.setup.context import make_context
from vaxsim.optimize.setup.demand import forecast_demand
from vaxsim.optimize.setup.lot_classes import lot_classes
from vaxsim.plan import check
from vaxsim.scenario.changes import with_changes

#: The demo over four months: Pfizer thawed at the district stores (no ultra-cold room) stays
#: in use well past its 31-day thaw clock unless the ledger tracks it.
LONGER = ["campaign.horizon_days=120"]
#: Weekly periods and district stores of 20 L at 2-8 °C: a week's doses arrive on its first day.
SMALL_STORES = ["cold_chain.district_store.capacity_litres.cold_2_8=20"]


@pytest.fixture(scope="module")
def demo():
    """Context and an empty ledger of the demo (no deliveries pending), with its lot indices."""
    model = vaxsim.compile_model(vaxsim.load(DEMO))
    ctx = make_context(model, Options(planning=PlanningOptions(period_days=1)), forecast_demand(model))
    return ctx


def empty_ledger(ctx) -> PlanLedger:
    """The demo's ledger with no delivery: tests put stock where they need it (:func:`put`)."""
    ledger = PlanLedger(ctx.hierarchy, Lots.from_model(ctx.model), ctx.days, cold_chain(ctx))
    ledger.pending.clear()
    ledger.delivered[:] = 0
    ledger.awaited[:] = False
    return ledger


def put(ledger: PlanLedger, node: int, lot: int, doses: int) -> None:
    """Doses of ``lot`` on hand at ``node`` from the start, counted as delivered (conservation holds)."""
    on_hand = np.zeros_like(ledger.stock)
    on_hand[node, lot] = doses
    ledger.open_with(on_hand)
    ledger.delivered[lot] += doses


def lot_of(ctx, lot_number: str) -> int:
    return int(np.flatnonzero(ctx.model.lots.id.astype(str).to_numpy() == lot_number)[0])


def pfizer(ctx) -> int:
    return int(list(ctx.model.products.id).index("pfizer"))


def test_district_stores_without_ultra_cold_room_keep_pfizer_thawed(demo):
    cold = cold_chain(demo)
    h = demo.hierarchy
    q = pfizer(demo)
    assert cold.thaws[h.district_node, q].all()
    assert not cold.thaws[h.province_node, q].any()
    assert (cold.kept_in[h.district_node, q] == COLD).all()


def test_thawed_stock_is_written_off_the_day_after_its_thaw_clock(demo):
    ledger = empty_ledger(demo)
    h = demo.hierarchy
    province, district = int(h.province_node[0]), int(h.district_node[0])
    lot = lot_of(demo, "PF-DEMO-01")
    put(ledger, province, lot, 600)
    sent, full = ledger.ship(np.array([district]), np.array([lot]), np.array([60]), frame=0)
    assert sent.tolist() == [60] and full.tolist() == [0]
    ledger.receive(np.array([district]), 0)
    arrived = int(ledger.day_of(np.array([district]), 0)[0])
    last = arrived + 31 - 1  # thawed on arrival, usable for 31 days
    assert ledger.use_by(np.array([district]))[0, lot] == last
    q = pfizer(demo)
    frame_of_last = last - int(h.offset[district])
    ledger.expire(np.array([district]), frame_of_last)
    assert usable_stock(ledger, np.array([district]), np.array([last]), demo.products)[0, q] == 60
    ledger.expire(np.array([district]), frame_of_last + 1)
    assert usable_stock(ledger, np.array([district]), np.array([last + 1]), demo.products)[0, q] == 0
    assert ledger.stock[district, lot] == 0
    assert ledger.thaw_clock_expired == 60
    expired = ledger.booked(WASTED, (EXPIRY, THAW_CLOCK))
    assert expired["doses"].sum() == 60 and expired["day"].tolist() == [last + 1]
    assert ledger.booked(WASTED, (THAW_CLOCK,))["doses"].sum() == 60
    ledger.check_conservation()


def test_a_lot_whose_thaw_clock_would_end_too_soon_is_not_sent_again(demo):
    ledger = empty_ledger(demo)
    h = demo.hierarchy
    province, district = int(h.province_node[0]), int(h.district_node[0])
    old, fresh = lot_of(demo, "PF-DEMO-01"), lot_of(demo, "PF-DEMO-02")
    put(ledger, province, old, 600)
    ledger.ship(np.array([district]), np.array([old]), np.array([60]), frame=0)
    ledger.receive(np.array([district]), 0)
    # 28 days later the district's clock for the old lot has 3 days left: a week's supply is
    # taken from the fresh lot, although the old one expires first.
    put(ledger, province, fresh, 600)
    sent, _ = ledger.ship(
        np.array([district]), np.array([old, fresh]), np.array([60]), frame=28, cover_days=7
    )
    assert sent.tolist() == [60]
    arriving = ledger.pending[28][0]
    assert arriving[1].tolist() == [fresh]
    # With nothing else to send, the old lot is not sent where it would be written off.
    sent, _ = ledger.ship(np.array([district]), np.array([old]), np.array([60]), frame=28, cover_days=7)
    assert sent.tolist() == [0]


def test_no_lot_is_sent_to_arrive_after_its_use_by(demo):
    """A district's day runs ahead of its province's by the lead time: a lot still usable at the
    province on the ship day but not on the arrival day is neither shipped nor sent on as a
    store's excess (vietnam-2021, seed 3: the re-plan of 27 December 2021 sent Pfizer expiring
    that day to arrive on the 28th, and the checker refused it)."""
    h = demo.hierarchy
    province = int(h.province_node[0])
    districts = h.district_node[h.parent[h.district_node] == province]
    district = int(districts[0])
    lead = int(h.offset[district] - h.offset[province])
    assert lead >= 1
    old, fresh = lot_of(demo, "AZ-DEMO-01"), lot_of(demo, "AZ-DEMO-02")
    frame = 10
    last_day = np.full(demo.model.lots.shape[0], demo.days + 100)
    last_day[old] = frame + int(h.offset[province])  # usable at the province today only
    ledger = empty_ledger(demo)
    ledger.cap_use_by(last_day)
    put(ledger, province, old, 600)
    sent, _ = ledger.ship(np.array([district]), np.array([old]), np.array([60]), frame=frame)
    assert sent.tolist() == [0]
    put(ledger, province, fresh, 600)
    sent, _ = ledger.ship(np.array([district]), np.array([old, fresh]), np.array([60]), frame=frame)
    assert sent.tolist() == [60]
    assert ledger.pending[frame][0][1].tolist() == [fresh]
    # Over its room (2,000 L at 2-8 °C), the province keeps the old lot rather than send it on.
    litres = float(demo.volume[ledger.lots.product[old]])
    put(ledger, province, old, int(2_000 / litres))
    before = len(ledger.shipments)
    ledger.relieve(np.array([province]), frame, districts)
    sent_on = [lot for line in ledger.shipments[before:] for lot in line[4].tolist()]
    assert old not in sent_on


def test_a_shipment_is_cut_to_the_room_left_in_the_destination_store(demo):
    ledger = empty_ledger(demo)
    h = demo.hierarchy
    province, district = int(h.province_node[0]), int(h.district_node[0])
    lot = lot_of(demo, "AZ-DEMO-01")
    litres = float(demo.volume[ledger.lots.product[lot]])
    put(ledger, province, lot, 100_000)
    put(ledger, district, lot, 1_000)
    sent, full = ledger.ship(np.array([district]), np.array([lot]), np.array([80_000]), frame=0, unit=10)
    # Demo district stores hold 300 L at 2-8 °C; whole vials of 10 doses fill what is left.
    assert sent[0] == int(np.floor((300 - 1_000 * litres) / (10 * litres))) * 10
    assert full[0] == 80_000 - sent[0]
    ledger.receive(np.array([district]), 0)
    assert ledger.stock[district, lot] * litres <= 300
    ledger.check_conservation()


@pytest.mark.parametrize(
    ("overrides", "period_days"),
    [(LONGER, 1), (SMALL_STORES, 7), (LONGER + SMALL_STORES, 7)],
    ids=["four-months", "weekly-small-stores", "both"],
)
def test_the_plan_uses_no_dose_past_its_thaw_clock_and_no_store_over_capacity(
    tmp_path, overrides, period_days
):
    scenario = vaxsim.load(DEMO, overrides=overrides)
    plan = vaxsim.optimize(scenario, planning=PlanningOptions(period_days=period_days))
    found = check(plan.write(tmp_path), scenario)
    assert [str(v) for v in found] == []
    supply = plan.summary["supply"]
    assert supply["delivered"] == (
        supply["administered"]
        + supply["wasted_open_vial"]
        + supply["expired"]
        + supply["on_hand_at_end"]
        + supply["in_transit_at_end"]
    )


def test_a_store_over_capacity_sends_the_excess_to_children_with_room(demo):
    ledger = empty_ledger(demo)
    h = demo.hierarchy
    province, districts = int(h.province_node[0]), h.district_node
    lot = lot_of(demo, "AZ-DEMO-01")
    litres = float(demo.volume[ledger.lots.product[lot]])
    # Demo province store: 2,000 L at 2-8 °C; the first district is full (300 L).
    put(ledger, province, lot, 500_000)
    put(ledger, int(districts[0]), lot, int(300 / litres))
    moved = ledger.relieve(np.array([province]), 0, districts)
    assert moved == int(np.ceil((500_000 * litres - 2_000) / litres))
    assert ledger.litres_room(np.array([province]), 0)[0].min() >= 0
    to_node = np.concatenate([s[1] for s in ledger.shipments])
    assert int(districts[0]) not in to_node.tolist()
    for district in districts:
        ledger.receive(np.array([district]), 0)
        assert ledger.litres_room(np.array([district]), 0)[0].min() >= 0
    ledger.check_conservation()


@pytest.mark.parametrize(("period_days", "most"), [(1, 25.0), (7, 20.0)])
def test_with_weekly_periods_a_units_storage_holds_the_weeks_use(period_days, most):
    # 25 people, a unit fridge for 20 doses: by the day, 25 can come and go in one period; by
    # the week, a period's shipment waits on its first evening, so at most 20 come at once
    # (overflow priced above a week's wait).
    storage = np.full((2, 3), np.inf)
    storage[1] = [np.inf, np.inf, 20 * 0.003]
    weights = replace(PLAIN, overflow=10_000.0)
    sub = tiny(
        periods=3, stock0=25.0, capacity=30.0, storage=storage, period_days=period_days, weights=weights
    )
    result = solved(sub)
    assert result.ship[1, 0].max() == pytest.approx(most)
    assert result.terms["overflow"] == pytest.approx(0.0)
    assert result.use[0, 0].sum() == pytest.approx(25.0)


def test_a_store_still_over_capacity_gives_back_what_it_received_that_day(demo):
    ledger = empty_ledger(demo)
    h = demo.hierarchy
    province, districts = int(h.province_node[0]), h.district_node
    national = int(h.parent[province])
    lot = lot_of(demo, "AZ-DEMO-01")
    litres = float(demo.volume[ledger.lots.product[lot]])
    put(ledger, national, lot, 600_000)
    for district in districts:  # every district store full (300 L at 2-8 °C)
        put(ledger, int(district), lot, int(300 / litres))
    # Uncapped, as shipments into provinces are in the national step: 2,000 L + 40 L arrive.
    doses = int(np.ceil((2_000 + 40) / litres))
    ledger.ship(np.array([province]), np.array([lot]), np.array([doses]), 0, capped=np.array([False]))
    ledger.receive(np.array([province]), 0)
    assert ledger.relieve(np.array([province]), 0, districts) == 0
    back = ledger.take_back(np.array([province]), 0)
    assert back == int(np.ceil((doses * litres - 2_000) / litres - 1e-9))
    assert ledger.litres_room(np.array([province]), 0)[0].min() >= 0
    assert ledger.stock[national, lot] == 600_000 - doses + back
    shipped = sum(int(s[5].sum()) for s in ledger.shipments)
    assert shipped == doses - back
    ledger.check_conservation()


def test_a_store_its_parent_cannot_take_back_from_receives_the_excess_a_day_later(demo):
    # The national twin's first re-plan (seed 2): store-14 three doses of Sputnik V over its
    # frozen room on 3 November, its districts full and its depot full later in the window.
    ledger = empty_ledger(demo)
    h = demo.hierarchy
    province, districts = int(h.province_node[0]), h.district_node
    national = int(h.parent[province])
    lot, later = lot_of(demo, "AZ-DEMO-01"), lot_of(demo, "AZ-DEMO-02")
    litres = float(demo.volume[ledger.lots.product[lot]])
    put(ledger, national, lot, 600_000)
    for district in districts:  # every district store full (300 L at 2-8 °C)
        put(ledger, int(district), lot, int(300 / litres))
    doses = int(np.ceil((2_000 + 40) / litres))  # 40 L more than the province's 2,000 L
    ledger.ship(np.array([province]), np.array([lot]), np.array([doses]), 0, capped=np.array([False]))
    # The national store, realised ahead, is filled on day 1: it has room on day 0's evening only.
    fill = int(20_000 / litres) - (600_000 - doses)
    delivery = (national, later, fill, True, NOT_THAWED)
    ledger.pending[1].append(tuple(np.array([value]) for value in delivery))
    ledger.delivered[later] += fill
    ledger.receive(np.array([national]), 1)
    ledger.receive(np.array([province]), 0)
    assert ledger.relieve(np.array([province]), 0, districts) == 0
    assert ledger.take_back(np.array([province]), 0) == 0
    held = ledger.hold_back(np.array([province]), 0)
    assert held == int(np.ceil((doses * litres - 2_000) / litres - 1e-9))
    assert ledger.litres_room(np.array([province, national]), 0).min() >= 0
    assert ledger.book.received[province, lot] == doses - held
    ledger.receive(np.array([province]), 1)
    assert ledger.stock[province, lot] == doses
    lines = [tuple(int(column[0]) for column in line) for line in ledger.shipments]
    ship_day, arrive_day = (int(ledger.day_of(np.array([n]), 1)[0]) for n in (national, province))
    assert lines[-1] == (national, province, ship_day, arrive_day, lot, held)
    ledger.check_conservation()


def test_the_plan_ledger_checks_every_node_with_the_cold_chains_book(demo):
    """A dose moved between two stores without a booking keeps every lot's total, so only a
    per-store check (the cold chain's, :meth:`vaxsim.coldchain.ledger.Ledger.check`) sees it."""
    ledger = empty_ledger(demo)
    h = demo.hierarchy
    province, district = int(h.province_node[0]), int(h.district_node[0])
    lot = lot_of(demo, "AZ-DEMO-01")
    put(ledger, province, lot, 1_000)
    sent, _ = ledger.ship(np.array([district]), np.array([lot]), np.array([100]), frame=0)
    ledger.receive(np.array([district]), 0)
    site = int(np.flatnonzero(demo.model.sites.district.to_numpy() == h.district_of[district])[0])
    day = ledger.day_of(np.array([district]), 0)
    ledger.give(np.array([district]), np.array([site]), day, np.array([lot]), np.array([90]), np.array([10]))
    summary = ledger.check_conservation()
    assert summary["administered"] == 90 and summary["wasted_open_vial"] == 10
    assert ledger.book.shipped[province, lot] == sent[0] == 100
    given = ledger.booked(ADMINISTERED)
    assert given["node"].tolist() == [district] and given["partner"].tolist() == [site]
    ledger.stock[province, lot] -= 1
    ledger.stock[district, lot] += 1
    with pytest.raises(ConservationError) as error:
        ledger.check_conservation()
    assert {b["node"] for b in error.value.breaks} == {h.ids[province], h.ids[district]}


def test_a_store_above_the_provinces_still_over_capacity_gives_back_what_it_received():
    # The national twin's re-plan of 29 November 2021 put a regional depot one Pfizer dose over
    # its ultra-cold room: shipments into it counted on more room than it freed that day, and
    # the provinces below it (realised later) could not take the excess.
    ctx, ledger, root, store = depot_ledger()
    lot = lot_of(ctx, "AZ-DEMO-01")
    litres = float(ctx.volume[ledger.lots.product[lot]])
    put(ledger, root, lot, 600_000)
    doses = int(np.ceil((50 + 4) / litres))  # 4 L more than the depot's 50 L at 2-8 °C
    ledger.ship(np.array([store]), np.array([lot]), np.array([doses]), 0, capped=np.array([False]))
    classes = every_lot_class(ctx)
    shipper = _Shipper(ctx, ledger, classes, np.array([store]), np.zeros((1, classes.size, 1)))
    _NationalDays(shipper, [np.array([root]), np.array([store])], np.array([store])).day(1, 0, period=7)
    assert ledger.litres_room(np.array([store]), 0)[0].min() >= 0
    assert ledger.stock[root, lot] + ledger.stock[store, lot] == 600_000
    ledger.check_conservation()


def depot_ledger():
    """The demo with its regional depot (:func:`with_depot`), an empty ledger, the national
    store's node and the depot's."""
    ctx = with_depot()
    root = int(np.flatnonzero(ctx.hierarchy.parent < 0)[0])
    return ctx, empty_ledger(ctx), root, int(np.flatnonzero(ctx.hierarchy.parent == root)[0])


def every_lot_class(ctx):
    """The lot classes of every lot of the context's model, over its whole horizon."""
    lots = ctx.model.lots
    every = np.ones(len(lots), dtype=bool)
    return lot_classes(lots, list(ctx.model.products.id), ctx.model.dates[0], every, ctx.days)


def with_depot(national_limited: bool = True):
    """Context of the demo with a regional depot (50 L at 2-8 °C) between the national store
    and the first province (``national_limited=False``: the national store's room not stated)."""
    national = vaxsim.load(DEMO).cold_chain.stores[0].model_dump(mode="json")
    if not national_limited:
        del national["capacity_litres"]
    depot = {
        "id": "depot",
        "name": "Regional depot",
        "level": "regional",
        "parent": "national",
        "capacity_litres": {"ultra_cold": 100, "frozen": 100, "cold_2_8": 50},
    }
    scenario = with_changes(
        vaxsim.load(DEMO),
        {"cold_chain.stores": [national, depot], "geography.provinces.0.parent_store": "depot"}
    )
    model = vaxsim.compile_model(scenario)
    return make_context(model, Options(planning=PlanningOptions(period_days=1)), forecast_demand(model))


@pytest.mark.parametrize("national_limited", [True, False], ids=["national-room-stated", "no-limit"])
def test_what_a_full_depot_cannot_take_back_goes_back_to_the_national_store(national_limited):
    # The national twin's re-plan of 4 October 2021: a depot passed Sputnik V from the national
    # store straight on to a province that could not hold it (its districts full), and the
    # depot was full later in the window, so only the national store could take it back.
    ctx = with_depot(national_limited)
    ledger = empty_ledger(ctx)
    h = ctx.hierarchy
    root = int(np.flatnonzero(h.parent < 0)[0])
    depot = int(np.flatnonzero(h.parent == root)[0])
    province = int(np.flatnonzero(h.parent == depot)[0])
    districts = h.district_node[h.parent[h.district_node] == province]
    lot, other = lot_of(ctx, "AZ-DEMO-02"), lot_of(ctx, "AZ-DEMO-01")
    litres = float(ctx.volume[ledger.lots.product[lot]])
    put(ledger, root, lot, 600_000)
    put(ledger, depot, other, int(50 / litres))  # the depot's 50 L full, less than a dose free
    for district in districts:  # every district store full (300 L at 2-8 °C)
        put(ledger, int(district), other, int(300 / litres))
    doses = int(np.ceil((2_000 + 40) / litres))  # 40 L more than the province's 2,000 L
    uncapped = np.array([False])
    ledger.ship(np.array([depot]), np.array([lot]), np.array([doses]), 0, capped=uncapped)
    ledger.receive(np.array([depot]), 0)
    ledger.ship(np.array([province]), np.array([lot]), np.array([doses]), 0, capped=uncapped)
    ledger.receive(np.array([province]), 0)
    assert ledger.relieve(np.array([province]), 0, districts) == 0
    back = ledger.take_back(np.array([province]), 0)
    assert back == int(np.ceil((doses * litres - 2_000) / litres - 1e-9))
    assert ledger.litres_room(np.array([province, depot]), 0).min() >= 0
    assert ledger.stock[root, lot] == 600_000 - doses + back
    assert ledger.stock[depot, lot] == 0
    assert ledger.book.shipped[depot, lot] == ledger.book.received[province, lot] == doses - back
    assert ledger.book.shipped[root, lot] == ledger.book.received[depot, lot] == doses - back
    ledger.check_conservation()


def test_a_delivery_arriving_during_a_period_is_sent_on_in_that_period():
    # A province's week (Realiser.provinces): vaccine reaching the province store after the
    # week's shipments to its districts left, which the LP counts from the week's start and
    # plans to send on that week, is sent on once it is there. Without this the province kept
    # it: vietnam-2021's seed-2 twin re-plan of 22 March 2021 put store-79 at 2,142 L of frozen
    # vaccine in its 1,000 L.
    ctx, ledger, origin, below = depot_ledger()
    lot = lot_of(ctx, "AZ-DEMO-01")
    doses = 1_000
    ledger.pending[3].append(
        (np.array([origin]), np.array([lot]), np.array([doses]), np.array([True]), np.array([NOT_THAWED]))
    )
    ledger.delivered[lot] += doses
    classes = every_lot_class(ctx)
    plan = np.zeros((1, classes.size, 2))
    plan[0, classes.of_lot[lot], 0] = doses  # sent on in the week it arrives, nothing later
    shipper = _Shipper(ctx, ledger, classes, np.array([below]), plan)
    for j in range(14):  # the province loop's order: the province receives, then ships
        ledger.receive(np.array([origin]), j)
        if j % 7 == 0:
            shipper.send(j // 7, j)
        else:
            shipper.retry(j)
        ledger.receive(np.array([below]), j)  # the district's day, after its province's
    received = ledger.booked(RECEIVED)
    into_below = received["node"] == below
    assert received["day"][into_below].tolist() == [int(ledger.day_of(np.array([below]), 3)[0])]
    assert ledger.stock[origin, lot] == 0
    assert ledger.stock[below, lot] == doses  # sent once, not again the next week
