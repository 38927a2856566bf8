"""Next doses at the site of the dose before, and first doses only when their follow-up fits
in the plan (vaxsim.optimize.realise.follow_ups; invariant 8 of PLAN_FORMAT.md)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import vaxsim
from tests.conftest import DEMO
from vaxsim.optimize.options import PlanningOptions
from vaxsim.optimize.realise.follow_up_room import ALL, FollowUpRoom
from vaxsim.optimize.realise.follow_ups import UNSITED, FollowUps
from vaxsim.optimize.setup.context import Steps
from vaxsim.plan import check
from vaxsim.plan.invariants import invariant_8, rules_from_products
from vaxsim.plan.plan import FIRST_DOSES_FIRST, FOLLOW_UPS_RESERVED


def _steps(min_days: int = 21, max_days: int = 28) -> Steps:
    """One product, two doses: slot 0 = dose 1, slot 1 = dose 2, one step."""
    one = np.array([0])
    return Steps(
        product=one * 0,
        dose=one + 2,
        prev=one - 1,
        given=np.array([[True]]),
        min_days=one * 0 + min_days,
        max_days=one * 0 + max_days,
        min_periods=one * 0 + 3,
        max_periods=one * 0 + 4,
        slot=one + 1,
        prev_slot=one * 0,
        slot_product=np.array([0, 0]),
        slot_dose=np.array([1, 2]),
    )


def _enter(queues: FollowUps, district, site, day, persons) -> None:
    n = len(persons)
    queues.enter(
        np.zeros(n, dtype=np.int64), *(np.asarray(a, dtype=np.int64) for a in (district, site, day, persons))
    )


def test_people_are_taken_oldest_first_once_their_interval_has_passed():
    queues = FollowUps(_steps(), sites=3)
    _enter(queues, [0, 0], [0, 1], [0, 0], [5, 4])  # day 0: 5 at site 0, 4 at site 1
    _enter(queues, [0, 0], [0, 1], [1, 1], [7, 2])  # day 1
    room = np.array([100, 100, 100])
    too_soon = queues.take(kind=0, step=0, today=np.array([20]), want=np.array([50]), room=room)
    assert too_soon.persons.sum() == 0
    taken = queues.take(kind=0, step=0, today=np.array([21]), want=np.array([8]), room=room)
    # Day-0 cohorts only (day 1 is not yet due), site order within the day: 5 at site 0, 3 at site 1.
    assert taken.site.tolist() == [0, 1] and taken.persons.tolist() == [5, 3]
    assert room.tolist() == [95, 97, 100]
    assert queues.waiting(1).tolist() == [[18 - 8]]


def test_a_site_without_room_leaves_its_people_waiting_and_returns_the_cut_ones():
    queues = FollowUps(_steps(), sites=2)
    _enter(queues, [0, 0], [0, 1], [0, 0], [6, 6])
    room = np.array([4, 10])
    taken = queues.take(kind=0, step=0, today=np.array([25]), want=np.array([12]), room=room)
    assert dict(zip(taken.site.tolist(), taken.persons.tolist(), strict=True)) == {0: 4, 1: 6}
    assert room.tolist() == [0, 4]
    # Stock allowed only 2 of site 1's six: four go back to the queue.
    queues.give_back(taken, given=np.array([4, 2]))
    assert queues.waiting(1).tolist() == [[2 + 4]]
    queues.end_day()
    assert queues.queues[0].site.tolist() == [0, 1] and queues.queues[0].waiting.tolist() == [2, 4]


def test_overdue_people_are_counted_from_the_queues():
    queues = FollowUps(_steps(min_days=21, max_days=28), sites=1)
    _enter(queues, [0], [0], [0], [4])  # window days 21..28
    _enter(queues, [0], [0], [5], [6])  # window days 26..33
    taken = queues.take(kind=0, step=0, today=np.array([27]), want=np.array([7]), room=np.array([100]))
    assert taken.day.tolist() == [0, 5] and taken.persons.tolist() == [4, 3]  # oldest first
    assert queues.past_window(np.array([27]), 1).tolist() == [[0]]
    assert queues.past_window(np.array([34]), 1).tolist() == [[3]]


def test_cohorts_of_unknown_site_are_served_first_when_older_and_take_no_site_room():
    queues = FollowUps(_steps(), sites=2)
    queues.enter_history(np.array([0]), np.array([0]), np.array([-5]), np.array([3]))
    _enter(queues, [0], [1], [0], [5])
    room = np.array([0, 2])
    taken = queues.take(kind=0, step=0, today=np.array([22]), want=np.array([10]), room=room)
    assert taken.site.tolist() == [UNSITED, 1] and taken.persons.tolist() == [3, 2]


def test_room_is_held_on_the_earliest_free_days_of_the_window_and_first_doses_are_cut_to_it():
    # Site 0 sees 10 people a day; the window of a dose given on day 0 is days 21..28.
    room = FollowUpRoom(_steps(), np.full((1, 60), 10))
    kept, held = room.hold(np.array([0]), np.array([0]), np.array([0]), np.array([25]), np.array([True]))
    assert kept.tolist() == [25]
    assert room.held[21:24, 0].tolist() == [10, 10, 5] and room.held[24:, 0].sum() == 0
    # Day 1's window (days 22..29) has 8 x 10 - 15 = 65 left: the second entry is cut to 5.
    cut = np.ones(2, dtype=bool)
    kept, _ = room.hold(np.array([0, 0]), np.array([0, 0]), np.array([1, 1]), np.array([60, 30]), cut)
    assert kept.tolist() == [60, 5]
    assert room.held[21:30, 0].tolist() == [10, 10, 10, 10, 10, 10, 10, 10, 10]
    room.release(held)  # the first call's room: days 21, 22 and half of 23
    assert room.held[21:24, 0].tolist() == [0, 0, 5]


def test_next_doses_are_never_cut_and_keep_their_people_when_the_window_is_full():
    room = FollowUpRoom(_steps(), np.full((1, 60), 2))
    kept, held = room.hold(np.array([0]), np.array([0]), np.array([0]), np.array([30]), np.array([False]))
    assert kept.tolist() == [30] and held.persons.sum() == 16  # 8 days x 2: room for 16 only


def test_booked_people_are_due_on_the_days_their_room_is_held():
    queues = FollowUps(_steps(), sites=1, room=FollowUpRoom(_steps(), np.full((1, 60), 4)))
    _enter(queues, [0], [0], [0], [10])  # 4 on day 21, 4 on day 22, 2 on day 23
    assert queues.queues[0].due.tolist() == [21, 22, 23]
    due = [queues.ready(np.array([day]), 1)[0, 0] for day in (20, 21, 22, 23)]
    assert due == [0, 4, 8, 10]


@pytest.fixture(scope="module")
def demo_plan():
    return vaxsim.optimize(DEMO, planning=PlanningOptions(follow_up_in_plan=True))


def test_every_next_dose_is_at_the_site_of_the_dose_before(demo_plan):
    appointments = demo_plan.appointments.merge(
        demo_plan.capacity[["capacity_id", "site_id", "dose_number", "service_date"]], on="capacity_id"
    )
    series = appointments.pivot_table(
        index="person_key", columns="dose_number", values="site_id", aggfunc="first"
    )
    both = series.dropna()
    assert len(both) > 1000
    assert (both[1] == both[2]).all()


def _first_doses_too_late(plan, model) -> int:
    """First doses the plan gives on days from which the series' later doses (the sum of its
    minimum intervals) are due after the campaign's end."""
    last = pd.Timestamp(model.dates[-1])
    intervals = model.intervals.assign(product_id=model.products.id.to_numpy()[model.intervals["product"]])
    minimum = intervals.groupby("product_id").min_days.sum()
    first = plan.capacity[plan.capacity.dose_number == 1]
    days_left = (last - pd.to_datetime(first.service_date.astype(str))).dt.days
    needed = first.product_id.map(minimum).fillna(0).to_numpy()
    return int(first.capacity[days_left.to_numpy() < needed].sum())


