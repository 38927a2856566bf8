"""The :class:`Plan`: the optimizer's answer as pandas tables, before it becomes a bundle.

A plan is the eleven tables of :mod:`vaxsim.plan.tables` (one DataFrame each, columns in that
order) plus what produced it (scenario, seed, solver) and what the optimizer found on the way
(objective terms, binding constraints, per-sub-problem log). ``vaxsim.optimize`` returns one;
the bundle writer saves it; ``vaxsim.plan.read`` loads a bundle back to an equal ``Plan``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from vaxsim.plan.tables import TABLES

FORMAT = "vaxsim.plan/1.2.0"  # 1.1.0: sites.lat_lon_source; 1.2.0: opening_stock, notice lead
STATUSES = ("draft", "proposed", "approved", "superseded")

#: ``summary["follow_ups"]``: the plan's follow-up policy, which invariant 8 checks.
#: Reserved: every free first-dose slot has its next dose's capacity reserved at its site.
FOLLOW_UPS_RESERVED = "reserved"
#: First doses first (Viet Nam's 2021 practice): next doses come from later plans and deliveries.
FIRST_DOSES_FIRST = "first_doses_first"


def empty_table(name: str) -> pd.DataFrame:
    """An empty DataFrame with the columns of plan table ``name``."""
    return pd.DataFrame({column: pd.Series(dtype=object) for column in TABLES[name].column_names})


def _free_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A free-form table (findings, log) as plan.json gives it back: text column names, RangeIndex."""
    out = frame.reset_index(drop=True)
    out.columns = pd.Index([str(column) for column in frame.columns], dtype=object)
    return out


@dataclass
class Plan:
    """An optimized plan (PLAN_FORMAT.md).

    Tables (one attribute each, DataFrames with the columns of :data:`vaxsim.plan.tables.TABLES`
    in that order): ``products``, ``product_codes``, ``sites``, ``lots``, ``shipments``,
    ``shipment_lines``, ``capacity``, ``registrant_allocations``, ``appointments``,
    ``stock_projection``, ``opening_stock`` (a re-plan's starting state; empty otherwise).

    Metadata: ``plan_id`` and ``revision`` (deterministic from scenario and seed), ``scenario``
    ``{name, seed, sha256}``, ``solver`` ``{name, status, objective, gap, seconds}``,
    ``summary`` (headline figures: doses planned, unmet demand, objective terms),
    ``findings`` (what limits the plan, one row per binding constraint or slack used, with a
    ``message`` in words), ``log`` (one row per solved sub-problem: sizes and times),
    ``robustness`` (filled by re-simulation, else empty), and ``scenario_json``: the scenario
    the plan was made from as canonical JSON (its sha256 is ``scenario["sha256"]``; written as
    ``scenario.json``, so the bundle can be checked against it without the scenario file).
    """

    products: pd.DataFrame = field(default_factory=lambda: empty_table("products"))
    product_codes: pd.DataFrame = field(default_factory=lambda: empty_table("product_codes"))
    sites: pd.DataFrame = field(default_factory=lambda: empty_table("sites"))
    lots: pd.DataFrame = field(default_factory=lambda: empty_table("lots"))
    shipments: pd.DataFrame = field(default_factory=lambda: empty_table("shipments"))
    shipment_lines: pd.DataFrame = field(default_factory=lambda: empty_table("shipment_lines"))
    capacity: pd.DataFrame = field(default_factory=lambda: empty_table("capacity"))
    registrant_allocations: pd.DataFrame = field(
        default_factory=lambda: empty_table("registrant_allocations")
    )
    appointments: pd.DataFrame = field(default_factory=lambda: empty_table("appointments"))
    stock_projection: pd.DataFrame = field(default_factory=lambda: empty_table("stock_projection"))
    opening_stock: pd.DataFrame = field(default_factory=lambda: empty_table("opening_stock"))

    plan_id: str = ""
    revision: int = 1
    supersedes: str | None = None
    status: str = "draft"
    scenario: dict[str, Any] = field(default_factory=dict)
    solver: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    findings: pd.DataFrame = field(default_factory=pd.DataFrame)
    log: pd.DataFrame = field(default_factory=pd.DataFrame)
    robustness: dict[str, Any] = field(default_factory=dict)
    scenario_json: str = ""

    def tables(self) -> dict[str, pd.DataFrame]:
        """The ten plan tables by name, in the order of PLAN_FORMAT.md."""
        return {name: getattr(self, name) for name in TABLES}

    def column_problems(self) -> list[str]:
        """Tables whose columns differ from :data:`~vaxsim.plan.tables.TABLES` (empty if none)."""
        found = []
        for name, table in self.tables().items():
            expected = TABLES[name].column_names
            if list(table.columns) != expected:
                found.append(f"table {name}: columns {list(table.columns)} differ from {expected}")
        return found

    def normalised(self) -> Plan:
        """A copy with canonical tables (see :mod:`vaxsim.plan.values`: ``int64`` / ``Int64``
        integers, ``float64`` numbers, dates as ``"YYYY-MM-DD"`` text, text as ``object`` with
        ``None`` for missing) and every ``scenario`` / ``solver`` key present.

        This is what :func:`vaxsim.plan.read` returns for a bundle written from this plan.
        Raises ``ValueError`` naming table, row and column of a cell that does not fit.
        """
        from vaxsim.plan.document import metadata
        from vaxsim.plan.values import normalise_table

        meta = metadata(self)
        return replace(
            self,
            **{name: normalise_table(name, table) for name, table in self.tables().items()},
            scenario=meta["scenario"],
            solver=meta["solver"],
            revision=meta["revision"],
            findings=_free_frame(self.findings),
            log=_free_frame(self.log),
        )

    def write(
        self, folder: str | os.PathLike[str], *, now: dt.datetime | None = None, replace: bool = False
    ) -> Path:
        """Write the plan as a checksummed bundle ``folder/plan-<plan_id>-r<revision>/``.

        Returns the bundle's path. ``now`` fixes the manifest's ``generated_at`` (default: the
        current time). ``replace`` swaps out a bundle of the same revision that vaxsim wrote.
        Example: ``plan.write("plans/vn-2021")``. See
        :func:`vaxsim.plan.bundle.write_bundle` for the errors.
        """
        from vaxsim.plan.bundle import write_bundle

        return write_bundle(self, folder, now=now, replace=replace)
