"""``vaxsim optimize SCENARIO -o DIR``: progress, summary, a plan bundle; bad input exits 1."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tests.conftest import DEMO
from vaxsim.cli import app
from vaxsim.optimize.options import default_solver

runner = CliRunner()


def test_optimize_writes_a_bundle_and_prints_a_summary(tmp_path):
    result = runner.invoke(app, ["optimize", str(DEMO), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    printed = ("doses planned", "unmet: waiting for a first dose", "objective", "nation: 3 LPs", "wrote")
    for text in (*printed, "where the supply went"):
        assert text in result.stdout
    (bundle,) = tmp_path.iterdir()
    assert bundle.name.startswith("plan-demo-district-") and bundle.name.endswith("-r1")
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["solver"]["name"] == default_solver()  # highs when installed
    assert (bundle / "tables" / "capacity.csv").exists()


def test_optimize_reports_bad_input_without_a_traceback(tmp_path):
    result = runner.invoke(app, ["optimize", str(DEMO), "-o", str(tmp_path), "--gap", "3"])
    assert result.exit_code == 1
    assert "gap must be in [0, 1)" in result.output
    assert "Traceback" not in result.output
    assert not any(tmp_path.iterdir())


def test_optimize_takes_a_demand_table(tmp_path):
    table = tmp_path / "demand.csv"
    table.write_text("district,priority_group,age_band,date,persons\n058,elderly,65plus,2021-08-03,250\n")
    arguments = ["optimize", str(DEMO), "-o", str(tmp_path / "plans"), "--demand", str(table)]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert "dose 1" in result.stdout and "250" in result.stdout
