"""Check CSV tables against a Frictionless Table Schema: header, types, required, constraints,
primary, unique and foreign keys.

Only the subset of Frictionless that the plan's ``datapackage.json`` uses (field types
``string``, ``integer``, ``number``, ``date``; constraints ``required``, ``minimum``, ``maximum``,
``pattern``, ``enum``; ``primaryKey``, ``uniqueKeys``, ``foreignKeys``), written out here so the
checker needs no third-party validator. Every problem names the file and line.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from vaxsim.plan.csv_table import csv_rows
from vaxsim.plan.violations import Violation, key_text

_INTEGER = re.compile(r"^[+-]?[0-9]+$")


@dataclass
class ParsedTable:
    """A CSV table read against its schema: typed values of the rows without problems.

    ``rows``: ``(line, {field: value})`` for rows whose every cell is valid (missing = ``None``);
    ``bad_lines``: lines with a cell problem, left out of ``rows``.
    """

    name: str
    path: str
    fields: list[str]
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    bad_lines: set[int] = field(default_factory=set)


def parse_value(text: str, kind: str) -> Any:
    """Typed value of non-empty CSV text, or raise ``ValueError`` with the reason."""
    if kind == "string":
        return text
    if kind == "integer":
        if not _INTEGER.match(text):
            raise ValueError(f"{text!r} is not an integer")
        return int(text)
    if kind == "number":
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{text!r} is not a finite number")
        return value
    if kind == "date":
        try:
            if len(text) != 10:
                raise ValueError
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"{text!r} is not a date YYYY-MM-DD") from None
    raise ValueError(f"unknown field type {kind!r}")


def _constraint_problem(value: Any, constraints: dict[str, Any]) -> str | None:
    if "minimum" in constraints and value < constraints["minimum"]:
        return f"{value} is below the minimum {constraints['minimum']}"
    if "maximum" in constraints and value > constraints["maximum"]:
        return f"{value} is above the maximum {constraints['maximum']}"
    if "pattern" in constraints and not re.fullmatch(constraints["pattern"], str(value)):
        return f"{value!r} does not match the pattern {constraints['pattern']}"
    if "enum" in constraints and value not in constraints["enum"]:
        return f"{value!r} is not one of {', '.join(map(str, constraints['enum']))}"
    return None


def parse_csv(name: str, path: str, text: str, schema: dict[str, Any]) -> tuple[ParsedTable, list[Violation]]:
    """Read CSV ``text`` (file ``path`` of resource ``name``) against its Table Schema."""
    fields = schema["fields"]
    names = [f["name"] for f in fields]
    missing_values = set(schema.get("missingValues", [""]))
    table = ParsedTable(name, path, names)
    problems: list[Violation] = []
    rows = csv_rows(text)
    if not rows or rows[0] != names:
        found = rows[0] if rows else []
        problems.append(
            Violation(path, 1, "", f"header {found} differs from the schema's fields {names}", "schema")
        )
        return table, problems
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(names):
            problems.append(Violation(path, line, "", f"{len(row)} fields, expected {len(names)}", "schema"))
            table.bad_lines.add(line)
            continue
        values: dict[str, Any] = {}
        bad = False
        for text_value, spec in zip(row, fields, strict=True):
            constraints = spec.get("constraints", {})
            if text_value in missing_values:
                values[spec["name"]] = None
                if constraints.get("required"):
                    problems.append(
                        Violation(path, line, "", f"{spec['name']}: a value is required", "schema")
                    )
                    bad = True
                continue
            try:
                value = parse_value(text_value, spec["type"])
            except ValueError as error:
                problems.append(Violation(path, line, "", f"{spec['name']}: {error}", "schema"))
                bad = True
                continue
            reason = _constraint_problem(value, constraints)
            if reason:
                problems.append(Violation(path, line, "", f"{spec['name']}: {reason}", "schema"))
                bad = True
            values[spec["name"]] = value
        if bad:
            table.bad_lines.add(line)
        else:
            table.rows.append((line, values))
    problems += _key_problems(table, schema)
    return table, problems


def _key_problems(table: ParsedTable, schema: dict[str, Any]) -> list[Violation]:
    problems = []
    keys = []
    if schema.get("primaryKey"):
        keys.append(("primary key", list(schema["primaryKey"])))
    keys += [("unique key", list(key)) for key in schema.get("uniqueKeys", [])]
    for kind, key in keys:
        seen: dict[tuple, int] = {}
        for line, values in table.rows:
            value = tuple(values[name] for name in key)
            if kind == "unique key" and any(part is None for part in value):
                continue
            if value in seen:
                problems.append(
                    Violation(
                        table.path,
                        line,
                        key_text(key, value),
                        f"duplicate {kind} (first on line {seen[value]})",
                        "schema",
                    )
                )
            else:
                seen[value] = line
    return problems


def foreign_key_problems(
    table: ParsedTable, schema: dict[str, Any], tables: dict[str, ParsedTable]
) -> list[Violation]:
    """Rows whose foreign keys refer to no row of the referenced table (empty keys are allowed)."""
    problems = []
    for fk in schema.get("foreignKeys", []):
        fields = list(fk["fields"])
        resource = fk["reference"]["resource"] or table.name
        if resource not in tables:
            problems.append(
                Violation(table.path, None, "", f"foreign key refers to unknown table {resource}", "schema")
            )
            continue
        target = tables[resource]
        ref_fields = list(fk["reference"]["fields"])
        known = {tuple(values[name] for name in ref_fields) for _, values in target.rows}
        for line, values in table.rows:
            value = tuple(values[name] for name in fields)
            if any(part is None for part in value):
                continue
            if value not in known and not _only_bad_rows_could_match(target):
                problems.append(
                    Violation(
                        table.path,
                        line,
                        key_text(fields, value),
                        f"refers to no row of {resource} ({', '.join(ref_fields)})",
                        "schema",
                    )
                )
    return problems


def _only_bad_rows_could_match(target: ParsedTable) -> bool:
    """A referenced table whose rows all failed to parse: its keys are unknown, not absent."""
    return not target.rows and bool(target.bad_lines)
