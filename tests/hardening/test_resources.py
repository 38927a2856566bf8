"""Resource bounds: input files must be regular and small enough, documents must not hold too
many values, quantities and sites have limits, and a model too large for the machine is refused
with an estimate before it is built (how quick and small each refusal is:
benchmarks/bench_refusals.py)."""

from __future__ import annotations

import os

import pytest

import vaxsim
from tests.conftest import DEMO
from vaxsim.errors import ScenarioError
from vaxsim.io.input_file import MAX_SCENARIO_BYTES
from vaxsim.scenario.size import size_findings
from vaxsim.scenario.yaml_source import MAX_NODES


def _refused(path, *overrides) -> str:
    # Time and memory of each refusal are measured in benchmarks/bench_refusals.py.
    with pytest.raises(ScenarioError) as refused:
        vaxsim.load(path, overrides=list(overrides))
    return str(refused.value)


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom"])
def test_extends_of_a_device_is_refused(tmp_path, special):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"extends: {special}\n")
    assert "ending in .yaml" in _refused(scenario)
    os.symlink(special, tmp_path / "device.yaml")
    scenario.write_text("extends: device.yaml\n")
    assert "not a regular file" in _refused(scenario)


def test_extends_of_a_file_that_is_not_a_scenario_quotes_one_line(tmp_path):
    (tmp_path / "secrets.yaml").write_text("".join(f"user{k}: password{k}\n" for k in range(50)))
    scenario = tmp_path / "s.yaml"
    scenario.write_text("extends: secrets.yaml\n")
    message = _refused(scenario)
    assert "not a scenario file" in message and "password" not in message and message.count("user") <= 1


def test_a_file_over_the_size_limit_is_not_read(tmp_path):
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as stream:
        stream.truncate(MAX_SCENARIO_BYTES + 1)  # sparse: nothing to read but its size
    assert "allowed" in _refused(huge)


def test_a_document_with_too_many_values_is_refused_before_it_is_built(tmp_path):
    listed = tmp_path / "list.yaml"
    listed.write_text("campaign:\n  name: x\n  items:\n" + "  - 1\n" * (MAX_NODES + 10))
    assert "too large for a scenario" in _refused(listed)


@pytest.mark.parametrize(
    "override",
    [
        "geography.provinces.0.districts.0.generated_sites={commune_station: 1000000000}",
        "geography.provinces.0.districts.0.population.18-49=9223372036854775808",
        "supply.deliveries.0.doses=1000000000000000000",
    ],
)
def test_quantities_have_stated_limits(override):
    assert "must be <=" in _refused(DEMO, override)


def test_a_model_too_large_for_the_machine_is_refused_with_an_estimate(demo_scenario):
    findings = list(size_findings(demo_scenario, available=10 * 2**20))
    assert len(findings) == 1 and "GiB" in findings[0][1] and "12 sites × 60 days" in findings[0][1]
    assert list(size_findings(demo_scenario)) == []


def test_a_time_zone_that_is_a_folder_of_the_zone_database_is_refused():
    # Found by the long fuzz run: zoneinfo raised IsADirectoryError for "Asia".
    assert "unknown IANA time zone 'Asia'" in _refused(DEMO, "campaign.timezone=Asia")


def test_a_station_that_takes_no_time_is_refused():
    # Found by the long fuzz run: a zero mean service time divided by zero in the site capacity.
    override = "site_types.mobile_team.stations.1.service_minutes.value=0"
    assert "positive mean" in _refused(DEMO, override)
