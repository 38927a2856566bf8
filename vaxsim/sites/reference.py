"""The per-person SimPy site model: the reference, and a clinic-design tool.

One :class:`simpy.Environment` per session, one :class:`simpy.Resource` per station, one
``simpy.Resource`` of preparers, one process per person and one per preparation task (a vial
just in time, a batch ahead of demand). It implements the flow
described in :mod:`vaxsim.sites` exactly, and reads every random number from a
:class:`~vaxsim.sites.session_input.SessionInput`, so :mod:`vaxsim.sites.kernel` must give the
same per-person times on the same input.

Order of simultaneous events. FIFO with ties broken by person (arrival rank) is achieved by
scheduling every "joins a queue" event with priority ``1 + (person + 1) / (N + 2)``: after all
ordinary events of the same instant (service ends, releases, grants, whose priority is 1) and in
person order among themselves. Resources grant requests in request order, so each queue is
served in (join time, person) order, as in the kernel.
"""

from __future__ import annotations

import numpy as np
import simpy
from simpy.events import NORMAL, Event

from vaxsim.sites.results import SiteDayResult
from vaxsim.sites.session_input import SessionInput


class _Join(Event):
    """A timeout that fires after all ordinary events of its instant, in ``rank`` order."""

    def __init__(self, env: simpy.Environment, delay: float, rank: float):
        self.env = env
        self.callbacks = []
        self._value = None
        self._ok = True
        env.schedule(self, NORMAL + rank, delay)


def _simulate_session(inp: SessionInput, s: int, out: dict[str, np.ndarray]) -> None:
    """Run session ``s`` of ``inp`` and write its per-person times into ``out``."""
    n = int(inp.count[s])
    if n == 0:
        return
    env = simpy.Environment(initial_time=0.0)
    stations = int(inp.station_count[s])
    desks = [simpy.Resource(env, capacity=int(inp.servers[s, k])) for k in range(stations)]
    injection = int(inp.injection[s])
    walking = inp.walking[s]
    to_observation = inp.walk_to_observation[s]
    preparers = int(inp.preparers[s])
    prep_desk = simpy.Resource(env, capacity=preparers) if preparers > 0 else None
    ahead = bool(inp.ahead[s]) and prep_desk is not None
    per_task = int(inp.doses_per_vial[s]) * (int(inp.batch_vials[s]) if ahead else 1)
    tasks_ready: list[Event] = []
    injection_queue = [0]  # people who have joined the injection queue so far
    arrival = inp.arrival[s]
    service = inp.service[s]
    observation = inp.observation[s]
    task_minutes = inp.batch_preparation[s]

    def task(t: int, ready: Event, release: float = 0.0):
        if release > 0.0:
            yield env.timeout(release)  # from time 0, so exactly the release instant
        with prep_desk.request() as request:
            yield request
            out["task_start"][s, t] = env.now
            yield env.timeout(float(task_minutes[t]))
        out["task_end"][s, t] = env.now
        ready.succeed()

    if ahead:  # batches are released on the arrivals, before anyone comes
        lead = float(inp.lead_minutes[s])
        for t in range(int(inp.preparation_batches[s])):
            tasks_ready.append(env.event())
            env.process(task(t, tasks_ready[-1], max(float(arrival[t * per_task]) - lead, 0.0)))

    def person(j: int):
        rank = (j + 1) / (n + 2)
        yield _Join(env, float(arrival[j]), rank)  # from time 0, so exactly arrival[j]
        for k in range(stations):
            if k > 0:
                yield _Join(env, float(walking[j, k - 1]), rank)
            out["join"][s, j, k] = env.now
            place = None
            if k == injection and prep_desk is not None:
                place = injection_queue[0]
                injection_queue[0] += 1
                if not ahead and place % per_task == 0:
                    tasks_ready.append(env.event())
                    env.process(task(place // per_task, tasks_ready[-1]))
            with desks[k].request() as request:
                yield request
                out["seized"][s, j, k] = env.now
                if place is not None:  # the nurse waits for the dose; replaces it if expired
                    yield tasks_ready[place // per_task]
                    expires = out["task_start"][s, place // per_task] + float(inp.in_use_minutes[s])
                    if ahead and env.now > expires:
                        out["replaced"][s, j] = True
                        yield env.timeout(float(inp.replacement[s, j]))
                out["start"][s, j, k] = env.now
                yield env.timeout(float(service[j, k]))
                out["end"][s, j, k] = env.now
        yield env.timeout(float(to_observation[j]))
        yield env.timeout(float(observation[j]))
        out["leave"][s, j] = env.now

    for j in range(n):
        env.process(person(j))
    env.run()


def simulate_reference(site_input: SessionInput) -> SiteDayResult:
    """Simulate every session of ``site_input`` person by person with SimPy.

    Sessions are independent (each starts with empty queues); the result holds per-person
    times in minutes since midnight and the summaries of :class:`SiteDayResult`.
    """
    shape = (site_input.sessions, site_input.max_people, site_input.max_stations)
    out = {name: np.full(shape, np.nan) for name in ("join", "seized", "start", "end")}
    out["leave"] = np.full(shape[:2], np.nan)
    out["replaced"] = np.zeros(shape[:2], dtype=bool)
    tasks = (site_input.sessions, site_input.preparation.shape[1])
    out["task_start"], out["task_end"] = np.full(tasks, np.nan), np.full(tasks, np.nan)
    for s in range(site_input.sessions):
        _simulate_session(site_input, s, out)
    return SiteDayResult(input=site_input, engine="reference", **out)
