"""A throw-away PostgreSQL server for tests and benchmarks: ``initdb`` into a fresh folder,
``pg_ctl start`` on a Unix socket in that folder (no TCP port), ``stop`` removes everything.

PostgreSQL refuses to run as root, so under root the server runs as the ``postgres`` system
user (Debian's package creates it) through ``runuser``.

    python -m tools.services.postgres_server      # start one, print its URL, stop on Enter
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PORT = 5432  # only names the socket file: the server listens on no TCP address


class ServerUnavailable(RuntimeError):
    """No PostgreSQL server can be started here (the message says why)."""


def _binary(name: str) -> str:
    installed = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    found = shutil.which(name) or (installed[-1] if installed else None)
    if not found:
        raise ServerUnavailable(f"{name} not found: install PostgreSQL (tools/services/postgres.sh)")
    return found


def _as_server_user() -> tuple[list[str], int | None, int | None]:
    """Command prefix and uid/gid to own the data folder (postgres when running as root)."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        raise ServerUnavailable("running as root and there is no postgres system user") from None
    runuser = shutil.which("runuser")
    if not runuser:
        raise ServerUnavailable("running as root and runuser is not available")
    return [runuser, "-u", "postgres", "--"], user.pw_uid, user.pw_gid


@dataclass
class Server:
    """A running server: its folder (data and socket) and the SQLAlchemy URL of its database."""

    folder: Path
    prefix: list[str]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@/postgres?host={self.folder}&port={PORT}"

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its folder."""
        subprocess.run(
            [*self.prefix, _binary("pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop"],
            capture_output=True,
            check=False,
            timeout=60,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    if result.returncode != 0:
        raise ServerUnavailable(f"{what} failed: {(result.stderr or result.stdout).strip()[-500:]}")


def start(*, fsync: bool = False) -> Server:
    """Start a fresh server; raises :class:`ServerUnavailable` saying why it cannot.

    ``fsync=False`` (tests) skips flushing to disk: faster, and the data is thrown away anyway.
    """
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    prefix, uid, gid = _as_server_user()
    folder = Path(tempfile.mkdtemp(prefix="vaxsim-pg-"))
    if uid is not None:
        os.chown(folder, uid, gid)
    data = folder / "data"
    try:
        _run([*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"], "initdb")
        options = f"-c listen_addresses='' -k {folder} -p {PORT} -c fsync={'on' if fsync else 'off'}"
        _run(
            [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
            "pg_ctl start",
        )
    except (ServerUnavailable, OSError, subprocess.SubprocessError) as error:
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(error, ServerUnavailable):
            raise
        raise ServerUnavailable(str(error)) from None
    return Server(folder, prefix)


if __name__ == "__main__":
    server = start()
    try:
        print(server.url, flush=True)
        input("PostgreSQL is running; press Enter to stop it\n")
    finally:
        server.stop()
