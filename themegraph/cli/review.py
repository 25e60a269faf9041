"""``themegraph review``: a qualitative evidence synthesis's reports, suggestions and map.

``load review DIR`` (registered in ``cli/load.py``) reads a review bundle; these commands read a
loaded review: the Summary of Qualitative Findings (``soqf``), the GRADE-CERQual Evidence Profile
(``profile``), suggested correspondences (``suggest``) and the synthesis map (``map``).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import ThemeGraphError
from ..files import write_text
from ..output import emit, render
from .common import app, apply_batch, err

review_app = typer.Typer(help="Qualitative evidence synthesis: SoQF, Evidence Profile, suggestions, map.",
                         no_args_is_help=True)
app.add_typer(review_app, name="review")


class ReportFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"
    docx = "docx"


ReviewOpt = Annotated[str, typer.Option("--review", help="The review's id (as in its review.yaml).")]
ReportFormatOpt = Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format (docx needs --out).")]
OutOpt = Annotated[Optional[Path], typer.Option("--out", help="Write to this file instead of stdout.")]


def load_review_bundle(target, folder: Path, *, dry_run: bool, force: bool) -> None:
    """Check a review bundle against the studies in the store, then load it (one store session)."""
    from ..review.bundle import read_review

    if dry_run:
        with target.open(read_only=True) as store:
            batch = read_review(folder, store)
        apply_batch(target, batch, dry_run=True)
        return
    with target.open() as store:
        batch = read_review(folder, store)
        report = store.apply(batch, force=force)
    err.print(report.summary())


def _evidence(ctx: typer.Context, review: str):
    from ..review.evidence import read_evidence

    with ctx.obj.open(read_only=True) as store:
        return read_evidence(store, review)


def _report(rows: list[dict], columns: list[str], fmt: ReportFormat, out: Path | None, docx_table) -> None:
    """Print or write a report; docx goes through ``docx_table`` (title, subtitle, header, body)."""
    if fmt is ReportFormat.docx:
        if out is None:
            raise ThemeGraphError("--format docx writes a file: give --out FILE.docx")
        from ..review.docx import write_table_docx

        write_table_docx(out, *docx_table())
        err.print(f"wrote {out}")
    elif out is not None:
        write_text(out, render(rows, fmt.value, columns))
        err.print(f"wrote {out}")
    else:
        emit(rows, fmt.value, columns)


@review_app.command("soqf")
def soqf(ctx: typer.Context, review: ReviewOpt, fmt: ReportFormatOpt = ReportFormat.table, out: OutOpt = None):
    """Summary of Qualitative Findings: finding, contributing studies, counts, confidence, concerns."""
    from ..review.reports import SOQF_COLUMNS, soqf_rows, soqf_table

    evidence = _evidence(ctx, review)
    _report(soqf_rows(evidence), SOQF_COLUMNS, fmt, out,
            lambda: (f"Summary of qualitative findings: {evidence.title}", evidence.question or "", *soqf_table(evidence)))


@review_app.command("profile")
def profile(ctx: typer.Context, review: ReviewOpt, fmt: ReportFormatOpt = ReportFormat.table, out: OutOpt = None):
    """GRADE-CERQual Evidence Profile: one row per finding and component, judgement beside proposal."""
    from ..review.reports import PROFILE_COLUMNS, profile_rows, profile_table

    evidence = _evidence(ctx, review)
    _report(profile_rows(evidence), PROFILE_COLUMNS, fmt, out,
            lambda: (f"CERQual evidence profile: {evidence.title}", evidence.question or "", *profile_table(evidence)))


class Method(str, Enum):
    lexical = "lexical"
    semantic = "semantic"


@review_app.command("suggest")
def suggest(
    ctx: typer.Context,
    review: ReviewOpt,
    top: Annotated[int, typer.Option("--top", min=1, help="Suggestions of each kind to show.")] = 10,
    method: Annotated[Method, typer.Option("--method", help="lexical, or semantic (needs themegraph[semantic]).")]
    = Method.lexical,
    save: Annotated[bool, typer.Option("--save", help="Store them in the graph with status 'proposed'.")] = False,
    measure: Annotated[bool, typer.Option("--measure", help="Score the ranking against the accepted links instead.")]
    = False,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")] = ReportFormat.table,
):
    """Propose TRANSLATES links between themes of different studies and SYNTHESISES links for each
    review finding, ranked by similarity; accept one by copying its row into the bundle's CSV."""
    from ..review import suggest as suggesting

    if fmt is ReportFormat.docx:
        raise ThemeGraphError("suggest prints table, csv, json or markdown")
    with ctx.obj.open(read_only=not save) as store:
        if measure:
            emit([suggesting.measure(store, review, method.value)], fmt.value)
            return
        found = suggesting.suggestions(store, review, method.value, top)
        if save:
            err.print(store.apply(suggesting.suggestion_batch(review, found)).summary())
    emit([s.row() for s in found], fmt.value, suggesting.SUGGEST_COLUMNS)


@review_app.command("map")
def review_map(
    ctx: typer.Context,
    review: ReviewOpt,
    out: Annotated[Path, typer.Option("--out", help="File to write (.html).")],
):
    """The synthesis map: review findings -> study themes -> studies, with the quotes behind each."""
    from ..maps.html import write_html
    from ..maps.layout import place
    from ..maps.synthesis import build_review

    with ctx.obj.open(read_only=True) as store:
        data = build_review(store, review)
    write_html(place(data), out)
    err.print(f"wrote {out}")



#: The worked review, shipped like the worked example (themegraph/examples links to examples/).
REVIEW_EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "alliance-review"


def review_demo(folder: Path) -> list[Path]:
    """The worked review in a knowledge base of its own in ``folder``: the studies it includes
    (bundles beside it in examples/), the review, its synthesis map and its SoQF as .docx.
    Loading a source again replaces it, so running the demo twice gives the same knowledge base."""
    from ..graph.open import open_store
    from ..loaders.study import read_study
    from ..maps.html import write_html
    from ..maps.layout import place
    from ..maps.synthesis import build_review
    from ..readers.yamlfile import read_yaml
    from ..review.bundle import read_review
    from ..review.docx import write_table_docx
    from ..review.evidence import read_evidence
    from ..review.reports import soqf_table

    folder.mkdir(parents=True, exist_ok=True)
    spec = read_yaml(REVIEW_EXAMPLE / "review.yaml")
    db, page, table = folder / "themegraph.db", folder / "synthesis.html", folder / "soqf.docx"
    with open_store(db=str(db)) as store:
        for entry in spec["studies"]:
            store.apply(read_study(REVIEW_EXAMPLE.parent / entry["study"]))
        err.print(store.apply(read_review(REVIEW_EXAMPLE, store)).summary())
        write_html(place(build_review(store, spec["id"])), page)
        evidence = read_evidence(store, spec["id"])
    write_table_docx(table, f"Summary of qualitative findings: {evidence.title}", evidence.question or "",
                     *soqf_table(evidence))
    return [db, page, table]
