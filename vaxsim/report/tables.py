"""The headline tables of a report, computed from an :class:`~vaxsim.run.ensemble.Ensemble`.

Each table is a small DataFrame a planner can read: the HTML report shows them and the
``.xlsx`` workbook holds them, one sheet each (:data:`SHEETS` order).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from vaxsim.errors import VaxsimError
from vaxsim.run.ensemble import Ensemble

#: The headline figures, in the order a planner reads them, with their labels.
HEADLINE = {
    "coverage_at_least_one": "coverage, at least one dose",
    "coverage_full_series": "coverage, full series",
    "doses_given": "doses given",
    "doses_delivered": "doses delivered",
    "peak_doses_per_day": "peak doses per day",
    "doses_wasted": "doses wasted",
    "missed_for_lack_of_vaccine": "people missed for lack of vaccine",
    "unbooked_person_days": "person-days unbooked for lack of vaccine",
    "no_shows": "no-shows",
    "store_days_over_capacity": "store-days over capacity",
}
SHEETS = ("headline", "coverage_by_province", "coverage_by_district", "wastage", "cold_chain", "sites")


def headline(ensemble: Ensemble) -> pd.DataFrame:
    """Mean, sd and 95 % CI per scenario of the :data:`HEADLINE` figures."""
    return _headline_rows(ensemble.summary())


def headline_differences(ensemble: Ensemble, baseline: str) -> pd.DataFrame:
    """The :data:`HEADLINE` figures of each scenario minus ``baseline``'s, paired by seed
    (:meth:`~vaxsim.run.ensemble.Ensemble.differences`): n, mean, sd and 95 % CI."""
    table = ensemble.differences(baseline)
    return _headline_rows(table)


def _headline_rows(table: pd.DataFrame) -> pd.DataFrame:
    table = table[table.kpi.isin(list(HEADLINE))].copy()
    table["order"] = table.kpi.map(list(HEADLINE).index)
    table["figure"] = table.kpi.map(HEADLINE)
    columns = ["scenario", "figure", "n", "mean", "sd", "ci95_low", "ci95_high"]
    return table.sort_values(["order"], kind="stable")[columns].reset_index(drop=True)


def coverage_ranked(ensemble: Ensemble, level: str) -> pd.DataFrame:
    """Final full-series coverage per ``level`` (province or district), lowest first."""
    try:
        table = ensemble.summary(by=level)
    except VaxsimError:  # results saved before vaxsim kept this level
        return pd.DataFrame(columns=["scenario", level, "n", "mean", "ci95_low", "ci95_high"])
    table = table[table.kpi == "coverage_full_series"].drop(columns=["kpi", "sd"])
    return table.sort_values(["scenario", "mean"], kind="stable").reset_index(drop=True)


def wastage(ensemble: Ensemble) -> pd.DataFrame:
    """Doses wasted per scenario and cause: mean over seeds and 95 % CI."""
    table = ensemble.summary()
    table = table[table.kpi.str.startswith("wasted_by_cause_")].copy()
    table["cause"] = table.kpi.str.removeprefix("wasted_by_cause_")
    return table[["scenario", "cause", "n", "mean", "ci95_low", "ci95_high"]].reset_index(drop=True)


def cold_chain(ensemble: Ensemble, rows: int = 10) -> pd.DataFrame:
    """The stores closest to their capacity: peak utilisation (mean and max over seeds)."""
    chain = ensemble.cold_chain
    grouped = chain.groupby(["scenario", "store", "level", "class"], sort=False)
    table = grouped.agg(
        capacity_litres=("capacity_litres", "first"),
        peak_utilisation=("peak_utilisation", "mean"),
        worst_peak_utilisation=("peak_utilisation", "max"),
        days_over_capacity=("days_over_capacity", "mean"),
    ).reset_index()
    table = table[table.capacity_litres > 0]
    return table.sort_values("peak_utilisation", ascending=False).groupby("scenario").head(rows)


def worst_sites(ensemble: Ensemble, rows: int = 10) -> pd.DataFrame:
    """The sites with the longest mean waits (minutes), with their crowding (peak people on
    site), means over seeds."""
    summary = ensemble.summary(by="site")
    wide = summary.pivot_table(index=["scenario", "site"], columns="kpi", values="mean").reset_index()
    if "mean_wait_minutes" not in wide.columns:
        return pd.DataFrame(columns=["scenario", "site", "visits", "mean_wait_minutes", "peak_on_site"])
    wide = wide.sort_values("mean_wait_minutes", ascending=False)
    return wide.groupby("scenario").head(rows)[
        ["scenario", "site", "visits", "mean_wait_minutes", "peak_on_site"]
    ]


def differences(ensemble: Ensemble) -> pd.DataFrame:
    """The scenario fields whose values differ between the scenarios compared (one column
    per scenario); empty when they do not differ or their inputs are unknown."""
    flat = {label: _flatten(ensemble.scenarios.get(label, {}).get("scenario")) for label in ensemble.labels}
    known = {label: values for label, values in flat.items() if values}
    if len(known) < 2:
        return pd.DataFrame(columns=["field"])
    fields = sorted(set().union(*known.values()))
    rows = []
    for field in fields:
        values = [known[label].get(field) for label in known]
        if any(value != values[0] for value in values):
            rows.append({"field": field, **{label: known[label].get(field) for label in known}})
    return pd.DataFrame(rows, columns=["field", *known])


def all_tables(ensemble: Ensemble) -> dict[str, pd.DataFrame]:
    """Every headline table by sheet name (:data:`SHEETS`)."""
    return {
        "headline": headline(ensemble),
        "coverage_by_province": coverage_ranked(ensemble, "province"),
        "coverage_by_district": coverage_ranked(ensemble, "district"),
        "wastage": wastage(ensemble),
        "cold_chain": cold_chain(ensemble),
        "sites": worst_sites(ensemble),
    }


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(data, list):
        return {prefix: repr(data)} if prefix else {}
    return {prefix: data} if prefix else {}
