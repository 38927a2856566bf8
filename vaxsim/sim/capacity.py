"""How many people a site can vaccinate in a day, from its stations and sessions."""

from __future__ import annotations

import numpy as np

from vaxsim.scenario.sites import WEEKDAYS, SiteType

#: Share of the bottleneck station's throughput that is booked. Booking a queue at 100 % of
#: its capacity makes waits grow without bound; 85 % keeps them bounded and is a common
#: planning target for clinics.
PLANNING_UTILISATION = 0.85


def session_capacity(site_type: SiteType, session_minutes: float) -> int:
    """People one session can serve: the bottleneck station's throughput over the session
    (servers × minutes / mean service minutes), times :data:`PLANNING_UTILISATION`."""
    throughput = min(
        station.servers * session_minutes / station.service_minutes.mean for station in site_type.stations
    )
    return int(np.floor(throughput * PLANNING_UTILISATION))


def daily_capacity(site_type: SiteType) -> int:
    """People per open day: the sum over sessions, capped by ``max_doses_per_day`` if given."""
    total = sum(session_capacity(site_type, session.minutes) for session in site_type.sessions)
    if site_type.max_doses_per_day is not None:
        total = min(total, site_type.max_doses_per_day)
    return total


def weekly_pattern(site_type: SiteType) -> np.ndarray:
    """Capacity per weekday (Monday = 0), zero on days the site is closed."""
    per_day = daily_capacity(site_type)
    return np.array([per_day if day in site_type.open_days else 0 for day in WEEKDAYS], dtype=np.int64)
