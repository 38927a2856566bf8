"""Vaccination sites and the site types that say how a site works inside.

A site type describes the flow through a site: sessions and their hours, a series of stations
(check-in by QR, screening, injection, ...) each with servers and a service-time distribution,
walking time between stations, observation after the injection, vaccine preparation and the
crowding limit. Sites are placed in districts and refer to a type by id.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from vaxsim.scenario.base import ClockTime, Id, ScenarioModel, Share, minutes_of_day
from vaxsim.scenario.cold_chain import Capacity
from vaxsim.scenario.distributions import Fixed, ServiceTime
from vaxsim.scenario.limits import MAX_PER_DAY

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SiteKind(StrEnum):
    FIXED = "fixed"  # commune health station, hospital
    MASS = "mass"  # school, stadium or hall set up for the campaign
    MOBILE = "mobile"  # team visiting villages, factories, the housebound


class Session(ScenarioModel):
    """A session: the site is open from ``start`` to ``end`` (local ``HH:MM``)."""

    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _ordered(self) -> Session:
        if minutes_of_day(self.end) <= minutes_of_day(self.start):
            raise ValueError(f"session ends ({self.end}) before it starts ({self.start})")
        return self

    @property
    def minutes(self) -> int:
        return minutes_of_day(self.end) - minutes_of_day(self.start)


class Station(ScenarioModel):
    """One step of the visit, served first come first served by ``servers`` staff."""

    name: Id
    role: Literal["check_in", "screening", "injection", "other"] = "other"
    servers: Annotated[int, Field(ge=1, le=1000)] = 1
    service_minutes: ServiceTime

    @model_validator(mode="after")
    def _takes_time(self) -> Station:
        # A station's throughput is servers × minutes / mean: a zero mean has none (found by fuzzing).
        if self.service_minutes.mean <= 0:
            raise ValueError("service_minutes must have a positive mean")
        return self


class Observation(ScenarioModel):
    """Waiting on site after the injection (Decision 3588/QD-BYT: at least 30 minutes)."""

    minutes: Annotated[float, Field(ge=0)] = 30.0
    adverse_reaction_share: Share = 0.01
    adverse_reaction_extra_minutes: Annotated[float, Field(ge=0)] = 30.0


class Preparation(ScenarioModel):
    """Drawing up doses from vials; the injection station waits for a prepared dose."""

    preparers: Annotated[int, Field(ge=0, le=100)] = 1
    minutes_per_vial: ServiceTime = Field(default_factory=lambda: Fixed(value=2.0))


class SiteType(ScenarioModel):
    """How sites of one type work; every site of the type behaves alike."""

    kind: SiteKind = SiteKind.FIXED
    open_days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS))
    sessions: Annotated[list[Session], Field(min_length=1)]
    stations: Annotated[list[Station], Field(min_length=1)]
    walking_minutes: Annotated[float, Field(ge=0)] = 1.0
    observation: Observation = Field(default_factory=Observation)
    preparation: Preparation = Field(default_factory=Preparation)
    punctuality_sd_minutes: Annotated[float, Field(ge=0)] = 10.0
    crowding_limit: Annotated[int, Field(ge=1, le=MAX_PER_DAY)] = 100
    max_doses_per_day: Annotated[int, Field(ge=1, le=MAX_PER_DAY)] | None = Field(
        default=None, description="Planning cap (default: derived from the injection station)."
    )
    cold_chain_litres: Capacity = Field(default_factory=lambda: Capacity(cold_2_8=20.0))

    @model_validator(mode="after")
    def _one_injection_station(self) -> SiteType:
        injections = [station.name for station in self.stations if station.role == "injection"]
        if len(injections) != 1:
            raise ValueError(
                f"a site needs exactly one station with role 'injection' (got {len(injections)})"
            )
        names = [station.name for station in self.stations]
        if len(set(names)) != len(names):
            raise ValueError("station names must be unique")
        return self


class Site(ScenarioModel):
    """A vaccination site placed in a district."""

    id: Id
    name: str = ""
    district: Id
    type: Id
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
