"""Checks of what a bundle's own content allows, beyond the eight invariants: line numbering,
dose numbers against each product's series, allocations against capacity and the places they
name, appointment windows against their capacity's session, code forms, lot ids, sessions and
where sites are supplied from (:mod:`vaxsim.plan.check_appointments`: windows and notices).

They catch a bundle edited consistently (CSV, plan.json and checksums all changed together).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from vaxsim.plan.check_appointments import appointment_slots, most_common, notice_leads
from vaxsim.plan.codes import code_problem
from vaxsim.plan.ids import lot_ids as plan_lot_ids
from vaxsim.plan.invariants import Rules, Tables, opening_on_hand, path
from vaxsim.plan.tables import LOCAL_PRODUCT_SYSTEM
from vaxsim.plan.violations import Violation

RULE = "content"
SITE_TYPES = ("vaccination_site", "mobile_team")


def _v(table: str, line: int, key: str, message: str) -> Violation:
    return Violation(path(table), int(line), key, message, RULE)


def shipment_line_numbers(tables: Tables, rules: Rules) -> list[Violation]:
    """The lines of each shipment are numbered 1, 2, ..., n."""
    lines = tables["shipment_lines"]
    found = []
    for shipment, rows in lines.groupby("shipment_id", sort=False):
        numbers = sorted(int(n) for n in rows.line_no.dropna())
        if numbers != list(range(1, len(rows) + 1)):
            line = int(rows.csv_line.min())
            message = f"lines numbered {numbers[:10]}, expected 1..{len(rows)}"
            found.append(_v("shipment_lines", line, f"shipment_id={shipment}", message))
    return found


def dose_numbers(tables: Tables, rules: Rules) -> list[Violation]:
    """No capacity or allocation names a dose beyond its product's series."""
    series = dict(zip(tables["products"].product_id, tables["products"].series_doses, strict=True))
    found = []
    for name, key in (("capacity", "capacity_id"), ("registrant_allocations", "allocation_id")):
        for row in tables[name].itertuples():
            doses = series.get(row.product_id)
            if doses is not None and not pd.isna(doses) and row.dose_number > doses:
                message = f"dose {row.dose_number} of {row.product_id}, whose series has {doses} doses"
                found.append(_v(name, row.csv_line, f"{key}={getattr(row, key)}", message))
    return found


def allocations(tables: Tables, rules: Rules) -> list[Violation]:
    """Registrants flow province → district → site: each site's allocation per day, product, dose
    and priority group equals its capacity, each district's equals what its sites receive, and
    each comes from the site's district or the district's province."""
    sites, capacity = tables["sites"], tables["capacity"]
    table = tables["registrant_allocations"]
    is_site = table.to_unit_id.isin(set(sites.site_id[sites.site_type.isin(SITE_TYPES)]))
    to_sites, to_districts = table[is_site], table[~is_site]
    parent = dict(zip(sites.site_id, sites.admin_parent_id, strict=True))
    places = sites.dropna(subset=["district_code"])
    province_of = dict(zip(places.district_code, places.province_code, strict=False))
    found = [
        _v("registrant_allocations", row.csv_line, f"allocation_id={row.allocation_id}",
           f"from {row.from_unit_id}, but {row.to_unit_id} belongs to {expected}")
        for rows, belongs in ((to_sites, parent), (to_districts, province_of))
        for row in rows.itertuples()
        if row.from_unit_id != (expected := belongs.get(row.to_unit_id))
    ]
    keys = ["service_date", "product_id", "dose_number", "priority_group"]
    offered = capacity.rename(columns={"site_id": "unit"}).groupby(["unit", *keys]).capacity.sum()
    found += _equal_sums(to_sites.rename(columns={"to_unit_id": "unit"}), offered, keys, "capacity")
    received = to_sites.rename(columns={"from_unit_id": "unit"}).groupby(["unit", *keys]).persons.sum()
    districts = to_districts.rename(columns={"to_unit_id": "unit"})
    found += _equal_sums(districts, received, keys, "its sites' allocations")
    return found


