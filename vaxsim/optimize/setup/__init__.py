"""Set-up: the model's arrays in the optimizer's units, fixed for a run (demand forecast, site
capacity calendar, store hierarchy, lot classes, open-vial allowance, a restart's state).

Phases import only earlier ones: setup → lp → realise → (rolling) → tables.
"""
