"""What a piece of ThemeGraph code costs, counted, not timed (issue 15: linear everywhere).

Timings in unit tests fail on a busy machine and pass on a quadratic loop at small sizes; these
counts are the same on any machine, so a test can ask that doubling the input at most doubles them.
"""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import themegraph


def operations(call, *args) -> tuple[int, int]:
    """``call(*args)``'s cost: (lines of ThemeGraph's own code executed, bytes allocated that are
    still held when the next of those lines starts).

    The lines catch a Python loop over everything read so far; the bytes catch the same done
    inside one call (``set(self.ids.values())`` for each new name was the quadratic spot of
    issue 15: one line, a set of every id).  A C-level scan that allocates nothing (``x in a_list``)
    is caught by neither.
    """
    package = str(Path(themegraph.__file__).parent)
    lines = held = last = 0

    def line(frame, event, arg):
        nonlocal lines, held, last
        if event == "line":
            lines += 1
            now = tracemalloc.get_traced_memory()[0]
            held += max(0, now - last)
            last = now
        return line

    tracing, previous = tracemalloc.is_tracing(), sys.gettrace()  # a coverage run's tracer comes back after
    if not tracing:
        tracemalloc.start()
    last = tracemalloc.get_traced_memory()[0]
    sys.settrace(lambda frame, event, arg: line if frame.f_code.co_filename.startswith(package) else None)
    try:
        call(*args)
    finally:
        sys.settrace(previous)
        if not tracing:
            tracemalloc.stop()
    return lines, held


def doubling_steps(costs: list[tuple[int, int]]) -> dict[str, list[float]]:
    """For costs measured at a fixed-cost size then sizes each double the one before: how much each
    doubling multiplies the lines and the bytes, the fixed cost taken off."""
    fixed, *sized = costs
    return {
        name: [(b[m] - fixed[m]) / (a[m] - fixed[m]) for a, b in zip(sized, sized[1:])]
        for m, name in enumerate(("lines", "bytes"))
    }
