"""A study's paper as citation edges: every in-text citation becomes a Study-CITES->Work edge.

The batch holds only what the paper itself says.  The Study node comes from the study loader and
matched works from the reference list (``load refs`` or the study bundle's references.bib); the
store refuses the batch if they are not there yet.  A citation with no reference entry still
records its work, as an ``unmatched`` Work made from the authors and year the paper gives, so no
citation is lost.
"""

from __future__ import annotations

from pathlib import Path

from ..graph.batch import Batch
from ..literature.citations import Citation, extract_citations
from ..readers.documents import read_text
from ..readers.works import (
    WorkRecord,
    add_works,
    merge_works,
    short_citation,
    work_id,
)


def reference_ids(references: list[WorkRecord]) -> dict[str, str]:
    """``{key: work id}`` exactly as loading the same reference list assigns them."""
    return add_works(Batch("ids"), merge_works(references))


def paper_batch(path: Path | str, study: str, references: list[WorkRecord] | None) -> Batch:
    """The citations of the paper at ``path`` (.txt, .md, .docx or .pdf) for study ``study``."""
    path = Path(path)
    citations = extract_citations(read_text(path), references)
    batch = Batch(f"paper:{study}", path=str(path), loader="paper")
    add_citations(batch, study, cite_rows(citations), reference_ids(references) if references else {}, str(path))
    return batch


def add_citations(batch: Batch, study: str, rows: list[dict], ids: dict[str, str], where: str) -> None:
    """Study-CITES->Work edges for citation rows (as ``cite_rows`` makes them, or a citations.csv).

    ``ids`` maps reference keys to work ids; a row without a matched reference gets an
    ``unmatched`` Work from its authors and year.
    """
    for row in rows:
        origin = f"{where}:{row['line']}"
        authors, year = list(row["authors"]), row["year"]
        if row.get("ref"):
            target = ids[row["ref"]]
        else:
            target = work_id(authors[0], year, None)
            known = batch.nodes["Work"].get(target, {}).get("authors") or []
            if len(authors) >= len(known):  # "Drapeau et al." must not shorten a fuller list seen before
                et_al = row.get("et_al") in (True, "True", "true")
                name = f"{authors[0]} et al. ({year})" if et_al else short_citation(authors, year)
                batch.node("Work", target, origin=origin, name=name, year=year, authors=authors, unmatched=True)
        batch.rel("CITES", ("Study", study), ("Work", target), origin=origin, sentence=row["sentence"],
                  section=row.get("section") or None, stance=row.get("stance") or None, cited_as=row.get("cited_as"),
                  char_start=row.get("start"), char_end=row.get("end"))


def cite_rows(citations: list[Citation]) -> list[dict]:
    """One row per citation for ``themegraph cite --format json|table``."""
    return [
        {
            "authors": list(c.authors),
            "year": c.year,
            "cited_as": c.cited_as,
            "line": c.line,
            "start": c.start,
            "end": c.end,
            "sentence": c.sentence,
            "section": c.section,
            "stance": c.stance,
            "ref": c.ref,
            "et_al": c.et_al,
        }
        for c in citations
    ]
