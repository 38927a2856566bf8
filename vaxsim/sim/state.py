"""The state of a simulated campaign at the start of a day, as tables with the domain's ids.

This is what a re-plan starts from (digital-twin mode, ``vaxsim run --replan-every K``): the
optimizer reads a :class:`CampaignState` instead of assuming the campaign is new. Everything is
whole doses or whole persons; dates are local calendar dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from vaxsim.coldchain.ledger import OPEN_VIAL

if TYPE_CHECKING:
    from vaxsim.sim.engine import Campaign


@dataclass(frozen=True)
class CampaignState:
    """A campaign at the start of campaign day ``day`` (before that day's deliveries).

    - ``stock``: store, lot, product, owner (district id the stock is earmarked for; '' =
      free), use_by (last usable date, the lot's expiry or its thaw clock), doses.
    - ``in_transit``: from, to, lot, product, owner, arrives (date), doses.
    - ``registered``: district, priority_group, age_band, persons registered, not yet approved.
    - ``waiting``: district, priority_group, age_band, persons approved (or approved soon:
      ``ready`` is the first date they may be booked) and not yet booked for a first dose.
    - ``due``: district, product, dose_number, due_from (date), persons owed a next dose.
    - ``booked``: date, district, product, dose_number, persons with an appointment on or
      after ``day`` (shows and no-shows alike: the slots are taken).
    - ``drawn``: date (``day``), district, product, doses the sessions of ``day`` will draw
      for the people booked on it: whole vials, so at least ``booked``'s persons of that day.
    - ``vaccinated``: district, priority_group, age_band, at_least_one, full_series.
    - ``vial_use``: product, doses_given, open_vial_wasted (doses, every day before ``day``):
      the share of opened doses the campaign has lost to open vials so far.
    """

    day: int
    date: object
    stock: pd.DataFrame
    in_transit: pd.DataFrame
    registered: pd.DataFrame
    waiting: pd.DataFrame
    due: pd.DataFrame
    booked: pd.DataFrame
    vaccinated: pd.DataFrame
    vial_use: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["product", "doses_given", "open_vial_wasted"])
    )
    drawn: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["date", "district", "product", "doses"])
    )


def snapshot(campaign: Campaign, day: int) -> CampaignState:
    """The state of ``campaign`` at the start of ``day`` (its processes have run to then)."""
    model, c, chain = campaign.model, campaign.cohorts, campaign.vaccine.chain
    dates = model.dates.date
    district_ids = model.districts.id.to_numpy(dtype=object)
    product_ids = model.products.id.to_numpy(dtype=object)
    group_ids = model.priority_groups.id.to_numpy(dtype=object)
    band_ids = model.age_bands.id.to_numpy(dtype=object)
    start = model.dates[0]

    def date_of(days: np.ndarray) -> np.ndarray:
        return (start + pd.to_timedelta(np.asarray(days, dtype=np.int64), unit="D")).date

    held, lots, network = chain.stock, chain.lots, chain.network
    rows = held.select(np.ones(len(held), dtype=bool))
    owner_ids = np.append(district_ids, "")
    stock = pd.DataFrame(
        {
            "store": network.ids[held.node[rows]],
            "lot": lots.ids[held.lot[rows]],
            "product": product_ids[lots.product[held.lot[rows]]],
            "owner": owner_ids[held.owner[rows]],
            "use_by": date_of(lots.use_by(held.lot[rows], held.thaw[rows])),
            "doses": held.doses[rows],
        }
    )
    moving = chain.transit
    in_transit = pd.DataFrame(
        {
            "from": network.ids[network.link_from[moving.link]],
            "to": network.ids[network.link_to[moving.link]],
            "lot": lots.ids[moving.lot],
            "product": product_ids[lots.product[moving.lot]],
            "owner": owner_ids[moving.owner],
            "arrives": date_of(moving.arrive),
            "doses": moving.doses,
        }
    )

    def cohort_table(counts: np.ndarray, column: str = "persons") -> pd.DataFrame:
        where = np.flatnonzero(counts)
        return pd.DataFrame(
            {
                "district": district_ids[c.district[where]],
                "priority_group": group_ids[c.group[where]],
                "age_band": band_ids[c.band[where]],
                column: counts[where],
            }
        )

    approved = sum((pool.total for pool in campaign.approved), np.zeros(c.size, dtype=np.int64))
    waiting = cohort_table(approved).assign(ready=dates[day] if day < len(dates) else None)
    later = [
        cohort_table(np.asarray(counts)).assign(ready=date_of([ready])[0])
        for ready, counts in sorted(campaign.approved_on.items())
    ]
    waiting = pd.concat([waiting, *later], ignore_index=True)

    def by_district(counts: np.ndarray, *columns: object) -> list[tuple]:
        per_district = campaign.by_district.totals(counts)
        return [(district_ids[d], *columns, int(per_district[d])) for d in np.flatnonzero(per_district)]

    due_rows = []
    for pools in (campaign.due, campaign.unslotted):
        for (k, product), pool in pools.items():
            due_rows += by_district(pool.total, product_ids[product], k + 1, dates[day])
    # People are released into the pools the evening before their minimum interval ends
    # (:meth:`Campaign._vaccinate`), so those not yet released are due the day after.
    for release in sorted(set(campaign.released_on) | set(campaign.unslotted_on)):
        unslotted = [(k, product, counts, release + 1)
                     for k, product, counts in campaign.unslotted_on.get(release, [])]
        for k, product, counts, due in [*campaign.released_on.get(release, []), *unslotted]:
            # People booked later than they are due: a re-plan may bring them forward.
            due_day = max(int(due), day + 1)
            due_rows += by_district(
                counts, product_ids[product], k + 1, date_of([min(due_day, release + 1)])[0]
            )
    due = pd.DataFrame(due_rows, columns=["district", "product", "dose_number", "due_from", "persons"])
    due = due.groupby(["district", "product", "dose_number", "due_from"], as_index=False).persons.sum()

    booked_rows = []
    for target, appointments in sorted(campaign.appointments.items()):
        for kind in ("first_shows", "first_no_shows", "next_shows", "next_no_shows"):
            for key, counts in getattr(appointments, kind).items():
                product, dose = (key[1], 1) if kind.startswith("first") else (key[0], key[1] + 1)
                booked_rows += by_district(counts, date_of([target])[0], product_ids[product], dose)
    booked = pd.DataFrame(booked_rows, columns=["district", "date", "product", "dose_number", "persons"])
    booked = booked.groupby(["date", "district", "product", "dose_number"], as_index=False).persons.sum()

    vaccinated = cohort_table(campaign.at_least_one, "at_least_one")
    full = cohort_table(campaign.full_series, "full_series")
    vaccinated = vaccinated.merge(full, on=["district", "priority_group", "age_band"], how="left")
    vaccinated["full_series"] = vaccinated.full_series.fillna(0).astype(np.int64)
    vial_use = pd.DataFrame(
        {
            "product": product_ids,
            "doses_given": campaign.record.doses[:day].sum(axis=(0, 1, 3)),
            "open_vial_wasted": chain.record.waste[:day, OPEN_VIAL].sum(axis=0),
        }
    )
    return CampaignState(
        day=day,
        date=dates[day] if day < len(dates) else None,
        stock=stock,
        in_transit=in_transit,
        registered=cohort_table(campaign.registered.total),
        waiting=waiting,
        due=due,
        booked=booked,
        vaccinated=vaccinated,
        vial_use=vial_use,
        drawn=_drawn(campaign, day),
    )


def _drawn(campaign: Campaign, day: int) -> pd.DataFrame:
    """The state's ``drawn`` table: doses the sessions of ``day`` draw for the people booked on
    it (:meth:`Campaign.booked_draw`)."""
    model = campaign.model
    if day >= len(model.dates):
        return pd.DataFrame(columns=["date", "district", "product", "doses"])
    drawn = campaign.booked_draw(day)
    district, product = np.nonzero(drawn)
    return pd.DataFrame(
        {
            "date": model.dates.date[day],
            "district": model.districts.id.to_numpy(dtype=object)[district],
            "product": model.products.id.to_numpy(dtype=object)[product],
            "doses": drawn[district, product],
        }
    )
