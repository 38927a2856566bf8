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
simulated on those same draws with the vectorised kernel (:func:`simulate_kernel`), so every
value compared below is a function of the staffing alone.

**What is exact.** Over those draws, among the staffings that give every station at least
the servers that carry its offered load over the opening hours (:func:`least_servers`: fewer
would leave more work than staff time, so a station would run past closing by construction),
the answer has the fewest servers in total that meet the target. Ties at that total are
broken by the lowest value of the metric, then by the servers per station compared in
walking order (smallest first). The search:

1. a greedy pass from the offered-load staffing (add the server that improves the metric
   most until the target is met, then give back what the target does not need) gives an
   upper bound ``T`` on the total (or no answer up to :data:`MOST_SERVERS` per station);
2. every staffing of each total from the offered-load total upwards is simulated, and the
   search stops at the first total where some staffing meets the target (at most ``T``).

Step 2 assumes nothing about how the metric moves with staff (adding a server upstream can
lengthen a queue downstream, so no monotonicity is used to skip staffings). It simulates
C(n + K - 1, K - 1) staffings for ``n`` servers above the offered load at ``K`` stations;
when the next total would take the search past ``most_tried`` staffings it stops, and the
greedy answer is returned marked as not proven the fewest (:attr:`Staffing.proven`).
Exact means exact on these draws: more replications give a different sample of days.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterator
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
#: The most distinct staffings the exhaustive step simulates before it gives up proving minimality.
MOST_TRIED = 3000


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
    """One staffing tried: servers per station, the metric's value there (units of the
    target), whether it meets the target, and how the search came to it."""

    servers: tuple[int, ...]
    value: float
    met: bool
    step: str

    @property
    def total(self) -> int:
        """Servers over all stations."""
        return sum(self.servers)


@dataclass(frozen=True)
class Level:
    """Every staffing of one total simulated (step 2 of the search): how many, and the best
    of them by the tie rule (lowest metric, then fewest servers in walking order)."""

    total: int
    tried: int
    best: Trial


@dataclass(frozen=True)
class Staffing:
    """The search: the greedy path (the staffing it started from, then each server it added
    or gave back), the exhaustive levels of step 2, how many distinct staffings were simulated,
    and whether the answer is proven the fewest (see the module docstring)."""

    path: list[Trial]
    levels: list[Level]
    tried: int
    proven: bool

    @property
    def answer(self) -> Trial | None:
        """The fewest staff meeting the target (``None``: none up to :data:`MOST_SERVERS`)."""
        if self.levels and self.levels[-1].best.met:
            return self.levels[-1].best
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


class _Trials:
    """Simulates staffings on the fixed draws of ``site_input``, each once."""

    def __init__(self, site_input: SessionInput, target: Target):
        self.site_input = site_input
        self.target = target
        self.seen: dict[tuple[int, ...], float] = {}

    def value(self, servers: tuple[int, ...]) -> float:
        if servers not in self.seen:
            inp = self.site_input
            staffed = np.where(inp.servers > 0, np.asarray(servers)[None, :], 0)
            result = simulate_kernel(dataclasses.replace(inp, servers=staffed))
            self.seen[servers] = measure(result, self.target.metric)
        return self.seen[servers]

    def trial(self, servers: np.ndarray | tuple[int, ...], step: str) -> Trial:
        key = tuple(int(c) for c in servers)
        value = self.value(key)
        return Trial(key, value, value <= self.target.limit, step)


def staff_for(
    site_input: SessionInput, target: Target, service_means: list[float], most_tried: int = MOST_TRIED
) -> Staffing:
    """The fewest servers per station meeting ``target`` on ``site_input`` (every session of
    every replication, drawn once): greedy upper bound, then every staffing of each total
    upwards until one meets the target; see the module docstring for what is exact."""
    trials = _Trials(site_input, target)
    lowest = least_servers(site_input, service_means)
    path = _greedy(trials, lowest, [str(name) for name in site_input.station_names[0] if name])
    if not path[-1].met:
        return Staffing(path, [], len(trials.seen), proven=False)
    levels: list[Level] = []
    for total in range(int(lowest.sum()), path[-1].total + 1):
        staffings = list(_staffings_of_total(lowest, total))
        if len(trials.seen | dict.fromkeys(staffings)) > most_tried:
            return Staffing(path, levels, len(trials.seen), proven=False)
        tried = [trials.trial(servers, f"all of {total}") for servers in staffings]
        levels.append(Level(total, len(tried), min(tried, key=lambda t: (t.value, t.servers))))
        if levels[-1].best.met:
            break
    return Staffing(path, levels, len(trials.seen), proven=True)


def _greedy(trials: _Trials, lowest: np.ndarray, names: list[str]) -> list[Trial]:
    """From ``lowest``, add the server that lowers the metric most until the target is met,
    then give back, station by station, servers the target does not need (never below
    ``lowest``)."""
    servers = lowest.copy()
    path = [trials.trial(servers, "offered load")]
    while not path[-1].met and servers.max() < MOST_SERVERS:
        options = []
        for k in range(servers.size):
            more = servers.copy()
            more[k] += 1
            options.append((trials.trial(more, "").value, k))
        best = min(options)[1]
        servers[best] += 1
        path.append(trials.trial(servers, f"+1 {names[best]}"))
    if path[-1].met:
        for k in range(servers.size):
            while servers[k] > lowest[k]:
                fewer = servers.copy()
                fewer[k] -= 1
                if not trials.trial(fewer, "").met:
                    break
                servers = fewer
                path.append(trials.trial(servers, f"-1 {names[k]}"))
    return path


def _staffings_of_total(lowest: np.ndarray, total: int) -> Iterator[tuple[int, ...]]:
    """Every staffing with ``lowest[k] <= servers[k] <= MOST_SERVERS`` summing to ``total``,
    (stars and bars over the servers above ``lowest``)."""
    extra, stations = total - int(lowest.sum()), lowest.size
    for bars in itertools.combinations(range(extra + stations - 1), stations - 1):
        edges = (-1, *bars, extra + stations - 1)
        servers = tuple(int(lowest[k]) + edges[k + 1] - edges[k] - 1 for k in range(stations))
        if max(servers) <= MOST_SERVERS:
            yield servers


def service_means(site_type: SiteType) -> list[float]:
    """Mean service minutes of each station of ``site_type`` (for :func:`least_servers`)."""
    return [mean_of(station.service_minutes) for station in site_type.stations]
