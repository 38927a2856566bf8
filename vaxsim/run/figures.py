"""Figures of ensembles: curves per scenario with the 95 % CI of the mean over seeds.

Figures are built on :class:`matplotlib.figure.Figure` without pyplot, so they work with any
backend (files, Jupyter) and never open a window by themselves.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from vaxsim.run.statistics import half_width


def coverage_bands(coverage: pd.DataFrame, series: str = "full_series") -> Figure:
    """Coverage (% of the population with ``series``: ``at_least_one`` or ``full_series``)
    over time, one line per scenario with its 95 % CI band over seeds."""
    if series not in ("at_least_one", "full_series"):
        raise ValueError(f"series must be 'at_least_one' or 'full_series' (got {series!r})")
    sums = coverage.groupby(["scenario", "seed", "date"], sort=False)[["population", series]].sum()
    share = (100 * sums[series] / sums.population).rename("value").reset_index()
    label = "full series" if series == "full_series" else "at least one dose"
    figure = _bands(share, f"coverage, {label} (% of population)")
    figure.axes[0].set_ylim(0, 100)
    return figure


def daily_doses_bands(daily: pd.DataFrame) -> Figure:
    """Doses given per day, one line per scenario with its 95 % CI band over seeds."""
    per_day = daily.groupby(["scenario", "seed", "date"], sort=False).doses.sum()
    # days without doses are rows that do not exist: fill them before averaging over seeds
    table = per_day.unstack("date", fill_value=0).stack().rename("value").reset_index()
    return _bands(table, "doses given per day")


def _bands(values: pd.DataFrame, ylabel: str) -> Figure:
    """Mean and 95 % CI band of ``value`` per scenario and date (columns scenario, seed,
    date, value)."""
    figure = Figure(figsize=(9, 5))
    axes = figure.add_subplot()
    for label, own in values.groupby("scenario", sort=False):
        stats = own.groupby("date").value.agg(["mean", "std", "count"])
        half = half_width(stats["std"].fillna(0).to_numpy(), stats["count"].to_numpy())
        dates = pd.to_datetime(stats.index)
        line = axes.plot(dates, stats["mean"], label=f"{label} (n={int(stats['count'].max())})")[0]
        axes.fill_between(
            dates, stats["mean"] - half, stats["mean"] + half, alpha=0.25, color=line.get_color()
        )
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    axes.set_title(f"{ylabel}: mean and 95 % CI over seeds")
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure
