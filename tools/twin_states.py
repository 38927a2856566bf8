"""Debug a digital twin's re-plans one at a time: save every simulated state a re-plan starts from.

A national twin (`vaxsim run scenarios/vietnam-2021.yaml --replan-every 28`) takes 20-40 minutes
and stops at the first re-plan the plan checker refuses. Run it once with this script::

    python tools/twin_states.py scenarios/vietnam-2021.yaml STATES/ --replan-every 28 --seed 1

Each re-plan's :class:`~vaxsim.sim.state.CampaignState` is pickled to ``STATES/state-<day>.pkl``
before it is optimized, so a refused re-plan can then be made again from its state in seconds::

    state = pickle.load(open("STATES/state-224.pkl", "rb"))
    plan = vaxsim.optimize(model, state=state)
    plan.write("replan")            # then: vaxsim plan check replan/plan-* --scenario ...

Only read pickles you wrote yourself: unpickling runs code.
"""

from __future__ import annotations

import argparse
import pickle
import time
from pathlib import Path

import vaxsim
from vaxsim.plan.checked import checked
from vaxsim.run.simulate import simulate
from vaxsim.run.twin import replanner
from vaxsim.sim.state import CampaignState


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("states", type=Path, help="folder for state-<day>.pkl")
    parser.add_argument("--replan-every", type=int, required=True, help="days between re-plans")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.states.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    model = vaxsim.compile_model(vaxsim.load(args.scenario))
    first = checked(vaxsim.optimize(model), model)
    replan = replanner(model, previous=first)

    def saving(state: CampaignState) -> vaxsim.Plan:
        with (args.states / f"state-{state.day}.pkl").open("wb") as handle:
            pickle.dump(state, handle)
        print(f"re-plan at day {state.day} ({state.date}), {time.perf_counter() - started:.0f} s", flush=True)
        return replan(state)

    every = args.replan_every
    results = simulate(model, args.seed, site_queues=False, plan=first, replan=saving, replan_every=every)
    summary = results.summary()
    print(f"doses given {summary['doses_given']:,}, full series {summary['coverage_full_series']:.2%}")


if __name__ == "__main__":
    main()
