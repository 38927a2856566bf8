"""PNG plots of a run: coverage curves, doses per day against supply, waits at sites."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from vaxsim.results.results import Results  # noqa: E402


def plot_coverage(results: Results, path: Path) -> Path:
    """National coverage (at least one dose, full series) over time, with the five provinces
    of lowest and highest final full-series coverage shaded as a range."""
    coverage = results.coverage.groupby("date")[["population", "at_least_one", "full_series"]].sum()
    figure, axes = plt.subplots(figsize=(9, 5))
    axes.plot(coverage.index, 100 * coverage.at_least_one / coverage.population, label="at least one dose")
    axes.plot(coverage.index, 100 * coverage.full_series / coverage.population, label="full series")
    by_province = results.coverage.groupby(["date", "province"])[["population", "full_series"]].sum()
    share = (100 * by_province.full_series / by_province.population).unstack("province")
    if share.shape[1] > 1:
        axes.fill_between(
            share.index, share.min(axis=1), share.max(axis=1), alpha=0.15, label="full series, province range"
        )
    axes.set_ylabel("% of population")
    axes.set_ylim(0, 100)
    axes.set_title(f"{results.scenario}: coverage")
    axes.legend(loc="upper left")
    axes.grid(alpha=0.3)
    figure.autofmt_xdate()
    return _save(figure, path)


def plot_doses_and_supply(results: Results, path: Path) -> Path:
    """Doses given per day by dose number, with cumulative doses delivered and given."""
    daily = results.daily.pivot_table(index="date", columns="dose_number", values="doses", aggfunc="sum")
    daily = daily.reindex(pd.Index(sorted(results.supply.date.unique()), name="date"), fill_value=0).fillna(0)
    supply = results.supply.groupby("date")[["delivered", "doses_given"]].sum().cumsum()
    figure, axes = plt.subplots(figsize=(9, 5))
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
    return _save(figure, path)


def plot_waits(results: Results, path: Path) -> Path:
    """Mean, p90 and p99 wait per station and site type."""
    waits = results.waits
    figure, axes = plt.subplots(figsize=(9, 5))
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
    return _save(figure, path)


def save_plots(results: Results, folder: Path) -> list[Path]:
    """Write the three standard plots into ``folder``."""
    return [
        plot_coverage(results, folder / "coverage.png"),
        plot_doses_and_supply(results, folder / "doses_and_supply.png"),
        plot_waits(results, folder / "waits.png"),
    ]


def _save(figure: plt.Figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
