"""Nothing outside a bundle is read: manifest paths are relative and inside, symlinks out are
refused, bundle files are regular files of bounded size, deep JSON is a violation."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.plan.conftest import NOW
from tests.plan.fixture import fixture_plan
from vaxsim.plan import read
from vaxsim.plan.checker import check
from vaxsim.plan.errors import PlanError


@pytest.fixture
def bundle(written_bundle: Path, tmp_path: Path) -> Path:
    copy = tmp_path / written_bundle.name
    shutil.copytree(written_bundle, copy)
    return copy


@pytest.fixture(scope="session")
def written_bundle(tmp_path_factory) -> Path:
    return fixture_plan().write(tmp_path_factory.mktemp("written"), now=NOW)


def _add_to_manifest(bundle: Path, path: str, sha256: str) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"].append({"path": path, "sha256": sha256, "rows": None})
    (bundle / "manifest.json").write_text(json.dumps(manifest))


def _messages(bundle: Path) -> str:
    return "\n".join(str(violation) for violation in check(bundle))


@pytest.mark.parametrize("outside", ["/etc/passwd", "../../etc/passwd", "tables/../../x", "C:\\x"])
def test_a_manifest_path_outside_the_bundle_is_never_hashed(bundle, outside, monkeypatch):
    hashed = []
    monkeypatch.setattr("vaxsim.plan.check_files.sha256_file", lambda path: hashed.append(path) or "0" * 64)
    right = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    _add_to_manifest(bundle, outside, right)
    messages = _messages(bundle)
    assert "not a relative path inside the bundle" in messages
    assert all(bundle.resolve() in Path(path).resolve().parents for path in hashed)


def test_a_symlink_out_of_the_bundle_is_refused(bundle):
    table = bundle / "tables" / "lots.csv"
    table.unlink()
    os.symlink("/dev/zero", table)
    messages = _messages(bundle)
    assert "tables/lots.csv" in messages and "outside the bundle" in messages
    with pytest.raises(PlanError, match="outside the bundle"):
        read(bundle)


def test_deeply_nested_json_is_a_violation_not_a_crash(bundle):
    (bundle / "plan.json").write_text("[" * 200_000 + "]" * 200_000)
    messages = _messages(bundle)
    assert "plan.json" in messages and ("nested too deeply" in messages or "not valid JSON" in messages)
    with pytest.raises(PlanError):
        read(bundle)
