"""Read input files within bounds: only regular files (never ``/dev/zero``, a FIFO or a folder),
only up to a size limit, and for files of a bundle only paths inside the bundle.

Every reader of user-supplied files (scenario files and their ``extends``, plan bundle files)
goes through here, so that no input can make vaxsim read without end or outside its inputs.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from vaxsim.errors import VaxsimError

#: A scenario file (and each file it extends): the national scenario is 0.2 MB.
MAX_SCENARIO_BYTES = 16 * 2**20
#: One file of a plan bundle: a national plan.json is about 1 GB.
MAX_BUNDLE_FILE_BYTES = 4 * 2**30


class InputFileError(VaxsimError, OSError):
    """An input file that vaxsim will not read (not a regular file, too large, outside its
    folder); the message names the file. Also an ``OSError``, so readers that report unreadable
    files report these the same way."""


def read_input_bytes(path: str | os.PathLike[str], *, limit: int) -> bytes:
    """The bytes of the regular file ``path``, refused with :class:`InputFileError` when it is
    not a regular file or holds more than ``limit`` bytes. Other ``OSError``s pass through."""
    # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(handle)
        if stat.S_ISDIR(info.st_mode):
            raise InputFileError(f"{path}: is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError(f"{path}: not a regular file (a device, pipe or folder is never read)")
        if info.st_size > limit:
            raise InputFileError(f"{path}: {info.st_size:,} bytes, more than the {limit:,} allowed")
        with os.fdopen(handle, "rb", closefd=True) as stream:
            handle = -1
            data = stream.read(limit + 1)
    finally:
        if handle >= 0:
            os.close(handle)
    if len(data) > limit:
        raise InputFileError(f"{path}: more than the {limit:,} bytes allowed")
    return data


def read_input_text(path: str | os.PathLike[str], *, limit: int) -> str:
    """:func:`read_input_bytes` decoded as UTF-8 (``UnicodeDecodeError`` when it is not)."""
    return read_input_bytes(path, limit=limit).decode("utf-8")


def read_bundle_text(bundle: str | os.PathLike[str], relative: str) -> str:
    """The UTF-8 text of the file ``relative`` inside ``bundle``: a relative path that stays in
    the bundle (:func:`inside`), a regular file of at most :data:`MAX_BUNDLE_FILE_BYTES`."""
    return read_input_text(inside(bundle, relative), limit=MAX_BUNDLE_FILE_BYTES)


def inside(folder: str | os.PathLike[str], relative: str) -> Path:
    """``folder/relative`` for a path named inside a bundle, refused with
    :class:`InputFileError` unless it is a plain relative path (no ``..``, not absolute, no
    backslash or drive) that stays inside ``folder`` once symlinks are resolved."""
    pure = PurePosixPath(relative)
    if (
        not relative
        or pure.is_absolute()
        or ".." in pure.parts
        or "\\" in relative
        or ":" in relative
        or "\x00" in relative
    ):
        raise InputFileError(f"{relative!r}: not a relative path inside the bundle")
    root = Path(folder).resolve()
    target = (root / pure).resolve()
    if target != root and root not in target.parents:
        raise InputFileError(f"{relative!r}: leads outside the bundle (a symlink out of it)")
    return root / pure
