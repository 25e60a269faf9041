"""A seeded synthetic literature-review corpus, built through the public Batch API.

Sizes (L): 200 studies, each with 300 codes, 25 themes (5 final, 20 emerging), 500 extracts,
11 participants and 6 findings with theory links; 100,000 works; 150,000 authors; 1,000,000
CITES edges.  M is L divided by ten; S is the worked example.  The same seed always gives the
same corpus, so two runs measure the same work.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from themegraph.graph.batch import Batch

SIZES = {
    "L": dict(studies=200, works=100_000, authors=150_000, cites=1_000_000),
    "M": dict(studies=20, works=10_000, authors=15_000, cites=100_000),
    "XS": dict(studies=4, works=1_000, authors=1_500, cites=10_000),
}
CODES, FINAL, EMERGING, EXTRACTS, PARTICIPANTS, FINDINGS = 300, 5, 20, 500, 11, 6
STANCES = ("SUPPORTS", "EXTENDS", "CHALLENGES")
WORDS = ("alliance", "trust", "coercion", "goals", "tasks", "bonds", "therapy", "risk", "power", "choice",
         "motivation", "engagement", "offender", "role", "support", "training", "genuine", "change")


@dataclass
class Corpus:
    literature: Batch
    studies: list[Batch]

    @property
    def batches(self) -> list[Batch]:
        return [self.literature, *self.studies]

    def rows(self) -> int:
        return sum(b.size() for b in self.batches)


def literature(rng: random.Random, works: int, authors: int) -> Batch:
    """Works, authors and two theories with constructs (what every study cites and links to)."""
    b = Batch("bench:literature", path="generated", loader="bench")
    for a in range(authors):
        b.node("Author", f"author/a{a}", name=f"Author{a}, A.", family=f"Author{a}", given="A.")
    for w in range(works):
        title = " ".join(rng.choice(WORDS) for _ in range(6))
        wid = b.node("Work", f"work/w{w}", name=f"Author{w % authors} ({1950 + w % 70})", title=title,
                     year=str(1950 + w % 70), key=f"w{w}")
        for pos in range(1, 1 + (w % 3) + 1):
            b.rel("AUTHORED_BY", ("Work", wid), ("Author", f"author/a{(w * 7 + pos) % authors}"), position=pos)
    for t, constructs in (("working-alliance", ("goals", "tasks", "bonds")),
                          ("stages-of-change", ("precontemplation", "contemplation", "action", "maintenance"))):
        tid = b.node("Theory", f"theory/{t}", name=t.replace("-", " ").title())
        b.rel("PROPOSED_IN", ("Theory", tid), ("Work", f"work/w{len(t)}"))
        for c in constructs:
            cid = b.node("Construct", f"{tid}/{c}", name=c.title(), theory=tid)
            b.rel("PART_OF", ("Construct", cid), ("Theory", tid))
    return b


def study(rng: random.Random, n: int, works: int, cites: int) -> Batch:
    """One study: codes under emerging under final themes, extracts, participants, findings, citations."""
    s = f"study{n:03d}"
    b = Batch(f"study:{s}", path="generated", loader="bench")
    b.node("Study", s, name=f"Study {n}", title=f"Synthetic study {n}", year=2000 + n % 25)

    def scoped(kind, id_, **props):
        b.node(kind, id_, study=s, **props)
        b.rel("IN_STUDY", (kind, id_), ("Study", s))
        return id_

    finals = [scoped("Theme", f"{s}/theme/f{i}", name=f"Final {i}", level="final") for i in range(FINAL)]
    emerging = []
    for i in range(EMERGING):
        e = scoped("Theme", f"{s}/theme/e{i}", name=f"Emerging {i} {rng.choice(WORDS)}", level="emerging")
        b.rel("SUBTHEME_OF", ("Theme", e), ("Theme", finals[i % FINAL]))
        emerging.append(e)
    codes = []
    for i in range(CODES):
        c = scoped("Code", f"{s}/code/c{i}", name=f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}")
        b.rel("IN_THEME", ("Code", c), ("Theme", emerging[i % EMERGING]))
        if i % 50 == 0:
            b.rel("IN_THEME", ("Code", c), ("Theme", emerging[(i + 1) % EMERGING]))
        codes.append(c)
    people = [scoped("Participant", f"{s}/participant/p{i}", name=f"P{i}", attributes="{}")
              for i in range(PARTICIPANTS)]
    for i in range(EXTRACTS):
        text = " ".join(rng.choice(WORDS) for _ in range(25))
        x = scoped("Extract", f"{s}/extract/x{i}", name=f"X{i}", text=text)
        b.rel("SPOKEN_BY", ("Extract", x), ("Participant", people[i % PARTICIPANTS]))
        b.rel("CODED_AS", ("Extract", x), ("Code", codes[(i * 3) % CODES]))
        b.rel("ILLUSTRATES", ("Extract", x), ("Theme", emerging[(i * 3) % CODES % EMERGING]))
    constructs = ["theory/working-alliance/goals", "theory/working-alliance/tasks", "theory/working-alliance/bonds",
                  "theory/stages-of-change/contemplation"]
    for i in range(FINDINGS):
        f = scoped("Finding", f"{s}/finding/f{i}", name=f"Finding {i}", statement="synthetic", status="confirmed")
        b.rel("DERIVED_FROM", ("Finding", f), ("Theme", finals[i % FINAL]))
        b.rel(STANCES[i % 3], ("Finding", f), ("Construct", rng.choice(constructs)), evidence=f"sentence {i}")
        b.rel(STANCES[(i + 1) % 3], ("Finding", f), ("Work", f"work/w{rng.randrange(works)}"), evidence="cited")
    for i in range(cites):
        sentence = f"Sentence {i // 3} of study {n}."
        b.rel("CITES", ("Study", s), ("Work", f"work/w{rng.randrange(works)}"), sentence=sentence,
              section=("Introduction", "Discussion", "Method")[i % 3], stance="mentions")
    return b


def build(size: str, seed: int = 1979) -> Corpus:
    """The corpus of the given size (S is not built here: it is the example bundle)."""
    spec = SIZES[size]
    rng = random.Random(seed)
    lit = literature(rng, spec["works"], spec["authors"])
    per_study = spec["cites"] // spec["studies"]
    return Corpus(lit, [study(rng, n, spec["works"], per_study) for n in range(spec["studies"])])


def build_chunks(size: str, seed: int = 1979, per_chunk: int = 20):
    """The same corpus as ``build``, yielded as lists of batches so that memory stays bounded."""
    spec = SIZES[size]
    rng = random.Random(seed)
    yield [literature(rng, spec["works"], spec["authors"])]
    per_study = spec["cites"] // spec["studies"]
    for start in range(0, spec["studies"], per_chunk):
        yield [study(rng, n, spec["works"], per_study) for n in range(start, min(start + per_chunk, spec["studies"]))]
