"""Run every (what-if, seed) replication on an executor, storing each as it finishes."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import vaxsim
from vaxsim.run.ensemble import Ensemble
from vaxsim.run.executors import as_executor
from vaxsim.run.replication import Outcome, replication_key, run_replications
from vaxsim.run.store import SweepStore
from vaxsim.scenario import Scenario, scenario_hash

#: A chunk (one task on a worker) takes at most this share of the replications left per worker:
#: large chunks first (each task costs a round trip, the scenario shipped, a result sent back),
#: single replications last (no worker idles while another finishes a long chunk).
CHUNKS_PER_WORKER = 4
#: Replications computed but not yet stored when a sweep is killed are lost: at most this many
#: per worker.
MOST_PER_CHUNK = 8


def seed_list(scenario: Scenario, seeds: int | Sequence[int]) -> list[int]:
    """``seeds`` as a list: a count ``n`` means ``campaign.seed, campaign.seed + 1, ...``."""
    if isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(f"seeds must be >= 1 (got {seeds})")
        return [scenario.campaign.seed + k for k in range(seeds)]
    listed = [int(seed) for seed in seeds]
    if not listed:
        raise ValueError("seeds must not be empty")
    return listed


def run_ensemble(
    what_ifs: Mapping[str, Scenario],
    seeds: Sequence[int],
    *,
    executor: Any = None,
    folder: str | Path | None = None,
    site_queues: bool = True,
    progress: bool = True,
) -> Ensemble:
    """Simulate every what-if (validated scenarios, by label) with every seed.

    With ``folder``, each finished replication is stored there (:mod:`vaxsim.run.store`) and
    one already stored for the same scenario hash, seed and vaxsim version is read instead of
    computed again. ``executor``: see :func:`vaxsim.run.executors.as_executor`.
    """
    hashes = {label: scenario_hash(scenario) for label, scenario in what_ifs.items()}
    store = SweepStore(folder) if folder is not None else None
    runner = as_executor(executor)
    started = time.perf_counter()
    if store is not None:
        store.write_description(_description(what_ifs, hashes, seeds, site_queues))
    wanted = [
        (label, seed, replication_key(hashes[label], seed, site_queues))
        for label in what_ifs
        for seed in seeds
    ]
    stored = {key for _, _, key in wanted if store is not None and store.has(key)}
    todo = list(dict.fromkeys(key for _, _, key in wanted if key not in stored))
    first = {key: (label, seed) for label, seed, key in reversed(wanted)}
    chunks = chunked(todo, [first[key][0] for key in todo], runner.workers)
    tasks = [
        (what_ifs[first[chunk[0]][0]], tuple(first[key][1] for key in chunk), site_queues) for chunk in chunks
    ]
    computed: dict[str, Outcome] = {}
    # every task is handed out before the progress bar starts its thread (local workers fork)
    with closing(runner.run(run_replications, tasks)) as finished, _progress_bar(progress) as bar:
        task = bar.add_task("replications", total=len(todo), executor=runner.name)
        for index, results in finished:
            for key, result in zip(chunks[index], results, strict=True):
                if store is not None:
                    store.save(key, result)
                computed[key] = result
            bar.advance(task, len(results))
    outcomes = {
        (label, seed): computed[key] if key in computed else store.load(key) for label, seed, key in wanted
    }
    scenarios = {label: {"sha256": hashes[label]} for label in what_ifs}
    ensemble = Ensemble.from_outcomes(outcomes, scenarios)
    ensemble.scenarios = {
        label: {"sha256": hashes[label], "scenario": scenario.model_dump(mode="json", by_alias=True)}
        for label, scenario in what_ifs.items()
    }
    ensemble.info = {
        "executor": runner.name,
        "computed": len(computed),
        "reused": len(stored),
        "seconds": round(time.perf_counter() - started, 3),
        "site_queues": site_queues,
        "vaxsim": vaxsim.__version__,
        "folder": None if folder is None else str(folder),
    }
    return ensemble


def chunked(keys: Sequence[str], labels: Sequence[str], workers: int) -> list[list[str]]:
    """``keys`` (replications to compute, with their what-ifs' ``labels``) cut into the chunks
    sent to the workers as one task each, in order: a chunk holds one what-if, and chunks
    shrink as fewer replications are left (:func:`chunk_size`), so the last ones are single
    replications that keep every worker busy to the end."""
    chunks: list[list[str]] = []
    for position, (key, label) in enumerate(zip(keys, labels, strict=True)):
        last = chunks[-1] if chunks else []
        full = len(last) >= chunk_size(len(keys) - position + len(last), workers)
        if not last or full or labels[position - 1] != label:
            chunks.append([key])
        else:
            last.append(key)
    return chunks


def chunk_size(left: int, workers: int) -> int:
    """Replications in the next chunk when ``left`` remain for ``workers``: an
    ``1 / (CHUNKS_PER_WORKER * workers)`` share of them, at least 1 and at most
    :data:`MOST_PER_CHUNK`; always 1 for one worker (the serial mode ships nothing, and a long
    serial sweep that is killed loses at most the replication it was computing)."""
    if workers <= 1:
        return 1
    return max(1, min(MOST_PER_CHUNK, left // (CHUNKS_PER_WORKER * workers)))


def _description(
    what_ifs: Mapping[str, Scenario], hashes: Mapping[str, str], seeds: Sequence[int], site_queues: bool
) -> dict[str, Any]:
    return {
        "labels": list(what_ifs),
        "scenarios": {
            label: {"sha256": hashes[label], "scenario": scenario.model_dump(mode="json", by_alias=True)}
            for label, scenario in what_ifs.items()
        },
        "seeds": list(seeds),
        "site_queues": site_queues,
        "info": {
            "vaxsim": vaxsim.__version__,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
    }


def _progress_bar(shown: bool) -> Progress:
    console = Console(stderr=True)
    return Progress(
        TextColumn("{task.description} on {task.fields[executor]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not shown or not (console.is_terminal or console.is_jupyter),
    )
