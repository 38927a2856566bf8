"""The geography section: provinces, their districts and who lives there."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from vaxsim.scenario.base import Id, ScenarioModel
from vaxsim.scenario.limits import MAX_GENERATED_SITES, MAX_ITEMS, People, PerDay

Count = People
Generated = Annotated[int, Field(ge=0, le=MAX_GENERATED_SITES)]


class District(ScenarioModel):
    """A district (quận/huyện) served by one district health centre.

    ``population`` counts residents by age band id (see ``people.age_bands``). People in the
    priority groups are carved out of these counts by the groups' shares, unless
    ``priority_population`` gives counts per group and age band explicitly.
    ``generated_sites`` asks for that many sites of each site type to be created here in
    addition to the sites listed under ``sites`` (ids ``<district>-<type>-<n>``).
    """

    id: Id
    name: str
    population: dict[Id, Count]
    priority_population: dict[Id, dict[Id, Count]] = Field(default_factory=dict)
    generated_sites: dict[Id, Generated] = Field(default_factory=dict)


class Province(ScenarioModel):
    """A province or centrally-run city with its Department of Health."""

    id: Id
    name: str
    iso_code: str | None = Field(default=None, description="ISO 3166-2 code, e.g. VN-SG")
    region: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    parent_store: Id | None = Field(
        default=None,
        description="Store that supplies this province's store "
        "(default: the first national store in cold_chain.stores).",
    )
    approval_capacity_per_day: PerDay | None = Field(
        default=None,
        description="Registrants the Department of Health approves per day "
        "(default: people.approval.capacity_per_day).",
    )
    districts: Annotated[list[District], Field(min_length=1, max_length=MAX_ITEMS)]


class Geography(ScenarioModel):
    """The administrative tree: provinces → districts. Sites refer to districts by id."""

    country: str = "VN"
    provinces: Annotated[list[Province], Field(min_length=1, max_length=MAX_ITEMS)]
