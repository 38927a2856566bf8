"""The supply section: vaccine deliveries into the country, lot by lot."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from vaxsim.scenario.base import Id, ScenarioModel


class Delivery(ScenarioModel):
    """One lot arriving at a store: whole doses of one product with one expiry date."""

    date: dt.date = Field(description="Arrival date at the store (local).")
    product: Id
    lot: Annotated[str, Field(min_length=1, max_length=64)]
    doses: Annotated[int, Field(ge=1)]
    expiry: dt.date = Field(description="Last day the lot may be used (at its storage class).")
    store: Id
    note: str = ""


class Supply(ScenarioModel):
    """All deliveries of the scenario."""

    deliveries: list[Delivery] = Field(default_factory=list)
