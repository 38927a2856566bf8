"""The bundle-corruption catalogue: single-cell edits and deleted rows of a plan, each written
as a consistent bundle (CSVs, plan.json and checksums all agree), so only the checker's reading
of the content can catch them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from vaxsim.plan import TABLES, Plan

#: Descriptive columns: editing them changes no operation (doses, dates, sites, lots, capacity).
DESCRIPTIVE = {
    ("products", "name"),
    ("product_codes", "display"),
    ("sites", "name"),
    ("sites", "lat"),
    ("sites", "lon"),
    ("shipments", "reason"),
}


@dataclass(frozen=True)
class Edit:
    """One corruption: ``value`` into ``table[row, column]``, or the row deleted (``column`` None)."""

    table: str
    row: int
    column: str | None
    value: Any = None
    label: str = ""

    @property
    def operational(self) -> bool:
        """Does it change what operations would do (anything but a descriptive column)?"""
        return (self.table, self.column) not in DESCRIPTIVE

    def changes_nothing(self, plan: Plan) -> bool:
        """Does the edit leave every stock figure of every site, lot and day as it was? Only a
        ``stock_projection`` edit can: the format carries a site's stock over days without a
        row, so a row where nothing moves and nothing is held says nothing (deleting it, moving
        it to another day or lot that is also empty then, changes no operation)."""
        if self.table != "stock_projection":
            return False
        edited = self.apply(plan)
        end = max(str(table.stock_projection.date.astype(str).max()) for table in (plan, edited))
        return daily_stock(plan.stock_projection, end) == daily_stock(edited.stock_projection, end)

    def __str__(self) -> str:
        what = "delete row" if self.column is None else f"{self.column} {self.label}"
        return f"{self.table}[{self.row}] {what}"

    def apply(self, plan: Plan) -> Plan:
        """A copy of ``plan`` with this edit made."""
        table = getattr(plan, self.table).copy()
        if self.column is None:
            table = table.drop(index=table.index[self.row]).reset_index(drop=True)
        else:
            column = table[self.column].astype(object)
            column.iloc[self.row] = self.value
            table[self.column] = column
        return replace(plan, **{self.table: table})


def daily_stock(projection: pd.DataFrame, end: str) -> dict[tuple[str, str, str], tuple[int, ...]]:
    """Every non-zero (opening, movements, closing) of each site, lot and day up to ``end`` under
    the format's carry-over rule (a day without a row moves nothing and keeps the last closing)."""
    figures = ["opening", "received", "issued", "administered", "wasted", "expired", "closing"]
    found = {}
    last_day = dt.date.fromisoformat(end)
    for (site, lot), rows in projection.sort_values("date").groupby(["site_id", "lot_id"]):
        by_day = {str(row.date): tuple(int(getattr(row, f)) for f in figures) for row in rows.itertuples()}
        day, closing = dt.date.fromisoformat(min(by_day)), 0
        while day <= last_day:
            today = by_day.get(day.isoformat(), (closing, 0, 0, 0, 0, 0, closing))
            closing = today[-1]
            if any(today):
                found[(site, lot, day.isoformat())] = today
            day += dt.timedelta(days=1)
    return found


def _changed(value: Any, kind: str, others: list[Any]) -> Iterator[tuple[Any, str]]:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return
    if kind == "integer":
        value = int(value)
        yield value + 1, "+1"
        yield value * 10 if value else 5, "x10"
        if value > 0:
            yield value - 1, "-1"
    elif kind == "number":
        yield float(value) * 1.5 + 1, "x1.5+1"
    elif kind == "date":
        day = dt.date.fromisoformat(str(value)[:10])
        for days in (1, 30, -1):
            yield (day + dt.timedelta(days=days)).isoformat(), f"{days:+d} days"
    elif kind == "string":
        alternatives = [other for other in others if other != value]
        if alternatives:
            yield alternatives[0], f"-> {alternatives[0]}"


def catalogue(plan: Plan, rows_per_table: int = 2) -> list[Edit]:
    """Every edit of the catalogue for ``plan``: each column of the first and last rows of each
    table changed in the ways :func:`_changed` lists, and those rows deleted."""
    edits = []
    for name, spec in TABLES.items():
        table = getattr(plan, name)
        if not len(table):
            continue
        rows = sorted({0, len(table) - 1})[:rows_per_table]
        for row in rows:
            for column in spec.columns:
                others = list(pd.unique(table[column.name].dropna()))[:20]
                value = table[column.name].iloc[row]
                for new, label in _changed(value, column.type, others):
                    edits.append(Edit(name, row, column.name, new, label))
            edits.append(Edit(name, row, None, label="deleted"))
    return edits
