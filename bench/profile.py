"""Where a command's time goes: py-spy samples, summed per function.

    .venv/bin/pip install py-spy      # not a dependency of ThemeGraph
    .venv/bin/python -m bench.profile [--idle] [--top 25] -- themegraph --db kb.db load refs big.bib

Runs the command under ``py-spy record`` (raw, 200 samples/s), then prints, for the functions
that matter most, the share of samples in which each was on the stack (inclusive) and on top
(self).  ``--idle`` also counts samples where the process waited (I/O, fsync, locks): py-spy
leaves those out by default, which hides a load's time spent waiting for the disk.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^()]*):(?P<line>\d+)\)$")


def summarise(raw: str) -> tuple[int, Counter, Counter]:
    """(samples, inclusive, self) per ``function (file)`` from py-spy's raw (collapsed) output."""
    inclusive, own, total = Counter(), Counter(), 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = []
        for frame in stack.split(";"):
            m = FRAME.match(frame)
            frames.append(f"{m['func']} ({Path(m['file']).name})" if m else frame)
        for f in set(frames):
            inclusive[f] += n
        own[frames[-1]] += n
    return total, inclusive, own


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--idle", action="store_true", help="count samples where the process waited")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--raw", type=Path, help="also keep py-spy's raw samples here")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = [c for c in args.command if c != "--"]
    if command and command[0] == "themegraph":
        command = [sys.executable, "-m", "themegraph", *command[1:]]
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "raw.txt"
        subprocess.run([spy, "record", "-r", "200", "-f", "raw", "-o", str(out), *(["--idle"] if args.idle else []),
                        "--", *command], stdout=subprocess.DEVNULL)
        total, inclusive, own = summarise(out.read_text())
        if args.raw:
            shutil.copyfile(out, args.raw)
    print(f"{total} samples ({total / 200:.1f} s)\n\n| inclusive | self | function |\n|---|---|---|")
    for func, n in inclusive.most_common(args.top):
        print(f"| {100 * n / total:.0f} % | {100 * own[func] / total:.0f} % | {func} |")


if __name__ == "__main__":
    main()
