"""Benchmark: plan quality, the optimizer's plans against the rule-based policies (issue 13).

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_plan_quality.py [--scenarios a,b,...]
[--seeds N] [--national-seeds N] [--skip-national] [--label TEXT]``.

For each scenario (demo-district, demo-late-deliveries, demo-short-supply on seeds 1..N,
default 20; vietnam-2021 on seeds 1..M, default 3) and each policy:

- ``pro_rata`` and ``priority_first``: the rule-based runs (``policies.allocation`` override);
- ``static plan``: :func:`vaxsim.optimize` (HiGHS) once per scenario (a plan does not depend on
  the simulation seed), re-simulated on every seed with ``vaxsim.simulate(model, seed,
  plan=plan)``;
- ``plan, follow-ups reserved``: the static plan with
  ``PlanningOptions(follow_up_in_plan=True)`` (every first dose's next dose reserved), to
  measure that policy's price against the default plan (first doses first);
- ``re-planned twin``: :func:`vaxsim.run.twin.digital_twin` with the static plan as the first
  plan, re-planned every 14 days (demo scenarios) or 28 days (vietnam-2021), HiGHS;

always with ``site_queues=False``. Every run's KPIs (:func:`kpis`) are cached as JSON under
``benchmarks/.cache/`` keyed by the resolved scenario's sha256, the policy, the seed, the
version of the vaxsim code (git tree of ``vaxsim/``, plus a hash of uncommitted changes) and
:data:`KPI_VERSION`, so an interrupted benchmark continues where it stopped. The script then
writes ``benchmarks/plan_quality.md`` (means with 95 % confidence intervals over seeds, paired
differences, the upper bound of :mod:`plan_quality_bound`, and the issue's targets evaluated
from the numbers), ``benchmarks/plan_quality.json`` (the same figures, machine-readable) and
appends one line to ``benchmarks/plan_quality.jsonl`` (the history; the md compares with the
last record whose label starts with ``baseline``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from measure import machine  # benchmarks/measure.py, beside this script
from plan_quality_bound import upper_bound  # benchmarks/plan_quality_bound.py
from scipy import stats

import vaxsim
from vaxsim.model import Model
from vaxsim.optimize.options import PlanningOptions
from vaxsim.plan import Plan
from vaxsim.results.results import Results
from vaxsim.run.twin import digital_twin

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
RECORD = HERE / "plan_quality.jsonl"
REPORT = HERE / "plan_quality.md"
SUMMARY = HERE / "plan_quality.json"
#: Bump when :func:`kpis` changes what it computes (invalidates the cached runs).
KPI_VERSION = 1

RULES = ("pro_rata", "priority_first")
STATIC, TWIN = "static plan", "re-planned twin"
#: The static plan under the follow-up guarantee (``PlanningOptions(follow_up_in_plan=True)``):
#: not a target, run to measure the guarantee's price against the default plan.
RESERVED = "plan, follow-ups reserved"
#: The plan policies the issue's targets are about.
PLANS = (STATIC, TWIN)
POLICIES = (*RULES, STATIC, RESERVED, TWIN)
WASTE_CAUSES = ("open_vial", "expiry", "thaw_clock", "excursion", "breakage")

#: Reference figures of issue 13's target (c), doses on vietnam-2021.
RULE_DOSES_SEED_2021 = 141_588_121  # priority_first, seed 2021 (benchmarks/national.md)
REAL_CAMPAIGN_DOSES = 150_900_000  # doses given in Viet Nam by 30 Dec 2021
REALISED_TARGET = 0.97


@dataclass(frozen=True)
class Spec:
    """A benchmark scenario: file, seeds, re-planning interval, and the bound LP's shape."""

    name: str
    file: str
    national: bool
    replan_every: int
    bound_level: str
    bound_period_days: int


SPECS = {
    spec.name: spec
    for spec in (
        Spec("demo-district", "demo-district.yaml", False, 14, "district", 1),
        Spec("demo-late-deliveries", "demo-late-deliveries.yaml", False, 14, "district", 1),
        Spec("demo-short-supply", "demo-short-supply.yaml", False, 14, "district", 1),
        Spec("vietnam-2021", "vietnam-2021.yaml", True, 28, "nation", 7),
    )
}

#: KPIs shown per policy: key, label, format (``pct``: share shown in %, ``int``, ``float``).
KPIS = (
    ("doses_given", "doses given", "int"),
    ("first_doses", "first doses", "int"),
    ("coverage_full_series", "full-series coverage", "pct"),
    ("coverage_at_least_one", "coverage, at least one dose", "pct"),
    ("wastage_share", "wastage share (wasted / (given + wasted))", "pct"),
    ("doses_wasted", "doses wasted", "int"),
    *((f"wasted_{cause}", f"  wasted: {cause.replace('_', ' ')}", "int") for cause in WASTE_CAUSES),
    ("missed_for_lack_of_vaccine", "people missed for lack of vaccine", "int"),
    ("unbooked_person_days", "person-days left unbooked for lack of vaccine", "int"),
    ("days_registration_to_first_dose", "days from registration to first dose (see below)", "float"),
    ("planned_doses", "planned doses (plan in force each day)", "int"),
    ("realised_share", "realised share of planned doses", "pct"),
    ("seconds", "seconds per run", "float"),
)


