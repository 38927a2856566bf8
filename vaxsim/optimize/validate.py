"""Inputs the optimizer cannot plan with, found before any model is built.

Shortfalls are not errors: too little vaccine, capacity or storage becomes penalised slack in
the plan (FORMULATION.md, "Slack"). What is an error is an input that has no meaning: negative
doses, a lot that expires before it arrives, a weight that is not a finite number >= 0, a
next-dose interval that cannot be planned at the chosen period. Every problem is reported at
once, as the scenario loader does.
"""

from __future__ import annotations

import numpy as np

from vaxsim.errors import VaxsimError
from vaxsim.model import Model
from vaxsim.optimize.options import Options


class OptimizeError(VaxsimError):
    """The optimizer was given inputs it cannot plan with; ``problems`` lists each one."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(self.problems)  # the arguments, so that type(exc)(*exc.args) rebuilds it

    def __str__(self) -> str:
        count = len(self.problems)
        head = f"cannot optimize: {count} problem{'s' if count != 1 else ''} found"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


def model_problems(model: Model) -> list[str]:
    """Supply, products and stores of ``model`` that no plan can be made from."""
    found: list[str] = []
    lots = model.lots
    for row in lots.itertuples(index=False):
        where = f"supply lot {row.id!r}"
        if row.doses < 0:
            found.append(f"{where}: negative supply ({row.doses} doses)")
        if row.expiry_day < row.arrival_day:
            found.append(f"{where}: expires (day {row.expiry_day}) before it arrives (day {row.arrival_day})")
        if not 0 <= row.store < len(model.stores):
            found.append(f"{where}: delivered to an unknown store")
        if not 0 <= row.product < len(model.products):
            found.append(f"{where}: unknown product")
    products = model.products
    for row in products.itertuples(index=False):
        if not row.volume_litres_per_dose > 0:
            found.append(f"product {row.id!r}: packed volume per dose must be > 0")
        if row.doses_per_vial < 1:
            found.append(f"product {row.id!r}: doses per vial must be >= 1")
    columns = ["capacity_litres_ultra_cold", "capacity_litres_frozen", "capacity_litres_cold_2_8"]
    capacity = model.stores[columns].to_numpy(dtype=float)
    for s in np.flatnonzero((capacity < 0).any(axis=1) | np.isnan(capacity).any(axis=1)):
        found.append(f"store {model.stores.id[s]!r}: storage capacity must be >= 0 litres")
    if (model.population < 0).any():
        found.append("population: negative counts")
    intervals = model.intervals
    for row in intervals.itertuples(index=False):
        if row.min_days < 0 or row.max_days < row.min_days:
            found.append(
                f"product {products.id[row.product]!r}: dose {row.dose_number} interval "
                f"{row.min_days}-{row.max_days} days is empty"
            )
    return found


def check_inputs(model: Model, options: Options, extra: list[str] | None = None) -> None:
    """Raise :class:`OptimizeError` listing every problem of the model and options."""
    found = [*model_problems(model), *options.problems(), *(extra or [])]
    if found:
        raise OptimizeError(found)
