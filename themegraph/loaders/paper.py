"""A study's paper as citation edges: every in-text citation becomes a Study-CITES->Work edge.

The batch holds only what the paper itself says.  The Study node comes from the study loader and
matched works from the reference list (``load refs`` or the study bundle's references.bib); the
store refuses the batch if they are not there yet.  Without a reference file, the citations are
matched against the works already stored (:data:`STORED_REFERENCES_QUERY`).  A citation with no reference entry still
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
    parse_name,
    short_citation,
    work_id,
)


def reference_ids(references: list[WorkRecord]) -> dict[str, str]:
    """``{key: work id}`` exactly as loading the same reference list assigns them."""
    return add_works(Batch("ids"), merge_works(references))


#: the works a reference list put in the knowledge base (not the ``unmatched`` ones a paper made),
#: with their authors in order: what ``load paper`` without ``--refs`` matches citations against
STORED_REFERENCES_QUERY = (
    "MATCH (w:Work) WHERE w.unmatched = $unmatched OPTIONAL MATCH (w)-[a:AUTHORED_BY]->(au:Author) "
    "RETURN w.id AS id, w.key AS key, w.title AS title, w.year AS year, a.position AS position, au.family AS family"
)


def stored_references(rows: list[dict]) -> list[WorkRecord]:
    """Rows of :data:`STORED_REFERENCES_QUERY` as reference records whose key is the stored id."""
    works: dict[str, dict] = {}
    for row in rows:
        work = works.setdefault(row["id"], {"row": row, "authors": []})
        if row.get("family"):
            work["authors"].append((row.get("position") or 0, row["family"]))
    return [
        WorkRecord(key=wid, id=wid, title=w["row"].get("title"), year=w["row"].get("year"),
                   authors=[parse_name(family) for _, family in sorted(w["authors"])], venue=None, doi=None,
                   type=None, note=None, origin="knowledge base")
        for wid, w in works.items()
    ]


def paper_batch(path: Path | str, study: str, references: list[WorkRecord] | None,
                ids: dict[str, str] | None = None) -> Batch:
    """The citations of the paper at ``path`` (.txt, .md, .docx or .pdf) for study ``study``.

    ``ids`` maps reference keys to work ids when the references are already stored (their keys are
    their ids); otherwise the ids are those loading ``references`` assigns.
    """
    path = Path(path)
    citations = extract_citations(read_text(path), references)
    batch = Batch(f"paper:{study}", path=str(path), loader="paper")
    if ids is None:
        ids = reference_ids(references) if references else {}
    add_citations(batch, study, cite_rows(citations), ids, str(path))
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