def test_first_doses_stop_when_their_follow_up_would_fall_after_the_plan(demo_plan):
    model = vaxsim.compile_model(vaxsim.load(DEMO))
    assert _first_doses_too_late(demo_plan, model) == 0
    anyway = vaxsim.optimize(model, planning=PlanningOptions(follow_up_in_plan=False))
    assert _first_doses_too_late(anyway, model) > 0  # the rule really changes the demo plan


def _slots_without_follow_up(plan) -> int:
    capacity = plan.capacity.assign(csv_line=range(2, len(plan.capacity) + 2), booked=0)
    tables = {"capacity": capacity, "products": plan.products}
    return sum(int(v.message.split(" of ")[0]) for v in invariant_8(tables, rules_from_products(tables)))


def test_every_first_dose_slot_has_its_follow_up_even_when_nobody_is_booked(demo_plan):
    """Invariant 8 counted on every first-dose slot as if free (national plans publish
    ``booked = 0``). The demo's supply is short (63,000 doses for 68,800 people): with
    follow-ups held, first doses stop where their next doses could not be given; without,
    some slots have none (few: the completion reward already favours finishing series)."""
    first = int(demo_plan.capacity.capacity[demo_plan.capacity.dose_number == 1].sum())
    assert _slots_without_follow_up(demo_plan) == 0
    anyway = vaxsim.optimize(DEMO, planning=PlanningOptions(follow_up_in_plan=False))
    assert 0 < _slots_without_follow_up(anyway) < 0.1 * first


