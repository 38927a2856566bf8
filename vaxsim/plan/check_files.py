"""Checks of a bundle's files: manifest checksums and row counts, ``datapackage.json``, each CSV
against its schema, ``plan.json`` against the published JSON Schema and against the CSVs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema

from vaxsim.io.atomic import MARKER
from vaxsim.io.input_file import InputFileError, inside, read_bundle_text
from vaxsim.plan.bundle import DATAPACKAGE, PLAN_JSON
from vaxsim.plan.checksums import sha256_file
from vaxsim.plan.csv_table import csv_rows
from vaxsim.plan.datapackage import INSTANT_PATTERN, datapackage, table_path
from vaxsim.plan.frictionless import ParsedTable, foreign_key_problems, parse_csv, parse_value
from vaxsim.plan.json_schema import shipped_schema
from vaxsim.plan.manifest import MANIFEST
from vaxsim.plan.plan import FORMAT
from vaxsim.plan.tables import TABLES
from vaxsim.plan.violations import Violation, key_text

#: Folders of a bundle that the manifest does not cover (exports are derived, written later).
#: Not covered by the checksums: exports written beside the tables, and the marker that says
#: vaxsim wrote the folder (:data:`vaxsim.io.atomic.MARKER`).
UNCOVERED = ("exports/", MARKER)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def load_json(bundle: Path, name: str, rule: str) -> tuple[Any, list[Violation]]:
    """A JSON file of the bundle, or ``None`` and the reason it cannot be read."""
    try:
        return json.loads(read_bundle_text(bundle, name)), []
    except FileNotFoundError:
        return None, [Violation(name, None, "", "file is missing", rule)]
    except RecursionError:
        return None, [Violation(name, None, "", "not valid JSON: nested too deeply", rule)]
    except (OSError, UnicodeDecodeError) as error:
        return None, [Violation(name, None, "", f"cannot be read: {error}", rule)]
    except json.JSONDecodeError as error:
        return None, [Violation(name, error.lineno, "", f"not valid JSON: {error.msg}", rule)]


def check_manifest(bundle: Path, manifest: Any) -> list[Violation]:
    """Every listed file exists with its sha256 and row count; every file of the bundle is listed."""
    problems: list[Violation] = []
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        return [Violation(MANIFEST, None, "", "no files list", "manifest")]
    if manifest.get("format") != FORMAT:
        problems.append(
            Violation(MANIFEST, None, "", f"format {manifest.get('format')!r} is not {FORMAT}", "manifest")
        )
    if not re.fullmatch(INSTANT_PATTERN, str(manifest.get("generated_at", ""))):
        problems.append(
            Violation(
                MANIFEST,
                None,
                "generated_at",
                f"{manifest.get('generated_at')!r} is not an instant with its offset",
                "manifest",
            )
        )
    generator = manifest.get("generator")
    if not isinstance(generator, dict) or not {"name", "version", "git_sha"} <= set(generator):
        problems.append(Violation(MANIFEST, None, "generator", "needs name, version and git_sha", "manifest"))
    expected_name = f"plan-{manifest.get('plan_id')}-r{manifest.get('revision')}"
    if bundle.name != expected_name:
        problems.append(
            Violation(
                MANIFEST, None, "", f"bundle folder {bundle.name} should be named {expected_name}", "manifest"
            )
        )
    listed = set()
    for entry in manifest["files"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            problems.append(Violation(MANIFEST, None, "", f"bad files entry {entry!r}", "manifest"))
            continue
        path = entry["path"]
        listed.add(path)
        try:
            # Checked before anything is read or hashed: a path outside the bundle is never
            # opened, so its checksum cannot tell whether an outside file has a given hash.
            file = inside(bundle, path)
        except InputFileError as error:
            problems.append(Violation(MANIFEST, None, f"path={path[:80]}", str(error), "manifest"))
            continue
        if file.is_symlink() or (file.exists() and not file.is_file()):
            message = "is a symlink or not a regular file: bundle files must be regular files"
            problems.append(Violation(path, None, "", message, "manifest"))
            continue
        if not file.is_file():
            problems.append(Violation(path, None, "", "listed in manifest.json but missing", "manifest"))
            continue
        if not _HEX64.match(str(entry.get("sha256", ""))):
            problems.append(
                Violation(MANIFEST, None, f"path={path}", "sha256 is not 64 hex digits", "manifest")
            )
        elif sha256_file(file) != entry["sha256"]:
            problems.append(
                Violation(
                    path, None, "", "sha256 differs from manifest.json: the file was changed", "manifest"
                )
            )
        if path.endswith(".csv"):
            try:
                rows = csv_record_count(read_bundle_text(bundle, path)) - 1
            except (OSError, UnicodeDecodeError):
                continue  # reported by the schema check
            if rows != entry.get("rows"):
                problems.append(
                    Violation(
                        path, None, "", f"{rows} rows, manifest.json says {entry.get('rows')}", "manifest"
                    )
                )
    required = {DATAPACKAGE, PLAN_JSON, *(table_path(name) for name in TABLES)}
    for path in sorted(required - listed):
        problems.append(Violation(MANIFEST, None, "", f"{path} is not listed", "manifest"))
    for file in sorted(bundle.rglob("*")):
        relative = file.relative_to(bundle).as_posix()
        if (
            file.is_file()
            and relative != MANIFEST
            and relative not in listed
            and not relative.startswith(UNCOVERED)
        ):
            problems.append(Violation(relative, None, "", "not listed in manifest.json", "manifest"))
    return problems


def csv_record_count(text: str) -> int:
    """``len(csv_rows(text))`` (header included), counted without parsing when nothing is quoted."""
    if '"' in text or "\r" in text:
        return len(csv_rows(text))
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def check_datapackage(document: Any, plan_id: str, revision: int) -> list[Violation]:
    """The bundle's ``datapackage.json`` states the format's schemas (nothing loosened)."""
    if document is None:
        return []
    expected = datapackage(plan_id, revision)
    if not isinstance(document, dict) or not isinstance(document.get("resources"), list):
        return [Violation(DATAPACKAGE, None, "", "no resources list", "schema")]
    problems = []
    found = {r.get("name"): r for r in document["resources"] if isinstance(r, dict)}
    for resource in expected["resources"]:
        mine = found.get(resource["name"])
        if mine is None:
            problems.append(Violation(DATAPACKAGE, None, f"resource={resource['name']}", "missing", "schema"))
        elif mine.get("path") != resource["path"] or _rules(mine.get("schema")) != _rules(resource["schema"]):
            problems.append(
                Violation(
                    DATAPACKAGE,
                    None,
                    f"resource={resource['name']}",
                    f"path or schema differs from the {FORMAT} format",
                    "schema",
                )
            )
    return problems


def _rules(schema: Any) -> Any:
    """What a Table Schema enforces (names, types, constraints, keys), without its prose, so that
    rewording a description does not fail bundles written before."""
    if not isinstance(schema, dict):
        return schema
    fields = [
        (f.get("name"), f.get("type"), f.get("constraints")) if isinstance(f, dict) else f
        for f in schema.get("fields", [])
    ]
    return (fields, schema.get("primaryKey"), schema.get("uniqueKeys"), schema.get("foreignKeys"))


def check_tables(bundle: Path, package: dict[str, Any]) -> tuple[dict[str, ParsedTable], list[Violation]]:
    """Each CSV against its resource's schema, then foreign keys across tables."""
    problems: list[Violation] = []
    tables: dict[str, ParsedTable] = {}
    schemas = {}
    for resource in package["resources"]:
        name, path = resource["name"], resource["path"]
        schemas[name] = resource["schema"]
        try:
            text = read_bundle_text(bundle, path)
        except FileNotFoundError:
            problems.append(Violation(path, None, "", "file is missing", "schema"))
            text = ",".join(field["name"] for field in resource["schema"]["fields"]) + "\n"
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Violation(path, None, "", f"cannot be read as UTF-8 text: {error}", "schema"))
            text = ",".join(field["name"] for field in resource["schema"]["fields"]) + "\n"
        tables[name], found = parse_csv(name, path, text, resource["schema"])
        problems += found
    for name, table in tables.items():
        problems += foreign_key_problems(table, schemas[name], tables)
    return tables, problems


