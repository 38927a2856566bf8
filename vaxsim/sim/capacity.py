"""How many people a site can vaccinate in a session and a day: throughput of its stations and
its crowding limit. One rule for booking (the simulation), planning (the optimizer) and the
plan checker."""

from __future__ import annotations

import numpy as np

from vaxsim.numeric import largest_remainder
from vaxsim.scenario.sites import WEEKDAYS, SiteType
from vaxsim.sites.service_times import mean_of

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


def time_on_site_minutes(site_type: SiteType) -> float:
    """Mean minutes a person spends on site without queueing (services, walks, observation)."""
    services = sum(station.service_minutes.mean for station in site_type.stations)
    walks = mean_of(site_type.walking_minutes) * len(site_type.stations)
    observation = site_type.observation
    watched = mean_of(observation.minutes) + observation.adverse_reaction_share * mean_of(
        observation.adverse_reaction_extra_minutes
    )
    return services + walks + watched


def crowding_capacity(site_type: SiteType, session_minutes: float) -> int:
    """Arrivals per session that keep people on site at or under the crowding limit.

    Little's law: with arrivals at rate λ per minute and W minutes on site
    (:func:`time_on_site_minutes`), about L = λ·W people are on site, so at most
    ``crowding_limit · session_minutes / W`` arrivals per session. Queueing adds to W, so the
    bound is optimistic when queues form; the planning utilisation keeps them short.
    """
    on_site = time_on_site_minutes(site_type)
    if on_site <= 0:
        return np.iinfo(np.int64).max
    return int(np.floor(site_type.crowding_limit * session_minutes / on_site))


def session_capacities(site_type: SiteType) -> np.ndarray:
    """People per session of an open day, in the site type's session order: the smaller of
    throughput (:func:`session_capacity`) and crowding (:func:`crowding_capacity`); when
    ``max_doses_per_day`` is below their sum it is shared among sessions in proportion to their
    capacity (largest remainder, whole people). The one capacity rule of booking, planning and
    plan checking."""
    per_session = np.array(
        [
            min(session_capacity(site_type, s.minutes), crowding_capacity(site_type, s.minutes))
            for s in site_type.sessions
        ],
        dtype=np.int64,
    )
    cap = site_type.max_doses_per_day
    if cap is not None and per_session.sum() > cap:
        per_session = np.minimum(per_session, largest_remainder(cap, per_session))
    return per_session


def daily_capacity(site_type: SiteType) -> int:
    """People per open day: the sum of :func:`session_capacities`."""
    return int(session_capacities(site_type).sum())


def weekly_pattern(site_type: SiteType) -> np.ndarray:
    """Capacity per weekday (Monday = 0), zero on days the site is closed."""
    per_day = daily_capacity(site_type)
    return np.array([per_day if day in site_type.open_days else 0 for day in WEEKDAYS], dtype=np.int64)
