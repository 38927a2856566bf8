"""Where the supply went: a waterfall from the doses delivered to the doses planned.

A planner who sees a plan give fewer doses than a rule needs to see why. Every dose delivered
inside the campaign ends in exactly one of the steps below (the realised ledger's conservation
identity, checked before this runs), nationally and per province:

====================================  ============================================================
 step                                  doses
====================================  ============================================================
 delivered                             lots arriving during the campaign (national row only)
 arrived too late for the horizon      not yet at its store, on the road, or still above the
                                       provinces at the end, from lots arriving after the last
                                       day a dose could still reach a district
 kept upstream                         the rest of what is still above the provinces at the end
 received by the province              what reached the province's stores (province rows start here)
 lost at expiry                        written off at the expiry date
 lost at the thaw clock                written off when the thawed shelf life ended
 open-vial waste                       left in opened vials
 held for next doses owed              stock at a district at the end, up to the doses its
                                       people are owed for their next doses
 limited by site capacity              other stock at a district whose people still wait for a
                                       first dose at the end
 nobody waiting                        other stock at a district where nobody waits
 planned                               doses given in the plan
====================================  ============================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vaxsim.coldchain.ledger import ADMINISTERED, EXPIRY, OPEN_VIAL, THAW_CLOCK, WASTED
from vaxsim.optimize.realise.ledger import PlanLedger
from vaxsim.optimize.realise.vaccination_day import Districts
from vaxsim.optimize.setup.context import Context

STEPS = (
    "delivered",
    "arrived too late for the horizon",
    "kept upstream",
    "received by the province",
    "lost at expiry",
    "lost at the thaw clock",
    "open-vial waste",
    "held for next doses owed",
    "limited by site capacity",
    "nobody waiting",
    "planned",
)


def supply_waterfall(ctx: Context, ledger: PlanLedger, people: Districts) -> pd.DataFrame:
    """One row per (scope, step): ``scope`` is ``"national"`` or a province id, ``doses`` the
    doses (int) that ended in that step, in the order of :data:`STEPS` (national rows skip
    "received by the province", province rows start there); every step but the first is
    taken from the one before, and the last is what remains."""
    h, model = ledger.hierarchy, ctx.model
    site_district = model.sites.district.to_numpy(dtype=np.int64)
    district_province = model.districts.province.to_numpy(dtype=np.int64)
    province_ids = [str(p) for p in model.provinces.id]
    provinces = len(province_ids)
    # A lot arriving later than this cannot reach even the nearest district store in time.
    last_reach_day = ctx.days - 1 - int(h.offset[h.district_node].min())

    def by_province(where_province: np.ndarray, doses: np.ndarray) -> np.ndarray:
        inside = where_province >= 0
        return np.bincount(where_province[inside], weights=doses[inside], minlength=provinces).astype(
            np.int64
        )

    given = ledger.booked(ADMINISTERED)
    wasted = ledger.booked(WASTED, (OPEN_VIAL,))
    expired = ledger.booked(WASTED, (EXPIRY, THAW_CLOCK))
    site_province = district_province[site_district]
    planned = by_province(site_province[given["partner"]], given["doses"])
    open_vial = by_province(site_province[wasted["partner"]], wasted["doses"])
    lost = by_province(h.province_of[expired["node"]], expired["doses"])

    # Stock left at the end: above the provinces, or at a province's stores and districts.
    node_stock = ledger.stock.sum(axis=1)
    district_stock = np.bincount(
        h.district_of[h.district_of >= 0],
        weights=node_stock[h.district_of >= 0],
        minlength=len(district_province),
    ).astype(np.int64)
    in_province_stores = np.where((h.province_of >= 0) & (h.district_of < 0), node_stock, 0)
    owed = people.owed(len(district_province)).sum(axis=1)
    held = np.minimum(district_stock, owed)
    rest = district_stock - held
    waiting = people.backlog.sum(axis=1) > 0
    held_p = by_province(district_province, held)
    capacity_p = by_province(district_province, np.where(waiting, rest, 0))
    nobody_p = by_province(district_province, np.where(waiting, 0, rest))
    # A province store's own stock at the end waits for its districts: limited by site capacity
    # if one of its districts still has people waiting, else nobody waiting.
    store_p = by_province(h.province_of, in_province_stores)
    province_waiting = by_province(district_province, waiting.astype(np.int64)) > 0
    capacity_p += np.where(province_waiting, store_p, 0)
    nobody_p += np.where(province_waiting, 0, store_p)

    # Thaw-clock write-offs are counted nationally; per province they are inside "lost at expiry".
    rows = []
    for p, province in enumerate(province_ids):
        received = planned[p] + open_vial[p] + lost[p] + held_p[p] + capacity_p[p] + nobody_p[p]
        steps = {
            "received by the province": received,
            "lost at expiry": lost[p],
            "open-vial waste": open_vial[p],
            "held for next doses owed": held_p[p],
            "limited by site capacity": capacity_p[p],
            "nobody waiting": nobody_p[p],
            "planned": planned[p],
        }
        rows += [(province, step, int(doses)) for step, doses in steps.items()]

    upstream_lot = ledger.not_arrived() + ledger.in_transit()
    upstream_lot = upstream_lot + ledger.stock[h.province_of < 0].sum(axis=0)
    late = model.lots.arrival_day.to_numpy() > last_reach_day
    thaw = int(ledger.thaw_clock_expired)
    national = {
        "delivered": int(ledger.delivered.sum()),
        "arrived too late for the horizon": int(upstream_lot[late].sum()),
        "kept upstream": int(upstream_lot[~late].sum()),
        "lost at expiry": int(expired["doses"].sum()) - thaw,
        "lost at the thaw clock": thaw,
        "open-vial waste": int(open_vial.sum()),
        "held for next doses owed": int(held_p.sum()),
        "limited by site capacity": int(capacity_p.sum()),
        "nobody waiting": int(nobody_p.sum()),
        "planned": int(planned.sum()),
    }
    return pd.DataFrame(
        [("national", step, doses) for step, doses in national.items()] + rows,
        columns=["scope", "step", "doses"],
    )
