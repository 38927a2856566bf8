"""Replications travel to the workers in chunks: large ones first, single ones last, one
what-if each; chunking changes neither a seed's stored bytes nor what a re-run recomputes."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import vaxsim
from tests.conftest import DEMO, ROOT
from tests.run.test_executors import digests, finished
from vaxsim.entry import TERMINATED
from vaxsim.run import batch
from vaxsim.run.batch import MOST_PER_CHUNK, chunk_size, chunked

RULE = "policies.second_dose_reserve.rule"


@pytest.mark.parametrize(("count", "workers"), [(100, 2), (100, 1), (7, 2), (37, 3)])
def test_chunks_keep_the_order_and_shrink_to_single_replications(count, workers):
    keys = [f"k{n}" for n in range(count)]
    chunks = chunked(keys, ["a"] * count, workers)
    assert [key for chunk in chunks for key in chunk] == keys
    sizes = [len(chunk) for chunk in chunks]
    assert sizes == sorted(sizes, reverse=True)
    assert max(sizes) <= MOST_PER_CHUNK
    assert sizes[-workers:] == [1] * workers  # every worker ends on a single replication
    if workers == 1:
        assert sizes == [1] * count  # serial: each replication stored as soon as it is done
    elif count >= 16 * workers:
        assert sizes[0] > 1


def test_a_chunk_never_mixes_what_ifs():
    keys = [f"k{n}" for n in range(40)]
    labels = ["none"] * 13 + ["hold_back"] * 27
    chunks = chunked(keys, labels, 2)
    assert all(len({labels[keys.index(key)] for key in chunk}) == 1 for chunk in chunks)
    assert [key for chunk in chunks for key in chunk] == keys
    assert chunk_size(1, 4) == 1


def test_chunked_replications_store_the_same_bytes_and_resume_exactly(tmp_path, monkeypatch):
    changes = {RULE: ["none", "hold_back"]}
    options = {"seeds": 4, "site_queues": False, "progress": False}
    monkeypatch.setattr(batch, "MOST_PER_CHUNK", 1)  # the reference: one replication per task
    vaxsim.sweep(DEMO, changes, executor=1, folder=tmp_path / "single", **options)
    monkeypatch.setattr(batch, "MOST_PER_CHUNK", 8)
    monkeypatch.setattr(batch, "CHUNKS_PER_WORKER", 1)  # 8 replications on 2 workers: chunks 4, 2, 1, 1
    assert [len(c) for c in chunked(list("abcdefgh"), ["x"] * 4 + ["y"] * 4, 2)] == [4, 2, 1, 1]
    folder = tmp_path / "chunked"
    chunked_run = vaxsim.sweep(DEMO, changes, executor=2, folder=folder, **options)
    assert chunked_run.info["computed"] == 8
    reference = digests(tmp_path / "single")
    assert digests(folder) == reference

    # a sweep killed part-way keeps whole replications only; the re-run computes exactly those
    # missing, in chunks again, and ends with the same bytes
    stored = sorted(finished(folder / "replications"))
    for gone in stored[1::3]:
        shutil.rmtree(gone)
    again = vaxsim.sweep(DEMO, changes, executor=2, folder=folder, **options)
    assert (again.info["computed"], again.info["reused"]) == (len(stored[1::3]), 8 - len(stored[1::3]))
    assert digests(folder) == reference
    assert again.kpis.equals(chunked_run.kpis)


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    return [int(c) for task in tasks.iterdir() for c in (task / "children").read_text().split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_stopped_sweep_ends_its_workers_without_waiting_for_their_chunks(tmp_path):
    # 64 replications on 2 workers: each worker starts on a chunk of 8 (about 5 s with site
    # queues). Ctrl-C and SIGTERM take the same way out (vaxsim.entry); the workers ignore
    # Ctrl-C, so the parent must end them rather than wait. SIGTERM here: a test run in the
    # background (nohup, CI) starts its children with Ctrl-C ignored.
    folder = tmp_path / "sweep"
    command = [str(Path(sys.executable).parent / "vaxsim"), "sweep", str(DEMO), "--seeds", "64"]
    command += ["--workers", "2", "-o", str(folder)]
    output = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "text": True}
    process = subprocess.Popen(command, cwd=ROOT, **output)
    deadline = time.monotonic() + 120
    workers: list[int] = []
    while time.monotonic() < deadline and process.poll() is None:
        workers = [pid for pid in _children(process.pid) if "resource_tracker" not in _command(pid)]
        if len(workers) >= 2 and (folder / "sweep.json").is_file():
            break
        time.sleep(0.05)
    assert len(workers) >= 2, "the workers never started"
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    asked = time.monotonic()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == TERMINATED, stderr
    assert time.monotonic() - asked < 3, "the parent waited for its workers' chunks"
    assert not [pid for pid in workers if _alive(pid)]
    assert not finished(folder / "replications")  # no chunk had finished: nothing half-stored


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return ""
