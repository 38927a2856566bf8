"""The bundle's ``datapackage.json``: a Frictionless Tabular Data Package built from
:data:`vaxsim.plan.tables.TABLES` (one resource per table: path, field types, required, keys).

Field constraints beyond type and required (enumerations, the id pattern) are stated here so
any Frictionless tool checks the same rules as ``vaxsim plan check``.
"""

from __future__ import annotations

from typing import Any

from vaxsim.plan.ids import ID_PATTERN
from vaxsim.plan.tables import LAT_LON_SOURCES, SHIPMENT_STATUSES, SITE_TYPES, TABLES, Column, TableSpec

#: Ids that the plan makes itself must be valid FHIR ids, so a re-export updates resources
#: instead of duplicating them (PLAN_FORMAT.md, "Conventions"). Ids that come from the scenario
#: (products, sites, lots) may hold other characters; the exports map them to FHIR ids.
PLAN_MADE_IDS = {
    ("shipments", "shipment_id"),
    ("capacity", "capacity_id"),
    ("registrant_allocations", "allocation_id"),
    ("appointments", "appointment_id"),
}
#: Every other id column (places, products, lots, units): letters, digits, ``_ . -``, starting
#: with a letter or digit, so that no id can be a spreadsheet formula (``=cmd|...``), a path or
#: markup; checked when a bundle is written and when it is read.
REFERENCE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$"
#: A keyed hash in hexadecimal: at least 64 bits, and never a name or a phone number.
PERSON_KEY_PATTERN = r"^[0-9a-f]{16,128}$"
CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
#: RFC 3339 instant with an explicit offset (``Z`` or ``±HH:MM``).
INSTANT_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})$"
)

NON_NEGATIVE = {
    ("products", "doses_per_vial"): 1,
    ("products", "series_doses"): 1,
    ("products", "min_interval_days"): 0,
    ("products", "max_interval_days"): 0,
    ("products", "open_vial_hours"): 0,
    ("products", "packed_volume_cm3_per_dose"): 0,
    ("sites", "cold_chain_litres_2_8c"): 0,
    ("sites", "cold_chain_litres_frozen"): 0,
    ("sites", "cold_chain_litres_ult"): 0,
    ("sites", "max_doses_per_day"): 0,
    ("lots", "doses"): 0,
    ("shipment_lines", "line_no"): 1,
    ("shipment_lines", "doses"): 1,
    ("capacity", "dose_number"): 1,
    ("capacity", "capacity"): 0,
    ("capacity", "booked"): 0,
    ("registrant_allocations", "dose_number"): 1,
    ("registrant_allocations", "persons"): 0,
    **{
        ("stock_projection", name): 0
        for name in ("opening", "received", "issued", "administered", "wasted", "expired", "closing")
    },
    **{("opening_stock", name): 0 for name in ("on_hand", "reserved", "in_transit")},
}


def field_constraints(table: str, column: Column) -> dict[str, Any]:
    """Frictionless constraints of one column (``required`` always present)."""
    constraints: dict[str, Any] = {"required": column.required}
    key = (table, column.name)
    if key in NON_NEGATIVE:
        constraints["minimum"] = NON_NEGATIVE[key]
    if key in PLAN_MADE_IDS:
        constraints["pattern"] = ID_PATTERN
    elif column.name.endswith("_id"):
        constraints["pattern"] = REFERENCE_ID_PATTERN
    if key == ("sites", "site_type"):
        constraints["enum"] = list(SITE_TYPES)
    if key == ("sites", "lat_lon_source"):
        constraints["enum"] = list(LAT_LON_SOURCES)
    if key == ("shipments", "status"):
        constraints["enum"] = list(SHIPMENT_STATUSES)
    if key in {("capacity", "session_start"), ("capacity", "session_end")}:
        constraints["pattern"] = CLOCK_PATTERN
    if key == ("appointments", "person_key"):
        constraints["pattern"] = PERSON_KEY_PATTERN
    if table == "appointments" and column.name in ("window_start", "window_end", "notify_at"):
        constraints["pattern"] = INSTANT_PATTERN
    if key == ("sites", "lat"):
        constraints.update(minimum=-90, maximum=90)
    if key == ("sites", "lon"):
        constraints.update(minimum=-180, maximum=180)
    return constraints


def table_schema(spec: TableSpec) -> dict[str, Any]:
    """The Frictionless Table Schema of one plan table."""
    fields = []
    for column in spec.columns:
        field: dict[str, Any] = {
            "name": column.name,
            "type": column.type,
            "description": column.description,
        }
        if column.type == "date":
            field["format"] = "default"  # Frictionless: ISO 8601 YYYY-MM-DD
        if column.unit is not None:
            field["unit"] = column.unit  # not a Frictionless keyword; tools keep it as metadata
        field["constraints"] = field_constraints(spec.name, column)
        fields.append(field)
    schema: dict[str, Any] = {
        "fields": fields,
        "missingValues": [""],
        "primaryKey": list(spec.primary_key),
    }
    if spec.unique_keys:
        schema["uniqueKeys"] = [list(key) for key in spec.unique_keys]
    if spec.foreign_keys:
        schema["foreignKeys"] = [
            {
                "fields": list(fk.fields),
                # Frictionless: an empty resource name refers to the table itself.
                "reference": {
                    "resource": "" if fk.reference_table == spec.name else fk.reference_table,
                    "fields": list(fk.reference_fields),
                },
            }
            for fk in spec.foreign_keys
        ]
    return schema


def table_path(name: str) -> str:
    """Path of a table's CSV inside the bundle."""
    return f"tables/{name}.csv"


def datapackage(plan_id: str, revision: int) -> dict[str, Any]:
    """The ``datapackage.json`` document of a bundle (no timestamps: it depends on the ids only)."""
    return {
        "profile": "tabular-data-package",
        "name": f"vaxsim-plan-{plan_id}-r{revision}".lower(),
        "title": f"vaxsim plan {plan_id}, revision {revision}",
        "description": "Vaccination campaign plan (lots, shipments, appointment capacity, stock). "
        "All quantities are whole doses or persons; dates are local calendar dates of the site.",
        "resources": [
            {
                "name": spec.name,
                "path": table_path(spec.name),
                "profile": "tabular-data-resource",
                "description": spec.description,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "lineTerminator": "\n", "header": True},
                "schema": table_schema(spec),
            }
            for spec in TABLES.values()
        ],
    }
