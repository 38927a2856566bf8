"""A campaign's plans as revisions of one plan_id: numbering in an output folder, the twin's
re-plans, and what changed between two revisions (plan diff)."""

from __future__ import annotations

import dataclasses

import pandas as pd

from tests.database.conftest import FEWER, NOW, revision
from vaxsim.plan.diff import DIFF_COLUMNS, diff
from vaxsim.plan.revisions import in_folder, revise, written_revisions
from vaxsim.run import twin
from vaxsim.run.twin import replanner


def _with_inputs(plan, inputs: str):
    scenario = {**plan.scenario, "inputs_sha256": inputs}
    return dataclasses.replace(plan, revision=1, supersedes=None, scenario=scenario)


def test_a_new_plan_of_the_campaign_is_the_next_revision(tmp_path):
    first = _with_inputs(revision(1), "a" * 64)
    assert in_folder(first, tmp_path).revision == 1  # nothing written yet
    in_folder(first, tmp_path).write(tmp_path, now=NOW)
    again = in_folder(_with_inputs(revision(1), "a" * 64), tmp_path)
    assert (again.revision, again.supersedes) == (1, None)  # same inputs: the same revision
    changed = in_folder(_with_inputs(revision(1), "b" * 64), tmp_path)
    assert (changed.plan_id, changed.revision) == (first.plan_id, 2)
    assert changed.supersedes == f"plan-{first.plan_id}-r1"
    assert changed.status == "draft"
    changed.write(tmp_path, now=NOW)
    (tmp_path / f"plan-{first.plan_id}-r7").mkdir()  # no manifest: not a revision
    assert [w.revision for w in written_revisions(tmp_path, first.plan_id)] == [1, 2]
    assert in_folder(_with_inputs(revision(1), "c" * 64), tmp_path).revision == 3


def test_each_twin_replan_is_the_next_revision(monkeypatch):
    plans = iter([revision(1), revision(1)])
    monkeypatch.setattr(twin, "optimize", lambda model, **_: next(plans))
    replan = replanner(None, previous=revise(revision(1), "fixture-2021-08", 1))  # following r2
    third, fourth = replan(None), replan(None)
    assert (third.revision, third.supersedes) == (3, "plan-fixture-2021-08-r2")
    assert (fourth.revision, fourth.supersedes) == (4, "plan-fixture-2021-08-r3")


def test_diff_names_what_changed_by_site_day_and_lot(tmp_path):
    before = revision(1).write(tmp_path, now=NOW)
    after = revision(2).write(tmp_path, now=NOW)
    result = diff(before, after)
    assert (result.before, result.after) == ("fixture-2021-08 r1", "fixture-2021-08 r2")
    assert list(result.changes.columns) == DIFF_COLUMNS
    allocations = revision(1).registrant_allocations
    to_district = allocations.iloc[0]
    changes = result.changes.set_index(["site_id", "date", "product_id", "dose_number"])["change"]

    def change(row) -> int:
        return changes.loc[(row.to_unit_id, row.service_date, row.product_id, str(row.dose_number))].sum()

    assert change(to_district) == -FEWER
    summary = result.summary.set_index("what")
    totals = summary.loc["allocations", ["total_before", "total_after"]]
    assert totals.total_after - totals.total_before == -2 * FEWER
    assert summary.loc["slots", "changed"] == 1
    assert summary.loc["shipments", ["added", "removed", "changed"]].to_numpy().sum() == 0
    assert diff(before, before).changes.empty


def test_diff_keys_shipments_by_lot(tmp_path):
    plan = revision(1)
    before = plan.write(tmp_path / "a", now=NOW)
    lines = plan.shipment_lines.copy()
    shipments = plan.shipments.copy()
    cancelled = shipments.shipment_id.iloc[-1]
    shipments.loc[shipments.shipment_id == cancelled, "status"] = "cancelled"
    changed = dataclasses.replace(plan, shipments=shipments, revision=2)
    result = diff(before, changed.write(tmp_path / "b", now=NOW))
    sent = lines[lines.shipment_id == cancelled].merge(shipments, on="shipment_id")
    rows = result.changes[result.changes.what == "shipments"]
    assert set(rows.lot_id) == set(sent.lot_id) and (rows.after == 0).all()
    assert pd.Series(rows.before).sum() == sent.doses.sum()