def check_plan_json(document: Any, manifest: Any, tables: dict[str, ParsedTable]) -> list[Violation]:
    """``plan.json`` against the published JSON Schema, its metadata against ``manifest.json``,
    and its rows against the CSVs (every difference named by CSV file and line)."""
    if document is None:
        return []
    validator = jsonschema.Draft202012Validator(shipped_schema())
    errors = sorted(validator.iter_errors(_sample(document)), key=lambda e: [str(p) for p in e.absolute_path])
    problems = [
        Violation(PLAN_JSON, None, _json_path(error.absolute_path), error.message[:300], "plan.json")
        for error in errors[:50]
    ]
    if len(errors) > 50:
        problems.append(
            Violation(PLAN_JSON, None, "", f"... and {len(errors) - 50} more schema errors", "plan.json")
        )
    if isinstance(manifest, dict) and isinstance(document, dict):
        for key in ("plan_id", "revision", "supersedes", "status", "scenario", "solver"):
            if document.get(key) != manifest.get(key):
                problems.append(
                    Violation(
                        PLAN_JSON,
                        None,
                        key,
                        f"{document.get(key)!r} differs from manifest.json ({manifest.get(key)!r})",
                        "plan.json",
                    )
                )
    json_tables = document.get("tables") if isinstance(document, dict) else None
    if not isinstance(json_tables, dict):
        return problems
    for name, spec in TABLES.items():
        rows = json_tables.get(name)
        if name in tables and isinstance(rows, list):
            problems += _compare_rows(
                tables[name], rows, spec.primary_key, {c.name: c.type for c in spec.columns}
            )
    return problems


