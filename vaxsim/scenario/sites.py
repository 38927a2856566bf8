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
from vaxsim.scenario.distributions import Duration, Fixed, ServiceTime
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
    """Waiting on site after the injection (Decision 3588/QD-BYT: at least 30 minutes).

    ``minutes`` and ``adverse_reaction_extra_minutes`` are a number of minutes or a
    distribution (``{kind: normal, mean: 16, sd: 2}``), drawn per person.
    """

    minutes: Duration = 30.0
    adverse_reaction_share: Share = 0.01
    adverse_reaction_extra_minutes: Duration = 30.0


class Preparation(ScenarioModel):
    """Drawing up doses from vials; the injection station waits for a prepared dose.

    ``mode``: ``just_in_time`` draws up a vial when its first person joins the injection
    queue; ``ahead`` draws up batches of ``batch_vials`` vials for the people in arrival order,
    each batch released ``lead_minutes`` before its first person arrives (so from
    ``lead_minutes`` before the first appointment), into a stock the vaccinators take from.
    A drawn-up dose not injected within the product's in-use time is wasted and replaced.
    """

    preparers: Annotated[int, Field(ge=0, le=100)] = 1
    minutes_per_vial: ServiceTime = Field(default_factory=lambda: Fixed(value=2.0))
    mode: Literal["just_in_time", "ahead"] = "just_in_time"
    lead_minutes: Annotated[float, Field(ge=0, le=720)] = 30.0
    batch_vials: Annotated[int, Field(ge=1, le=100)] = 1

    @model_validator(mode="after")
    def _preparers_for_ahead(self) -> Preparation:
        if self.mode == "ahead" and self.preparers == 0:
            raise ValueError("preparation mode 'ahead' needs at least one preparer")
        return self


#: Where people booked into an appointment slot aim to arrive within it: ``start`` (block
#: appointments: everyone is booked for the slot's start), ``uniform`` (a random instant of the
#: slot), ``even`` (individual appointments evenly spaced over the slot) or ``bailey_welch``
#: (as ``even``, with two people booked at the slot's start: the Bailey-Welch rule).
ArrivalInSlot = Literal["start", "uniform", "even", "bailey_welch"]

#: People booked per slot: one number for every slot, or per session a list with one number
#: per slot (or one number for every slot of that session).
People = Annotated[int, Field(ge=0)]
BookedPerSlot = People | list[People | list[People]]


class SiteType(ScenarioModel):
    """How sites of one type work; every site of the type behaves alike."""

    kind: SiteKind = SiteKind.FIXED
    open_days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS))
    sessions: Annotated[list[Session], Field(min_length=1)]
    stations: Annotated[list[Station], Field(min_length=1)]
    walking_minutes: Duration = Field(
        default=1.0, description="Minutes per move (between stations, to observation), drawn per move."
    )
    observation: Observation = Field(default_factory=Observation)
    preparation: Preparation = Field(default_factory=Preparation)
    punctuality_mean_minutes: float = Field(
        default=0.0, ge=-240, le=240, description="Mean minutes late (negative: early) against the aim."
    )
    punctuality_sd_minutes: Annotated[float, Field(ge=0)] = 10.0
    appointment_slot_minutes: Annotated[int, Field(ge=1, le=720)] | None = Field(
        default=None, description="Slot length (default: policies.appointment_slot_minutes)."
    )
    arrival_in_slot: ArrivalInSlot = "uniform"
    booked_per_slot: BookedPerSlot | None = Field(
        default=None, description="Block sizes of a typical day (default: the planning capacity)."
    )
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
        booked = self.booked_per_slot
        if isinstance(booked, list) and len(booked) != len(self.sessions):
            raise ValueError(
                f"booked_per_slot has {len(booked)} entries for {len(self.sessions)} sessions "
                "(give one entry per session, or one number for every slot)"
            )
        return self

    def slot_minutes(self, default: float) -> float:
        """This type's appointment slot length in minutes, or ``default`` (the scenario's)."""
        return float(default if self.appointment_slot_minutes is None else self.appointment_slot_minutes)


class Site(ScenarioModel):
    """A vaccination site placed in a district."""

    id: Id
    name: str = ""
    district: Id
    type: Id
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
