"""A revision's life in the database: draft (or proposed) → approved → superseded.

The status lives in ``plan_revisions``, not in the bundle: a bundle is immutable once written,
so its checksums stay valid, and its manifest's ``status`` is the status it was written with.
Approving a revision marks every earlier approved revision of the same campaign superseded in
the same transaction (their rows stay, as history), so a campaign has at most one approved
revision at any time (a partial unique index enforces it) and the view
``current_approved_plans`` is the current approved plan of each campaign.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from sqlalchemy import Connection, MetaData, and_, inspect, select, update
from sqlalchemy.exc import SQLAlchemyError

from vaxsim.plan.database.engine import DEFAULT_DB, lock, open_engine
from vaxsim.plan.database.errors import PlanDatabaseError
from vaxsim.plan.database.schema import CURRENT_VIEW, REVISIONS, revisions_table

_REVISIONS = revisions_table(MetaData())


@dataclass(frozen=True)
class Revision:
    """One row of ``plan_revisions``."""

    plan_id: str
    revision: int
    status: str
    supersedes: str | None


def approve_in(connection: Connection, plan_id: str, revision: int) -> list[int]:
    """Approve ``plan_id`` revision ``revision`` inside the caller's locked transaction; returns
    the revisions it supersedes. Raises :class:`PlanDatabaseError` when it is not loaded, was
    superseded, or a later revision is already approved."""
    table = _REVISIONS
    rows = connection.execute(
        select(table.c.revision, table.c.status).where(table.c.plan_id == plan_id)
    ).all()
    status = {row.revision: row.status for row in rows}
    if revision not in status:
        raise PlanDatabaseError(f"plan {plan_id} revision {revision} is not loaded: load its bundle first")
    if status[revision] == "approved":
        return []
    if status[revision] == "superseded":
        raise PlanDatabaseError(f"plan {plan_id} revision {revision} was superseded: it cannot be approved")
    later = sorted(r for r, s in status.items() if s == "approved" and r > revision)
    if later:
        raise PlanDatabaseError(
            f"plan {plan_id} revision {revision} is older than the approved revision {later[0]}: "
            "approve a newer revision instead"
        )
    earlier = sorted(r for r, s in status.items() if s == "approved")
    # The old approved revision steps down first: the unique index allows one approved at a time.
    if earlier:
        connection.execute(
            update(table)
            .where(and_(table.c.plan_id == plan_id, table.c.revision.in_(earlier)))
            .values(status="superseded")
        )
    connection.execute(
        update(table)
        .where(and_(table.c.plan_id == plan_id, table.c.revision == revision))
        .values(status="approved", approved_at=dt.datetime.now(dt.UTC))
    )
    return earlier


def approved_revision(connection: Connection, plan_id: str) -> int | None:
    """The approved revision of ``plan_id`` (``None`` when none is)."""
    table = _REVISIONS
    return connection.execute(
        select(table.c.revision).where(table.c.plan_id == plan_id, table.c.status == "approved")
    ).scalar()


def settle_loaded_approval(connection: Connection, plan_id: str, revision: int) -> str:
    """The status of a just-loaded bundle that says ``approved``: approved (superseding the one
    before) unless a later revision is approved already, in which case it arrived late and is
    kept as superseded history. Returns the status given."""
    current = approved_revision(connection, plan_id)
    if current is not None and current > revision:
        table = _REVISIONS
        connection.execute(
            update(table)
            .where(and_(table.c.plan_id == plan_id, table.c.revision == revision))
            .values(status="superseded")
        )
        return "superseded"
    approve_in(connection, plan_id, revision)
    return "approved"


def _has_register(connection: Connection) -> bool:
    return REVISIONS in inspect(connection).get_table_names()


def approve(plan_id: str, revision: int, db: str | os.PathLike[str] = DEFAULT_DB) -> list[int]:
    """Approve a loaded revision (draft or proposed → approved) in ``db``; the approved revision
    before it becomes superseded in the same transaction. Returns the superseded revisions."""
    engine = open_engine(db)
    try:
        with engine.begin() as connection:
            lock(connection)
            if not _has_register(connection):
                raise PlanDatabaseError(f"{db}: no plans are loaded in this database")
            return approve_in(connection, plan_id, revision)
    except SQLAlchemyError as error:
        raise PlanDatabaseError(f"{db}: {error.__class__.__name__}: {error}") from None
    finally:
        engine.dispose()


def revisions(db: str | os.PathLike[str] = DEFAULT_DB, plan_id: str | None = None) -> list[Revision]:
    """The loaded revisions (of ``plan_id``, or of every campaign), by plan id and revision."""
    engine = open_engine(db)
    try:
        with engine.connect() as connection:
            if not _has_register(connection):
                return []
            table = _REVISIONS
            query = select(table.c.plan_id, table.c.revision, table.c.status, table.c.supersedes)
            if plan_id is not None:
                query = query.where(table.c.plan_id == plan_id)
            rows = connection.execute(query.order_by(table.c.plan_id, table.c.revision)).all()
            return [Revision(*row) for row in rows]
    finally:
        engine.dispose()


def current_approved(db: str | os.PathLike[str] = DEFAULT_DB) -> dict[str, int]:
    """``{plan_id: revision}`` of each campaign's current approved plan (the documented view)."""
    engine = open_engine(db)
    try:
        with engine.connect() as connection:
            if not _has_register(connection):
                return {}
            rows = connection.exec_driver_sql(f"SELECT plan_id, revision FROM {CURRENT_VIEW}").all()
            return {str(plan_id): int(revision) for plan_id, revision in rows}
    finally:
        engine.dispose()
