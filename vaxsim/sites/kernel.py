"""The vectorised site kernel: every session of every site of a day at once.

It implements the flow described in :mod:`vaxsim.sites` with array operations across sessions.
Each station is a FIFO multi-server queue, computed by the recursion

    seized_i = max(join_i, earliest free server)     (people taken in queue order)
    start_i  = max(seized_i, dose_ready_i)           (injection only; otherwise start = seized)
    end_i    = start_i + service_i,   that server is free again at end_i

advanced queue position by queue position, with the servers' free times of all sessions held in
an ``(S, C)`` array (``C`` = most servers at that station, ``+inf`` for servers a site lacks).
Queue order at a station is the stable sort of the join times (ties: person order), which the
reference model reproduces. The vial preparation queue is the same recursion over vial
requests. Sessions missing a station pass through it in zero time (one server, no service, no
walking). On the same :class:`~vaxsim.sites.session_input.SessionInput` it gives exactly the
per-person times of :mod:`vaxsim.sites.reference` (same floating-point operations, same order).

Arrays inside the kernel are laid out ``(N, S)`` (queue position × session) so that each step of
the recursion reads and writes contiguous rows.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from vaxsim.sites.results import SiteDayResult
from vaxsim.sites.session_input import SessionInput


def fifo_servers(
    join: np.ndarray,
    service: np.ndarray,
    servers: np.ndarray,
    ready: np.ndarray | None = None,
    active: np.ndarray | None = None,
    expires: np.ndarray | None = None,
    replace: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """FIFO multi-server queues of all sessions at once.

    ``join`` and ``service`` are ``(N, S)``: row ``i`` is the ``i``-th person in queue order of
    every session (join times non-decreasing down each column, ``+inf`` padding at the bottom
    with any finite service). ``servers`` ``(S,)`` counts servers (>= 1). ``ready`` ``(N, S)``
    optionally delays the start of service after a server is taken (``-inf`` = no delay).
    ``active`` ``(N,)`` optionally says that only the first ``active[i]`` sessions have anyone
    in queue position ``i`` (sessions ordered by people, most first, see
    :func:`leading_sessions`): the rest of each row is padding, skipped, with ``end = +inf``
    there and ``seized``, ``start`` undefined. ``expires`` and ``replace`` ``(N, S)`` (with
    ``ready``): a dose found after its ``expires`` instant is discarded and a fresh one drawn
    up in ``replace`` minutes before service starts.
    Returns ``(seized, start, end)``, each ``(N, S)``, in minutes.
    """
    people, sessions = join.shape
    seized = np.empty((people, sessions))
    start = seized if ready is None else np.empty((people, sessions))
    end = np.empty((people, sessions)) if active is None else np.full((people, sessions), np.inf)
    width = [sessions] * people if active is None else _widths(active, sessions)
    maximum, minimum, add = np.maximum, np.minimum, np.add
    # The loops below run once per queue position: a handful of numpy calls on (the active
    # part of) rows of length S, written in place. Per-call overhead dominates small batches,
    # so slicing is kept out of the loop where it can be.
    most = int(servers.max(initial=1))
    if most == 1:
        free = np.full(sessions, -np.inf)
        for i, (n, j, s, sz, e) in enumerate(zip(width, join, service, seized, end, strict=True)):
            if n < sessions:
                j, s, sz, e, free = j[:n], s[:n], sz[:n], e[:n], free[:n]
            maximum(j, free, out=sz)
            if ready is not None:
                sz = _dose_in_hand(sz, ready, start, expires, replace, i, n)
            add(sz, s, out=e)
            free = e
        return seized, start, end
    # Each server's next free time, kept sorted down the rows (row 0 the earliest) above a row
    # of +inf. The next person takes row 0, and their end time is inserted in order by
    # new[r] = min(max(old[r], end), old[r + 1]): two array calls whatever the number of
    # servers, instead of an argmin and a scatter. Two buffers alternate so that no call
    # reads what it writes. +inf rows stand for servers a session does not have.
    buffers = np.full((2, most + 1, sessions), np.inf)
    buffers[0, :most][np.arange(most)[:, None] < servers[None, :]] = -np.inf
    larger = np.empty((most, sessions))
    views: dict[int, tuple] = {}
    for i, (n, j, s, sz, e) in enumerate(zip(width, join, service, seized, end, strict=True)):
        if n not in views:  # per buffer: earliest row, all rows but +inf, all rows but the first
            views[n] = [(b[0, :n], b[:most, :n], b[1:, :n]) for b in buffers] + [larger[:, :n]]
        (earliest, current, following), (_, new, _), scratch = (
            views[n][i % 2],
            views[n][1 - i % 2],
            views[n][2],
        )
        if n < sessions:
            j, s, sz, e = j[:n], s[:n], sz[:n], e[:n]
        maximum(j, earliest, out=sz)
        if ready is not None:
            sz = _dose_in_hand(sz, ready, start, expires, replace, i, n)
        add(sz, s, out=e)
        maximum(current, e, out=scratch)
        minimum(scratch, following, out=new)
    return seized, start, end


def _dose_in_hand(seized, ready, start, expires, replace, i: int, n: int) -> np.ndarray:
    """Row ``i`` of ``start``: when the server holds the person's usable dose (written in place)."""
    st = start[i, :n]
    np.maximum(seized, ready[i, :n], out=st)
    if expires is not None:
        st += np.where(st > expires[i, :n], replace[i, :n], 0.0)
    return st


