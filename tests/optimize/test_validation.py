"""A genuinely impossible input is a clear error before any model is built."""

from __future__ import annotations

import importlib
from dataclasses import replace

import pandas as pd
import pytest

import vaxsim
from tests.conftest import DEMO, SMALL_STORES
from vaxsim.optimize import OptimizeError, PlanningOptions, Weights


@pytest.fixture(scope="module")
def model():
    return vaxsim.compile_model(vaxsim.load(DEMO))


def no_build(monkeypatch):
    """Fail the test if any LP is built."""

    def refuse(*args, **kwargs):
        raise AssertionError("a model was built")

    monkeypatch.setattr(importlib.import_module("vaxsim.optimize.rolling"), "build", refuse)


def test_negative_supply_is_an_error_before_any_model(model, monkeypatch):
    no_build(monkeypatch)
    lots = model.lots.copy()
    lots.loc[0, "doses"] = -500
    lots.loc[1, "expiry_day"] = lots.loc[1, "arrival_day"] - 3
    with pytest.raises(OptimizeError) as error:
        vaxsim.optimize(replace(model, lots=lots))
    message = str(error.value)
    assert "2 problems" in message
    assert "supply lot 'AZ-DEMO-01': negative supply (-500 doses)" in message
    assert "supply lot 'PF-DEMO-01': expires" in message


def test_bad_options_are_all_reported(model, monkeypatch):
    no_build(monkeypatch)
    with pytest.raises(OptimizeError) as error:
        vaxsim.optimize(
            model,
            weights=Weights(expiry=-1.0, priority=(1.0, 2.0)),
            planning=PlanningOptions(horizon_days=10, replan_every=20),
            gap=2.0,
        )
    problems = error.value.problems
    assert any("weights.expiry" in p for p in problems)
    assert any("weights.priority has 2 values for 4" in p for p in problems)
    assert any("replan_every (20) must not exceed horizon_days (10)" in p for p in problems)
    assert any("gap must be in [0, 1)" in p for p in problems)


def test_an_interval_without_a_whole_week_is_an_error_for_weekly_plans(model):
    intervals = model.intervals.copy()
    intervals.loc[0, ["min_days", "max_days"]] = [22, 27]
    with pytest.raises(OptimizeError, match="holds no whole number of 7-day periods"):
        vaxsim.optimize(replace(model, intervals=intervals), planning=PlanningOptions(period_days=7))


def test_a_bad_demand_table_is_an_error(model):
    table = pd.DataFrame(
        {
            "district": ["058", "999"],
            "priority_group": ["adults", "adults"],
            "age_band": ["18-49", "18-49"],
            "date": ["2021-08-03", "2021-08-03"],
            "persons": [100, -5],
        }
    )
    with pytest.raises(OptimizeError) as error:
        vaxsim.optimize(model, demand=table)
    assert any("unknown district '999'" in p for p in error.value.problems)
    assert any("persons must be a whole number >= 0" in p for p in error.value.problems)


def test_a_demand_table_replaces_the_forecast(model):
    table = pd.DataFrame(
        {
            "district": ["058"],
            "priority_group": ["elderly"],
            "age_band": ["65plus"],
            "date": ["2021-08-03"],
            "persons": [300],
        }
    )
    plan = vaxsim.optimize(model, demand=table)
    first = plan.capacity[plan.capacity.dose_number == 1]
    assert first.booked.sum() == 300
    assert set(first.priority_group) == {"elderly"}
    assert plan.summary["unmet_first_doses_at_end"] == 0


def test_storage_too_small_is_slack_and_a_finding_not_an_error():
    scenario = vaxsim.load(DEMO, overrides=list(SMALL_STORES))
    plan = vaxsim.optimize(scenario, appointments=False)
    kinds = set(plan.findings.kind)
    assert {"storage_full"} <= kinds or {"storage_overflow"} <= kinds
    assert plan.findings.message.str.contains("2–8 °C storage").any()
    assert plan.summary["doses_planned"] > 0