# ---------------------------------------------------------------------------------------- runs


def kpis(results: Results) -> dict[str, Any]:
    """One run's KPI row, from :meth:`Results.summary` and the tidy tables.

    ``days_registration_to_first_dose``: person-days between registration and first dose,
    counted up to the horizon's last day, per person registered: with R(t) the people
    registered by the end of day t (``registrations`` table) and F(t) the first doses given by
    then (``daily``, dose 1), sum over days of (R(t) - F(t)) / R(last day). When everyone
    registered has a first dose by the end it is the mean registration-to-first-dose delay;
    people still waiting at the end count only their days so far. The ``delays`` table cannot
    give this directly: its stages (registration_to_approval, approval_to_booking,
    booking_to_appointment) are means over different people, the last one mixes first and
    next doses, and people who waited past the horizon are not in it; its stage means are kept
    in ``delay_stage_days``.
    """
    summary = results.summary()
    given, wasted = int(summary["doses_given"]), int(summary["doses_wasted"])
    daily = results.daily
    registered = results.registrations.groupby("date").registrations.sum().sort_index().cumsum()
    first = daily[daily.dose_number == 1].groupby("date").doses.sum()
    first = first.reindex(registered.index, fill_value=0).cumsum()
    waiting = registered.to_numpy() - first.to_numpy()
    plan = summary.get("plan") or {}
    by_cause = summary["wasted_by_cause"]
    row: dict[str, Any] = {
        "doses_given": given,
        "first_doses": int(summary["doses_by_dose_number"].get(1, 0)),
        "doses_by_dose_number": summary["doses_by_dose_number"],
        "coverage_full_series": float(summary["coverage_full_series"]),
        "coverage_at_least_one": float(summary["coverage_at_least_one"]),
        "doses_wasted": wasted,
        "wastage_share": wasted / (given + wasted) if given + wasted else 0.0,
        **{f"wasted_{cause}": int(by_cause.get(cause, 0)) for cause in WASTE_CAUSES},
        "wasted_other": int(sum(v for k, v in by_cause.items() if k not in WASTE_CAUSES)),
        "missed_for_lack_of_vaccine": int(summary["missed_for_lack_of_vaccine"]),
        "unbooked_person_days": int(summary["unbooked_person_days"]),
        "people_registered": int(registered.iloc[-1]) if len(registered) else 0,
        "people_approved": int(results.backlog.approvals.sum()),
        "days_registration_to_first_dose": float(waiting.sum() / registered.iloc[-1])
        if len(registered) and registered.iloc[-1]
        else None,
        "min_registered_minus_first_doses": int(waiting.min()) if len(waiting) else 0,
        "delay_stage_days": summary["mean_delay_days"],
        "doses_delivered": int(summary["doses_delivered"]),
        "doses_in_stock_at_end": int(summary.get("doses_in_stock_at_end", 0)),
        "planned_doses": plan.get("planned_doses"),
        "realised_doses": plan.get("realised_doses"),
        "realised_share": plan.get("realised_share"),
        "plans_followed": plan.get("plans_followed"),
        "warnings": len(results.warnings),
    }
    return row


