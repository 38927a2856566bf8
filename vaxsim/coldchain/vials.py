"""Vials at a session: how many are opened, how many doses are given and how many are wasted.

Counts only, vectorised over sessions (no per-person simulation). For one session with ``n``
people who need a dose of a product with ``d`` doses per vial:

- A vial is opened when the first person needs it, so ``ceil(n / u)`` vials serve ``n``
  people, where ``u <= d`` is the number of doses of a vial that can be used before its in-use
  time runs out (``u = d`` unless the session is longer than the in-use time, see
  :func:`usable_doses_per_vial`).
- Doses left in opened vials at the end of the session (or of their in-use time) are wasted:
  ``vials × d - given`` (open-vial wastage). With Poisson(μ) attendance this gives the closed
  form of :func:`expected_open_vial_wastage`.
- Opening threshold: of the ``n`` people, ``late`` arrive in the last ``late_minutes`` of the
  session. Early people are served from as many vials as they need. Late people first use the
  doses left in the last vial opened; after that a new vial is opened only while at least
  ``min_people_late`` late people are still waiting for one (all of them are counted as
  waiting, since sessions are counts, not arrival times). Late people left without a dose are
  ``turned_away`` (the engine re-books them); they are not a stock-out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, xlogy


@dataclass(frozen=True)
class VialPlan:
    """Per session (int64 arrays): people ``given`` a dose, ``vials`` opened, ``drawn`` doses
    (``vials × doses_per_vial``), ``turned_away`` by the opening threshold, ``wasted`` doses."""

    given: np.ndarray
    vials: np.ndarray
    drawn: np.ndarray
    turned_away: np.ndarray

    @property
    def wasted(self) -> np.ndarray:
        return self.drawn - self.given


def _ceil_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return -(-a // b)


def usable_doses_per_vial(
    doses_per_vial: np.ndarray,
    people: np.ndarray,
    session_minutes: np.ndarray,
    in_use_minutes: np.ndarray,
) -> np.ndarray:
    """Doses of a vial used before its in-use time ends, at the session's average arrival rate.

    ``min(d, max(1, floor(n × in_use / session)))`` when the session is longer than the in-use
    time, else ``d``: people arrive evenly over the session, and a vial only serves those who
    come within its in-use time of its opening. Minutes are session lengths and in-use times.
    """
    d = np.asarray(doses_per_vial, dtype=np.int64)
    session_minutes = np.asarray(session_minutes, dtype=float)
    in_use_minutes = np.asarray(in_use_minutes, dtype=float)
    longer = session_minutes > in_use_minutes
    with np.errstate(divide="ignore", invalid="ignore"):
        per_in_use = np.floor(np.asarray(people) * in_use_minutes / np.where(longer, session_minutes, 1.0))
    return np.where(longer, np.clip(per_in_use, 1, d).astype(np.int64), d)


def open_vials(
    people: np.ndarray,
    doses_per_vial: np.ndarray,
    late: np.ndarray | int = 0,
    min_people_late: np.ndarray | int = 1,
    usable: np.ndarray | None = None,
) -> VialPlan:
    """Vials opened and doses given per session under the rules of the module docstring.

    ``people``: people needing a dose; ``late``: how many of them come in the late window
    (``<= people``); ``usable``: usable doses per vial (default ``doses_per_vial``).
    """
    n = np.asarray(people, dtype=np.int64)
    d = np.broadcast_to(np.asarray(doses_per_vial, dtype=np.int64), n.shape)
    u = d if usable is None else np.broadcast_to(np.asarray(usable, dtype=np.int64), n.shape)
    if np.any(n < 0) or np.any(d < 1) or np.any(u < 1) or np.any(u > d):
        raise ValueError("people must be >= 0 and 1 <= usable doses <= doses per vial")
    k = np.broadcast_to(np.asarray(min_people_late, dtype=np.int64), n.shape)
    late_people = np.minimum(np.broadcast_to(np.asarray(late, dtype=np.int64), n.shape), n)
    early = n - late_people
    early_vials = _ceil_div(early, u)
    leftover = early_vials * u - early
    from_leftover = np.minimum(late_people, leftover)
    waiting = late_people - from_leftover
    late_vials = np.where(waiting >= k, (waiting - k) // u + 1, 0)
    served_late = np.minimum(waiting, late_vials * u)
    vials = early_vials + late_vials
    given = early + from_leftover + served_late
    return VialPlan(given=given, vials=vials, drawn=vials * d, turned_away=waiting - served_late)


def session_vials(
    people: np.ndarray,
    doses_per_vial: np.ndarray,
    session_minutes: np.ndarray,
    in_use_minutes: np.ndarray,
    late: np.ndarray | int = 0,
    min_people_late: np.ndarray | int = 1,
) -> VialPlan:
    """Vials of sessions (or groups of sessions sharing vials) of ``session_minutes`` each
    (0 when unknown): :func:`open_vials` with the doses of a vial usable before its in-use
    time (``in_use_minutes``) ends (:func:`usable_doses_per_vial`). One rule for the simulated
    sessions (:mod:`vaxsim.coldchain.chain`) and the optimizer's
    (:mod:`vaxsim.optimize.realise.vaccination_day`, where everyone comes on time)."""
    usable = usable_doses_per_vial(doses_per_vial, people, session_minutes, in_use_minutes)
    return open_vials(people, doses_per_vial, late=late, min_people_late=min_people_late, usable=usable)


def doses_drawn(
    people: np.ndarray,
    doses_per_vial: np.ndarray,
    session_minutes: np.ndarray,
    in_use_minutes: np.ndarray,
    spare_vials: np.ndarray | int = 0,
) -> np.ndarray:
    """Doses drawn to give ``people`` a dose in a session of ``session_minutes`` (whole vials,
    :func:`session_vials`, everyone on time), and ``spare_vials`` whole vials more (sessions
    that each open one of their own): what stock kept for them must hold."""
    d = np.asarray(doses_per_vial, dtype=np.int64)
    drawn = session_vials(np.asarray(people, dtype=np.int64), d, session_minutes, in_use_minutes).drawn
    return drawn + np.asarray(spare_vials, dtype=np.int64) * d


def expected_open_vial_wastage(mean_people: float, doses_per_vial: int) -> float:
    """Expected share of drawn doses wasted, ``1 - μ / (d · E[ceil(N / d)])``, N ~ Poisson(μ).

    Exact up to a Poisson tail below 1e-30 (the sum runs over the pmf up to μ + 12√μ + 30).
    """
    if mean_people <= 0:
        raise ValueError("mean_people must be > 0")
    top = int(mean_people + 12 * np.sqrt(mean_people) + 30) + doses_per_vial
    n = np.arange(top + 1)
    # Poisson pmf from scipy.special: scipy.stats costs over a second to import on every run
    pmf = np.exp(xlogy(n, mean_people) - mean_people - gammaln(n + 1))
    expected_vials = float(np.sum(pmf * np.ceil(n / doses_per_vial)))
    return 1.0 - mean_people / (doses_per_vial * expected_vials)
