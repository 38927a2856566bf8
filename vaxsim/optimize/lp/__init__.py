"""The LP of one sub-problem, in phases: its data (``problem``), build (``build``, on the sparse
``lp`` builder), solve (``solvers``), extract (``extract``) and explain (``explain``).

Phases import only earlier ones: setup → lp → realise → (rolling) → tables.
"""
