"""The literature around a study: reference files (``load refs``), a paper's in-text citations
(``cite``, ``load paper``)."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..files import write_text
from ..output import Format, emit
from .common import (
    ForceOpt,
    PreferNewOpt,
    app,
    apply_one,
    err,
    input_digest,
    load_app,
    policy_of,
    print_report,
    read_each,
    unchanged,
    warn,
)


def _read_refs(files: list[Path], strict: bool):
    """Reference records of several files (a bar over their bytes), problems reported (fatal with
    --strict), merged."""
    from ..readers.references import read_references
    from ..readers.works import merge_works

    works = []
    for found, problems in read_each(files, lambda file: read_references(file, strict=strict)):
        warn(problems)
        works += found
    return merge_works(works)


@load_app.command("refs")
def load_refs(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="BibTeX, RIS or CSL-JSON files (format from extension and content).")],
    strict: Annotated[bool, typer.Option(
        "--strict", help="Any unreadable or ambiguous record, or a value conflicting with another source's, is fatal.")] = False,
    prefer_new: PreferNewOpt = False,
    force: ForceOpt = False,
):
    """Load reference files as works and authors; the same work from several files is one Work."""
    from ..graph.batch import Batch
    from ..readers.works import EXISTING_WORKS_QUERY, add_works, match_existing

    source = "refs:" + ",".join(sorted(f.name for f in files))
    digest = input_digest(files, "refs", prefer_new)
    with ctx.obj.open() as store:
        if unchanged(store, source, digest, force):
            return
        works = _read_refs(files, strict)
        batch = Batch(source, path=", ".join(str(f) for f in files), loader="refs", digest=digest)
        matched = match_existing(works, store.query(EXISTING_WORKS_QUERY))
        add_works(batch, works)
        report = apply_one(store, batch, force=force, policy=policy_of(prefer_new, strict))
    print_report(report, f" ({matched} already in the knowledge base)" if matched else "")


@app.command()
def cite(
    paper: Annotated[Path, typer.Argument(help="The paper: .txt, .md, .docx or .pdf (with a text layer).")],
    refs: Annotated[Optional[list[Path]], typer.Option("--refs", help="Reference file(s) to match citations to.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.json,
    propose_findings: Annotated[
        Optional[Path], typer.Option("--propose-findings", help="Write unconfirmed findings.yaml entries here.")
    ] = None,
):
    """List every in-text citation of a paper with its sentence, section, stance and reference."""
    import yaml

    from ..literature.citations import extract_citations
    from ..literature.stance import propose_findings as propose
    from ..loaders.paper import cite_rows
    from ..readers.documents import read_text

    text = read_text(paper)
    references = _read_refs(refs, False) if refs else None
    citations = extract_citations(text, references)
    emit(cite_rows(citations), fmt)
    if propose_findings:
        proposed = propose(citations, text)
        write_text(propose_findings, yaml.safe_dump({"findings": proposed}, sort_keys=False, allow_unicode=True))
        err.print(f"wrote {len(proposed)} unconfirmed findings to {propose_findings}")
    err.print(f"{len(citations)} citations of {len({(tuple(c.authors), c.year) for c in citations})} works")


@load_app.command("paper")
def load_paper(
    ctx: typer.Context,
    paper: Annotated[Path, typer.Argument(help="The study's paper: .txt, .md, .docx or .pdf.")],
    study: Annotated[str, typer.Option("--study", help="Id of the (already loaded) study the paper reports.")],
    refs: Annotated[Optional[list[Path]], typer.Option("--refs", help="The paper's reference file(s).")] = None,
    force: ForceOpt = False,
):
    """Store each citation of a paper as a Study-CITES->Work edge with sentence, section and stance.

    Without --refs, citations are matched against the references already loaded (load refs, or a
    study bundle's references.bib); with none loaded, it says what to run first.
    """
    from ..errors import InputError
    from ..loaders.paper import STORED_REFERENCES_QUERY, paper_batch, stored_references
    from ..readers.works import EXISTING_WORKS_QUERY, match_existing

    references = _read_refs(refs, False) if refs else None
    with ctx.obj.open() as store:
        ids = None
        if references:
            match_existing(references, store.query(EXISTING_WORKS_QUERY))
        else:
            references = stored_references(store.query(STORED_REFERENCES_QUERY, {"unmatched": False}))
            if not references:
                raise InputError(
                    f"{paper}: no references are loaded to match its citations to; run "
                    "`themegraph load refs REFERENCES.bib` (or `themegraph load study BUNDLE` with its "
                    "references.bib) first, or give the paper's reference file with --refs"
                )
            ids = {work.key: work.id for work in references}
        batch = read_each([paper], lambda file: paper_batch(file, study, references, ids))[0]
        report = apply_one(store, batch, force=force)
    err.print(report.summary())
