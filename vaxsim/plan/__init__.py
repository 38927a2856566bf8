"""Plans: the optimizer's output as tables (:class:`Plan`), as a checksummed bundle, its
independent checker and its exports.

>>> path = plan.write("plans/vn-2021")            # plans/vn-2021/plan-<id>-r<revision>/
>>> same = vaxsim.plan.read(path)                 # equal to plan.normalised()
>>> problems = vaxsim.plan.check(path)            # [] when the bundle and its invariants hold

See PLAN_FORMAT.md for the bundle and :mod:`vaxsim.plan.tables` for every column.
"""

from vaxsim.plan.bundle import bundle_name, write_bundle
from vaxsim.plan.plan import FORMAT, STATUSES, Plan, empty_table
from vaxsim.plan.reader import read
from vaxsim.plan.tables import TABLES, Column, ForeignKey, TableSpec

__all__ = [
    "FORMAT",
    "STATUSES",
    "TABLES",
    "Column",
    "ForeignKey",
    "Plan",
    "TableSpec",
    "bundle_name",
    "empty_table",
    "read",
    "write_bundle",
]
