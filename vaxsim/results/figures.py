"""Figures of one run: coverage curves, doses per day against supply, waits at sites.

Built on :class:`matplotlib.figure.Figure` without pyplot: they work with any backend, show in
Jupyter when returned from a cell (:meth:`vaxsim.Results.plot`) and are saved as PNG by
:mod:`vaxsim.report.plots`. Nothing here selects a matplotlib backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.figure import Figure

if TYPE_CHECKING:  # results.py imports this module to draw its figures
    from vaxsim.results.results import Results


def coverage_figure(results: Results, by: str | None = None) -> Figure:
    """Coverage (at least one dose, full series) over time; with ``by="province"`` or
    ``"district"`` one full-series line per area, otherwise the whole population with the
    range over provinces shaded."""
    figure = Figure(figsize=(9, 5))
    axes = figure.add_subplot()
    if by in ("province", "district"):
        table = results.district_coverage if by == "district" else results.coverage
        sums = table.groupby(["date", by])[["population", "full_series"]].sum()
        share = (100 * sums.full_series / sums.population).unstack(by)
        for area in share.columns:
            axes.plot(share.index, share[area], label=f"{by} {area}")
        axes.set_title(f"{results.scenario}: full-series coverage by {by}")
    else:
        coverage = results.coverage.groupby("date")[["population", "at_least_one", "full_series"]].sum()
        share_of = 100 / coverage.population
        axes.plot(coverage.index, coverage.at_least_one * share_of, label="at least one dose")
        axes.plot(coverage.index, coverage.full_series * share_of, label="full series")
        by_province = results.coverage.groupby(["date", "province"])[["population", "full_series"]].sum()
        share = (100 * by_province.full_series / by_province.population).unstack("province")
        if share.shape[1] > 1:
            low, high = share.min(axis=1), share.max(axis=1)
            axes.fill_between(share.index, low, high, alpha=0.15, label="full series, province range")
        axes.set_title(f"{results.scenario}: coverage")
    axes.set_ylabel("% of population")
    axes.set_ylim(0, 100)
    axes.legend(loc="upper left", fontsize=8)
    axes.grid(alpha=0.3)
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure


def doses_figure(results: Results) -> Figure:
    """Doses given per day by dose number, with cumulative doses delivered and given."""
    daily = results.daily.pivot_table(index="date", columns="dose_number", values="doses", aggfunc="sum")
    daily = daily.reindex(pd.Index(sorted(results.supply.date.unique()), name="date"), fill_value=0).fillna(0)
    supply = results.supply.groupby("date")[["delivered", "doses_given"]].sum().cumsum()
    figure = Figure(figsize=(9, 5))
    axes = figure.add_subplot()
    # Stacked day-wide steps: one polygon per dose number (a bar per day draws hundreds of
    # patches and is several times slower for a year).
    axes.stackplot(
        daily.index,
        *(daily[dose].to_numpy() for dose in daily.columns),
        labels=[f"dose {dose} per day" for dose in daily.columns],
        step="mid",
    )
    axes.set_ylabel("doses per day")
    twin = axes.twinx()
    twin.plot(supply.index, supply.delivered, color="black", label="delivered (cumulative)")
    twin.plot(supply.index, supply.doses_given, color="grey", linestyle="--", label="given (cumulative)")
    twin.set_ylabel("doses, cumulative")
    handles = axes.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    axes.legend(handles=handles, loc="upper left")
    axes.set_title(f"{results.scenario}: doses per day against supply")
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure


def waits_figure(results: Results) -> Figure:
    """Mean, p90 and p99 wait (minutes) per station and site type."""
    waits = results.waits
    figure = Figure(figsize=(9, 5))
    axes = figure.add_subplot()
    if len(waits):
        labels = waits.site_type + "\n" + waits.station
        positions = range(len(waits))
        axes.bar([p - 0.25 for p in positions], waits.wait_mean, width=0.25, label="mean")
        axes.bar(positions, waits.wait_p90, width=0.25, label="p90")
        axes.bar([p + 0.25 for p in positions], waits.wait_p99, width=0.25, label="p99")
        axes.set_xticks(list(positions), labels, fontsize=7)
        axes.legend()
    axes.set_ylabel("minutes waiting before service")
    axes.set_title(f"{results.scenario}: waits at site stations")
    figure.tight_layout()
    return figure


#: What :meth:`vaxsim.Results.plot` can draw.
FIGURES = {"coverage": coverage_figure, "doses": doses_figure, "waits": waits_figure}
