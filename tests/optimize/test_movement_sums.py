"""Movements summed a window at a time give the plan tables that summing them at once gives."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import vaxsim
from tests.conftest import DEMO
from vaxsim.optimize.context import make_context
from vaxsim.optimize.demand import forecast_demand
from vaxsim.optimize.movement_sums import MovementSums
from vaxsim.optimize.options import Options, SolverOptions
from vaxsim.optimize.plan_reference import SiteIds, lot_ids
from vaxsim.optimize.plan_stock import shipment_tables, stock_projection
from vaxsim.optimize.rolling import run


@pytest.fixture(scope="module")
def realised():
    model = vaxsim.compile_model(vaxsim.load(DEMO))
    ctx = make_context(model, Options(solver=SolverOptions(solver="cbc")), forecast_demand(model))
    result = run(ctx)
    return ctx, result.realiser


def _prefix(realiser, share: float):
    """The ledger and records as they were when ``share`` of every chunk list was appended."""
    ledger, records = realiser.ledger, realiser.records

    def cut(chunks):
        return list(chunks[: int(round(len(chunks) * share))])

    return (
        SimpleNamespace(
            nodes=SimpleNamespace(chunks={k: cut(v) for k, v in ledger.nodes.chunks.items()}),
            sites=SimpleNamespace(chunks={k: cut(v) for k, v in ledger.sites.chunks.items()}),
            shipments=cut(ledger.shipments),
        ),
        SimpleNamespace(site_supply=cut(records.site_supply)),
    )


def _tables(ctx, realiser, sums):
    ids, lot_id, start = SiteIds.from_model(ctx.model, ctx.hierarchy), lot_ids(ctx.model), ctx.model.dates[0]
    ledger, records = realiser.ledger, realiser.records
    shipments, lines = shipment_tables(ledger, records, ids, lot_id, start, sums)
    return shipments, lines, stock_projection(ledger, records, ids, lot_id, start, None, sums)


def test_summed_in_steps_same_tables_as_at_once(realised):
    ctx, realiser = realised
    at_once = _tables(ctx, realiser, None)
    sums = MovementSums(SiteIds.from_model(ctx.model, ctx.hierarchy))
    # Every chunk list grows as it did window after window; the last step is left to the tables.
    for share in (0.2, 0.5, 0.5, 0.8):
        # The prefixes hold the very chunk objects of the ledger, as the real ledger would.
        sums.add(*_prefix(realiser, share))
    for expected, got in zip(at_once, _tables(ctx, realiser, sums), strict=True):
        assert len(expected) > 0
        pd.testing.assert_frame_equal(expected, got)


@pytest.mark.parametrize("how", ["replaced", "in place"])
def test_a_chunk_changed_after_it_was_summed_is_noticed(realised, how):
    ctx, realiser = realised
    at_once = _tables(ctx, realiser, None)
    sums = MovementSums(SiteIds.from_model(ctx.model, ctx.hierarchy))
    sums.add(*_prefix(realiser, 0.5))
    chunk = realiser.ledger.shipments[0]
    if how == "replaced":
        realiser.ledger.shipments[0] = tuple(np.array(c, copy=True) for c in chunk)
    doses = realiser.ledger.shipments[0][5]
    doses[0] += 1  # one more dose in a chunk summed already
    try:
        changed = _tables(ctx, realiser, sums)
        fresh = _tables(ctx, realiser, None)
    finally:
        doses[0] -= 1
        realiser.ledger.shipments[0] = chunk
    for expected, got in zip(fresh, changed, strict=True):
        pd.testing.assert_frame_equal(expected, got)
    assert not at_once[1].equals(changed[1])  # the change did reach the tables
