"""DHIS2 ``dataValueSets`` of a plan (JSON and CSV), from a YAML mapping of plan metrics to data
element codes (default: ``dhis2_mapping.yaml`` beside this module, which documents the format)
and, optionally, an org-unit UID file (``--org-units FILE``: CSV ``org_unit,uid[,name]``; the
example ``data/dhis2_org_units.example.csv`` maps the demo scenario's sites).

Values are whole numbers per organisation unit, day (period ``yyyyMMdd``) and category option
combo; rows are sorted so the same plan and mapping give the same files.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from vaxsim.io.input_file import MAX_SCENARIO_BYTES, read_input_text
from vaxsim.io.spreadsheet import neutralise
from vaxsim.plan.exports.common import ExportError
from vaxsim.plan.plan import Plan

DEFAULT_MAPPING = Path(__file__).with_name("dhis2_mapping.yaml")
BY_DOSE = {"doses_planned": "capacity", "appointments_booked": "booked", "free_slots": None}
BY_PRODUCT = {
    "doses_administered": "administered",
    "doses_wasted": "wasted",
    "doses_expired": "expired",
    "doses_received": "received",
    "closing_stock": "closing",
}
METRICS = (*BY_DOSE, *BY_PRODUCT)
ORG_UNIT_COLUMNS = ("site_id", "district_code", "province_code")
CSV_HEADER = [
    "dataelement",
    "period",
    "orgunit",
    "categoryoptioncombo",
    "attributeoptioncombo",
    "value",
    "storedby",
    "lastupdated",
    "comment",
    "followup",
]


#: A DHIS2 UID: eleven letters and digits, the first a letter (DHIS2's CodeGenerator rule).
UID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")
ORG_UNIT_FILE_HEADER = ["org_unit", "uid"]


def load_org_units(path: str | os.PathLike[str]) -> dict[str, str]:
    """An org-unit UID mapping file: CSV with a header ``org_unit,uid`` (further columns, such as
    ``name``, are kept for people and ignored), one row per plan org unit (a site id, district
    code or province code, as the mapping's ``org_unit`` says) and its DHIS2 UID. Raises
    :class:`ExportError` naming the file, line and field of a problem."""
    source = Path(path)
    try:
        rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"), newline="")))
    except (OSError, UnicodeDecodeError) as error:
        raise ExportError(f"{source}: cannot read the org-unit UID file: {error}") from None
    if not rows or rows[0][:2] != ORG_UNIT_FILE_HEADER:
        raise ExportError(f"{source}:1: header must start with {','.join(ORG_UNIT_FILE_HEADER)}")
    units: dict[str, str] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        unit, uid = (row + ["", ""])[:2]
        if not unit:
            raise ExportError(f"{source}:{line}: org_unit: a value is required")
        if not UID_PATTERN.match(uid):
            raise ExportError(
                f"{source}:{line}: uid: {uid!r} is not a DHIS2 UID (11 letters or digits, a letter first)"
            )
        if unit in units:
            raise ExportError(f"{source}:{line}: org_unit: {unit!r} is listed twice")
        units[unit] = uid
    return units


def load_mapping(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The mapping at ``path`` (default: the shipped one), checked; raises :class:`ExportError`."""
    source = Path(path) if path is not None else DEFAULT_MAPPING
    try:
        mapping = yaml.safe_load(read_input_text(source, limit=MAX_SCENARIO_BYTES))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as error:
        raise ExportError(f"{source}: cannot read the DHIS2 mapping: {error}") from None
    if (
        not isinstance(mapping, dict)
        or not isinstance(mapping.get("metrics"), dict)
        or not mapping["metrics"]
    ):
        raise ExportError(f"{source}: a DHIS2 mapping needs a 'metrics' mapping")
    if mapping.get("org_unit", "site_id") not in ORG_UNIT_COLUMNS:
        raise ExportError(f"{source}: org_unit must be one of {', '.join(ORG_UNIT_COLUMNS)}")
    if mapping.get("id_scheme", "code") not in ("code", "uid"):
        raise ExportError(f"{source}: id_scheme must be code or uid")
    for metric, target in mapping["metrics"].items():
        if metric not in METRICS:
            raise ExportError(f"{source}: metrics.{metric}: unknown metric (one of {', '.join(METRICS)})")
        if not isinstance(target, dict) or not target.get("data_element"):
            raise ExportError(f"{source}: metrics.{metric}: needs a data_element")
        combo = str(target.get("category_option_combo", ""))
        if metric in BY_PRODUCT and "{dose}" in combo:
            raise ExportError(f"{source}: metrics.{metric}: has no dose number; remove {{dose}}")
    return mapping


def _combo(target: dict[str, Any], product: str, dose: int | None) -> str | None:
    explicit = target.get("category_option_combos") or {}
    for key in ((f"{product}/{dose}",) if dose is not None else ()) + (product,):
        if key in explicit:
            return str(explicit[key])
    template = target.get("category_option_combo")
    if not template:
        return None
    return str(template).replace("{product}", product).replace("{dose}", "" if dose is None else str(dose))


def data_values(
    plan: Plan, mapping: dict[str, Any], uids: dict[str, str] | None = None
) -> list[dict[str, str]]:
    """DHIS2 data values (``dataElement, period, orgUnit, categoryOptionCombo, value``).

    ``uids`` (from :func:`load_org_units`) replaces every org unit by its DHIS2 UID; an org unit
    it does not list is an :class:`ExportError` (DHIS2 would reject the value)."""
    level = mapping.get("org_unit", "site_id")
    org_units = uids if uids is not None else (mapping.get("org_units") or {})
    unit_of = dict(zip(plan.sites.site_id, plan.sites[level], strict=True))
    product_of = dict(zip(plan.lots.lot_id, plan.lots.product_id, strict=True))
    totals: dict[tuple, int] = defaultdict(int)
    capacity = plan.capacity.assign(free=plan.capacity.capacity - plan.capacity.booked)
    stock = plan.stock_projection.assign(product_id=plan.stock_projection.lot_id.map(product_of))
    for metric in mapping["metrics"]:
        if metric in BY_DOSE:
            column = BY_DOSE[metric] or "free"
            for row in capacity.itertuples():
                key = (
                    metric,
                    unit_of.get(row.site_id),
                    row.service_date,
                    row.product_id,
                    int(row.dose_number),
                )
                totals[key] += int(getattr(row, column))
        else:
            column = BY_PRODUCT[metric]
            for row in stock.itertuples():
                totals[(metric, unit_of.get(row.site_id), row.date, row.product_id, None)] += int(
                    getattr(row, column)
                )
    if uids is not None:
        _all_have_uids({unit for (_, unit, *_rest) in totals}, uids, level)
    values = []
    attribute = mapping.get("attribute_option_combo")
    for (metric, unit, date, product, dose), value in totals.items():
        if unit is None or (isinstance(unit, float) and pd.isna(unit)):
            continue  # a store above the chosen level (e.g. the national store by district)
        target = mapping["metrics"][metric]
        entry = {
            "dataElement": str(target["data_element"]),
            "period": date.replace("-", ""),
            "orgUnit": str(org_units.get(unit, unit)),
        }
        combo = _combo(target, product, dose)
        if combo:
            entry["categoryOptionCombo"] = combo
        if attribute:
            entry["attributeOptionCombo"] = str(attribute)
        entry["value"] = str(value)
        values.append(entry)
    order = ("dataElement", "orgUnit", "period", "categoryOptionCombo")
    return sorted(values, key=lambda entry: tuple(entry.get(key, "") for key in order))


def _all_have_uids(units: set, uids: dict[str, str], level: str) -> None:
    missing = sorted(str(u) for u in units if isinstance(u, str) and u not in uids)
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        raise ExportError(f"the org-unit UID file lists no UID for {len(missing)} {level} value(s): {shown}")


def write_dhis2(
    plan: Plan,
    folder: Path,
    mapping: dict[str, Any],
    *,
    completed: str,
    uids: dict[str, str] | None = None,
) -> list[Path]:
    """Write ``dataValueSets.json`` and ``dataValueSets.csv`` into ``folder``.

    ``completed``: the bundle's ``generated_at`` instant; its day is the ``completeDate`` of the
    data set when the mapping names one (``data_set``). ``uids``: org unit → DHIS2 UID
    (:func:`load_org_units`); the org units are then matched by UID.
    """
    values = data_values(plan, mapping, uids)
    scheme = "CODE" if mapping.get("id_scheme", "code") == "code" else "UID"
    document: dict[str, Any] = {
        "dataElementIdScheme": scheme,
        "orgUnitIdScheme": "UID" if uids is not None else scheme,
        "categoryOptionComboIdScheme": scheme,
        "dataValues": values,
    }
    if mapping.get("data_set"):
        document = {"dataSet": str(mapping["data_set"]), "completeDate": completed[:10], **document}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for value in values:
        writer.writerow(
            neutralise(str(cell))
            for cell in [
                value["dataElement"],
                value["period"],
                value["orgUnit"],
                value.get("categoryOptionCombo", ""),
                value.get("attributeOptionCombo", ""),
                value["value"],
                "vaxsim",
                "",
                "",
                "false",
            ]
        )
    json_path, csv_path = folder / "dataValueSets.json", folder / "dataValueSets.csv"
    json_path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    csv_path.write_text(buffer.getvalue(), encoding="utf-8")
    return [json_path, csv_path]
