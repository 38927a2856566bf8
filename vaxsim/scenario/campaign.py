"""The campaign section: name, calendar and seed."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Annotated

from pydantic import Field, field_validator

from vaxsim.scenario.base import Id, ScenarioModel
from vaxsim.scenario.limits import Date


class Campaign(ScenarioModel):
    """What the scenario is called and which days it covers.

    Simulation time is minutes since ``start_date`` 00:00 in ``timezone``; day ``d`` of the
    campaign is ``start_date + d`` for ``0 <= d < horizon_days``.
    """

    name: Id
    description: str = ""
    start_date: Date
    horizon_days: Annotated[int, Field(ge=1, le=3660)]
    timezone: str = "Asia/Ho_Chi_Minh"
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as error:
            # OSError: a name that is a folder of the zone database ("Asia"), found by fuzzing.
            raise ValueError(f"unknown IANA time zone {value!r}") from error
        return value

    @property
    def end_date(self) -> dt.date:
        """The last simulated day (inclusive)."""
        return self.start_date + dt.timedelta(days=self.horizon_days - 1)

    def day_index(self, date: dt.date) -> int:
        """Campaign day number of ``date`` (0 = start date; may be outside the horizon)."""
        return (date - self.start_date).days
