"""Connections to the plan database: a SQLite file by default, PostgreSQL by URL.

Every change to the database runs in one transaction that first takes the database's write
lock (``BEGIN IMMEDIATE`` on SQLite, a transaction-level advisory lock on PostgreSQL), so two
loads or approvals at the same time run one after the other and readers see the state before
or after each, never a mix.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Connection, Engine, MetaData, create_engine, event, inspect
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from vaxsim.plan.database.errors import PlanDatabaseError
from vaxsim.plan.database.schema import CURRENT_VIEW, CURRENT_VIEW_SQL

DEFAULT_DB = "plans.sqlite"
#: Key of PostgreSQL's advisory lock that serialises vaxsim's writes to the plan tables.
_PG_LOCK = 0x76617873  # "vaxs"
_SQLITE_BUSY_MS = 10 * 60 * 1000  # a national load holds the lock for up to a minute or so
#: Page cache of a connection: a national load's indexes fit, so pages are written once, at commit.
_SQLITE_CACHE_KIB = 1 << 20


def database_url(db: str | os.PathLike[str]) -> str:
    """A SQLAlchemy URL for ``db``: a URL as given, a file path as a SQLite URL.

    PostgreSQL: ``postgresql+psycopg://user@host/dbname`` (psycopg 3; a plain ``postgresql://``
    is read as that too).
    """
    text = os.fspath(db)
    if "://" not in text:
        return f"sqlite:///{Path(text).resolve()}"
    if text.startswith("postgresql://") or text.startswith("postgres://"):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    return text


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # vaxsim issues BEGIN itself (below)
        dbapi_connection.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_MS}")
        dbapi_connection.execute("PRAGMA foreign_keys = ON")
        # A rollback journal: a bulk load into new pages journals almost nothing (WAL would
        # write every page twice); readers see the last committed state until the commit.
        dbapi_connection.execute("PRAGMA journal_mode = DELETE")
        dbapi_connection.execute("PRAGMA synchronous = NORMAL")
        dbapi_connection.execute(f"PRAGMA cache_size = -{_SQLITE_CACHE_KIB}")

    @event.listens_for(engine, "begin")
    def begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def open_engine(db: str | os.PathLike[str]) -> Engine:
    """An engine for ``db`` (see :func:`database_url`); raises :class:`PlanDatabaseError` for a
    URL SQLAlchemy cannot use."""
    url = database_url(db)
    try:
        engine = create_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise PlanDatabaseError(f"--db {db}: not a usable database URL: {error}") from None
    if engine.dialect.name not in ("sqlite", "postgresql"):
        engine.dispose()
        raise PlanDatabaseError(f"--db {db}: vaxsim loads plans into SQLite or PostgreSQL only")
    if engine.dialect.name == "sqlite":
        _sqlite_events(engine)
    return engine


def lock(connection: Connection) -> None:
    """Take the plan database's write lock for the rest of the transaction."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
    # SQLite: BEGIN IMMEDIATE (see _sqlite_events) already holds the write lock.


def ensure_schema(connection: Connection, metadata: MetaData) -> None:
    """Create the tables, indexes and view that do not exist yet (inside the transaction)."""
    metadata.create_all(connection, checkfirst=True)
    if CURRENT_VIEW not in inspect(connection).get_view_names():
        connection.exec_driver_sql(CURRENT_VIEW_SQL)
