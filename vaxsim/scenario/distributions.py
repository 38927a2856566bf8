"""Service-time distributions of site stations, in minutes.

Each distribution is a small tagged model (``kind: exponential``) so a scenario file states the
shape and its parameters plainly. Sampling lives in :mod:`vaxsim.sites.service_times`; these
models only describe.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from vaxsim.scenario.base import ScenarioModel
from vaxsim.scenario.limits import MAX_MINUTES

Minutes = Annotated[float, Field(ge=0.0, le=MAX_MINUTES)]
#: Scale parameters: at least a hundredth of a second, so a day holds a bounded number of events.
PositiveMinutes = Annotated[float, Field(ge=1 / 6000, le=MAX_MINUTES)]


class Fixed(ScenarioModel):
    """Always the same duration."""

    kind: Literal["fixed"] = "fixed"
    value: Minutes

    @property
    def mean(self) -> float:
        return self.value


class Exponential(ScenarioModel):
    """Memoryless service (M in queueing notation) with the given mean."""

    kind: Literal["exponential"] = "exponential"
    mean: PositiveMinutes


class ShiftedExponential(ScenarioModel):
    """A fixed minimum ``shift`` plus an exponential part of mean ``scale``."""

    kind: Literal["shifted_exponential"] = "shifted_exponential"
    shift: Minutes
    scale: PositiveMinutes

    @property
    def mean(self) -> float:
        return self.shift + self.scale


class Normal(ScenarioModel):
    """Normal service time, truncated at zero when sampled."""

    kind: Literal["normal"] = "normal"
    mean: PositiveMinutes
    sd: Minutes


class LogNormal(ScenarioModel):
    """Log-normal service time given by its own mean and standard deviation (not the log's)."""

    kind: Literal["lognormal"] = "lognormal"
    mean: PositiveMinutes
    sd: PositiveMinutes


class Empirical(ScenarioModel):
    """Resample observed durations with equal weight."""

    kind: Literal["empirical"] = "empirical"
    values: Annotated[list[Minutes], Field(min_length=1)]

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values)

    @model_validator(mode="after")
    def _not_all_zero(self) -> Empirical:
        if max(self.values) <= 0:
            raise ValueError("empirical service times must include a positive value")
        return self


ServiceTime = Annotated[
    Fixed | Exponential | ShiftedExponential | Normal | LogNormal | Empirical,
    Field(discriminator="kind"),
]

#: A duration given either as a plain number of minutes (always that long) or as one of the
#: distributions above; a plain number draws no random numbers, so it keeps results unchanged.
Duration = Minutes | ServiceTime
