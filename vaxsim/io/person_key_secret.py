"""The secret that keys appointment ``person_key`` pseudonyms; it is never written into a
bundle, so a bundle alone cannot be used to reverse its keys.

Where it lives (the first that is set):

1. the environment variable ``VAXSIM_PERSON_KEY_SECRET`` (at least 32 characters; e.g. from a
   secrets manager in a deployment, or fixed in a test suite);
2. the file named by ``VAXSIM_PERSON_KEY_FILE``, or by default
   ``$XDG_CONFIG_HOME/vaxsim/person_key.secret`` (``~/.config/vaxsim/person_key.secret``),
   created on first use with 32 random bytes (hex) and mode 0600.

Rotating it: replace the file's content (``python -c "import secrets;
print(secrets.token_hex(32))" > ~/.config/vaxsim/person_key.secret``) or set a new variable.
Plans written afterwards get new keys; keys of earlier bundles can no longer be linked to them,
which is the point. Plans made with the same secret, scenario and options stay byte-identical.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from vaxsim.errors import VaxsimError
from vaxsim.io.input_file import InputFileError, read_input_text

ENV_SECRET = "VAXSIM_PERSON_KEY_SECRET"
ENV_FILE = "VAXSIM_PERSON_KEY_FILE"
MIN_LENGTH = 32


class SecretError(VaxsimError):
    """The person-key secret is missing, too short or cannot be read or created."""


def secret_path() -> Path:
    """The key file: ``$VAXSIM_PERSON_KEY_FILE`` or ``$XDG_CONFIG_HOME/vaxsim/person_key.secret``."""
    if os.environ.get(ENV_FILE):
        return Path(os.environ[ENV_FILE])
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "vaxsim" / "person_key.secret"


def person_key_secret() -> bytes:
    """The secret (module docstring), created in the key file when there is none yet."""
    text = os.environ.get(ENV_SECRET)
    source = ENV_SECRET
    if text is None:
        path = secret_path()
        source = str(path)
        if not path.exists():
            _create(path)
        try:
            text = read_input_text(path, limit=4096).strip()
        except (InputFileError, OSError, UnicodeDecodeError) as error:
            raise SecretError(f"cannot read the person-key secret {path}: {error}") from None
    if len(text) < MIN_LENGTH:
        raise SecretError(f"the person-key secret in {source} is shorter than {MIN_LENGTH} characters")
    return text.encode("utf-8")


def _create(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another vaxsim created it meanwhile
    except OSError as error:
        raise SecretError(
            f"cannot create the person-key secret {path} ({error.strerror}); set {ENV_SECRET} "
            f"or {ENV_FILE}"
        ) from None
    with os.fdopen(handle, "w", encoding="ascii") as stream:
        stream.write(secrets.token_hex(32) + "\n")
