"""One appointment per booked person, with a keyed hash in place of the person.

People are not individuals in the optimizer, so the appointments give them stable stand-ins:
the ``n``-th person of a district and demand class to get a first dose is
``<district>/<class>/<n>``, and next doses go to the people :mod:`vaxsim.optimize.tables.series`
matched them to (first in, first out). ``person_key`` is an HMAC-SHA256 of the scenario's
hash and that stand-in, keyed with a secret that is never in the bundle
(:mod:`vaxsim.io.person_key_secret`: where it lives, how to rotate it): stable for one scenario
and secret, meaningless outside it, not reversible from the bundle, and never personal data.

Times (:mod:`vaxsim.plan.appointment_times`): the window is the session (local ``HH:MM`` with
the zone's offset on that date); the SMS notice goes out the scenario's notification lead
(``people.notification.lead_time_hours``) before it.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from vaxsim.io.person_key_secret import person_key_secret
from vaxsim.model import Model
from vaxsim.optimize.setup.sites import SiteCalendar
from vaxsim.optimize.tables.ids import digest
from vaxsim.optimize.tables.plan_bookings import Bookings
from vaxsim.optimize.tables.series import Pieces
from vaxsim.plan.appointment_times import notice_instant
from vaxsim.plan.tables import TABLES


def _instant(date: pd.Timestamp, hhmm: str, zone: ZoneInfo) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime(date.year, date.month, date.day, hour, minute, tzinfo=zone)


def appointments_table(
    bookings: Bookings,
    pieces: Pieces,
    capacity: pd.DataFrame,
    row_of_piece: np.ndarray,
    model: Model,
    calendar: SiteCalendar,
    class_ids: list[str],
) -> pd.DataFrame:
    """``appointments``: one row per booked person (module docstring)."""
    zone = ZoneInfo(model.scenario.campaign.timezone)
    secret = person_key_secret()
    district_ids = model.districts.id.astype(str).to_numpy()
    count = pieces.persons
    piece = np.repeat(np.arange(len(count)), count)
    number = pieces.first[piece] + (np.arange(len(piece)) - np.repeat(np.cumsum(count) - count, count))
    b = pieces.booking[piece]
    district = bookings.district[b]
    klass = pieces.klass[piece]
    stand_in = [
        f"{district_ids[d]}/{class_ids[c]}/{n}" for d, c, n in zip(district, klass, number, strict=True)
    ]
    scenario = model.scenario_sha256
    person_key = [
        hmac.new(secret, f"{scenario}/{p}".encode(), hashlib.sha256).hexdigest()[:32] for p in stand_in
    ]
    capacity_id = capacity.capacity_id.to_numpy()[row_of_piece[piece]]
    # Session times, once per (day, site, session).
    key = np.stack([bookings.day[b], bookings.site[b], bookings.session[b]], axis=1)
    unique, inverse = np.unique(key, axis=0, return_inverse=True)
    lead = model.scenario.people.notification.lead_time_hours
    starts, ends, notices = [], [], []
    for day, site, session in unique:
        date = model.dates[0] + timedelta(days=int(day))
        start = _instant(date, calendar.session_start[site, session], zone)
        starts.append(start.isoformat())
        ends.append(_instant(date, calendar.session_end[site, session], zone).isoformat())
        notices.append(notice_instant(start, lead).isoformat())
    inverse = np.asarray(inverse).reshape(-1)
    appointment_id = [f"apt-{digest(f'{c}|{p}', 20)}" for c, p in zip(capacity_id, person_key, strict=True)]
    table = pd.DataFrame(
        {
            "appointment_id": appointment_id,
            "capacity_id": capacity_id,
            "person_key": person_key,
            "window_start": np.asarray(starts, dtype=object)[inverse] if len(starts) else [],
            "window_end": np.asarray(ends, dtype=object)[inverse] if len(ends) else [],
            "notify_at": np.asarray(notices, dtype=object)[inverse] if len(notices) else [],
        },
        columns=TABLES["appointments"].column_names,
    )
    return table.sort_values("appointment_id", kind="stable").reset_index(drop=True)
