"""The cold chain: stores, lots, transport, vials, wastage and the dose ledger.

Every dose is followed from the lot's arrival to an arm or to waste::

    from vaxsim.coldchain import ColdChain, Sessions
    from vaxsim.sim.random import Streams

    chain = ColdChain(model, Streams(seed))
    for day in range(len(model.dates)):
        chain.receive(day)
        chain.advance(day)
        chain.request(day, wanted)                 # doses wanted [district, product]
        stock = chain.available(day, horizon=1)    # doses usable at district stores
        outcome = chain.administer(day, Sessions.of(district, product, people, late))
        chain.end_day(day)
    results = chain.results()                      # ledger and KPI tables, conservation checked

See :mod:`vaxsim.coldchain.chain` for the daily order and the rules, and the modules for each
part: :mod:`~vaxsim.coldchain.network` (stores, capacities, links, routes),
:mod:`~vaxsim.coldchain.lots` (lots, expiry, thaw clock), :mod:`~vaxsim.coldchain.holdings`
(stock), :mod:`~vaxsim.coldchain.transport` (shipments), :mod:`~vaxsim.coldchain.vials`
(open-vial wastage), :mod:`~vaxsim.coldchain.disruptions` (delays, excursions, breakage),
:mod:`~vaxsim.coldchain.ledger` (events, conservation), :mod:`~vaxsim.coldchain.room` (litres
free per store and class), :mod:`~vaxsim.coldchain.kpis` (tables),
:mod:`~vaxsim.coldchain.checks` (input checks). The event book, the conservation check, the
write-off rule, the use-by rule and the room rule are also the optimizer's realised plan's
(:mod:`vaxsim.optimize.realise.ledger`).
"""

from vaxsim.coldchain.chain import ColdChain, Orders, SessionOutcome
from vaxsim.coldchain.checks import capacity_warnings, checked_model, findings, model_problems
from vaxsim.coldchain.errors import (
    ColdChainInputError,
    ColdChainOrderError,
    ColdChainWarning,
    ConservationError,
)
from vaxsim.coldchain.kpis import ColdChainResults
from vaxsim.coldchain.ledger import CAUSES, EVENTS
from vaxsim.coldchain.sessions import SessionLayout, Sessions
from vaxsim.coldchain.temperature import CLASSES
from vaxsim.coldchain.vials import expected_open_vial_wastage, open_vials

__all__ = [
    "CAUSES",
    "CLASSES",
    "EVENTS",
    "ColdChain",
    "ColdChainInputError",
    "ColdChainOrderError",
    "ColdChainResults",
    "ColdChainWarning",
    "ConservationError",
    "Orders",
    "SessionLayout",
    "SessionOutcome",
    "Sessions",
    "capacity_warnings",
    "expected_open_vial_wastage",
    "checked_model",
    "findings",
    "model_problems",
    "open_vials",
]
