"""Plan-table work done ahead, while a national LP solves and the second core would idle.

With ``threads > 1`` the rolling horizon (:func:`vaxsim.optimize.rolling.run`) solves each
window's national LP in a thread (HiGHS releases the GIL while it solves; CBC runs as its own
process) and meanwhile calls :meth:`PlanDraft.advance` here: the reference tables (from the
model alone) during the first window's solve, then during each later one the movements
realised so far, summed per key (:class:`~vaxsim.optimize.movement_sums.MovementSums`).
:func:`~vaxsim.optimize.to_plan.to_plan` takes what is done and does the rest, so the plan is
the same with or without a draft (``threads=1`` makes none).
"""

from __future__ import annotations

import pandas as pd

from vaxsim.optimize.context import Context
from vaxsim.optimize.movement_sums import MovementSums
from vaxsim.optimize.plan_reference import (
    SiteIds,
    lot_ids,
    lots_table,
    product_codes_table,
    products_table,
    sites_table,
)
from vaxsim.optimize.realise import Realiser


class PlanDraft:
    """Plan ids, reference tables and movement sums of a run, done as far as asked."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.ids = SiteIds.from_model(ctx.model, ctx.hierarchy)
        self.lot_id = lot_ids(ctx.model)
        self.movements = MovementSums(self.ids)
        self._reference: dict[str, pd.DataFrame] | None = None

    def advance(self, realiser: Realiser) -> None:
        """The next piece of work: the reference tables first, then the movements realised
        since the last call (vietnam-2021: 0.1-0.3 s a call, within a national solve of 2-5 s)."""
        if self._reference is None:
            self.reference_tables()
            return
        self.movements.add(realiser.ledger, realiser.records)

    def reference_tables(self) -> dict[str, pd.DataFrame]:
        """``products``, ``product_codes``, ``sites`` and ``lots`` (made on the first call)."""
        if self._reference is None:
            model = self.ctx.model
            self._reference = {
                "products": products_table(model),
                "product_codes": product_codes_table(model),
                "sites": sites_table(model, self.ctx.sites, self.ids),
                "lots": lots_table(model, self.ids, self.lot_id),
            }
        return self._reference
