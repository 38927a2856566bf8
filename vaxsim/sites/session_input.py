"""Everything random about a batch of sessions, drawn up front from one generator.

Both site engines (:mod:`vaxsim.sites.reference` and :mod:`vaxsim.sites.kernel`) read the same
:class:`SessionInput`, so on the same input they must give the same time for every person, not
only the same distribution.

Layout: a batch has ``S`` sessions (rows), possibly of different sites and site types. Per-person
arrays are padded to ``N`` = the most people in any session (``count[s]`` are real, the rest are
NaN); per-station arrays are padded to ``K`` = the most stations of any site type (a site with
fewer stations has ``servers == 0`` and NaN service times there); per-vial arrays are padded to
``V`` = the most vials any session needs. Person ``j`` of a session is its ``j``-th arrival
(arrivals are sorted). All times and durations are minutes; instants are minutes since local
midnight of the site-day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from vaxsim.scenario.base import minutes_of_day
from vaxsim.scenario.sites import SiteType
from vaxsim.sites.service_times import sample


@dataclass(frozen=True)
class SessionPlan:
    """One session to simulate: which site, how it works, who comes.

    ``session`` indexes ``site_type.sessions``; ``arrivals`` are minutes since midnight (any
    order, sorted when drawn); ``doses_per_vial`` and ``in_use_minutes`` (how long a drawn-up
    dose stays usable) are those of the product used in the session.
    """

    site: str
    site_type: SiteType
    session: int
    arrivals: np.ndarray
    doses_per_vial: int = 1
    in_use_minutes: float = np.inf


@dataclass(frozen=True, eq=False)
class SessionInput:
    """A batch of ``S`` sessions with all their random draws (see the module docstring).

    Per session, shape ``(S,)``: ``site`` (site id, object), ``session`` (index in the site's
    day), ``session_start`` and ``session_end`` (minutes since midnight), ``injection`` (index
    of the injection station), ``preparers`` (0 = doses are ready at once), ``ahead`` (True:
    doses are drawn up ahead of demand, see :mod:`vaxsim.sites`), ``lead_minutes`` and
    ``batch_vials`` (of preparation ahead), ``in_use_minutes`` (of a drawn-up dose),
    ``doses_per_vial``, ``crowding_limit`` (people on site), ``count`` (people who come).

    Per station, shape ``(S, K)``: ``station_names`` and ``station_roles`` (object, ``""`` where
    a site has no such station), ``servers`` (staff, 0 = no station).

    Per person, shape ``(S, N)``: ``arrival`` (minutes since midnight, sorted, NaN padding),
    ``observation`` (minutes observed after the last station), ``replacement`` (minutes a
    vaccinator takes to draw up a fresh dose when the person's drawn-up dose has passed its
    in-use time; NaN where preparation is just in time). Shape ``(S, N, K)``: ``service``
    (minutes of service of each person at each station) and ``walking`` (minutes walked after
    station ``k``, to the next station or, after the last, to observation). Per vial, shape
    ``(S, V)``: ``preparation`` (minutes to draw up vial ``v`` of the session, the ``v``-th
    requested).
    """

    site: np.ndarray
    session: np.ndarray
    session_start: np.ndarray
    session_end: np.ndarray
    station_names: np.ndarray
    station_roles: np.ndarray
    servers: np.ndarray
    injection: np.ndarray
    walking: np.ndarray
    preparers: np.ndarray
    doses_per_vial: np.ndarray
    crowding_limit: np.ndarray
    count: np.ndarray
    arrival: np.ndarray
    service: np.ndarray
    preparation: np.ndarray
    observation: np.ndarray
    ahead: np.ndarray
    lead_minutes: np.ndarray
    batch_vials: np.ndarray
    in_use_minutes: np.ndarray
    replacement: np.ndarray

    def __post_init__(self) -> None:
        sessions, people = self.arrival.shape
        stations = self.servers.shape[1]
        if self.service.shape != (sessions, people, stations):
            raise ValueError(f"service has shape {self.service.shape}, expected "
                             f"{(sessions, people, stations)}")
        if self.walking.shape != (sessions, people, stations):
            raise ValueError(f"walking has shape {self.walking.shape}, expected "
                             f"{(sessions, people, stations)}")
        if self.observation.shape != (sessions, people) or self.replacement.shape != (sessions, people):
            raise ValueError("observation and replacement must have the shape of arrival")
        if self.preparation.shape[0] != sessions:
            raise ValueError("preparation needs one row per session")
        for name in ("site", "session", "session_start", "session_end", "injection", "preparers",
                     "doses_per_vial", "crowding_limit", "count", "ahead", "lead_minutes",
                     "batch_vials", "in_use_minutes"):
            if getattr(self, name).shape != (sessions,):
                raise ValueError(f"{name} must have shape ({sessions},)")
        real = np.arange(people)[None, :] < self.count[:, None]
        if np.any(np.isnan(self.arrival[real])) or np.any(~np.isnan(self.arrival[~real])):
            raise ValueError("arrival must hold count[s] times per session, then NaN")
        if np.any(np.diff(self.arrival, axis=1) < 0):
            raise ValueError("arrivals must be sorted within each session")
        if np.any(self.arrival[real] < 0):
            raise ValueError("arrivals are minutes since midnight and must be >= 0")
        present = self.servers > 0
        if np.any(present[:, 1:] & ~present[:, :-1]):
            raise ValueError("each session's stations must be the first ones (servers > 0)")
        if np.any(self.injection >= self.station_count) or np.any(self.injection < 0):
            raise ValueError("injection must index one of the session's stations")
        if self.preparation.shape[1] < int(self.vials_needed.max(initial=0)):
            raise ValueError("preparation needs one time per vial a session may open")
        if np.any(self.doses_per_vial < 1) or np.any(self.batch_vials < 1):
            raise ValueError("doses_per_vial and batch_vials must be >= 1")
        if np.any(self.ahead & (self.preparers < 1)):
            raise ValueError("preparation ahead of demand needs at least one preparer")

    @property
    def sessions(self) -> int:
        """``S``, the number of sessions in the batch."""
        return self.arrival.shape[0]

    @property
    def max_people(self) -> int:
        """``N``, the padded number of people per session."""
        return self.arrival.shape[1]

    @property
    def max_stations(self) -> int:
        """``K``, the padded number of stations per session."""
        return self.servers.shape[1]

    @property
    def station_count(self) -> np.ndarray:
        """Stations of each session, shape ``(S,)``."""
        return (self.servers > 0).sum(axis=1)

    @property
    def session_minutes(self) -> np.ndarray:
        """Opening length of each session in minutes, shape ``(S,)``."""
        return self.session_end - self.session_start

    @property
    def vials_needed(self) -> np.ndarray:
        """Vials opened per session, ``ceil(count / doses_per_vial)``, shape ``(S,)``."""
        return -(-self.count // self.doses_per_vial)

    @property
    def batches_needed(self) -> np.ndarray:
        """Preparation batches per session, ``ceil(vials / batch_vials)``, shape ``(S,)``."""
        return -(-self.vials_needed // self.batch_vials)

    @property
    def preparation_batches(self) -> np.ndarray:
        """Preparation tasks per session, ``(S,)``: batches ahead of demand, else vials."""
        return np.where(self.ahead, self.batches_needed, self.vials_needed)

    @cached_property
    def batch_preparation(self) -> np.ndarray:
        """Minutes of each preparation task, ``(S, V)`` (:func:`task_minutes`), NaN beyond
        :attr:`preparation_batches`. Both engines read these, so their sums are identical."""
        vials = np.nan_to_num(self.preparation.T, nan=0.0)
        minutes = task_minutes(vials, self.vials_needed, self.batch_vials, self.ahead).T
        minutes[np.arange(minutes.shape[1])[None, :] >= self.preparation_batches[:, None]] = np.nan
        return minutes

    @property
    def walk_to_observation(self) -> np.ndarray:
        """Minutes each person walks from the last station to observation, ``(S, N)``."""
        last = np.maximum(self.station_count - 1, 0)[:, None, None]
        return np.take_along_axis(self.walking, last, axis=2)[:, :, 0]

    @property
    def people(self) -> int:
        """Total number of people in the batch."""
        return int(self.count.sum())


def batch_sums(vials: np.ndarray, vials_needed: np.ndarray, batch_vials: np.ndarray) -> np.ndarray:
    """Minutes per batch ``(B, S)`` from minutes per vial ``(V, S)`` (finite): batch ``b`` of a
    session holds its vials ``b·batch_vials …`` up to ``vials_needed``, added in vial order."""
    total, sessions = vials.shape
    batches = int((-(-vials_needed // batch_vials)).max(initial=0))
    summed = np.zeros((batches, sessions))
    first = np.arange(batches)[:, None] * batch_vials[None, :]
    columns = np.arange(sessions)[None, :]
    for i in range(int(batch_vials.max(initial=1))):
        vial = first + i
        use = (i < batch_vials)[None, :] & (vial < vials_needed[None, :])
        summed += np.where(use, vials[np.minimum(vial, max(total - 1, 0)), columns], 0.0)
    return summed


def task_minutes(
    vials: np.ndarray, vials_needed: np.ndarray, batch_vials: np.ndarray, ahead: np.ndarray
) -> np.ndarray:
    """Minutes of each preparation task ``(V, S)`` from minutes per vial ``(V, S)`` (finite):
    the vial itself just in time, the sums of :func:`batch_sums` ahead of demand (zero after
    the last batch)."""
    minutes = vials.copy()
    columns = np.flatnonzero(ahead)
    if columns.size:
        summed = batch_sums(vials[:, columns], vials_needed[columns], batch_vials[columns])
        minutes[:, columns] = 0.0
        minutes[: summed.shape[0], columns] = summed
    return minutes


def draw_session_input(plans: Sequence[SessionPlan], rng: np.random.Generator) -> SessionInput:
    """Draw service, preparation and observation times for ``plans`` from ``rng``.

    Sessions are grouped by site type (object identity, first-seen order) and each group's
    draws are taken in one vectorised call per station: service ``(G, N)`` per station, then
    preparation ``(G, V)``, then one uniform per person for adverse reactions ``(G, N)``, then
    (only for durations given as distributions, see :func:`vaxsim.sites.service_times.sample`)
    the base observation ``(G, N)``, the adverse-reaction extra ``(G, N)`` and the walks
    ``(G, N, K)``, and for preparation ahead of demand the replacement doses ``(G, N)``.
    Padding draws are discarded, so the numbers depend on the whole batch's ``N`` and ``V``.
    """
    for plan in plans:
        if not 0 <= plan.session < len(plan.site_type.sessions):
            raise ValueError(f"site {plan.site!r} has no session {plan.session} (its type has "
                             f"{len(plan.site_type.sessions)})")
    sessions = len(plans)
    arrivals = [np.sort(np.asarray(plan.arrivals, dtype=float)) for plan in plans]
    count = np.array([a.size for a in arrivals], dtype=np.int64)
    people = int(count.max(initial=0))
    stations = max((len(plan.site_type.stations) for plan in plans), default=0)
    doses_per_vial = np.array([plan.doses_per_vial for plan in plans], dtype=np.int64)
    vials = int((-(-count // np.maximum(doses_per_vial, 1))).max(initial=0))

    arrival = np.full((sessions, people), np.nan)
    for row, times in enumerate(arrivals):
        arrival[row, : times.size] = times
    real = np.arange(people)[None, :] < count[:, None]

    service = np.full((sessions, people, stations), np.nan)
    preparation = np.full((sessions, vials), np.nan)
    observation = np.full((sessions, people), np.nan)
    walking = np.zeros((sessions, people, stations))
    replacement = np.full((sessions, people), np.nan)
    names = np.full((sessions, stations), "", dtype=object)
    roles = np.full((sessions, stations), "", dtype=object)
    servers = np.zeros((sessions, stations), dtype=np.int64)

    groups: dict[int, list[int]] = {}
    for row, plan in enumerate(plans):
        groups.setdefault(id(plan.site_type), []).append(row)
    for rows_list in groups.values():
        rows = np.array(rows_list)
        site_type = plans[rows_list[0]].site_type
        for k, station in enumerate(site_type.stations):
            service[rows, :, k] = sample(station.service_minutes, rng, (rows.size, people))
            names[rows, k] = station.name
            roles[rows, k] = station.role
            servers[rows, k] = station.servers
        preparation[rows] = sample(site_type.preparation.minutes_per_vial, rng, (rows.size, vials))
        observation[rows] = observation_minutes(site_type, rng, (rows.size, people))
        moves = len(site_type.stations)
        walking[rows, :, :moves] = sample(site_type.walking_minutes, rng, (rows.size, people, moves))
        if site_type.preparation.mode == "ahead":
            replacement[rows] = sample(site_type.preparation.minutes_per_vial, rng, (rows.size, people))

    service[~real] = np.nan
    observation[~real] = np.nan
    replacement[~real] = np.nan
    walking[~real] = np.nan
    vial_real = np.arange(vials)[None, :] < (-(-count // np.maximum(doses_per_vial, 1)))[:, None]
    preparation[~vial_real] = np.nan

    def per_session(value, dtype) -> np.ndarray:
        return np.array([value(plan) for plan in plans], dtype=dtype)

    def session_of(plan: SessionPlan):
        return plan.site_type.sessions[plan.session]

    return SessionInput(
        site=per_session(lambda p: p.site, object),
        session=per_session(lambda p: p.session, np.int64),
        session_start=per_session(lambda p: minutes_of_day(session_of(p).start), float),
        session_end=per_session(lambda p: minutes_of_day(session_of(p).end), float),
        station_names=names,
        station_roles=roles,
        servers=servers,
        injection=per_session(
            lambda p: [s.role for s in p.site_type.stations].index("injection"), np.int64
        ),
        walking=walking,
        preparers=per_session(lambda p: p.site_type.preparation.preparers, np.int64),
        ahead=per_session(lambda p: p.site_type.preparation.mode == "ahead", bool),
        lead_minutes=per_session(lambda p: p.site_type.preparation.lead_minutes, float),
        batch_vials=per_session(lambda p: p.site_type.preparation.batch_vials, np.int64),
        in_use_minutes=per_session(lambda p: p.in_use_minutes, float),
        replacement=replacement,
        doses_per_vial=doses_per_vial,
        crowding_limit=per_session(lambda p: p.site_type.crowding_limit, np.int64),
        count=count,
        arrival=arrival,
        service=service,
        preparation=preparation,
        observation=observation,
    )


def observation_minutes(site_type: SiteType, rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
    """Minutes each person is observed: the base time, plus the extra for a share of people
    with an adverse reaction. Draws one uniform per person, then the base and the extra when
    they are distributions (a plain number draws nothing)."""
    watch = site_type.observation
    adverse = rng.random(size) < watch.adverse_reaction_share
    base, extra = (
        float(minutes) if isinstance(minutes, int | float) else sample(minutes, rng, size)
        for minutes in (watch.minutes, watch.adverse_reaction_extra_minutes)
    )  # plain numbers stay scalars: national days hold millions of people
    return base + extra * adverse
