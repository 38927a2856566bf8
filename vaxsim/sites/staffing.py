"""How many staff a site needs: the fewest servers per station that meet a target.

A target is ``METRIC<=VALUE`` (minutes, or people for ``peak_on_site``), for example
``p90_time_in_clinic<=45``. Metrics, over every person of every replication pooled:

- ``{mean,p50,p90,p95,p99}_time_in_clinic``: minutes from arrival to leaving;
- ``{mean,p50,p90,p95,p99}_wait``: minutes waiting over all stations;
- ``{mean,p50,p90,p95,p99}_wait_<station>``: minutes waiting at one station;
- ``peak_on_site``: the most people on site at once in any session of any replication;
- ``minutes_above_limit``: the most minutes a session spent above the crowding limit.

The search uses common random numbers: the day is drawn once per replication (arrivals,
service, preparation, walks, observation; none depends on the staff) and every staffing is
simulated on those same draws with the vectorised kernel. Starting from the fewest servers
that can carry each station's offered load over the opening hours (at least one), it adds one
server at a time where it improves the metric most until the target is met, then tries to take
one back from each station while the target still holds (greedy with a pruning pass, so the
answer is small but not proven the global minimum).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import numpy as np

from vaxsim.scenario.sites import SiteType
from vaxsim.sites.kernel import simulate_kernel
from vaxsim.sites.results import SiteDayResult
from vaxsim.sites.service_times import mean_of
from vaxsim.sites.session_input import SessionInput

_TARGET = re.compile(r"^\s*([a-z0-9_.\-]+)\s*<=\s*([0-9]+(?:\.[0-9]*)?)\s*$")
_STAT = re.compile(r"^(mean|p50|p90|p95|p99)_(time_in_clinic|wait(?:_(.+))?)$")
#: The most servers the search gives one station (the scenario format's own limit is 1000).
MOST_SERVERS = 200


@dataclass(frozen=True)
class Target:
    """``metric <= limit``."""

    metric: str
    limit: float

    def __str__(self) -> str:
        return f"{self.metric}<={self.limit:g}"


def parse_target(text: str, stations: list[str]) -> Target:
    """Read ``METRIC<=VALUE``; raises ``ValueError`` naming what is wrong."""
    match = _TARGET.match(text)
    if match is None:
        raise ValueError(f"target {text!r} is not METRIC<=VALUE (e.g. p90_time_in_clinic<=45)")
    metric, limit = match.group(1), float(match.group(2))
    stat = _STAT.match(metric)
    if metric in ("peak_on_site", "minutes_above_limit"):
        return Target(metric, limit)
    if stat is None:
        raise ValueError(
            f"unknown metric {metric!r}: use mean/p50/p90/p95/p99 with _time_in_clinic, _wait or "
            "_wait_<station>, or peak_on_site, minutes_above_limit"
        )
    station = stat.group(3)
    if station is not None and station not in stations:
        raise ValueError(f"no station {station!r} (stations: {', '.join(stations)})")
    return Target(metric, limit)


def measure(result: SiteDayResult, metric: str) -> float:
    """The value of ``metric`` (see the module docstring) on ``result``."""
    if metric == "peak_on_site":
        return float(result.occupancy.peak.max(initial=0))
    if metric == "minutes_above_limit":
        return float(result.occupancy.minutes_above.max(initial=0.0))
    stat, what, station = _STAT.match(metric).groups()
    real = np.arange(result.input.max_people)[None, :] < result.input.count[:, None]
    if what == "time_in_clinic":
        values = result.time_on_site[real]
    elif station is None:
        values = np.nansum(result.wait, axis=2)[real]
    else:
        k = list(result.input.station_names[0]).index(station)
        values = result.wait[:, :, k][real]
    if values.size == 0:
        return 0.0
    if stat == "mean":
        return float(values.mean())
    return float(np.quantile(values, int(stat[1:]) / 100.0))


@dataclass(frozen=True)
class Trial:
    """One step of the search: servers per station after it and the metric's value there
    (units of the target)."""

    servers: tuple[int, ...]
    value: float
    met: bool
    step: str


@dataclass(frozen=True)
class Staffing:
    """The search's path (the staffing it started from, then each server it added or took
    back), how many staffings it simulated, and whether the last step meets the target."""

    path: list[Trial]
    tried: int

    @property
    def answer(self) -> Trial | None:
        """The fewest staff found meeting the target (``None``: none up to the limit)."""
        return self.path[-1] if self.path[-1].met else None


def least_servers(site_input: SessionInput, service_means: list[float]) -> np.ndarray:
    """Per station, the fewest servers that carry its offered load: people × mean service
    minutes over the opening minutes of the sessions (at least 1)."""
    first = site_input.session == site_input.session.min()  # one day's sessions of a replication
    days = max(int(first.sum()), 1)
    people = site_input.count.sum() / days
    minutes = site_input.session_minutes.sum() / days
    load = people * np.asarray(service_means) / max(minutes, 1e-9)
    return np.maximum(np.ceil(load - 1e-9), 1).astype(np.int64)


def staff_for(site_input: SessionInput, target: Target, service_means: list[float]) -> Staffing:
    """Search the fewest servers per station meeting ``target`` on ``site_input`` (every
    session of every replication, drawn once); see the module docstring."""
    seen: dict[tuple[int, ...], float] = {}
    names = [str(name) for name in site_input.station_names[0] if name]

    def evaluate(servers: np.ndarray) -> float:
        key = tuple(int(c) for c in servers)
        if key not in seen:
            staffed = np.where(site_input.servers > 0, servers[None, :], 0)
            result = simulate_kernel(dataclasses.replace(site_input, servers=staffed))
            seen[key] = measure(result, target.metric)
        return seen[key]

    def step(servers: np.ndarray, label: str) -> Trial:
        value = evaluate(servers)
        return Trial(tuple(int(c) for c in servers), value, value <= target.limit, label)

    servers = least_servers(site_input, service_means)
    path = [step(servers, "offered load")]
    while not path[-1].met and servers.max() < MOST_SERVERS:
        options = []
        for k in range(servers.size):
            more = servers.copy()
            more[k] += 1
            options.append((evaluate(more), k))
        best = min(options)[1]
        servers[best] += 1
        path.append(step(servers, f"+1 {names[best]}"))
    if path[-1].met:
        for k in range(servers.size):  # pruning pass: give back what the target does not need
            while servers[k] > 1:
                fewer = servers.copy()
                fewer[k] -= 1
                if evaluate(fewer) > target.limit:
                    break
                servers = fewer
                path.append(step(servers, f"-1 {names[k]}"))
    return Staffing(path, len(seen))


def service_means(site_type: SiteType) -> list[float]:
    """Mean service minutes of each station of ``site_type`` (for :func:`least_servers`)."""
    return [mean_of(station.service_minutes) for station in site_type.stations]
