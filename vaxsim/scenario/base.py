"""Shared building blocks of the scenario models."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

#: Identifiers are short, stable strings usable in file names and FHIR ids.
Id = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"),
]

#: A share of a population or of events, between 0 and 1.
Share = Annotated[float, Field(ge=0.0, le=1.0)]

#: A clock time "HH:MM", local to the scenario's time zone.
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class ScenarioModel(BaseModel):
    """Base of every scenario section: unknown fields are errors, values are immutable."""

    # Infinite and NaN numbers are never meaningful in a scenario (sd: .inf, mean: .nan).
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)


def minutes_of_day(clock: str) -> int:
    """Minutes since local midnight of a ``HH:MM`` clock time."""
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def clock_time(minutes: float) -> str:
    """``HH:MM`` of an instant in minutes since local midnight (rounded to the minute; past
    midnight reads ``24:10``, ``25:00``, …)."""
    whole = int(round(minutes))
    return f"{whole // 60:02d}:{whole % 60:02d}"


def slot_count(start: float, end: float, slot_minutes: float) -> int:
    """Number of appointment slots in a session ``[start, end)`` (minutes; the last slot may be
    short)."""
    if slot_minutes <= 0:
        raise ValueError(f"slot_minutes must be positive (got {slot_minutes})")
    return max(1, math.ceil((end - start) / slot_minutes - 1e-9))
