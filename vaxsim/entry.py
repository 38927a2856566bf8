"""The ``vaxsim`` program's entry point: every way a command can end maps to a documented exit
status with a message, never a traceback.

=====  ==========================================================================
 0     success
 1     bad input: a scenario, plan bundle, demand table or option value (the message names
       the file, line and field)
 2     wrong usage: an unknown command or option, a missing argument
 3     input/output: the output folder exists or cannot be written, the disk is full, a
       file cannot be read, not enough memory
 70    internal error (a bug in vaxsim: please report it; ``VAXSIM_DEBUG=1`` shows the
       traceback)
 130   interrupted (Ctrl-C / SIGINT)
 143   terminated (SIGTERM)
=====  ==========================================================================

An interrupted or terminated command removes its half-written output folder and stops its
worker processes before it exits.
"""

from __future__ import annotations

import os
import signal
import sys

from vaxsim.errors import ScenarioError, VaxsimError
from vaxsim.io.atomic import OutputError

INPUT_ERROR = 1
USAGE_ERROR = 2
IO_ERROR = 3
INTERNAL_ERROR = 70
INTERRUPTED = 130
TERMINATED = 143


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like Ctrl-C so that ``finally`` blocks clean up."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> None:
    """Run the ``vaxsim`` command line and exit with the status of the table above."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        app = _command_line()
        app()  # exits through SystemExit: 0, usage errors 2, Ctrl-C 130, typer.Exit(n)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        _say("interrupted; no output was written by the unfinished step")
        sys.exit(INTERRUPTED)
    except Terminated:
        _say("terminated; no output was written by the unfinished step")
        sys.exit(TERMINATED)
    except Exception as error:  # every other ending is mapped to a status by _status_of
        sys.exit(_status_of(error))


def _command_line():
    """The command line, imported with Ctrl-C and SIGTERM held back until the imports are done,
    then acted on: raised inside a C extension's initialisation (numpy, pandas), they broke
    the interpreter (an ImportError and a fatal error at exit, or an exit by SIGINT instead of
    status 130: 8 of 60 interrupted start-ups)."""
    arrived: list[int] = []
    held = {number: signal.signal(number, lambda signum, frame: arrived.append(signum))
            for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        from vaxsim.cli import app
    finally:
        for number, handler in held.items():
            signal.signal(number, handler)
    if signal.SIGTERM in arrived:
        raise Terminated()
    if arrived:
        raise KeyboardInterrupt
    return app


def _status_of(error: BaseException) -> int:
    """Print ``error`` for the user and return its exit status."""
    if isinstance(error, ScenarioError):
        for problem in error.problems:
            _say(str(problem))
        return INPUT_ERROR
    if isinstance(error, OutputError):
        _say(f"error: {error}")
        return IO_ERROR
    if isinstance(error, VaxsimError):
        _say(f"error: {error}")
        return INPUT_ERROR
    if isinstance(error, MemoryError):
        _say("error: not enough memory for this scenario (see `vaxsim validate` for its size)")
        return IO_ERROR
    if isinstance(error, OSError):
        where = f" {error.filename}" if error.filename else ""
        _say(f"error: input/output failed{where}: {error.strerror or error}")
        return IO_ERROR
    if os.environ.get("VAXSIM_DEBUG"):
        raise error
    _say(f"internal error: {type(error).__name__}: {error} (a bug in vaxsim; VAXSIM_DEBUG=1 shows where)")
    return INTERNAL_ERROR
