"""Read a plan bundle back into a :class:`Plan`.

Tables come from ``tables/*.csv`` (the canonical files); metadata, summary, findings, log and
robustness from ``plan.json``; the scenario it was made from from ``scenario.json``, if there.
Reading does not verify checksums or invariants: run :func:`vaxsim.plan.check` for that.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from vaxsim.io.input_file import read_bundle_text
from vaxsim.plan.bundle import PLAN_JSON, SCENARIO_JSON
from vaxsim.plan.csv_table import parse_table
from vaxsim.plan.datapackage import table_path
from vaxsim.plan.document import plan_from_document
from vaxsim.plan.errors import PlanError
from vaxsim.plan.plan import Plan
from vaxsim.plan.tables import TABLES
from vaxsim.plan.values import ValueProblem


def read(path: str | os.PathLike[str]) -> Plan:
    """Load the bundle at ``path`` (a ``plan-<id>-r<revision>/`` folder) as a canonical Plan.

    ``read(plan.write(folder))`` equals ``plan.normalised()`` (same dtypes, same row order).
    Raises :class:`~vaxsim.plan.errors.PlanError` naming the file and line that cannot be read.
    """
    bundle = Path(path)
    if not bundle.is_dir():
        raise PlanError(f"{bundle}: not a plan bundle folder")
    tables = {}
    for name in TABLES:
        file = bundle / table_path(name)
        try:
            tables[name] = parse_table(name, read_bundle_text(bundle, table_path(name)))
        except (OSError, UnicodeDecodeError) as error:
            raise PlanError(f"{file}: cannot be read: {error}") from None
        except ValueProblem as problem:
            raise PlanError(f"{file}: {problem}") from None
    file = bundle / PLAN_JSON
    try:
        document = json.loads(read_bundle_text(bundle, PLAN_JSON))
        plan = plan_from_document(document, tables)
        if (bundle / SCENARIO_JSON).is_file():
            file = bundle / SCENARIO_JSON
            plan.scenario_json = read_bundle_text(bundle, SCENARIO_JSON)
        return plan
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise PlanError(f"{file}: cannot be read: {error}") from None
    except (KeyError, TypeError, ValueError) as error:
        raise PlanError(f"{file}: not a vaxsim plan document: {error!r}") from None
