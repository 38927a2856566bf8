"""Revisions in the database: history, approval, the current approved plan, two loads at the
same time, and a load killed half-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.database.conftest import FEWER, PLAN_ID, count
from vaxsim.plan.database import (
    PlanDatabaseError,
    approve,
    current_approved,
    database_url,
    load_into,
    revisions,
)

ROOT = Path(__file__).resolve().parents[2]
CURRENT_CAPACITY = (
    "SELECT sum(a.persons) FROM registrant_allocations a JOIN current_approved_plans c "
    "ON a.plan_id = c.plan_id AND a.revision = c.revision"
)


def _statuses(db) -> dict[int, str]:
    return {row.revision: row.status for row in revisions(db, PLAN_ID)}


def test_approving_a_revision_supersedes_the_one_before_and_keeps_its_rows(db, bundles):
    load_into(bundles["r1"], db)
    assert approve(PLAN_ID, 1, db) == []
    assert current_approved(db) == {PLAN_ID: 1}
    load_into(bundles["r2"], db)
    assert _statuses(db) == {1: "approved", 2: "draft"}  # loading a draft changes no approval
    assert approve(PLAN_ID, 2, db) == [1]
    assert _statuses(db) == {1: "superseded", 2: "approved"}
    assert current_approved(db) == {PLAN_ID: 2}
    assert [r.supersedes for r in revisions(db, PLAN_ID)] == [None, f"plan-{PLAN_ID}-r1"]
    assert count(db, "SELECT count(DISTINCT revision) FROM registrant_allocations") == 2  # history
    with pytest.raises(PlanDatabaseError, match="superseded"):
        approve(PLAN_ID, 1, db)
    with pytest.raises(PlanDatabaseError, match="not loaded"):
        approve(PLAN_ID, 3, db)


def test_loading_an_approved_revision_supersedes_the_approved_one(db, bundles):
    load_into(bundles["r1-approved"], db)
    result = load_into(bundles["r2-approved"], db)
    assert result.status == "approved"
    assert _statuses(db) == {1: "superseded", 2: "approved"}


def _load_in_a_process(bundle: Path, db: str, stop_at: str | None = None) -> subprocess.Popen:
    """``load_into`` in a separate Python process; with ``stop_at``, it announces that step on
    stdout and then waits, in the middle of its transaction, to be killed."""
    code = (
        "import sys, time\n"
        "from vaxsim.plan.database import load_into\n"
        "def progress(line):\n"
        "    if sys.argv[3] and line.startswith(sys.argv[3]):\n"
        "        print('REACHED', line, flush=True)\n"
        "        time.sleep(600)\n"
        "load_into(sys.argv[1], sys.argv[2], progress=progress)\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, str(bundle), db, stop_at or ""],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_loads_at_the_same_time_leave_one_consistent_state(db, bundles):
    load_into(bundles["r1-approved"], db)
    r1_rows = count(db, CURRENT_CAPACITY)
    seen: set[int] = set()
    done = threading.Event()

    failures: list[BaseException] = []

    def read_while_loading() -> None:
        engine = sa.create_engine(database_url(db))
        try:
            with engine.connect() as connection:
                while not done.is_set():
                    seen.add(int(connection.exec_driver_sql(CURRENT_CAPACITY).scalar()))
                    connection.rollback()  # the next read sees what is committed by then
                    time.sleep(0.01)
        except Exception as error:  # reported below, in the test's own thread
            failures.append(error)
        finally:
            engine.dispose()

    reader = threading.Thread(target=read_while_loading)
    reader.start()
    try:
        loads = [_load_in_a_process(bundles[name], db) for name in ("r2-approved", "r1-approved")]
        outcomes = [load.communicate(timeout=300) for load in loads]
    finally:
        done.set()
        reader.join()
    assert not failures, failures
    assert [load.returncode for load in loads] == [0, 0], outcomes
    assert _statuses(db) == {1: "superseded", 2: "approved"}
    r2_rows = count(db, CURRENT_CAPACITY)
    assert r2_rows == r1_rows - 2 * FEWER
    assert seen <= {r1_rows, r2_rows}  # a reader saw one revision or the other, never a mix
    assert count(db, "SELECT count(*) FROM plan_revisions") == 2


def test_a_load_killed_half_way_leaves_nothing(db, bundles):
    load = _load_in_a_process(bundles["r1"], db, stop_at="loading capacity")
    try:
        line = load.stdout.readline()
        assert line.startswith("REACHED loading capacity"), (line, load.stderr.read())
        os.kill(load.pid, signal.SIGKILL)
    finally:
        load.wait(timeout=60)
    assert load.returncode == -signal.SIGKILL
    time.sleep(0.2)  # PostgreSQL notices the closed connection and rolls back
    engine = sa.create_engine(database_url(db))
    try:
        assert sa.inspect(engine).get_table_names() == []  # even the new tables were rolled back
    finally:
        engine.dispose()
    result = load_into(bundles["r1"], db)  # the database is usable, and the load now completes
    assert not result.unchanged and count(db, "SELECT count(*) FROM shipments") == result.rows["shipments"]
