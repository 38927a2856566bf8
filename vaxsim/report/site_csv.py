"""The CSV files of ``vaxsim site -o DIR``: one site's day, with units in the column names.

Instants (minutes since local midnight in :class:`vaxsim.sites.results.SiteDayResult`) are
written twice: ``<name>_minutes_since_midnight`` for computation and ``<name>_clock`` as
``HH:MM`` (rounded to the minute; past midnight reads ``24:10``; empty where there is no
instant). Durations carry ``_minutes``; utilisation columns are shares between 0 and 1.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vaxsim.io.spreadsheet import neutralised
from vaxsim.scenario.base import clock_time
from vaxsim.sites.results import SiteDayResult

#: Per file: the instant columns, and the duration columns whose name lacks the unit.
_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "visits": (("join", "seized", "start", "end"), ("wait", "service")),
    "stations": ((), ("wait_mean", "wait_p50", "wait_p90", "wait_p99", "dose_wait_mean")),
    "sessions": (("start", "end", "window_start", "window_end", "last_leave"), ("time_on_site_mean",)),
    "preparers": (("start", "last_task_end"), ()),
    "utilisation": ((), ()),
    "people_on_site": (("time",), ()),
}


def site_tables(result: SiteDayResult) -> dict[str, pd.DataFrame]:
    """The tables of ``result`` as written, by file stem (see the module docstring)."""
    tables = {
        "visits": result.visits,
        "stations": result.stations,
        "sessions": result.sessions,
        "preparers": result.preparers,
        "utilisation": result.day_utilisation(),
        "people_on_site": result.people_on_site(1.0),
    }
    return {name: with_units(table, *_COLUMNS[name]) for name, table in tables.items()}


def write_site_csvs(result: SiteDayResult, folder: Path) -> None:
    """Write :func:`site_tables` of ``result`` as ``<stem>.csv`` into ``folder``."""
    for name, table in site_tables(result).items():
        neutralised(table).to_csv(folder / f"{name}.csv", index=False)


def with_units(table: pd.DataFrame, instants: tuple[str, ...], durations: tuple[str, ...]) -> pd.DataFrame:
    """``table`` with each instant column as ``_minutes_since_midnight`` followed by its
    ``_clock`` (``HH:MM``), and each duration column suffixed ``_minutes``."""
    columns: dict[str, pd.Series] = {}
    for name, values in table.items():
        if name in instants:
            columns[f"{name}_minutes_since_midnight"] = values
            columns[f"{name}_clock"] = values.map(lambda m: "" if pd.isna(m) else clock_time(m))
        elif name in durations:
            columns[f"{name}_minutes"] = values
        else:
            columns[str(name)] = values
    return pd.DataFrame(columns, index=table.index)
