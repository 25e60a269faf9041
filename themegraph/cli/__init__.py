"""The ``themegraph`` command line: a thin layer over loaders, stores, queries and maps.

Data goes to stdout, messages to stderr.  Errors a user can act on print ``Error: ...`` and exit
1; usage errors exit 2 (typer/click's convention).  ``common`` holds the app, its global options
and the helpers every command shares; each other module registers one group of commands.
"""

from __future__ import annotations

import sys

from ..errors import InputError, ThemeGraphError
from . import demo, inspect, literature, load, maps, query, review, transfer  # noqa: F401 - registers the commands
from .common import app, err

__all__ = ["app", "run"]


def run() -> None:
    """Console-script entry point: ThemeGraph errors become ``Error: ...`` and exit 1.

    Typer's standalone mode already turns usage errors into exit 2 and help into exit 0; any
    other exception escapes it, so the ones users can act on are caught here.
    """
    try:
        app()
    except ThemeGraphError as exc:
        problems = exc.problems if isinstance(exc, InputError) else [str(exc)]
        for problem in problems:
            err.print(f"Error: {problem}", markup=False)
        sys.exit(1)
