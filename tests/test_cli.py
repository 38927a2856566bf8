"""The command line: help, version, validate, schema and run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
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
    assert "screening" in result.stdout and "peak" in result.stdout
    assert {p.name for p in out.iterdir()} == {
        MARKER,
        "visits.csv",
        "stations.csv",
        "sessions.csv",
        "preparers.csv",
        "utilisation.csv",
        "people_on_site.csv",
    }
    visits = pd.read_csv(out / "visits.csv")
    assert {"join_minutes_since_midnight", "join_clock", "end_clock", "wait_minutes",
            "service_minutes"} <= set(visits.columns) and "join" not in visits.columns
    first = visits.iloc[0]
    minutes = round(first.join_minutes_since_midnight)
    assert first.join_clock == f"{minutes // 60:02d}:{minutes % 60:02d}"
    sessions = pd.read_csv(out / "sessions.csv", keep_default_na=False)
    assert sessions.start_clock.str.fullmatch(r"\d\d:\d\d").all()
    assert "time_on_site_mean_minutes" in sessions.columns
    on_site = pd.read_csv(out / "people_on_site.csv")
    assert on_site.time_clock.str.fullmatch(r"\d\d:\d\d").all()


def test_site_command_refuses_a_closed_day():
    result = runner.invoke(app, ["site", str(DEMO), "--site", "bb-mobile", "--date", "2021-08-09"])
    assert result.exit_code == 1
    assert "closed on 2021-08-09" in result.stderr


def test_site_command_unknown_site():
    result = runner.invoke(app, ["site", str(DEMO), "--site", "nowhere", "--date", "2021-08-10"])
    assert result.exit_code == 1
    assert "no site 'nowhere'" in result.stderr


CLINIC_GP = ROOT / "scenarios" / "clinic-gp.yaml"


def test_site_command_clock_times_booking_per_slot_and_picture(tmp_path: Path):
    picture = tmp_path / "gp.png"
    booked = ",".join(["3"] * 18 + ["2"] * 18)  # 18 ten-minute slots per session
    result = runner.invoke(app, ["site", str(CLINIC_GP), "--site", "gp-duc-xuan", "--booked", booked,
                                 "--engine", "kernel", "--plot", str(picture)])
    assert result.exit_code == 0, result.output
    assert "09:00-12:00" in result.stdout and "14:00-17:00" in result.stdout
    assert "busy open" in result.stdout and "busy span" in result.stdout and "preparers" in result.stdout
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_site_command_booking_of_the_wrong_length_is_refused():
    result = runner.invoke(app, ["site", str(CLINIC_GP), "--site", "gp-duc-xuan", "--booked", "3,2"])
    assert result.exit_code == 2
    assert "--booked: 2 numbers for 36 slots (18 + 18 per session of 10 minutes)" in result.stderr


def test_site_command_staffing_answer():
    result = runner.invoke(app, ["site", str(CLINIC_GP), "--site", "gp-duc-xuan", "--engine", "kernel",
                                 "--staff-for", "p90_wait<=5", "--replications", "5"])
    assert result.exit_code == 0, result.output
    assert "fewest staff meeting p90_wait<=5: reception" in result.stdout
    assert "every staffing of each total" in result.stdout and "proven on these draws" in result.stdout


def test_site_command_bad_staffing_target():
    result = runner.invoke(
        app, ["site", str(CLINIC_GP), "--site", "gp-duc-xuan", "--staff-for", "p90_wait_bar<=5"]
    )
    assert result.exit_code == 2
    assert "no station 'bar'" in result.stderr
