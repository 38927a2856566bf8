"""The products section: vaccines, their vials, series and storage."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from vaxsim.scenario.base import ScenarioModel


def gtin_is_valid(text: str) -> bool:
    """A GS1 GTIN-8, -12, -13 or -14: digits only, the last one the GS1 check digit of the rest."""
    if len(text) not in (8, 12, 13, 14) or not text.isdigit():
        return False
    digits = [int(c) for c in reversed(text[:-1])]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(digits))
    return (10 - total % 10) % 10 == int(text[-1])


class StorageClass(StrEnum):
    """Temperature classes of the cold chain; store capacities are given per class."""

    ULTRA_COLD = "ultra_cold"  # -90 to -60 °C
    FROZEN = "frozen"  # -25 to -15 °C
    COLD = "cold_2_8"  # +2 to +8 °C


class DoseInterval(ScenarioModel):
    """Days allowed between one dose of the series and the next (inclusive)."""

    min_days: Annotated[int, Field(ge=0)]
    max_days: Annotated[int, Field(ge=0)]


class Series(ScenarioModel):
    """A primary series: number of doses and the interval before each dose after the first.

    The default is a single dose; a two-dose product states ``doses: 2`` and its interval.
    """

    doses: Annotated[int, Field(ge=1, le=10)] = 1
    intervals: list[DoseInterval] = Field(
        default_factory=list,
        description="One interval per dose after the first (len = doses - 1).",
    )

    @model_validator(mode="after")
    def _one_interval_per_gap(self) -> Series:
        if len(self.intervals) != self.doses - 1:
            raise ValueError(
                f"a {self.doses}-dose series needs {self.doses - 1} interval(s), got {len(self.intervals)}"
            )
        return self


class Product(ScenarioModel):
    """A vaccine product as it travels the cold chain and reaches arms.

    Volumes are packed secondary-packaging volumes in cm³ per dose (1 litre = 1000 cm³).
    ``days_at_2_8c`` is how long an unopened vial may stay at +2..+8 °C after leaving ultra-cold
    or frozen storage (the thaw clock); ``null`` for products stored at +2..+8 °C throughout.
    """

    name: str = ""
    doses_per_vial: Annotated[int, Field(ge=1, le=100)]
    series: Series = Field(default_factory=Series)
    storage_class: StorageClass
    storage_temperature_c: tuple[float, float]
    shelf_life_days: Annotated[int, Field(ge=1)]
    days_at_2_8c: Annotated[int, Field(ge=1)] | None = None
    in_use_hours: Annotated[float, Field(gt=0, le=72)] = 6.0
    packed_volume_cm3_per_dose: Annotated[float, Field(gt=0)] = 3.0
    min_age: Annotated[int, Field(ge=0, le=130)] = 18
    max_age: Annotated[int, Field(ge=0, le=130)] | None = None
    cvx: str | None = Field(
        default=None,
        pattern=r"^[0-9]{1,3}$",
        description="CDC CVX code (http://hl7.org/fhir/sid/cvx), e.g. '208'; null where none exists.",
    )
    gtin: str | None = Field(
        default=None,
        description="GS1 GTIN of the pack (8, 12, 13 or 14 digits, valid check digit); null if unknown.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Product:
        low, high = self.storage_temperature_c
        if low > high:
            raise ValueError(f"storage_temperature_c low ({low:g}) is above high ({high:g})")
        if self.max_age is not None and self.max_age < self.min_age:
            raise ValueError(f"max_age ({self.max_age}) is below min_age ({self.min_age})")
        if self.gtin is not None and not gtin_is_valid(self.gtin):
            raise ValueError(f"gtin {self.gtin!r} is not 8, 12, 13 or 14 digits with a valid GS1 check digit")
        return self
