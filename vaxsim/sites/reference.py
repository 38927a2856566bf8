"""The per-person SimPy site model: the reference, and a clinic-design tool.

One :class:`simpy.Environment` per session, one :class:`simpy.Resource` per station, one
``simpy.Resource`` of preparers, one process per person and one per vial. It implements the flow
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
    walking = float(inp.walking[s])
    per_vial = int(inp.doses_per_vial[s])
    preparers = int(inp.preparers[s])
    prep_desk = simpy.Resource(env, capacity=preparers) if preparers > 0 else None
    vials_ready: list[Event] = []
    injection_queue = [0]  # people who have joined the injection queue so far
    arrival = inp.arrival[s]
    service = inp.service[s]
    observation = inp.observation[s]
    preparation = inp.preparation[s]

    def vial(v: int, ready: Event):
        with prep_desk.request() as request:
            yield request
            yield env.timeout(float(preparation[v]))
        ready.succeed()

    def person(j: int):
        rank = (j + 1) / (n + 2)
        yield _Join(env, float(arrival[j]), rank)  # from time 0, so exactly arrival[j]
        for k in range(stations):
            if k > 0:
                yield _Join(env, walking, rank)
            out["join"][s, j, k] = env.now
            dose = None
            if k == injection and prep_desk is not None:
                place = injection_queue[0]
                injection_queue[0] += 1
                if place % per_vial == 0:
                    vials_ready.append(env.event())
                    env.process(vial(place // per_vial, vials_ready[-1]))
                dose = vials_ready[place // per_vial]
            with desks[k].request() as request:
                yield request
                out["seized"][s, j, k] = env.now
                if dose is not None:
                    yield dose
                out["start"][s, j, k] = env.now
                yield env.timeout(float(service[j, k]))
                out["end"][s, j, k] = env.now
        yield env.timeout(walking)
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
    for s in range(site_input.sessions):
        _simulate_session(site_input, s, out)
    return SiteDayResult(input=site_input, engine="reference", **out)
