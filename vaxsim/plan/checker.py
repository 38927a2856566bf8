"""The independent plan checker: ``check(bundle) -> list[Violation]``.

It reads the bundle's files itself (never the optimizer's code or objects) and verifies, in
order: the manifest's checksums and row counts, ``datapackage.json``, each CSV against its
schema (types, required, primary, unique and foreign keys), ``plan.json`` against the published
JSON Schema and against the CSVs, the eight invariants of PLAN_FORMAT.md, the content checks
(:mod:`vaxsim.plan.check_content`), and, given the scenario, the plan against it. An empty
list means the bundle is sound.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

import pandas as pd

from vaxsim.io.input_file import read_bundle_text
from vaxsim.model import Model
from vaxsim.plan.bundle import DATAPACKAGE, PLAN_JSON, SCENARIO_JSON
from vaxsim.plan.check_content import CONTENT_CHECKS
from vaxsim.plan.check_files import (
    check_datapackage,
    check_manifest,
    check_plan_json,
    check_tables,
    load_json,
)
from vaxsim.plan.check_scenario import check_against_scenario, scenario_rules
from vaxsim.plan.datapackage import datapackage
from vaxsim.plan.frictionless import ParsedTable
from vaxsim.plan.invariants import INVARIANTS, Tables, rules_from_products
from vaxsim.plan.manifest import MANIFEST
from vaxsim.plan.plan import FIRST_DOSES_FIRST
from vaxsim.plan.tables import TABLES
from vaxsim.plan.values import canonical_series
from vaxsim.plan.violations import Violation
from vaxsim.scenario import Scenario


def typed_tables(parsed: dict[str, ParsedTable]) -> Tables:
    """DataFrames of the rows that passed the schema check, with their CSV line in ``csv_line``."""
    tables = {}
    for name, spec in TABLES.items():
        table = parsed.get(name)
        frame = pd.DataFrame(
            {
                column.name: canonical_series(table.column(column.name) if table else [], column)
                for column in spec.columns
            },
            columns=spec.column_names,
        )
        frame["csv_line"] = table.lines() if table else []
        # A duplicate key is reported by the schema check; the invariants see its first row only.
        tables[name] = frame.drop_duplicates(list(spec.primary_key), keep="first").reset_index(drop=True)
    return tables


def _follow_ups_reserved(document: object) -> bool:
    """Does plan.json promise every first-dose slot its follow-up? Only an explicit
    ``summary.follow_ups == "first_doses_first"`` says no."""
    summary = document.get("summary") if isinstance(document, dict) else None
    return not (isinstance(summary, dict) and summary.get("follow_ups") == FIRST_DOSES_FIRST)


def _restart_date(summary: dict) -> str | None:
    """The date a re-plan starts from (``summary.restart.date`` in plan.json), if it says one."""
    restart = summary.get("restart")
    date = restart.get("date") if isinstance(restart, dict) else None
    return date if isinstance(date, str) else None


def _carried_scenario(bundle: Path, document: object) -> tuple[Scenario | None, list[Violation]]:
    """The scenario the bundle carries (``scenario.json``), if its sha256 is the one
    ``plan.json`` names and it validates as a scenario; else ``None`` and what is wrong."""
    file = bundle / SCENARIO_JSON
    if not file.is_file():
        return None, []
    try:
        text = read_bundle_text(bundle, SCENARIO_JSON)
    except (OSError, UnicodeDecodeError) as error:
        return None, [Violation(SCENARIO_JSON, None, "", f"cannot be read: {error}", "scenario")]
    named = document.get("scenario", {}).get("sha256") if isinstance(document, dict) else None
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != named:
        message = "is not the scenario plan.json names (its sha256 differs from scenario.sha256)"
        return None, [Violation(SCENARIO_JSON, None, "", message, "scenario")]
    try:
        return Scenario.model_validate(json.loads(text)), []
    except (ValueError, RecursionError) as error:  # pydantic's ValidationError is a ValueError
        return None, [Violation(SCENARIO_JSON, None, "", f"not a valid scenario: {error}", "scenario")]


def check(
    bundle_path: str | os.PathLike[str], scenario: Scenario | Model | str | os.PathLike[str] | None = None
) -> list[Violation]:
    """Every violation of the bundle at ``bundle_path`` (empty when it is sound).

    ``scenario``: a scenario file, a loaded :class:`~vaxsim.scenario.Scenario` or a compiled
    :class:`Model` (a file that does not load raises :class:`~vaxsim.errors.ScenarioError`); when
    given, the plan is also checked against it and the invariants use its rules (interval
    per dose, mixing, thaw clocks). Without it, the scenario the bundle carries
    (``scenario.json``, the one its sha256 names) is used the same way. Each
    :class:`Violation` names the file (inside the bundle) and line; ``str(violation)`` reads
    ``tables/capacity.csv:17: capacity_id=...: message``.
    """
    bundle = Path(bundle_path)
    if not bundle.is_dir():
        return [Violation(str(bundle), None, "", "not a plan bundle folder", "manifest")]
    found: list[Violation] = []
    manifest, problems = load_json(bundle, MANIFEST, "manifest")
    found += problems
    if manifest is not None:
        found += check_manifest(bundle, manifest)
    plan_id = manifest.get("plan_id", "") if isinstance(manifest, dict) else ""
    revision = manifest.get("revision", 1) if isinstance(manifest, dict) else 1
    package, problems = load_json(bundle, DATAPACKAGE, "schema")
    found += problems
    found += check_datapackage(package, str(plan_id), revision)
    # The CSVs are checked against the format's schemas, whatever the bundle's datapackage says
    # (a loosened datapackage.json is reported above, not trusted).
    parsed, problems = check_tables(bundle, datapackage(str(plan_id), revision))
    found += problems
    document, problems = load_json(bundle, PLAN_JSON, "plan.json")
    found += problems
    found += check_plan_json(document, manifest, parsed)

    tables = typed_tables(parsed)
    model = None
    if scenario is None:
        scenario, problems = _carried_scenario(bundle, document)
        found += problems
    if scenario is not None:
        from vaxsim.model import compile_model
        from vaxsim.plan.ids import with_plan_ids
        from vaxsim.scenario import load

        if isinstance(scenario, (str, os.PathLike)):
            scenario = load(scenario)
        model = scenario if isinstance(scenario, Model) else compile_model(scenario)
        model = with_plan_ids(model)  # the plan names places by their plan ids (vaxsim.plan.ids)
    rules = scenario_rules(model) if model is not None else rules_from_products(tables)
    summary = document.get("summary") if isinstance(document, dict) else None
    restart = isinstance(summary, dict) and "restart" in summary
    restart_date = _restart_date(summary) if restart else None
    rules = replace(
        rules, follow_ups_reserved=_follow_ups_reserved(document), restart=restart, restart_date=restart_date
    )
    for number, invariant in enumerate(INVARIANTS, start=1):
        try:
            found += invariant(tables, rules)
        except Exception as error:  # a bundle this broken must still give a report, not a traceback
            found.append(
                Violation("", None, "", f"invariant {number} could not be checked: {error!r}", "checker")
            )
    for content_check in CONTENT_CHECKS:
        try:
            found += content_check(tables, rules)
        except Exception as error:  # a bundle this broken must still give a report, not a traceback
            name = content_check.__name__
            found.append(Violation("", None, "", f"{name} could not be checked: {error!r}", "checker"))
    if model is not None:
        try:
            found += check_against_scenario(tables, model)
        except Exception as error:
            found.append(Violation("", None, "", f"scenario checks could not run: {error!r}", "checker"))
    return found
