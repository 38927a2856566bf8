"""Demand: approved registrants per district, demand class and day, as the optimizer sees them.

A *demand class* is a priority group, or the part of it whose age bands may receive the same set
of products (people aged 65+ cannot have a product licensed up to 65, adolescents only one
licensed from 12). Classes are what the LPs serve; outputs name the priority group.

The forecast is the expected value of the simulation's registration and approval steps
(:mod:`vaxsim.sim.engine`): eligible people register along the scenario's registration curve
(:func:`vaxsim.sim.curves.expected_registered`), each province's Department of Health approves up to
its daily capacity (priority first, or pro rata when the scenario says so, with
:class:`vaxsim.sim.allocate.PriorityOrder`), and an approved person can be vaccinated from the
day after processing ends. A table given by the user replaces the forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vaxsim.model import Model
from vaxsim.sim.allocate import PriorityOrder
from vaxsim.sim.cohorts import Cohorts
from vaxsim.sim.curves import expected_registered

#: Columns of a user-supplied demand table.
DEMAND_COLUMNS = ("district", "priority_group", "age_band", "date", "persons")


@dataclass(frozen=True)
class Demand:
    """People to vaccinate, by district (model index), demand class and campaign day.

    - ``classes``: id, group (index), group_id, bands (age band ids joined by ``+``), in
      priority order (the order the objective's priority weights follow).
    - ``suitable``: bool ``[product, class]``, the product may be given to the class.
    - ``approvals``: int64 ``[district, class, day]``, people who become available for a
      first dose on that day (approved, processing done).
    - ``eligible``: int64 ``[district, class]``, eligible people (coverage denominators).
    """

    classes: pd.DataFrame
    suitable: np.ndarray
    approvals: np.ndarray
    eligible: np.ndarray

    @property
    def size(self) -> int:
        return len(self.classes)


def demand_classes(
    model: Model, cohorts: Cohorts, populated_only: bool = True
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The demand classes, each cohort's class (-1 = not eligible) and suitability per class.

    With ``populated_only``, a group's age bands where nobody lives in the scenario are left
    out (they would only add empty classes).
    """
    groups = len(model.priority_groups)
    bands = len(model.age_bands)
    # Suitability and eligibility depend on the age band only; cohorts are ordered (district,
    # group, band), so the first ``bands`` cohorts hold every band once. Classes merge the bands
    # of one group whose suitable product sets are equal.
    suitable_of_band = cohorts.suitable[:, :bands]
    eligible_band = cohorts.eligible[:bands]
    populated = model.population.sum(axis=0) > 0  # [group, band]
    keys: dict[tuple[int, tuple[bool, ...]], list[int]] = {}
    for g in range(groups):
        for b in range(bands):
            if not eligible_band[b] or (populated_only and not populated[g, b]):
                continue
            key = (g, tuple(bool(x) for x in suitable_of_band[:, b]))
            keys.setdefault(key, []).append(b)
    ordered = sorted(keys, key=lambda key: (key[0], keys[key][0]))
    class_of_group_band = np.full((groups, bands), -1, dtype=np.int64)
    rows = []
    for k, key in enumerate(ordered):
        g, suitable = key
        class_of_group_band[g, keys[key]] = k
        band_ids = "+".join(str(model.age_bands.id[b]) for b in keys[key])
        group_id = str(model.priority_groups.id[g])
        split = sum(1 for other in ordered if other[0] == g) > 1
        rows.append((f"{group_id}:{band_ids}" if split else group_id, g, group_id, band_ids))
    classes = pd.DataFrame(rows, columns=["id", "group", "group_id", "bands"])
    suitable = np.array([key[1] for key in ordered], dtype=bool).T.reshape(len(model.products), -1)
    cohort_class = class_of_group_band[cohorts.group, cohorts.band]
    return classes, cohort_class, suitable


def forecast_demand(model: Model) -> Demand:
    """Expected approvals per district, demand class and day from the scenario's people model."""
    cohorts = Cohorts.from_model(model)
    classes, cohort_class, suitable = demand_classes(model, cohorts)
    days = len(model.dates)
    people = model.scenario.people
    to_register = np.where(cohorts.eligible, np.floor(cohorts.uptake * cohorts.population), 0)
    to_register = np.where(cohort_class >= 0, to_register, 0).astype(np.int64)

    # Expected registrations: the simulation's rule (it draws around them, or takes them as
    # they are when registration is not random).
    registered = expected_registered(people.registration.curve, to_register, cohorts.opens_day, days)
    new = np.diff(registered, axis=0, prepend=0)

    order = PriorityOrder(cohorts.province, cohorts.rank, len(model.provinces))
    rule = "pro_rata" if model.scenario.policies.allocation == "pro_rata" else "priority_first"
    capacity = model.provinces.approval_capacity_per_day.to_numpy(dtype=np.int64)
    delay = people.approval.processing_days + 1
    n_classes = len(classes)
    cell = cohorts.district * n_classes + np.maximum(cohort_class, 0)
    cells = len(model.districts) * n_classes
    approvals = np.zeros((cells, days), dtype=np.int64)
    waiting = np.zeros(cohorts.size, dtype=np.int64)
    for day in range(days):
        waiting += new[day]
        if not waiting.any():
            continue
        served = order.serve(waiting, capacity, rule)
        waiting -= served
        if day + delay < days:
            approvals[:, day + delay] = np.bincount(cell, weights=served, minlength=cells).astype(np.int64)
    base = _empty(model, classes, cohort_class, suitable, cohorts)
    return Demand(base.classes, base.suitable, approvals.reshape(base.approvals.shape), base.eligible)


def demand_from_table(model: Model, table: pd.DataFrame) -> tuple[Demand, list[str]]:
    """A :class:`Demand` from a user table (columns :data:`DEMAND_COLUMNS`), and its problems.

    ``persons`` on ``date`` are people available for a first dose from that date. Rows with
    people no product may be given to, or in bands that are not eligible, are problems.
    """
    cohorts = Cohorts.from_model(model)
    classes, cohort_class, suitable = demand_classes(model, cohorts, populated_only=False)
    problems: list[str] = []
    missing = [c for c in DEMAND_COLUMNS if c not in table.columns]
    if missing:
        return _empty(model, classes, cohort_class, suitable, cohorts), [
            f"demand table lacks column(s) {', '.join(missing)} (needs {', '.join(DEMAND_COLUMNS)})"
        ]
    districts = {str(d): i for i, d in enumerate(model.districts.id)}
    groups = {str(g): i for i, g in enumerate(model.priority_groups.id)}
    bands = {str(b): i for i, b in enumerate(model.age_bands.id)}
    start = model.dates[0]
    days = len(model.dates)
    n_classes = len(classes)
    approvals = np.zeros((len(model.districts), n_classes, days), dtype=np.int64)
    band_count = len(model.age_bands)
    class_of_group_band = np.full((len(groups), band_count), -1, dtype=np.int64)
    class_of_group_band[cohorts.group, cohorts.band] = cohort_class
    for row_number, row in enumerate(table.itertuples(index=False), start=1):
        where = f"demand table row {row_number}"
        d = districts.get(str(row.district))
        g = groups.get(str(row.priority_group))
        b = bands.get(str(row.age_band))
        if d is None:
            problems.append(f"{where}: unknown district {row.district!r}")
        if g is None:
            problems.append(f"{where}: unknown priority group {row.priority_group!r}")
        if b is None:
            problems.append(f"{where}: unknown age band {row.age_band!r}")
        try:
            day = (pd.Timestamp(row.date) - start).days
        except (ValueError, TypeError):
            problems.append(f"{where}: invalid date {row.date!r}")
            continue
        if not 0 <= day < days:
            problems.append(f"{where}: date {row.date} is outside the campaign")
        persons = row.persons
        if not (isinstance(persons, int | np.integer) or float(persons).is_integer()) or persons < 0:
            problems.append(f"{where}: persons must be a whole number >= 0 (got {persons!r})")
            continue
        if d is None or g is None or b is None or not 0 <= day < days:
            continue
        k = class_of_group_band[g, b]
        if k < 0:
            problems.append(f"{where}: age band {row.age_band!r} is not eligible")
            continue
        approvals[d, k, day] += int(persons)
    base = _empty(model, classes, cohort_class, suitable, cohorts)
    return Demand(base.classes, base.suitable, approvals, base.eligible), problems


def _empty(
    model: Model, classes: pd.DataFrame, cohort_class: np.ndarray, suitable: np.ndarray, cohorts: Cohorts
) -> Demand:
    n_classes = len(classes)
    cells = len(model.districts) * n_classes
    cell = cohorts.district * n_classes + np.maximum(cohort_class, 0)
    eligible = np.bincount(
        cell, weights=np.where(cohort_class >= 0, cohorts.population, 0), minlength=cells
    ).astype(np.int64)
    return Demand(
        classes=classes,
        suitable=suitable,
        approvals=np.zeros((len(model.districts), n_classes, len(model.dates)), dtype=np.int64),
        eligible=eligible.reshape(len(model.districts), n_classes),
    )
