"""Site queues inside the campaign: every session of every site of a day, per person.

Each day the campaign engine knows how many people visit each site. This module turns those
counts into arrival times (appointment slots plus punctuality noise), draws every service,
preparation and observation time, runs the vectorised site kernel
(:func:`vaxsim.sites.simulate_kernel`) over all sessions at once, and keeps what the results
need: waits per station as histograms, and per site-day the peak on site, minutes above the
crowding limit and the injection station's utilisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vaxsim.model import Model
from vaxsim.numeric import split_by_group
from vaxsim.scenario.base import minutes_of_day
from vaxsim.sim.capacity import session_capacity
from vaxsim.sites import SessionInput, simulate_kernel
from vaxsim.sites.service_times import sample

#: Wait histograms: bin 0 holds waits of exactly zero (served on arrival); bin ``b >= 1`` holds
#: waits in ``((b-1)·w, b·w]`` with ``w`` = 0.1 minute, up to 12 hours; the last bin overflows.
WAIT_BIN_MINUTES = 0.1
WAIT_BINS = int(12 * 60 / WAIT_BIN_MINUTES) + 1
#: Sessions run through the kernel at once (bounds memory: S × N × stations floats).
CHUNK_PEOPLE = 2_000_000


@dataclass
class _SessionTemplates:
    """Every session of every site, as flat arrays (one row per site × session)."""

    site: np.ndarray
    site_type: np.ndarray  # index into SiteQueues.type_names
    start: np.ndarray
    end: np.ndarray
    weight: np.ndarray  # capacity, used to split a site's visitors among its sessions


@dataclass
class SiteQueues:
    """Runs the site kernel for each campaign day and accumulates its KPIs."""

    model: Model
    rng: np.random.Generator
    slot_minutes: float
    type_names: list[str] = field(init=False)
    histograms: dict[tuple[str, str], np.ndarray] = field(init=False)
    wait_sums: dict[tuple[str, str], float] = field(init=False)
    rows: list[pd.DataFrame] = field(init=False)

    def __post_init__(self) -> None:
        model = self.model
        self.type_names = list(model.site_types)
        type_of_site = np.array([self.type_names.index(t) for t in model.sites.type], dtype=np.int64)
        site, kind, start, end, weight = [], [], [], [], []
        for t, name in enumerate(self.type_names):
            site_type = model.site_types[name]
            sites = np.flatnonzero(type_of_site == t)
            for session in site_type.sessions:
                site.append(sites)
                kind.append(np.full(sites.size, t))
                start.append(np.full(sites.size, float(minutes_of_day(session.start))))
                end.append(np.full(sites.size, float(minutes_of_day(session.end))))
                weight.append(np.full(sites.size, max(session_capacity(site_type, session.minutes), 1)))
        order = np.lexsort((np.concatenate(start), np.concatenate(site)))
        self.sessions = _SessionTemplates(
            *(np.concatenate(parts)[order] for parts in (site, kind, start, end, weight))
        )
        self.histograms = {}
        self.wait_sums = {}
        self.rows = []

    def run_day(self, day: int, visits: np.ndarray, doses_per_vial: np.ndarray) -> None:
        """Simulate the sessions of ``day``: ``visits`` people per site, ``doses_per_vial`` of the
        product each site mostly uses that day."""
        templates = self.sessions
        open_sessions = np.flatnonzero(visits[templates.site] > 0)
        if not len(open_sessions):
            return
        people = split_by_group(visits, templates.site, templates.weight)[open_sessions]
        site_stats = []
        for t, name in enumerate(self.type_names):
            mine = open_sessions[templates.site_type[open_sessions] == t]
            if not len(mine):
                continue
            counts = people[templates.site_type[open_sessions] == t]
            rows_per_chunk = max(1, CHUNK_PEOPLE // max(int(counts.max()), 1))
            for begin in range(0, len(mine), rows_per_chunk):
                chunk = slice(begin, begin + rows_per_chunk)
                site_stats.append(self._run_sessions(name, mine[chunk], counts[chunk], doses_per_vial))
        stats = (
            pd.concat(site_stats)
            .groupby("site", sort=True)
            .agg(
                peak_on_site=("peak", "max"),
                minutes_above_crowding_limit=("minutes_above", "sum"),
                injection_busy_minutes=("busy", "sum"),
                injection_server_minutes=("server_minutes", "sum"),
                wait_minutes=("wait", "sum"),
            )
        )
        stats.insert(0, "day", day)
        self.rows.append(stats.reset_index())

    def _run_sessions(
        self, type_name: str, rows: np.ndarray, counts: np.ndarray, doses_per_vial: np.ndarray
    ) -> pd.DataFrame:
        site_type = self.model.site_types[type_name]
        templates = self.sessions
        site = templates.site[rows]
        inp = self._session_input(
            site_type, site, templates.start[rows], templates.end[rows], counts, doses_per_vial[site]
        )
        result = simulate_kernel(inp)
        wait = result.wait  # (S, N, K)
        for k, station in enumerate(site_type.stations):
            values = wait[:, :, k]
            values = values[np.isfinite(values)]
            key = (type_name, station.name)
            bins = np.where(values > 0, np.ceil(values / WAIT_BIN_MINUTES), 0).astype(np.int64)
            histogram = np.bincount(np.minimum(bins, WAIT_BINS), minlength=WAIT_BINS + 1)
            self.histograms[key] = self.histograms.get(key, 0) + histogram
            self.wait_sums[key] = self.wait_sums.get(key, 0.0) + float(values.sum())
        occupancy = result.occupancy
        injection = int(inp.injection[0])
        return pd.DataFrame(
            {
                "site": site,
                "peak": occupancy.peak,
                "minutes_above": occupancy.minutes_above,
                "busy": result.busy_server_minutes[:, injection],
                "server_minutes": inp.servers[:, injection] * inp.session_minutes,
                "wait": np.nansum(wait, axis=(1, 2)),
            }
        )

    def _session_input(
        self,
        site_type,
        site: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        counts: np.ndarray,
        doses_per_vial: np.ndarray,
    ) -> SessionInput:
        """Arrivals from appointment slots, then every random draw, for sessions of one type."""
        rng = self.rng
        sessions, people = len(counts), int(counts.max())
        stations = len(site_type.stations)
        position = np.arange(people)[None, :]
        real = position < counts[:, None]
        slots = np.maximum(np.ceil((end - start) / self.slot_minutes), 1)
        # Person j of n books slot floor(j * slots / n): appointments spread evenly.
        slot = np.floor(position * slots[:, None] / np.maximum(counts, 1)[:, None])
        appointment = start[:, None] + slot * self.slot_minutes
        noise = rng.normal(0.0, site_type.punctuality_sd_minutes, (sessions, people))
        arrival = np.clip(appointment + noise, start[:, None], end[:, None])
        arrival = np.where(real, arrival, np.inf)
        arrival.sort(axis=1)
        arrival[~real] = np.nan

        service = np.empty((sessions, people, stations))
        for k, station in enumerate(site_type.stations):
            service[:, :, k] = sample(station.service_minutes, rng, (sessions, people))
        service[~real] = np.nan
        vials_needed = -(-counts // doses_per_vial)
        vials = int(vials_needed.max())
        preparation = sample(site_type.preparation.minutes_per_vial, rng, (sessions, vials))
        preparation[np.arange(vials)[None, :] >= vials_needed[:, None]] = np.nan
        watch = site_type.observation
        adverse = rng.random((sessions, people)) < watch.adverse_reaction_share
        observation = np.where(real, watch.minutes + watch.adverse_reaction_extra_minutes * adverse, np.nan)
        names = np.array([[s.name for s in site_type.stations]] * sessions, dtype=object)
        roles = np.array([[s.role for s in site_type.stations]] * sessions, dtype=object)
        return SessionInput(
            site=self.model.sites.id.to_numpy()[site],
            session=np.zeros(sessions, dtype=np.int64),
            session_start=start,
            session_end=end,
            station_names=names,
            station_roles=roles,
            servers=np.tile([s.servers for s in site_type.stations], (sessions, 1)).astype(np.int64),
            injection=np.full(sessions, [s.role for s in site_type.stations].index("injection")),
            walking=np.full(sessions, site_type.walking_minutes),
            preparers=np.full(sessions, site_type.preparation.preparers, dtype=np.int64),
            doses_per_vial=doses_per_vial.astype(np.int64),
            crowding_limit=np.full(sessions, site_type.crowding_limit, dtype=np.int64),
            count=counts.astype(np.int64),
            arrival=arrival,
            service=service,
            preparation=preparation,
            observation=observation,
        )

    # ------------------------------------------------------------------ tables

    def waits_table(self) -> pd.DataFrame:
        """People and waiting minutes per site type and station over the whole run."""
        rows = []
        for (type_name, station), histogram in sorted(self.histograms.items()):
            people = int(histogram.sum())

            def quantile(q: float, histogram=histogram, people=people) -> float:
                return histogram_quantile(histogram, people, q)

            rows.append(
                {
                    "site_type": type_name,
                    "station": station,
                    "people": people,
                    "wait_mean": self.wait_sums[(type_name, station)] / max(people, 1),
                    "wait_p50": quantile(0.5),
                    "wait_p90": quantile(0.9),
                    "wait_p99": quantile(0.99),
                }
            )
        return pd.DataFrame(
            rows, columns=["site_type", "station", "people", "wait_mean", "wait_p50", "wait_p90", "wait_p99"]
        )

    def site_table(self) -> pd.DataFrame:
        """Per site and day: peak on site, minutes above the crowding limit, injection use."""
        columns = [
            "day",
            "site",
            "peak_on_site",
            "minutes_above_crowding_limit",
            "injection_utilisation",
            "mean_wait_minutes",
        ]
        if not self.rows:
            return pd.DataFrame(columns=columns)
        table = pd.concat(self.rows, ignore_index=True)
        table["injection_utilisation"] = table.injection_busy_minutes / table.injection_server_minutes
        table["mean_wait_minutes"] = table.wait_minutes
        return table[columns]


def histogram_quantile(histogram: np.ndarray, people: int, q: float) -> float:
    """The ``q``-quantile (minutes) of a wait histogram, linear within a 0.1-minute bin."""
    if people == 0:
        return float("nan")
    cumulative = np.cumsum(histogram) / people
    b = int(np.searchsorted(cumulative, q))
    if b == 0:
        return 0.0
    before = cumulative[b - 1]
    inside = (q - before) / max(cumulative[b] - before, 1e-12)
    return float((b - 1 + inside) * WAIT_BIN_MINUTES)
