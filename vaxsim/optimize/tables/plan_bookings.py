"""The plan's booking tables from the realised days: capacity and registrant allocations.

- ``capacity``: one row per site, date, session, product, dose number and priority group,
  with the appointments the plan opens; every one is booked for an approved registrant (the
  plan only opens what it fills), so ``booked = capacity``. A next dose's priority group is
  that of the person it is for (:mod:`vaxsim.optimize.tables.series`).
- ``registrant_allocations``: the hierarchy's allocations of people, province → district
  (what each district is to vaccinate per day) and district → site (per site and day).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vaxsim.coldchain.fefo import sum_by_keys
from vaxsim.model import Model
from vaxsim.optimize.realise.vaccination_day import DoseKinds, Records
from vaxsim.optimize.setup.site_ids import SiteIds
from vaxsim.optimize.setup.sites import SiteCalendar
from vaxsim.optimize.tables.ids import keyed_ids
from vaxsim.optimize.tables.plan_stock import _dates
from vaxsim.optimize.tables.series import Pieces
from vaxsim.plan.tables import TABLES


@dataclass(frozen=True)
class Bookings:
    """Doses booked per site, session, campaign day, dose kind and, for next doses, the cohort
    they come from (whole people), sorted by day, site and session; ``district`` is the site's.
    ``source_site`` and ``source_day``: where and when the people had the dose before (-1 for
    first doses; ``source_site`` -1 for people whose site is not known, a plan's starting
    state)."""

    site: np.ndarray
    session: np.ndarray
    day: np.ndarray
    kind: np.ndarray
    district: np.ndarray
    persons: np.ndarray
    source_site: np.ndarray
    source_day: np.ndarray

    @classmethod
    def from_records(cls, records: Records, calendar: SiteCalendar) -> Bookings:
        names = ("site", "session", "day", "kind", "persons", "source_site", "source_day")
        if records.capacity:
            cols = [
                np.concatenate([c[k] for c in records.capacity]).astype(np.int64) for k in range(len(names))
            ]
        else:
            cols = [np.zeros(0, dtype=np.int64)] * len(names)
        frame = pd.DataFrame(dict(zip(names, cols, strict=True)))
        keys = ["day", "site", "session", "kind", "source_site", "source_day"]
        frame = frame.groupby(keys, sort=True, as_index=False).persons.sum()
        frame = frame[frame.persons > 0]
        site = frame.site.to_numpy(dtype=np.int64)
        return cls(
            site=site,
            session=frame.session.to_numpy(dtype=np.int64),
            day=frame.day.to_numpy(dtype=np.int64),
            kind=frame.kind.to_numpy(dtype=np.int64),
            district=calendar.district[site],
            persons=frame.persons.to_numpy(dtype=np.int64),
            source_site=frame.source_site.to_numpy(dtype=np.int64),
            source_day=frame.source_day.to_numpy(dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.site)


def _piece_frame(
    bookings: Bookings, pieces: Pieces, kinds: DoseKinds, group_of_class: np.ndarray
) -> pd.DataFrame:
    """One row per piece, all integer codes: its booking's site, session, day, district,
    product, dose number, and ``group`` (priority group index of its people)."""
    b = pieces.booking
    kind = bookings.kind[b]
    return pd.DataFrame(
        {
            "site": bookings.site[b],
            "day": bookings.day[b],
            "session": bookings.session[b],
            "district": bookings.district[b],
            "product": kinds.product[kind],
            "dose": kinds.dose[kind].astype(np.int64),
            "group": np.asarray(group_of_class, dtype=np.int64)[pieces.klass],
            "persons": pieces.persons,
        }
    )


def capacity_table(
    bookings: Bookings,
    pieces: Pieces,
    model: Model,
    calendar: SiteCalendar,
    kinds: DoseKinds,
    group_of_class: np.ndarray,
    ids: SiteIds,
) -> tuple[pd.DataFrame, np.ndarray]:
    """``capacity`` and, per piece, the row of the table it falls in."""
    frame = _piece_frame(bookings, pieces, kinds, group_of_class)
    keys = [frame[c].to_numpy(dtype=np.int64) for c in ("site", "day", "session", "product", "dose", "group")]
    keys, persons, row_of_piece = sum_by_keys(keys, frame.persons.to_numpy(dtype=np.int64), inverse=True)
    site, day, session, product_code, dose, group_code = keys
    site_id = ids.site[site]
    date = _dates(model.dates[0], day)
    start = calendar.session_start[site, session]
    end = calendar.session_end[site, session]
    product = model.products.id.astype(str).to_numpy(dtype=object)[product_code]
    group = model.priority_groups.id.astype(str).to_numpy(dtype=object)[group_code]
    table = pd.DataFrame(
        {
            "capacity_id": keyed_ids("cap", site_id, date, start, product, dose, group),
            "site_id": site_id,
            "service_date": date,
            "session_start": start,
            "session_end": end,
            "product_id": product,
            "dose_number": dose,
            "priority_group": group,
            "capacity": persons,
            "booked": persons.copy(),
        },
        columns=TABLES["capacity"].column_names,
    )
    return table, row_of_piece


def allocations_table(
    bookings: Bookings,
    pieces: Pieces,
    model: Model,
    kinds: DoseKinds,
    group_of_class: np.ndarray,
    ids: SiteIds,
) -> pd.DataFrame:
    """``registrant_allocations``: province → district per day, then district → site per day."""
    frame = _piece_frame(bookings, pieces, kinds, group_of_class)
    provinces, districts = len(model.provinces), len(model.districts)
    # Units as one integer code: provinces, then districts, then sites.
    units = np.concatenate(
        [
            model.provinces.id.astype(str).to_numpy(dtype=object),
            model.districts.id.astype(str).to_numpy(dtype=object),
            ids.site,
        ]
    )
    district = frame.district.to_numpy(dtype=np.int64)
    province = model.districts.province.to_numpy()[district]
    common = [frame[c].to_numpy(dtype=np.int64) for c in ("day", "product", "dose", "group")]
    keys = [
        np.concatenate([province, provinces + district]),  # from
        np.concatenate([provinces + district, provinces + districts + frame.site.to_numpy()]),  # to
        *(np.concatenate([c, c]) for c in common),  # day, product, dose, group
    ]
    persons = np.concatenate([frame.persons.to_numpy(dtype=np.int64)] * 2)
    keys, persons = sum_by_keys(keys, persons)
    keep = persons > 0
    origin_code, target_code, day, product_code, dose, group_code = (k[keep] for k in keys)
    persons = persons[keep]
    date = _dates(model.dates[0], day)
    origin = units[origin_code]
    target = units[target_code]
    product = model.products.id.astype(str).to_numpy(dtype=object)[product_code]
    group = model.priority_groups.id.astype(str).to_numpy(dtype=object)[group_code]
    return pd.DataFrame(
        {
            "allocation_id": keyed_ids("alloc", origin, target, date, product, dose, group),
            "from_unit_id": origin,
            "to_unit_id": target,
            "service_date": date,
            "product_id": product,
            "dose_number": dose,
            "priority_group": group,
            "persons": persons,
        },
        columns=TABLES["registrant_allocations"].column_names,
    )
