"""A small synthetic graph built through the public Batch API, shared by store tests."""

from themegraph.graph.batch import Batch


def study_batch(study: str = "s1", codes: int = 4, source: str | None = None) -> Batch:
    """One study: themes, codes, participants, extracts and a finding challenging a construct."""
    b = Batch(source or f"study:{study}", path=f"{study}/", loader="test")
    b.node("Study", study, name=f"Study {study}", title=f"Study {study}", year=2016, origin="study.yaml:1")
    final = b.node("Theme", f"{study}/theme/final", name="Final", study=study, level="final")
    emerging = b.node("Theme", f"{study}/theme/emerging", name="Emerging", study=study, level="emerging")
    b.rel("SUBTHEME_OF", ("Theme", emerging), ("Theme", final))
    for t in (final, emerging):
        b.rel("IN_STUDY", ("Theme", t), ("Study", study))
    p = b.node("Participant", f"{study}/participant/pa", name="PA", study=study, attributes='{"role": "psychologist"}')
    b.rel("IN_STUDY", ("Participant", p), ("Study", study))
    for i in range(codes):
        c = b.node("Code", f"{study}/code/c{i}", name=f"Code {i}", study=study, origin=f"codebook.csv:{i + 2}")
        b.rel("IN_THEME", ("Code", c), ("Theme", emerging), origin=f"codebook.csv:{i + 2}")
        b.rel("IN_STUDY", ("Code", c), ("Study", study))
        e = b.node("Extract", f"{study}/extract/e{i}", name=f"E{i}", study=study, text=f"quote {i} from PA")
        b.rel("IN_STUDY", ("Extract", e), ("Study", study))
        b.rel("CODED_AS", ("Extract", e), ("Code", c))
        b.rel("ILLUSTRATES", ("Extract", e), ("Theme", emerging))
        b.rel("SPOKEN_BY", ("Extract", e), ("Participant", p))
    f = b.node("Finding", f"{study}/finding/f1", name="F1", study=study, statement="forced work", status="confirmed")
    b.rel("IN_STUDY", ("Finding", f), ("Study", study))
    b.rel("DERIVED_FROM", ("Finding", f), ("Theme", final))
    b.rel("CHALLENGES", ("Finding", f), ("Construct", "theory/working-alliance/bonds"), evidence="goes against")
    b.rel("CITES", ("Study", study), ("Work", "work/bordin-1979"), sentence="Bordin (1979) said.", section="Intro", stance="mentions")
    return b


def literature_batch() -> Batch:
    """Works, authors, a theory with constructs: what the study batches point at."""
    b = Batch("refs:lit", path="refs.bib", loader="test")
    w = b.node("Work", "work/bordin-1979", name="Bordin (1979)", title="The generalizability ...", year="1979",
               authors=["Edward S. Bordin"], doi="10.1037/h0085885", key="bordin1979", origin="refs.bib:1")
    a = b.node("Author", "author/bordin-e", name="Bordin, E. S.", family="Bordin", given="Edward S.")
    b.rel("AUTHORED_BY", ("Work", w), ("Author", a), position=1)
    t = b.node("Theory", "theory/working-alliance", name="Working alliance")
    b.rel("PROPOSED_IN", ("Theory", t), ("Work", w))
    for c in ("goals", "tasks", "bonds"):
        cid = b.node("Construct", f"theory/working-alliance/{c}", name=c.title(), theory=t)
        b.rel("PART_OF", ("Construct", cid), ("Theory", t))
    return b
