"""Plans: the optimizer's output as tables (:class:`Plan`), as a checksummed bundle, its
independent checker and its exports.

>>> import tempfile, vaxsim
>>> plan = vaxsim.optimize("scenarios/demo-district.yaml")
>>> path = plan.write(tempfile.mkdtemp())         # <folder>/plan-<id>-r<revision>/
>>> same = vaxsim.plan.read(path)                 # equal to plan.normalised()
>>> same.plan_id == plan.plan_id
True
>>> problems = vaxsim.plan.check(path)            # doctest: +SKIP

See docs/PLAN_FORMAT.md in the repository for the bundle, :mod:`vaxsim.plan.tables` for every
column and README.md beside this file for how the format is read.
"""

from __future__ import annotations

import os
import sys
import types
from typing import TYPE_CHECKING

from vaxsim.plan.bundle import bundle_name, write_bundle
from vaxsim.plan.plan import FORMAT, STATUSES, Plan, empty_table
from vaxsim.plan.reader import read
from vaxsim.plan.tables import TABLES, Column, ForeignKey, TableSpec
from vaxsim.plan.violations import Violation

if TYPE_CHECKING:
    from vaxsim.model import Model
    from vaxsim.plan.database import LoadResult
    from vaxsim.scenario import Scenario


def check(
    bundle_path: str | os.PathLike[str], scenario: Scenario | Model | str | os.PathLike[str] | None = None
) -> list[Violation]:
    """Every violation of the bundle at ``bundle_path``; empty when it is sound.

    See :func:`vaxsim.plan.checker.check` (imported on first use: the checker needs the scenario
    model and the site capacity code, which themselves use plans).
    """
    from vaxsim.plan.checker import check as check_bundle

    return check_bundle(bundle_path, scenario)


def load_into(
    bundle_path: str | os.PathLike[str], db: str | os.PathLike[str] = "plans.sqlite", **options
) -> LoadResult:
    """Load a checked bundle into a database (a SQLite file or a SQLAlchemy URL such as
    ``postgresql+psycopg://user@host/db``), all or nothing.

    See :func:`vaxsim.plan.database.load_into` (imported on first use, like :func:`check`: the
    database layer runs the checker).
    """
    from vaxsim.plan.database import load_into as load_bundle

    return load_bundle(bundle_path, db, **options)


# `from vaxsim.plan.check import check` (the checker module's name before it was renamed so as
# not to shadow this function) keeps working: an alias module in sys.modules, never set as an
# attribute of the package, so `vaxsim.plan.check` stays the function.
_alias = types.ModuleType(f"{__name__}.check", "Alias: use vaxsim.plan.check or vaxsim.plan.checker.")
_alias.check = check  # type: ignore[attr-defined]
sys.modules.setdefault(_alias.__name__, _alias)

__all__ = [
    "FORMAT",
    "STATUSES",
    "TABLES",
    "Column",
    "ForeignKey",
    "Plan",
    "TableSpec",
    "Violation",
    "bundle_name",
    "check",
    "empty_table",
    "load_into",
    "read",
    "write_bundle",
]
