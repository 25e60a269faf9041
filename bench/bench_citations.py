"""How fast is citation extraction on a 100-page paper?

The seed paper is repeated until it is ``--pages`` pages of ``--page-chars`` characters (100 x
3,000 = 300k characters by default), then ``extract_citations`` is timed (best of ``--repeat``
runs, with the reference list, so matching is included) against a floor: one
``re.finditer(r"\\d{4}")`` pass over the same text, the least any year-driven scanner must do.

    .venv/bin/python bench/bench_citations.py [--pages 100] [--repeat 5] [--text PAPER.txt]
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from themegraph.literature.citations import extract_citations
from themegraph.readers.references import read_references

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seed" / "000_1beee7b64457cf5b.txt"
REFS = ROOT / "examples" / "mandatory-therapy" / "references.bib"


def best_of(repeat: int, run) -> float:
    """The fastest of ``repeat`` timed calls (the least disturbed by other processes)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--page-chars", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--text", type=Path, default=SEED, help="paper to repeat (plain text)")
    parser.add_argument("--dense", action="store_true",
                        help="instead, one citation a line and no full stop (the worst case for sentences)")
    args = parser.parse_args()

    seed = "(Bordin, 1979)\n" if args.dense else args.text.read_text(encoding="utf-8")
    size = args.pages * args.page_chars
    text = (seed * (size // len(seed) + 1))[:size]
    references = read_references(REFS)[0] if REFS.exists() else None
    extract_citations("warm-up (Bordin, 1979).", references)  # compile patterns, load the lexicon

    found = []
    extract = best_of(args.repeat, lambda: found.append(len(extract_citations(text, references))))
    baseline = best_of(args.repeat, lambda: sum(1 for _ in re.finditer(r"\d{4}", text)))
    print(f"text: {len(text):,} characters ({args.pages} pages of {args.page_chars:,}) from {args.text.name}")
    print(f"citations found: {found[-1]:,}")
    print(f"extract_citations: {extract * 1000:.1f} ms (best of {args.repeat})")
    print(f"baseline re.finditer(r'\\d{{4}}'): {baseline * 1000:.2f} ms")
    print(f"ratio: {extract / baseline:.0f}x the baseline")


if __name__ == "__main__":
    main()
