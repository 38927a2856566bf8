"""The compiled model: tables, indices and exact population splits."""

from __future__ import annotations

import numpy as np

import vaxsim


def test_population_split_is_exact(demo_scenario):
    model = vaxsim.compile_model(demo_scenario)
    districts = demo_scenario.geography.provinces[0].districts
    by_band = model.population.sum(axis=1)
    for i, district in enumerate(districts):
        expected = [district.population.get(band, 0) for band in model.age_bands.id]
        assert by_band[i].tolist() == expected


def test_priority_shares_are_applied(demo_scenario):
    model = vaxsim.compile_model(demo_scenario)
    groups = list(model.priority_groups.id)
    bands = list(model.age_bands.id)
    frontline = model.population[:, groups.index("frontline"), bands.index("18-49")]
    total = model.population[:, :, bands.index("18-49")].sum(axis=1)
    assert np.all(frontline == np.floor(0.03 * total))
    assert model.population[:, groups.index("elderly"), bands.index("65plus")].sum() == sum(
        d.population["65plus"] for d in demo_scenario.geography.provinces[0].districts
    )


def test_store_tree_and_links(demo_scenario):
    model = vaxsim.compile_model(demo_scenario)
    stores = model.stores.set_index("id")
    assert stores.loc["national", "parent"] == -1
    assert model.stores.id[stores.loc["store-06", "parent"]] == "national"
    assert model.stores.id[stores.loc["store-058", "parent"]] == "store-06"
    assert len(model.links) == len(model.stores) - 1  # one default link per non-root store


def test_sites_and_lots_are_indexed(demo_scenario):
    model = vaxsim.compile_model(demo_scenario)
    assert model.sites.district.between(0, len(model.districts) - 1).all()
    assert (model.lots.expiry_day > model.lots.arrival_day).all()
    assert model.products.loc[model.lots["product"], "id"].tolist()[:2] == ["astrazeneca", "pfizer"]