def _widths(active: np.ndarray, sessions: int) -> list[int]:
    """``active`` rounded up to eighths of ``sessions``: fewer distinct widths, so views of the
    servers' free times are cut once per width. Padding columns computed this way are
    harmless (they join at ``+inf`` and stay there)."""
    step = max(1, -(-sessions // 8))
    return np.minimum(-(-active // step) * step, sessions).tolist()


def leading_sessions(count: np.ndarray, positions: int) -> np.ndarray | None:
    """For ``count`` people per session in non-increasing order, how many sessions have
    someone in each queue position ``0 … positions-1`` (``(positions,)``); ``None`` when the
    sessions are not in that order (then every position covers every session)."""
    if np.any(np.diff(count) > 0):
        return None
    return np.searchsorted(-count, -np.arange(positions), side="left")


@dataclass(frozen=True, eq=False)
class Doses:
    """When doses are ready at the injection station of a batch of sessions (minutes).

    ``ready`` ``(N, S)`` in injection-queue order (``-inf``: no wait); ``expires`` ``(N, S)``
    (``+inf``: never, or ``None`` when no session prepares ahead); ``task_start`` and
    ``task_end`` ``(V, S)``: when each preparation task (a vial just in time, a batch ahead of
    demand) was started and finished by a preparer (undefined beyond the session's tasks).
    """

    ready: np.ndarray
    expires: np.ndarray | None
    task_start: np.ndarray
    task_end: np.ndarray


@dataclass(frozen=True, eq=False)
class Preparing:
    """How doses are prepared, per session ``(S,)`` (see :class:`SessionInput`), with the
    minutes of each preparation task ``task_minutes`` ``(V, S)`` (finite)."""

    count: np.ndarray
    doses_per_vial: np.ndarray
    preparers: np.ndarray
    ahead: np.ndarray
    lead_minutes: np.ndarray
    batch_vials: np.ndarray
    in_use_minutes: np.ndarray
    task_minutes: np.ndarray

    @classmethod
    def of(cls, sessions: Any, task_minutes: np.ndarray) -> Preparing:
        """The preparation fields of ``sessions`` (a :class:`SessionInput` or the national
        queues' session columns, which name them alike) with ``task_minutes``."""
        given = {f.name: getattr(sessions, f.name) for f in fields(cls) if f.name != "task_minutes"}
        return cls(**given, task_minutes=task_minutes)


def dose_ready(
    queue_join: np.ndarray, arrival: np.ndarray, prep: Preparing, at_station: np.ndarray
) -> Doses | None:
    """When each person's dose is drawn up, in injection-queue order (``queue_join`` ``(N, S)``).

    Just in time: vial ``v`` is requested when person ``v × doses_per_vial`` of the injection
    queue joins it. Ahead of demand: batch ``b`` (``batch_vials`` vials) is released
    ``lead_minutes`` before the arrival of person ``b × batch_vials × doses_per_vial`` in
    arrival order (``arrival`` ``(N, S)`` sorted; never before midnight) and the ``q``-th person
    of the injection queue takes the ``q``-th dose, which expires ``in_use_minutes`` after its
    batch was started. Tasks queue FIFO for the preparers. ``None`` when no session at
    ``at_station`` has preparers.
    """
    preparing = at_station & (prep.preparers > 0)
    people, sessions = queue_join.shape
    if not preparing.any() or people == 0:
        return None
    tasks = prep.task_minutes.shape[0]
    ahead = preparing & prep.ahead
    per_task = np.where(ahead, prep.batch_vials, 1) * prep.doses_per_vial
    task_count = -(-prep.count // per_task)
    position = np.arange(tasks)[:, None] * per_task[None, :]
    rows = np.minimum(position, people - 1)
    request = np.take_along_axis(queue_join, rows, axis=0)
    if ahead.any():
        released = np.maximum(np.take_along_axis(arrival, rows, axis=0) - prep.lead_minutes[None, :], 0.0)
        request = np.where(ahead[None, :], released, request)
    request[position >= prep.count[None, :]] = np.inf
    task_start, _, task_end = fifo_servers(
        request, prep.task_minutes, np.maximum(prep.preparers, 1),
        active=leading_sessions(task_count, tasks),
    )
    task_of = np.minimum(np.arange(people)[:, None] // per_task[None, :], max(tasks - 1, 0))
    ready = np.take_along_axis(task_end, task_of, axis=0)
    if not preparing.all():
        ready[:, ~preparing] = -np.inf
    expires = None
    if ahead.any():
        expires = np.take_along_axis(task_start, task_of, axis=0) + prep.in_use_minutes[None, :]
        expires[:, ~ahead] = np.inf
    return Doses(ready, expires, task_start, task_end)


def simulate_kernel(site_input: SessionInput) -> SiteDayResult:
    """Simulate every session of ``site_input`` at once with array operations.

    Same semantics and result as :func:`vaxsim.sites.reference.simulate_reference`; no Python
    loop over sessions or sites (loops run over stations and queue positions). Padding people
    carry NaN through the recursion (NaN sorts last, so they queue behind everyone real).
    """
    inp = site_input
    sessions, people, stations = inp.sessions, inp.max_people, inp.max_stations
    present = inp.servers > 0
    # outputs laid out (K, N, S): each station's block is contiguous; the result sees (S, N, K)
    out = {name: np.empty((stations, people, sessions)) for name in ("join", "seized", "start", "end")}
    flat_column = np.arange(sessions)
    replaced = np.zeros((people, sessions), dtype=bool)  # in person order
    task_start = np.full((sessions, inp.preparation.shape[1]), np.nan)
    task_end = task_start.copy()

    arrival = np.ascontiguousarray(inp.arrival.T)
    end = arrival  # the step "before" the first station
    prep = preparing(inp)
    for k in range(stations):
        missing = ~present[:, k]
        service = inp.service[:, :, k].T
        if missing.any():
            service = np.where(missing[None, :], 0.0, service)
        if k == 0:
            join = end
            order = np.broadcast_to(np.arange(people)[:, None], (people, sessions))
            queue_join, queue_service = join, np.ascontiguousarray(service)
        else:
            walk = inp.walking[:, :, k - 1].T
            join = end + (np.where(missing[None, :], 0.0, walk) if missing.any() else walk)
            order = np.argsort(join, axis=0, kind="stable")
            queue_join = np.take_along_axis(join, order, axis=0)
            queue_service = np.take_along_axis(service, order, axis=0)
        doses = dose_ready(queue_join, arrival, prep, inp.injection == k)
        servers = np.where(missing, 1, inp.servers[:, k])
        if doses is None:
            seized, start, end_k = fifo_servers(queue_join, queue_service, servers)
        else:
            replace = None
            if doses.expires is not None:
                replace = np.take_along_axis(np.nan_to_num(inp.replacement.T, nan=0.0), order, axis=0)
            seized, start, end_k = fifo_servers(
                queue_join, queue_service, servers, doses.ready, expires=doses.expires, replace=replace
            )
            here = inp.injection == k  # other sessions' preparation belongs to another station
            task_start[here], task_end[here] = doses.task_start.T[here], doses.task_end.T[here]
            if doses.expires is not None:
                found = (np.maximum(seized, doses.ready) > doses.expires) & here[None, :]
                in_person_order = np.zeros_like(replaced)
                np.put(in_person_order, (order * sessions + flat_column).ravel(), found)
                replaced |= in_person_order
        out["join"][k] = join
        if k == 0:
            out["seized"][k], out["start"][k], out["end"][k] = seized, start, end_k
        else:
            flat = (order * sessions + flat_column).ravel()
            np.put(out["seized"][k], flat, seized)
            np.put(out["end"][k], flat, end_k)
            if start is seized:
                out["start"][k] = out["seized"][k]
            else:
                np.put(out["start"][k], flat, start)
        end = out["end"][k]

    leave = (end + inp.walk_to_observation.T) + inp.observation.T
    for k in np.flatnonzero(~present.all(axis=0)):  # sites without station k: no times there
        for values in out.values():
            values[k][:, ~present[:, k]] = np.nan
    result = {name: values.transpose(2, 1, 0) for name, values in out.items()}
    no_task = np.arange(task_start.shape[1])[None, :] >= inp.preparation_batches[:, None]
    no_task |= (inp.preparers == 0)[:, None]
    return SiteDayResult(
        input=inp, engine="kernel", leave=leave.T, replaced=replaced.T,
        task_start=np.where(no_task, np.nan, task_start), task_end=np.where(no_task, np.nan, task_end),
        **result,
    )


def preparing(inp: SessionInput) -> Preparing:
    """The preparation side of ``inp`` in the kernel's layout (sessions across the columns)."""
    return Preparing.of(inp, np.nan_to_num(inp.batch_preparation.T, nan=0.0))
