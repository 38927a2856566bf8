"""The canonical bundle: layout, manifest, determinism, atomic writing and the round trip."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import vaxsim.plan
from tests.plan.conftest import NOW
from vaxsim.plan import TABLES, Plan
from vaxsim.plan.checksums import sha256_file


def _assert_plans_equal(left: Plan, right: Plan) -> None:
    for name in TABLES:
        pdt.assert_frame_equal(getattr(left, name), getattr(right, name), check_exact=True, obj=name)
    pdt.assert_frame_equal(left.findings, right.findings)
    pdt.assert_frame_equal(left.log, right.log)
    for key in ("plan_id", "revision", "supersedes", "status", "scenario", "solver", "summary", "robustness"):
        assert getattr(left, key) == getattr(right, key), key


def test_layout_and_manifest(written_bundle):
    assert written_bundle.name == "plan-fixture-2021-08-r2"
    manifest = json.loads((written_bundle / "manifest.json").read_text())
    assert manifest["format"] == "vaxsim.plan/1.2.0"
    assert manifest["generated_at"] == "2021-08-01T09:00:00+07:00"
    assert manifest["generator"]["name"] == "vaxsim"
    assert set(manifest["scenario"]) == {"name", "seed", "sha256"}
    assert set(manifest["solver"]) == {"name", "status", "objective", "gap", "seconds"}
    paths = [entry["path"] for entry in manifest["files"]]
    assert paths == sorted(["datapackage.json", "plan.json", *(f"tables/{name}.csv" for name in TABLES)])
    for entry in manifest["files"]:
        assert sha256_file(written_bundle / entry["path"]) == entry["sha256"]
    rows = {entry["path"]: entry["rows"] for entry in manifest["files"]}
    assert rows["tables/capacity.csv"] == 10
    assert rows["plan.json"] is None
    assert not list(written_bundle.parent.glob(".*partial"))


def test_datapackage_describes_every_table(written_bundle):
    package = json.loads((written_bundle / "datapackage.json").read_text())
    resources = {resource["name"]: resource for resource in package["resources"]}
    assert list(resources) == list(TABLES)
    lots = resources["lots"]
    assert lots["path"] == "tables/lots.csv"
    assert lots["schema"]["primaryKey"] == ["lot_id"]
    assert lots["schema"]["uniqueKeys"] == [["gtin", "lot_number"]]
    assert {
        "fields": ["product_id"],
        "reference": {"resource": "products", "fields": ["product_id"]},
    } in lots["schema"]["foreignKeys"]
    fields = {field["name"]: field for field in lots["schema"]["fields"]}
    assert fields["expiry_date"]["type"] == "date"
    assert fields["doses"]["constraints"] == {"required": True, "minimum": 0}
    sites = {field["name"]: field for field in resources["sites"]["schema"]["fields"]}
    assert sites["lat"]["constraints"]["required"] is False
    assert resources["sites"]["schema"]["foreignKeys"][0]["reference"]["resource"] == ""


def test_round_trip_gives_an_equal_plan(plan, written_bundle):
    back = vaxsim.plan.read(written_bundle)
    _assert_plans_equal(back, plan.normalised())
    assert back.stock_projection["opening"].dtype == np.int64
    assert back.sites["max_doses_per_day"].dtype == "Int64"
    assert back.sites["lat"].dtype == np.float64
    assert back.lots["expiry_date"].tolist() == ["2021-11-30", "2021-12-31"]


def test_same_plan_gives_byte_identical_files(plan, tmp_path):
    first = plan.write(tmp_path / "a", now=NOW)
    later = dt.datetime(2021, 8, 2, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    second = plan.write(tmp_path / "b", now=later)
    files = sorted(path.relative_to(first) for path in first.rglob("*") if path.is_file())
    assert files == sorted(path.relative_to(second) for path in second.rglob("*") if path.is_file())
    for path in files:
        if path.name != "manifest.json":
            assert (first / path).read_bytes() == (second / path).read_bytes(), path
    one = json.loads((first / "manifest.json").read_text())
    two = json.loads((second / "manifest.json").read_text())
    assert one.pop("generated_at") != two.pop("generated_at")
    assert one == two


def test_optimizer_style_dtypes_are_normalised(plan, tmp_path):
    """Timestamps for dates, floats for whole numbers and pandas' str dtype give the same bundle."""
    loose = plan.normalised()
    loose.lots["expiry_date"] = pd.to_datetime(loose.lots["expiry_date"])
    loose.capacity["capacity"] = loose.capacity["capacity"].astype(float)
    loose.sites["site_id"] = loose.sites["site_id"].astype("string")
    first = plan.write(tmp_path / "a", now=NOW)
    second = loose.write(tmp_path / "b", now=NOW)
    for name in TABLES:
        assert (first / "tables" / f"{name}.csv").read_bytes() == (
            second / "tables" / f"{name}.csv"
        ).read_bytes()


def test_fractional_doses_are_refused_before_anything_is_written(plan, tmp_path):
    plan.capacity["capacity"] = plan.capacity["capacity"].astype(float)
    plan.capacity.loc[3, "capacity"] = 12.5
    with pytest.raises(ValueError, match=r"table capacity, row 3: capacity: 12.5 is not a whole number"):
        plan.write(tmp_path, now=NOW)
    assert list(tmp_path.iterdir()) == []


def test_existing_revision_is_not_overwritten(plan, written_bundle):
    with pytest.raises(FileExistsError):
        plan.write(written_bundle.parent, now=NOW)


def test_naive_time_is_refused(plan, tmp_path):
    with pytest.raises(ValueError, match="time zone"):
        plan.write(tmp_path, now=dt.datetime(2021, 8, 1, 9))
    assert list(tmp_path.iterdir()) == []


def test_default_generated_at_is_local_with_offset(plan, tmp_path):
    manifest = json.loads((plan.write(tmp_path) / "manifest.json").read_text())
    assert manifest["generated_at"].endswith("+07:00")


def test_empty_plan_round_trips(tmp_path):
    plan = Plan(plan_id="empty", scenario={"name": "x", "seed": 1, "sha256": None})
    back = vaxsim.plan.read(plan.write(tmp_path, now=NOW))
    _assert_plans_equal(back, plan.normalised())


def test_read_names_the_file_and_line_it_cannot_read(bundle):
    from tests.plan.corrupt import set_cell
    from vaxsim.plan.errors import PlanError

    set_cell(bundle, "capacity", 4, "capacity", "lots")
    with pytest.raises(PlanError, match=r"tables/capacity.csv: line 4: capacity: 'lots' is not an integer"):
        vaxsim.plan.read(bundle)
    with pytest.raises(PlanError, match="not a plan bundle folder"):
        vaxsim.plan.read(bundle / "nowhere")


def test_non_finite_metadata_becomes_null(plan, tmp_path):
    plan.solver["gap"] = float("inf")
    plan.summary["ratio"] = float("nan")
    path = plan.write(tmp_path, now=NOW)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["solver"]["gap"] is None
    assert json.loads((path / "plan.json").read_text())["summary"]["ratio"] is None
    assert vaxsim.plan.check(path) == []
