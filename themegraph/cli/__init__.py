"""The ``themegraph`` command line: a thin layer over loaders, stores, queries and maps.

Data goes to stdout, messages to stderr.  Errors a user can act on print ``Error: ...`` and exit
1; usage errors exit 2 (typer/click's convention).  ``common`` holds the app, its global options
and the helpers every command shares; each other module registers one group of commands.

The command modules do without ``from __future__ import annotations``: with it, every option's
annotation is a string that Typer evaluates again at each start (a tenth of ``themegraph stats``).
"""

from __future__ import annotations

import logging
import signal
import sys

from .. import stopping
from ..errors import InputError, ThemeGraphError
from ..stopping import Interrupted
from . import demo, inspect, literature, load, maps, query, review, transfer  # noqa: F401 - registers the commands
from .common import app, err

__all__ = ["app", "run"]


#: Seconds a stopped command has to roll back and close before it is ended outright.  A signal
#: that lands inside the Neo4j driver's socket I/O can leave its connection waiting for a reply
#: that never comes: a TERM'd load was seen still hanging after 120 s.  Ending the process is
#: safe: Neo4j rolls back a transaction whose connection drops, and the embedded store's file is
#: only ever replaced whole.
STOP_GRACE = 10.0


def _stop(signum, frame) -> None:
    import threading

    if not any(t.name == "themegraph-stop" for t in threading.enumerate()):
        watchdog = threading.Timer(STOP_GRACE, _end_now, (signum,))
        watchdog.name, watchdog.daemon = "themegraph-stop", True
        watchdog.start()
    stopping.request(signum)


def _stopped() -> str:
    """What a stopped command left: whether its load had been committed."""
    from ..graph.store import Store

    return ("Stopped: the load had been written before the stop" if Store.commits
            else "Stopped: nothing was written; the knowledge base is as it was")


def _end_now(signum: int) -> None:
    """The stop's cleanup did not end within STOP_GRACE: say what was left and end the process."""
    import os

    sys.stderr.write(_stopped() + "\n")
    sys.stderr.flush()
    os._exit(128 + signum)


class _Said(logging.Handler):
    """The stores' messages (``logging``, the graph layer never prints) on stderr, as
    ``Warning: ...`` or ``note: ...``."""

    def emit(self, record: logging.LogRecord) -> None:
        prefix = "Warning" if record.levelno >= logging.WARNING else "note"
        err.print(f"{prefix}: {record.getMessage()}", markup=False)


def _show_store_messages() -> None:
    graph = logging.getLogger("themegraph")
    if not any(isinstance(h, _Said) for h in graph.handlers):
        graph.addHandler(_Said())
        graph.setLevel(logging.INFO)


def _unraisable(hook):
    """``sys.unraisablehook`` that is silent while a stop is under way: a stop raised in a
    ``__del__``, or one that left an object half-built for its ``__del__`` to trip on, is not
    news (``stopping`` keeps the stop itself); any other such error is shown as ever."""

    def quiet(unraisable) -> None:
        if stopping.requested() is None:
            hook(unraisable)

    return quiet


def run() -> None:
    """Console-script entry point: ThemeGraph errors become ``Error: ...`` and exit 1.

    Typer's standalone mode already turns usage errors into exit 2 and help into exit 0; any
    other exception escapes it, so the ones users can act on are caught here.  Ctrl-C and TERM
    roll back what is under way and say so (exit 128 + the signal's number), however the
    command ended: a stop that library code swallowed or turned into an error is still a stop.
    Once the command has ended, a signal is ignored: Python would otherwise die of it while
    exiting, after the command's own word on what it wrote.
    """
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop)
    sys.unraisablehook = _unraisable(sys.unraisablehook)
    _show_store_messages()
    try:
        try:
            app()
        finally:
            stopping.raise_if_stopped()
            for signum in (signal.SIGINT, signal.SIGTERM):  # the outcome is said: a later stop
                signal.signal(signum, signal.SIG_IGN)        # would only cut the exit short
    except Interrupted as stop:
        err.print(_stopped(), markup=False)
        sys.exit(128 + stop.signum)
    except ThemeGraphError as exc:
        problems = exc.problems if isinstance(exc, InputError) else [str(exc)]
        for problem in problems:
            err.print(f"Error: {problem}", markup=False)
        sys.exit(1)
    except OSError as exc:  # the system refused something no command expected to be refused
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"Error: {where}{exc.strerror or exc}", markup=False)
        sys.exit(1)
