"""A day's vaccination sessions as the cold chain sees them: counts per session and product.

The engine says, for each session it runs today, the district, the product, how many people
need a dose and how many of them come late (in the policy's last ``late_minutes``). Optional
``site`` and ``start``/``end`` (minutes since local midnight) let vials carry over between the
sessions of one site when the policy does not discard them at session end, and let a vial's
in-use time cut short its use in sessions longer than that time.

:func:`vial_groups` decides which sessions share open vials. :class:`SessionLayout` turns the
engine's doses per district and product into sessions of the district's sites.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaxsim.coldchain.fefo import match, order_by, sum_by_keys
from vaxsim.model import Model
from vaxsim.numeric import split_by_group
from vaxsim.scenario.base import minutes_of_day
from vaxsim.scenario.sites import WEEKDAYS


@dataclass(frozen=True)
class Sessions:
    """Int64 arrays, one entry per session (and product) of the day.

    ``district``, ``product``: indices; ``people``: people needing a dose of ``product``;
    ``late``: how many of them arrive in the late window (default 0); ``site``: any id shared
    by the sessions of one site (-1 = not known); ``start``, ``end``: minutes since midnight
    (NaN = not known, treated as shorter than any in-use time).
    """

    district: np.ndarray
    product: np.ndarray
    people: np.ndarray
    late: np.ndarray
    site: np.ndarray
    start: np.ndarray
    end: np.ndarray

    @classmethod
    def of(
        cls,
        district: np.ndarray,
        product: np.ndarray,
        people: np.ndarray,
        late: np.ndarray | None = None,
        site: np.ndarray | None = None,
        start: np.ndarray | None = None,
        end: np.ndarray | None = None,
    ) -> Sessions:
        """Sessions from arrays of equal length (optional ones default as documented)."""
        people = np.asarray(people, dtype=np.int64).ravel()
        n = len(people)

        def ints(values: np.ndarray | None, default: int) -> np.ndarray:
            if values is None:
                return np.full(n, default, dtype=np.int64)
            return np.broadcast_to(np.asarray(values, dtype=np.int64), (n,)).copy()

        def floats(values: np.ndarray | None) -> np.ndarray:
            if values is None:
                return np.full(n, np.nan)
            return np.broadcast_to(np.asarray(values, dtype=float), (n,)).copy()

        sessions = cls(
            district=ints(district, 0),
            product=ints(product, 0),
            people=people,
            late=ints(late, 0),
            site=ints(site, -1),
            start=floats(start),
            end=floats(end),
        )
        if np.any(people < 0) or np.any(sessions.late < 0) or np.any(sessions.late > people):
            raise ValueError("sessions need 0 <= late <= people")
        return sessions

    def __len__(self) -> int:
        return len(self.people)

    @property
    def minutes(self) -> np.ndarray:
        """Session length in minutes (NaN when unknown)."""
        return self.end - self.start


def vial_groups(sessions: Sessions, in_use_minutes: np.ndarray, discard_at_session_end: bool) -> np.ndarray:
    """Group id per session: sessions of one group share open vials; ids are ``0..G-1``.

    Each session is its own group, unless vials are kept after the session
    (``discard_at_session_end`` false): then all of a day's sessions of one site and product
    (in one district) share vials when they fit within the product's in-use time
    (``in_use_minutes`` per session, from the first start to the last end);
    otherwise each session discards its own leftovers. Groups are numbered in order of their first session.
    """
    n = len(sessions)
    group = np.arange(n, dtype=np.int64)
    if discard_at_session_end or not n:
        return group
    known = (sessions.site >= 0) & np.isfinite(sessions.start) & np.isfinite(sessions.end)
    sites, products = int(sessions.site.max()) + 1, int(sessions.product.max()) + 1
    place = (sessions.district * sites + sessions.site) * products + sessions.product
    key = np.where(known, place, -1 - group)
    _, inverse = np.unique(key, return_inverse=True)
    first = np.full(inverse.max() + 1, np.inf)
    last = np.full(inverse.max() + 1, -np.inf)
    np.minimum.at(first, inverse, np.where(known, sessions.start, np.inf))
    np.maximum.at(last, inverse, np.where(known, sessions.end, -np.inf))
    pooled = known & (last[inverse] - first[inverse] <= in_use_minutes)
    group = np.where(pooled, inverse, inverse.max() + 1 + np.arange(n))
    _, first, group = np.unique(group, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[group]


def draw_order(district: np.ndarray, product: np.ndarray, site: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The order in which a day's sessions draw their district store's stock of a product:
    site by site, each site's sessions by start (``start``: any key that sorts a site's
    sessions by start time). Where the stock cannot cover every session's whole vials, the
    sessions last in this order go short. One rule for the simulated day
    (:meth:`SessionLayout.split`) and the optimizer's (:mod:`vaxsim.optimize.realise.vaccination_day`),
    so a plan's cuts are the run's."""
    return order_by(district, product, site, start)


