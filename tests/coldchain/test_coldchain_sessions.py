"""Laying a day's doses out over the sessions of a district's sites (SessionLayout.split)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vaxsim
from tests.conftest import DEMO
from vaxsim.coldchain import SessionLayout
from vaxsim.coldchain.sessions import PlannedSessions


@pytest.fixture(scope="module")
def layout_and_model():
    model = vaxsim.compile_model(vaxsim.load(DEMO))
    return SessionLayout.from_model(model), model


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_dose_lands_in_a_session_of_its_district(layout_and_model, data):
    layout, model = layout_and_model
    districts, products = len(model.districts), len(model.products)
    people = np.array(
        data.draw(st.lists(st.integers(0, 400), min_size=districts * products, max_size=districts * products))
    ).reshape(districts, products)
    sites = len(model.sites)
    weight = np.array(data.draw(st.lists(st.integers(1, 50), min_size=sites, max_size=sites)))
    sessions = layout.split(0, people, weight, 30.0, np.random.default_rng(1))
    placed = np.zeros_like(people)
    np.add.at(placed, (sessions.district, sessions.product), sessions.people)
    np.testing.assert_array_equal(placed, people)
    site_district = model.sites.district.to_numpy()
    assert np.all(site_district[sessions.site] == sessions.district)
    assert np.all((sessions.late >= 0) & (sessions.late <= sessions.people))
    # Pouring products in turn: a district with S sessions and P products has at most S + P - 1
    # (session, product) pieces, so most sessions open vials of one product only.
    for d in range(districts):
        mine = sessions.district == d
        used_sessions = len(set(zip(sessions.site[mine], sessions.start[mine], strict=True)))
        assert mine.sum() <= used_sessions + np.count_nonzero(people[d]) - 1 + (mine.sum() == 0)


def test_sessions_share_doses_by_site_weight(layout_and_model):
    layout, model = layout_and_model
    people = np.zeros((len(model.districts), len(model.products)), dtype=np.int64)
    people[0, 0] = 1000
    weight = np.ones(len(model.sites))
    sites_of_0 = np.flatnonzero(model.sites.district.to_numpy() == 0)
    weight[sites_of_0[0]] = 3.0
    sessions = layout.split(0, people, weight, 0.0, np.random.default_rng(1))
    per_site = np.bincount(sessions.site, weights=sessions.people, minlength=len(model.sites))
    expected = 1000 * weight[sites_of_0] / weight[sites_of_0].sum()
    assert np.all(np.abs(per_site[sites_of_0] - expected) <= 1)


def test_doses_without_an_open_site_are_an_error(layout_and_model):
    layout, model = layout_and_model
    people = np.zeros((len(model.districts), len(model.products)), dtype=np.int64)
    people[0, 0] = 5
    weight = np.where(model.sites.district.to_numpy() == 0, 0.0, 1.0)
    with pytest.raises(ValueError, match="no site open"):
        layout.split(0, people, weight, 0.0, np.random.default_rng(1))


def test_people_go_where_the_plan_opens_vials_of_their_product(layout_and_model):
    """Under a plan, a district's people of a product share the plan's sessions of that product
    by slots, also beyond the slots (people booked again, or due beyond them): they join vials
    already opened instead of opening one more elsewhere for a few. A product the plan gives
    nowhere in the district that day goes by site weight."""
    layout, model = layout_and_model
    people = np.zeros((len(model.districts), len(model.products)), dtype=np.int64)
    monday = np.flatnonzero(layout.open_on[0] & (layout.district == 0))
    first, second = monday[0], monday[1]
    planned = PlannedSessions(
        row=np.array([first, second]), product=np.array([0, 0]), slots=np.array([30, 10])
    )
    weight = np.ones(len(model.sites))

    def at(sessions, row, product):
        mine = (sessions.site == layout.site[row]) & (sessions.start == layout.start[row])
        return int(sessions.people[mine & (sessions.product == product)].sum())

    for coming, shares in ((20, (15, 5)), (40, (30, 10)), (52, (39, 13))):
        people[0, 0] = coming
        sessions = layout.split(0, people, weight, 0.0, np.random.default_rng(1), planned)
        assert (at(sessions, first, 0), at(sessions, second, 0)) == shares
        assert sessions.people[sessions.product == 0].sum() == coming  # no other session
    people[0, 1] = 12
    sessions = layout.split(0, people, weight, 0.0, np.random.default_rng(1), planned)
    assert sessions.people[sessions.product == 1].sum() == 12
