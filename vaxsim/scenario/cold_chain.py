"""The cold-chain section: stores per level, their capacities, transport links and mishaps."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from vaxsim.scenario.base import Id, ScenarioModel, Share
from vaxsim.scenario.distributions import ServiceTime
from vaxsim.scenario.limits import MAX_ITEMS, MAX_LITRES

Litres = Annotated[float, Field(ge=0, le=MAX_LITRES)]


class StoreLevel(StrEnum):
    NATIONAL = "national"
    REGIONAL = "regional"
    PROVINCIAL = "provincial"
    DISTRICT = "district"


class Capacity(ScenarioModel):
    """Net storage volume per temperature class, in litres."""

    ultra_cold: Litres = 0.0
    frozen: Litres = 0.0
    cold_2_8: Litres = 0.0


class Store(ScenarioModel):
    """A store listed explicitly (typically national and regional stores)."""

    id: Id
    name: str = ""
    level: StoreLevel
    parent: Id | None = Field(default=None, description="The store this one is supplied from.")
    province: Id | None = None
    capacity_litres: Capacity = Field(default_factory=Capacity)


class StoreTemplate(ScenarioModel):
    """Capacity given to every generated provincial or district store."""

    capacity_litres: Capacity = Field(default_factory=Capacity)


class Link(ScenarioModel):
    """Transport between two stores (or a store and a site)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    from_store: Id = Field(alias="from")
    to_store: Id = Field(alias="to")
    lead_time_days: Annotated[int, Field(ge=0)] = 1
    capacity_litres: Litres | None = Field(default=None, description="Per vehicle trip; null = no limit.")
    schedule: Literal["daily", "weekly", "on_demand"] = "daily"
    weekday: Annotated[int, Field(ge=0, le=6)] = 0


class LinkDefaults(ScenarioModel):
    """Lead time and capacity of links not listed explicitly (parent → child)."""

    lead_time_days: Annotated[int, Field(ge=0)] = 1
    capacity_litres: Litres | None = None
    schedule: Literal["daily", "weekly", "on_demand"] = "daily"


class Disruptions(ScenarioModel):
    """Random mishaps injected into the cold chain."""

    shipment_delay_probability: Share = 0.0
    shipment_delay_days: ServiceTime | None = Field(
        default=None, description="Distribution of extra days (values read as days)."
    )
    excursion_probability_per_store_day: Share = 0.0
    breakage_share: Share = 0.0


class ColdChainSection(ScenarioModel):
    """The scenario's ``cold_chain`` section: stores and transport (the simulated cold chain
    itself is :class:`vaxsim.coldchain.ColdChain`).

    Explicit ``stores`` are usually the national and regional ones; one provincial store per
    province (``store-<province>``) and one district store per district (``store-<district>``)
    are generated from the templates unless a province or district names another store.
    """

    stores: Annotated[list[Store], Field(min_length=1, max_length=MAX_ITEMS)]
    provincial_store: StoreTemplate | None = Field(default_factory=StoreTemplate)
    district_store: StoreTemplate | None = Field(default_factory=StoreTemplate)
    links: Annotated[list[Link], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
    link_defaults: LinkDefaults = Field(default_factory=LinkDefaults)
    disruptions: Disruptions = Field(default_factory=Disruptions)
