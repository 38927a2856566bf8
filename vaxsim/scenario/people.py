"""The people section: who is eligible, when they register, get approved, notified and show up."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, model_validator

from vaxsim.scenario.base import Id, ScenarioModel, Share
from vaxsim.scenario.limits import PerDay


class AgeBand(ScenarioModel):
    """Ages ``min_age`` to ``max_age`` inclusive, in whole years (``max_age: null`` = no limit)."""

    id: Id
    min_age: Annotated[int, Field(ge=0, le=130)]
    max_age: Annotated[int, Field(ge=0, le=130)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> AgeBand:
        if self.max_age is not None and self.max_age < self.min_age:
            raise ValueError(f"max_age ({self.max_age}) is below min_age ({self.min_age})")
        return self


class PriorityGroup(ScenarioModel):
    """A priority group and the day it becomes eligible.

    Groups are listed from highest to lowest priority. ``share_of_age_band`` says which part of
    each age band belongs to the group; the last group with ``remainder: true`` takes everyone
    not claimed by an earlier group.
    """

    id: Id
    name: str = ""
    opens: dt.date = Field(description="First day people of this group may register.")
    share_of_age_band: dict[Id, Share] = Field(default_factory=dict)
    remainder: bool = False


class Eligibility(ScenarioModel):
    """Who may be vaccinated at all (product age limits apply on top)."""

    age_bands: list[Id] | None = Field(
        default=None, description="Eligible age band ids (default: all bands)."
    )


class LogisticCurve(ScenarioModel):
    """Share of eventual registrants registered ``t`` days after their group opens:
    ``1 / (1 + exp(-(t - midpoint_days) / scale_days))``, rescaled to start at 0."""

    kind: Literal["logistic"] = "logistic"
    midpoint_days: Annotated[float, Field(ge=0)] = 14.0
    scale_days: Annotated[float, Field(gt=0)] = 5.0


class TableCurve(ScenarioModel):
    """Cumulative share registered by day after opening, linearly interpolated between points."""

    kind: Literal["table"] = "table"
    points: Annotated[list[tuple[Annotated[float, Field(ge=0)], Share]], Field(min_length=2)]

    @model_validator(mode="after")
    def _increasing(self) -> TableCurve:
        days = [day for day, _ in self.points]
        shares = [share for _, share in self.points]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError("curve days must be strictly increasing")
        if shares != sorted(shares):
            raise ValueError("cumulative shares must not decrease")
        return self


RegistrationCurve = Annotated[LogisticCurve | TableCurve, Field(discriminator="kind")]


class ChannelMix(ScenarioModel):
    """How registrations arrive; shares add up to 1."""

    app: Share = 0.5
    portal: Share = 0.2
    commune_list: Share = 0.3

    @model_validator(mode="after")
    def _sums_to_one(self) -> ChannelMix:
        total = self.app + self.portal + self.commune_list
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"channel shares must add up to 1 (got {total:g})")
        return self


class Registration(ScenarioModel):
    """Who eventually registers and how fast."""

    uptake: Share = Field(default=0.9, description="Eventual share of eligible people registering.")
    uptake_by_age_band: dict[Id, Share] = Field(default_factory=dict)
    curve: RegistrationCurve = Field(default_factory=LogisticCurve)
    channels: ChannelMix = Field(default_factory=ChannelMix)
    random: bool = Field(
        default=True,
        description="Draw each day's registrants at random around the curve; false: exactly the "
        "expected number (rounded down), the optimizer's forecast.",
    )


class Approval(ScenarioModel):
    """Approval and allocation by each provincial Department of Health."""

    capacity_per_day: PerDay = 20_000
    processing_days: Annotated[int, Field(ge=0)] = 1


class Notification(ScenarioModel):
    """SMS notices and whether people turn up.

    Show-up probability is ``show_up_if_delivered`` (or ``..._if_not_delivered``) reduced by
    ``show_up_loss_per_day_of_notice`` for each day between the SMS and the appointment
    beyond the first.
    """

    sms_delivery: Share = 0.95
    lead_time_hours: Annotated[float, Field(ge=0)] = 24.0
    show_up_if_delivered: Share = 0.92
    show_up_if_not_delivered: Share = 0.35
    show_up_loss_per_day_of_notice: Share = 0.01
    reschedule_no_shows: bool = True
    max_reschedules: Annotated[int, Field(ge=0)] = 2

    def show_up(self, lead_days: int) -> tuple[float, float]:
        """Probabilities of coming to an appointment booked ``lead_days`` ahead: with the SMS
        delivered, and without it (the notice's loss counts the days beyond the first)."""
        loss = self.show_up_loss_per_day_of_notice * max(0, lead_days - 1)
        return max(0.0, self.show_up_if_delivered - loss), max(0.0, self.show_up_if_not_delivered - loss)

    def expected_show_up(self, lead_days: int = 1) -> float:
        """Share of people booked ``lead_days`` ahead expected to come (SMS failures included)."""
        delivered, not_delivered = self.show_up(lead_days)
        return self.sms_delivery * delivered + (1.0 - self.sms_delivery) * not_delivered


class WalkIns(ScenarioModel):
    """People who come without an appointment, as a share of each session's booked people."""

    share_of_booked: Annotated[float, Field(ge=0, le=5)] = 0.0


class People(ScenarioModel):
    """Population behaviour, from eligibility to showing up at the site."""

    age_bands: Annotated[list[AgeBand], Field(min_length=1)]
    priority_groups: Annotated[list[PriorityGroup], Field(min_length=1)]
    eligibility: Eligibility = Field(default_factory=Eligibility)
    registration: Registration = Field(default_factory=Registration)
    approval: Approval = Field(default_factory=Approval)
    notification: Notification = Field(default_factory=Notification)
    walk_ins: WalkIns = Field(default_factory=WalkIns)
