"""Output destinations (vaxsim/io/atomic.py): checked before any work, never lost, never merged,
``--replace`` only for vaxsim's own folders and only once the new one is complete, readable by
others; and every command ends with a message and a documented exit status."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import DEMO, ROOT
from vaxsim.cli import app
from vaxsim.entry import INPUT_ERROR, INTERRUPTED, IO_ERROR, main
from vaxsim.io.atomic import (
    MARKER,
    Destination,
    OutputError,
    OutputExistsError,
    atomic_directory,
    clean_stale_partials,
)

runner = CliRunner()
FAST = ["--no-plots", "--no-site-queues"]


def _write(destination: Destination, text: str = "x") -> Path:
    with destination.writing() as folder:
        (folder / "data.txt").write_text(text)
    return destination.path


def test_two_runs_with_the_same_name_both_survive(tmp_path):
    first = Destination(tmp_path / "demo-s1-20210801-080000", unique=True)
    second = Destination(tmp_path / "demo-s1-20210801-080000", unique=True)  # started the same second
    assert first.path == second.path
    written = [_write(first, "first"), _write(second, "second")]
    assert written == [tmp_path / "demo-s1-20210801-080000", tmp_path / "demo-s1-20210801-080000-2"]
    assert [(path / "data.txt").read_text() for path in written] == ["first", "second"]


def test_a_run_never_touches_a_folder_that_has_its_name(tmp_path):
    (tmp_path / "demo-s1-20210801-080000").mkdir()  # not vaxsim's
    assert _write(Destination(tmp_path / "demo-s1-20210801-080000", unique=True)).name.endswith("-2")


def test_an_existing_folder_is_refused_before_any_work(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(OutputExistsError, match="already exists"):
        Destination(tmp_path / "out")


def test_replace_never_deletes_a_folder_vaxsim_did_not_write(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    with pytest.raises(OutputExistsError, match="not written by vaxsim"):
        Destination(mine, replace=True)
    assert (mine / "thesis.tex").read_text() == "precious"


def test_replace_keeps_the_old_folder_until_the_new_one_is_complete(tmp_path):
    target = _write(Destination(tmp_path / "out"), "old")
    with pytest.raises(RuntimeError), atomic_directory(target, replace=True) as folder:
        (folder / "data.txt").write_text("half")
        raise RuntimeError("killed while writing")
    assert (target / "data.txt").read_text() == "old"
    _write(Destination(target, replace=True), "new")
    assert (target / "data.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging or retired folder


def test_output_is_readable_by_others_whatever_the_umask(tmp_path):
    old = os.umask(0o077)
    try:
        target = _write(Destination(tmp_path / "out"))
    finally:
        os.umask(old)
    assert (target.stat().st_mode & 0o777, (target / "data.txt").stat().st_mode & 0o777) == (0o755, 0o644)
    assert (target / MARKER).is_file()


def test_a_full_disk_is_an_output_error_and_leaves_nothing(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    destination = Destination(tmp_path / "out")
    monkeypatch.setattr("vaxsim.io.atomic.os.rename", full)
    with pytest.raises(OutputError, match="No space left"):
        _write(destination)
    assert list(tmp_path.iterdir()) == []


def test_stale_partial_folders_are_cleaned(tmp_path):
    stale = tmp_path / ".run.abc123.partial"
    stale.mkdir()
    (stale / "half.parquet").write_text("x")
    fresh = tmp_path / ".run.def456.partial"  # a vaxsim still writing
    fresh.mkdir()
    hours_ago = time.time() - 7 * 3600
    os.utime(stale / "half.parquet", (hours_ago, hours_ago))
    os.utime(stale, (hours_ago, hours_ago))
    assert clean_stale_partials(tmp_path) == [stale]
    assert fresh.exists()


def test_run_into_a_file_is_refused_before_simulating(tmp_path):
    blocker = tmp_path / "results"
    blocker.write_text("not a folder")
    result = runner.invoke(app, ["run", str(DEMO), *FAST, "-o", str(blocker / "x")])
    assert result.exit_code == IO_ERROR
    assert "is not a folder" in result.stderr and "simulated in" not in result.stdout


def test_a_run_that_cannot_be_saved_says_so(tmp_path, monkeypatch):
    def full(self, folder):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("vaxsim.results.results.Results.save", full)
    result = runner.invoke(app, ["run", str(DEMO), *FAST, "-o", str(tmp_path)])
    assert result.exit_code == IO_ERROR, result.output
    assert "No space left" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_optimize_checks_its_bundle_before_solving(tmp_path):
    plans = tmp_path / "plans"
    assert runner.invoke(app, ["optimize", str(DEMO), "-o", str(plans)]).exit_code == 0
    started = time.perf_counter()
    again = runner.invoke(app, ["optimize", str(DEMO), "-o", str(plans)])
    assert again.exit_code == IO_ERROR and "already exists (use --replace" in again.stderr
    assert time.perf_counter() - started < 2.5  # refused before the solve (about 3 s on the demo)
    replaced = runner.invoke(app, ["optimize", str(DEMO), "-o", str(plans), "--replace"])
    assert replaced.exit_code == 0, replaced.output
    [bundle] = plans.iterdir()
    assert (bundle / MARKER).is_file()
    assert runner.invoke(app, ["plan", "check", str(bundle)]).exit_code == 0


def _vaxsim(*arguments: str, **options) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "vaxsim", *arguments],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **options,
    )


@pytest.mark.parametrize(
    "override",
    ["campaign.start_date=2021-02-30", "campaign.start_date=9999-12-31", "supply.deliveries.0.doses=2e63"],
)
def test_bad_values_end_in_a_message_not_a_traceback(override):
    process = _vaxsim("validate", str(DEMO), "--set", override)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == INPUT_ERROR
    assert "Traceback" not in stderr and "campaign" in stderr or "supply" in stderr


class _InterruptedImport:
    """A meta-path finder that is 'interrupted' while vaxsim.cli is imported."""

    def find_spec(self, name, path=None, target=None):
        if name == "vaxsim.cli":
            raise KeyboardInterrupt
        return None


def test_ctrl_c_while_the_command_line_loads_ends_quietly(monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "vaxsim.cli")
    monkeypatch.setattr(sys, "meta_path", [_InterruptedImport(), *sys.meta_path])
    with pytest.raises(SystemExit) as ended:
        main()
    assert ended.value.code == INTERRUPTED
    assert capsys.readouterr().err.startswith("interrupted")


def test_ctrl_c_during_a_real_start_up_ends_quietly():
    process = _vaxsim("validate", str(DEMO))
    # Wait until vaxsim's own imports run (numpy is loaded): the interpreter's start-up before
    # that is Python's, which no program can guard.
    maps = Path(f"/proc/{process.pid}/maps")
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline and "numpy" not in maps.read_text():
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert "Traceback" not in stderr, stderr
    assert process.returncode in (0, INTERRUPTED), (process.returncode, stderr)