@dataclass(frozen=True)
class PlannedSessions:
    """A plan's sessions of one day: ``row`` (of :class:`SessionLayout`), ``product`` and
    ``slots`` (people the plan books there), int64 arrays in the plan's order."""

    row: np.ndarray
    product: np.ndarray
    slots: np.ndarray


@dataclass(frozen=True)
class SessionLayout:
    """Every session of every site (from the site types), to split a day's doses into sessions."""

    site: np.ndarray
    district: np.ndarray
    start: np.ndarray
    end: np.ndarray
    open_on: np.ndarray  # [weekday, session template] bool

    @classmethod
    def from_model(cls, model: Model) -> SessionLayout:
        site, start, end, open_days = [], [], [], []
        for i, type_name in enumerate(model.sites.type):
            site_type = model.site_types[type_name]
            days = [day in site_type.open_days for day in WEEKDAYS]
            for session in site_type.sessions:
                site.append(i)
                start.append(minutes_of_day(session.start))
                end.append(minutes_of_day(session.end))
                open_days.append(days)
        site_arr = np.array(site, dtype=np.int64)
        return cls(
            site=site_arr,
            district=model.sites.district.to_numpy(dtype=np.int64)[site_arr],
            start=np.array(start, dtype=float),
            end=np.array(end, dtype=float),
            open_on=np.array(open_days, dtype=bool).reshape(-1, 7).T,
        )

    def row_of(self, site: np.ndarray, start: np.ndarray) -> np.ndarray:
        """The session template row of each ``(site, start minute)`` pair (-1 where none)."""
        key = self.site * 24 * 60 + self.start.astype(np.int64)
        order = np.argsort(key, kind="stable")
        wanted = np.asarray(site, dtype=np.int64) * 24 * 60 + np.asarray(start, dtype=np.int64)
        at = np.clip(np.searchsorted(key[order], wanted), 0, max(len(key) - 1, 0))
        found = len(key) > 0
        return np.where(found & (key[order][at] == wanted), order[at] if found else -1, -1)

    def split(
        self,
        weekday: int,
        people: np.ndarray,
        site_weight: np.ndarray,
        late_minutes: float,
        rng: np.random.Generator,
        planned: PlannedSessions | None = None,
    ) -> Sessions:
        """Sessions for ``people[district, product]`` doses on a day of ``weekday`` (Monday = 0).

        With ``planned`` sessions (a plan's capacity rows of the day), a district's people of a
        product go to the plan's sessions of that product, in proportion to their slots: where
        the plan opens vials, people come, and people beyond the plan's slots (booked again
        after a stock-out or a late arrival, or due beyond them) join those vials rather than
        open one more at another session for a few. The others (a product the plan gives
        nowhere in the district that day; everyone without a plan) go to the district's open
        sessions in proportion to ``site_weight`` (e.g. each site's capacity that day), shared
        among a site's sessions by their minutes. Products are then poured into the sessions
        in turn, largest sites first, so that a session gives as few products as possible
        (one, except where one product's doses end and the next one's begin): a session that
        gives one product opens fewer vials than one that gives all of them, as at real sites
        that receive one vaccine for the day. Each person is late with probability
        ``late_minutes / session minutes``.
        """
        people = np.asarray(people, dtype=np.int64)
        rows, product, count = self._planned(people, planned)
        if len(rows):
            rest = people.copy()
            np.subtract.at(rest, (self.district[rows], product), count)
            more_rows, more_product, more_count = self._proportional(weekday, rest, site_weight)
            (rows, product), count = sum_by_keys(  # one entry per session and product
                [np.concatenate([rows, more_rows]), np.concatenate([product, more_product])],
                np.concatenate([count, more_count]),
            )
            keep = count > 0
            rows, product, count = rows[keep], product[keep], count[keep]
        else:
            rows, product, count = self._proportional(weekday, people, site_weight)
        share = np.clip(late_minutes / (self.end[rows] - self.start[rows]), 0.0, 1.0)
        late = rng.binomial(count, share) if late_minutes > 0 else np.zeros_like(count)
        order = draw_order(self.district[rows], product, self.site[rows], self.start[rows].astype(np.int64))
        return Sessions.of(
            district=self.district[rows][order],
            product=product[order],
            people=count[order],
            late=late[order],
            site=self.site[rows][order],
            start=self.start[rows][order],
            end=self.end[rows][order],
        )

    def _planned(
        self, people: np.ndarray, planned: PlannedSessions | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """People ``(row, product, count)`` poured into the ``planned`` sessions: each
        district's people of a product are shared among its planned sessions of that product
        in proportion to their slots (fewer people than slots: people booked into every
        session, some not coming; more: the extra join the vials already opened)."""
        empty = np.zeros(0, dtype=np.int64)
        if planned is None or not len(planned.row):
            return empty, empty, empty
        width = people.shape[1]
        key = self.district[planned.row] * width + planned.product
        cells, cell_of_row = np.unique(key, return_inverse=True)
        count = split_by_group(people.ravel()[cells], cell_of_row, planned.slots)
        return planned.row, planned.product, count

    def _proportional(
        self, weekday: int, people: np.ndarray, site_weight: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """People ``(row, product, count)`` shared among the open sessions of their district in
        proportion to ``site_weight``, products poured in turn, largest sites first."""
        districts, width = people.shape
        templates = np.flatnonzero(self.open_on[weekday])
        weight = np.asarray(site_weight, dtype=float)
        totals = people.sum(axis=1)
        empty = np.zeros(0, dtype=np.int64)
        open_weight = np.bincount(self.district[templates], weights=weight[self.site[templates]] > 0,
                                  minlength=districts)
        if np.any((totals > 0) & (open_weight == 0)):
            missing = np.flatnonzero((totals > 0) & (open_weight == 0))
            raise ValueError(
                f"district(s) {missing.tolist()} have doses but no site open on weekday {weekday}"
            )
        if not totals.any():
            return empty, empty, empty
        # Session rows of the day, by district, largest sites first, then by start time.
        minutes = self.end[templates] - self.start[templates]
        site_minutes = np.bincount(self.site[templates], weights=minutes, minlength=len(weight))
        row_weight = weight[self.site[templates]] * minutes / site_minutes[self.site[templates]]
        order = np.lexsort((self.start[templates], self.site[templates], -weight[self.site[templates]],
                            self.district[templates]))
        rows, row_weight = templates[order], row_weight[order]
        at_session = split_by_group(totals, self.district[rows], row_weight)
        # Pour each district's products (in product order) into its sessions (in row order).
        cell_district, cell_product = np.nonzero(people)
        piece_cell, piece_row, count, _ = match(
            cell_district, people[cell_district, cell_product], self.district[rows], at_session, districts
        )
        return rows[piece_row], cell_product[piece_cell], count
