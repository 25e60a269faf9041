"""How well ``themegraph cite`` reads real manuscripts: scores against the corpus gold lists.

Each manuscript of ``tests/data/citations/manifest.yaml`` is read as its authors rendered it
(their PDF and DOCX through :func:`themegraph.readers.documents.read_text`, or the plain text of
their LaTeX), its citations are extracted with its own .bib, and the result is compared with the
gold list that :mod:`bench.citation_gold` built from the source:

* works: a work is its first author's folded name and its year (``2017a`` counts as ``2017``);
  precision = extracted works in the gold / extracted works, recall = gold works extracted / gold;
* occurrences: for each gold work, min(times extracted, times cited in the source), summed, over
  the number of gold citations (recall only: the source is the count);
* reference keys: the multiset of extracted ``ref`` keys against the gold keys (recall); entries
  that ``merge_works`` joins count under the key the merged work keeps;
* sections: the i-th extraction of a work against the i-th gold citation of it, section heading
  folded; share of pairs whose heading is the heading above the citation in the source.

    .venv/bin/python -m bench.citation_accuracy [--corpus DIR] [--json]   (make accuracy)

The corpus texts live outside git (see the manifest): without them this prints which are missing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from bench.citation_gold import HERE, MANIFEST, fold
from themegraph.errors import InputError
from themegraph.literature.citations import extract_citations
from themegraph.readers.documents import read_text
from themegraph.readers.references import read_references
from themegraph.readers.works import merge_works

DEFAULT_CORPUS = Path(os.environ.get("THEMEGRAPH_CITATION_CORPUS", "/work/citations-corpus"))
KINDS = ("pdf", "docx", "txt")


@dataclass
class Score:
    """The scores of one rendering of one manuscript."""

    id: str
    kind: str
    gold_works: int
    found_works: int
    works_precision: float
    works_recall: float
    gold_occurrences: int
    occurrences_recall: float
    key_match: float
    sections_right: float
    missed: list[str]
    spurious: list[str]


def _year(year: str) -> str:
    """The year a work is known by: "2017a" -> "2017", "1900/1953" -> "1953", "n.d." as is."""
    digits = [part[:4] for part in year.replace("/", " ").split() if part[:4].isdigit()]
    return digits[-1] if digits else year.lower().replace(" ", "")


_PARTICLES = {"van", "von", "de", "der", "den", "di", "du", "da", "del", "le", "la", "ten", "ter"}


def _work(name: str, year: str) -> tuple[str, str]:
    """A work's identity: its first author's name without particles ("van Paridon" is "Paridon"),
    initials or "Jr", folded, and its year."""
    words = [w for w in name.split() if w.lower() not in _PARTICLES and w.rstrip(".") not in ("Jr", "Sr")
             and not re.fullmatch(r"(?:\w\.)+", w)]  # "J. O'Gorman": an initial the .bib put in the family name
    return fold(" ".join(words) or name), _year(year)


def manuscripts() -> list[dict]:
    """The manifest's entries, each with its gold list."""
    entries = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["manuscripts"]
    for entry in entries:
        entry["gold"] = json.loads((HERE / f"{entry['id']}.gold.json").read_text(encoding="utf-8"))
    return entries


def score(entry: dict, kind: str, text: str, references) -> Score:
    """Extract the citations of ``text`` and score them against the entry's gold list."""
    hidden = set(entry["gold"]["works_not_rendered"].get(kind, []))
    gold = [g for g in entry["gold"]["occurrences"] if g["key"] not in hidden]
    citations = extract_citations(text, references)
    # a gold work answers to its first author and to any name its writer typed before "[-@key]"
    names: dict[tuple[str, str], tuple[str, str]] = {}
    gold_count: Counter = Counter()
    for g in gold:
        work = _work(g["first"], g["year"])
        gold_count[work] += 1
        for alias in [g["first"], *g.get("written", [])]:
            names.setdefault(_work(alias, g["year"]), work)
    found_count: Counter = Counter()
    found_order: dict[tuple[str, str], list] = defaultdict(list)
    for c in citations:
        work = _work(c.authors[0], c.year)
        work = names.get(work, work)
        found_count[work] += 1
        found_order[work].append(c)
    hits = set(found_count) & set(gold_count)
    gold_order: dict[tuple[str, str], list] = defaultdict(list)
    for g in gold:
        gold_order[_work(g["first"], g["year"])].append(g)
    pairs = [(fold(g["section"] or ""), fold(c.section or "")) for w in hits
             for g, c in zip(gold_order[w], found_order[w])]
    # entries merged as one work (the same work under two keys) answer to the key it is kept under
    kept = {alias: work.key for work in references for alias in work.keys}
    keys = Counter(kept.get(g["key"], g["key"]) for g in gold)
    found_keys = Counter(c.ref for c in citations if c.ref)
    total = sum(gold_count.values())
    return Score(
        id=entry["id"], kind=kind,
        gold_works=len(gold_count), found_works=len(found_count),
        works_precision=len(hits) / max(len(found_count), 1),
        works_recall=len(hits) / max(len(gold_count), 1),
        gold_occurrences=total,
        occurrences_recall=sum((found_count & gold_count).values()) / max(total, 1),
        key_match=sum((found_keys & keys).values()) / max(sum(keys.values()), 1),
        sections_right=sum(a == b for a, b in pairs) / max(len(pairs), 1),
        missed=sorted(f"{n} {y}" for n, y in set(gold_count) - hits),
        spurious=sorted(f"{n} {y}" for n, y in set(found_count) - hits),
    )


def run(corpus: Path) -> tuple[list[Score], list[str]]:
    """Scores of every rendering present in ``corpus``, and the renderings that are missing."""
    scores, missing = [], []
    for entry in manuscripts():
        folder = corpus / entry["id"]
        refs_file = folder / "refs.bib"
        kinds = [k for k in KINDS if k in entry["rendered"]]
        if not refs_file.exists():
            missing += [f"{entry['id']}/rendered.{k}" for k in kinds]
            continue
        references = merge_works(read_references(refs_file)[0])  # as `cite --refs` reads them
        for kind in kinds:
            path = folder / f"rendered.{kind}"
            if not path.exists():
                missing.append(str(path))
                continue
            scores.append(score(entry, kind, read_text(path), references))
    return scores, missing


def table(scores: list[Score]) -> str:
    """The scores as a Markdown table (docs/accuracy.md)."""
    rows = ["| manuscript | text | gold works | works P | works R | occurrences | occ. R | key match | sections |",
            "|---|---|---|---|---|---|---|---|---|"]
    for s in scores:
        rows.append(f"| {s.id} | {s.kind} | {s.gold_works} | {s.works_precision:.2f} | {s.works_recall:.2f} | "
                    f"{s.gold_occurrences} | {s.occurrences_recall:.2f} | {s.key_match:.2f} | {s.sections_right:.2f} |")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", action="store_true", help="one JSON object per rendering")
    args = parser.parse_args(argv)
    try:
        scores, missing = run(args.corpus)
    except InputError as e:
        print(f"Error: {e}", file=sys.stderr)
        return 1
    for path in missing:
        print(f"missing: {path} (see tests/data/citations/manifest.yaml)", file=sys.stderr)
    if args.json:
        for s in scores:
            print(json.dumps(asdict(s), ensure_ascii=False))
    else:
        print(table(scores))
        for s in scores:
            if s.missed or s.spurious:
                print(f"\n{s.id} ({s.kind}): missed {s.missed}; spurious {s.spurious}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