def _equal_sums(rows: pd.DataFrame, expected: pd.Series, keys: list[str], what: str) -> list[Violation]:
    """Persons of ``rows`` per unit and key against ``expected`` (a missing side counts 0)."""
    grouped = rows.groupby(["unit", *keys]).agg(persons=("persons", "sum"), line=("csv_line", "min"))
    joined = grouped.join(expected.rename("expected"), how="outer")
    joined = joined.fillna({"persons": 0, "expected": 0})
    found = []
    for group, row in joined[joined.persons != joined.expected].iterrows():
        where = ", ".join(str(part) for part in group)
        message = f"{int(row.persons)} persons allocated to {where}, but {what} says {int(row.expected)}"
        line = None if pd.isna(row.line) else int(row.line)
        found.append(Violation(path("registrant_allocations"), line, "", message, RULE))
    return found


def appointment_windows(tables: Tables, rules: Rules) -> list[Violation]:
    """Each appointment's window lies in its capacity row's session on its service date (local
    time), and its notice goes out before the window opens."""
    capacity = tables["capacity"].drop(columns="csv_line").set_index("capacity_id")
    joined = tables["appointments"].join(capacity, on="capacity_id", how="inner")
    if not len(joined):
        return []
    start = joined.window_start.astype(str)
    end = joined.window_end.astype(str)
    # The instants are local times with the site's offset: "YYYY-MM-DDTHH:MM..." compare as text.
    wrong = (
        (start.str[:10] != joined.service_date)
        | (end.str[:10] != joined.service_date)
        | (start.str[11:16] < joined.session_start)
        | (end.str[11:16] > joined.session_end)
        | (start.str[11:16] >= end.str[11:16])
    )
    notice = joined.notify_at.dropna()
    if len(notice):
        opens = pd.to_datetime(start[notice.index], utc=True, errors="coerce")
        early = pd.to_datetime(notice.astype(str), utc=True, errors="coerce") < opens
        wrong[notice.index] |= ~early.to_numpy()
    found = []
    for row in joined[wrong].itertuples():
        message = (
            f"window {row.window_start}..{row.window_end} (notice {row.notify_at}) is not inside the "
            f"session {row.service_date} {row.session_start}-{row.session_end} of {row.capacity_id} "
            "with an earlier notice"
        )
        found.append(_v("appointments", row.csv_line, f"appointment_id={row.appointment_id}", message))
    return found


def product_codes(tables: Tables, rules: Rules) -> list[Violation]:
    """Every code has its system's form (:func:`vaxsim.plan.codes.code_problem`), every product
    has its vaxsim id as a code and at most one code in each coding system (none where none
    exists: Abdala has no CVX code), a code names one product, and each lot's ``gtin`` is one
    of its product's codes."""
    codes = tables["product_codes"]
    found = [
        _v("product_codes", row.csv_line, f"code={row.code}", problem)
        for row in codes.itertuples()
        if isinstance(row.code, str) and (problem := code_problem(row.product_id, row.system, row.code))
    ]
    systems = sorted(set(codes.system.dropna()))
    have = codes.groupby(["product_id", "system"]).size().to_dict()
    for product in tables["products"].itertuples():
        if not have.get((product.product_id, LOCAL_PRODUCT_SYSTEM), 0):
            message = f"no {LOCAL_PRODUCT_SYSTEM} code (every product has its own id as a code)"
            found.append(_v("products", product.csv_line, f"product_id={product.product_id}", message))
        for system in systems:
            number = have.get((product.product_id, system), 0)
            if number > 1:
                message = f"{number} codes in {system} (a product has at most one in each system)"
                found.append(_v("products", product.csv_line, f"product_id={product.product_id}", message))
    named = codes.groupby(["system", "code"]).product_id.nunique()
    for (system, code), products in named[named > 1].items():
        line = int(codes.csv_line[(codes.system == system) & (codes.code == code)].min())
        message = f"{system} code {code} names {products} products"
        found.append(_v("product_codes", line, f"code={code}", message))
    known = set(zip(codes.product_id, codes.code, strict=True))
    for lot in tables["lots"].itertuples():
        if codes.size and isinstance(lot.gtin, str) and (lot.product_id, lot.gtin) not in known:
            message = f"gtin {lot.gtin} is not a code of {lot.product_id} in product_codes"
            found.append(_v("lots", lot.csv_line, f"lot_id={lot.lot_id}", message))
    return found


