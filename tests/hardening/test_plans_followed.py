"""A plan bundle is checked against the scenario before it is followed (``run --plan``,
``policies.plan``, the digital twin's first plan); ``policies.plan`` is relative to the
scenario file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import vaxsim
from tests.conftest import DEMO
from tests.plan.corrupt import set_cell
from vaxsim.cli import app
from vaxsim.plan.errors import PlanRefused

runner = CliRunner()


def _copy(bundle: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "plans" / bundle.name
    shutil.copytree(bundle, copy)
    return copy


@pytest.mark.parametrize(
    ("table", "column", "change"),
    [
        ("lots", "doses", lambda text: str(int(text) * 1000)),
        ("shipment_lines", "doses", lambda text: str(int(text) * 10)),
        ("capacity", "capacity", lambda text: "-500"),
    ],
)
def test_run_refuses_a_damaged_bundle_and_writes_nothing(demo_bundle, tmp_path, table, column, change):
    bundle = _copy(demo_bundle, tmp_path)
    old = set_cell(bundle, table, 2, column, "0")
    set_cell(bundle, table, 2, column, change(old))
    runs = tmp_path / "runs"
    result = runner.invoke(app, ["run", str(DEMO), "--plan", str(bundle), "--no-plots", "-o", str(runs)])
    assert result.exit_code == 1
    assert "fails `vaxsim plan check`" in result.stderr and "sha256 differs" in result.stderr
    assert not runs.exists() or not any(runs.iterdir())


def test_the_twin_refuses_a_damaged_first_plan(demo_bundle, tmp_path):
    bundle = _copy(demo_bundle, tmp_path)
    (bundle / "plan.json").write_text("{}\n")
    options = ["--plan", str(bundle), "--replan-every", "20", "--no-plots", "-o", str(tmp_path / "runs")]
    result = runner.invoke(app, ["run", str(DEMO), *options])
    assert result.exit_code == 1 and "fails `vaxsim plan check`" in result.stderr


def _plan_scenario(folder: Path, plan: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "planned.yaml"
    path.write_text(f"extends: {DEMO}\npolicies:\n  allocation: plan\n  plan: {plan}\n")
    return path


def test_policies_plan_is_relative_to_the_scenario_file(demo_model, demo_bundle, tmp_path, monkeypatch):
    bundle = _copy(demo_bundle, tmp_path / "scenarios")
    scenario_path = _plan_scenario(tmp_path / "scenarios", f"plans/{bundle.name}")
    monkeypatch.chdir(tmp_path)  # not the scenario's folder: the path must not be read from here
    scenario = vaxsim.load(scenario_path)
    assert scenario.policies.plan_path() == tmp_path / "scenarios" / "plans" / bundle.name
    results = vaxsim.simulate(scenario, site_queues=False)
    assert results.summary()["plan"]["realised_doses"] > 0


def test_policies_plan_is_checked_before_it_is_followed(demo_bundle, tmp_path):
    bundle = _copy(demo_bundle, tmp_path / "scenarios")
    set_cell(bundle, "lots", 2, "expiry_date", "2030-01-01")
    scenario = vaxsim.load(_plan_scenario(tmp_path / "scenarios", f"plans/{bundle.name}"))
    with pytest.raises(PlanRefused) as refused:
        vaxsim.simulate(scenario, site_queues=False)
    assert any("tables/lots.csv" in violation for violation in refused.value.violations)
