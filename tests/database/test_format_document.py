"""docs/PLAN_FORMAT.md agrees with the package: its table of tables lists every column in file
order with its keys, and every example query runs on SQLite and PostgreSQL with the answer the
bundle gives."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT
from tests.database.conftest import PLAN_ID
from vaxsim.plan import TABLES, read
from vaxsim.plan.database import approve, database_url, load_into

DOCUMENT = ROOT / "docs" / "PLAN_FORMAT.md"


def _table_rows() -> dict[str, list[str]]:
    rows = {}
    for line in DOCUMENT.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `(\w+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$", line)
        if match:
            rows[match[1]] = [cell.strip() for cell in match.groups()[1:]]
    return rows


def test_the_document_lists_every_table_column_and_key():
    rows = _table_rows()
    assert list(rows) == list(TABLES)
    for name, spec in TABLES.items():
        columns, keys, foreign = rows[name]
        assert columns.split(", ") == spec.column_names, name
        assert keys.startswith(f"({', '.join(spec.primary_key)})"), name
        for fk in spec.foreign_keys:
            assert f"{', '.join(fk.fields)} → {fk.reference_table}" in foreign, name


def _queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", DOCUMENT.read_text(encoding="utf-8"), flags=re.S)


def test_the_example_queries_answer_on_both_databases(db, bundles):
    load_into(bundles["r1"], db)
    approve(PLAN_ID, 1, db)
    plan = read(bundles["r1"])
    first = plan.capacity.iloc[0]
    shipment = plan.shipments.iloc[0]
    day = first.service_date
    parameters = {
        "plan_id": PLAN_ID,
        "site": first.site_id,
        "day": day,
        "store": shipment.from_site_id,
        "from_day": shipment.ship_date,
        "to_day": "2099-01-01",
    }
    current, doses, shipments, stock = _queries()
    engine = sa.create_engine(database_url(db))
    try:
        with engine.connect() as connection:
            def run(sql: str):
                names = set(re.findall(r":(\w+)", sql))
                return connection.execute(sa.text(sql), {n: parameters[n] for n in names}).all()

            assert [tuple(row[:2]) for row in run(current)] == [(PLAN_ID, 1)]
            at = plan.capacity[(plan.capacity.site_id == first.site_id) & (plan.capacity.service_date == day)]
            expected = at.groupby(["product_id", "dose_number"])[["capacity", "booked"]].sum()
            assert [(r[0], r[1], r[2], r[3]) for r in run(doses)] == [
                (product, dose, int(row.capacity), int(row.booked))
                for (product, dose), row in expected.iterrows()
            ]
            sent = run(shipments)
            lines = plan.shipment_lines.merge(plan.shipments, on="shipment_id")
            lines = lines[lines.from_site_id == shipment.from_site_id]
            lines = lines[lines.ship_date >= shipment.ship_date]
            assert len(sent) == len(lines[lines.status != "cancelled"]) > 0
            assert run(stock)  # the site holds stock that day
    finally:
        engine.dispose()


@pytest.mark.parametrize("phrase", ["docs/PLAN_FORMAT.md"])
def test_the_cli_help_points_at_the_document(phrase):
    from typer.testing import CliRunner

    from vaxsim.cli import app

    result = CliRunner().invoke(app, ["plan", "--help"])
    assert phrase in result.output