@dataclass
class ScenarioRuns:
    """Everything one scenario needs for its runs, built lazily (models, the static plan)."""

    spec: Spec
    threads: int
    _model: Model | None = None
    _rule_models: dict[str, Model] = field(default_factory=dict)
    _plan: Plan | None = None
    _reserved_plan: Plan | None = None
    plan_info: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return ROOT / "scenarios" / self.spec.file

    @property
    def model(self) -> Model:
        if self._model is None:
            self._model = vaxsim.compile_model(vaxsim.load(self.path))
        return self._model

    def rule_model(self, rule: str) -> Model:
        if rule not in self._rule_models:
            scenario = vaxsim.load(self.path, overrides=[f"policies.allocation={rule}"])
            self._rule_models[rule] = vaxsim.compile_model(scenario)
        return self._rule_models[rule]

    @property
    def plan(self) -> Plan:
        """The static plan: ``vaxsim.optimize(model, solver="highs")``, once per scenario."""
        if self._plan is None:
            started = time.perf_counter()
            self._plan = vaxsim.optimize(self.model, solver="highs", threads=self.threads)
            seconds = time.perf_counter() - started
            summary = self._plan.summary
            self.plan_info = {
                "optimize_seconds": round(seconds, 2),
                "doses_planned": int(summary["doses_planned"]),
                "doses_planned_by_lp": float(summary.get("doses_planned_by_lp", float("nan"))),
                "plan_id": self._plan.plan_id,
            }
            progress(
                f"[{self.spec.name}] optimize (static plan): {seconds:.1f} s, "
                f"{summary['doses_planned']:,} doses planned"
            )
        return self._plan

    @property
    def reserved_plan(self) -> Plan:
        """The static plan under the follow-up guarantee (:data:`RESERVED`), once per scenario."""
        if self._reserved_plan is None:
            planning = PlanningOptions(follow_up_in_plan=True)
            self._reserved_plan = vaxsim.optimize(
                self.model, solver="highs", threads=self.threads, planning=planning
            )
            self.plan_info["doses_planned_follow_ups_reserved"] = int(
                self._reserved_plan.summary["doses_planned"]
            )
        return self._reserved_plan

    def run(self, policy: str, seed: int) -> Results:
        """Simulate ``policy`` on ``seed`` (site queues off)."""
        if policy in RULES:
            return vaxsim.simulate(self.rule_model(policy), seed, site_queues=False)
        if policy == STATIC:
            return vaxsim.simulate(self.model, seed, plan=self.plan, site_queues=False)
        if policy == RESERVED:
            return vaxsim.simulate(self.model, seed, plan=self.reserved_plan, site_queues=False)
        return digital_twin(
            self.model,
            seed,
            replan_every=self.spec.replan_every,
            plan=self.plan,
            site_queues=False,
            solver="highs",
            threads=self.threads,
        )


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def code_version() -> dict[str, str]:
    """The repository HEAD and the version of the imported vaxsim code: the git tree of its
    ``vaxsim/`` folder, with a hash of uncommitted changes there (``+dirty-...``)."""
    package = Path(vaxsim.__file__).resolve().parent
    top = Path(git("rev-parse", "--show-toplevel", cwd=package))
    tree = git("rev-parse", "HEAD:vaxsim", cwd=top)
    if git("status", "--porcelain", "--", "vaxsim", cwd=top):
        diff = subprocess.run(
            ["git", "diff", "HEAD", "--", "vaxsim"], cwd=top, capture_output=True, check=True
        ).stdout
        tree += "+dirty-" + hashlib.sha256(diff).hexdigest()[:12]
    return {"head": git("rev-parse", "HEAD", cwd=top), "vaxsim_tree": tree, "repository": str(top)}


def cache_path(scenario_sha: str, policy: str, seed: int, code: str, replan_every: int) -> Path:
    key = json.dumps([scenario_sha, policy, seed, code, KPI_VERSION, replan_every, "highs"])
    name = hashlib.sha256(key.encode()).hexdigest()[:24]
    return CACHE / f"{policy.replace(' ', '_')}-{seed}-{name}.json"


def run_scenario(spec: Spec, seeds: list[int], threads: int, code: str) -> dict[str, Any]:
    """All policies × seeds of one scenario (cached runs reused); rows per policy and seed."""
    started = time.perf_counter()
    runs = ScenarioRuns(spec, threads)
    scenario_sha = runs.model.scenario_sha256
    rows: dict[str, dict[int, dict[str, Any]]] = {policy: {} for policy in POLICIES}
    errors: list[dict[str, Any]] = []
    plan_cache = cache_path(scenario_sha, "plan", 0, code, 0)
    for policy in POLICIES:
        for seed in seeds:
            where = cache_path(scenario_sha, policy, seed, code, spec.replan_every if policy == TWIN else 0)
            if where.exists():
                row = json.loads(where.read_text())
                rows[policy][seed] = row
                progress(
                    f"[{spec.name}] {policy:<16} seed {seed:>2}: {row['seconds']:7.1f} s (cached), "
                    f"{row['doses_given']:,} doses"
                )
                continue
            try:
                if policy not in RULES:
                    runs.plan  # noqa: B018 - optimized once, outside the run's seconds
                if policy == RESERVED:
                    runs.reserved_plan  # noqa: B018
                begun = time.perf_counter()
                results = runs.run(policy, seed)
                row = kpis(results)
            except Exception as error:  # recorded in the report, never hidden
                traceback.print_exc()
                errors.append({"policy": policy, "seed": seed, "error": f"{type(error).__name__}: {error}"})
                progress(f"[{spec.name}] {policy:<16} seed {seed:>2}: FAILED ({type(error).__name__})")
                continue
            row["seconds"] = round(time.perf_counter() - begun, 2)
            row["seed"] = seed
            CACHE.mkdir(parents=True, exist_ok=True)
            where.write_text(json.dumps(row, sort_keys=True))
            rows[policy][seed] = row
            progress(
                f"[{spec.name}] {policy:<16} seed {seed:>2}: {row['seconds']:7.1f} s, "
                f"{row['doses_given']:,} doses"
            )
        if runs.plan_info:
            cached = json.loads(plan_cache.read_text()) if plan_cache.exists() else {}
            plan_cache.write_text(json.dumps({**cached, **runs.plan_info}))
    plan_info = json.loads(plan_cache.read_text()) if plan_cache.exists() else runs.plan_info
    bound = upper_bound(runs.model, spec.bound_level, spec.bound_period_days, threads=threads)
    progress(f"[{spec.name}] upper bound LP: {bound.seconds:.1f} s, {bound.doses_given:,.0f} doses")
    return {
        "rows": rows,
        "errors": errors,
        "plan": plan_info,
        "bound": bound.as_dict(),
        "scenario_sha256": scenario_sha,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "seeds": seeds,
    }


