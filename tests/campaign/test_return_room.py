"""The one next-dose booking rule (vaxsim.campaign.return_room), used by the optimizer and the
plan-driven simulation alike."""

from __future__ import annotations

import numpy as np

from vaxsim.campaign.return_room import ReturnRoom


def test_people_book_the_earliest_days_of_the_window_with_room_at_their_site():
    room = ReturnRoom({"slots": np.array([[2, 0], [0, 5], [3, 5], [4, 5]])})  # [day, site]
    booked = room.book("slots", np.array([0, 1]), 1, 3, np.array([5, 7]))
    assert booked.tolist() == [[0, 5], [3, 2], [2, 0]]  # [day - 1, site]
    assert room.free["slots"].tolist() == [[2, 0], [0, 0], [0, 3], [2, 5]]


def test_whoever_finds_no_room_in_the_window_is_not_booked_and_room_comes_back():
    room = ReturnRoom({(0, 1): np.full((10, 1), 2, dtype=np.int32)})
    booked = room.book((0, 1), np.array([0]), 4, 6, np.array([9]))
    assert booked.sum() == 6 and room.free[(0, 1)].dtype == np.int32
    room.give_back((0, 1), np.array([5]), np.array([0]), np.array([2]))
    assert room.free[(0, 1)][4:7, 0].tolist() == [0, 2, 0]


def test_a_latest_day_per_site_and_the_end_of_the_days_bound_the_window():
    room = ReturnRoom({"slots": np.ones((6, 2), dtype=np.int64)})
    booked = room.book("slots", np.array([1, 0]), 2, 20, np.array([9, 9]), latest=np.array([3, 9]))
    assert booked.sum(axis=0).tolist() == [2, 4]  # site 1 to day 3; site 0 to the last day, 5
    assert room.book("other", np.array([0]), 0, 3, np.array([1])).shape == (0, 1)
