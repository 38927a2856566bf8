"""Loading bundles into SQLite and PostgreSQL: round trip, typed columns, idempotent reload,
refusal of a bundle that fails the checker."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.database.conftest import PLAN_ID, count
from vaxsim.plan import TABLES, read
from vaxsim.plan.database import PlanDatabaseError, checking, database_url, load_into, read_tables


def test_round_trip_gives_the_same_tables(db, bundles):
    result = load_into(bundles["r1"], db)
    assert (result.plan_id, result.revision, result.unchanged) == (PLAN_ID, 1, False)
    plan = read(bundles["r1"])
    loaded = read_tables(PLAN_ID, 1, db)
    for name, spec in TABLES.items():
        expected = getattr(plan, name).sort_values(list(spec.primary_key)).reset_index(drop=True)
        pd.testing.assert_frame_equal(loaded[name], expected)
        assert result.rows[name] == len(expected)


def test_columns_are_typed(db, bundles):
    load_into(bundles["r1"], db)
    engine = sa.create_engine(database_url(db))
    try:
        columns = {c["name"]: c["type"] for c in sa.inspect(engine).get_columns("capacity")}
        lots = {c["name"]: c["type"] for c in sa.inspect(engine).get_columns("lots")}
        with engine.connect() as connection:
            day = connection.execute(sa.text("SELECT min(service_date) FROM capacity")).scalar()
            doses = connection.execute(sa.text("SELECT max(doses) FROM lots")).scalar()
    finally:
        engine.dispose()
    assert isinstance(columns["service_date"], sa.Date) and isinstance(lots["expiry_date"], sa.Date)
    assert isinstance(columns["capacity"], sa.Integer) and isinstance(lots["doses"], sa.Integer)
    assert str(day).startswith("2021-08") and isinstance(doses, int)


def test_loading_the_same_revision_twice_changes_nothing(db, bundles):
    load_into(bundles["r1"], db)
    before = count(db, "SELECT count(*) FROM stock_projection")
    again = load_into(bundles["r1"], db)
    assert again.unchanged and again.rows == {}
    assert count(db, "SELECT count(*) FROM stock_projection") == before
    assert count(db, "SELECT count(*) FROM plan_revisions") == 1


def test_the_same_revision_with_other_contents_is_refused(db, bundles, tmp_path):
    load_into(bundles["r1"], db)
    other = tmp_path / bundles["r1"].name
    shutil.copytree(bundles["r2"], other)  # r2's files under r1's name: check fails first
    with pytest.raises(PlanDatabaseError, match="refused"):
        load_into(other, db)


def test_a_bundle_failing_the_checker_is_refused_with_its_messages(db, bundles, tmp_path):
    broken = tmp_path / bundles["r1"].name
    shutil.copytree(bundles["r1"], broken)
    lines = (broken / "tables" / "lots.csv").read_text().splitlines()
    lines[1] = lines[1].replace(lines[1].split(",")[5], "-3", 1)  # doses below the minimum
    (broken / "tables" / "lots.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(PlanDatabaseError, match="fails `vaxsim plan check`") as refused:
        load_into(broken, db)
    assert any(p.startswith("tables/lots.csv:2:") for p in refused.value.problems)
    assert any("manifest.json" in p and "sha256" in p for p in refused.value.problems)
    engine = sa.create_engine(database_url(db))
    try:
        assert "lots" not in sa.inspect(engine).get_table_names()  # nothing, not even tables
    finally:
        engine.dispose()


def test_a_large_bundle_is_checked_in_its_own_process_while_it_loads(monkeypatch, bundles, tmp_path):
    monkeypatch.setattr(checking, "BACKGROUND_BYTES", 0)  # every bundle counts as large
    db = str(tmp_path / "plans.sqlite")
    assert load_into(bundles["r1"], db).rows["capacity"] == len(read(bundles["r1"]).capacity)
    broken = tmp_path / bundles["r2"].name
    shutil.copytree(bundles["r2"], broken)
    (broken / "tables" / "capacity.csv").write_text("capacity_id\n")
    with pytest.raises(PlanDatabaseError, match="fails `vaxsim plan check`"):
        load_into(broken, db)
    assert count(db, "SELECT count(*) FROM plan_revisions") == 1  # r2's transaction rolled back