# ---------------------------------------------------------------------------------- statistics


def mean_ci(values: list[float]) -> dict[str, Any]:
    """Mean and 95 % confidence interval (t-distribution) of ``values``; ``half`` is the
    half-width (None with fewer than two values)."""
    data = np.array([v for v in values if v is not None], dtype=float)
    n = len(data)
    if not n:
        return {"n": 0, "mean": None, "half": None, "low": None, "high": None}
    mean = float(data.mean())
    if n < 2:
        return {"n": 1, "mean": mean, "half": None, "low": None, "high": None}
    half = float(stats.t.ppf(0.975, n - 1) * data.std(ddof=1) / math.sqrt(n))
    return {"n": n, "mean": mean, "half": half, "low": mean - half, "high": mean + half}


def paired(a: dict[int, dict], b: dict[int, dict], key: str) -> dict[str, Any]:
    """Mean and 95 % CI of ``a - b`` for ``key`` over the seeds both have."""
    seeds = sorted(set(a) & set(b))
    return {**mean_ci([a[s][key] - b[s][key] for s in seeds]), "seeds": seeds}


def analyse(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """Means, paired differences and shares of the bound for one scenario."""
    rows = data["rows"]
    keys = [k for k, _, _ in KPIS] + ["wasted_other", "people_approved"]
    means = {
        policy: {k: mean_ci([r.get(k) for r in rows[policy].values()]) for k in keys} for policy in POLICIES
    }
    rule_doses = {
        r: means[r]["doses_given"]["mean"] for r in RULES if means[r]["doses_given"]["mean"] is not None
    }
    best = max(rule_doses, key=lambda r: rule_doses[r]) if rule_doses else None
    comparisons = {}
    pairs = [(STATIC, best), (TWIN, best), (TWIN, STATIC)] if best else [(TWIN, STATIC)]
    pairs.append((RESERVED, STATIC))  # the follow-up guarantee's price
    for a, b in pairs:
        comparisons[f"{a} - {b}"] = {
            "a": a,
            "b": b,
            **{
                k: paired(rows[a], rows[b], k)
                for k in ("doses_given", "coverage_full_series", "wastage_share")
            },
        }
    bound = data["bound"]
    shares = {}
    for policy in POLICIES:
        doses = means[policy]["doses_given"]["mean"]
        full = means[policy]["coverage_full_series"]["mean"]
        realised = [r["doses_given"] / bound["doses_given"] for r in rows[policy].values()]
        shares[policy] = {
            "doses_share_of_bound": doses / bound["doses_given"] if doses is not None else None,
            "doses_below_bound": bound["doses_given"] - doses if doses is not None else None,
            "full_series_share_of_bound": full / bound["full_series_coverage"]
            if full is not None and bound["full_series_coverage"]
            else None,
            "largest_run_share_of_bound": max(realised) if realised else None,
        }
    return {"means": means, "best_rule": best, "comparisons": comparisons, "bound_shares": shares}


# ------------------------------------------------------------------------------------- targets


def at_least(diff: dict[str, Any]) -> tuple[bool | None, bool | None]:
    """(strict, point) verdicts for "a at least b": strict = the 95 % CI of the paired
    difference is not below zero (its low end >= 0; with one seed the difference itself),
    point = the mean difference >= 0."""
    if diff["mean"] is None:
        return None, None
    low = diff["low"] if diff["low"] is not None else diff["mean"]
    return bool(low >= -1e-12), bool(diff["mean"] >= -1e-12)


def not_higher(diff: dict[str, Any]) -> tuple[bool | None, bool | None]:
    """(strict, point) verdicts for "a's wastage share no higher than b's": strict = the 95 %
    CI of the paired difference is not above zero (high end <= 0), point = mean <= 0."""
    if diff["mean"] is None:
        return None, None
    high = diff["high"] if diff["high"] is not None else diff["mean"]
    return bool(high <= 1e-12), bool(diff["mean"] <= 1e-12)


def comparison_verdict(comparison: dict[str, Any]) -> dict[str, Any]:
    doses, doses_point = at_least(comparison["doses_given"])
    full, full_point = at_least(comparison["coverage_full_series"])
    waste, waste_point = not_higher(comparison["wastage_share"])
    parts = [doses, full, waste]
    points = [doses_point, full_point, waste_point]
    return {
        "doses": doses,
        "full_series": full,
        "wastage": waste,
        "met": None if None in parts else all(parts),
        "met_on_point_estimates": None if None in points else all(points),
    }


def evaluate(analysis: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Issue 13's targets, from the numbers."""
    a_rows, b_rows = [], []
    for name, result in analysis.items():
        best = result["best_rule"]
        for a, b in ((STATIC, best), (TWIN, STATIC)):
            key = f"{a} - {b}"
            if best is None or key not in result["comparisons"]:
                a_rows.append({"scenario": name, "comparison": key, "met": None})
                continue
            a_rows.append(
                {"scenario": name, "comparison": key, **comparison_verdict(result["comparisons"][key])}
            )
        for policy in PLANS:
            share = result["means"][policy]["realised_share"]
            values = [share["mean"]] if share["mean"] is not None else []
            b_rows.append(
                {
                    "scenario": name,
                    "policy": policy,
                    "mean": share["mean"],
                    "low": share["low"],
                    "met": None if not values else bool(share["mean"] >= REALISED_TARGET),
                }
            )
    c_rows = []
    national = analysis.get("vietnam-2021")
    if national is not None:
        best = national["best_rule"]
        for policy in PLANS:
            doses = national["means"][policy]["doses_given"]["mean"]
            comparison = national["comparisons"].get(f"{policy} - {best}")
            c_rows.append(
                {
                    "policy": policy,
                    "doses": doses,
                    "at_least_rule_reference": None if doses is None else bool(doses >= RULE_DOSES_SEED_2021),
                    "at_least_best_rule_same_seeds": None
                    if comparison is None
                    else at_least(comparison["doses_given"])[0],
                    "at_least_real_campaign": None if doses is None else bool(doses >= REAL_CAMPAIGN_DOSES),
                    **national["bound_shares"][policy],
                }
            )

    def overall(rows: list[dict[str, Any]], key: str = "met") -> bool | None:
        values = [r[key] for r in rows]
        return None if not values or None in values else all(values)

    return {
        "a": {"met": overall(a_rows), "rows": a_rows},
        "b": {"met": overall(b_rows), "rows": b_rows},
        "c": {
            "evaluated": national is not None,
            "met": overall(c_rows, "at_least_rule_reference") if c_rows else None,
            "aim_met": overall(c_rows, "at_least_real_campaign") if c_rows else None,
            "rows": c_rows,
        },
    }


# ------------------------------------------------------------------------------------ markdown


def fmt(value: Any, kind: str, half: Any = None) -> str:
    """``value`` (± ``half``) as text: ``pct`` in %, ``int`` with thousands separators."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "pct":
        text = f"{100 * value:.2f} %"
        return text if half is None else f"{100 * value:.2f} ± {100 * half:.2f} %"
    if kind == "int":
        text = f"{value:,.0f}"
        return text if half is None else f"{text} ± {half:,.0f}"
    if kind == "pp":
        text = f"{100 * value:+.2f} pp"
        return text if half is None else f"{text} ± {100 * half:.2f}"
    if kind == "signed":
        text = f"{value:+,.0f}"
        return text if half is None else f"{text} ± {half:,.0f}"
    text = f"{value:.2f}"
    return text if half is None else f"{text} ± {half:.2f}"


def verdict(value: bool | None) -> str:
    return "–" if value is None else ("met" if value else "**NOT met**")


def markdown(
    meta: dict[str, Any],
    data: dict[str, dict],
    analysis: dict[str, dict],
    targets: dict,
    baseline: dict[str, Any] | None,
) -> str:
    out: list[str] = []
    add = out.append
    add("# Plan-quality benchmark: optimized plans against the rule-based policies (issue 13)\n")
    add(
        f"Label **{meta['label']}**; repository HEAD `{meta['git']['head'][:12]}`, vaxsim code "
        f"`{meta['git']['vaxsim_tree'][:12]}`; {meta['date']}; {meta['machine']['cpus']} cores, "
        f"Python {meta['machine']['python']}; load average at the end {meta['load_average_1min_at_end']}; "
        f"whole invocation {meta['wall_seconds']:.0f} s (cached runs count their first run's seconds "
        "in the tables, not in this total). Written by `benchmarks/bench_plan_quality.py`; every "
        "invocation is a line of `benchmarks/plan_quality.jsonl`, the latest also "
        "`benchmarks/plan_quality.json`.\n"
    )
    add(
        "Reproduce: `PYTHONPATH=. .venv/bin/python benchmarks/bench_plan_quality.py` (all four scenarios; "
        "`--skip-national` for the demo scenarios only, `--seeds N`, `--national-seeds N`, `--label TEXT`).\n"
    )
    add("## What is measured\n")
    add("Policies, all simulated with `site_queues=False` on the same seeds:\n")
    add("- `pro_rata`, `priority_first`: the rule-based allocations (`policies.allocation` override).")
    add(
        '- `static plan`: `vaxsim.optimize(scenario, solver="highs")` once per scenario, re-simulated '
        "with `vaxsim.simulate(model, seed, plan=plan)` on every seed."
    )
    add(
        "- `re-planned twin`: `vaxsim.run.twin.digital_twin` starting from the static plan and "
        "re-optimized (HiGHS) from the simulated state every 14 days (demo scenarios) or 28 days "
        "(vietnam-2021).\n"
    )
    add(
        "KPIs per run: doses given; first doses; full-series and at-least-one-dose coverage "
        "(share of the whole population); wastage share = wasted / (given + wasted), and wasted "
        "doses by cause (the `wastage` table); people missed for lack of vaccine (came to a "
        "session, got no dose: `backlog.missed_no_vaccine`) and left unbooked for lack of vaccine "
        "(`backlog.unbooked_no_vaccine`); realised share of planned doses "
        "(`summary()['plan']['realised_share']`, planned = each day's doses in the plan in force "
        "when its people were booked, the evening before: a re-plan's day counts the plan it "
        "replaces; plan policies only).\n"
    )
    add(
        "**Days from registration to first dose** = person-days between registration and first "
        "dose, counted up to the horizon's last day, per person registered: sum over days of "
        "(people registered by that day − first doses given by that day) / people registered by "
        "the end (`registrations` and `daily` tables). It is the mean registration-to-first-dose "
        "delay when everyone registered has had a first dose by the end; people still waiting at "
        "the end count only the days they have waited so far, so a policy cannot look better by "
        "leaving people out. (The `delays` table's stages are means over different people, its "
        "`booking_to_appointment` mixes first and next doses, and people still waiting at the end "
        "are not in it; its stage means are kept in the JSON as `delay_stage_days`.)\n"
    )
    add(
        "Each cell: mean over seeds ± half-width of the 95 % confidence interval (t-distribution, "
        "n − 1 degrees of freedom). Paired differences are taken seed by seed against the **best "
        "rule** (the rule with more mean doses given) and between the twin and the static plan.\n"
    )
    add(
        "**Upper bound** (`benchmarks/plan_quality_bound.py`): a linear program that maximises "
        "doses given (separately: completed series) over the horizon with perfect knowledge and "
        "no disturbance: (1) each lot used at most once, only from its arrival day plus the "
        "shortest lead time down to a district store, and not after its expiry; (2) doses per "
        "unit and period at most its sites' people per day as the simulation computes them "
        "(`vaxsim.sim.capacity.weekly_pattern`); (3) first doses per demand class at most the "
        "people the expected-value approval forecast (`vaxsim.optimize.setup.demand.forecast_demand`, "
        "the larger of the priority_first and pro_rata orders) has made available by then; "
        "(4) each next dose of a product at most the previous doses of that product given at "
        "least the minimum interval earlier. Continuous doses (no rounding, vials, open-vial "
        "losses, no-shows, drop-outs, transport or store limits, thaw clocks). Units: districts "
        "with daily periods on the demo scenarios; the whole country with weekly periods on "
        "vietnam-2021 (capacity pooled; a next dose may come floor(min interval / 7) weeks after "
        "the week of the dose before). Every simulated run obeys (1), (2) and (4) exactly, so "
        "no policy can give more doses; (3) holds for the expected registrations, and a seed's "
        "random registrations may differ slightly (the largest realised share of the bound is "
        "shown to check).\n"
    )

    for name, result in analysis.items():
        scenario = data[name]
        spec = SPECS[name]
        seeds = scenario["seeds"]
        add(f"## {name}\n")
        plan = scenario["plan"]
        plan_text = (
            f"static plan: {plan['doses_planned']:,} doses planned "
            f"(LP {plan['doses_planned_by_lp']:,.0f}), optimize {plan['optimize_seconds']:.1f} s"
            + (
                f"; with follow-ups reserved: {plan['doses_planned_follow_ups_reserved']:,} doses planned"
                if "doses_planned_follow_ups_reserved" in plan
                else ""
            )
            if plan
            else "static plan: –"
        )
        add(
            f"`scenarios/{spec.file}`, seeds {seeds[0]}–{seeds[-1]} ({len(seeds)}); re-planning every "
            f"{spec.replan_every} days; {plan_text}; scenario wall time this invocation "
            f"{scenario['wall_seconds']:.0f} s. Best rule: **{result['best_rule']}**.\n"
        )
        add("| KPI | " + " | ".join(POLICIES) + " |")
        add("|---|" + "---|" * len(POLICIES))
        for key, label, kind in KPIS:
            cells = []
            for policy in POLICIES:
                m = result["means"][policy][key]
                cells.append(fmt(m["mean"], kind, m["half"]))
            add(f"| {label} | " + " | ".join(cells) + " |")
        add("| runs (seeds) | " + " | ".join(str(len(scenario["rows"][p])) for p in POLICIES) + " |\n")

        add(
            'Paired differences over seeds (mean ± 95 % CI half-width); verdict: "at least" = the '
            "CI of the difference in doses and in full-series coverage not below zero, and the CI "
            'of the wastage-share difference not above zero; "point" = the same on the means only.\n'
        )
        add(
            table_row(
                "comparison",
                "Δ doses given",
                "Δ full-series coverage",
                "Δ wastage share",
                "at least (CI)",
                "point",
            )
        )
        add("|---|---|---|---|---|---|")
        for key, comparison in result["comparisons"].items():
            v = comparison_verdict(comparison)
            d, f, w = (
                comparison["doses_given"],
                comparison["coverage_full_series"],
                comparison["wastage_share"],
            )
            add(
                table_row(
                    key,
                    fmt(d["mean"], "signed", d["half"]),
                    fmt(f["mean"], "pp", f["half"]),
                    fmt(w["mean"], "pp", w["half"]),
                    verdict(v["met"]),
                    verdict(v["met_on_point_estimates"]),
                )
            )
        bound = scenario["bound"]
        add("")
        add(
            f"Upper bound ({bound['level']} level, {bound['period_days']}-day periods, "
            f"{bound['rows']:,} rows × {bound['columns']:,} columns, {bound['seconds']:.1f} s): "
            f"**{bound['doses_given']:,.0f} doses** (delivered: {bound['doses_delivered']:,}; "
            f"first doses at most {bound['first_doses']:,.0f}), full-series coverage at most "
            f"**{100 * bound['full_series_coverage']:.2f} %** ({bound['full_series']:,.0f} people).\n"
        )
        add(
            "| policy | doses, share of bound | doses below bound | full-series coverage, share of bound "
            "| largest run's share of the doses bound |"
        )
        add("|---|---|---|---|---|")
        for policy in POLICIES:
            s = result["bound_shares"][policy]
            add(
                table_row(
                    policy,
                    fmt(s["doses_share_of_bound"], "pct"),
                    fmt(s["doses_below_bound"], "int"),
                    fmt(s["full_series_share_of_bound"], "pct"),
                    fmt(s["largest_run_share_of_bound"], "pct"),
                )
            )
        add("")
        if scenario["errors"]:
            add("**Runs that failed** (left out of the means):\n")
            for error in scenario["errors"]:
                add(f"- {error['policy']}, seed {error['seed']}: `{error['error']}`")
            add("")

    add("## Targets (issue 13)\n")
    add(
        "(a) on every scenario the static plan re-simulated gives at least the best rule's doses given "
        "and full-series coverage (95 % CI of the paired difference over seeds not below zero), with "
        "no higher wastage share; the re-planned twin at least as good as the static plan\n"
    )
    add("(b) realised share of planned doses ≥ 97 %\n")
    add(
        "(c) vietnam-2021: at least the rule's doses (141.5 M on seed 2021), aiming at 150.9 M (real "
        "campaign by 30 Dec 2021); distance of each policy from the upper bound.\n"
    )
    add(
        "Computed from the tables above (strict reading: the whole 95 % CI of the paired difference "
        "must be ≥ 0 for doses and full-series coverage and ≤ 0 for the wastage share; "
        '"as good as" uses the same three tests).\n'
    )
    a = targets["a"]
    add(f"**(a):** {verdict(a['met'])}.\n")
    add(
        table_row(
            "scenario",
            "comparison",
            "doses",
            "full-series coverage",
            "wastage share",
            "verdict",
            "on point estimates",
        )
    )
    add("|---|---|---|---|---|---|---|")
    for row in a["rows"]:
        add(
            f"| {row['scenario']} | {row['comparison']} | {verdict(row.get('doses'))} | "
            f"{verdict(row.get('full_series'))} | {verdict(row.get('wastage'))} | {verdict(row['met'])} | "
            f"{verdict(row.get('met_on_point_estimates'))} |"
        )
    b = targets["b"]
    add(
        f"\n**(b):** {verdict(b['met'])} (mean realised share over seeds ≥ 97 % for both plan policies "
        "on every scenario).\n"
    )
    add("| scenario | policy | realised share (mean) | verdict |")
    add("|---|---|---|---|")
    for row in b["rows"]:
        add(f"| {row['scenario']} | {row['policy']} | {fmt(row['mean'], 'pct')} | {verdict(row['met'])} |")
    c = targets["c"]
    if not c["evaluated"]:
        add("\n**(c): not evaluated** (vietnam-2021 not in this invocation).\n")
    else:
        national = analysis["vietnam-2021"]
        best = national["best_rule"]
        rule_mean = national["means"][best]["doses_given"]["mean"] if best else None
        add(
            f"\n**(c):** {verdict(c['met'])} (mean doses over seeds ≥ {RULE_DOSES_SEED_2021:,}, the "
            f"priority_first rule's doses on seed 2021 with site queues, benchmarks/national.md); the "
            f"aim of {REAL_CAMPAIGN_DOSES / 1e6:.1f} M: {verdict(c['aim_met'])}. For reference the best rule "
            f"here ({best}) gives {fmt(rule_mean, 'int')} doses on average on these seeds; the upper "
            f"bound is {analysis_bound(data):,.0f} doses.\n"
        )
        add(
            "| policy | doses (mean) | ≥ 141.5 M (rule, seed 2021) | ≥ best rule, same seeds (CI) | "
            "≥ 150.9 M | share of bound | below bound |"
        )
        add("|---|---|---|---|---|---|---|")
        for row in c["rows"]:
            add(
                table_row(
                    row["policy"],
                    fmt(row["doses"], "int"),
                    verdict(row["at_least_rule_reference"]),
                    verdict(row["at_least_best_rule_same_seeds"]),
                    verdict(row["at_least_real_campaign"]),
                    fmt(row["doses_share_of_bound"], "pct"),
                    fmt(row["doses_below_bound"], "int"),
                )
            )
        for rule in RULES:
            s = national["bound_shares"][rule]
            doses = national["means"][rule]["doses_given"]["mean"]
            add(
                table_row(
                    f"{rule} (rule)",
                    fmt(doses, "int"),
                    "–",
                    "–",
                    "–",
                    fmt(s["doses_share_of_bound"], "pct"),
                    fmt(s["doses_below_bound"], "int"),
                )
            )
        bound = data["vietnam-2021"]["bound"]
        if bound["doses_given"] < REAL_CAMPAIGN_DOSES:
            add(
                f"\nThe upper bound ({bound['doses_given'] / 1e6:.1f} M) is below the 150.9 M aim: no "
                "policy can reach it in this scenario. The bound's first doses "
                f"({bound['first_doses']:,.0f}) against the {bound['people_available']:,} people the "
                "approval forecast makes available by the end show whether people, not vaccine or "
                "capacity, are what caps it."
            )
        add("")
    if baseline is not None:
        add(
            f"## Compared with the baseline ({baseline['label']}, {baseline['date']}, "
            f"HEAD {baseline['git']['head'][:12]})\n"
        )
        add("| scenario | policy | Δ doses given | Δ full-series coverage | Δ wastage share |")
        add("|---|---|---|---|---|")
        for name, result in analysis.items():
            old = baseline.get("scenarios", {}).get(name)
            if old is None:
                continue
            for policy in POLICIES:
                new_m, old_m = result["means"][policy], old["means"].get(policy, {})

                def delta(key: str, means: dict = new_m, before: dict = old_m) -> float | None:
                    now, then = means[key]["mean"], before.get(key, {}).get("mean")
                    return None if now is None or then is None else now - then

                add(
                    f"| {name} | {policy} | {fmt(delta('doses_given'), 'signed')} | "
                    f"{fmt(delta('coverage_full_series'), 'pp')} | {fmt(delta('wastage_share'), 'pp')} |"
                )
        add("")
    return "\n".join(out) + "\n"


def table_row(*cells: object) -> str:
    """A markdown table row."""
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def analysis_bound(data: dict[str, dict]) -> float:
    return float(data["vietnam-2021"]["bound"]["doses_given"])


def last_baseline(label: str) -> dict[str, Any] | None:
    """The last record of the history whose label starts with ``baseline`` (not this run's)."""
    if not RECORD.exists() or label.startswith("baseline"):
        return None
    found = None
    for line in RECORD.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            if str(record.get("label", "")).startswith("baseline"):
                found = record
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default=",".join(SPECS), help="comma-separated: " + ", ".join(SPECS))
    parser.add_argument("--seeds", type=int, default=20, help="seeds 1..N on the demo scenarios")
    parser.add_argument("--national-seeds", type=int, default=3, help="seeds 1..N on vietnam-2021")
    parser.add_argument("--skip-national", action="store_true", help="leave vietnam-2021 out")
    parser.add_argument("--label", default="", help="recorded with the figures (e.g. 'baseline c12d0a8')")
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1), help="optimizer threads")
    parser.add_argument("--no-record", action="store_true", help="do not append to plan_quality.jsonl")
    args = parser.parse_args()

    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in SPECS]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)} (known: {', '.join(SPECS)})")
    if args.skip_national:
        names = [n for n in names if not SPECS[n].national]
    started = time.perf_counter()
    git_info = code_version()
    progress(f"vaxsim from {Path(vaxsim.__file__).parent}, code {git_info['vaxsim_tree'][:12]}")
    data = {}
    for name in names:
        spec = SPECS[name]
        seeds = list(range(1, (args.national_seeds if spec.national else args.seeds) + 1))
        data[name] = run_scenario(spec, seeds, args.threads, git_info["vaxsim_tree"])
    analysis = {name: analyse(name, data[name]) for name in names}
    targets = evaluate(analysis)
    meta = {
        "label": args.label,
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "git": git_info,
        "machine": machine(),
        "threads": args.threads,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
    }
    record = {
        **meta,
        "kpi_version": KPI_VERSION,
        "targets": targets,
        "scenarios": {
            name: {
                "file": SPECS[name].file,
                "scenario_sha256": data[name]["scenario_sha256"],
                "seeds": data[name]["seeds"],
                "replan_every": SPECS[name].replan_every,
                "wall_seconds": data[name]["wall_seconds"],
                "plan": data[name]["plan"],
                "bound": data[name]["bound"],
                "errors": data[name]["errors"],
                **analysis[name],
            }
            for name in names
        },
    }
    baseline = last_baseline(args.label)
    REPORT.write_text(markdown(meta, data, analysis, targets, baseline), encoding="utf-8")
    runs = {name: {p: data[name]["rows"][p] for p in POLICIES} for name in names}
    SUMMARY.write_text(json.dumps({**record, "runs": runs}, indent=1, default=_json) + "\n", encoding="utf-8")
    if not args.no_record:
        with RECORD.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, default=_json, ensure_ascii=False) + "\n")
    progress(
        f"wrote {REPORT.relative_to(ROOT)} and {SUMMARY.relative_to(ROOT)}"
        + ("" if args.no_record else f", appended to {RECORD.relative_to(ROOT)}")
        + f" ({meta['wall_seconds']:.0f} s)"
    )


def _json(value: Any) -> Any:
    if isinstance(value, np.integer | np.floating):
        return value.item()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


if __name__ == "__main__":
    main()
