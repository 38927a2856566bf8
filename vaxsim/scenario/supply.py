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
    lot: Annotated[
        str,
        Field(
            pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-/ ]{0,63}$",
            description="Lot number: letters, digits, '_ . - /' and spaces, starting with a letter or "
            "digit (it reaches exports and spreadsheets).",
        ),
    ]
    doses: Doses
    expiry: Date = Field(description="Last day the lot may be used (at its storage class).")
    store: Id
    note: str = ""


class Supply(ScenarioModel):
    """All deliveries of the scenario."""

    deliveries: Annotated[list[Delivery], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
