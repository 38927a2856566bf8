"""Realisation: the LPs' committed flows made whole and real day by day (the lot ledger, the
vaccination day, next doses at the site of the dose before), the windows assembled from what
was realised, and where the supply went.

Phases import only earlier ones: setup → lp → realise → (rolling) → tables.
"""
