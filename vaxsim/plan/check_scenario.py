"""Checks of a plan against the scenario it was made for (``vaxsim plan check --scenario``).

The scenario is loaded and compiled with :func:`vaxsim.load` and :func:`vaxsim.compile_model`
(never the optimizer). It supplies what the plan does not state: interval windows per dose,
whether mixing is allowed, thaw clocks, the site types' sessions, throughput and crowding
limits, the campaign's dates and the deliveries the plan's lots must come from.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from vaxsim.model import Model
from vaxsim.plan.check_appointments import check_appointment_times
from vaxsim.plan.check_site_details import check_site_details
from vaxsim.plan.codes import scenario_codes
from vaxsim.plan.invariants import Rules, Tables, path
from vaxsim.plan.violations import Violation, key_text
from vaxsim.scenario.base import minutes_of_day
from vaxsim.scenario.sites import WEEKDAYS
from vaxsim.sim.capacity import crowding_capacity, daily_capacity, session_capacity, time_on_site_minutes

RULE = "scenario"
#: Priority group of capacity open to every group (used by the optimizer for unassigned slots).
OPEN_TO_ALL = "any"


def scenario_rules(model: Model) -> Rules:
    """Intervals per (product, dose), mixing and thaw clocks as the scenario states them."""
    scenario = model.scenario
    intervals = {}
    for product_id, product in scenario.products.items():
        for n, interval in enumerate(product.series.intervals):
            intervals[(product_id, n + 2)] = (interval.min_days, interval.max_days)
    mixing = scenario.policies.mixing
    return Rules(
        intervals=intervals,
        mixing_allowed=mixing.allowed,
        mixing_pairs=frozenset(tuple(pair) for pair in mixing.pairs),
        thaw_days={
            product_id: product.days_at_2_8c
            for product_id, product in scenario.products.items()
            if product.days_at_2_8c is not None
        },
    )


def _v(table: str, line: int, key: str, message: str) -> Violation:
    return Violation(path(table), int(line), key, message, RULE)


def _differs(plan_value, scenario_value) -> bool:
    # An empty optional integer reads as pd.NA (Int64), an empty number as NaN: both say "none".
    missing = plan_value is None or plan_value is pd.NA
    if missing or (isinstance(plan_value, float) and math.isnan(plan_value)):
        return scenario_value is not None
    if scenario_value is None:
        return True
    return not math.isclose(float(plan_value), float(scenario_value), rel_tol=1e-9, abs_tol=1e-9)


def check_products(tables: Tables, model: Model) -> list[Violation]:
    """Each product exists in the scenario with the same vials, series, intervals and handling."""
    found = []
    products = model.scenario.products
    for row in tables["products"].itertuples():
        key = f"product_id={row.product_id}"
        product = products.get(row.product_id)
        if product is None:
            found.append(_v("products", row.csv_line, key, "no such product in the scenario"))
            continue
        first = product.series.intervals[0] if product.series.intervals else None
        expected = {
            "doses_per_vial": product.doses_per_vial,
            "series_doses": product.series.doses,
            "min_interval_days": first.min_days if first else None,
            "max_interval_days": first.max_days if first else None,
            "storage_min_c": product.storage_temperature_c[0],
            "storage_max_c": product.storage_temperature_c[1],
            "open_vial_hours": product.in_use_hours,
            "packed_volume_cm3_per_dose": product.packed_volume_cm3_per_dose,
        }
        for name, value in expected.items():
            if _differs(getattr(row, name), value):
                found.append(
                    _v(
                        "products",
                        row.csv_line,
                        key,
                        f"{name} {getattr(row, name)} but the scenario says {value}",
                    )
                )
    return found


def check_sites(tables: Tables, model: Model) -> list[Violation]:
    """Each store and site exists in the scenario, supplied from the same store."""
    found = []
    stores = model.stores.set_index("id")
    sites = model.sites.set_index("id")
    store_ids = model.stores.id.tolist()
    for row in tables["sites"].itertuples():
        key = f"site_id={row.site_id}"
        if row.site_type in ("vaccination_site", "mobile_team"):
            if row.site_id not in sites.index:
                found.append(_v("sites", row.csv_line, key, "no such vaccination site in the scenario"))
                continue
            parent = store_ids[int(sites.loc[row.site_id, "store"])]
        else:
            if row.site_id not in stores.index:
                found.append(_v("sites", row.csv_line, key, "no such store in the scenario"))
                continue
            index = int(stores.loc[row.site_id, "parent"])
            parent = store_ids[index] if index >= 0 else None
        if row.supply_parent_id is not None and row.supply_parent_id != parent:
            found.append(
                _v(
                    "sites",
                    row.csv_line,
                    key,
                    f"supplied from {row.supply_parent_id} but the scenario says {parent}",
                )
            )
    return found


def check_lots(tables: Tables, model: Model) -> list[Violation]:
    """Each lot in the plan is a delivery of the scenario: same product, lot number, store, date,
    expiry, and no more doses than delivered."""
    found = []
    deliveries = {(d.product, d.lot): d for d in model.scenario.supply.deliveries}
    for row in tables["lots"].itertuples():
        key = f"lot_id={row.lot_id}"
        delivery = deliveries.get((row.product_id, row.lot_number))
        if delivery is None:
            found.append(
                _v(
                    "lots",
                    row.csv_line,
                    key,
                    f"no delivery of {row.product_id} lot {row.lot_number} in the scenario",
                )
            )
            continue
        checks = (
            ("expiry_date", row.expiry_date, delivery.expiry.isoformat()),
            ("arrival_site_id", row.arrival_site_id, delivery.store),
            ("arrival_date", row.arrival_date, delivery.date.isoformat()),
        )
        for name, mine, theirs in checks:
            if mine != theirs:
                found.append(_v("lots", row.csv_line, key, f"{name} {mine} but the scenario says {theirs}"))
        if row.doses > delivery.doses:
            found.append(
                _v("lots", row.csv_line, key, f"{row.doses} doses but the scenario delivers {delivery.doses}")
            )
    return found


def check_capacity(tables: Tables, model: Model) -> list[Violation]:
    """Capacity rows fall on open days of the campaign, in one of the site type's sessions, within
    the session's throughput and the site's crowding limit, and within the daily capacity.

    Crowding: by Little's law the mean number of people on site is the arrival rate (booked
    people spread over the session) times the time each spends there, which is at least the
    mean service times of the stations plus walking between them plus the observation time.
    """
    found = []
    scenario = model.scenario
    start, end = scenario.campaign.start_date, scenario.campaign.end_date
    groups = {g.id for g in scenario.people.priority_groups}
    type_of = dict(zip(model.sites.id.tolist(), model.sites.type.tolist(), strict=True))
    capacity = tables["capacity"]
    days = {text: dt.date.fromisoformat(text) for text in capacity.service_date.unique().tolist()}
    session_sets = {
        name: {(s.start, s.end): s for s in site_type.sessions}
        for name, site_type in scenario.site_types.items()
    }
    for row in capacity.itertuples():
        key = f"capacity_id={row.capacity_id}"
        day = days[row.service_date]
        if not start <= day <= end:
            found.append(
                _v("capacity", row.csv_line, key, f"{day} is outside the campaign ({start} to {end})")
            )
        if row.priority_group not in groups and row.priority_group != OPEN_TO_ALL:
            found.append(
                _v("capacity", row.csv_line, key, f"no priority group {row.priority_group!r} in the scenario")
            )
        if row.site_id not in type_of:
            continue  # reported by check_sites
        site_type = scenario.site_types[type_of[row.site_id]]
        if WEEKDAYS[day.weekday()] not in site_type.open_days:
            found.append(
                _v("capacity", row.csv_line, key, f"the site is closed on {day} ({WEEKDAYS[day.weekday()]})")
            )
        sessions = session_sets[type_of[row.site_id]]
        if (row.session_start, row.session_end) not in sessions:
            found.append(
                _v(
                    "capacity",
                    row.csv_line,
                    key,
                    f"session {row.session_start}-{row.session_end} is not one of the site type's sessions "
                    f"({', '.join(f'{a}-{b}' for a, b in sessions)})",
                )
            )
    for (site, date, session_start, session_end), opened, line in _sums(
        capacity, ["site_id", "service_date", "session_start", "session_end"]
    ):
        if site not in type_of:
            continue
        site_type = scenario.site_types[type_of[site]]
        minutes = minutes_of_day(session_end) - minutes_of_day(session_start)
        if minutes <= 0:
            continue
        key = key_text(("site_id", "service_date", "session_start"), (site, date, session_start))
        opened = int(opened)
        limit = session_capacity(site_type, minutes)
        if opened > limit:
            found.append(_v("capacity", line, key, f"{opened} appointments > session throughput {limit}"))
        time_on_site = time_on_site_minutes(site_type)
        on_site = opened / minutes * time_on_site
        if opened > crowding_capacity(site_type, minutes):
            found.append(
                _v(
                    "capacity",
                    line,
                    key,
                    f"about {on_site:.0f} people on site (Little's law: {opened} people over {minutes} min, "
                    f"{time_on_site:.0f} min each) > crowding limit {site_type.crowding_limit}",
                )
            )
    for (site, date), opened, line in _sums(capacity, ["site_id", "service_date"]):
        if site not in type_of:
            continue
        limit = daily_capacity(scenario.site_types[type_of[site]])
        opened = int(opened)
        if opened > limit:
            found.append(
                _v(
                    "capacity",
                    line,
                    key_text(("site_id", "service_date"), (site, date)),
                    f"{opened} appointments > the site's daily capacity {limit}",
                )
            )
    return found


def _sums(capacity, keys: list[str]):
    """``(key, capacity opened, csv_line of the first row)`` per group, in order of appearance."""
    totals = capacity.groupby(keys, sort=False).agg(total=("capacity", "sum"), line=("csv_line", "first"))
    return zip(totals.index.tolist(), totals.total.tolist(), totals.line.tolist(), strict=True)


def check_shipments(tables: Tables, model: Model) -> list[Violation]:
    """Shipments between two stores take at least the link's lead time (days). Deliveries from a
    store to its sites are not links of the scenario and are not checked here."""
    store_index = {store_id: i for i, store_id in enumerate(model.stores.id)}
    lead = {
        (int(a), int(b)): int(days)
        for a, b, days in zip(
            model.links.from_store, model.links.to_store, model.links.lead_time_days, strict=True
        )
    }
    found = []
    shipments = tables["shipments"]
    dates = {
        text: dt.date.fromisoformat(text)
        for text in set(shipments.arrival_date.tolist()) | set(shipments.ship_date.tolist())
    }
    for row in shipments.itertuples():
        if row.status == "cancelled":
            continue
        key = (store_index.get(row.from_site_id), store_index.get(row.to_site_id))
        if key not in lead:
            continue
        days = (dates[row.arrival_date] - dates[row.ship_date]).days
        if days < lead[key]:
            found.append(
                _v(
                    "shipments",
                    row.csv_line,
                    f"shipment_id={row.shipment_id}",
                    f"arrives {days} day(s) after it leaves; the link takes {lead[key]}",
                )
            )
    return found


def check_product_codes(tables: Tables, model: Model) -> list[Violation]:
    """Each product of the plan has exactly the codes the scenario gives it
    (:func:`vaxsim.plan.codes.scenario_codes`: its vaxsim id, CVX and GTIN where stated)."""
    products = [p for p in tables["products"].product_id.dropna().unique() if p in model.scenario.products]
    expected = {row[:3] for row in scenario_codes(model.scenario, products)}
    codes = tables["product_codes"]
    found = [
        _v("product_codes", row.csv_line, f"code={row.code}",
           f"{row.system} code {row.code} is not a code of {row.product_id} in the scenario")
        for row in codes.itertuples()
        if row.product_id in products and (row.product_id, row.system, row.code) not in expected
    ]
    present = set(zip(codes.product_id, codes.system, codes.code, strict=True))
    line_of = dict(zip(tables["products"].product_id, tables["products"].csv_line, strict=True))
    for product_id, system, code in sorted(expected - present):
        found.append(_v("products", line_of[product_id], f"product_id={product_id}",
                        f"no {system} code {code} in product_codes, which the scenario gives it"))
    return found


def check_projection_dates(tables: Tables, model: Model) -> list[Violation]:
    """The stock projection stays inside the campaign's dates."""
    campaign = model.scenario.campaign
    first, last = campaign.start_date.isoformat(), campaign.end_date.isoformat()
    stock = tables["stock_projection"]
    outside = stock[(stock.date.astype(str) < first) | (stock.date.astype(str) > last)]
    return [
        _v("stock_projection", row.csv_line, f"site_id={row.site_id}, date={row.date}, lot_id={row.lot_id}",
           f"{row.date} is outside the campaign ({first} to {last})")
        for row in outside.itertuples()
    ]


def check_against_scenario(tables: Tables, model: Model) -> list[Violation]:
    """Every scenario check (the invariants that need scenario rules run separately)."""
    found = []
    checks = (
        check_products,
        check_product_codes,
        check_sites,
        check_site_details,
        check_lots,
        check_shipments,
        check_capacity,
        check_appointment_times,
        check_projection_dates,
    )
    for check in checks:
        found += check(tables, model)
    return found
