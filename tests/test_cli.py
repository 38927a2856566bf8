"""The command line: help, version, validate, schema and run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

import vaxsim
from tests.conftest import DEMO, ROOT
from vaxsim.cli import app
from vaxsim.io.atomic import MARKER

runner = CliRunner()


def test_version_matches_package():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"vaxsim {vaxsim.__version__}"


def test_python_dash_m_works():
    result = subprocess.run(
        [sys.executable, "-m", "vaxsim", "--help"], capture_output=True, text=True, check=True
    )
    assert "validate" in result.stdout and "Examples" in result.stdout


def test_validate_ok():
    result = runner.invoke(app, ["validate", str(DEMO)])
    assert result.exit_code == 0
    assert "ok" in result.stdout and "12 sites" in result.stdout


def test_schema_check_passes_on_shipped_schema():
    result = runner.invoke(app, ["schema", "--check"])
    assert result.exit_code == 0, result.output


def test_schema_prints_json():
    result = runner.invoke(app, ["schema"])
    assert json.loads(result.stdout)["title"] == "vaxsim scenario"


def test_run_writes_manifest(tmp_path: Path):
    result = runner.invoke(app, ["run", str(DEMO), "-o", str(tmp_path), "--seed", "3"])
    assert result.exit_code == 0, result.output
    [folder] = list(tmp_path.iterdir())
    assert folder.name.startswith("demo-district-")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["scenario"]["seed"] == 3
    assert manifest["scenario"]["sha256"] == vaxsim.scenario_hash(vaxsim.load(DEMO))
    assert manifest["generator"]["version"] == vaxsim.__version__
    assert set(manifest["timings_seconds"]) >= {"load", "compile"}


def test_run_on_broken_scenario_writes_nothing(tmp_path: Path):
    broken = ROOT / "tests/broken/doses_per_vial_zero.yaml"
    result = runner.invoke(app, ["run", str(broken), "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert "must be >= 1 (got 0)" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_readme_python_example_runs(monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [part.split("```", 1)[0] for part in readme.split("```python\n")[1:]]
    assert len(blocks) >= 2
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    for code in blocks:  # in order, sharing names, as a reader would paste them
        exec(compile(code, "README.md", "exec"), namespace)


def test_run_writes_results_and_plots(tmp_path: Path):
    result = runner.invoke(app, ["run", str(DEMO), "-o", str(tmp_path), "--seed", "4"])
    assert result.exit_code == 0, result.output
    [folder] = list(tmp_path.iterdir())
    names = {path.name for path in folder.iterdir()}
    assert {"daily.parquet", "coverage.parquet", "sites.parquet", "waits.parquet", "results.json"} <= names
    assert {"coverage.png", "doses_and_supply.png", "waits.png"} <= names
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    listed = {entry["path"] for entry in manifest["files"]}
    assert listed == names - {"manifest.json", MARKER}
    assert "doses given" in result.stdout


def test_site_command_reports_stations_and_crowding(tmp_path: Path):
    out = tmp_path / "site"
    result = runner.invoke(
        app,
        [
            "site",
            str(DEMO),
            "--site",
            "bk-city-hospital",
            "--date",
            "2021-08-10",
            "--booked",
            "20",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "screening" in result.stdout and "peak on" in result.stdout
    assert {p.name for p in out.iterdir()} == {
        MARKER,
        "visits.csv",
        "stations.csv",
        "sessions.csv",
        "people_on_site.csv",
    }


def test_site_command_refuses_a_closed_day():
    result = runner.invoke(app, ["site", str(DEMO), "--site", "bb-mobile", "--date", "2021-08-09"])
    assert result.exit_code == 1
    assert "closed on 2021-08-09" in result.stderr


def test_site_command_unknown_site():
    result = runner.invoke(app, ["site", str(DEMO), "--site", "nowhere", "--date", "2021-08-10"])
    assert result.exit_code == 1
    assert "no site 'nowhere'" in result.stderr
