"""Site queues inside the campaign: every session of every site of a day, per person.

Each day the campaign engine knows how many people visit each site. This module turns those
counts into arrival times (appointment slots plus punctuality noise), draws every service,
preparation and observation time, runs the vectorised site kernel in queue order
(:func:`vaxsim.sites.queue_order.queue_order`: the same waits in distribution as the
person-order kernel, several times faster) over all sessions at once, and keeps what the
results need: waits per station as histograms, and per site-day the peak on site, minutes above the
crowding limit and the injection station's utilisation, reported the two ways ``vaxsim site``
reports it (:class:`vaxsim.sites.results.SiteDayResult`): over the opening hours (at most 1 by
construction; work after closing counted apart) and over the working span.

Each day draws from its own stream (``site_queues/day-<n>`` of the run's seed), so days are
independent: they may run in worker processes, in any order, and the merged results (always
merged in day order) are identical to a serial run.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, Future
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vaxsim.model import Model
from vaxsim.numeric import split_by_group
from vaxsim.processes import worker_pool
from vaxsim.scenario.base import minutes_of_day
from vaxsim.scenario.sites import SiteType
from vaxsim.sim.capacity import session_capacity
from vaxsim.sim.random import stream
from vaxsim.sites.arrivals import offset_in_slot, spread_over_slots
from vaxsim.sites.crowding import occupancy, peak_on_site
from vaxsim.sites.queue_order import SessionColumns, queue_order
from vaxsim.sites.service_times import sample
from vaxsim.sites.session_input import observation_minutes

#: Wait histograms: bin 0 holds waits of exactly zero (served on arrival); bin ``b >= 1`` holds
#: waits in ``((b-1)·w, b·w]`` with ``w`` = 0.1 minute, up to 12 hours; the last bin overflows.
WAIT_BIN_MINUTES = 0.1
WAIT_BINS = int(12 * 60 / WAIT_BIN_MINUTES) + 1
#: Queue positions (sessions × most people in one) run through the kernel at once: bounds
#: memory at about 8 bytes × stations × this per array.
CHUNK_CELLS = 300_000
#: A batch of sessions ends where a session has fewer than 1/this of the people of its first
#: (on vietnam-2021 days: 1.5 to 4 were within noise of each other, one batch per site type
#: took 1.6x as long).
CHUNK_RATIO = 2


@dataclass
class _SessionTemplates:
    """Every session of every site, as flat arrays (one row per site × session)."""

    site: np.ndarray
    site_type: np.ndarray  # index into SiteQueues.type_names
    session: np.ndarray  # index into the site type's sessions
    start: np.ndarray
    end: np.ndarray
    weight: np.ndarray  # capacity, used to split a site's visitors among its sessions


@dataclass
class DayQueues:
    """What the site queues of one day produced: per site-day KPIs and wait histograms."""

    day: int
    sites: pd.DataFrame
    histograms: dict[tuple[str, str], np.ndarray]
    wait_sums: dict[tuple[str, str], float]


class SiteDay:
    """Simulates the sessions of one day from the visitors per site (a pure function of its
    inputs and the run's seed, so it can run in any process)."""

    def __init__(self, model: Model, seed: int, slot_minutes: float):
        self.model = model
        self.seed = seed
        self.slot_minutes = slot_minutes
        self.type_names = list(model.site_types)
        type_of_site = np.array([self.type_names.index(t) for t in model.sites.type], dtype=np.int64)
        site, kind, index, start, end, weight = [], [], [], [], [], []
        for t, name in enumerate(self.type_names):
            site_type = model.site_types[name]
            sites = np.flatnonzero(type_of_site == t)
            for number, session in enumerate(site_type.sessions):
                site.append(sites)
                kind.append(np.full(sites.size, t))
                index.append(np.full(sites.size, number))
                start.append(np.full(sites.size, float(minutes_of_day(session.start))))
                end.append(np.full(sites.size, float(minutes_of_day(session.end))))
                weight.append(np.full(sites.size, max(session_capacity(site_type, session.minutes), 1)))
        order = np.lexsort((np.concatenate(start), np.concatenate(site)))
        self.sessions = _SessionTemplates(
            *(np.concatenate(parts)[order] for parts in (site, kind, index, start, end, weight))
        )

    def __call__(
        self,
        day: int,
        visits: np.ndarray,
        doses_per_vial: np.ndarray,
        in_use_minutes: np.ndarray | None = None,
    ) -> DayQueues:
        """Simulate ``day``: ``visits`` people per site, ``doses_per_vial`` and
        ``in_use_minutes`` (a drawn-up dose's life; default: unlimited) of the product each site
        mostly uses that day."""
        if in_use_minutes is None:
            in_use_minutes = np.full(len(visits), np.inf)
        rng = stream(self.seed, f"site_queues/day-{day}")
        templates = self.sessions
        open_sessions = np.flatnonzero(visits[templates.site] > 0)
        people = split_by_group(visits, templates.site, templates.weight)[open_sessions]
        histograms: dict[tuple[str, str], np.ndarray] = {}
        wait_sums: dict[tuple[str, str], float] = {}
        parts = []
        for t, name in enumerate(self.type_names):
            of_type = templates.site_type[open_sessions] == t
            mine, counts = open_sessions[of_type], people[of_type]
            if not len(mine):
                continue
            for chunk in _chunks_by_size(counts):
                parts.append(
                    self._run_sessions(
                        rng, name, mine[chunk], counts[chunk], (doses_per_vial, in_use_minutes),
                        histograms, wait_sums,
                    )
                )
        # Per site: the largest peak of its sessions, and sums of the rest (numpy, not a
        # pandas groupby per day: this runs once per simulated day).
        if parts:
            columns = (np.concatenate(column) for column in zip(*parts, strict=True))
            site, peak, minutes_above, busy, after_close, server_minutes, span_minutes, wait = columns
        else:
            site, peak = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
            minutes_above = busy = after_close = server_minutes = span_minutes = wait = np.zeros(0)
        sites, index = np.unique(site, return_inverse=True)
        peak_on_site = np.zeros(len(sites), dtype=peak.dtype)
        np.maximum.at(peak_on_site, index, peak)

        def total(values: np.ndarray) -> np.ndarray:
            return np.bincount(index, weights=values, minlength=len(sites))

        table = pd.DataFrame(
            {
                "day": day,
                "site": sites,
                "peak_on_site": peak_on_site,
                "minutes_above_crowding_limit": total(minutes_above),
                "injection_busy_minutes": total(busy),
                "injection_busy_after_close_minutes": total(after_close),
                "injection_server_minutes": total(server_minutes),
                "injection_span_server_minutes": total(span_minutes),
                "wait_minutes": total(wait),
            }
        )
        return DayQueues(day, table, histograms, wait_sums)

    def _run_sessions(
        self,
        rng: np.random.Generator,
        type_name: str,
        rows: np.ndarray,
        counts: np.ndarray,
        product: tuple[np.ndarray, np.ndarray],
        histograms: dict[tuple[str, str], np.ndarray],
        wait_sums: dict[tuple[str, str], float],
    ) -> tuple[np.ndarray, ...]:
        """Simulate sessions of one site type; per session: site, peak on site, minutes above
        the crowding limit, injection busy server-minutes (all, and after closing), injection
        server-minutes over the opening hours and over the working span (session start to the
        last injection; zero when nobody came), summed waits."""
        site_type = self.model.site_types[type_name]
        templates = self.sessions
        site = templates.site[rows]
        start, end = templates.start[rows], templates.end[rows]
        doses_per_vial, in_use_minutes = (values[site] for values in product)
        columns = self._session_columns(
            rng, site_type, templates.session[rows], start, end, counts, doses_per_vial, in_use_minutes
        )
        result = queue_order(columns)
        real = columns.real  # every session of one site type has all its stations
        waited = np.zeros(len(rows))
        for k, station in enumerate(site_type.stations):
            np.add(waited, result.wait[k].sum(axis=0, where=real), out=waited)
            values = result.wait[k][real]
            key = (type_name, station.name)
            bins = np.ceil(values / WAIT_BIN_MINUTES)  # waits are >= 0: zero stays in bin 0
            np.minimum(bins, WAIT_BINS, out=bins)
            histograms[key] = histograms.get(key, 0) + np.bincount(
                bins.astype(np.int64), minlength=WAIT_BINS + 1
            )
            wait_sums[key] = wait_sums.get(key, 0.0) + float(values.sum())
        leave = result.leave.T  # (S, N), in no particular order: crowding needs only the set
        peak = peak_on_site(columns.arrival.T, leave)
        minutes_above = np.zeros(len(rows))
        limit = np.full(len(rows), site_type.crowding_limit)
        crowded = np.flatnonzero(peak > limit)
        if len(crowded):  # the exact sweep, only where the limit was crossed
            arrival = np.where(real[:, crowded], columns.arrival[:, crowded], np.nan).T
            minutes_above[crowded] = occupancy(
                arrival, leave[crowded], start[crowded], end[crowded], limit[crowded]
            ).minutes_above
        injection = int(columns.injection[0])
        servers = columns.servers[:, injection]
        last_end = result.last_end[injection]
        return (
            site,
            peak,
            minutes_above,
            result.busy[injection],
            result.busy_after_close[injection],
            servers * (end - start),
            np.where(np.isfinite(last_end), servers * (last_end - start), 0.0),
            waited,
        )

    def _session_columns(
        self,
        rng: np.random.Generator,
        site_type: SiteType,
        session: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        counts: np.ndarray,
        doses_per_vial: np.ndarray,
        in_use_minutes: np.ndarray,
    ) -> SessionColumns:
        """Arrivals from appointment slots, then every random draw, for sessions of one type,
        drawn straight into the kernel's layout (queue position × session). The draws follow
        :func:`vaxsim.sites.session_input.draw_session_input` in kind and order."""
        sessions, people = len(counts), int(counts.max())
        stations = site_type.stations
        real = np.arange(people)[:, None] < counts[None, :]
        arrival = self._arrivals(rng, site_type, session, start, end, counts)
        arrival[~real] = np.inf
        arrival.sort(axis=0)

        service = np.empty((len(stations), people, sessions))
        for k, station in enumerate(stations):
            service[k] = sample(station.service_minutes, rng, (people, sessions))
        vials = int((-(-counts // doses_per_vial)).max())
        preparation = sample(site_type.preparation.minutes_per_vial, rng, (vials, sessions))
        observation = observation_minutes(site_type, rng, (people, sessions))
        walk = site_type.walking_minutes
        moves = (len(stations), 1 if isinstance(walk, int | float) else people, sessions)
        ahead = site_type.preparation.mode == "ahead"
        return SessionColumns(
            arrival=arrival,
            service=service,
            observation=observation,
            preparation=preparation,
            count=counts.astype(np.int64),
            servers=np.tile([s.servers for s in stations], (sessions, 1)).astype(np.int64),
            injection=np.full(sessions, [s.role for s in stations].index("injection")),
            walking=sample(walk, rng, moves),
            preparers=np.full(sessions, site_type.preparation.preparers, dtype=np.int64),
            doses_per_vial=doses_per_vial.astype(np.int64),
            ahead=np.full(sessions, ahead),
            lead_minutes=np.full(sessions, site_type.preparation.lead_minutes),
            batch_vials=np.full(sessions, site_type.preparation.batch_vials, dtype=np.int64),
            in_use_minutes=in_use_minutes.astype(float),
            replacement=(
                sample(site_type.preparation.minutes_per_vial, rng, (people, sessions))
                if ahead else np.zeros((1, sessions))
            ),
            session_end=end,
        )

    def _arrivals(
        self,
        rng: np.random.Generator,
        site_type: SiteType,
        session: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        counts: np.ndarray,
    ) -> np.ndarray:
        """Arrival instants ``(N, S)`` (unsorted, padding included): the session's people are
        booked over its slots in order (:func:`spread_over_slots`, weighted by the type's
        ``booked_per_slot`` when given), aim within the slot by ``arrival_in_slot`` and miss by
        the punctuality error, clipped to the opening hours."""
        slot_minutes = site_type.slot_minutes(self.slot_minutes)
        slots = np.maximum(np.ceil((end - start) / slot_minutes - 1e-9), 1)
        weights = booking_weights(site_type, session, slots)
        pattern = site_type.arrival_in_slot
        ranked = pattern in ("even", "bailey_welch")
        slot, rank, size = spread_over_slots(counts, int(counts.max()), slots, weights, ranked)
        slot_start = start[None, :] + slot * slot_minutes
        length = np.minimum(slot_start + slot_minutes, end[None, :]) - slot_start
        if not ranked:
            rank = size = slot  # only their shape is read
        arrival = slot_start + offset_in_slot(pattern, rank, size, length, rng)
        arrival += rng.normal(
            site_type.punctuality_mean_minutes, site_type.punctuality_sd_minutes, arrival.shape
        )
        np.clip(arrival, start[None, :], end[None, :], out=arrival)
        return arrival


def booking_weights(site_type: SiteType, session: np.ndarray, slots: np.ndarray) -> np.ndarray | None:
    """Relative block sizes per slot ``(W, S)`` from the type's ``booked_per_slot`` (zero past a
    session's slots), or ``None`` when every slot of a session books alike."""
    booked = site_type.booked_per_slot
    if not isinstance(booked, list) or all(not isinstance(entry, list) for entry in booked):
        return None
    width = int(slots.max())
    weights = np.zeros((width, len(session)))
    for s, (index, count) in enumerate(zip(session.tolist(), slots.astype(int).tolist(), strict=True)):
        entry = booked[index]
        values = np.full(count, float(entry)) if not isinstance(entry, list) else np.asarray(entry, float)
        weights[: min(count, values.size), s] = values[:count]
    return weights


def _chunks_by_size(counts: np.ndarray) -> list[np.ndarray]:
    """Group sessions, most people first, so that each group pads little: a group ends where
    a session has fewer than 1/:data:`CHUNK_RATIO` of the people of its first (or the group
    would hold more than :data:`CHUNK_CELLS` queue positions). Within a group the kernel skips
    the padding in its recursion; draws and sorts still cover it."""
    order = np.argsort(-counts, kind="stable")
    sorted_counts = counts[order]
    chunks = []
    begin = 0
    while begin < len(order):
        largest = int(sorted_counts[begin])
        end = int(np.searchsorted(-sorted_counts, -largest / CHUNK_RATIO, side="right"))
        end = min(max(end, begin + 1), begin + max(1, CHUNK_CELLS // max(largest, 1)))
        chunks.append(order[begin:end])
        begin = end
    return chunks


_worker_site_day: SiteDay | None = None


def _start_worker(site_day: SiteDay) -> None:
    global _worker_site_day
    _worker_site_day = site_day


def _run_in_worker(day: int, visits: np.ndarray, *product: np.ndarray) -> DayQueues:
    assert _worker_site_day is not None
    return _worker_site_day(day, visits, *product)


class SiteQueues:
    """Runs :class:`SiteDay` for each campaign day, serially or in worker processes, and
    merges the days' KPIs in day order.

    ``workers``: processes for the site queues (``None`` = one per CPU; 1 = in this process).
    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, model: Model, seed: int, slot_minutes: float, workers: int | None = None):
        self.site_day = SiteDay(model, seed, slot_minutes)
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self.executor: Executor | None = None
        if self.workers > 1:
            self.executor = worker_pool(self.workers, _start_worker, (self.site_day,))
        self.days: list[DayQueues | Future] = []

    def run_day(self, day: int, visits: np.ndarray, *product: np.ndarray) -> None:
        """Queue the sessions of ``day`` (runs now when serial, in a worker otherwise);
        ``product``: doses per vial and (optionally) in-use minutes per site."""
        if self.executor is None:
            self.days.append(self.site_day(day, visits, *product))
        else:
            self.days.append(self.executor.submit(_run_in_worker, day, visits, *product))

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    def __enter__(self) -> SiteQueues:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _merged(self) -> tuple[list[pd.DataFrame], dict, dict]:
        """The days' results, in day order."""
        results = [day.result() if isinstance(day, Future) else day for day in self.days]
        results.sort(key=lambda day: day.day)
        histograms: dict[tuple[str, str], np.ndarray] = {}
        wait_sums: dict[tuple[str, str], float] = {}
        for day in results:
            for key, histogram in day.histograms.items():
                histograms[key] = histograms.get(key, 0) + histogram
                wait_sums[key] = wait_sums.get(key, 0.0) + day.wait_sums[key]
        return [day.sites for day in results], histograms, wait_sums

    # ------------------------------------------------------------------ tables

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(waits, sites)``: :meth:`waits_table` and :meth:`site_table` of all days so far."""
        site_rows, histograms, wait_sums = self._merged()
        return self.waits_table(histograms, wait_sums), self.site_table(site_rows)

    @staticmethod
    def waits_table(histograms: dict, wait_sums: dict) -> pd.DataFrame:
        """People and waiting minutes per site type and station over the whole run."""
        rows = []
        for (type_name, station), histogram in sorted(histograms.items()):
            people = int(histogram.sum())

            def quantile(q: float, histogram=histogram, people=people) -> float:
                return histogram_quantile(histogram, people, q)

            rows.append(
                {
                    "site_type": type_name,
                    "station": station,
                    "people": people,
                    "wait_mean": wait_sums[(type_name, station)] / max(people, 1),
                    "wait_p50": quantile(0.5),
                    "wait_p90": quantile(0.9),
                    "wait_p99": quantile(0.99),
                }
            )
        return pd.DataFrame(
            rows, columns=["site_type", "station", "people", "wait_mean", "wait_p50", "wait_p90", "wait_p99"]
        )

    @staticmethod
    def site_table(site_rows: list[pd.DataFrame]) -> pd.DataFrame:
        """Per site and day: peak on site, minutes above the crowding limit, and the injection
        station's use, named as ``vaxsim site`` names it: ``injection_utilisation_open_hours``
        (busy server-minutes inside the opening hours over servers × opening minutes: at most
        1), ``injection_busy_after_close_minutes`` (server-minutes of injections after
        closing, reported apart) and ``injection_utilisation_working_span`` (all busy
        server-minutes over servers × minutes from the session start to the last injection:
        at most 1); sessions of a site-day are summed before dividing."""
        columns = [
            "day",
            "site",
            "peak_on_site",
            "minutes_above_crowding_limit",
            "injection_utilisation_open_hours",
            "injection_busy_after_close_minutes",
            "injection_utilisation_working_span",
            "mean_wait_minutes",
        ]
        if not site_rows:
            return pd.DataFrame(columns=columns)
        table = pd.concat(site_rows, ignore_index=True)
        inside = table.injection_busy_minutes - table.injection_busy_after_close_minutes
        table["injection_utilisation_open_hours"] = inside / table.injection_server_minutes
        with np.errstate(invalid="ignore", divide="ignore"):
            table["injection_utilisation_working_span"] = (
                table.injection_busy_minutes / table.injection_span_server_minutes
            )
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
