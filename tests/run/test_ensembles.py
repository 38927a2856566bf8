"""Ensembles: replications, sweeps and comparisons (API), what-ifs validated like files."""

from __future__ import annotations

import pandas as pd
import pytest

import vaxsim
from tests.conftest import DEMO
from vaxsim.errors import ScenarioError, VaxsimError
from vaxsim.run.statistics import describe

RULE = "policies.second_dose_reserve.rule"


@pytest.fixture(scope="module")
def two_rules():
    return vaxsim.sweep(
        DEMO, {RULE: ["none", "hold_back"]}, seeds=3, executor=1, site_queues=False, progress=False
    )


def test_tables_are_stacked_with_scenario_and_seed(two_rules):
    assert two_rules.labels == ["rule=none", "rule=hold_back"]
    for name in ("daily", "coverage", "district_coverage", "backlog", "wastage"):
        table = getattr(two_rules, name)
        assert list(table.columns[:2]) == ["scenario", "seed"], name
        assert set(table.scenario) == set(two_rules.labels)
        assert sorted(table.seed.unique()) == [42, 43, 44]
    assert pd.api.types.is_datetime64_any_dtype(two_rules.coverage.date)


def test_a_replication_is_the_run_of_its_seed(two_rules, demo_scenario):
    what_if = vaxsim.with_changes(demo_scenario, {RULE: "hold_back"})
    run = vaxsim.simulate(what_if, 43, site_queues=False)
    mine = two_rules.daily[(two_rules.daily.scenario == "rule=hold_back") & (two_rules.daily.seed == 43)]
    pd.testing.assert_frame_equal(mine.drop(columns=["scenario", "seed"]).reset_index(drop=True), run.daily)
    kpis = two_rules.kpis.set_index(["scenario", "seed"])
    assert kpis.loc[("rule=hold_back", 43), "doses_given"] == run.summary()["doses_given"]


def test_summary_has_mean_sd_and_a_t_interval(two_rules):
    summary = two_rules.summary().set_index(["scenario", "kpi"])
    row = summary.loc[("rule=none", "doses_given")]
    values = two_rules.kpis[two_rules.kpis.scenario == "rule=none"].doses_given
    assert row.n == 3
    assert row["mean"] == pytest.approx(values.mean())
    assert row.sd == pytest.approx(values.std(ddof=1))
    # t(0.975, 2) = 4.303: the interval of three replications
    assert row.ci95_high - row["mean"] == pytest.approx(4.302653 * values.std(ddof=1) / 3**0.5, rel=1e-5)
    # holding back second doses costs first doses and gains full series: the sweep sees it
    full = summary.xs("coverage_full_series", level="kpi")
    assert full.loc["rule=hold_back", "ci95_low"] > full.loc["rule=none", "ci95_high"]


def test_summaries_by_province_district_and_site(two_rules, demo_scenario):
    by_district = two_rules.summary(by="district")
    assert set(by_district.district) == set(vaxsim.compile_model(demo_scenario).districts.id)
    assert by_district["mean"].between(0, 1).all()
    by_province = two_rules.summary(by="province")
    assert set(by_province.kpi) == {"coverage_at_least_one", "coverage_full_series"}
    by_site = two_rules.summary(by="site")
    assert set(by_site.kpi) == {"visits"}  # no site queues ran: no waits to summarise
    with pytest.raises(ValueError, match="by must be"):
        two_rules.summary(by="street")


def test_district_tables_add_up_to_the_province(two_rules):
    coverage = two_rules.coverage.groupby(["scenario", "seed", "date"]).full_series.sum()
    districts = two_rules.district_coverage.groupby(["scenario", "seed", "date"]).full_series.sum()
    pd.testing.assert_series_equal(coverage, districts)


def test_plot_draws_a_band_per_scenario(two_rules):
    figure = two_rules.plot()
    axes = figure.axes[0]
    assert len(axes.lines) == 2 and len(axes.collections) == 2
    assert len(two_rules.plot("doses").axes[0].lines) == 2


def test_differences_are_paired_by_seed(two_rules):
    """hold_back minus none, seed by seed: the mean is the difference of the means, and the
    paired interval (common random numbers: the same draws once the rules decide alike) is
    narrower than either rule's own."""
    paired = two_rules.differences("rule=none").set_index(["scenario", "kpi"])
    kpis = two_rules.kpis.set_index(["scenario", "seed"])
    gap = kpis.loc["rule=hold_back"].doses_given - kpis.loc["rule=none"].doses_given
    row = paired.loc[("rule=hold_back", "doses_given")]
    assert row.n == 3 and row["mean"] == pytest.approx(gap.mean())
    assert row.sd == pytest.approx(gap.std(ddof=1))
    assert set(paired.index.get_level_values("scenario")) == {"rule=hold_back"}
    own = two_rules.summary().set_index(["scenario", "kpi"]).loc[("rule=none", "coverage_full_series")]
    full = paired.loc[("rule=hold_back", "coverage_full_series")]
    assert full.ci95_low > 0
    assert full.ci95_high - full.ci95_low < own.ci95_high - own.ci95_low
    with pytest.raises(VaxsimError, match="no scenario labelled 'rule=nope'"):
        two_rules.differences("rule=nope")


def test_compare_mixes_scenarios_results_and_ensembles(two_rules, demo_scenario):
    run = vaxsim.simulate(demo_scenario, 7, site_queues=False)
    both = vaxsim.compare({"one run": run, "sweep": two_rules}, progress=False)
    assert both.labels == ["one run", "sweep/rule=none", "sweep/rule=hold_back"]
    assert set(both.summary().scenario) == set(both.labels)


def test_describe_of_one_replication_has_no_width():
    table = describe(pd.DataFrame({"g": ["a"], "x": [3.0]}), ["g"], "x")
    assert table.loc[0, "ci95_low"] == table.loc[0, "ci95_high"] == 3.0


def test_what_ifs_are_validated_like_files(demo_scenario):
    with pytest.raises(ScenarioError, match=r"policies\.allocation"):
        vaxsim.with_changes(demo_scenario, {"policies.allocation": "nonsense"})
    with pytest.raises(ScenarioError, match="approval.capacity_per_day"):
        vaxsim.sweep(demo_scenario, {"people.approval.capacity_per_day": [2000, -1]}, seeds=1, executor=1)
    faster = vaxsim.with_changes(demo_scenario, {"people.approval.capacity_per_day": 4000})
    assert faster.people.approval.capacity_per_day == 4000
    assert demo_scenario.people.approval.capacity_per_day != 4000


def test_simulate_refuses_a_scenario_edited_around_validation(demo_scenario):
    policies = demo_scenario.policies.model_copy(update={"allocation": "nonsense"})
    with pytest.raises(ScenarioError, match=r"policies\.allocation"):
        vaxsim.simulate(demo_scenario.model_copy(update={"policies": policies}), site_queues=False)
    people = demo_scenario.people
    approval = people.approval.model_copy(update={"capacity_per_day": -5})
    broken = demo_scenario.model_copy(update={"people": people.model_copy(update={"approval": approval})})
    with pytest.raises(ScenarioError, match="must be >= 0"):
        vaxsim.simulate(broken, site_queues=False)


def test_simulate_accepts_a_path():
    assert vaxsim.simulate(DEMO, 42, site_queues=False).summary()["seed"] == 42


def test_seeds_must_make_sense():
    with pytest.raises(ValueError, match="seeds must be >= 1"):
        vaxsim.replicate(DEMO, seeds=0, executor=1)
    with pytest.raises(ValueError, match="workers must be >= 1"):
        vaxsim.replicate(DEMO, seeds=1, executor=0)
