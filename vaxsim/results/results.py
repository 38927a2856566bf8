"""``Results``: the tidy tables of one campaign run, saved as Parquet plus JSON."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from vaxsim.coldchain import ColdChainResults
from vaxsim.model import Model
from vaxsim.sim.recorder import CHANNELS, STAGES, Recorder

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Table names, in the order they are written; each is ``<name>.parquet`` in a run folder.
TABLES = (
    "daily",
    "coverage",
    "district_coverage",
    "delays",
    "backlog",
    "registrations",
    "supply",
    "sites",
    "waits",
    "stock",
    "stock_levels",
    "days_of_stock",
    "wastage",
    "stock_outs",
    "cold_chain",
    "transport",
    "ledger",
    "plan_vs_realised",
)


@dataclass
class Results:
    """What a campaign run produced, as pandas DataFrames (one row per observation).

    - ``daily``: date, province, district, product, dose_number, doses (rows with doses only).
    - ``coverage``: date, province, priority_group, age_band, population, at_least_one,
      full_series (people, cumulative at the end of the day).
    - ``district_coverage``: date, province, district, population, at_least_one, full_series.
    - ``delays``: date, province, stage, people, mean_days (waits between the five steps).
    - ``backlog``: date, province, district, registrations, approvals, bookings,
      registered_waiting, approved_waiting, due_waiting, no_shows, walk_ins, dropped,
      unbooked_no_vaccine (people who could have been booked that day but for vaccine; the
      same people count again each day they wait, so the sum over days is person-days:
      ``summary()["unbooked_person_days"]``), missed_no_vaccine (came, got no dose: stock-out
      or turned away late by the open-vial rule; they are booked again), no_return_slot
      (following a plan: people given a dose that day in the plan's slots who found no
      next-dose slot of the plan left at their site in an interval window ending inside the
      campaign, the plan's follow-up promise broken; 0 without a plan).
    - ``registrations``: date, channel, registrations.
    - ``supply``: date, product, delivered, doses_given, national_stock (doses in stores above
      the districts: national, regional, provincial), district_stock (at district stores),
      in_transit, wasted (doses, at the end of the day).
    - ``sites``: date, site, visits, capacity, utilisation (visits / capacity), and site-queue
      KPIs where the site model ran (peak_on_site, minutes_above_crowding_limit,
      injection_utilisation_open_hours, injection_busy_after_close_minutes,
      injection_utilisation_working_span, mean_wait_minutes; see
      :meth:`vaxsim.sim.site_queues.SiteQueues.site_table`).
    - ``waits``: per station and site type, people and waiting minutes (mean, p50, p90, p99).

    Cold chain (:class:`vaxsim.coldchain.ColdChainResults`, doses and litres):

    - ``stock``: date, store, level, product, doses on hand at day end (non-zero rows).
    - ``stock_levels``: date, level (national, regional, provincial, district, in_transit),
      product, doses.
    - ``days_of_stock``: date, district, product, on_hand, daily_use (7-day mean),
      days_of_stock.
    - ``wastage``: date, product, cause (open_vial, expiry, thaw_clock, excursion, breakage),
      doses.
    - ``stock_outs``: date, district, product, short (no dose left), turned_away (late, by
      the open-vial threshold).
    - ``cold_chain``: per store and temperature class: capacity_litres, mean and peak litres,
      peak_utilisation, days_over_capacity.
    - ``transport``: date, from, to, litres, trips, vehicle utilisation.
    - ``ledger``: every receipt, shipment, administration and waste per lot, store and day.

    Plan-driven runs (``simulate(..., plan=...)``): ``plan_vs_realised``: date, province,
    product, dose_number, planned (the plan's booked doses), realised (doses given); empty
    for rule-based runs.
    """

    scenario: str
    seed: int
    daily: pd.DataFrame
    coverage: pd.DataFrame
    district_coverage: pd.DataFrame
    delays: pd.DataFrame
    backlog: pd.DataFrame
    registrations: pd.DataFrame
    supply: pd.DataFrame
    sites: pd.DataFrame
    waits: pd.DataFrame
    stock: pd.DataFrame
    stock_levels: pd.DataFrame
    days_of_stock: pd.DataFrame
    wastage: pd.DataFrame
    stock_outs: pd.DataFrame
    cold_chain: pd.DataFrame
    transport: pd.DataFrame
    ledger: pd.DataFrame
    plan_vs_realised: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {name: pd.Series(dtype="int64") for name in ("planned", "realised")}
        )
    )
    info: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Headline figures of the run (JSON-serialisable)."""
        last = self.coverage[self.coverage.date == self.coverage.date.max()]
        population = int(last.population.sum())
        by_dose = self.daily.groupby("dose_number").doses.sum()
        per_day = self.daily.groupby("date").doses.sum()
        delays = self.delays.groupby("stage")[["people", "total_days"]].sum()
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "population": population,
            "doses_given": int(self.daily.doses.sum()),
            "doses_by_dose_number": {int(k): int(v) for k, v in by_dose.items()},
            "doses_delivered": int(self.supply.delivered.sum()),
            "peak_doses_per_day": int(per_day.max()) if len(per_day) else 0,
            "coverage_at_least_one": float(last.at_least_one.sum() / population) if population else 0.0,
            "coverage_full_series": float(last.full_series.sum() / population) if population else 0.0,
            "no_shows": int(self.backlog.no_shows.sum()),
            "walk_ins": int(self.backlog.walk_ins.sum()),
            "unbooked_person_days": int(self.backlog.unbooked_no_vaccine.sum()),
            "missed_for_lack_of_vaccine": int(self.backlog.missed_no_vaccine.sum()),
            "doses_wasted": int(self.wastage.doses.sum()),
            "wasted_by_cause": {
                str(cause): int(doses) for cause, doses in self.wastage.groupby("cause").doses.sum().items()
            },
            "mean_delay_days": {
                stage: float(row.total_days / row.people) if row.people else None
                for stage, row in delays.iterrows()
            },
            **self.info,
        }

    def plot(self, what: str = "coverage", *, by: str | None = None) -> Figure:
        """A figure of the run: ``"coverage"`` (``by`` None, ``"province"`` or
        ``"district"``), ``"doses"`` (per day, against supply) or ``"waits"`` (at site
        stations). Shows in Jupyter; ``.savefig(path)`` writes it."""
        # Imported here, not at the top, for start-up speed alone (figures.py does not import
        # this module at run time, so there is no cycle): matplotlib takes ~0.5 s to import,
        # and every process that simulates imports this module, including each fresh Dask
        # worker before its first replication, which never draws (benchmarks/ensembles.md).
        from vaxsim.results.figures import FIGURES, coverage_figure

        if what not in FIGURES:
            raise ValueError(f"what must be one of {sorted(FIGURES)} (got {what!r})")
        return coverage_figure(self, by) if what == "coverage" else FIGURES[what](self)

    def save(self, folder: str | Path) -> list[Path]:
        """Write every table as Parquet and the summary as ``results.json`` into ``folder``."""
        folder = Path(folder)
        written = [folder / f"{name}.parquet" for name in TABLES]
        # Parquet encoding and compression release the GIL: two threads write ~1.7x faster.
        with ThreadPoolExecutor(2) as pool:
            # list() waits for every table and re-raises a failed write
            list(
                pool.map(
                    lambda name, path: getattr(self, name).to_parquet(path, index=False), TABLES, written
                )
            )
        path = folder / "results.json"
        path.write_text(json.dumps(self.summary(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
        return written

    @classmethod
    def load(cls, folder: str | Path) -> Results:
        """Read a run folder written by :meth:`save`."""
        folder = Path(folder)
        summary = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}
        return cls(scenario=summary["scenario"], seed=summary["seed"], **tables, info=summary)


def build_results(
    model: Model,
    seed: int,
    record: Recorder,
    waits: pd.DataFrame,
    site_queues: pd.DataFrame,
    cold_chain: ColdChainResults,
) -> Results:
    """Turn the recorder's arrays and the cold chain's tables into tidy tables."""
    dates = pd.Index(model.dates, name="date")
    provinces = model.provinces.id.to_numpy()
    districts = model.districts.id.to_numpy()
    district_province = provinces[model.districts.province.to_numpy()]
    products = model.products.id.to_numpy()
    t, d, p, k = record.doses.shape
    v = len(provinces)

    day, district, product, dose = np.nonzero(record.doses)
    daily = pd.DataFrame(
        {
            "date": dates[day],
            "province": district_province[district],
            "district": districts[district],
            "product": products[product],
            "dose_number": dose + 1,
            "doses": record.doses[day, district, product, dose],
        }
    )
    district_coverage = pd.DataFrame(
        {
            "date": np.repeat(dates, d),
            "province": np.tile(district_province, t),
            "district": np.tile(districts, t),
            "population": np.tile(model.population.reshape(d, -1).sum(axis=1), t),
            "at_least_one": record.district_at_least_one.ravel(),
            "full_series": record.district_full_series.ravel(),
        }
    )

    groups, bands = len(model.priority_groups), len(model.age_bands)
    cell_province, cell_group, cell_band = np.unravel_index(np.arange(v * groups * bands), (v, groups, bands))
    population = model.population.reshape(len(model.districts), groups * bands)
    cell_population = np.zeros(v * groups * bands, dtype=np.int64)
    np.add.at(cell_population.reshape(v, groups * bands), model.districts.province.to_numpy(), population)
    coverage = pd.DataFrame(
        {
            "date": np.repeat(dates, len(cell_province)),
            "province": np.tile(provinces[cell_province], t),
            "priority_group": np.tile(model.priority_groups.id.to_numpy()[cell_group], t),
            "age_band": np.tile(model.age_bands.id.to_numpy()[cell_band], t),
            "population": np.tile(cell_population, t),
            "at_least_one": record.at_least_one.ravel(),
            "full_series": record.full_series.ravel(),
        }
    )
    coverage = coverage[coverage.population > 0].reset_index(drop=True)

    day, province, stage = np.nonzero(record.wait_people)
    people = record.wait_people[day, province, stage]
    total_days = record.wait_days[day, province, stage]
    delays = pd.DataFrame(
        {
            "date": dates[day],
            "province": provinces[province],
            "stage": np.array(STAGES)[stage],
            "people": people,
            "total_days": total_days,
            "mean_days": total_days / people,
        }
    )

    backlog = pd.DataFrame(
        {
            "date": np.repeat(dates, d),
            "province": np.tile(district_province, t),
            "district": np.tile(districts, t),
            "registrations": record.registered.ravel(),
            "approvals": record.approvals.ravel(),
            "bookings": record.bookings.ravel(),
            "registered_waiting": record.backlog[:, :, 0].ravel(),
            "approved_waiting": record.backlog[:, :, 1].ravel(),
            "due_waiting": record.backlog[:, :, 2].ravel(),
            "no_shows": record.no_shows.ravel(),
            "walk_ins": record.walk_ins.ravel(),
            "dropped": record.dropped.ravel(),
            "unbooked_no_vaccine": record.unbooked_no_vaccine.ravel(),
            "missed_no_vaccine": record.missed_no_vaccine.ravel(),
            "no_return_slot": record.no_return_slot.ravel(),
        }
    )
    registrations = pd.DataFrame(
        {
            "date": np.repeat(dates, len(CHANNELS)),
            "channel": np.tile(CHANNELS, t),
            "registrations": record.registrations.sum(axis=1).ravel(),
        }
    )
    supply = pd.DataFrame(
        {
            "date": np.repeat(dates, p),
            "product": np.tile(products, t),
            "delivered": record.delivered.ravel(),
            "doses_given": record.doses.sum(axis=(1, 3)).ravel(),
            "national_stock": record.national_stock.ravel(),
            "district_stock": record.district_stock.sum(axis=1).ravel(),
            "in_transit": cold_chain.record.in_transit[:t].ravel(),
            "wasted": cold_chain.record.waste[:t].sum(axis=1).ravel(),
        }
    )
    return Results(
        scenario=model.scenario.campaign.name,
        seed=seed,
        daily=daily,
        coverage=coverage,
        district_coverage=district_coverage,
        delays=delays,
        backlog=backlog,
        registrations=registrations,
        supply=supply,
        sites=site_queues,
        waits=waits,
        stock=cold_chain.stock_by_store(),
        stock_levels=cold_chain.stock_by_level(),
        days_of_stock=cold_chain.days_of_stock(),
        wastage=cold_chain.wastage(),
        stock_outs=cold_chain.stock_outs(),
        cold_chain=cold_chain.utilisation(),
        transport=cold_chain.transport(),
        ledger=cold_chain.ledger(),
    )
