"""The checker on the bundle's files: checksums, row counts, schemas, plan.json agreement.

Each test corrupts a copy of the consistent fixture bundle and expects a message that names
the file and the row.
"""

from __future__ import annotations

import json

import vaxsim.plan
from tests.plan.corrupt import delete_line, line_of, read_rows, set_cell
from tests.plan.fixture import SCENARIO, fixture_plan
from vaxsim.plan.checker import check


def _messages(bundle, scenario=None) -> list[str]:
    return [str(v) for v in check(bundle, scenario)]


def test_fixture_bundle_is_clean(bundle):
    assert check(bundle) == []
    assert vaxsim.plan.check(bundle, SCENARIO) == []  # the public API, scenario given as a file


def test_flipped_number_is_named_by_file_and_row(bundle):
    plan = fixture_plan()
    line = line_of(plan.capacity, "capacity_id", "cap-q1-stadium-2021-08-06-0700-pfizer-d1-adults")
    assert set_cell(bundle, "capacity", line, "booked", "30") == "18"
    messages = _messages(bundle)
    key = "capacity_id=cap-q1-stadium-2021-08-06-0700-pfizer-d1-adults"
    assert "tables/capacity.csv: sha256 differs from manifest.json: the file was changed" in messages
    assert f"tables/capacity.csv:{line}: {key}: booked is 30 here but 18 in plan.json" in messages
    assert f"tables/capacity.csv:{line}: {key}: booked 30 > capacity 24" in messages
    assert f"tables/capacity.csv:{line}: {key}: booked 30 but 18 appointments" in messages


def test_deleted_row_is_named(bundle):
    plan = fixture_plan()
    lines = plan.shipment_lines
    line = (
        int(
            lines.index[(lines.shipment_id == "shp-store-760-q1-stadium-2021-08-05") & (lines.line_no == 1)][
                0
            ]
        )
        + 2
    )
    delete_line(bundle, "shipment_lines", line)
    messages = _messages(bundle)
    assert "tables/shipment_lines.csv: 11 rows, manifest.json says 12" in messages
    key = "shipment_id=shp-store-760-q1-stadium-2021-08-05, line_no=1"
    assert any(
        m.startswith(f"tables/shipment_lines.csv: {key}: row is missing: plan.json has it")
        and f"line {line}" in m
        for m in messages
    ), messages
    # The stock projection no longer agrees with the shipments either.
    assert any("q1-stadium" in m and "received 48 but lots and shipments say 0" in m for m in messages)


def test_edit_without_checksum_update_names_file_and_row(bundle):
    line = 7
    set_cell(bundle, "sites", line, "name", "Somewhere else")
    messages = _messages(bundle)
    assert "tables/sites.csv: sha256 differs from manifest.json: the file was changed" in messages
    assert any(
        m.startswith(f"tables/sites.csv:{line}: site_id=bk-city-hospital: name is 'Somewhere else' here")
        for m in messages
    ), messages


def test_plan_json_edit_is_caught(bundle):
    document = json.loads((bundle / "plan.json").read_text())
    document["tables"]["lots"][0]["doses"] = -5
    (bundle / "plan.json").write_text(json.dumps(document))
    messages = _messages(bundle)
    assert "plan.json: sha256 differs from manifest.json: the file was changed" in messages
    assert any(
        m.startswith("plan.json: tables.lots[0].doses: -5 is less than the minimum of 0") for m in messages
    )
    assert "tables/lots.csv:2: lot_id=pfizer-FA4598: doses is 1200 here but -5 in plan.json" in messages


def test_schema_problems_name_line_and_column(bundle):
    set_cell(bundle, "capacity", 3, "booked", "twelve")
    set_cell(bundle, "lots", 2, "expiry_date", "2021-02-30")
    set_cell(bundle, "appointments", 4, "person_key", "+84 912 345 678")
    set_cell(bundle, "sites", 2, "timezone", "")
    messages = _messages(bundle)
    assert "tables/capacity.csv:3: booked: 'twelve' is not an integer" in messages
    assert "tables/lots.csv:2: expiry_date: '2021-02-30' is not a date YYYY-MM-DD" in messages
    assert any(
        m.startswith("tables/appointments.csv:4: person_key: '+84 912 345 678' does not match")
        for m in messages
    )
    assert "tables/sites.csv:2: timezone: a value is required" in messages


def test_duplicate_and_dangling_keys(bundle):
    rows = read_rows(bundle, "capacity")
    set_cell(bundle, "capacity", 3, "capacity_id", rows[1][0])
    set_cell(bundle, "shipment_lines", 2, "lot_id", "no-such-lot")
    messages = _messages(bundle)
    assert (
        f"tables/capacity.csv:3: capacity_id={rows[1][0]}: duplicate primary key (first on line 2)"
        in messages
    )
    assert any(
        m.startswith("tables/shipment_lines.csv:2: lot_id=no-such-lot: refers to no row of lots")
        for m in messages
    )


def test_unlisted_and_missing_files(bundle):
    (bundle / "notes.txt").write_text("hello")
    (bundle / "tables" / "lots.csv").unlink()
    messages = _messages(bundle)
    assert "notes.txt: not listed in manifest.json" in messages
    assert "tables/lots.csv: listed in manifest.json but missing" in messages
    assert "tables/lots.csv: file is missing" in messages


def test_loosened_datapackage_is_reported(bundle):
    package = json.loads((bundle / "datapackage.json").read_text())
    package["resources"][6]["schema"]["fields"][8]["constraints"] = {"required": False}
    (bundle / "datapackage.json").write_text(json.dumps(package))
    messages = _messages(bundle)
    assert (
        "datapackage.json: resource=capacity: path or schema differs from the vaxsim.plan/1.2.0 format"
        in messages
    )


def test_not_a_bundle(tmp_path):
    assert [str(v) for v in check(tmp_path / "nothing")] == [
        f"{tmp_path / 'nothing'}: not a plan bundle folder"
    ]
    (tmp_path / "empty").mkdir()
    messages = _messages(tmp_path / "empty")
    assert "manifest.json: file is missing" in messages


def test_random_corruption_is_reported_never_raised(written_bundle, tmp_path):
    """Any single garbled cell gives violations naming that file, not an exception."""
    import random
    import shutil

    from vaxsim.plan import TABLES

    rng = random.Random(7)
    for attempt in range(6):
        bundle = shutil.copytree(written_bundle, tmp_path / f"{attempt}" / written_bundle.name)
        table = rng.choice([name for name in TABLES if len(read_rows(bundle, name)) > 1])
        rows = read_rows(bundle, table)
        line = rng.randrange(2, len(rows) + 1)
        column = rng.choice(TABLES[table].column_names)
        value = rng.choice(["", "-1", "x", "2021-13-01", "9999999", "1.5", rows[1][0]])
        old = set_cell(bundle, table, line, column, value)
        found = check(bundle)
        if old == value:
            continue
        files = {v.file for v in found}
        assert f"tables/{table}.csv" in files, (table, line, column, value, [str(v) for v in found])
        assert all(v.rule != "checker" for v in found), [str(v) for v in found]


def test_manifest_metadata(bundle):
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["generated_at"] = "2021-08-01 09:00"
    del manifest["generator"]["git_sha"]
    manifest["status"] = "approved"
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    messages = _messages(bundle)
    assert "manifest.json: generated_at: '2021-08-01 09:00' is not an instant with its offset" in messages
    assert "manifest.json: generator: needs name, version and git_sha" in messages
    assert "plan.json: status: 'proposed' differs from manifest.json ('approved')" in messages

