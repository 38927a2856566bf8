"""Loading: extends, --set overrides, and where problems are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

import vaxsim
from tests.conftest import DEMO
from vaxsim.errors import ScenarioError


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_extends_merges_mappings_and_replaces_lists(tmp_path: Path):
    child = write(
        tmp_path,
        "what-if.yaml",
        f"extends: {DEMO}\n"
        "campaign: {seed: 7}\n"
        "policies: {second_dose_reserve: {rule: none}}\n"
        "sites: [{id: only, district: '058', type: commune_station}]\n",
    )
    scenario = vaxsim.load(child)
    assert scenario.campaign.seed == 7
    assert scenario.campaign.name == "demo-district"  # kept from the base
    assert scenario.policies.second_dose_reserve.rule == "none"
    assert [site.id for site in scenario.sites] == ["only"]


def test_extends_chain_of_three(tmp_path: Path):
    middle = write(tmp_path, "middle.yaml", f"extends: {DEMO}\ncampaign: {{seed: 5}}\n")
    top = write(tmp_path, "top.yaml", "extends: middle.yaml\ncampaign: {horizon_days: 61}\n")
    scenario = vaxsim.load(top)
    assert (scenario.campaign.seed, scenario.campaign.horizon_days) == (5, 61)
    assert middle.exists()


def test_extends_cycle_is_reported(tmp_path: Path):
    write(tmp_path, "a.yaml", "extends: b.yaml\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    with pytest.raises(ScenarioError, match="extends cycle"):
        vaxsim.load(tmp_path / "a.yaml")


def test_problem_in_base_file_names_base_file_and_line(tmp_path: Path):
    base_text = DEMO.read_text(encoding="utf-8").replace("doses_per_vial: 6", "doses_per_vial: 0")
    base = write(tmp_path, "base.yaml", base_text)
    child = write(tmp_path, "child.yaml", "extends: base.yaml\ncampaign: {seed: 3}\n")
    line = base_text.splitlines().index("    doses_per_vial: 0") + 1
    with pytest.raises(ScenarioError) as caught:
        vaxsim.load(child)
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == (str(base), line)
    assert problem.path == "products.pfizer.doses_per_vial"


def test_set_overrides_keep_yaml_types():
    scenario = vaxsim.load(
        DEMO,
        overrides=[
            "campaign.seed=11",
            "policies.allocation=pro_rata",
            "people.notification.reschedule_no_shows=false",
            "sites.0.type=commune_station",
            "products.pfizer.storage_temperature_c=[-80, -60]",
        ],
    )
    assert scenario.campaign.seed == 11
    assert scenario.policies.allocation == "pro_rata"
    assert scenario.people.notification.reschedule_no_shows is False
    assert scenario.sites[0].type == "commune_station"
    assert scenario.products["pfizer"].storage_temperature_c == (-80, -60)


def test_bad_set_override_names_the_option():
    with pytest.raises(ScenarioError) as caught:
        vaxsim.load(DEMO, overrides=["products.pfizer.doses_per_vial=0"])
    assert str(caught.value) == (
        "--set products.pfizer.doses_per_vial=0: products.pfizer.doses_per_vial: must be >= 1 (got 0)"
    )


def test_set_addresses_list_items_with_brackets_or_dots():
    for path in ("site_types.mass_site.stations[2].servers", "site_types.mass_site.stations.2.servers"):
        scenario = vaxsim.load(DEMO, overrides=[f"{path}=7"])
        assert scenario.site_types["mass_site"].stations[2].servers == 7
    scenario = vaxsim.load(DEMO, overrides=["sites[-1].type=commune_station"])
    assert scenario.sites[-1].type == "commune_station"


def test_unknown_set_path_is_an_override_error_not_a_line_of_the_file():
    override = "site_types.mass_site.stationz[2].servers=3"
    with pytest.raises(ScenarioError) as caught:
        vaxsim.load(DEMO, overrides=[override])
    (problem,) = caught.value.problems
    assert problem.file == f"--set {override}" and problem.line is None
    assert problem.path == "site_types.mass_site.stationz" and "unknown field" in problem.message


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("campaign.seed", "expected --set path.to.field=value"),
        ("sites.99.type=mass_site", "no list item '99'"),
        ("sites[99].type=mass_site", "no list item '99'"),
        ("sites[x].type=mass_site", "expected a path like"),
        ("campaign.name.first=x", "cannot set a field inside a plain value"),
    ],
)
def test_malformed_set_overrides(override: str, message: str):
    with pytest.raises(ScenarioError, match=message):
        vaxsim.load(DEMO, overrides=[override])


def test_every_problem_is_reported_at_once(tmp_path: Path):
    child = write(
        tmp_path,
        "many.yaml",
        f"extends: {DEMO}\n"
        "supply:\n"
        "  deliveries:\n"
        "    - {date: 2021-08-10, product: nope, lot: L1, doses: 5, expiry: 2021-08-01, store: mars}\n"
        "sites: [{id: s, district: '000', type: commune_station}]\n",
    )
    with pytest.raises(ScenarioError) as caught:
        vaxsim.load(child)
    paths = {problem.path for problem in caught.value.problems}
    assert paths == {
        "supply.deliveries[0].product",
        "supply.deliveries[0].store",
        "supply.deliveries[0].expiry",
        "sites[0].district",
    }
    assert {problem.line for problem in caught.value.problems} == {4, 5}


def test_scenario_hash_is_stable_and_sensitive():
    first = vaxsim.scenario_hash(vaxsim.load(DEMO))
    assert first == vaxsim.scenario_hash(vaxsim.load(DEMO))
    assert first != vaxsim.scenario_hash(vaxsim.load(DEMO, overrides=["campaign.seed=1"]))


def test_block_sizes_must_match_the_slots_of_each_session():
    clinic = DEMO.parent / "clinic-hub.yaml"
    with pytest.raises(ScenarioError) as caught:
        vaxsim.load(clinic, overrides=["site_types.hub.booked_per_slot[1]=[1, 2]"])
    (problem,) = caught.value.problems
    assert problem.path == "site_types.hub.booked_per_slot[1]"
    assert "2 numbers for the 4 slots of 60 minutes of session 13:00-17:00" in problem.message
