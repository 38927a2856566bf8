"""One site's day from its appointment book: the call behind ``vaxsim site``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from vaxsim.scenario.base import minutes_of_day
from vaxsim.scenario.sites import SiteType
from vaxsim.sites.arrivals import booked_arrivals
from vaxsim.sites.kernel import simulate_kernel
from vaxsim.sites.reference import simulate_reference
from vaxsim.sites.results import SiteDayResult
from vaxsim.sites.session_input import SessionInput, SessionPlan, draw_session_input

Engine = Literal["reference", "kernel"]

ENGINES = {"reference": simulate_reference, "kernel": simulate_kernel}

Booking = int | Sequence[int] | np.ndarray


def simulate_sessions(site_input: SessionInput, engine: Engine = "kernel") -> SiteDayResult:
    """Run ``site_input`` with the named engine (``"reference"`` or ``"kernel"``)."""
    try:
        run = ENGINES[engine]
    except KeyError:
        raise ValueError(
            f"unknown site engine {engine!r}; choose one of {', '.join(ENGINES)}"
        ) from None
    return run(site_input)


def plan_site_day(
    site_type: SiteType,
    booked_per_slot: Booking | Sequence[Booking],
    slot_minutes: float,
    doses_per_vial: int,
    show_up: float,
    walk_in_share: float,
    rng: np.random.Generator,
    site: str = "site",
    in_use_minutes: float = np.inf,
) -> list[SessionPlan]:
    """Arrivals of every session of one site-day, as plans for :func:`draw_session_input`.

    ``booked_per_slot``: people booked per appointment slot, either one number for every slot
    of every session, or a sequence with one entry per session of ``site_type``, each entry a
    number for every slot of that session or a sequence with one number per slot.
    ``slot_minutes`` is the scenario's slot length, used when the site type has none of its
    own; people aim within their slot by the type's ``arrival_in_slot`` and punctuality.
    """
    sessions = site_type.sessions
    if np.isscalar(booked_per_slot) or getattr(booked_per_slot, "ndim", 1) == 0:
        bookings = [booked_per_slot] * len(sessions)
    else:
        bookings = list(booked_per_slot)
        if len(bookings) != len(sessions):
            raise ValueError(
                f"booked_per_slot has {len(bookings)} entries but the site type has "
                f"{len(sessions)} sessions; give one entry per session or a single number"
            )
    if doses_per_vial < 1:
        raise ValueError(f"doses_per_vial must be >= 1 (got {doses_per_vial})")
    plans = []
    for index, (session, booked) in enumerate(zip(sessions, bookings, strict=True)):
        arrivals = booked_arrivals(
            minutes_of_day(session.start), minutes_of_day(session.end), booked,
            site_type.slot_minutes(slot_minutes), show_up, walk_in_share,
            site_type.punctuality_sd_minutes, rng, site_type.arrival_in_slot,
            site_type.punctuality_mean_minutes,
        )
        plans.append(SessionPlan(site, site_type, index, arrivals, doses_per_vial, in_use_minutes))
    return plans


def simulate_site_day(
    site_type: SiteType,
    booked_per_slot: Booking | Sequence[Booking],
    slot_minutes: float,
    doses_per_vial: int,
    show_up: float = 1.0,
    walk_in_share: float = 0.0,
    seed: int = 0,
    engine: Engine = "reference",
    site: str = "site",
    in_use_minutes: float = np.inf,
) -> SiteDayResult:
    """Simulate one site for one day from its appointment book.

    ``slot_minutes``: appointment slot length (minutes); ``doses_per_vial`` of the product
    used; ``show_up``: share of booked people who come; ``walk_in_share``: walk-ins as a share
    of booked people; ``seed`` seeds the one generator that draws arrivals, then service,
    preparation and observation times (same seed, same result, with either engine);
    ``engine``: ``"reference"`` (SimPy, per person) or ``"kernel"`` (vectorised);
    ``in_use_minutes``: how long a drawn-up dose stays usable.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown site engine {engine!r}; choose one of {', '.join(ENGINES)}")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    plans = plan_site_day(
        site_type, booked_per_slot, slot_minutes, doses_per_vial, show_up, walk_in_share, rng,
        site=site, in_use_minutes=in_use_minutes,
    )
    return simulate_sessions(draw_session_input(plans, rng), engine)


def replicate_site_day(
    site_type: SiteType,
    booked_per_slot: Booking | Sequence[Booking],
    slot_minutes: float,
    doses_per_vial: int,
    replications: int,
    show_up: float = 1.0,
    walk_in_share: float = 0.0,
    seed: int = 0,
    site: str = "site",
    in_use_minutes: float = np.inf,
) -> SessionInput:
    """Every session of ``replications`` independent days of one site, drawn at once from one
    generator seeded by ``seed`` (arguments as :func:`simulate_site_day`). The draws do not
    depend on the staff, so changing ``servers`` gives common random numbers."""
    if replications < 1:
        raise ValueError(f"replications must be >= 1 (got {replications})")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    plans = []
    for replication in range(replications):
        plans += plan_site_day(
            site_type, booked_per_slot, slot_minutes, doses_per_vial, show_up, walk_in_share, rng,
            site=f"{site}#{replication}", in_use_minutes=in_use_minutes,
        )
    return draw_session_input(plans, rng)