def lot_conservation(tables: Tables, rules: Rules) -> list[Violation]:
    """Each site's stock of a lot starts at 0 (a re-plan: at its opening stock) and each day
    opens with the last day's closing; and every dose of a lot is accounted for: administered,
    wasted, expired, in stock at the end, or (a re-plan) set aside for appointments already
    booked. A re-plan's supply is its opening stock and doses on the road, plus the lots that
    arrive from its first day on."""
    stock = tables["stock_projection"].sort_values(["site_id", "lot_id", "date"], kind="stable")
    series = stock.groupby(["site_id", "lot_id"], sort=False)
    carried = opening_on_hand(tables, rules)
    first = pd.Series([carried.get(key, 0) for key in zip(stock.site_id, stock.lot_id, strict=True)],
                      index=stock.index, dtype="int64")
    expected = series.closing.shift().fillna(first)
    found = [
        _v("stock_projection", row.csv_line, f"site_id={row.site_id}, date={row.date}, lot_id={row.lot_id}",
           f"opens with {row.opening} doses; the day before closed with {int(before)}")
        for row, before in zip(stock[stock.opening != expected].itertuples(),
                               expected[stock.opening != expected], strict=True)
    ]
    used = stock[["administered", "wasted", "expired"]].sum(axis=1).groupby(stock.lot_id).sum()
    left = series.closing.last().groupby(level="lot_id").sum()
    accounted = used.add(left, fill_value=0)
    supply = _supply(tables, rules)
    for lot in tables["lots"].itertuples():
        total, planned = int(accounted.get(lot.lot_id, 0)), supply.get(lot.lot_id, 0)
        if total != planned:
            message = f"{planned} doses, but the stock projection accounts for {total}"
            found.append(_v("lots", lot.csv_line, f"lot_id={lot.lot_id}", message))
    return found


def _supply(tables: Tables, rules: Rules) -> dict[str, int]:
    """Doses of each lot the plan must account for (:func:`lot_conservation`)."""
    lots = tables["lots"]
    if rules.restart_date is None:
        return {lot: int(doses) for lot, doses in zip(lots.lot_id, lots.doses, strict=True)}
    later = lots[lots.arrival_date >= rules.restart_date]
    supply = dict.fromkeys(lots.lot_id, 0) | {
        lot: int(doses) for lot, doses in zip(later.lot_id, later.doses, strict=True)
    }
    opening = tables["opening_stock"]
    carried = opening.on_hand - opening.reserved + opening.in_transit
    for lot, doses in carried.groupby(opening.lot_id).sum().items():
        supply[lot] = supply.get(lot, 0) + int(doses)
    return supply


