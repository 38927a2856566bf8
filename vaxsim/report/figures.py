"""The report's figures that are not plain ensemble bands: ranked coverage, wastage by cause,
and doses against supply. Built on :class:`matplotlib.figure.Figure` (no pyplot)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from vaxsim.run.ensemble import Ensemble
from vaxsim.run.figures import daily_doses_bands


def doses_against_supply(ensemble: Ensemble) -> Figure:
    """Doses given per day (bands over seeds) with cumulative doses delivered per scenario."""
    figure = daily_doses_bands(ensemble.daily)
    axes = figure.axes[0]
    twin = axes.twinx()
    supply = ensemble.supply.groupby(["scenario", "seed", "date"], sort=False).delivered.sum()
    delivered = supply.groupby(["scenario", "date"], sort=False).mean()
    for label, series in delivered.groupby(level="scenario", sort=False):
        dates = pd.to_datetime(series.index.get_level_values("date"))
        twin.plot(dates, series.cumsum().to_numpy(), linestyle="--", label=f"{label}: delivered (cumulative)")
    twin.set_ylabel("doses delivered, cumulative")
    twin.legend(loc="lower right", fontsize=8)
    axes.set_title("doses given per day (mean, 95 % CI) against supply")
    return figure


def ranked_bars(table: pd.DataFrame, area: str, title: str, rows: int = 25) -> Figure:
    """Horizontal bars of ``mean`` (a share) per ``area`` and scenario with CI whiskers,
    lowest first (at most ``rows`` areas)."""
    order = table.groupby(area)["mean"].mean().sort_values().index[:rows]
    labels = list(dict.fromkeys(table.scenario))
    figure = Figure(figsize=(9, max(3, 0.35 * len(order) * max(1, len(labels)) + 1)))
    axes = figure.add_subplot()
    height = 0.8 / max(1, len(labels))
    positions = np.arange(len(order))
    for k, label in enumerate(labels):
        own = table[table.scenario == label].set_index(area).reindex(order)
        error = [100 * (own["mean"] - own.ci95_low), 100 * (own.ci95_high - own["mean"])]
        axes.barh(positions + k * height, 100 * own["mean"], height=height, xerr=error, label=label)
    axes.set_yticks(positions + height * (len(labels) - 1) / 2, [str(name) for name in order], fontsize=8)
    axes.set_xlabel("% of population")
    axes.set_xlim(0, 100)
    axes.set_title(title)
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure


def wastage_bars(table: pd.DataFrame) -> Figure:
    """Doses wasted by cause per scenario (mean over seeds, 95 % CI whiskers)."""
    causes = sorted(table.cause.unique())
    labels = list(dict.fromkeys(table.scenario))
    figure = Figure(figsize=(9, 4))
    axes = figure.add_subplot()
    width = 0.8 / max(1, len(labels))
    positions = np.arange(len(causes))
    for k, label in enumerate(labels):
        own = table[table.scenario == label].set_index("cause").reindex(causes).fillna(0)
        error = [own["mean"] - own.ci95_low, own.ci95_high - own["mean"]]
        axes.bar(positions + k * width, own["mean"], width=width, yerr=error, label=label)
    axes.set_xticks(positions + width * (len(labels) - 1) / 2, causes)
    axes.set_ylabel("doses wasted")
    axes.set_title("doses wasted by cause (mean, 95 % CI)")
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure
