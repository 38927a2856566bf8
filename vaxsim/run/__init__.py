"""The run layer: simulate, replicate, sweep, compare, digital twin and plan verification.

It sits above the simulation (``vaxsim.sim``), the optimizer (``vaxsim.optimize``) and the
results (``vaxsim.results``), which never import it.
"""