def opening_stock(tables: Tables, rules: Rules) -> list[Violation]:
    """Only a re-plan has an opening stock: its doses on hand are on the day it starts, its doses
    on the road arrive from that day on, no more are set aside on a day than are on hand or
    arrive then, and one lot has one ``use_by``."""
    opening = tables["opening_stock"]
    found = []
    for row in opening.itertuples():
        key = f"site_id={row.site_id}, lot_id={row.lot_id}, date={row.date}"
        if rules.restart_date is None:
            found.append(_v("opening_stock", row.csv_line, key,
                            "opening stock in a plan that is not a re-plan (no summary.restart.date)"))
            continue
        if (row.on_hand and row.date != rules.restart_date) or row.date < rules.restart_date:
            found.append(_v("opening_stock", row.csv_line, key, f"not on the re-plan's first day "
                            f"{rules.restart_date}"))
        if row.reserved > row.on_hand + row.in_transit:
            found.append(_v("opening_stock", row.csv_line, key, f"{row.reserved} doses set aside of "
                            f"{row.on_hand} on hand and {row.in_transit} arriving"))
    for lot, dates in opening.groupby("lot_id").use_by.nunique().items():
        if dates > 1:
            line = int(opening.csv_line[opening.lot_id == lot].min())
            found.append(_v("opening_stock", line, f"lot_id={lot}", f"{dates} different use_by dates"))
    return found

def lot_ids(tables: Tables, rules: Rules) -> list[Violation]:
    """Each lot's id is ``<product>-<lot number>`` made valid (:func:`vaxsim.plan.ids.lot_ids`;
    ``lots`` lists every lot of the scenario, so the ids are recomputed from the table)."""
    lots = tables["lots"].dropna(subset=["product_id", "lot_number"])
    expected = plan_lot_ids(lots.product_id.astype(str).tolist(), lots.lot_number.astype(str).tolist())
    return [
        _v("lots", row.csv_line, f"lot_id={row.lot_id}",
           f"the id of {row.product_id} lot {row.lot_number} is {want}")
        for row, want in zip(lots.itertuples(), expected, strict=True)
        if row.lot_id != want
    ]


def sessions(tables: Tables, rules: Rules) -> list[Violation]:
    """A site's sessions are its type's: a session that starts at a time always ends at the same
    time, and two sessions of one day do not overlap."""
    capacity = tables["capacity"]
    found = []
    common = most_common(capacity, ["site_id", "session_start"], "session_end")
    for row in capacity[capacity.session_end != common].itertuples():
        message = f"session {row.session_start}-{row.session_end}, but the site's {row.session_start} " \
                  f"session ends at {common[row.Index]} on other days"
        found.append(_v("capacity", row.csv_line, f"capacity_id={row.capacity_id}", message))
    days = capacity.drop_duplicates(["site_id", "service_date", "session_start", "session_end"])
    days = days.sort_values(["site_id", "service_date", "session_start", "session_end"])
    previous_end = days.groupby(["site_id", "service_date"]).session_end.shift()
    for row in days[previous_end.notna() & (days.session_start < previous_end)].itertuples():
        message = f"session {row.session_start}-{row.session_end} overlaps the one before it that day"
        found.append(_v("capacity", row.csv_line, f"capacity_id={row.capacity_id}", message))
    return found


def site_supply(tables: Tables, rules: Rules) -> list[Violation]:
    """Every shipment to a vaccination site or mobile team comes from the site's supply parent."""
    sites, shipments = tables["sites"], tables["shipments"]
    parent = dict(zip(sites.site_id, sites.supply_parent_id, strict=True))
    served = set(sites.site_id[sites.site_type.isin(SITE_TYPES)])
    to_sites = shipments[shipments.to_site_id.isin(served)]
    wrong = to_sites[to_sites.from_site_id != to_sites.to_site_id.map(parent)]
    return [
        _v("shipments", row.csv_line, f"shipment_id={row.shipment_id}",
           f"to {row.to_site_id} from {row.from_site_id}, but the site is supplied from "
           f"{parent[row.to_site_id]}")
        for row in wrong.itertuples()
    ]


CONTENT_CHECKS: tuple[Callable[[Tables, Rules], list[Violation]], ...] = (
    shipment_line_numbers,
    dose_numbers,
    allocations,
    appointment_windows,
    product_codes,
    lot_conservation,
    opening_stock,
    lot_ids,
    sessions,
    site_supply,
    appointment_slots,
    notice_leads,
)
