"""``vaxsim plan check / export / schema`` on the command line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.plan.corrupt import delete_line, line_of, set_cell
from tests.plan.fixture import SCENARIO, fixture_plan
from vaxsim.cli import app

runner = CliRunner()


def test_check_ok_is_one_line(bundle):
    result = runner.invoke(app, ["plan", "check", str(bundle)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines() == [
        f"{bundle}: OK (checksums, schemas, plan.json, 8 invariants)"
    ]


def test_check_against_the_scenario(bundle):
    result = runner.invoke(app, ["plan", "check", str(bundle), "--scenario", str(SCENARIO)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(f"8 invariants against {SCENARIO})")


def test_check_prints_every_violation_and_exits_1(bundle):
    line = line_of(fixture_plan().capacity, "capacity_id", "cap-q1-stadium-2021-08-06-0700-pfizer-d1-adults")
    set_cell(bundle, "capacity", line, "booked", "30")
    delete_line(bundle, "lots", 3)
    result = runner.invoke(app, ["plan", "check", str(bundle)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    key = "capacity_id=cap-q1-stadium-2021-08-06-0700-pfizer-d1-adults"
    assert f"tables/capacity.csv:{line}: {key}: booked 30 > capacity 24" in lines
    assert "tables/lots.csv: 1 rows, manifest.json says 2" in lines
    assert any(
        text.startswith("tables/lots.csv: lot_id=astrazeneca-ABV5300: row is missing") for text in lines
    )
    assert "violations" in result.stderr


def test_check_with_a_broken_scenario(bundle, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("campaign: {name: x}\n")
    result = runner.invoke(app, ["plan", "check", str(bundle), "--scenario", str(broken)])
    assert result.exit_code == 1
    assert "the scenario is invalid" in result.stderr


@pytest.mark.parametrize("kind", ["ssl", "fhir", "dhis2"])
def test_export(bundle, tmp_path, kind):
    out = tmp_path / kind
    result = runner.invoke(app, ["plan", "export", str(bundle), "--to", kind, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote {out}/")
    assert any(out.iterdir())


def test_export_refuses_a_bad_bundle_and_a_bad_kind(bundle, tmp_path):
    set_cell(bundle, "capacity", 2, "booked", "99")
    result = runner.invoke(app, ["plan", "export", str(bundle), "--to", "fhir", "-o", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "not exported" in result.stderr and "tables/capacity.csv:2:" in result.stderr
    result = runner.invoke(app, ["plan", "export", str(bundle), "--to", "hl7v2"])
    assert result.exit_code == 2
    assert "--to must be one of ssl, fhir, dhis2" in result.stderr


def test_schema_check():
    result = runner.invoke(app, ["plan", "schema", "--check"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("up to date")
