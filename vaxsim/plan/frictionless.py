"""Check CSV tables against a Frictionless Table Schema: header, types, required, constraints,
primary, unique and foreign keys.

Only the subset of Frictionless that the plan's ``datapackage.json`` uses (field types
``string``, ``integer``, ``number``, ``date``; constraints ``required``, ``minimum``, ``maximum``,
``pattern``, ``enum``; ``primaryKey``, ``uniqueKeys``, ``foreignKeys``), written out here so the
checker needs no third-party validator. Every problem names the file and line.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from vaxsim.plan.csv_table import csv_rows, raw_frame
from vaxsim.plan.violations import Violation, key_text

_INTEGER = re.compile(r"^[+-]?[0-9]+$")


@dataclass
class ParsedTable:
    """A CSV table read against its schema: typed values of the rows without problems.

    ``frame``: one ``object`` column per field (typed values, missing = ``None``) and the CSV
    line of each row in ``csv_line``, for rows whose every cell is valid; ``bad_lines``: lines
    with a cell problem, left out; ``duplicate_keys``: a primary or unique key repeats.
    """

    name: str
    path: str
    fields: list[str]
    frame: pd.DataFrame | None = None
    bad_lines: set[int] = field(default_factory=set)
    duplicate_keys: bool = False

    def __post_init__(self) -> None:
        if self.frame is None:
            self.frame = frame_of_rows(self.fields, [])

    @property
    def rows(self) -> list[tuple[int, dict[str, Any]]]:
        """``(line, {field: value})`` of the valid rows (built on demand: slow for big tables)."""
        columns = [self.column(name) for name in self.fields]
        return [
            (line, dict(zip(self.fields, values, strict=True)))
            for line, values in zip(self.lines(), zip(*columns, strict=True), strict=True)
        ]

    def column(self, name: str) -> list[Any]:
        return self.frame[name].tolist()

    def lines(self) -> list[int]:
        return self.frame["csv_line"].tolist()


def frame_of_rows(fields: list[str], rows: list[tuple[int, dict[str, Any]]]) -> pd.DataFrame:
    """The ``frame`` of :class:`ParsedTable` from ``(line, values)`` rows."""
    data = {name: pd.Series(_objects([values[name] for _, values in rows]), dtype=object) for name in fields}
    data["csv_line"] = pd.Series(np.array([line for line, _ in rows], dtype="int64"))
    return pd.DataFrame(data, columns=[*fields, "csv_line"])


def _objects(values: list[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


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


@functools.lru_cache(maxsize=64)
def _pattern(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _constraint_problem(value: Any, constraints: dict[str, Any]) -> str | None:
    if "minimum" in constraints and value < constraints["minimum"]:
        return f"{value} is below the minimum {constraints['minimum']}"
    if "maximum" in constraints and value > constraints["maximum"]:
        return f"{value} is above the maximum {constraints['maximum']}"
    if "pattern" in constraints and not _pattern(constraints["pattern"]).fullmatch(str(value)):
        return f"{value!r} does not match the pattern {constraints['pattern']}"
    if "enum" in constraints and value not in constraints["enum"]:
        return f"{value!r} is not one of {', '.join(map(str, constraints['enum']))}"
    return None


def parse_csv(name: str, path: str, text: str, schema: dict[str, Any]) -> tuple[ParsedTable, list[Violation]]:
    """Read CSV ``text`` (file ``path`` of resource ``name``) against its Table Schema.

    A table without problems is read column by column (each distinct text parsed once); any
    problem sends the whole table through the row-by-row reader, which reports every one.
    """
    table = _parse_csv_fast(name, path, text, schema)
    if table is not None:
        return table, []
    return _parse_csv_rows(name, path, text, schema)


def _parse_csv_fast(name: str, path: str, text: str, schema: dict[str, Any]) -> ParsedTable | None:
    fields = schema["fields"]
    names = [f["name"] for f in fields]
    raw = raw_frame(text, names)
    if raw is None:
        return None
    missing_values = set(schema.get("missingValues", [""]))
    data = {}
    for spec in fields:
        constraints = spec.get("constraints", {})
        codes, uniques = pd.factorize(raw[spec["name"]].to_numpy(dtype=object))
        typed = np.empty(len(uniques) + 1, dtype=object)
        for i, text_value in enumerate(uniques.tolist()):
            if text_value in missing_values:
                if constraints.get("required"):
                    return None
                typed[i] = None
                continue
            try:
                value = parse_value(text_value, spec["type"])
            except ValueError:
                return None
            if _constraint_problem(value, constraints):
                return None
            typed[i] = value
        data[spec["name"]] = pd.Series(typed[codes], dtype=object)  # not inferred as pandas' str
    data["csv_line"] = pd.Series(np.arange(2, len(raw) + 2, dtype="int64"))
    frame = pd.DataFrame(data, columns=[*names, "csv_line"])
    table = ParsedTable(name, path, names, frame)
    for _, key in _keys(schema):
        if len(frame) and frame.duplicated(subset=key).any():
            return None
    return table


def _keys(schema: dict[str, Any]) -> list[tuple[str, list[str]]]:
    keys = []
    if schema.get("primaryKey"):
        keys.append(("primary key", list(schema["primaryKey"])))
    keys += [("unique key", list(key)) for key in schema.get("uniqueKeys", [])]
    return keys


def _parse_csv_rows(
    name: str, path: str, text: str, schema: dict[str, Any]
) -> tuple[ParsedTable, list[Violation]]:
    fields = schema["fields"]
    names = [f["name"] for f in fields]
    missing_values = set(schema.get("missingValues", [""]))
    table = ParsedTable(name, path, names)
    good: list[tuple[int, dict[str, Any]]] = []
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
            good.append((line, values))
    table.frame = frame_of_rows(names, good)
    key_problems = _key_problems(good, table.path, schema)
    table.duplicate_keys = bool(key_problems)
    return table, problems + key_problems


def _key_problems(
    rows: list[tuple[int, dict[str, Any]]], path: str, schema: dict[str, Any]
) -> list[Violation]:
    problems = []
    for kind, key in _keys(schema):
        seen: dict[tuple, int] = {}
        for line, values in rows:
            value = tuple(values[name] for name in key)
            if kind == "unique key" and any(part is None for part in value):
                continue
            if value in seen:
                problems.append(
                    Violation(
                        path,
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
        known = set(zip(*(target.column(name) for name in ref_fields), strict=True))
        could_match = _only_bad_rows_could_match(target)
        values = zip(*(table.column(name) for name in fields), strict=True)
        for line, value in zip(table.lines(), values, strict=True):
            if None in value:
                continue
            if value not in known and not could_match:
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
    return not len(target.frame) and bool(target.bad_lines)
