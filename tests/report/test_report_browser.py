"""``vaxsim sweep`` then ``vaxsim report``: one self-contained page, checked in a real headless
Chromium (loads without console messages, screenshot, key numbers in the rendered DOM), and
an .xlsx of the headline tables."""

from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.conftest import DEMO
from tests.report.browser import render
from vaxsim.cli import app
from vaxsim.report.html import headline_cell
from vaxsim.report.tables import SHEETS
from vaxsim.run.ensemble import Ensemble

RULE = "policies.second_dose_reserve.rule"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    runner = CliRunner()
    swept = runner.invoke(
        app,
        [
            "sweep",
            str(DEMO),
            "--vary",
            f"{RULE}=none,hold_back",
            "--seeds",
            "2",
            "--workers",
            "2",
            "-o",
            str(folder),
        ],
    )
    assert swept.exit_code == 0, swept.output
    page = folder / "report.html"
    written = runner.invoke(app, ["report", str(folder), "-o", str(page)])
    assert written.exit_code == 0, written.output
    return folder, page


def test_the_page_loads_in_chromium_with_the_key_numbers(report, tmp_path):
    folder, page = report
    rendered = render(page, tmp_path)
    assert rendered.console == []
    assert 'data-ready="yes"' in rendered.dom  # the page's script ran to its end
    headline = Ensemble.load(folder).summary().set_index(["scenario", "kpi"])
    for label in ("rule=none", "rule=hold_back"):
        row = headline.loc[(label, "coverage_full_series")]
        assert headline_cell("coverage", row["mean"], row.ci95_low, row.ci95_high) in rendered.dom
        assert f"{label} (n=2)" in rendered.dom
    for section in ("Coverage by district", "Wastage by cause", "Cold-chain utilisation", "worst waits"):
        assert section in rendered.dom
    assert rendered.screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert rendered.screenshot.stat().st_size > 50_000  # figures drawn, not a blank page


def test_the_page_needs_no_network(report):
    text = report[1].read_text(encoding="utf-8")
    assert not re.search(r"(src|href)=['\"](?!data:)", text)
    assert "http://" not in text and "https://" not in text
    assert text.count("data:image/png;base64,") >= 6


def test_the_browser_check_sees_a_broken_page(tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text("<html><body><script>notAFunction();</script></body></html>", encoding="utf-8")
    assert any("notAFunction" in line for line in render(broken, tmp_path).console)


def test_the_workbook_holds_the_headline_tables(report):
    workbook = openpyxl.load_workbook(report[1].with_suffix(".xlsx"))
    assert workbook.sheetnames == list(SHEETS)
    rows = list(workbook["headline"].values)
    assert rows[0][:3] == ("scenario", "figure", "n")
    assert {row[0] for row in rows[1:]} == {"rule=none", "rule=hold_back"}
    assert any(row[1] == "coverage, full series" for row in rows[1:])


def test_compare_prints_both_sweeps_side_by_side(report, tmp_path):
    result = CliRunner().invoke(app, ["compare", str(report[0]), "--csv", str(tmp_path / "c.csv")])
    assert result.exit_code == 0, result.output
    assert "coverage, full series" in result.output
    assert (tmp_path / "c.csv").read_text().startswith("scenario,figure,n,mean")


def test_compare_prints_the_differences_from_a_baseline(report, tmp_path):
    arguments = ["compare", str(report[0]), "--baseline", "rule=none", "--csv", str(tmp_path / "c.csv")]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert "minus rule=none, paired by seed" in result.output and " pp (" in result.output
    table = pd.read_csv(tmp_path / "c.csv")
    assert set(table.minus.dropna()) == {"rule=none"}
    bad = CliRunner().invoke(app, ["compare", str(report[0]), "--baseline", "nope"])
    assert bad.exit_code == 1 and "no scenario labelled 'nope'" in bad.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["report", "no/such/folder"], "no/such/folder: no such run or sweep folder"),
        (
            ["sweep", str(DEMO), "--vary", "policies.allocation"],
            "expected --vary path.to.field=value1,value2",
        ),
        (
            ["sweep", str(DEMO), "--vary", "policies.allocation=nonsense", "--seeds", "1"],
            "policies.allocation",
        ),
        (["sweep", str(DEMO), "--workers", "2", "--dask", "tcp://x:1"], "give --workers or --dask, not both"),
    ],
)
def test_bad_input_is_one_clear_line(arguments, message):
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_single_run_folder_gets_a_report(tmp_path):
    runner = CliRunner()
    ran = runner.invoke(app, ["run", str(DEMO), "--no-plots", "--no-site-queues", "-o", str(tmp_path)])
    assert ran.exit_code == 0, ran.output
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    written = runner.invoke(app, ["report", str(folder)])
    assert written.exit_code == 0, written.output
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "demo-district (n=1)" in page
    assert (folder / "report.xlsx").is_file()
