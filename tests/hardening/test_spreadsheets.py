"""No CSV output can run as a spreadsheet formula, and ids are checked for their characters
when a bundle is written and when it is read."""

from __future__ import annotations

import csv
import io
import shutil

import pandas as pd
import pytest
import yaml

from tests.plan.fixture import fixture_plan
from vaxsim.io.spreadsheet import neutralise, neutralised
from vaxsim.plan.checker import check
from vaxsim.plan.exports import export
from vaxsim.plan.exports.dhis2 import DEFAULT_MAPPING

ATTACK = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        (ATTACK, "'" + ATTACK),
        ("+1+cmd", "'+1+cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("-12", "-12"),
        ("-1.5e3", "-1.5e3"),
        ("store-058", "store-058"),
        ("", ""),
    ],
)
def test_formula_cells_are_neutralised_and_numbers_kept(cell, safe):
    assert neutralise(cell) == safe


def test_frames_are_neutralised_in_text_columns_only():
    frame = pd.DataFrame({"site": [ATTACK, "a"], "waits": [-1.0, 2.0]})
    assert neutralised(frame).site.tolist() == ["'" + ATTACK, "a"]
    assert neutralised(frame).waits.tolist() == [-1.0, 2.0]


def test_a_bundle_with_a_formula_id_is_not_written(tmp_path):
    plan = fixture_plan()
    plan.sites.loc[0, "site_id"] = ATTACK
    with pytest.raises(ValueError, match="sites row 1, column site_id"):
        plan.write(tmp_path)


def test_a_bundle_edited_to_hold_a_formula_id_is_refused(tmp_path):
    bundle = fixture_plan().write(tmp_path / "plans")
    path = bundle / "tables" / "products.csv"
    rows = list(csv.reader(io.StringIO(path.read_text())))
    rows[1][0] = ATTACK
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue())
    messages = "\n".join(str(v) for v in check(bundle))
    assert "does not match the pattern" in messages and "products.csv:2" in messages


def test_dhis2_csv_neutralises_codes_from_the_mapping(tmp_path):
    mapping = yaml.safe_load(DEFAULT_MAPPING.read_text())
    mapping["metrics"]["doses_planned"]["data_element"] = ATTACK
    mapping_path = tmp_path / "mapping.yaml"
    mapping_path.write_text(yaml.safe_dump(mapping))
    bundle = fixture_plan().write(tmp_path / "plans")
    folder = export(bundle, "dhis2", tmp_path / "dhis2", mapping=mapping_path)
    cells = [row[0] for row in csv.reader(io.StringIO((folder / "dataValueSets.csv").read_text()))]
    assert ATTACK not in cells and "'" + ATTACK in cells
    shutil.rmtree(folder)
