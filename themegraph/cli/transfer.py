"""Whole-graph and per-study files out and in: JSON Lines dumps, REFI-QDA, GraphML, store-to-store copy."""

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import progress
from ..errors import ThemeGraphError
from ..graph.open import open_store
from .common import Reporting, StudyOpt, app, err, export_app, import_app, read_each, rows_in, warn


@export_app.command("jsonl")
def export_jsonl(ctx: typer.Context, folder: Annotated[Path, typer.Argument(help="Folder to write the dump into.")]):
    """Dump the whole knowledge base, losslessly, as JSON Lines (one file per kind)."""
    from ..exports.transfer import write_jsonl

    with ctx.obj.open(read_only=True) as store:
        with progress.track(f"exporting to {folder}", rows_in(store), console=err):
            counts = write_jsonl(Reporting(store), folder)  # the bar counts rows read; the files are written after
    err.print(f"wrote {sum(counts.values())} rows to {folder}")


@import_app.command("jsonl")
def import_jsonl(ctx: typer.Context, folder: Annotated[Path, typer.Argument(help="A folder written by export jsonl.")]):
    """Restore a JSON Lines dump into an empty knowledge base (all or nothing)."""
    from ..exports.transfer import read_jsonl, restore

    nodes, rels = read_each([folder], read_jsonl)[0]
    size = sum(len(rows) for rows in nodes.values()) + sum(len(rows) for rows in rels.values())
    with ctx.obj.open() as store, progress.track(f"restoring {folder}", size, console=err):
        report = restore(Reporting(store), nodes, rels)
    err.print(f"restored {sum(report.written.values())} rows from {folder}")


@app.command()
def copy(
    ctx: typer.Context,
    to: Annotated[Optional[str], typer.Option("--to", help="Neo4j URI to copy this embedded knowledge base into.")] = None,
    from_: Annotated[
        Optional[str], typer.Option("--from", help="Neo4j URI to copy from, into this embedded knowledge base.")
    ] = None,
):
    """Copy a whole knowledge base between the embedded store and Neo4j; verify counts and queries."""
    from ..exports.transfer import copy as copy_all
    from ..queries import catalog

    if bool(to) == bool(from_):
        raise typer.BadParameter("give exactly one of --to URI or --from URI")
    embedded = open_store(db=ctx.obj.db or os.environ.get("THEMEGRAPH_DB") or "themegraph.db", read_only=bool(to))
    with embedded, open_store(neo4j=to or from_) as server:
        source, target = (embedded, server) if to else (server, embedded)
        with progress.track("copying (rows read, then written)", 2 * rows_in(source), console=err):
            report = copy_all(Reporting(source), Reporting(target))
        differ = [n for n in catalog.catalog() if catalog.run(source, n) != catalog.run(target, n)]
    err.print(f"copied {sum(report.written.values())} rows; counts equal")
    if differ:
        raise ThemeGraphError(f"the copy answers these queries differently: {', '.join(differ)}")
    err.print(f"all {len(catalog.catalog())} named queries give identical answers on both stores")


def _export_refi(ctx: typer.Context, write, file: Path, study: str) -> None:
    """Write a study with ``write`` (export_qdc or export_qdpx) and say what the format left out."""
    with ctx.obj.open(read_only=True) as store, progress.track(f"exporting {study}", None, console=err):
        warnings = write(Reporting(store), study, file)  # the bar counts the rows read
    warn(warnings)
    err.print(f"wrote {file}")


@export_app.command("qdc")
def export_qdc_cmd(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="The .qdc file to write.")],
                   study: StudyOpt):
    """Write a study's codebook as a standard REFI-QDA codebook (.qdc)."""
    from ..exports.refi import export_qdc

    _export_refi(ctx, export_qdc, file, study)


@export_app.command("qdpx")
def export_qdpx_cmd(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="The .qdpx file to write.")],
                    study: StudyOpt):
    """Write a study (codebook, documents, coded extracts, cases, memos) as a REFI-QDA project."""
    from ..exports.refi import export_qdpx

    _export_refi(ctx, export_qdpx, file, study)


@export_app.command("graphml")
def export_graphml(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The .graphml file to write.")],
    study: Annotated[Optional[str], typer.Option("--study", help="Only this study's nodes.")] = None,
):
    """Write the graph (or one study) as GraphML for Gephi or Cytoscape."""
    from ..exports.graphml import write_graphml

    with ctx.obj.open(read_only=True) as store, progress.track(f"exporting to {file.name}", None, console=err):
        write_graphml(Reporting(store), file, study=study)  # the bar counts the rows read
    err.print(f"wrote {file}")
