"""Appointment capacity of every site, per session and day (:class:`SiteCalendar`).

A session's capacity is :func:`vaxsim.sim.capacity.session_capacities`: throughput at the
planning utilisation and the crowding limit by Little's law, the same rule the simulation books
to and the plan checker checks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaxsim.model import Model
from vaxsim.scenario.base import minutes_of_day
from vaxsim.scenario.sites import WEEKDAYS
from vaxsim.sim.capacity import session_capacities


@dataclass(frozen=True)
class SiteCalendar:
    """Sessions and capacities of every site of a model.

    - ``sessions``: int64 ``[site, session]`` people per session on an open day (0 = no such
      session; sessions padded to the most of any site type).
    - ``session_start``, ``session_end``: object ``[site, session]`` local ``HH:MM`` ('' padding).
    - ``open_on``: bool ``[site, weekday]`` (Monday = 0).
    - ``district``: int64 ``[site]``.
    - ``weekday``: int64 ``[day]`` weekday of each campaign day.
    - ``cold_litres``: float ``[site, 3]`` fridge litres (ultra-cold, frozen, 2-8 °C).
    """

    sessions: np.ndarray
    session_start: np.ndarray
    session_end: np.ndarray
    open_on: np.ndarray
    district: np.ndarray
    weekday: np.ndarray
    cold_litres: np.ndarray

    @classmethod
    def from_model(cls, model: Model) -> SiteCalendar:
        types = list(model.site_types)
        width = max((len(model.site_types[t].sessions) for t in types), default=1)
        per_type = np.zeros((len(types), width), dtype=np.int64)
        starts = np.full((len(types), width), "", dtype=object)
        ends = np.full((len(types), width), "", dtype=object)
        open_on = np.zeros((len(types), 7), dtype=bool)
        litres = np.zeros((len(types), 3))
        for i, name in enumerate(types):
            site_type = model.site_types[name]
            caps = session_capacities(site_type)
            order = np.argsort([minutes_of_day(s.start) for s in site_type.sessions], kind="stable")
            per_type[i, : len(caps)] = caps[order]
            for j, k in enumerate(order):
                starts[i, j] = site_type.sessions[k].start
                ends[i, j] = site_type.sessions[k].end
            open_on[i] = [day in site_type.open_days for day in WEEKDAYS]
            room = site_type.cold_chain_litres
            litres[i] = (room.ultra_cold, room.frozen, room.cold_2_8)
        type_of = np.array([types.index(t) for t in model.sites.type], dtype=np.int64)
        return cls(
            sessions=per_type[type_of],
            session_start=starts[type_of],
            session_end=ends[type_of],
            open_on=open_on[type_of],
            district=model.sites.district.to_numpy(dtype=np.int64),
            weekday=np.array([date.weekday() for date in model.dates], dtype=np.int64),
            cold_litres=litres[type_of],
        )

    @property
    def daily(self) -> np.ndarray:
        """People per site on an open day, int64 ``[site]``."""
        return self.sessions.sum(axis=1)

    def site_day_capacity(self, days: np.ndarray) -> np.ndarray:
        """People per site and day, int64 ``[site, len(days)]`` (0 on closed days and days
        outside the campaign)."""
        days = np.asarray(days, dtype=np.int64)
        inside = (days >= 0) & (days < len(self.weekday))
        weekday = self.weekday[np.clip(days, 0, len(self.weekday) - 1)]
        return np.where(inside[None, :] & self.open_on[:, weekday], self.daily[:, None], 0)

    def district_day_capacity(self, districts: int, days: np.ndarray) -> np.ndarray:
        """People per district and day, int64 ``[district, len(days)]``."""
        per_site = self.site_day_capacity(days)
        result = np.zeros((districts, per_site.shape[1]), dtype=np.int64)
        np.add.at(result, self.district, per_site)
        return result

    def district_cold_litres(self, districts: int) -> np.ndarray:
        """Fridge litres of all sites of each district, ``[district, 3]``."""
        result = np.zeros((districts, 3))
        np.add.at(result, self.district, self.cold_litres)
        return result
