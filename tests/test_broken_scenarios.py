"""Each file in tests/broken/ holds one fault and states the message it must produce.

A file's ``# expect: LINE: field.path: message`` comments name the line and the start of the
expected message (``# expect: message`` when there is no line). The CLI must print each one
as ``FILE:LINE: ...`` on standard error, exit 1 and never show a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vaxsim.cli import app
from vaxsim.coldchain import checked_model
from vaxsim.errors import ScenarioError
from vaxsim.io import input_file
from vaxsim.scenario import load

BROKEN = Path(__file__).parent / "broken"
FILES = sorted(BROKEN.glob("*.yaml"))


def expectations(path: Path) -> list[str]:
    """Expected message prefixes, each prefixed with the file (and line)."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    found = re.findall(r"^# expect: (?:(\d+): )?(.+)$", text, flags=re.MULTILINE)
    if not found:  # an empty file cannot hold its own expectation
        return [f"{path}: file is empty"]
    return [f"{path}:{line}: {message}" if line else f"{path}: {message}" for line, message in found]


def test_there_are_at_least_fifteen_distinct_faults():
    assert len(FILES) >= 15


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_broken_scenario_gives_expected_message(path: Path):
    relative = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
    result = CliRunner().invoke(app, ["validate", str(relative)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    for expected in expectations(relative):
        assert any(line.startswith(expected) for line in lines), (expected, lines)


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_broken_scenario_raises_scenario_error(path: Path):
    # the store network's checks run when the loaded scenario is compiled, not on loading
    with pytest.raises(ScenarioError) as caught:
        checked_model(load(path))
    assert caught.value.problems
    assert all(problem.file for problem in caught.value.problems)


def test_missing_file_has_clear_message(tmp_path: Path):
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert f"{tmp_path / 'nope.yaml'}: file not found" in result.stderr


def test_directory_is_not_a_scenario(tmp_path: Path):
    result = CliRunner().invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "is a directory" in result.stderr


def test_unreadable_file_has_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # Tests may run as root, which reads any file: simulate the permission error instead.
    target = tmp_path / "locked.yaml"
    target.write_text("campaign: {}\n")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(input_file.os, "open", refuse)
    with pytest.raises(ScenarioError) as caught:
        load(target)
    assert str(caught.value) == f"{target}: cannot read file (permission denied)"
