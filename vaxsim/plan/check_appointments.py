"""Appointment windows and notices against the rule of :mod:`vaxsim.plan.appointment_times`.

From the bundle alone: within one session, the windows are the session or slots of one length
from its start, and every notice has the same lead before its window (a plan has one
notification lead). Given the scenario: the slots are the site type's slot length and the lead
is the scenario's ``people.notification.lead_time_hours``.
"""

from __future__ import annotations

import pandas as pd

from vaxsim.model import Model
from vaxsim.plan.appointment_times import window_problem
from vaxsim.plan.invariants import Rules, Tables, path
from vaxsim.plan.violations import Violation
from vaxsim.scenario.base import minutes_of_day

SESSION = ["site_id", "service_date", "session_start", "session_end"]


def _windows(tables: Tables) -> pd.DataFrame:
    """Appointments with their session and their window in minutes of the (local) day."""
    sessions = tables["capacity"].set_index("capacity_id")[SESSION]
    joined = tables["appointments"].join(sessions, on="capacity_id", how="inner")
    text = {column: joined[column].astype(str) for column in ("window_start", "window_end")}
    clock = {column: value.str[11:13] + ":" + value.str[14:16] for column, value in text.items()}
    minutes = {column: pd.to_numeric(_minutes(value), errors="coerce") for column, value in clock.items()}
    return joined.assign(
        start=minutes["window_start"],
        end=minutes["window_end"],
        first=pd.to_numeric(_minutes(joined.session_start.astype(str)), errors="coerce"),
        last=pd.to_numeric(_minutes(joined.session_end.astype(str)), errors="coerce"),
    ).dropna(subset=["start", "end", "first", "last"])


def most_common(frame: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    """The most common value of ``column`` per group of ``keys`` (the smallest on a tie), as a
    Series aligned with ``frame``'s rows (vectorised: one count per distinct value)."""
    counts = frame.groupby([*keys, column], sort=False).size().rename("n").reset_index()
    counts = counts.sort_values(["n", column], ascending=[False, True], kind="stable")
    common = counts.drop_duplicates(keys).set_index(keys)[column]
    return frame.join(common.rename("_common"), on=keys)["_common"]


def _minutes(clock: pd.Series) -> pd.Series:
    """Minutes of the day of ``HH:MM`` texts (NaN where not a time), each distinct text once."""

    def one(text: str) -> float:
        try:
            return float(minutes_of_day(text))
        except (ValueError, TypeError):
            return float("nan")

    return clock.map({text: one(text) for text in clock.unique()})


def _problems(windows: pd.DataFrame, slot: pd.Series) -> pd.Series:
    """:func:`window_problem` of each window for slots of ``slot`` minutes (a Series aligned
    with ``windows``), computed once per distinct (window, session, slot)."""
    keys = pd.DataFrame({"start": windows.start, "end": windows.end, "first": windows["first"],
                         "last": windows["last"], "slot": slot.astype(float)})
    unique = keys.drop_duplicates()
    unique = unique.assign(problem=[
        window_problem(int(s), int(e), (int(a), int(b)), n)
        for s, e, a, b, n in zip(unique.start, unique.end, unique["first"], unique["last"], unique.slot,
                                 strict=True)
    ])
    return keys.merge(unique, how="left", on=list(keys.columns)).problem.set_axis(keys.index)


def _report(rows: pd.DataFrame, message, rule: str = "content") -> list[Violation]:
    return [
        Violation(path("appointments"), int(row.csv_line), f"appointment_id={row.appointment_id}",
                  message(row), rule)
        for row in rows.itertuples()
    ]


def appointment_slots(tables: Tables, rules: Rules) -> list[Violation]:
    """In each session, every window is the session or a slot of the session's most common
    window length, counted from the session's start (the last one cut at its end)."""
    windows = _windows(tables)
    if windows.empty:
        return []
    common = most_common(windows.assign(length=windows.end - windows.start), SESSION, "length")
    bad = windows[_problems(windows, common).notna()]
    return _report(bad, lambda row: f"window {row.window_start}..{row.window_end} is not a slot of "
                   f"the others of its session {row.service_date} {row.session_start}-{row.session_end}")


def notice_leads(tables: Tables, rules: Rules) -> list[Violation]:
    """Every notice goes out the same time before its window (the plan's notification lead)."""
    lead = _leads(tables["appointments"])
    if lead.empty:
        return []
    common = lead.mode().min()
    bad = tables["appointments"].loc[lead.index[lead != common]]
    hours = common.total_seconds() / 3600
    return _report(bad, lambda row: f"notice at {row.notify_at} for a window opening {row.window_start}: "
                   f"not the {hours:g} hours before that the plan's other notices give")


def _leads(appointments: pd.DataFrame) -> pd.Series:
    """Window start minus notice, per appointment with a notice (a Timedelta)."""
    noticed = appointments.dropna(subset=["notify_at"])
    start = pd.to_datetime(noticed.window_start.astype(str), utc=True, errors="coerce", format="ISO8601")
    notice = pd.to_datetime(noticed.notify_at.astype(str), utc=True, errors="coerce", format="ISO8601")
    return (start - notice).dropna()


def check_appointment_times(tables: Tables, model: Model) -> list[Violation]:
    """Windows are the session or one of the site type's slots; notices go out the scenario's
    notification lead before the window."""
    scenario = model.scenario
    type_of = dict(zip(model.sites.id.tolist(), model.sites.type.tolist(), strict=True))
    default = scenario.policies.appointment_slot_minutes
    windows = _windows(tables)
    known = windows[windows.site_id.isin(type_of)]  # an unknown site is reported by check_sites
    types = scenario.site_types
    slot_of = {site: types[type_of[site]].slot_minutes(default) for site in known.site_id.unique()}
    problems = _problems(known, known.site_id.map(slot_of))
    wrong = problems.notna()
    found = [
        Violation(path("appointments"), int(row.csv_line), f"appointment_id={row.appointment_id}",
                  f"window {row.window_start}..{row.window_end} {problem}", "scenario")
        for row, problem in zip(known[wrong].itertuples(), problems[wrong], strict=True)
    ]
    hours = scenario.people.notification.lead_time_hours
    lead = _leads(tables["appointments"])
    bad = tables["appointments"].loc[lead.index[lead != pd.Timedelta(hours=hours)]]
    found += _report(bad, lambda row: f"notice at {row.notify_at} for a window opening {row.window_start}: "
                     f"the scenario's notification lead is {hours:g} hours", "scenario")
    return found
