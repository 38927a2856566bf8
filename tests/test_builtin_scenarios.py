"""The built-in scenarios load, and vietnam-2021 matches the census and its generator."""

from __future__ import annotations

import csv
import subprocess
import sys

import vaxsim
from tests.conftest import DEMO, ROOT, SCENARIOS, VIETNAM

CENSUS_TOTAL_2019 = 96_208_984


def test_every_builtin_scenario_loads():
    for path in sorted(SCENARIOS.glob("*.yaml")):
        vaxsim.load(path)


def test_scenario_files_point_editors_at_the_schema():
    for path in sorted(SCENARIOS.glob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../vaxsim/scenario/scenario.schema.json"
        assert (path.parent / "../vaxsim/scenario/scenario.schema.json").resolve().exists()


def test_demo_is_small(demo_scenario):
    model = vaxsim.compile_model(demo_scenario)
    summary = model.summary()
    assert summary["provinces"] == 1
    assert 2 <= summary["districts"] <= 5
    assert 10 <= summary["sites"] <= 15
    assert summary["products"] == 2
    assert 55 <= summary["days"] <= 70


def test_vietnam_has_census_geography(vietnam_scenario):
    model = vaxsim.compile_model(vietnam_scenario)
    assert len(model.provinces) == 63
    assert len(model.districts) == 705
    assert model.total_population == CENSUS_TOTAL_2019
    assert len(model.sites) > 10_000


def test_vietnam_province_populations_equal_census(vietnam_scenario):
    model = vaxsim.compile_model(vietnam_scenario)
    with open(ROOT / "vaxsim/data/vn_provinces.csv", encoding="utf-8") as handle:
        census = {row["code"]: int(row["population_2019"]) for row in csv.DictReader(handle)}
    by_province = model.population.sum(axis=(1, 2))
    totals: dict[str, int] = {}
    for district, people in zip(model.districts.itertuples(), by_province, strict=True):
        code = model.provinces.id[district.province]
        totals[code] = totals.get(code, 0) + int(people)
    assert totals == census


def test_district_file_matches_province_counts():
    with open(ROOT / "vaxsim/data/vn_provinces.csv", encoding="utf-8") as handle:
        provinces = {row["code"]: row for row in csv.DictReader(handle)}
    with open(ROOT / "vaxsim/data/vn_districts_2021.csv", encoding="utf-8") as handle:
        districts = list(csv.DictReader(handle))
    for code, row in provinces.items():
        mine = [d for d in districts if d["province_code"] == code]
        assert len(mine) == int(row["districts_2021"])
        assert sum(int(d["communes_2021"]) for d in mine) == int(row["communes_2021"])


def test_vietnam_has_the_eight_storage_depots_of_2021(vietnam_scenario):
    with open(ROOT / "vaxsim/data/vn_storage_depots_2021.csv", encoding="utf-8") as handle:
        depots = list(csv.DictReader(handle))
    with open(ROOT / "vaxsim/data/vn_provinces.csv", encoding="utf-8") as handle:
        codes = sorted(row["code"] for row in csv.DictReader(handle))
    assert sorted(row["province_code"] for row in depots) == codes  # each province once
    model = vaxsim.compile_model(vietnam_scenario)
    stores = model.stores
    regional = stores[stores.level == "regional"]
    assert len(regional) == 8
    assert set(stores.id[regional.parent]) == {"national"}
    parent = {row["province_code"]: f"depot-{row['depot']}" for row in depots}
    for province in vietnam_scenario.geography.provinces:
        assert province.parent_store == parent[province.id]


def test_vietnam_supply_reaches_the_year_end_checkpoint(vietnam_scenario):
    delivered = sum(d.doses for d in vietnam_scenario.supply.deliveries)
    # 2022-01-02 checkpoint (195.1 M) interpolated back to 2021-12-31 from 100 M on 2021-10-15.
    assert 190_000_000 < delivered < 195_100_000


def test_vietnam_scenario_is_up_to_date_with_its_generator(tmp_path):
    target = tmp_path / "vietnam-2021.yaml"
    subprocess.run(
        [sys.executable, str(ROOT / "tools/build_vietnam_2021.py"), str(target)],
        check=True,
        capture_output=True,
    )
    assert target.read_text(encoding="utf-8") == VIETNAM.read_text(encoding="utf-8"), (
        "scenarios/vietnam-2021.yaml differs from its generator: run `make vietnam`"
    )


def test_project_does_not_need_shared_data():
    for path in [DEMO, VIETNAM, ROOT / "tools/build_vietnam_2021.py"]:
        assert "../shared" not in path.read_text(encoding="utf-8")
