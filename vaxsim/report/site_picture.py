"""A picture of one site's day (PNG): crowding over the day, waits per station, utilisation.

Drawn on a :class:`matplotlib.figure.Figure` with the Agg canvas chosen only here, where the
file is written, so importing this module never changes matplotlib's backend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from vaxsim.scenario.base import clock_time
from vaxsim.sites.results import SiteDayResult


def draw_site_day(result: SiteDayResult, title: str, path: Path) -> Path:
    """Write ``path`` (PNG): people on site over the day against the crowding limit, waits per
    station in walking order (median bar, 90th percentile whisker, minutes) and utilisation
    per station over opening hours and over the working span (preparers last)."""
    figure = Figure(figsize=(10, 11), layout="constrained")
    crowd, waits, use = figure.subplots(3, 1, height_ratios=[1.2, 1, 1])
    _crowding(crowd, result)
    _waits(waits, result)
    _utilisation(use, result)
    figure.suptitle(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(figure).print_png(str(path))
    return path


def _crowding(axes, result: SiteDayResult) -> None:
    series = result.people_on_site(1.0)
    for session, rows in series.groupby("session"):
        axes.step(rows.time, rows.people_on_site, where="post", label=f"session {session + 1}")
    limit = int(result.input.crowding_limit[0])
    axes.axhline(limit, color="tab:red", linestyle="--", label=f"crowding limit ({limit})")
    axes.xaxis.set_major_locator(MultipleLocator(60))  # a tick every hour
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: clock_time(x)))
    axes.set_ylabel("people on site")
    axes.set_title("people on site over the day")
    axes.legend(loc="upper right")
    axes.grid(alpha=0.3)


def _waits(axes, result: SiteDayResult) -> None:
    inp = result.input
    names = [name for name in inp.station_names[0] if name]
    real = np.arange(inp.max_people)[None, :] < inp.count[:, None]
    median, p90 = [], []
    for k in range(len(names)):
        values = result.wait[:, :, k][real]
        median.append(float(np.median(values)) if values.size else 0.0)
        p90.append(float(np.quantile(values, 0.9)) if values.size else 0.0)
    x = np.arange(len(names))
    axes.bar(x, median, color="tab:blue", label="median")
    axes.errorbar(x, median, yerr=[np.zeros(len(x)), np.subtract(p90, median)], fmt="none",
                  ecolor="black", capsize=6, label="90th percentile")
    axes.set_xticks(x, names)
    axes.set_ylabel("minutes waiting")
    axes.set_title("waits per station, in walking order")
    axes.legend(loc="upper right")
    axes.grid(alpha=0.3, axis="y")


def _utilisation(axes, result: SiteDayResult) -> None:
    table = result.day_utilisation()
    x = np.arange(len(table))
    axes.bar(x - 0.2, 100 * table.utilisation_open_hours, width=0.4, label="over opening hours")
    axes.bar(x + 0.2, 100 * table.utilisation_working_span, width=0.4, label="over the working span")
    axes.set_xticks(x, table.station)
    axes.set_ylim(0, 105)
    axes.set_ylabel("% of staff time busy")
    axes.set_title("utilisation per station (all sessions of the day)")
    axes.legend(loc="lower right")
    axes.grid(alpha=0.3, axis="y")
