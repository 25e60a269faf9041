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
from .citations import Citation, extract_citations
from .documents import read_text
from .references import WorkRecord, add_works, merge_works, short_citation, work_id


def reference_ids(references: list[WorkRecord]) -> dict[str, str]:
    """``{key: work id}`` exactly as loading the same reference list assigns them."""
    return add_works(Batch("ids"), merge_works(references))


def paper_batch(path: Path | str, study: str, references: list[WorkRecord] | None) -> Batch:
    """The citations of the paper at ``path`` (.txt, .md, .docx or .pdf) for study ``study``."""
    path = Path(path)
    text = read_text(path)
    citations = extract_citations(text, references)
    ids = reference_ids(references) if references else {}
    batch = Batch(f"paper:{study}", path=str(path), loader="paper")
    for c in citations:
        origin = f"{path}:{c.line}"
        if c.ref is not None:
            target = ids[c.ref]
        else:
            target = work_id(c.authors[0], c.year, None)
            known = batch.nodes["Work"].get(target, {}).get("authors") or []
            if len(c.authors) >= len(known):  # "Drapeau et al." must not shorten a fuller list seen before
                name = f"{c.authors[0]} et al. ({c.year})" if c.et_al else short_citation(c.authors, c.year)
                batch.node("Work", target, origin=origin, name=name, year=c.year, authors=list(c.authors),
                           unmatched=True)
        batch.rel("CITES", ("Study", study), ("Work", target), origin=origin, sentence=c.sentence, section=c.section,
                  stance=c.stance, cited_as=c.cited_as, char_start=c.start, char_end=c.end)
    return batch


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
        }
        for c in citations
    ]
