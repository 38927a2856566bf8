"""Ready-made site types for examples, validation and benchmarks.

They mirror the site types of ``scenarios/demo-district.yaml`` and the textbook queues of
VALIDATION.md, so a notebook or a test can simulate a clinic without writing a scenario file.
"""

from __future__ import annotations

from collections.abc import Sequence

from vaxsim.scenario.sites import SiteType


def commune_station(
    preparers: int = 1, injection_servers: int = 2, crowding_limit: int = 60
) -> SiteType:
    """A commune health station: two sessions, four stations, one vial preparer.

    Stations: QR check-in (1 server, exponential 0.5 min), data entry (1 server, 0.3 + exp 0.4),
    screening (2 doctors, log-normal mean 2, sd 1), injection (``injection_servers`` nurses,
    0.5 + exponential 1.0); vials take 1.5–2.5 minutes to draw up; 30 minutes of observation.
    """
    return SiteType.model_validate({
        "sessions": [{"start": "07:30", "end": "11:30"}, {"start": "13:30", "end": "17:00"}],
        "stations": [
            {"name": "check_in", "role": "check_in", "servers": 1,
             "service_minutes": {"kind": "exponential", "mean": 0.5}},
            {"name": "data_entry", "role": "other", "servers": 1,
             "service_minutes": {"kind": "shifted_exponential", "shift": 0.3, "scale": 0.4}},
            {"name": "screening", "role": "screening", "servers": 2,
             "service_minutes": {"kind": "lognormal", "mean": 2.0, "sd": 1.0}},
            {"name": "injection", "role": "injection", "servers": injection_servers,
             "service_minutes": {"kind": "shifted_exponential", "shift": 0.5, "scale": 1.0}},
        ],
        "walking_minutes": 0.5,
        "observation": {"minutes": 30, "adverse_reaction_share": 0.01,
                        "adverse_reaction_extra_minutes": 30},
        "preparation": {"preparers": preparers,
                        "minutes_per_vial": {"kind": "empirical", "values": [1.5, 2.0, 2.5]}},
        "punctuality_sd_minutes": 10,
        "crowding_limit": crowding_limit,
    })


def queue_network(
    stations: Sequence[tuple[int, float]],
    start: str = "00:00",
    end: str = "23:59",
    walking_minutes: float = 0.0,
    observation_minutes: float = 0.0,
) -> SiteType:
    """Exponential stations in series (a Jackson network), for checks against Erlang C.

    ``stations`` lists ``(servers, mean service minutes)``; the last one is the injection
    station. No preparation wait, a fixed observation of ``observation_minutes`` (no adverse
    reactions), one session from ``start`` to ``end``.
    """
    return SiteType.model_validate({
        "sessions": [{"start": start, "end": end}],
        "stations": [
            {"name": f"station_{k}", "role": "injection" if k == len(stations) - 1 else "other",
             "servers": servers, "service_minutes": {"kind": "exponential", "mean": mean}}
            for k, (servers, mean) in enumerate(stations)
        ],
        "walking_minutes": walking_minutes,
        "observation": {"minutes": observation_minutes, "adverse_reaction_share": 0},
        "preparation": {"preparers": 0},
        "punctuality_sd_minutes": 0,
        "crowding_limit": 1000,
    })
