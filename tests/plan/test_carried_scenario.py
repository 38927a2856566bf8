"""A bundle carries the scenario it was made from (scenario.json), and the checker uses it."""

from __future__ import annotations

import dataclasses

import vaxsim
from tests.plan.fixture import SCENARIO, fixture_plan
from vaxsim.plan.checker import check
from vaxsim.scenario.load import canonical_json, scenario_hash

PLAN = fixture_plan()
FIXTURE_SCENARIO = SCENARIO


def test_a_bundle_is_checked_against_the_scenario_it_carries(tmp_path):
    """Without a scenario file, the checker uses the bundle's scenario.json (the scenario its
    sha256 names): a plan edit only the scenario reveals is caught; a scenario.json that is not
    the one plan.json names is reported, not used."""
    scenario = vaxsim.load(FIXTURE_SCENARIO)
    named = {**PLAN.scenario, "sha256": scenario_hash(scenario)}
    carrying = dataclasses.replace(PLAN, scenario=named, scenario_json=canonical_json(scenario))
    assert check(carrying.write(tmp_path / "sound")) == []
    products = carrying.products.copy()
    products.loc[0, "doses_per_vial"] = int(products.loc[0, "doses_per_vial"]) * 10
    edited = dataclasses.replace(carrying, products=products)
    assert check(edited.write(tmp_path / "edited"), None)  # only the scenario says the vial size
    assert not check(dataclasses.replace(PLAN, products=products).write(tmp_path / "bare"))
    renamed = carrying.scenario_json.replace("plan-fixture", "other")
    other = dataclasses.replace(carrying, scenario_json=renamed)
    found = check(other.write(tmp_path / "other"))
    assert [v.file for v in found] == ["scenario.json"] and "sha256" in found[0].message
