"""Rules of the campaign that the simulation and the optimizer both follow.

The simulation (:mod:`vaxsim.sim`) runs a campaign and the optimizer (:mod:`vaxsim.optimize`)
realises a plan; both are above this package and import it, so a rule written here is the
same rule in both (a plan-driven run without disturbances gives the plan's doses exactly):
:mod:`~vaxsim.campaign.return_room` books each person's next dose at the site of the dose before.
"""
