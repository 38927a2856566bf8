"""``vaxsim plan load / approve / revisions / diff`` on the command line (SQLite): clear output,
every refusal as a message and exit status 1, never a traceback."""

from __future__ import annotations

import csv
import shutil

from typer.testing import CliRunner

from tests.database.conftest import FEWER, PLAN_ID
from vaxsim.cli import app

runner = CliRunner()


def _plan(*arguments: str):
    return runner.invoke(app, ["plan", *arguments])


def test_load_approve_and_list_revisions(bundles, tmp_path):
    db = str(tmp_path / "plans.sqlite")
    result = _plan("load", str(bundles["r1"]), "--db", db)
    assert result.exit_code == 0, result.output
    assert f"{PLAN_ID} r1 (draft):" in result.stdout and "loaded into" in result.stdout
    again = _plan("load", str(bundles["r1"]), "--db", db)
    assert again.stdout.strip() == f"{PLAN_ID} r1: already loaded, unchanged"
    assert _plan("load", str(bundles["r2"]), "--db", db).exit_code == 0
    assert _plan("approve", f"{PLAN_ID}:1", "--db", db).stdout.strip() == f"{PLAN_ID} r1: approved"
    result = _plan("approve", str(bundles["r2"]), "--db", db)
    assert result.stdout.strip() == f"{PLAN_ID} r2: approved; superseded r1"
    assert _plan("revisions", "--db", db).stdout.splitlines() == [
        f"{PLAN_ID} r1: superseded",
        f"{PLAN_ID} r2: approved (supersedes plan-{PLAN_ID}-r1)  <- current approved plan",
    ]


def test_refusals_are_messages_not_tracebacks(bundles, tmp_path):
    db = str(tmp_path / "plans.sqlite")
    broken = tmp_path / bundles["r1"].name
    shutil.copytree(bundles["r1"], broken)
    (broken / "plan.json").unlink()
    result = _plan("load", str(broken), "--db", db)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "plan.json: file is missing" in result.stdout
    assert "refused: the bundle fails `vaxsim plan check`" in result.stderr
    result = _plan("approve", f"{PLAN_ID}:1", "--db", db)
    assert result.exit_code == 1 and "no plans are loaded" in result.stderr
    result = _plan("approve", "nonsense", "--db", db)
    assert result.exit_code == 1 and "neither a bundle folder nor PLAN_ID:REVISION" in result.stderr
    result = _plan("load", str(bundles["r1"]), "--db", "mysql://nobody@nowhere/plans")
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_diff_prints_a_summary_and_writes_csv(bundles, tmp_path):
    changes = tmp_path / "r1-r2.csv"
    result = _plan("diff", str(bundles["r1"]), str(bundles["r2"]), "--csv", str(changes))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{PLAN_ID} r1 -> {PLAN_ID} r2"
    assert lines[1].startswith("  shipments: 0 added, 0 removed, 0 changed")
    assert lines[2].startswith("  slots: 0 added, 0 removed, 1 changed")
    assert lines[3].startswith("  allocations: 0 added, 0 removed, 2 changed")
    rows = list(csv.DictReader(changes.open()))
    assert sorted(row["what"] for row in rows) == ["allocations", "allocations", "slots"]
    assert {int(row["change"]) for row in rows} == {-FEWER}
    missing = _plan("diff", str(bundles["r1"]), str(tmp_path / "nowhere"))
    assert missing.exit_code == 1 and "not a plan bundle" in missing.stderr
