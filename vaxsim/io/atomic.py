"""Where vaxsim writes: one set of rules for every output folder (runs, plan bundles, exports,
site days).

- The destination is checked before any work starts (:func:`check_destination`): a folder that
  exists is refused with a message, or replaced with ``replace=True`` only when vaxsim wrote it
  (it holds the :data:`MARKER` file); a parent that cannot be written is refused.
- A folder is written under a hidden ``.<name>.<random>.partial`` name beside the target and
  renamed only when complete (:func:`atomic_directory`); a replaced folder stays in place until
  its successor is complete. Stale ``.partial`` folders of a killed vaxsim are removed at the
  next write into the same parent (:func:`clean_stale_partials`).
- Output folders are 0755 and files 0644 (readable by others), whatever the umask.
- Run folders are unique (:func:`unique_target`): a run whose name was taken while it ran gets
  the next free suffix, so a finished simulation is never lost.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vaxsim.errors import VaxsimError

#: Written into every folder vaxsim creates; ``--replace`` deletes only folders that hold it.
MARKER = ".vaxsim-output"
PARTIAL = ".partial"
#: A ``.partial`` folder untouched for this long (seconds) belongs to a vaxsim that died.
STALE_AFTER = 6 * 3600
FOLDER_MODE = 0o755
FILE_MODE = 0o644


class OutputError(VaxsimError):
    """An output destination cannot be used (exists, not vaxsim's, not writable, disk full)."""


class OutputExistsError(OutputError, FileExistsError):
    """The destination exists and ``--replace`` was not given (or it is not vaxsim's to delete)."""


def is_vaxsim_folder(path: Path) -> bool:
    """Did vaxsim write the folder ``path`` (does it hold the :data:`MARKER` file)?"""
    return path.is_dir() and not path.is_symlink() and (path / MARKER).is_file()


def check_destination(target: str | os.PathLike[str], *, replace: bool = False) -> Path:
    """Refuse ``target`` before any work starts; return it as a Path.

    Raises :class:`OutputExistsError` when it exists and ``replace`` is false, or when it exists
    but was not written by vaxsim (``replace`` never deletes anything else), and
    :class:`OutputError` when its parent is not a folder that can be written.
    """
    final = Path(target)
    if final.is_symlink() or final.exists():
        if not replace:
            raise OutputExistsError(f"{final} already exists (use --replace to overwrite it)")
        if not is_vaxsim_folder(final):
            raise OutputExistsError(
                f"{final} exists and was not written by vaxsim (no {MARKER} file): "
                "--replace only replaces vaxsim's own output; choose another folder"
            )
    check_writable_folder(final.parent)
    return final


def check_writable_folder(folder: str | os.PathLike[str]) -> Path:
    """Refuse ``folder`` (with :class:`OutputError`) unless vaxsim can write into it, or create
    it: its nearest existing ancestor must be a folder this process may write."""
    folder = Path(folder)
    existing = folder
    while not (existing.exists() or existing.is_symlink()) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{existing} is not a folder; cannot write into {folder}")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write into {existing} (permission denied)")
    return folder


def unique_target(parent: str | os.PathLike[str], stem: str) -> Path:
    """``parent/stem``, or ``parent/stem-2``, ``-3``... : the first name not taken yet."""
    for number in range(1, 10_000):
        candidate = Path(parent) / (stem if number == 1 else f"{stem}-{number}")
        if not (candidate.exists() or candidate.is_symlink()):
            return candidate
    raise OutputError(f"{parent}: no free folder name for {stem}")


