"""Plans in a database: ``load_into`` a SQLite file or PostgreSQL, revisions and approval.

Needs a written bundle and a database server (the tests in ``tests/database`` run the same
calls on SQLite and a real PostgreSQL):

>>> load_into("plans/vn-2021/plan-vietnam-2021-r2", "postgresql+psycopg://ops@db/plans")  # doctest: +SKIP
>>> approve("vietnam-2021", 2, "postgresql+psycopg://ops@db/plans")  # doctest: +SKIP

A database is named by a SQLAlchemy URL or, for SQLite, a file path:

>>> database_url("postgresql://ops@db/plans")
'postgresql+psycopg://ops@db/plans'

The SQL schema is derived from the bundle's ``datapackage.json`` (:mod:`.schema`); the format
document (docs/PLAN_FORMAT.md) shows the tables, the load order and example queries.
"""

from __future__ import annotations

from vaxsim.plan.database.engine import DEFAULT_DB, database_url
from vaxsim.plan.database.errors import PlanDatabaseError
from vaxsim.plan.database.lifecycle import Revision, approve, current_approved, revisions
from vaxsim.plan.database.load import LoadResult, load_into
from vaxsim.plan.database.read import read_tables

__all__ = [
    "DEFAULT_DB",
    "LoadResult",
    "PlanDatabaseError",
    "Revision",
    "approve",
    "current_approved",
    "database_url",
    "load_into",
    "read_tables",
    "revisions",
]
