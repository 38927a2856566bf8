"""Plans: the optimizer's output as tables (:class:`Plan`) and, later, as a checksummed bundle.

See PLAN_FORMAT.md for the bundle and :mod:`vaxsim.plan.tables` for every column.
"""

from vaxsim.plan.plan import FORMAT, STATUSES, Plan, empty_table
from vaxsim.plan.tables import TABLES, Column, ForeignKey, TableSpec

__all__ = ["FORMAT", "STATUSES", "TABLES", "Column", "ForeignKey", "Plan", "TableSpec", "empty_table"]
