"""The demo plan: a fully filled Plan whose invariants (PLAN_FORMAT.md) hold, checked here
independently of the optimizer's own bookkeeping."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import vaxsim
from tests.conftest import DEMO, SMALL_STORES
from vaxsim.optimize.options import default_solver
from vaxsim.plan import TABLES

ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$")


@pytest.fixture(scope="module")
def demo():
    scenario = vaxsim.load(DEMO)
    return scenario, vaxsim.compile_model(scenario), vaxsim.optimize(scenario)


def test_every_table_is_filled_with_the_contract_columns(demo):
    _, _, plan = demo
    assert plan.column_problems() == []
    for name in TABLES:
        if name != "opening_stock":  # only a re-plan starts from an opening stock
            assert len(getattr(plan, name)) > 0, name
    assert plan.opening_stock.empty
    assert plan.solver["name"] == default_solver() and plan.solver["status"] == "optimal"
    assert plan.scenario["name"] == "demo-district" and len(plan.scenario["sha256"]) == 64
    assert plan.summary["doses_planned"] == plan.capacity.booked.sum() == len(plan.appointments)


def test_ids_are_valid_and_unique(demo):
    _, _, plan = demo
    for name, column in [
        ("sites", "site_id"),
        ("lots", "lot_id"),
        ("shipments", "shipment_id"),
        ("capacity", "capacity_id"),
        ("registrant_allocations", "allocation_id"),
        ("appointments", "appointment_id"),
    ]:
        ids = getattr(plan, name)[column]
        assert ids.map(lambda x: bool(ID.match(x))).all(), (name, ids[~ids.map(lambda x: bool(ID.match(x)))])
        assert ids.is_unique, name
    assert ID.match(plan.plan_id)
    for name, spec in TABLES.items():
        table = getattr(plan, name)
        assert not table.duplicated(list(spec.primary_key)).any(), name


def test_stock_projection_balances_and_never_goes_negative(demo):
    _, _, plan = demo
    s = plan.stock_projection
    flows = s.opening + s.received - s.issued - s.administered - s.wasted - s.expired
    assert (flows == s.closing).all()
    assert (s[["opening", "closing"]] >= 0).all().all()
    ordered = s.sort_values(["site_id", "lot_id", "date"])
    previous = ordered.groupby(["site_id", "lot_id"]).closing.shift(1).fillna(0)
    assert (ordered.opening == previous).all()  # a day without a row keeps the last closing


def test_no_dose_or_shipment_outside_a_lots_arrival_to_expiry(demo):
    _, _, plan = demo
    lots = plan.lots.set_index("lot_id")
    s = plan.stock_projection
    used = s[(s.administered > 0) | (s.issued > 0)]
    assert (used.date <= lots.expiry_date.reindex(used.lot_id).to_numpy()).all()
    assert (used.date >= lots.arrival_date.reindex(used.lot_id).to_numpy()).all()
    lines = plan.shipment_lines.merge(plan.shipments, on="shipment_id")
    assert (lines.ship_date >= lots.arrival_date.reindex(lines.lot_id).to_numpy()).all()
    assert (lines.ship_date <= lots.expiry_date.reindex(lines.lot_id).to_numpy()).all()


def test_doses_never_exceed_the_supply_that_has_arrived(demo):
    _, _, plan = demo
    given = plan.stock_projection.groupby("date").administered.sum().cumsum()
    arrived = plan.lots.groupby("arrival_date").doses.sum().cumsum()
    arrived_by = arrived.reindex(given.index.union(arrived.index)).ffill().reindex(given.index).fillna(0)
    assert (given <= arrived_by).all()


def test_bookings_fit_capacity_sessions_and_site_throughput(demo):
    _, _, plan = demo
    cap = plan.capacity
    assert (cap.booked <= cap.capacity).all()
    per_row = plan.appointments.groupby("capacity_id").size()
    assert (per_row.reindex(cap.capacity_id).fillna(0).to_numpy() == cap.booked.to_numpy()).all()
    daily = cap.groupby(["site_id", "service_date"]).capacity.sum()
    limit = plan.sites.set_index("site_id").max_doses_per_day.astype(float)
    assert (daily.to_numpy() <= limit.reindex(daily.index.get_level_values(0)).to_numpy()).all()
    administered = plan.stock_projection.groupby(["site_id", "date"]).administered.sum()
    booked = cap.groupby(["site_id", "service_date"]).booked.sum()
    booked.index.names = administered.index.names
    assert administered[administered > 0].sort_index().equals(booked.sort_index())


def test_next_doses_fall_inside_the_interval_window_with_the_same_product(demo):
    _, model, plan = demo
    rows = plan.appointments.merge(plan.capacity, on="capacity_id")
    assert rows.window_start.map(lambda x: bool(INSTANT.match(x))).all()
    rows["day"] = pd.to_datetime(rows.service_date)
    first = rows[rows.dose_number == 1]
    second = rows[rows.dose_number == 2]
    assert len(second) > 0
    assert first.person_key.is_unique and second.person_key.is_unique
    pair = second.merge(first, on="person_key", suffixes=("_2", "_1"), how="left")
    assert pair.day_1.notna().all()  # every second dose has its first
    assert (pair.product_id_1 == pair.product_id_2).all()  # demo: no mixing
    assert (pair.priority_group_1 == pair.priority_group_2).all()
    gap = (pair.day_2 - pair.day_1).dt.days
    bounds = model.intervals.set_index("product")
    index = {p: i for i, p in enumerate(model.products.id)}
    low = pair.product_id_2.map(lambda p: bounds.min_days[index[p]])
    high = pair.product_id_2.map(lambda p: bounds.max_days[index[p]])
    assert (gap >= low).all()
    assert (gap <= high).all()


def test_priority_groups_are_the_scenarios(demo):
    scenario, _, plan = demo
    groups = {g.id for g in scenario.people.priority_groups}
    assert set(plan.capacity.priority_group) <= groups
    assert set(plan.registrant_allocations.priority_group) <= groups


def test_the_plan_is_deterministic(demo):
    scenario, _, plan = demo
    again = vaxsim.optimize(scenario)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(plan, name), getattr(again, name), check_dtype=False)
    assert plan.plan_id == again.plan_id


def test_findings_name_what_limits_the_plan(demo):
    _, _, plan = demo
    assert len(plan.findings) > 0
    assert {"supply_short"} <= set(plan.findings.kind)
    assert plan.findings.message.str.contains(r"\d{4}-\d\d-\d\d").all()
    assert np.isfinite(plan.log.objective).all()


def test_the_supply_waterfall_accounts_for_every_dose_delivered():
    """Delivered = every loss step + planned, nationally and per province; with stores too
    small for the supply the doses left upstream show as such, not as doses planned."""
    small = vaxsim.load(DEMO, overrides=list(SMALL_STORES))
    plan = vaxsim.optimize(small, appointments=False)
    waterfall = plan.summary["supply_waterfall"]
    national = waterfall["national"]
    losses = sum(doses for step, doses in national.items() if step not in ("delivered", "planned"))
    assert national["delivered"] == plan.summary["supply"]["delivered"] == losses + national["planned"]
    assert national["planned"] == plan.summary["doses_planned"]
    assert national["kept upstream"] + national["arrived too late for the horizon"] > 0
    for steps in waterfall["provinces"].values():
        ends = ("received by the province", "planned")
        lost = sum(doses for step, doses in steps.items() if step not in ends)
        assert steps["received by the province"] == lost + steps["planned"]
    assert min(national.values()) >= 0
