"""Fixtures of the database tests: two revisions of the fixture plan as bundles, and a fresh
database per test on SQLite (always) and on a throw-away PostgreSQL server (skipped, with the
reason, only when no server can be started here)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.plan.fixture import fixture_plan
from tools.services.postgres_server import ServerUnavailable, start
from vaxsim.plan import Plan

NOW = dt.datetime(2021, 8, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
PLAN_ID = "fixture-2021-08"
#: Places r2 opens fewer than r1 in the fixture's first session.
FEWER = 5


def revision(number: int, status: str = "draft") -> Plan:
    """Revision ``number`` of the fixture campaign's plan; r2 opens 5 places fewer in the first
    session (its capacity and both allocation rows that lead to it, so the bundle still passes
    the checker), so the revisions differ."""
    plan = dataclasses.replace(
        fixture_plan(),
        revision=number,
        supersedes=f"plan-{PLAN_ID}-r{number - 1}" if number > 1 else None,
        status=status,
    )
    if number > 1:
        capacity, allocations = plan.capacity.copy(), plan.registrant_allocations.copy()
        capacity.loc[0, "capacity"] -= FEWER
        allocations.loc[[0, 1], "persons"] -= FEWER  # province -> district -> the session's site
        plan.capacity, plan.registrant_allocations = capacity, allocations
    return plan


@pytest.fixture(scope="session")
def bundles(tmp_path_factory) -> dict[str, Path]:
    """``r1``, ``r2`` (drafts) and ``r1-approved``, ``r2-approved`` bundles."""
    root = tmp_path_factory.mktemp("bundles")
    return {
        "r1": revision(1).write(root / "draft", now=NOW),
        "r2": revision(2).write(root / "draft", now=NOW),
        "r1-approved": revision(1, "approved").write(root / "approved", now=NOW),
        "r2-approved": revision(2, "approved").write(root / "approved", now=NOW),
    }


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server for the session (its URL), or a skip saying why there is none."""
    try:
        server = start()
    except ServerUnavailable as reason:
        pytest.skip(f"no PostgreSQL server can be started here: {reason}")
    yield server
    server.stop()


_numbers = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> str:
    """A fresh, empty database: a SQLite file, or a new database on the session's server."""
    if request.param == "sqlite":
        return str(tmp_path / "plans.sqlite")
    server = request.getfixturevalue("postgres")
    name = f"test_{next(_numbers)}"
    engine = sa.create_engine(server.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return server.url.replace("/postgres?", f"/{name}?")


def count(db_url: str, sql: str) -> int:
    """One number from ``sql`` (SQLite file path or URL)."""
    from vaxsim.plan.database import database_url

    engine = sa.create_engine(database_url(db_url))
    try:
        with engine.connect() as connection:
            return int(connection.exec_driver_sql(sql).scalar())
    finally:
        engine.dispose()
