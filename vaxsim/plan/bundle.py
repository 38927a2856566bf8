"""Write a :class:`Plan` as a bundle ``plan-<plan_id>-r<revision>/`` (PLAN_FORMAT.md, "Layout").

The bundle is assembled in a temporary folder beside the target and renamed only when every
file is written, so a half-written bundle never looks complete. Apart from ``generated_at`` in
``manifest.json``, the same plan always gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from pathlib import Path

from vaxsim.io.atomic import Destination
from vaxsim.plan.checksums import sha256_bytes
from vaxsim.plan.csv_table import table_csv_text
from vaxsim.plan.datapackage import datapackage, field_constraints, table_path
from vaxsim.plan.document import json_text, plan_json_bytes
from vaxsim.plan.manifest import MANIFEST, manifest
from vaxsim.plan.plan import STATUSES, Plan
from vaxsim.plan.tables import TABLES

DATAPACKAGE = "datapackage.json"
PLAN_JSON = "plan.json"
#: The scenario the plan was made from, canonical JSON (its sha256 is plan.json's scenario.sha256).
SCENARIO_JSON = "scenario.json"
_PLAN_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def bundle_name(plan_id: str, revision: int) -> str:
    """Folder name of a bundle: ``plan-<plan_id>-r<revision>``."""
    return f"plan-{plan_id}-r{revision}"


def _local_now(plan: Plan) -> dt.datetime:
    zones = [zone for zone in plan.sites["timezone"].dropna().unique() if zone]
    zone = zoneinfo.ZoneInfo(str(zones[0])) if len(zones) == 1 else dt.UTC
    return dt.datetime.now(zone).replace(microsecond=0)


def bundle_files(plan: Plan) -> dict[str, bytes]:
    """Every file of the bundle except ``manifest.json``: path inside the bundle → bytes.

    ``plan`` must be canonical (:meth:`Plan.normalised`).
    """
    files = {DATAPACKAGE: json_text(datapackage(plan.plan_id, plan.revision)).encode("utf-8")}
    for name in TABLES:
        files[table_path(name)] = table_csv_text(name, getattr(plan, name)).encode("utf-8")
    files[PLAN_JSON] = plan_json_bytes(plan)
    if plan.scenario_json:
        files[SCENARIO_JSON] = plan.scenario_json.encode("utf-8")
    return files


def _check_ids(plan: Plan) -> None:
    """Raise ``ValueError`` naming table, row and column for an id with characters outside its
    column's pattern (the checker refuses the same ids when the bundle is read)."""
    for name, spec in TABLES.items():
        table = getattr(plan, name)
        for column in spec.columns:
            pattern = field_constraints(name, column).get("pattern")
            if pattern is None or not column.name.endswith("_id") or not len(table):
                continue
            values = table[column.name]
            present = values.notna()
            bad = present & ~values.astype(str).str.fullmatch(pattern.strip("^$"))
            if bad.any():
                row = int(bad.to_numpy().argmax())
                raise ValueError(
                    f"{name} row {row + 1}, column {column.name}: id {str(values.iloc[row])[:80]!r} "
                    f"has characters outside {pattern}"
                )


def write_bundle(
    plan: Plan, folder: str | os.PathLike[str], *, now: dt.datetime | None = None, replace: bool = False
) -> Path:
    """Write ``plan`` into ``folder/plan-<plan_id>-r<revision>/`` and return that path.

    ``now`` (an aware datetime) is the manifest's ``generated_at``; default: the current time in
    the sites' time zone (UTC when the sites use several). Raises ``ValueError`` for a plan id
    that is not a FHIR-style id, an unknown status, columns that differ from the format, or a
    cell that does not fit its column's type (naming table, row and column), and
    an id with characters outside its column's pattern (``REFERENCE_ID_PATTERN``),
    and :class:`~vaxsim.io.atomic.OutputExistsError` (a ``FileExistsError``) when that revision has
    already been written and ``replace`` is false (``replace`` swaps out only a bundle vaxsim
    wrote, once the new one is complete).
    """
    if not _PLAN_ID.match(plan.plan_id or ""):
        raise ValueError(f"plan_id {plan.plan_id!r} must match [A-Za-z0-9-.]{{1,64}}")
    if int(plan.revision) < 1:
        raise ValueError(f"revision {plan.revision!r} must be 1 or more")
    if plan.status not in STATUSES:
        raise ValueError(f"status {plan.status!r} is not one of {', '.join(STATUSES)}")
    canonical = plan.normalised()
    _check_ids(canonical)
    files = bundle_files(canonical)
    rows = {table_path(name): len(getattr(canonical, name)) for name in TABLES}
    entries = [
        {
            "path": path,
            "sha256": sha256_bytes(data),
            # Data rows of a CSV (the header is not a row); JSON files have no rows.
            "rows": rows.get(path),
        }
        for path, data in files.items()
    ]
    generated_at = now or _local_now(canonical)
    target = Path(folder) / bundle_name(canonical.plan_id, canonical.revision)
    with Destination(target, replace=replace).writing() as temporary:
        for path, data in files.items():
            (temporary / path).parent.mkdir(parents=True, exist_ok=True)
            (temporary / path).write_bytes(data)
        (temporary / MANIFEST).write_bytes(
            json_text(manifest(canonical, entries, generated_at)).encode("utf-8")
        )
    return target
