"""The root of a scenario file."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, PrivateAttr

from vaxsim.scenario.base import Id, ScenarioModel
from vaxsim.scenario.campaign import Campaign
from vaxsim.scenario.cold_chain import ColdChainSection
from vaxsim.scenario.geography import Geography
from vaxsim.scenario.limits import MAX_ITEMS
from vaxsim.scenario.people import People
from vaxsim.scenario.policies import Policies
from vaxsim.scenario.products import Product
from vaxsim.scenario.sites import Site, SiteType
from vaxsim.scenario.supply import Supply


class Scenario(ScenarioModel):
    """A whole campaign scenario: the only input of vaxsim.

    Load one with :func:`vaxsim.load`, which resolves ``extends``, applies overrides and runs
    the semantic checks; constructing this model directly skips those checks.
    """

    extends: str | None = Field(
        default=None,
        description="Path of a base scenario (relative to this file) that this file overrides.",
    )
    campaign: Campaign
    geography: Geography
    people: People
    products: dict[Id, Product] = Field(min_length=1)
    supply: Supply = Field(default_factory=Supply)
    cold_chain: ColdChainSection
    site_types: dict[Id, SiteType] = Field(min_length=1)
    sites: Annotated[list[Site], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)
    policies: Policies = Field(default_factory=Policies)
    #: Where each value came from (a ``Located`` tree, set by the loader), so that checks on
    #: the compiled model can name file and line; not part of the scenario's data or hash.
    _source: Any = PrivateAttr(default=None)
