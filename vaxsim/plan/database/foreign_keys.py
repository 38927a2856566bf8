"""Foreign keys during a PostgreSQL bulk load: checked once per key for the whole revision.

PostgreSQL checks a foreign key row by row (a query and a row lock on the referenced row per
row), which for a national plan's three million rows takes minutes. So, inside the load's
transaction, the plan tables' foreign keys are dropped, the rows copied, every key checked for
the loaded revision with one anti-join, and the keys added back (``NOT VALID``: PostgreSQL does
not re-read the rows already there, which were checked when they were loaded; later writes are
checked as usual). The constraints exist before and after every committed load; readers of the
plan tables wait while a load holds them, and never see a partial load.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, ForeignKeyConstraint, MetaData
from sqlalchemy.exc import OperationalError
from sqlalchemy.schema import AddConstraint, DropConstraint

from vaxsim.plan.database.errors import PlanDatabaseError
from vaxsim.plan.database.schema import REVISION_KEY, REVISIONS

_LOCK_ATTEMPT_MS = 500
_LOCK_GIVE_UP_S = 600


def _keys(metadata: MetaData) -> list[ForeignKeyConstraint]:
    return [
        constraint
        for table in metadata.sorted_tables
        if table.name != REVISIONS
        for constraint in table.constraints
        if isinstance(constraint, ForeignKeyConstraint)
    ]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def orphans(connection: Connection, key: ForeignKeyConstraint, plan_id: str, revision: int) -> list[tuple]:
    """Up to five values of ``key`` in the revision's rows that refer to no row (empty when sound)."""
    child = key.parent.name
    parent = key.referred_table.name
    pairs = [(element.parent.name, element.column.name) for element in key.elements]
    own = [c for c, _ in pairs if c not in REVISION_KEY] or [c for c, _ in pairs]
    match = " AND ".join(f"p.{_q(p)} = c.{_q(c)}" for c, p in pairs)
    present = " AND ".join(f"c.{_q(c)} IS NOT NULL" for c in own)
    sql = (
        f"SELECT DISTINCT {', '.join(f'c.{_q(c)}' for c in own)} FROM {_q(child)} c "
        f"WHERE c.plan_id = %(plan_id)s AND c.revision = %(revision)s AND {present} "
        f"AND NOT EXISTS (SELECT 1 FROM {_q(parent)} p WHERE {match}) LIMIT 5"
    )
    return [tuple(row) for row in connection.exec_driver_sql(sql, {"plan_id": plan_id, "revision": revision})]


def lock_all(connection: Connection, metadata: MetaData) -> None:
    """Take every plan table (and the register) exclusively, all at once or none: a reader's
    query holds a table only while it runs, so waiting for all of them in one short attempt at
    a time, never holding some while waiting for others, cannot deadlock with it."""
    names = ", ".join(_q(table.name) for table in metadata.sorted_tables)
    waited = 0.0
    while True:
        attempt = connection.begin_nested()
        try:
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{_LOCK_ATTEMPT_MS}ms'")
            connection.exec_driver_sql(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE")
            connection.exec_driver_sql("SET LOCAL lock_timeout = 0")
            attempt.commit()
            return
        except OperationalError:
            attempt.rollback()
            waited += _LOCK_ATTEMPT_MS / 1000
            if waited > _LOCK_GIVE_UP_S:
                raise PlanDatabaseError(
                    f"the plan tables stayed in use by other sessions for {_LOCK_GIVE_UP_S} s; "
                    "nothing was loaded"
                ) from None
            time.sleep(0.05)


@contextmanager
def checked_once(connection: Connection, metadata: MetaData, plan_id: str, revision: int) -> Iterator[None]:
    """Drop the plan tables' foreign keys for the body (the bulk copy), then check each for the
    revision and add it back; raises :class:`PlanDatabaseError` naming a key that does not hold.
    The caller holds every plan table (:func:`lock_all`)."""
    keys = _keys(metadata)
    for key in keys:
        connection.execute(DropConstraint(key))
    yield
    # Fresh statistics, or the planner takes the just-filled tables for empty ones and checks
    # each key with a nested loop over whole tables.
    connection.exec_driver_sql("ANALYZE " + ", ".join(_q(t.name) for t in metadata.sorted_tables))
    for key in keys:
        found = orphans(connection, key, plan_id, revision)
        if found:
            columns = ", ".join(element.parent.name for element in key.elements)
            raise PlanDatabaseError(
                f"{key.parent.name} ({columns}) refers to no row of {key.referred_table.name}: {found}"
            )
    for key in keys:
        add = AddConstraint(key).compile(dialect=connection.dialect)
        connection.exec_driver_sql(f"{add} NOT VALID")