class Destination:
    """An output folder checked now, before any work, and written atomically later.

    ``replace``: an existing folder that vaxsim wrote is swapped out once the new one is
    complete. ``unique``: an existing (or meanwhile created) folder is kept and the new one gets
    the next free suffix; :attr:`path` is the folder finally written.
    Example::

        destination = Destination(output / "demo-s42-20210810-101500", unique=True)
        ... simulate ...
        with destination.writing() as folder:
            results.save(folder)
        print(destination.path)
    """

    def __init__(self, target: str | os.PathLike[str], *, replace: bool = False, unique: bool = False):
        self.replace = replace
        self.unique = unique
        if unique:  # an existing folder is never touched: the next free name is taken
            self.path = Path(target)
            check_writable_folder(self.path.parent)
            self.path = unique_target(self.path.parent, self.path.name)
        else:
            self.path = check_destination(target, replace=replace)

    @contextmanager
    def writing(self) -> Iterator[Path]:
        """Yield a hidden temporary folder beside :attr:`path`; move it there only on success.

        On an exception (SIGINT and SIGTERM included) the temporary folder is removed and the
        destination is left untouched. A failed write (disk full, permission) raises
        :class:`OutputError` naming the folder.
        """
        final = self.path
        if not self.unique:
            check_destination(final, replace=self.replace)  # again: time passed since the check
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            clean_stale_partials(final.parent)
            temporary = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=PARTIAL, dir=final.parent))
        except OSError as error:
            raise OutputError(f"cannot write {final}: {error.strerror or error}") from None
        try:
            yield temporary
            (temporary / MARKER).write_text("written by vaxsim; `--replace` may replace this folder\n")
            _make_readable(temporary)
            self.path = _move_into_place(temporary, final, replace=self.replace, unique=self.unique)
        except OutputError:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
        except OSError as error:
            shutil.rmtree(temporary, ignore_errors=True)
            raise OutputError(f"cannot write {final}: {error.strerror or error}") from None
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise


@contextmanager
def atomic_directory(target: str | os.PathLike[str], *, replace: bool = False) -> Iterator[Path]:
    """``Destination(target, replace=replace).writing()``: check now, write atomically."""
    with Destination(target, replace=replace).writing() as folder:
        yield folder


def _move_into_place(temporary: Path, final: Path, *, replace: bool, unique: bool) -> Path:
    """Rename the complete ``temporary`` to ``final`` (or the next free name when ``unique``)."""
    if replace and is_vaxsim_folder(final):
        retired = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".old", dir=final.parent))
        os.rename(final, retired / "old")
        os.rename(temporary, final)
        shutil.rmtree(retired, ignore_errors=True)
        return final
    while True:
        if final.exists() or final.is_symlink():
            if not unique:
                raise OutputExistsError(f"{final} was created by someone else while vaxsim wrote it")
            final = unique_target(final.parent, final.name)
        try:
            os.rename(temporary, final)  # fails on a non-empty folder: never merges into one
            return final
        except OSError as error:
            if not unique or error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise


def _make_readable(folder: Path) -> None:
    """Folders 0755 and files 0644 below ``folder`` (mkdtemp makes 0700; the umask may be 077)."""
    os.chmod(folder, FOLDER_MODE)
    for root, folders, files in os.walk(folder):
        for name in folders:
            os.chmod(os.path.join(root, name), FOLDER_MODE)
        for name in files:
            os.chmod(os.path.join(root, name), FILE_MODE)


def clean_stale_partials(parent: Path, *, older_than: float = STALE_AFTER) -> list[Path]:
    """Remove ``.<name>.<random>.partial`` folders in ``parent`` left by a killed vaxsim.

    Only folders whose name vaxsim gives and that nobody touched for ``older_than`` seconds
    are removed (a running vaxsim keeps writing into its own). Returns the folders removed.
    """
    removed = []
    now = time.time()
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith((PARTIAL, ".old"))):
            continue
        try:
            if entry.is_symlink() or not entry.is_dir() or now - _last_touched(entry.path) < older_than:
                continue
        except OSError:
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    return removed


def _last_touched(folder: str) -> float:
    """Latest modification time (seconds since the epoch) of ``folder`` and what it holds."""
    latest = os.stat(folder).st_mtime
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                latest = max(latest, os.stat(os.path.join(root, name)).st_mtime)
            except OSError:
                continue
    return latest


def atomic_write_text(target: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``target`` through a temporary file and an atomic rename (mode 0644)."""
    final = Path(target)
    final.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{final.name}.", dir=final.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, final)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
