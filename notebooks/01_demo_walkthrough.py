# %% [markdown]
# # vaxsim walkthrough: the demo district
#
# Load a scenario, simulate it, and read the results as pandas DataFrames.

# %%
from pathlib import Path

import pandas as pd

import vaxsim

ROOT = Path(__file__).resolve().parents[1] if "__file__" in globals() else Path.cwd().parent
scenario = vaxsim.load(ROOT / "scenarios" / "demo-district.yaml")
results = vaxsim.simulate(scenario, seed=1)
results.summary()

# %% [markdown]
# Coverage at the end of the horizon, by priority group (share of the group's population).

# %%
last = results.coverage[results.coverage.date == results.coverage.date.max()]
by_group = last.groupby("priority_group")[["population", "at_least_one", "full_series"]].sum()
by_group["at_least_one_share"] = by_group.at_least_one / by_group.population
by_group

# %% [markdown]
# Delays between the steps (days), weighted by people.

# %%
delays = results.delays.groupby("stage")[["people", "total_days"]].sum()
delays["mean_days"] = delays.total_days / delays.people
delays

# %% [markdown]
# Waits at the site stations (minutes) and the busiest site-days.

# %%
print(results.waits)
results.sites.sort_values("peak_on_site", ascending=False).head()

# %% [markdown]
# The cold chain: doses wasted by cause and product, stock at each tier of the store tree at
# the end of each week, and the stores that came closest to their capacity.

# %%
print(results.wastage.pivot_table(index="product", columns="cause", values="doses", aggfunc="sum"))
levels = results.stock_levels.groupby(["date", "level"]).doses.sum().unstack()
print(levels.iloc[6::7])
results.cold_chain.sort_values("peak_utilisation", ascending=False).head()

# %% [markdown]
# A research question: does holding back half of each delivery for second doses cost first
# doses? Five seeded replications of each policy: mean and standard error of the mean.

# %%
rows = []
for rule in ("hold_back", "none"):
    what_if = vaxsim.load(
        ROOT / "scenarios" / "demo-district.yaml", overrides=[f"policies.second_dose_reserve.rule={rule}"]
    )
    for seed in range(5):
        summary = vaxsim.simulate(what_if, seed=seed, site_queues=False).summary()
        rows.append({"rule": rule, "seed": seed, **summary["doses_by_dose_number"]})
replications = pd.DataFrame(rows).rename(columns={1: "first_doses", 2: "second_doses"})
stats = replications.groupby("rule")[["first_doses", "second_doses"]].agg(["mean", "sem"])
stats
