"""The published JSON Schema of ``plan.json``, generated from :data:`vaxsim.plan.tables.TABLES`.

The shipped file ``vaxsim/plan/plan.schema.json`` is this text; ``tests/plan`` fails when it is
out of date (regenerate it with ``vaxsim plan schema --write``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vaxsim.plan.datapackage import field_constraints
from vaxsim.plan.plan import FORMAT, STATUSES
from vaxsim.plan.tables import TABLES, Column, TableSpec

#: The shipped schema of ``plan.json``.
PLAN_SCHEMA_PATH = Path(__file__).with_name("plan.schema.json")
PLAN_SCHEMA_ID = "https://vaxsim.org/schema/plan.schema.json"

_JSON_TYPES = {"string": "string", "date": "string", "integer": "integer", "number": "number"}
_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def column_schema(table: str, column: Column) -> dict[str, Any]:
    """JSON Schema of one cell: its type (``null`` allowed when optional) and constraints."""
    json_type = _JSON_TYPES[column.type]
    schema: dict[str, Any] = {
        "type": json_type if column.required else [json_type, "null"],
        "description": column.description + (f" Unit: {column.unit}." if column.unit else ""),
    }
    if column.type == "date":
        schema["format"] = "date"
        schema["pattern"] = _DATE_PATTERN
    constraints = field_constraints(table, column)
    for keyword in ("minimum", "maximum", "pattern"):
        if keyword in constraints:
            schema[keyword] = constraints[keyword]
    if "enum" in constraints:
        schema["enum"] = constraints["enum"] + ([] if column.required else [None])
    return schema


def row_schema(spec: TableSpec) -> dict[str, Any]:
    """JSON Schema of one row of a table: an object with exactly the table's columns."""
    return {
        "type": "object",
        "description": spec.description,
        "properties": {column.name: column_schema(spec.name, column) for column in spec.columns},
        "required": spec.column_names,
        "additionalProperties": False,
    }


def _frame_schema(description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": {
            "columns": {"type": "array", "items": {"type": "string"}},
            "rows": {"type": "array", "items": {"type": "array"}},
        },
        "required": ["columns", "rows"],
        "additionalProperties": False,
    }


def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``plan.json``."""
    nullable_number = {"type": ["number", "null"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": PLAN_SCHEMA_ID,
        "title": "vaxsim plan",
        "description": "A vaccination campaign plan as one document: the same content as the bundle's "
        "tables/*.csv (PLAN_FORMAT.md), plus what produced it.",
        "type": "object",
        "properties": {
            "format": {"const": FORMAT},
            "plan_id": {"type": "string", "pattern": r"^[A-Za-z0-9\-.]{1,64}$"},
            "revision": {"type": "integer", "minimum": 1},
            "supersedes": {"type": ["string", "null"]},
            "status": {"enum": list(STATUSES)},
            "scenario": {
                "type": "object",
                "properties": {
                    "name": {"type": ["string", "null"]},
                    "seed": {"type": ["integer", "null"]},
                    "sha256": {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
                },
                "required": ["name", "seed", "sha256"],
            },
            "solver": {
                "type": "object",
                "properties": {
                    "name": {"type": ["string", "null"]},
                    "status": {"type": ["string", "null"]},
                    "objective": nullable_number,
                    "gap": nullable_number,
                    "seconds": nullable_number,
                },
                "required": ["name", "status", "objective", "gap", "seconds"],
            },
            "summary": {"type": "object", "description": "Headline figures of the plan."},
            "robustness": {"type": "object", "description": "Re-simulation scores (empty if none)."},
            "findings": _frame_schema("What limits the plan: one row per binding constraint or slack."),
            "log": _frame_schema("One row per solved sub-problem."),
            "tables": {
                "type": "object",
                "properties": {
                    name: {"type": "array", "items": row_schema(spec)} for name, spec in TABLES.items()
                },
                "required": list(TABLES),
                "additionalProperties": False,
            },
        },
        "required": [
            "format",
            "plan_id",
            "revision",
            "supersedes",
            "status",
            "scenario",
            "solver",
            "summary",
            "robustness",
            "findings",
            "log",
            "tables",
        ],
        "additionalProperties": False,
    }


def schema_text() -> str:
    """The schema as the exact text of the shipped file."""
    return json.dumps(plan_json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def shipped_schema() -> dict[str, Any]:
    """The schema as shipped in the package (what the checker validates ``plan.json`` against)."""
    return json.loads(PLAN_SCHEMA_PATH.read_text(encoding="utf-8"))
