"""Site queues: what happens to people inside a vaccination site during a site-day.

The same site model has two implementations that must agree person by person: a per-person
SimPy model (:func:`simulate_reference`, the reference and a clinic-design tool) and a
vectorised kernel (:func:`simulate_kernel`) that computes every session of every site of a day
at once. Both read a :class:`SessionInput` holding every random draw, and return a
:class:`SiteDayResult`.

Units: time is minutes (floats); instants are minutes since local midnight of the site-day.

The flow (both engines implement exactly this)

1. Sessions are independent: each session starts with empty queues and idle staff, and people
   of one session never share a queue with another session's people (overrunning the morning
   does not delay the afternoon).
2. Person ``j`` of a session (``j``-th arrival) arrives at ``arrival[j]`` and joins the first
   station's queue then. Arrivals come from the appointment book (:mod:`vaxsim.sites.arrivals`:
   slots of the site type's length, an aim within the slot by ``arrival_in_slot``, punctuality
   with a mean and a spread).
3. Stations are visited in the order of the site type. Each is a first-come-first-served queue
   with ``servers`` identical servers; a free server takes the person who joined earliest,
   ties broken by person order. After station ``k`` the person walks ``walking[j, k]`` minutes
   (drawn per person and move) and joins the next station's queue (no walk before the first).
4. Preparation: at the injection station, doses come from vials of ``doses_per_vial`` doses,
   drawn up by ``preparers`` preparers who take preparation tasks in FIFO order (with
   ``preparers = 0`` doses are ready at once). People are numbered in the order they join the
   injection queue (``q = 0, 1, ...``) and person ``q`` takes dose ``q``.

   - Just in time: a task is one vial; vial ``v`` serves people ``v·d … v·d + d − 1`` and is
     requested when person ``v·d`` joins the injection queue; it takes ``minutes_per_vial``.
   - Ahead of demand: a task is a batch of ``batch_vials`` vials (``b·B·d`` doses from dose
     ``b·B·d``), released ``lead_minutes`` before the ``b·B·d``-th arrival (never before
     midnight); it takes the sum of its vials' minutes. A dose expires ``in_use_minutes``
     after its batch was started: a vaccinator who finds it expired discards it and draws up
     a fresh one from a new vial (``replacement`` minutes, drawn per person).
5. At the injection station a person takes (seizes) a nurse by the queue rule, then the nurse
   waits with them for the dose: service starts at ``max(seized, dose ready)`` (plus the
   replacement when the dose has expired) and the nurse is held until service ends.
6. After the last station the person walks to the observation area (unlimited chairs), stays
   their observation minutes (the base time, plus the adverse-reaction extra for a share
   ``adverse_reaction_share`` of people; both drawn per person), then leaves.
7. Everyone who arrives is vaccinated (no one balks or gives up). Vials opened in a session are
   ``ceil(people / doses_per_vial)`` plus one per replaced dose; doses opened but unused at the
   session end are ``vials × doses_per_vial − people``.

Outputs per person: arrival; per station the queue-join, seize, service start and end; leave.
Per station: waits (start − join: mean, p50, p90, p99), busy server-minutes (seize to end) and
utilisation two ways, both at most 1: over the opening hours (busy time inside them) and over the
staff's working span (to the last person served); preparers likewise. Per session: people on site
over time, the peak, minutes above the crowding limit, vials opened and doses unused.
"""

from vaxsim.sites.arrivals import booked_arrivals, poisson_arrivals
from vaxsim.sites.kernel import simulate_kernel
from vaxsim.sites.reference import simulate_reference
from vaxsim.sites.results import SiteDayResult
from vaxsim.sites.service_times import mean_of, sample
from vaxsim.sites.session_input import SessionInput, SessionPlan, draw_session_input
from vaxsim.sites.site_day import plan_site_day, simulate_sessions, simulate_site_day
from vaxsim.sites.theory import erlang_c, mmc_mean_wait

__all__ = [
    "SessionInput",
    "SessionPlan",
    "SiteDayResult",
    "booked_arrivals",
    "draw_session_input",
    "erlang_c",
    "mean_of",
    "mmc_mean_wait",
    "plan_site_day",
    "poisson_arrivals",
    "sample",
    "simulate_sessions",
    "simulate_kernel",
    "simulate_reference",
    "simulate_site_day",
]