#: Rows per table validated by the JSON Schema validator itself; every row is also compared with
#: its CSV row (same keys, JSON types and values), which covers the same rules much faster.
SCHEMA_SAMPLE_ROWS = 1000


def _sample(document: Any) -> Any:
    """``document`` with each table cut to its first rows (for the slow generic validator)."""
    if not isinstance(document, dict) or not isinstance(document.get("tables"), dict):
        return document
    tables = {
        name: rows[:SCHEMA_SAMPLE_ROWS] if isinstance(rows, list) else rows
        for name, rows in document["tables"].items()
    }
    return {**document, "tables": tables}


_JSON_TYPES = {"string": (str,), "date": (str,), "integer": (int,), "number": (int, float)}


def _json_type_problem(row: dict[str, Any], kinds: dict[str, str]) -> str | None:
    if set(row) != set(kinds):
        return f"keys {sorted(set(row) ^ set(kinds))} differ from the table's columns"
    for name, kind in kinds.items():
        value = row[name]
        if value is not None and (isinstance(value, bool) or not isinstance(value, _JSON_TYPES[kind])):
            return f"{name}: {value!r} is not a JSON {kind}"
    return None


def _json_path(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _json_cell(value: Any, kind: str) -> Any:
    """A plan.json cell in the CSV's typed form (so 12 and 12.0 compare as the CSV does)."""
    if value is None:
        return None
    try:
        return parse_value(str(value) if kind != "number" else repr(float(value)), kind)
    except (ValueError, TypeError):
        return value


def _rows_agree(table: ParsedTable, rows: list[Any], kinds: dict[str, str]) -> bool:
    """Whether plan.json's rows are the CSV's rows, in order, with the same values and JSON types
    (then :func:`_compare_rows` would report nothing); checked a column at a time."""
    if table.bad_lines or table.duplicate_keys or len(rows) != len(table.frame):
        return False
    if rows and (set(map(type, rows)) != {dict} or set(map(len, rows)) != {len(kinds)}):
        return False
    for name, kind in kinds.items():
        try:
            values = [row[name] for row in rows]  # with the same number of keys: the same keys
        except KeyError:
            return False
        allowed = {type(None), *_JSON_TYPES[kind]}
        if not set(map(type, values)) <= allowed:
            return False
        if values != table.column(name):
            return False
    return True


def _compare_rows(
    table: ParsedTable, rows: list[Any], key: tuple[str, ...], kinds: dict[str, str]
) -> list[Violation]:
    if _rows_agree(table, rows, kinds):
        return []
    problems: list[Violation] = []
    csv_rows_by_key = {tuple(values[k] for k in key): (line, values) for line, values in table.rows}
    seen = set()
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        problem = _json_type_problem(row, kinds)
        if problem and index >= SCHEMA_SAMPLE_ROWS:  # earlier rows: reported by the schema validator
            problems.append(Violation(PLAN_JSON, None, f"tables.{table.name}[{index}]", problem, "plan.json"))
        typed = {name: _json_cell(row.get(name), kind) for name, kind in kinds.items()}
        row_key = tuple(typed[k] for k in key)
        seen.add(row_key)
        found = csv_rows_by_key.get(row_key)
        if found is None:
            if not table.bad_lines:
                problems.append(
                    Violation(
                        table.path,
                        None,
                        key_text(key, row_key),
                        f"row is missing: plan.json has it (tables.{table.name}[{index}], "
                        f"line {index + 2} as written)",
                        "plan.json",
                    )
                )
            continue
        line, values = found
        for name in kinds:
            if values[name] != typed[name]:
                problems.append(
                    Violation(
                        table.path,
                        line,
                        key_text(key, row_key),
                        f"{name} is {values[name]!r} here but {typed[name]!r} in plan.json",
                        "plan.json",
                    )
                )
    for row_key, (line, _values) in csv_rows_by_key.items():
        if row_key not in seen:
            problems.append(
                Violation(table.path, line, key_text(key, row_key), "row is not in plan.json", "plan.json")
            )
    return problems
