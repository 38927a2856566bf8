"""Daily KPI accumulators of a campaign run, as dense numpy arrays (turned into tables at the end)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Waiting stages whose delays are measured, in the order of the five steps.
STAGES = ("registration_to_approval", "approval_to_booking", "due_to_booking", "booking_to_appointment")
#: Registration channels, as in the scenario's channel mix.
CHANNELS = ("app", "portal", "commune_list")


@dataclass
class Recorder:
    """Counts per day (``T`` days), district (``D``) or province (``V``), product (``P``), dose
    number (``K``)...

    Every array is indexed by campaign day first. Doses, the steps' flows, the backlog and
    district coverage are per district (provinces are their sums); registrations by channel,
    waits and stock per province. ``waits_*`` hold summed days and people so that means can be
    taken at any aggregation level.
    """

    days: int
    provinces: int
    districts: int
    products: int
    doses_in_series: int
    coverage_cells: int
    sites: int
    doses: np.ndarray = field(init=False)
    registrations: np.ndarray = field(init=False)
    approvals: np.ndarray = field(init=False)
    bookings: np.ndarray = field(init=False)
    no_shows: np.ndarray = field(init=False)
    walk_ins: np.ndarray = field(init=False)
    dropped: np.ndarray = field(init=False)
    unbooked_no_vaccine: np.ndarray = field(init=False)
    missed_no_vaccine: np.ndarray = field(init=False)
    no_return_slot: np.ndarray = field(init=False)
    backlog: np.ndarray = field(init=False)
    registered: np.ndarray = field(init=False)
    district_at_least_one: np.ndarray = field(init=False)
    district_full_series: np.ndarray = field(init=False)
    wait_days: np.ndarray = field(init=False)
    wait_people: np.ndarray = field(init=False)
    at_least_one: np.ndarray = field(init=False)
    full_series: np.ndarray = field(init=False)
    delivered: np.ndarray = field(init=False)
    national_stock: np.ndarray = field(init=False)
    district_stock: np.ndarray = field(init=False)
    site_visits: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        t, v, d, p, k = self.days, self.provinces, self.districts, self.products, self.doses_in_series
        self.doses = np.zeros((t, d, p, k), dtype=np.int64)
        self.registrations = np.zeros((t, v, len(CHANNELS)), dtype=np.int64)
        self.registered = np.zeros((t, d), dtype=np.int64)
        self.approvals = np.zeros((t, d), dtype=np.int64)
        self.bookings = np.zeros((t, d), dtype=np.int64)
        self.no_shows = np.zeros((t, d), dtype=np.int64)
        self.walk_ins = np.zeros((t, d), dtype=np.int64)
        self.dropped = np.zeros((t, d), dtype=np.int64)
        self.unbooked_no_vaccine = np.zeros((t, d), dtype=np.int64)
        self.missed_no_vaccine = np.zeros((t, d), dtype=np.int64)
        self.no_return_slot = np.zeros((t, d), dtype=np.int64)
        self.backlog = np.zeros((t, d, 3), dtype=np.int64)  # registered, approved, due
        self.district_at_least_one = np.zeros((t, d), dtype=np.int64)
        self.district_full_series = np.zeros((t, d), dtype=np.int64)
        self.wait_days = np.zeros((t, v, len(STAGES)), dtype=np.int64)
        self.wait_people = np.zeros((t, v, len(STAGES)), dtype=np.int64)
        self.at_least_one = np.zeros((t, self.coverage_cells), dtype=np.int64)
        self.full_series = np.zeros((t, self.coverage_cells), dtype=np.int64)
        self.delivered = np.zeros((t, p), dtype=np.int64)
        self.national_stock = np.zeros((t, p), dtype=np.int64)
        self.district_stock = np.zeros((t, v, p), dtype=np.int64)
        self.site_visits = np.zeros((t, self.sites), dtype=np.int32)

    def wait(self, day: int, stage: str, province_days: np.ndarray, province_people: np.ndarray) -> None:
        """Add waiting days and people per province for one stage."""
        s = STAGES.index(stage)
        self.wait_days[day, :, s] += province_days
        self.wait_people[day, :, s] += province_people