def test_a_first_doses_first_plan_says_so_and_is_checked_for_what_it_promises(demo_plan, tmp_path):
    """The default plan (first doses first) declares its policy in plan.json; the checker then
    holds its free slots to being free, not to a follow-up it never promised. The same bundle
    with the declaration removed is held to the promise and fails invariant 8."""
    plan = vaxsim.optimize(DEMO)
    assert demo_plan.summary["follow_ups"] == FOLLOW_UPS_RESERVED
    assert plan.summary["follow_ups"] == FIRST_DOSES_FIRST
    free = replace(plan, capacity=plan.capacity.assign(booked=0), appointments=plan.appointments.iloc[:0])
    declared = check(free.write(tmp_path / "declared"))
    assert [v for v in declared if v.rule == "invariant 8"] == []
    undeclared = replace(free, summary={k: v for k, v in free.summary.items() if k != "follow_ups"})
    found = check(undeclared.write(tmp_path / "undeclared"))
    assert any(v.rule == "invariant 8" and "no dose 2 capacity reserved" in v.message for v in found)


def _three_doses() -> Steps:
    """One product, three doses 14-21 days apart: slots 0, 1, 2; steps 0 (dose 2), 1 (dose 3)."""
    return Steps(
        product=np.array([0, 0]),
        dose=np.array([2, 3]),
        prev=np.array([-1, 0]),
        given=np.array([[True], [True]]),
        min_days=np.array([14, 14]),
        max_days=np.array([21, 21]),
        min_periods=np.array([2, 2]),
        max_periods=np.array([3, 3]),
        slot=np.array([1, 2]),
        prev_slot=np.array([0, 1]),
        slot_product=np.array([0, 0, 0]),
        slot_dose=np.array([1, 2, 3]),
    )


def test_a_three_dose_series_is_booked_to_its_end_at_the_first_dose():
    # 10 a day; days 28..35 (dose 3 of day-0 starters) are already full but for 4 on day 35.
    room = FollowUpRoom(_three_doses(), np.full((1, 80), 10))
    room.room.free[ALL][28:35, 0] = 0
    room.room.free[ALL][35, 0] = 4
    kept, held = room.hold(np.array([0]), np.array([0]), np.array([0]), np.array([10]), np.array([True]))
    # Dose 2 on day 14 leaves dose 3 only day 35 (4 places): 4 people start, not 10.
    assert kept.tolist() == [4]
    rows = zip(held.step.tolist(), held.day.tolist(), held.persons.tolist(), strict=True)
    assert sorted(rows) == [(0, 14, 4), (1, 35, 4)]
    room.release(held)
    assert room.held[14, 0] == 0 and room.held[35, 0] == 6


def test_room_booked_ahead_is_given_back_when_the_dose_before_is_given():
    room = FollowUpRoom(_three_doses(), np.full((1, 80), 10))
    queues = FollowUps(_three_doses(), sites=1, room=room)
    _enter(queues, [0], [0], [0], [5])  # dose 1 on day 0: dose 2 booked day 14, dose 3 day 28
    assert room.held[14, 0] == 5 and room.held[28, 0] == 5
    room.unbook_ahead(np.array([1]), np.array([0]), np.array([13]), np.array([5]))  # not theirs
    assert room.held[28, 0] == 5
    room.unbook_ahead(np.array([1]), np.array([0]), np.array([14]), np.array([5]))  # dose 2 to all
    assert room.held[28, 0] == 0 and not len(room.ahead[1][0])


def test_starters_are_booked_no_later_than_their_stock_lasts():
    from vaxsim.optimize.realise.vaccination_day import last_day_covered

    class Ledger:  # the ledger's lots seen from one node: 30 doses usable to day 40, 20 to day 60
        stock = np.array([[30, 20]])
        lots = SimpleNamespace(product=np.array([0, 0]))

    use_by = np.array([[40, 60]])
    assert last_day_covered(Ledger, np.array([0]), use_by, np.array([[10]])).tolist() == [[60]]
    assert last_day_covered(Ledger, np.array([0]), use_by, np.array([[25]])).tolist() == [[40]]
    assert last_day_covered(Ledger, np.array([0]), use_by, np.array([[60]])).tolist() == [[-1]]


def test_people_past_their_interval_window_are_not_taken():
    """A next-dose appointment must fall inside the window (plan-format invariant 5): people
    whose maximum interval has ended stay overdue."""
    queues = FollowUps(_steps(min_days=21, max_days=28), sites=1)
    _enter(queues, [0], [0], [0], [5])
    room = np.array([100])
    assert queues.take(kind=0, step=0, today=np.array([28]), want=np.array([9]), room=room).persons.sum() == 5
    _enter(queues, [0], [0], [0], [5])
    assert queues.take(kind=0, step=0, today=np.array([29]), want=np.array([9]), room=room).persons.sum() == 0
    assert queues.past_window(np.array([29]), 1).tolist() == [[5]]
