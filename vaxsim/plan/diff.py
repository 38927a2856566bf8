"""What changed between two plan bundles, by site, day and lot: shipments (doses of each lot
sent from a store to a site on a day), slots (appointment capacity per site, day, product and
dose number) and allocations (people allocated to a unit per day, product and dose number).

Only the bundles' CSV tables are read (not plan.json); neither bundle is changed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vaxsim.plan.csv_table import parse_table
from vaxsim.plan.datapackage import table_path
from vaxsim.plan.errors import PlanError
from vaxsim.plan.manifest import MANIFEST
from vaxsim.plan.values import ValueProblem

#: Columns of the diff table (one row per key whose quantity differs; missing = not in that plan).
DIFF_COLUMNS = [
    "what", "site_id", "from_site_id", "date", "lot_id", "product_id", "dose_number",
    "before", "after", "change",
]
_KEYS = ["site_id", "from_site_id", "date", "lot_id", "product_id", "dose_number"]


@dataclass
class PlanDiff:
    """Two bundles compared: ``changes`` (:data:`DIFF_COLUMNS`) and ``summary`` (per ``what``:
    keys added, removed and changed, and total quantity before and after)."""

    before: str
    after: str
    changes: pd.DataFrame
    summary: pd.DataFrame


def _table(bundle: Path, name: str) -> pd.DataFrame:
    file = bundle / table_path(name)
    try:
        return parse_table(name, file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise PlanError(f"{file}: cannot be read: {error}") from None
    except ValueProblem as problem:
        raise PlanError(f"{file}: {problem}") from None


def _label(bundle: Path) -> str:
    try:
        manifest = json.loads((bundle / MANIFEST).read_text(encoding="utf-8"))
        return f"{manifest['plan_id']} r{manifest['revision']}"
    except (OSError, ValueError, KeyError, TypeError):
        raise PlanError(f"{bundle / MANIFEST}: not a plan bundle's manifest") from None


def quantities(bundle: Path) -> pd.DataFrame:
    """The bundle's comparable quantities: columns ``what``, the keys and ``quantity``."""
    shipments = _table(bundle, "shipments")
    lines = _table(bundle, "shipment_lines").merge(shipments, on="shipment_id")
    lines = lines[lines.status != "cancelled"]
    shipped = lines.rename(columns={"to_site_id": "site_id", "ship_date": "date", "doses": "quantity"})
    capacity = _table(bundle, "capacity").rename(columns={"service_date": "date", "capacity": "quantity"})
    allocations = _table(bundle, "registrant_allocations").rename(
        columns={"to_unit_id": "site_id", "from_unit_id": "from_site_id", "service_date": "date",
                 "persons": "quantity"}
    )
    parts = []
    for what, frame in (("shipments", shipped), ("slots", capacity), ("allocations", allocations)):
        frame = frame.assign(what=what)
        for key in _KEYS:
            if key not in frame:
                frame[key] = ""
        frame = frame[["what", *_KEYS, "quantity"]].astype({"dose_number": object})
        frame = frame.fillna({key: "" for key in _KEYS})
        frame["dose_number"] = frame["dose_number"].map(lambda n: "" if n == "" else str(int(n)))
        parts.append(frame.groupby(["what", *_KEYS], sort=False, as_index=False)["quantity"].sum())
    return pd.concat(parts, ignore_index=True)


def diff(before: str | os.PathLike[str], after: str | os.PathLike[str]) -> PlanDiff:
    """Compare bundle ``before`` with bundle ``after`` (folders ``plan-<id>-r<n>/``).

    Raises :class:`~vaxsim.plan.errors.PlanError` naming a file that cannot be read.
    """
    old, new = Path(before), Path(after)
    labels = _label(old), _label(new)
    merged = quantities(old).merge(
        quantities(new), on=["what", *_KEYS], how="outer", suffixes=("_before", "_after")
    )
    merged["before"] = merged.pop("quantity_before").fillna(0).astype("int64")
    merged["after"] = merged.pop("quantity_after").fillna(0).astype("int64")
    merged["change"] = merged["after"] - merged["before"]
    changes = merged[merged.change != 0].sort_values(["what", "site_id", "date", "lot_id", "product_id",
                                                      "dose_number", "from_site_id"])
    changes = changes[DIFF_COLUMNS].reset_index(drop=True)
    return PlanDiff(labels[0], labels[1], changes, _summary(merged))


def _summary(merged: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for what in ("shipments", "slots", "allocations"):
        part = merged[merged.what == what]
        rows.append(
            {
                "what": what,
                "added": int(((part.before == 0) & (part.after != 0)).sum()),
                "removed": int(((part.before != 0) & (part.after == 0)).sum()),
                "changed": int(((part.before != 0) & (part.after != 0) & (part.change != 0)).sum()),
                "total_before": int(part.before.sum()),
                "total_after": int(part.after.sum()),
            }
        )
    return pd.DataFrame(rows)
