"""The plan's product codes: which codes a scenario's products have, and what a code of each
system looks like. The optimizer writes ``product_codes`` with :func:`scenario_codes` and the
checker compares a bundle against it, so both read the scenario one way.

Systems (PLAN_FORMAT.md): vaxsim's own id (``urn:vaxsim:product``, always present, the product
id itself), CDC CVX (1 to 3 digits) and GS1 GTIN (8, 12, 13 or 14 digits with a valid check
digit), each present only where the scenario states it (``products.<id>.cvx`` / ``.gtin``).
"""

from __future__ import annotations

import re

from vaxsim.plan.tables import CVX_SYSTEM, GTIN_SYSTEM, LOCAL_PRODUCT_SYSTEM
from vaxsim.scenario import Scenario
from vaxsim.scenario.products import gtin_is_valid

_CVX = re.compile(r"^[0-9]{1,3}$")


def scenario_codes(scenario: Scenario, product_ids: list[str]) -> list[tuple[str, str, str, str]]:
    """``(product_id, system, code, display)`` of each product of ``product_ids`` (in that order):
    its vaxsim id, then its CVX code and GTIN where the scenario states them."""
    rows = []
    for product_id in product_ids:
        spec = scenario.products[product_id]
        name = spec.name or str(product_id)
        rows.append((str(product_id), LOCAL_PRODUCT_SYSTEM, str(product_id), name))
        if spec.cvx is not None:
            rows.append((str(product_id), CVX_SYSTEM, spec.cvx, name))
        if spec.gtin is not None:
            rows.append((str(product_id), GTIN_SYSTEM, spec.gtin, name))
    return rows


def code_problem(product_id: str, system: str, code: str) -> str | None:
    """What is wrong with ``code`` as a code of ``product_id`` in ``system`` (None: nothing)."""
    if system == LOCAL_PRODUCT_SYSTEM and code != product_id:
        return f"the {LOCAL_PRODUCT_SYSTEM} code of {product_id} is its id, not {code!r}"
    if system == CVX_SYSTEM and not _CVX.match(code):
        return f"{code!r} is not a CVX code (1 to 3 digits)"
    if system == GTIN_SYSTEM and not gtin_is_valid(code):
        return f"{code!r} is not a GTIN (8, 12, 13 or 14 digits with a valid GS1 check digit)"
    return None
