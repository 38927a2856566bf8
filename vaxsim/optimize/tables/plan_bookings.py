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
from vaxsim.optimize.tables.plan_stock import _date_column, _dates
from vaxsim.optimize.tables.series import Pieces
from vaxsim.optimize.tables.text_columns import text_take
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
    # The ids hash Python strings; the table's text columns are built in Arrow from the
    # distinct values (text_columns.py: the same columns, without copying 700,000 strings each).
    site_ids, products, groups = ids.site, _ids(model.products), _ids(model.priority_groups)
    cell = site * calendar.session_start.shape[1] + session
    starts, ends = calendar.session_start.ravel(), calendar.session_end.ravel()
    date = _dates(model.dates[0], day)
    capacity_id = keyed_ids(
        "cap", site_ids[site], date, starts[cell], products[product_code], dose, groups[group_code]
    )
    table = pd.DataFrame(
        {
            "capacity_id": capacity_id,
            "site_id": text_take(site_ids, site),
            "service_date": _date_column(model.dates[0], day),
            "session_start": text_take(starts, cell),
            "session_end": text_take(ends, cell),
            "product_id": text_take(products, product_code),
            "dose_number": dose,
            "priority_group": text_take(groups, group_code),
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
            _ids(model.provinces),
            _ids(model.districts),
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
    products, groups = _ids(model.products), _ids(model.priority_groups)
    origin, target = units[origin_code], units[target_code]
    allocation_id = keyed_ids("alloc", origin, target, date, products[product_code], dose, groups[group_code])
    return pd.DataFrame(
        {
            "allocation_id": allocation_id,
            "from_unit_id": text_take(units, origin_code),
            "to_unit_id": text_take(units, target_code),
            "service_date": _date_column(model.dates[0], day),
            "product_id": text_take(products, product_code),
            "dose_number": dose,
            "priority_group": text_take(groups, group_code),
            "persons": persons,
        },
        columns=TABLES["registrant_allocations"].column_names,
    )


def _ids(table: pd.DataFrame) -> np.ndarray:
    """A model table's ids as Python strings (object array), in its row order."""
    return table.id.astype(str).to_numpy(dtype=object)
