"""``Ensemble``: many replications of one or more scenarios, as tidy stacked tables.

Every table of a run that an ensemble keeps (``daily``, ``coverage``, ``district_coverage``,
``backlog``, ``supply``, ``sites``, ``waits``, ``wastage``, ``stock_outs``, ``cold_chain``) is
stacked with a ``scenario`` and a ``seed`` column first, so
``ensemble.coverage.groupby(["scenario", "date"])`` works as on one run. ``kpis`` has one row
per scenario and seed with the headline figures of :meth:`vaxsim.Results.summary` flattened to numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from vaxsim.errors import VaxsimError
from vaxsim.results.results import Results
from vaxsim.run.figures import coverage_bands, daily_doses_bands
from vaxsim.run.replication import KEPT_TABLES, Outcome, kpis, outcome, replication_key
from vaxsim.run.statistics import describe
from vaxsim.run.store import SweepStore, is_sweep

KEYS = ["scenario", "seed"]


@dataclass
class Ensemble:
    """Replications of one or more scenarios (labels in ``scenario`` columns)."""

    tables: dict[str, pd.DataFrame]
    kpis: pd.DataFrame
    scenarios: dict[str, dict[str, Any]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables")
        if tables is not None and name in tables:
            return tables[name]
        raise AttributeError(name)

    def __repr__(self) -> str:
        seeds = self.kpis.groupby("scenario", sort=False).seed.count()
        runs = ", ".join(f"{label}: {count} seeds" for label, count in seeds.items())
        return f"Ensemble({runs})"

    @property
    def labels(self) -> list[str]:
        """Scenario labels, in the order they were given."""
        return list(dict.fromkeys(self.kpis.scenario))

    @classmethod
    def from_outcomes(
        cls,
        outcomes: Mapping[tuple[str, int], Outcome],
        scenarios: Mapping[str, dict[str, Any]] | None = None,
    ) -> Ensemble:
        """Stack replications keyed by ``(label, seed)`` (in that order)."""
        if not outcomes:
            raise VaxsimError("an ensemble needs at least one finished replication")
        tables = {name: _stacked(outcomes, name) for name in KEPT_TABLES}
        rows = [
            {"scenario": label, "seed": seed, **kpis(result.summary)}
            for (label, seed), result in outcomes.items()
        ]
        return cls(tables, pd.DataFrame(rows), dict(scenarios or {}))

    @classmethod
    def from_results(cls, named: Mapping[str, Results]) -> Ensemble:
        """An ensemble of single runs, each labelled by its key in ``named``."""
        return cls.from_outcomes(
            {(label, results.seed): outcome(results) for label, results in named.items()}
        )

    @classmethod
    def combine(cls, named: Mapping[str, Ensemble]) -> Ensemble:
        """Several ensembles as one; a one-scenario ensemble takes its name, others
        ``name/label``."""
        outcomes: dict[tuple[str, int], Outcome] = {}
        scenarios: dict[str, dict[str, Any]] = {}
        for name, ensemble in named.items():
            for label in ensemble.labels:
                new = name if len(ensemble.labels) == 1 else f"{name}/{label}"
                scenarios[new] = ensemble.scenarios.get(label, {})
                for seed in ensemble.kpis.seed[ensemble.kpis.scenario == label]:
                    outcomes[(new, int(seed))] = ensemble.replication(label, int(seed))
        return cls.from_outcomes(outcomes, scenarios)

    def replication(self, label: str, seed: int) -> Outcome:
        """One replication's tables (without the key columns) and headline figures."""
        tables = {}
        for name, table in self.tables.items():
            mine = table[(table.scenario == label) & (table.seed == seed)]
            tables[name] = mine.drop(columns=KEYS).reset_index(drop=True)
        row = self.kpis[(self.kpis.scenario == label) & (self.kpis.seed == seed)].iloc[0]
        return Outcome(tables, {"scenario": label, "seed": seed, **row.drop(KEYS).to_dict()})

    @classmethod
    def load(cls, folder: str | Path) -> Ensemble:
        """Read a sweep folder (``vaxsim sweep``) or a run folder (``vaxsim run``)."""
        folder = Path(folder)
        if not is_sweep(folder):
            if not (folder / "results.json").is_file():
                raise VaxsimError(
                    f"{folder}: neither a sweep folder (sweep.json) nor a run folder (results.json)"
                )
            results = Results.load(folder)
            return cls.from_results({results.scenario: results})
        store = SweepStore(folder)
        asked = store.description()
        outcomes, missing = {}, 0
        for label in asked.get("labels", list(asked["scenarios"])):
            what_if = asked["scenarios"][label]
            for seed in asked["seeds"]:
                key = replication_key(what_if["sha256"], seed, asked["site_queues"])
                if store.has(key):
                    outcomes[(label, seed)] = store.load(key)
                else:
                    missing += 1
        ensemble = cls.from_outcomes(outcomes, asked["scenarios"])
        ensemble.info = {**asked.get("info", {}), "missing_replications": missing, "folder": str(folder)}
        return ensemble

    def summary(self, by: str | None = None) -> pd.DataFrame:
        """Mean, sd and 95 % CI over seeds, per scenario and KPI (``by=None``: the headline
        figures of every run), or per ``"province"``, ``"district"`` (final coverage) or
        ``"site"`` (visits, mean wait in minutes, peak people on site)."""
        if by is None:
            long = self.kpis.melt(id_vars=KEYS, var_name="kpi", value_name="value").dropna(subset=["value"])
            return describe(long, ["scenario", "kpi"], "value")
        if by in ("province", "district"):
            return describe(self._final_coverage(by), ["scenario", by, "kpi"], "value")
        if by == "site":
            return describe(self._site_figures(), ["scenario", "site", "kpi"], "value")
        raise ValueError(f"by must be None, 'province', 'district' or 'site' (got {by!r})")

    def differences(self, baseline: str) -> pd.DataFrame:
        """Each other scenario's headline figures minus ``baseline``'s, seed by seed: n (seeds
        both ran), mean, sd and 95 % CI of the paired differences, per scenario and KPI.

        Runs of one seed meet the same random draws from the day after they first decide
        differently (:mod:`vaxsim.sim.random`), so the paired interval is much narrower than
        the two scenarios' own intervals: it measures the what-if, not the luck of the seeds."""
        if baseline not in self.labels:
            raise VaxsimError(f"no scenario labelled {baseline!r} to compare with (have {self.labels})")
        long = self.kpis.melt(id_vars=KEYS, var_name="kpi", value_name="value").dropna(subset=["value"])
        base = long[long.scenario == baseline].drop(columns="scenario")
        paired = long[long.scenario != baseline].merge(base, on=["seed", "kpi"], suffixes=("", "_baseline"))
        paired["difference"] = paired.value - paired.value_baseline
        return describe(paired, ["scenario", "kpi"], "difference")

    def plot(self, what: str = "coverage", *, series: str = "full_series") -> Figure:
        """A figure with 95 % CI bands over seeds for each scenario: ``"coverage"`` (share of
        the population; ``series`` ``at_least_one`` or ``full_series``) or ``"doses"``
        (doses given per day). Shows in Jupyter; ``.savefig(path)`` writes it."""
        if what == "coverage":
            return coverage_bands(self.coverage, series)
        if what == "doses":
            return daily_doses_bands(self.daily)
        raise ValueError(f"what must be 'coverage' or 'doses' (got {what!r})")

    def _final_coverage(self, level: str) -> pd.DataFrame:
        coverage = self.district_coverage if level == "district" else self.coverage
        if level not in coverage.columns:
            raise VaxsimError(f"these results have no {level} column in their coverage table")
        last = coverage[coverage.date == coverage.groupby(KEYS).date.transform("max")]
        sums = last.groupby([*KEYS, level])[["population", "at_least_one", "full_series"]].sum().reset_index()
        for series in ("at_least_one", "full_series"):
            sums[f"coverage_{series}"] = sums[series] / sums.population
        columns = ["coverage_at_least_one", "coverage_full_series"]
        return sums.melt(id_vars=[*KEYS, level], value_vars=columns, var_name="kpi", value_name="value")

    def _site_figures(self) -> pd.DataFrame:
        sites = self.sites.copy()
        if "mean_wait_minutes" not in sites.columns:
            sites["mean_wait_minutes"] = float("nan")
            sites["peak_on_site"] = float("nan")
        sites["wait_minutes"] = sites.mean_wait_minutes * sites.visits
        grouped = sites.groupby([*KEYS, "site"])
        # min_count: a site without site-queue figures stays NaN instead of summing to 0
        per_site = grouped[["visits", "wait_minutes"]].sum(min_count=1)
        per_site["peak_on_site"] = grouped.peak_on_site.max()
        per_site["mean_wait_minutes"] = per_site.wait_minutes / per_site.visits
        per_site = per_site.drop(columns="wait_minutes").reset_index()
        long = per_site.melt(id_vars=[*KEYS, "site"], var_name="kpi", value_name="value")
        return long.dropna(subset=["value"])


def _stacked(outcomes: Mapping[tuple[str, int], Outcome], name: str) -> pd.DataFrame:
    """Table ``name`` of every replication, one under the other, keyed by scenario and seed."""
    pieces = [result.tables[name] for result in outcomes.values()]
    # one concat and two repeated key columns: copying and keying every piece first took
    # 0.5 s for 100 demo replications, all of it after the last replication finished
    stacked = pd.concat(pieces, ignore_index=True)
    rows = [len(piece) for piece in pieces]
    labels = np.array([label for label, _ in outcomes], dtype=object)
    seeds = np.array([seed for _, seed in outcomes], dtype=np.int64)
    stacked.insert(0, "seed", np.repeat(seeds, rows))
    stacked.insert(0, "scenario", np.repeat(labels, rows))
    return stacked
