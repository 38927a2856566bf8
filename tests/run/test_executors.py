"""One seed, byte-identical results in this process, in local processes and on a real Dask
cluster; sweeps store each replication and resume after a kill."""

from __future__ import annotations

import gc
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dask
import pytest
from distributed import Client
from typer.testing import CliRunner

import vaxsim
from tests.conftest import DEMO, ROOT
from vaxsim.cli import app
from vaxsim.run.executors import REPLICATION_MODULE, as_executor, local_cluster
from vaxsim.run.replication import run_replications

RULE = "policies.second_dose_reserve.rule"


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every stored file, by path inside the sweep's replications."""
    root = folder / "replications"
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def finished(replications: Path) -> list[Path]:
    """Stored replications (a hidden folder is one being written)."""
    return [p for p in replications.iterdir() if not p.name.startswith(".")] if replications.is_dir() else []


def test_same_seed_same_bytes_whatever_runs_it(tmp_path):
    changes = {RULE: ["none", "hold_back"]}
    serial = vaxsim.sweep(DEMO, changes, seeds=1, executor=1, folder=tmp_path / "serial", progress=False)
    vaxsim.sweep(DEMO, changes, seeds=1, executor=2, folder=tmp_path / "processes", progress=False)
    with local_cluster(2) as cluster, Client(cluster) as client:
        # The cluster's workers run with the settings for replications (no profiler, ...).
        keys = ("distributed.worker.profile.enabled", "distributed.admin.tick.interval")
        settings = client.run(lambda: tuple(dask.config.get(key) for key in keys))
        assert list(settings.values()) == [(False, "500ms"), (False, "500ms")]
        # ... and have imported what a replication needs before the first one arrives
        ready = client.run(lambda: REPLICATION_MODULE in sys.modules)
        assert list(ready.values()) == [True, True]
        # ... with what they hold out of the garbage collector's walks (prepare_worker)
        assert all(count > 0 for count in client.run(gc.get_freeze_count).values())
        assert run_replications.__module__ == REPLICATION_MODULE
        on_dask = vaxsim.sweep(
            DEMO, changes, seeds=1, executor=client, folder=tmp_path / "dask", progress=False
        )
    assert on_dask.info["executor"] == "dask (2 workers)"
    reference = digests(tmp_path / "serial")
    assert len(reference) == 2 * 12  # 10 tables, summary.json and the .vaxsim-output marker per replication
    assert digests(tmp_path / "processes") == reference
    assert digests(tmp_path / "dask") == reference
    assert serial.sites.mean_wait_minutes.notna().any()  # site queues ran in every replication


def test_a_sweep_reuses_what_it_stored(tmp_path):
    folder = tmp_path / "sweep"
    first = vaxsim.replicate(DEMO, seeds=2, executor=1, folder=folder, site_queues=False, progress=False)
    assert (first.info["computed"], first.info["reused"]) == (2, 0)
    stored = sorted(p.name for p in (folder / "replications").iterdir())
    assert stored == [
        f"{vaxsim.scenario_hash(vaxsim.load(DEMO))[:16]}-seed{s}-nq-v{vaxsim.__version__}" for s in (42, 43)
    ]
    again = vaxsim.replicate(DEMO, seeds=3, executor=1, folder=folder, site_queues=False, progress=False)
    assert (again.info["computed"], again.info["reused"]) == (1, 2)
    assert again.kpis.doses_given.iloc[:2].tolist() == first.kpis.doses_given.tolist()


def test_a_killed_sweep_recomputes_only_what_is_missing(tmp_path):
    folder = tmp_path / "sweep"
    command = [
        *(str(Path(sys.executable).parent / "vaxsim"), "sweep", str(DEMO)),
        *("--vary", f"{RULE}=none,hold_back", "--seeds", "4", "--workers", "1", "--no-site-queues"),
        *("-o", str(folder)),
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    replications = folder / "replications"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(finished(replications)) < 2:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done = finished(replications)
    assert 2 <= len(done) < 8, "the sweep was killed half-way"
    result = CliRunner().invoke(app, command[1:])
    assert result.exit_code == 0, result.output
    assert f"{8 - len(done)} replications computed, {len(done)} reused" in result.output
    assert len(finished(replications)) == 8


def test_local_workers_start_ready_and_this_process_is_left_alone():
    # a forked worker's copy of the imports is frozen (no garbage-collector walks over it); the
    # serial mode runs in the caller's process, whose collector is not vaxsim's to change
    frozen = dict(as_executor(2).run(gc.get_freeze_count, [(), ()]))
    assert frozen[0] > 0 and frozen[1] > 0
    before = gc.get_freeze_count()
    vaxsim.replicate(DEMO, seeds=1, executor=1, site_queues=False, progress=False)
    assert gc.get_freeze_count() == before


def test_executors_refuse_nonsense():
    with pytest.raises(TypeError, match="cannot run replications"):
        vaxsim.replicate(DEMO, seeds=1, executor="fast")
