"""``vaxsim site``: one site's day from the scenario, as a clinic designer asks about it.

Waits per station, utilisation over opening hours and over the working span, crowding and
vials per session (clock times ``HH:MM``), a picture of the day (``--plot``) and the fewest
staff meeting a target (``--staff-for``). Registered in :mod:`vaxsim.cli`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

import vaxsim
from vaxsim.entry import IO_ERROR
from vaxsim.errors import ScenarioError, VaxsimError
from vaxsim.io.atomic import Destination, OutputError
from vaxsim.report.site_csv import write_site_csvs
from vaxsim.scenario.base import clock_time, minutes_of_day
from vaxsim.scenario.scenario import Scenario
from vaxsim.scenario.sites import WEEKDAYS, SiteType
from vaxsim.sim.capacity import session_capacity
from vaxsim.sites.arrivals import slot_count
from vaxsim.sites.results import SiteDayResult
from vaxsim.sites.site_day import replicate_site_day, simulate_site_day
from vaxsim.sites.staffing import (
    MOST_SERVERS,
    MOST_TRIED,
    Staffing,
    Target,
    Trial,
    parse_target,
    service_means,
    staff_for,
)

console = Console(soft_wrap=True, highlight=False)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str, status: int = 1) -> None:
    errors.print(f"error: {message}", markup=False)
    raise typer.Exit(status)


def site(
    scenario_path: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario file.")],
    site_id: Annotated[str, typer.Option("--site", help="Site id (see the scenario's sites).")],
    date: Annotated[
        dt.datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="Day to simulate (default: the first open day)."),
    ] = None,
    booked: Annotated[
        str | None,
        typer.Option(
            metavar="N[,N...]",
            help="People booked per appointment slot: one number for every slot, or one per slot of "
            "the day (all sessions, in order). Default: the site type's booked_per_slot, else its "
            "planning capacity.",
        ),
    ] = None,
    product: Annotated[str | None, typer.Option(help="Product used (default: the first).")] = None,
    show_up: Annotated[float, typer.Option(help="Share of booked people who come.")] = 1.0,
    walk_ins: Annotated[float, typer.Option(help="Walk-ins as a share of booked people.")] = 0.0,
    engine: Annotated[str, typer.Option(help="reference (SimPy, per person) or kernel.")] = "reference",
    seed: Annotated[int | None, typer.Option(help="Seed (default: campaign.seed).")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="PATH=VALUE", help="Override a scenario field (repeatable)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write per-person and per-station CSVs here.")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace an output folder that vaxsim wrote (atomically).")
    ] = False,
    plot: Annotated[
        Path | None,
        typer.Option(help="Write a picture of the day (PNG): crowding, waits and utilisation per station."),
    ] = None,
    staff_target: Annotated[
        str | None,
        typer.Option(
            "--staff-for",
            metavar="METRIC<=VALUE",
            help="Find the fewest servers per station meeting a target at the booked load, e.g. "
            "p90_time_in_clinic<=45 (also mean/p50/p95/p99, _wait, _wait_<station>, peak_on_site).",
        ),
    ] = None,
    replications: Annotated[
        int, typer.Option(min=1, max=1000, help="Days simulated per staffing tried (--staff-for).")
    ] = 20,
) -> None:
    """Simulate one site for one day, person by person: waits per station, utilisation, crowding.

    Example: vaxsim site scenarios/clinic-hub.yaml --site hub --booked 120 --plot hub.png
    """
    try:
        destination = None if output is None else Destination(output, replace=replace)
        scenario = vaxsim.load(scenario_path, overrides=list(set_ or []))
    except ScenarioError as error:  # as every vaxsim command reports them
        count = len(error.problems)
        errors.print(f"{error}\n{count} problem{'s' if count != 1 else ''} found.", markup=False)
        raise typer.Exit(1) from None
    except VaxsimError as error:
        _fail(str(error))
    site_type = _site_type(scenario, scenario_path, site_id)
    day = _day(scenario, site_type, site_id, None if date is None else date.date())
    product_id = product or next(iter(scenario.products))
    if product_id not in scenario.products:
        _fail(f"unknown product {product_id!r} (one of {', '.join(scenario.products)})")
    if engine not in ("reference", "kernel"):
        _fail(f"--engine must be reference or kernel (got {engine!r})", 2)
    slot = site_type.slot_minutes(scenario.policies.appointment_slot_minutes)
    try:
        bookings = _bookings(site_type, slot, booked)
    except ValueError as error:
        _fail(f"--booked: {error}", 2)
    vials = scenario.products[product_id]
    target = None
    if staff_target is not None:
        try:
            target = parse_target(staff_target, [station.name for station in site_type.stations])
        except ValueError as error:
            _fail(f"--staff-for: {error}", 2)
    run = {
        "doses_per_vial": vials.doses_per_vial, "show_up": show_up, "walk_in_share": walk_ins,
        "seed": scenario.campaign.seed if seed is None else seed, "site": site_id,
        "in_use_minutes": vials.in_use_hours * 60.0,
    }
    try:
        result = simulate_site_day(site_type, bookings, slot, engine=engine, **run)
    except ValueError as error:
        _fail(str(error))
    console.print(_station_table(result, f"{site_id} on {day} ({engine} engine)"))
    console.print(_session_table(result, site_type))
    if destination is not None:
        _write_csvs(result, destination)
    if plot is not None:
        from vaxsim.report.site_picture import draw_site_day  # matplotlib loads only for a picture

        draw_site_day(result, f"{site_id} on {day}", plot)
        console.print(f"wrote {plot}", markup=False)
    if target is not None:
        site_input = replicate_site_day(site_type, bookings, slot, replications=replications, **run)
        _print_staffing(staff_for(site_input, target, service_means(site_type)), target, site_type,
                        replications)


def _site_type(scenario: Scenario, path: Path, site_id: str) -> SiteType:
    sites = {s.id: s for s in scenario.sites}
    if site_id not in sites:
        _fail(f"no site {site_id!r} in {path} (e.g. {', '.join(list(sites)[:3])})")
    return scenario.site_types[sites[site_id].type]


def _day(scenario: Scenario, site_type: SiteType, site_id: str, day: dt.date | None) -> dt.date:
    first, last = scenario.campaign.start_date, scenario.campaign.end_date
    if day is None:
        days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
        day = next((d for d in days if WEEKDAYS[d.weekday()] in site_type.open_days), first)
    if not first <= day <= last:
        _fail(f"{day} is outside the campaign ({first} to {last})")
    if WEEKDAYS[day.weekday()] not in site_type.open_days:
        _fail(f"site {site_id} is closed on {day} ({WEEKDAYS[day.weekday()]})")
    return day


def _bookings(site_type: SiteType, slot: float, booked: str | None) -> list:
    """People booked per slot, one entry per session (a number or one number per slot)."""
    slots = [slot_count(minutes_of_day(s.start), minutes_of_day(s.end), slot) for s in site_type.sessions]
    if booked is None:
        if site_type.booked_per_slot is not None:
            given = site_type.booked_per_slot
            return given if isinstance(given, list) else [given] * len(slots)
        return [session_capacity(site_type, s.minutes) // n for s, n in zip(site_type.sessions, slots,
                                                                              strict=True)]
    try:
        numbers = [int(text) for text in booked.split(",")]
    except ValueError:
        raise ValueError(f"expected whole numbers separated by commas (got {booked!r})") from None
    if any(n < 0 for n in numbers):
        raise ValueError("people booked must be >= 0")
    if len(numbers) == 1:
        return [numbers[0]] * len(slots)
    if len(numbers) != sum(slots):
        raise ValueError(
            f"{len(numbers)} numbers for {sum(slots)} slots ({' + '.join(map(str, slots))} per session "
            f"of {slot:g} minutes); give one number, or one per slot"
        )
    ends = np.cumsum(slots)
    return [numbers[end - n: end] for n, end in zip(slots, ends, strict=True)]


def _percent(value: float) -> str:
    return "-" if np.isnan(value) else f"{100 * value:.0f} %"


def _station_table(result: SiteDayResult, title: str) -> Table:
    stations = result.stations.groupby("station", sort=False).agg(
        servers=("servers", "first"), people=("people", "sum"), wait_mean=("wait_mean", "mean"),
        wait_p50=("wait_p50", "mean"), wait_p90=("wait_p90", "max"), wait_p99=("wait_p99", "max"),
    )
    use = result.day_utilisation().set_index("station")
    table = Table(title=f"{title}: waits per station (minutes) and utilisation")
    table.add_column("station", no_wrap=True, min_width=max(len(str(name)) for name in use.index))
    for column in ("staff", "people", "mean", "p50", "p90 (max)", "p99 (max)", "busy open", "busy span"):
        table.add_column(column, justify="right")
    for name, row in use.iterrows():
        waits = stations.loc[name] if name in stations.index else None
        numbers = ["-"] * 5 if waits is None else [
            str(int(waits.people)), *(f"{value:.1f}" for value in
                                      (waits.wait_mean, waits.wait_p50, waits.wait_p90, waits.wait_p99))
        ]
        table.add_row(str(name), str(int(row.servers)), *numbers, _percent(row.utilisation_open_hours),
                      _percent(row.utilisation_working_span))
    table.caption = ("busy open: share of staff time busy over the opening hours; busy span: over the "
                     "working span, from the staff's start (preparers ahead: the lead time before "
                     "opening) to the last person they served")
    return table


def _session_table(result: SiteDayResult, site_type: SiteType) -> Table:
    limit = site_type.crowding_limit
    table = Table(title=f"sessions: time in clinic, people on site (crowding limit {limit}), vials")
    table.add_column("session", no_wrap=True, min_width=11)
    for column in ("came", "p50 min", "p90 min", "peak", "min over", "last out", "vials", "unused"):
        table.add_column(column, justify="right")
    people = result.people
    for row in result.sessions.itertuples():
        times = people.time_on_site[people.session == row.session]
        session = site_type.sessions[row.session]
        table.add_row(
            f"{session.start}-{session.end}", str(row.people),
            "-" if times.empty else f"{times.median():.1f}",
            "-" if times.empty else f"{times.quantile(0.9):.1f}",
            str(row.peak_on_site), f"{row.minutes_above_limit:.0f}",
            "-" if np.isnan(row.last_leave) else clock_time(row.last_leave),
            str(row.vials_opened), f"{row.doses_unused} ({row.doses_expired})",
        )
    table.caption = ("came: people who came; p50/p90 min: minutes in clinic, arrival to leaving; peak: "
                     "most people on site at once; min over: minutes above the crowding limit; unused: "
                     "doses opened but not injected (in brackets: expired, past their in-use time)")
    return table


def _write_csvs(result: SiteDayResult, destination: Destination) -> None:
    try:
        with destination.writing() as folder:
            write_site_csvs(result, folder)
    except OutputError as error:
        _fail(f"--output: {error}", IO_ERROR)
    console.print(f"wrote {destination.path}/", markup=False)


def _print_staffing(search: Staffing, target: Target, site_type: SiteType, replications: int) -> None:
    names = [station.name for station in site_type.stations]
    title = (f"staff against {target}: {replications} days on common random numbers, "
             f"{search.tried} staffings simulated")
    greedy = _staffing_table(f"{title}; greedy pass (upper bound)", names, target, "step")
    for trial in search.path:
        greedy.add_row(trial.step, *_trial_cells(trial))
    console.print(greedy)
    if search.levels:
        levels = _staffing_table("every staffing of each total (best of each by the tie rule: lowest "
                                 f"{target.metric}, then fewest servers in walking order)", names, target,
                                 "total (tried)")
        for level in search.levels:
            levels.add_row(f"{level.total} ({level.tried})", *_trial_cells(level.best))
        console.print(levels)
    answer = search.answer
    if answer is None:
        console.print(f"no staffing up to {MOST_SERVERS} servers per station meets {target}", markup=False)
        return
    staff = ", ".join(f"{name} {count}" for name, count in zip(names, answer.servers, strict=True))
    if search.proven:
        console.print(f"fewest staff meeting {target}: {staff} ({answer.total} in all; proven on these "
                      "draws among staffings that carry each station's offered load)", markup=False)
    else:
        console.print(f"staff meeting {target}: {staff} ({answer.total} in all; greedy, NOT proven the "
                      f"fewest: the exhaustive step would pass {MOST_TRIED} staffings)", markup=False)


def _staffing_table(title: str, names: list[str], target: Target, first: str) -> Table:
    table = Table(title=title)
    table.add_column(first, justify="left")
    for name in names:
        table.add_column(name, justify="right")
    table.add_column(target.metric, justify="right")
    table.add_column("meets target", justify="center")
    return table


def _trial_cells(trial: Trial) -> list[str]:
    return [*map(str, trial.servers), f"{trial.value:.1f}", "yes" if trial.met else "no"]
