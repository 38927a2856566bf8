"""One sub-problem's data: the tables the formulation is built from (PyPSA's "tables in").

A :class:`SubProblem` is a supply tree (stores, with *units* at the leaves where doses are given)
over one planning window, in sub-problem-local indices. The national problem's units are
provinces; a province's units are its districts. Everything the LP needs is here as numpy
arrays, so a sub-problem can be built by hand in a test, pickled to a worker process, built,
solved and extracted without the model.

Time: node ``n``'s period ``b`` covers the campaign days
``start_day + offset[n] + b·period_days`` to ``... + period_days − 1``. Offsets are the
cumulative transport lead times from the root, so a shipment that leaves its origin at the
start of period ``b`` (origin's frame) arrives at the start of period ``b`` in the
destination's frame: links need no lag inside the LP.

Index letters: ``n`` node, ``u`` unit, ``c`` lot class, ``q`` product, ``g`` demand class,
``s`` next-dose step, ``b`` period, ``τ`` temperature class (0 ultra-cold, 1 frozen, 2 +2..+8 °C).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vaxsim.optimize.options import Weights


@dataclass
class SubProblem:
    """The data of one LP (see the module docstring for indices and time).

    Nodes: ``node_ids``, ``node_names``; ``parent`` int64 [n] (-1 = root); ``offset`` int64 [n]
    days; ``lead`` int64 [n] transport days from the parent; ``storage`` float [n, τ] litres
    (inf = no limit); ``storage_class`` int64 [n, q] the temperature class product ``q`` is kept
    at in node ``n``; ``thawed`` bool [n, q] it is kept thawed there (thaw clock applies);
    ``link_litres`` float [n, b] litres the link into ``n`` may carry in period ``b`` (inf = no
    limit, 0 = no departure).

    Units: ``unit_node`` int64 [u]; ``capacity`` float [u, b] people per period;
    ``approvals`` float [u, g, b] people becoming available for a first dose;
    ``backlog0`` float [u, g] people waiting at the start; ``eligible`` float [u] people;
    ``covered0`` float [u] people with a first dose before the window.

    Products: ``volume`` float [q] litres per dose; ``allowance`` float [q] open-vial doses
    discarded per dose given; ``thaw_periods`` int64 [q] whole periods an unopened vial may stay
    thawed (-1 = not thawable); ``ship_unit`` float [q] doses per shipping unit (1, or doses per
    vial when whole vials are shipped and ``integer`` is set).

    Lot classes: ``class_ids``; ``class_product`` int64 [c]; ``class_expiry`` int64 [c] last
    usable campaign day; ``last_period`` int64 [n, c] last period the class may be used at
    node ``n`` (-1 = never; >= periods = not within the window); ``stock0`` float [n, c] doses
    on hand at the start; ``inflow`` float [n, c, b] doses arriving from outside the
    sub-problem (deliveries, or the parent level's shipments).

    Demand classes: ``class_names`` (groups); ``suitable`` bool [q, g]; ``priority`` float [g]
    cost per person-day waiting.

    Next-dose steps (one per product and dose number >= 2): ``step_product`` int64 [s] (product
    of the series' first dose), ``step_dose`` int64 [s], ``step_prev`` int64 [s] (previous step,
    -1 = the first dose), ``step_given`` bool [s, q] products that may be given, ``step_min``
    and ``step_max`` int64 [s] interval in periods; ``history`` float [u, s, m] doses of the
    previous step given ``m`` periods before the window (``history[..., 0]`` = the period just
    before); ``pool0`` float [u, s] people eligible at the start and not yet given the dose.
    """

    name: str
    level: str
    key: int
    start_day: int
    start_date: pd.Timestamp
    period_days: int
    periods: int
    committed_periods: int

    node_ids: list[str]
    node_names: list[str]
    parent: np.ndarray
    offset: np.ndarray
    lead: np.ndarray
    storage: np.ndarray
    storage_class: np.ndarray
    thawed: np.ndarray
    link_litres: np.ndarray

    unit_node: np.ndarray
    capacity: np.ndarray
    approvals: np.ndarray
    backlog0: np.ndarray
    eligible: np.ndarray
    covered0: np.ndarray

    product_ids: list[str]
    volume: np.ndarray
    allowance: np.ndarray
    thaw_periods: np.ndarray
    ship_unit: np.ndarray

    class_ids: list[str]
    class_product: np.ndarray
    class_expiry: np.ndarray
    last_period: np.ndarray
    stock0: np.ndarray
    inflow: np.ndarray

    group_names: list[str]
    suitable: np.ndarray
    priority: np.ndarray

    step_product: np.ndarray
    step_dose: np.ndarray
    step_prev: np.ndarray
    step_given: np.ndarray
    step_min: np.ndarray
    step_max: np.ndarray
    history: np.ndarray
    pool0: np.ndarray

    reserve_share: float
    weights: Weights
    integer: bool = False
    #: int64 [u, q] the temperature class a unit's doses in use occupy while a period's
    #: shipments wait to be given (-1 = not counted); ``None``: the unit node's own class.
    use_class: np.ndarray | None = None
    #: int64 [q] last campaign day (unit's frame) on which a first dose of each product may be
    #: given (PlanningOptions.follow_up_in_plan); ``None``: any day.
    first_dose_until: np.ndarray | None = None
    #: Keep in stock at each unit the doses of the next doses its people are owed, every period
    #: (PlanningOptions.follow_up_in_plan; FORMULATION.md (12)).
    hold_follow_ups: bool = False
    #: The campaign's last day, and the share of people booked for a day who come that day
    #: (the scenario's expected show-up): a next dose planned for the campaign's last days is
    #: given before its end only if the person comes on one of the days left (FORMULATION.md
    #: §5, completion). ``None``: no end (every planned next dose counts in full).
    last_day: int | None = None
    show_up: float = 1.0

    @property
    def nodes(self) -> int:
        return len(self.node_ids)

    @property
    def units(self) -> int:
        return len(self.unit_node)

    @property
    def products(self) -> int:
        return len(self.product_ids)

    @property
    def classes(self) -> int:
        return len(self.class_ids)

    @property
    def groups(self) -> int:
        return len(self.group_names)

    @property
    def steps(self) -> int:
        return len(self.step_product)

    def period_first_day(self, node: np.ndarray | int, period: np.ndarray | int) -> np.ndarray:
        """Campaign day on which node ``node``'s period ``period`` starts."""
        return self.start_day + np.asarray(self.offset)[node] + np.asarray(period) * self.period_days

    def date(self, node: int, period: int) -> pd.Timestamp:
        """Calendar date on which node ``node``'s period ``period`` starts."""
        return self.start_date + pd.Timedelta(days=int(self.period_first_day(node, period)))

    def problems(self) -> list[str]:
        """Shape and sign errors that would make the LP meaningless (checked before building)."""
        n, u, c, b = self.nodes, self.units, self.classes, self.periods
        q, g, s = self.products, self.groups, self.steps
        expected = {
            "parent": (n,),
            "offset": (n,),
            "lead": (n,),
            "storage": (n, 3),
            "storage_class": (n, q),
            "thawed": (n, q),
            "link_litres": (n, b),
            "capacity": (u, b),
            "approvals": (u, g, b),
            "backlog0": (u, g),
            "eligible": (u,),
            "covered0": (u,),
            "volume": (q,),
            "allowance": (q,),
            "thaw_periods": (q,),
            "ship_unit": (q,),
            "class_product": (c,),
            "class_expiry": (c,),
            "last_period": (n, c),
            "stock0": (n, c),
            "inflow": (n, c, b),
            "suitable": (q, g),
            "priority": (g,),
            "step_product": (s,),
            "step_dose": (s,),
            "step_prev": (s,),
            "step_given": (s, q),
            "step_min": (s,),
            "step_max": (s,),
            "pool0": (u, s),
        }
        found = []
        for name, shape in expected.items():
            actual = np.shape(getattr(self, name))
            if actual != shape:
                found.append(f"{self.name}: {name} has shape {actual}, expected {shape}")
        if found:
            return found
        for name in ("capacity", "approvals", "backlog0", "stock0", "inflow", "pool0", "history", "storage"):
            values = np.asarray(getattr(self, name), dtype=float)
            if values.size and (np.isnan(values).any() or values.min() < 0):
                found.append(f"{self.name}: {name} has negative or missing values")
        if np.any(self.volume <= 0):
            found.append(f"{self.name}: every product needs a positive volume per dose")
        if np.any(self.step_min > self.step_max):
            found.append(f"{self.name}: a next-dose interval has min above max")
        if len(self.parent) and np.any(self.parent >= np.arange(len(self.parent))):
            found.append(f"{self.name}: nodes must be listed parents first")
        return found
