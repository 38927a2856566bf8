"""``person_key`` pseudonyms are keyed with a secret kept out of the bundle: the bundle alone
(scenario hash included) does not reproduce them; the secret's source and rotation work."""

from __future__ import annotations

import pytest

import vaxsim
from vaxsim.io.person_key_secret import ENV_FILE, ENV_SECRET, SecretError, person_key_secret


def test_person_keys_need_a_secret_the_bundle_lacks(demo_model, demo_plan, demo_bundle, monkeypatch):
    keys = set(demo_plan.appointments.person_key)
    assert keys
    everything = "".join(path.read_text() for path in demo_bundle.rglob("*") if path.is_file())
    assert person_key_secret().decode() not in everything
    monkeypatch.setenv(ENV_SECRET, "another-secret-" + "x" * 40)
    assert keys.isdisjoint(vaxsim.optimize(demo_model).appointments.person_key)


def test_a_missing_key_file_is_created_private(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_SECRET, raising=False)
    monkeypatch.setenv(ENV_FILE, str(tmp_path / "keys" / "person_key.secret"))
    first = person_key_secret()
    assert len(first) >= 32 and (tmp_path / "keys" / "person_key.secret").stat().st_mode & 0o777 == 0o600
    assert person_key_secret() == first  # stable until rotated
    (tmp_path / "keys" / "person_key.secret").write_text("rotated-" + "9" * 40 + "\n")
    assert person_key_secret() == b"rotated-" + b"9" * 40


def test_a_short_secret_is_refused(monkeypatch):
    monkeypatch.setenv(ENV_SECRET, "short")
    with pytest.raises(SecretError, match="shorter than 32"):
        person_key_secret()
