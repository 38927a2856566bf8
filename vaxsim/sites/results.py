"""What a site-day simulation returns: per-person times and tidy summary tables.

Both engines return a :class:`SiteDayResult` built from the same arrays, so every summary is
computed by the same code whichever engine ran. Instants are minutes since local midnight of
the site-day; durations are minutes. Shapes: ``S`` sessions, ``N`` people (NaN padding beyond
``input.count``), ``K`` stations (NaN where a site has fewer stations).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from vaxsim.sites.crowding import Occupancy, occupancy, people_on_site
from vaxsim.sites.session_input import SessionInput

#: Quantiles reported for waits, as column suffixes.
WAIT_QUANTILES = {"p50": 0.50, "p90": 0.90, "p99": 0.99}


def row_quantiles(values: np.ndarray, counts: np.ndarray, qs: Sequence[float]) -> list[np.ndarray]:
    """Quantiles ``qs`` (linear interpolation, as numpy's default) along axis 1 of ``values``.

    ``values`` is ``(S, N, ...)`` with the first ``counts[s]`` entries of row ``s`` real and the
    rest NaN; rows with no entries give NaN. Returns one array of shape ``(S, ...)`` per ``q``.
    """
    if values.shape[1] == 0:
        return [np.full(values.shape[:1] + values.shape[2:], np.nan) for _ in qs]
    ordered = np.sort(values, axis=1)  # NaN padding sorts last
    extra = (1,) * (values.ndim - 2)
    n = counts.reshape((-1, 1) + extra)
    last = np.maximum(n - 1, 0)
    result = []
    for q in qs:
        position = q * last
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, last)
        low_value = np.take_along_axis(ordered, low, axis=1)
        high_value = np.take_along_axis(ordered, high, axis=1)
        value = low_value + (position - low) * (high_value - low_value)
        result.append(np.where(n > 0, value, np.nan)[:, 0])
    return result


@dataclass(frozen=True, eq=False)
class SiteDayResult:
    """Per-person times of a batch of sessions, and their summaries.

    ``join``, ``seized``, ``start``, ``end`` have shape ``(S, N, K)``: when a person joins the
    queue of a station, takes a server, starts being served and is done. ``seized == start``
    except at the injection station, where the server is held while the dose is prepared.
    ``leave`` ``(S, N)`` is when the person leaves the site after observation; ``replaced``
    ``(S, N)`` whether their drawn-up dose had passed its in-use time and was replaced.
    ``task_start`` and ``task_end`` ``(S, V)``: when each preparation task (a vial just in
    time, a batch ahead of demand) was started and finished by a preparer (NaN: no task).

    Utilisation is reported two ways, both at most 1: over the **opening hours** (busy time
    inside the session's hours over staff × session minutes; work after closing is counted
    separately as ``busy_after_close_minutes``) and over the **working span** (all busy time
    over staff × minutes from the staff's start to the last person they served). Staff start
    at the session start; preparers working ahead start ``lead_minutes`` before it.
    """

    input: SessionInput
    engine: str
    join: np.ndarray
    seized: np.ndarray
    start: np.ndarray
    end: np.ndarray
    leave: np.ndarray
    replaced: np.ndarray
    task_start: np.ndarray
    task_end: np.ndarray

    # ---- per-person derived arrays -------------------------------------------------------

    @property
    def arrival(self) -> np.ndarray:
        """Arrival instants ``(S, N)``."""
        return self.input.arrival

    @property
    def wait(self) -> np.ndarray:
        """Minutes between joining a station's queue and the start of service, ``(S, N, K)``."""
        return self.start - self.join

    @property
    def dose_wait(self) -> np.ndarray:
        """Minutes a seated person waits for their dose at the injection station, ``(S, N)``."""
        k = self.input.injection[:, None, None]
        return np.take_along_axis(self.start - self.seized, k, axis=2)[:, :, 0]

    @property
    def time_on_site(self) -> np.ndarray:
        """Minutes from arrival to leaving, ``(S, N)``."""
        return self.leave - self.arrival

    # ---- per-station and per-session figures (arrays) -------------------------------------

    @cached_property
    def busy_server_minutes(self) -> np.ndarray:
        """Server-minutes held (seized to end) per station, ``(S, K)``."""
        return np.nansum(self.end - self.seized, axis=1)

    @cached_property
    def busy_in_opening_hours(self) -> np.ndarray:
        """Server-minutes held inside the session's opening hours per station, ``(S, K)``."""
        close = self.input.session_end[:, None, None]
        inside = np.minimum(self.end, close) - np.minimum(self.seized, close)
        return np.nansum(inside, axis=1)

    @cached_property
    def utilisation_open_hours(self) -> np.ndarray:
        """Busy server-minutes inside opening hours / (servers × session minutes), ``(S, K)``."""
        capacity = self.input.servers * self.input.session_minutes[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.input.servers > 0, self.busy_in_opening_hours / capacity, np.nan)

    @cached_property
    def utilisation_working_span(self) -> np.ndarray:
        """Busy server-minutes / (servers × minutes from the session start to the station's
        last service end), ``(S, K)``; NaN for missing stations and empty sessions."""
        last_end = np.nanmax(np.where(np.isnan(self.end), -np.inf, self.end), axis=1, initial=-np.inf)
        with np.errstate(invalid="ignore", divide="ignore"):
            span = self.input.servers * (last_end - self.input.session_start[:, None])
            value = self.busy_server_minutes / span
        return np.where((self.input.servers > 0) & (span > 0), value, np.nan)

    @cached_property
    def preparers(self) -> pd.DataFrame:
        """Preparers per session: ``preparers``, ``busy_minutes``, ``start`` (when they start:
        the session start, or ``lead_minutes`` before it ahead of demand; minutes since
        midnight), ``last_task_end``, ``utilisation_open_hours`` (busy time between their start
        and the session end over preparers × those minutes) and ``utilisation_working_span``
        (busy time over preparers × minutes from their start to their last task's end)."""
        inp = self.input
        staff_start = inp.session_start - np.where(inp.ahead, inp.lead_minutes, 0.0)
        busy = np.nansum(self.task_end - self.task_start, axis=1)
        close = inp.session_end[:, None]
        inside = np.nansum(np.minimum(self.task_end, close) - np.minimum(self.task_start, close), axis=1)
        last = np.nanmax(np.where(np.isnan(self.task_end), -np.inf, self.task_end), axis=1, initial=-np.inf)
        with np.errstate(invalid="ignore", divide="ignore"):
            open_hours = inside / (inp.preparers * (inp.session_end - staff_start))
            span = busy / (inp.preparers * (last - staff_start))
        has = (inp.preparers > 0) & np.isfinite(last)
        return pd.DataFrame({
            "site": inp.site,
            "session": inp.session,
            "preparers": inp.preparers,
            "mode": np.where(inp.ahead, "ahead", "just_in_time"),
            "start": staff_start,
            "busy_minutes": busy,
            "last_task_end": np.where(has, last, np.nan),
            "utilisation_open_hours": np.where(has, open_hours, np.nan),
            "utilisation_working_span": np.where(has & (last > staff_start), span, np.nan),
        })

    def day_utilisation(self) -> pd.DataFrame:
        """Utilisation per station over every session of the batch (busy minutes summed over
        staff minutes summed), in walking order, then a ``preparers`` row when there are any.

        Columns: ``station``, ``servers`` (first session's), ``busy_minutes``,
        ``utilisation_open_hours``, ``utilisation_working_span`` (both at most 1).
        """
        inp = self.input
        names = [str(name) for name in inp.station_names[0] if name]
        k = len(names)
        last_end = np.nanmax(np.where(np.isnan(self.end), -np.inf, self.end), axis=1, initial=-np.inf)
        used = np.isfinite(last_end[:, :k])
        span = np.where(used, inp.servers[:, :k] * (last_end[:, :k] - inp.session_start[:, None]), 0.0)
        opening = (inp.servers[:, :k] * inp.session_minutes[:, None]).sum(axis=0)
        rows = {
            "station": names,
            "servers": inp.servers[0, :k].tolist(),
            "busy_minutes": self.busy_server_minutes[:, :k].sum(axis=0).tolist(),
            "utilisation_open_hours": (self.busy_in_opening_hours[:, :k].sum(axis=0) / opening).tolist(),
            "utilisation_working_span": (
                self.busy_server_minutes[:, :k].sum(axis=0) / np.maximum(span.sum(axis=0), 1e-12)
            ).tolist(),
        }
        prep = self.preparers
        if int(inp.preparers.max(initial=0)) > 0:
            close = inp.session_end[:, None]
            inside = np.nansum(np.minimum(self.task_end, close) - np.minimum(self.task_start, close))
            window = (inp.preparers * (inp.session_end - prep.start)).sum()
            worked = np.nansum(inp.preparers * (prep.last_task_end - prep.start))
            busy = float(prep.busy_minutes.sum())
            rows["station"].append("preparers")
            rows["servers"].append(int(inp.preparers[0]))
            rows["busy_minutes"].append(busy)
            rows["utilisation_open_hours"].append(inside / window if window > 0 else np.nan)
            rows["utilisation_working_span"].append(busy / worked if worked > 0 else np.nan)
        return pd.DataFrame(rows)

    @cached_property
    def occupancy(self) -> Occupancy:
        """Crowding figures per session (see :class:`vaxsim.sites.crowding.Occupancy`)."""
        inp = self.input
        return occupancy(
            self.arrival, self.leave, inp.session_start, inp.session_end, inp.crowding_limit
        )

    @property
    def doses_expired(self) -> np.ndarray:
        """Drawn-up doses that passed their in-use time before use and were replaced, ``(S,)``."""
        return self.replaced.sum(axis=1)

    @property
    def vials_opened(self) -> np.ndarray:
        """Vials opened per session, ``(S,)``: those the people need, plus a fresh vial for
        each replaced dose."""
        return self.input.vials_needed + self.doses_expired

    @property
    def doses_unused(self) -> np.ndarray:
        """Doses opened but not injected (open-vial leftovers and expired doses), ``(S,)``."""
        return self.vials_opened * self.input.doses_per_vial - self.input.count

    # ---- tidy tables ----------------------------------------------------------------------

    @cached_property
    def stations(self) -> pd.DataFrame:
        """One row per session and station.

        Columns: ``site``, ``session``, ``station``, ``role``, ``servers``, ``people``,
        ``wait_mean``, ``wait_p50``, ``wait_p90``, ``wait_p99`` (minutes from joining the
        queue to the start of service, including the wait for a dose), ``dose_wait_mean``
        (injection only), ``busy_server_minutes``, ``busy_after_close_minutes``,
        ``utilisation_open_hours``, ``utilisation_working_span`` (see the class docstring).
        """
        inp = self.input
        counts = inp.count
        wait = self.wait
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nansum(wait, axis=1) / counts[:, None]
        columns = {"wait_mean": np.where(counts[:, None] > 0, mean, np.nan)}
        quantiles = row_quantiles(wait, counts, list(WAIT_QUANTILES.values()))
        for suffix, values in zip(WAIT_QUANTILES, quantiles, strict=True):
            columns[f"wait_{suffix}"] = values
        with np.errstate(invalid="ignore", divide="ignore"):
            dose = np.nansum(self.dose_wait, axis=1) / counts
        is_injection = np.arange(inp.max_stations)[None, :] == inp.injection[:, None]
        columns["dose_wait_mean"] = np.where(is_injection & (counts[:, None] > 0),
                                             dose[:, None], np.nan)
        columns["busy_server_minutes"] = self.busy_server_minutes
        columns["busy_after_close_minutes"] = self.busy_server_minutes - self.busy_in_opening_hours
        columns["utilisation_open_hours"] = self.utilisation_open_hours
        columns["utilisation_working_span"] = self.utilisation_working_span
        present = inp.servers > 0
        rows, ks = np.nonzero(present)
        table = pd.DataFrame({
            "site": inp.site[rows],
            "session": inp.session[rows],
            "station": inp.station_names[rows, ks],
            "role": inp.station_roles[rows, ks],
            "servers": inp.servers[rows, ks],
            "people": counts[rows],
        })
        for name, values in columns.items():
            table[name] = values[rows, ks]
        return table

    @cached_property
    def sessions(self) -> pd.DataFrame:
        """One row per session.

        Columns: ``site``, ``session``, ``start``, ``end`` (minutes since midnight),
        ``people``, ``time_on_site_mean`` (minutes), ``peak_on_site``, ``mean_on_site``
        (time-average people between ``window_start`` and ``window_end``),
        ``minutes_above_limit``, ``crowding_limit``, ``last_leave``, ``overtime_minutes``
        (last service end after the session end), ``vials_opened``, ``doses_unused``,
        ``doses_expired``.
        """
        inp = self.input
        occ = self.occupancy
        counts = inp.count
        with np.errstate(invalid="ignore", divide="ignore"):
            time_on_site = np.nansum(self.time_on_site, axis=1) / counts
        last_end = np.nanmax(np.where(np.isnan(self.end), -np.inf, self.end), axis=(1, 2),
                             initial=-np.inf)
        return pd.DataFrame({
            "site": inp.site,
            "session": inp.session,
            "start": inp.session_start,
            "end": inp.session_end,
            "people": counts,
            "time_on_site_mean": np.where(counts > 0, time_on_site, np.nan),
            "peak_on_site": occ.peak,
            "mean_on_site": occ.mean,
            "window_start": occ.window_start,
            "window_end": occ.window_end,
            "minutes_above_limit": occ.minutes_above,
            "crowding_limit": inp.crowding_limit,
            "last_leave": np.where(counts > 0, np.nanmax(
                np.where(np.isnan(self.leave), -np.inf, self.leave), axis=1, initial=-np.inf
            ), np.nan),
            "overtime_minutes": np.maximum(last_end - inp.session_end, 0.0),
            "vials_opened": self.vials_opened,
            "doses_unused": self.doses_unused,
            "doses_expired": self.doses_expired,
        })

    @cached_property
    def people(self) -> pd.DataFrame:
        """One row per person: ``site``, ``session``, ``person`` (arrival rank), ``arrival``,
        ``leave``, ``time_on_site``, ``wait_total`` (minutes waiting over all stations)."""
        inp = self.input
        rows, persons = np.nonzero(np.arange(inp.max_people)[None, :] < inp.count[:, None])
        return pd.DataFrame({
            "site": inp.site[rows],
            "session": inp.session[rows],
            "person": persons,
            "arrival": self.arrival[rows, persons],
            "leave": self.leave[rows, persons],
            "time_on_site": self.time_on_site[rows, persons],
            "wait_total": np.nansum(self.wait, axis=2)[rows, persons],
        })

    @cached_property
    def visits(self) -> pd.DataFrame:
        """One row per person and station: ``site``, ``session``, ``person``, ``station``,
        ``join``, ``seized``, ``start``, ``end`` (minutes since midnight), ``wait``,
        ``service`` (minutes)."""
        inp = self.input
        real = np.arange(inp.max_people)[None, :, None] < inp.count[:, None, None]
        present = (inp.servers > 0)[:, None, :]
        rows, persons, ks = np.nonzero(real & present)
        return pd.DataFrame({
            "site": inp.site[rows],
            "session": inp.session[rows],
            "person": persons,
            "station": inp.station_names[rows, ks],
            "join": self.join[rows, persons, ks],
            "seized": self.seized[rows, persons, ks],
            "start": self.start[rows, persons, ks],
            "end": self.end[rows, persons, ks],
            "wait": self.wait[rows, persons, ks],
            "service": (self.end - self.start)[rows, persons, ks],
        })

    def people_on_site(self, step_minutes: float = 1.0) -> pd.DataFrame:
        """People on site every ``step_minutes`` over each session's crowding window.

        Columns: ``site``, ``session``, ``time`` (minutes since midnight), ``people_on_site``.
        """
        inp = self.input
        occ = self.occupancy
        first = np.floor(occ.window_start)
        steps = np.ceil((occ.window_end - first) / step_minutes).astype(np.int64) + 1
        width = int(steps.max(initial=0))
        grid = first[:, None] + step_minutes * np.arange(width)[None, :]
        counts = people_on_site(self.arrival, self.leave, grid)
        keep = np.arange(width)[None, :] < steps[:, None]
        rows, cols = np.nonzero(keep)
        return pd.DataFrame({
            "site": inp.site[rows],
            "session": inp.session[rows],
            "time": grid[rows, cols],
            "people_on_site": counts[rows, cols].astype(np.int64),
        })
