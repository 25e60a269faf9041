"""Progress bars on stderr for work that takes more than a second.

A load of a large bundle or reference file runs for seconds to minutes; without a sign of life a
user cannot tell a slow load from a hung one.  ``track`` opens a bar (rows or bytes done, rate,
time left) that appears only once the work has run for ``SHOW_AFTER`` seconds, only when stderr
is a terminal, and never with ``--quiet``: piped output and logs stay clean.
``THEMEGRAPH_PROGRESS_AFTER`` sets that delay (0: a bar for all work, however short).

Code deep inside a load (the writer, a reader) reports with the module-level ``advance(n)``,
which moves the innermost open bar and does nothing when there is none.  It needs no reference to
the bar and costs one list lookup, so library code can report unconditionally.  Code that cannot
report as it goes (a reader parsing a whole file) is reported on from outside: the caller says
what is done when each piece ends (``Tracker.reach``), which a finer report has already passed.
Work whose size is not known beforehand (the rows a map or a study's export reads) has a bar of
``total=None``: what is done, the rate and the time spent, no time left.  Rich is imported only
when a bar is actually drawn: importing this module costs nothing at start-up.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager


def _show_after(default: float = 1.0) -> float:
    """``THEMEGRAPH_PROGRESS_AFTER`` (seconds, e.g. 0 to see every bar), else ``default``."""
    try:
        return max(0.0, float(os.environ.get("THEMEGRAPH_PROGRESS_AFTER", default)))
    except ValueError:
        return default


#: Seconds a piece of work runs before its bar appears: quick commands print nothing extra.
SHOW_AFTER = _show_after()

_quiet = False
_open: list[Tracker] = []


def set_quiet(quiet: bool) -> None:
    """``--quiet``: no progress bar at all."""
    global _quiet
    _quiet = quiet


def _columns(unit: str, total: int | None) -> list:
    """The bar's columns: what, bar, done/total, rate, time left (of unknown total: done, rate,
    time spent)."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    if unit == "bytes":
        done = DownloadColumn()
    elif total is None:
        done = TextColumn(f"{{task.completed:,.0f}} {unit}")
    else:
        done = TextColumn(f"{{task.completed:,.0f}}/{{task.total:,.0f}} {unit}")
    rate = TextColumn("{task.fields[rate]}")
    if total is None:
        return [TextColumn("{task.description}"), BarColumn(), done, rate, TextColumn("for"), TimeElapsedColumn()]
    return [TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), done, rate, TextColumn("left"),
            TimeRemainingColumn()]


class Tracker:
    """One piece of work of ``total`` rows (or bytes; None: not known beforehand); its bar is
    drawn after ``show_after`` s.

    ``console`` is the rich Console to draw on (the CLI's stderr console, so that warnings printed
    meanwhile appear above the bar); its ``is_terminal`` decides whether anything is drawn.
    """

    def __init__(self, description: str, total: int | None, unit: str = "rows", *, console=None,
                 show_after: float = SHOW_AFTER):
        self.description, self.total, self.unit = description, total, unit
        self.done = 0
        self.started = time.monotonic()
        self._console = console
        self._bar = None
        self._lock = threading.Lock()
        self._timer = None
        if self._enabled():
            if show_after <= 0:
                self._show()
            else:
                self._timer = threading.Timer(show_after, self._show)
                self._timer.daemon = True
                self._timer.start()

    def _enabled(self) -> bool:
        if _quiet:
            return False
        if self._console is not None:
            return self._console.is_terminal
        return sys.stderr.isatty()

    def _rate(self) -> str:
        """Rows (bytes) per second since the work began: '12,345 rows/s', '2.1 MB/s'."""
        elapsed = time.monotonic() - self.started
        if elapsed <= 0 or not self.done:
            return f"- {'B' if self.unit == 'bytes' else self.unit}/s"
        if self.unit == "bytes":
            from rich.filesize import decimal

            return f"{decimal(int(self.done / elapsed))}/s"
        return f"{self.done / elapsed:,.0f} {self.unit}/s"

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import Progress

        with self._lock:
            if self._bar is not None or self._timer is False:  # already shown, or already closed
                return
            console = self._console or Console(stderr=True)
            self._bar = Progress(*_columns(self.unit, self.total), console=console, transient=False)
            self._task = self._bar.add_task(self.description, total=self.total, completed=self.done,
                                            rate=self._rate())
            self._bar.start()

    def advance(self, n: int) -> None:
        """``n`` more rows (bytes) done."""
        self._set(lambda done: done + n)

    def reach(self, n: int) -> None:
        """At least ``n`` done: a piece of the work ended (a finer report may have passed it already)."""
        self._set(lambda done: max(done, n))

    def _set(self, done_now) -> None:
        with self._lock:
            self.done = done_now(self.done)
            if self._bar is not None:
                self._bar.update(self._task, completed=self.done, rate=self._rate())

    def close(self) -> None:
        """Stop the timer; a drawn bar is left showing its final state."""
        with self._lock:
            if self._timer:
                self._timer.cancel()
            self._timer = False
            bar, self._bar = self._bar, None
        if bar is not None:
            bar.update(self._task, completed=self.done, rate=self._rate())
            bar.stop()


@contextmanager
def track(description: str, total: int | None, unit: str = "rows", *, console=None,
          show_after: float = SHOW_AFTER):
    """Open a bar for the duration of the block; ``advance`` reports to it."""
    tracker = Tracker(description, total, unit, console=console, show_after=show_after)
    _open.append(tracker)
    try:
        yield tracker
    finally:
        _open.remove(tracker)
        tracker.close()


def advance(n: int) -> None:
    """Report ``n`` rows (or bytes) done to the innermost open bar, if any."""
    if _open:
        _open[-1].advance(n)
