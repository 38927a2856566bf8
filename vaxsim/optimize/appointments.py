"""One appointment per booked person, with a keyed hash in place of the person.

People are not individuals in the optimizer, so the appointments give them stable stand-ins:
the ``n``-th person of a district and demand class to get a first dose is
``<district>/<class>/<n>``. Next doses go first-in-first-out to the people whose previous
dose is oldest (the realised plan only gives a next dose to someone whose minimum interval has
passed, so the head of the queue always is). ``person_key`` is an HMAC-SHA256 of that stand-in
keyed with the scenario's hash: stable for one scenario, meaningless outside it, and never
personal data.

Times: the window is the session (local ``HH:MM`` with the zone's offset on that date); the
SMS notice goes out at :data:`NOTIFY_AT` local time on the day before.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict, deque
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from vaxsim.model import Model
from vaxsim.optimize.context import Steps
from vaxsim.optimize.ids import digest
from vaxsim.optimize.plan_bookings import Bookings
from vaxsim.optimize.sites import SiteCalendar
from vaxsim.optimize.vaccination_day import DoseKinds
from vaxsim.plan.tables import TABLES

#: Local time of the SMS notice, on the day before the appointment.
NOTIFY_AT = "18:00"


class AppointmentError(AssertionError):
    """A next dose found nobody owed it: a bug in the realised plan, never a user error."""


def _instant(date: pd.Timestamp, hhmm: str, zone: ZoneInfo) -> str:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime(date.year, date.month, date.day, hour, minute, tzinfo=zone).isoformat()


def appointments_table(
    bookings: Bookings,
    capacity: pd.DataFrame,
    row_of_booking: np.ndarray,
    model: Model,
    calendar: SiteCalendar,
    kinds: DoseKinds,
    steps: Steps,
    class_ids: list[str],
) -> pd.DataFrame:
    """``appointments``: one row per booked person (module docstring)."""
    zone = ZoneInfo(model.scenario.campaign.timezone)
    secret = f"vaxsim-person-key:{model.scenario_sha256}".encode()
    district_ids = model.districts.id.astype(str).to_numpy()
    queues: dict[tuple[int, int], deque[str]] = defaultdict(deque)
    counter: dict[tuple[int, int], int] = defaultdict(int)
    capacity_ids = capacity.capacity_id.to_numpy()
    order = np.lexsort((kinds.service[bookings.kind], bookings.district, bookings.day))
    times: dict[tuple[int, int, int], tuple[str, str, str]] = {}
    rows_capacity, rows_person, rows_start, rows_end, rows_notify = [], [], [], [], []
    for b in order:
        d, k, n = int(bookings.district[b]), int(bookings.kind[b]), int(bookings.persons[b])
        if kinds.group[k] >= 0:
            c = int(kinds.group[k])
            first = counter[(d, c)]
            counter[(d, c)] += n
            people = [f"{district_ids[d]}/{class_ids[c]}/{i}" for i in range(first, first + n)]
        else:
            queue = queues[(d, int(steps.prev_slot[kinds.step[k]]))]
            if len(queue) < n:
                raise AppointmentError(f"district {district_ids[d]}: {n} next doses for {len(queue)} people")
            people = [queue.popleft() for _ in range(n)]
        if kinds.slot[k] >= 0:
            queues[(d, int(kinds.slot[k]))].extend(people)
        key = (int(bookings.day[b]), int(bookings.site[b]), int(bookings.session[b]))
        if key not in times:
            date = model.dates[0] + timedelta(days=key[0])
            site, session = key[1], key[2]
            times[key] = (
                _instant(date, calendar.session_start[site, session], zone),
                _instant(date, calendar.session_end[site, session], zone),
                _instant(date - timedelta(days=1), NOTIFY_AT, zone),
            )
        start, end, notify = times[key]
        rows_capacity.extend([capacity_ids[row_of_booking[b]]] * n)
        rows_person.extend(hmac.new(secret, p.encode(), hashlib.sha256).hexdigest()[:32] for p in people)
        rows_start.extend([start] * n)
        rows_end.extend([end] * n)
        rows_notify.extend([notify] * n)
    appointment_id = [
        f"apt-{digest(f'{c}|{p}', 20)}" for c, p in zip(rows_capacity, rows_person, strict=True)
    ]
    return pd.DataFrame(
        {
            "appointment_id": appointment_id,
            "capacity_id": rows_capacity,
            "person_key": rows_person,
            "window_start": rows_start,
            "window_end": rows_end,
            "notify_at": rows_notify,
        },
        columns=TABLES["appointments"].column_names,
    )
