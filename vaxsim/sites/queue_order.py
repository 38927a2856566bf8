"""The site kernel in queue order: the same queues, without following each person.

National runs need the distribution of waits per station, the injection station's busy time
and when people leave (for crowding), not which person waited how long. At every station the
service time of the person in queue position ``j`` is independent of everything that decided
the queue order (arrivals and earlier stations), so the draws can be used in queue order
directly. The waits, busy times and departure times then have exactly the same joint
distribution per session as in :func:`vaxsim.sites.simulate_kernel`, while each station costs
one sort of join times instead of an argsort, two gathers and three scatters.

The kernel reads a :class:`SessionColumns`: the draws laid out with queue position down the
rows and sessions across the columns, the layout its recursion works in. The national
simulation draws them in that layout directly (:mod:`vaxsim.sim.site_queues`);
:func:`simulate_queue_order` takes a :class:`SessionInput` like the other engines. With
sessions ordered by people, most first, each queue position only touches the sessions that
have someone in it, so sessions of very different sizes share one batch without padding work
in the recursion.

The two kernels are compared in ``tests/sites/test_sites_queue_order.py``: identical when
service times are fixed, the same distribution otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaxsim.sites.kernel import Preparing, dose_ready, fifo_servers, leading_sessions
from vaxsim.sites.session_input import SessionInput, task_minutes


@dataclass(frozen=True, eq=False)
class SessionColumns:
    """A batch of ``S`` sessions for the queue-order kernel; minutes throughout.

    Per person, ``(N, S)``: ``arrival`` (minutes since midnight, sorted down each column,
    ``+inf`` below ``count[s]``) and ``observation``. ``service`` ``(K, N, S)`` per station;
    ``preparation`` ``(V, S)`` per vial. Values below a session's people (or vials) are never
    used but must be finite. Per session ``(S,)``: ``count``, ``injection`` (station index),
    ``walking``, ``preparers``, ``doses_per_vial``, ``session_end`` (closing instant, minutes
    since midnight); ``servers`` ``(S, K)`` (0 = no station; each session's stations come first).
    """

    arrival: np.ndarray
    service: np.ndarray
    observation: np.ndarray
    preparation: np.ndarray
    count: np.ndarray
    servers: np.ndarray
    injection: np.ndarray
    walking: np.ndarray
    preparers: np.ndarray
    doses_per_vial: np.ndarray
    ahead: np.ndarray
    lead_minutes: np.ndarray
    batch_vials: np.ndarray
    in_use_minutes: np.ndarray
    replacement: np.ndarray
    session_end: np.ndarray

    @classmethod
    def from_input(cls, inp: SessionInput) -> SessionColumns:
        """The same draws as ``inp``, transposed, with ``+inf`` / zero padding for NaN."""
        arrival = np.ascontiguousarray(inp.arrival.T)
        arrival[np.isnan(arrival)] = np.inf
        return cls(
            arrival=arrival,
            service=np.nan_to_num(inp.service.transpose(2, 1, 0), nan=0.0),
            observation=np.nan_to_num(inp.observation.T, nan=0.0),
            preparation=np.nan_to_num(inp.preparation.T, nan=0.0),
            count=inp.count,
            servers=inp.servers,
            injection=inp.injection,
            walking=_compact(np.nan_to_num(inp.walking.transpose(2, 1, 0), nan=0.0), inp.count),
            preparers=inp.preparers,
            doses_per_vial=inp.doses_per_vial,
            ahead=inp.ahead,
            lead_minutes=inp.lead_minutes,
            batch_vials=inp.batch_vials,
            in_use_minutes=inp.in_use_minutes,
            replacement=np.nan_to_num(inp.replacement.T, nan=0.0),
            session_end=inp.session_end,
        )

    @property
    def walk_to_observation(self) -> np.ndarray:
        """Minutes walked from the last station to observation, ``(N, S)`` or ``(1, S)``."""
        last = np.maximum((self.servers > 0).sum(axis=1) - 1, 0)
        return np.take_along_axis(self.walking, last[None, None, :], axis=0)[0]

    def preparing(self) -> Preparing:
        """The preparation side, as :func:`vaxsim.sites.kernel.dose_ready` reads it."""
        vials_needed = -(-self.count // self.doses_per_vial)
        return Preparing.of(self, task_minutes(self.preparation, vials_needed, self.batch_vials, self.ahead))

    @property
    def real(self) -> np.ndarray:
        """``(N, S)``: True where a queue position holds a person."""
        return np.arange(self.arrival.shape[0])[:, None] < self.count[None, :]


def _compact(walking: np.ndarray, count: np.ndarray) -> np.ndarray:
    """``walking`` ``(K, N, S)`` as ``(K, 1, S)`` when everyone of a session walks alike (fixed
    walks: the queue recursion then adds a row, not a matrix)."""
    people = walking.shape[1]
    if people == 0:
        return np.zeros((walking.shape[0], 1, walking.shape[2]))
    real = np.arange(people)[None, :, None] < count[None, None, :]
    first = walking[:, :1, :]
    if np.all((walking == first) | ~real):
        return np.ascontiguousarray(first)
    return walking


@dataclass(frozen=True, eq=False)
class QueueOrderResult:
    """Per station and session, in queue order (not person order).

    ``wait`` ``(K, N, S)``: minutes from joining the queue to the start of service (including
    the wait for a dose at the injection station), NaN for padding and missing stations.
    ``busy`` ``(K, S)``: server-minutes held (seized to end); ``busy_after_close`` ``(K, S)``:
    the part of them after the session's closing instant (as
    :attr:`vaxsim.sites.results.SiteDayResult.busy_in_opening_hours` splits them);
    ``last_end`` ``(K, S)``: when the station's last service ended (``-inf``: nobody came).
    ``leave`` ``(N, S)``: departure instants after observation, in no particular order (NaN
    padding).
    """

    wait: np.ndarray
    busy: np.ndarray
    busy_after_close: np.ndarray
    last_end: np.ndarray
    leave: np.ndarray


def simulate_queue_order(site_input: SessionInput) -> QueueOrderResult:
    """Simulate every session of ``site_input`` at once, tracking queue positions only."""
    return queue_order(SessionColumns.from_input(site_input))


def queue_order(columns: SessionColumns) -> QueueOrderResult:
    """Simulate every session of ``columns`` at once, tracking queue positions only."""
    c = columns
    stations, people, sessions = c.service.shape
    present = c.servers > 0
    real = c.real
    active = leading_sessions(c.count, people)
    wait = np.full((stations, people, sessions), np.nan)
    busy = np.zeros((stations, sessions))
    after_close = np.zeros((stations, sessions))
    last_end = np.full((stations, sessions), -np.inf)
    prep = c.preparing()
    end = c.arrival
    for k in range(stations):
        missing = ~present[:, k]
        service = c.service[k]
        if k == 0:
            join = end  # arrivals are sorted
        else:
            walk = c.walking[k - 1]
            join = end + (np.where(missing[None, :], 0.0, walk) if missing.any() else walk)
            join.sort(axis=0)
        if missing.any():
            service = np.where(missing[None, :], 0.0, service)
        doses = dose_ready(join, c.arrival, prep, c.injection == k)
        servers = np.where(missing, 1, c.servers[:, k])
        if doses is None:
            seized, start, end = fifo_servers(join, service, servers, active=active)
        else:
            seized, start, end = fifo_servers(
                join, service, servers, doses.ready, active, doses.expires, c.replacement
            )
        np.subtract(start, join, out=wait[k], where=real & present[None, :, k])
        with np.errstate(invalid="ignore"):  # padding may hold inf - inf
            busy[k] = np.where(real, end - seized, 0.0).sum(axis=0)
        np.max(end, axis=0, out=last_end[k], where=real, initial=-np.inf)
        late = np.flatnonzero(last_end[k] > c.session_end)
        if late.size:  # only sessions whose work ran past closing
            after_close[k, late] = _after_close(seized[:, late], end[:, late], real[:, late],
                                                c.session_end[late])
    leave = end + c.walk_to_observation + c.observation
    return QueueOrderResult(wait=wait, busy=busy, busy_after_close=after_close, last_end=last_end,
                            leave=np.where(real, leave, np.nan))


def _after_close(seized: np.ndarray, end: np.ndarray, real: np.ndarray, close: np.ndarray) -> np.ndarray:
    """Server-minutes held after ``close`` ``(S,)`` by each session's people ``(N, S)``."""
    with np.errstate(invalid="ignore"):
        held = np.maximum(end, close[None, :]) - np.maximum(seized, close[None, :])
    return np.where(real, held, 0.0).sum(axis=0)
