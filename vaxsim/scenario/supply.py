"""The supply section: vaccine deliveries into the country, lot by lot."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from vaxsim.scenario.base import Id, ScenarioModel
from vaxsim.scenario.limits import MAX_ITEMS, Date, Doses


class Delivery(ScenarioModel):
    """One lot arriving at a store: whole doses of one product with one expiry date."""

    date: Date = Field(description="Arrival date at the store (local).")
    product: Id
    lot: Annotated[str, Field(min_length=1, max_length=64)]
    doses: Doses
    expiry: Date = Field(description="Last day the lot may be used (at its storage class).")
    store: Id
    note: str = ""


class Supply(ScenarioModel):
    """All deliveries of the scenario."""

    deliveries: Annotated[list[Delivery], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
