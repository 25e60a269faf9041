"""A stop the user asked for (Ctrl-C or TERM), kept where no library code can lose it.

The CLI's signal handler raises ``Interrupted`` in whatever Python code is running when the
signal arrives, and that code does not always let it through:

- in a ``__del__`` (Ladybug's ``QueryResult`` has one), Python prints the exception as
  "Exception ignored" and carries on: a clean-clone CI run saw a Ctrl-C'd load commit and exit 0;
- in a callback that Ladybug's C++ makes into Python, Ladybug turns it into a ``RuntimeError``
  ("Interrupted: 2") that read as a failed load, exit 1, with a stack dump.

So ``request`` also records the stop, the stores ask ``raise_if_stopped`` at their point of no
return (a stop some library swallowed still rolls the load back there), and the CLI reads
``requested()`` when the command ends however it ends.  ``held()`` keeps the raise out of a
stretch that must finish once begun (the embedded store's file swap): a stop asked during it is
raised when it ends, so the message the user reads (written or not) is the truth.
"""

from __future__ import annotations

from contextlib import contextmanager

_requested: int | None = None
_holding = 0


class Interrupted(BaseException):
    """Ctrl-C or a TERM signal.  Not a KeyboardInterrupt, which click turns into "Aborted!": a
    user who stops a load must read whether anything was written."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def request(signum: int) -> None:
    """Record a stop and raise it here, unless a ``held()`` stretch is running."""
    global _requested
    if _requested is None:
        _requested = signum
    if not _holding:
        raise Interrupted(_requested)


def requested() -> int | None:
    """The signal of the stop asked for in this process, if one was."""
    return _requested


def raise_if_stopped() -> None:
    """Raise ``Interrupted`` if a stop was asked for, even one that was raised and lost."""
    if _requested is not None:
        raise Interrupted(_requested)


@contextmanager
def held():
    """The point of no return: a stop asked before it is raised on entering (nothing of the
    stretch has run), one asked during it on leaving (all of it has)."""
    global _holding
    raise_if_stopped()
    _holding += 1
    try:
        yield
    finally:
        _holding -= 1
    if not _holding:
        raise_if_stopped()
