"""The ``themegraph`` command line: a thin layer over loaders, stores, queries and maps.

Data goes to stdout, messages to stderr.  Errors a user can act on print ``Error: ...`` and exit
1; usage errors exit 2 (typer/click's convention).
"""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from .errors import InputError, ThemeGraphError
from .graph import schema
from .graph.store import Store, open_store
from .output import Format, emit

app = typer.Typer(
    help="ThemeGraph: a qualitative study and its literature as a graph knowledge base.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
load_app = typer.Typer(help="Load sources into the knowledge base.", no_args_is_help=True)
app.add_typer(load_app, name="load")
query_app = typer.Typer(help="Named literature-review and analysis queries.", no_args_is_help=True)
app.add_typer(query_app, name="query")
export_app = typer.Typer(help="Write the knowledge base (or part of it) to files.", no_args_is_help=True)
app.add_typer(export_app, name="export")
import_app = typer.Typer(help="Read a whole knowledge base back from files.", no_args_is_help=True)
app.add_typer(import_app, name="import")

err = Console(stderr=True, highlight=False, soft_wrap=True)

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
ParamOpt = Annotated[
    Optional[list[str]], typer.Option("--param", "-p", help="Query parameter as key=value (repeatable).")
]


class Target:
    """Which store the global options point at; opened lazily by each command."""

    def __init__(self, db: str | None, neo4j: str | None):
        self.db, self.neo4j = db, neo4j

    def open(self, *, read_only: bool = False) -> Store:
        return open_store(self.db, self.neo4j, read_only=read_only)


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[
        Optional[str], typer.Option("--db", help="Embedded database path [env THEMEGRAPH_DB; default ./themegraph.db].")
    ] = None,
    neo4j: Annotated[
        Optional[str],
        typer.Option("--neo4j", help="Neo4j URI, e.g. bolt://127.0.0.1:7687 [env NEO4J_URI]; credentials from env."),
    ] = None,
):
    """Global options choose the store: embedded Ladybug (default) or Neo4j."""
    if db and neo4j:
        raise typer.BadParameter("give --db or --neo4j, not both")
    ctx.obj = Target(db, neo4j)


def parse_params(pairs: list[str] | None) -> dict:
    """``key=value`` pairs; values that read as JSON (numbers, true, lists) are typed."""
    params = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected key=value, got {pair!r}", param_hint="--param")
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


@app.command()
def stats(ctx: typer.Context, fmt: FormatOpt = Format.table):
    """Count nodes per kind and relationships per type (every declared kind, zeros included)."""
    with ctx.obj.open(read_only=True) as store:
        counts = store.counts()
    if fmt is Format.json:
        sys.stdout.write(json.dumps(counts, indent=2) + "\n")
        return
    rows = [{"kind": "node", "name": k, "count": n} for k, n in counts["nodes"].items()]
    rows += [{"kind": "relationship", "name": k, "count": n} for k, n in counts["relationships"].items()]
    emit(rows, fmt)


@app.command()
def cypher(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="A read-only Cypher query; pass values with -p.")],
    param: ParamOpt = None,
    fmt: FormatOpt = Format.table,
):
    """Run a read-only Cypher query with parameters and print its rows."""
    params = parse_params(param)
    with ctx.obj.open(read_only=True) as store:
        rows = store.query(query, params)
        columns = list(rows[0]) if rows else store.columns_of(query, params)
    emit(rows, fmt, columns)


@app.command("schema")
def schema_cmd(fmt: FormatOpt = Format.table):
    """Print the declared node and relationship kinds with their properties."""
    rows = schema.describe()
    if fmt is not Format.json:
        rows = [{**r, "pairs": r.get("pairs", []), "properties": r["properties"]} for r in rows]
    emit(rows, fmt, ["kind", "name", "pairs", "properties", "doc"])


@app.command()
def sources(ctx: typer.Context, fmt: FormatOpt = Format.table):
    """List every recorded load (source, loader, file, when, rows per kind)."""
    with ctx.obj.open(read_only=True) as store:
        emit(store.sources(), fmt, ["source", "loader", "path", "loaded_at", "counts"])


@app.command()
def drop(ctx: typer.Context, source: Annotated[str, typer.Argument(help="Source name, as `sources` lists it.")]):
    """Remove everything one source contributed."""
    with ctx.obj.open() as store:
        if not any(s["source"] == source for s in store.sources()):
            raise ThemeGraphError(f"no source named {source!r} (see `themegraph sources`)")
        err.print(store.drop_source(source).summary())


def apply_batch(target: Target, batch, *, dry_run: bool = False, force: bool = False) -> None:
    """Hand a validated batch to the store (or only report it, for --dry-run)."""
    counts = ", ".join(f"{n} {k}" for k, n in sorted(batch.counts().items()))
    if dry_run:
        err.print(f"{batch.source}: valid ({counts}); nothing written (--dry-run)")
        return
    with target.open() as store:
        report = store.apply(batch, force=force)
    err.print(report.summary())


ForceOpt = Annotated[bool, typer.Option("--force", help="Rewrite even if the source is unchanged since its last load.")]


@load_app.command("study")
def load_study(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="A study bundle folder (see docs/study-bundle.md).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")] = False,
    force: ForceOpt = False,
):
    """Validate a study bundle and load it, replacing what that study loaded before."""
    from .loaders.study import read_study

    apply_batch(ctx.obj, read_study(folder), dry_run=dry_run, force=force)


@query_app.command("list")
def query_list(fmt: FormatOpt = Format.table):
    """List the named queries with the question each answers and its parameters."""
    from .queries import catalog

    rows = [q.describe() for q in catalog.catalog().values()]
    if fmt is not Format.json:
        rows = [{**r, "params": [f"{p['name']}={json.dumps(p['default'])}" for p in r["params"]]} for r in rows]
    emit(rows, fmt, ["name", "question", "params", "columns"])


@query_app.command("show")
def query_show(name: Annotated[str, typer.Argument(help="Query name (see `query list`).")]):
    """Print a named query: its header and Cypher."""
    from .queries import catalog

    sys.stdout.write(catalog.get(name).path.read_text(encoding="utf-8"))


@query_app.command("run")
def query_run(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Query name (see `query list`).")],
    param: ParamOpt = None,
    fmt: FormatOpt = Format.table,
    out: Annotated[
        Optional[Path], typer.Option("--out", help="Write to a file instead: .csv, .json, .md or .xlsx.")
    ] = None,
):
    """Run a named query with parameters and print (or save) its rows."""
    from .output import write_file
    from .queries import catalog

    query = catalog.get(name)
    params = {k: v for k, v in parse_params(param).items()}
    query.bind(params)  # unknown or ill-typed parameters fail before the store is opened
    with ctx.obj.open(read_only=True) as store:
        rows = catalog.run(store, name, params)
    if out:
        write_file(rows, out, list(query.columns))
        err.print(f"wrote {len(rows)} rows to {out}")
    else:
        emit(rows, fmt, list(query.columns))


@app.command()
def check(ctx: typer.Context, fmt: FormatOpt = Format.table):
    """Check integrity: provenance, counts per load, study scope, orphans. Exit 1 on a failure."""
    from .graph.check import passed, run_checks

    with ctx.obj.open(read_only=True) as store:
        results = run_checks(store)
    emit(results, fmt, ["check", "status", "count", "detail"])
    if not passed(results):
        raise ThemeGraphError("integrity check failed (see the FAIL rows above)")


@export_app.command("jsonl")
def export_jsonl(ctx: typer.Context, folder: Annotated[Path, typer.Argument(help="Folder to write the dump into.")]):
    """Dump the whole knowledge base, losslessly, as JSON Lines (one file per kind)."""
    from .graph.transfer import write_jsonl

    with ctx.obj.open(read_only=True) as store:
        counts = write_jsonl(store, folder)
    err.print(f"wrote {sum(counts.values())} rows to {folder}")


@import_app.command("jsonl")
def import_jsonl(ctx: typer.Context, folder: Annotated[Path, typer.Argument(help="A folder written by export jsonl.")]):
    """Restore a JSON Lines dump into an empty knowledge base (all or nothing)."""
    from .graph.transfer import read_jsonl, restore

    nodes, rels = read_jsonl(folder)
    with ctx.obj.open() as store:
        report = restore(store, nodes, rels)
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
    from .graph.transfer import copy as copy_all
    from .queries import catalog

    if bool(to) == bool(from_):
        raise typer.BadParameter("give exactly one of --to URI or --from URI")
    embedded = open_store(db=ctx.obj.db or os.environ.get("THEMEGRAPH_DB") or "themegraph.db", read_only=bool(to))
    with embedded, open_store(neo4j=to or from_) as server:
        source, target = (embedded, server) if to else (server, embedded)
        report = copy_all(source, target)
        differ = [n for n in catalog.catalog() if catalog.run(source, n) != catalog.run(target, n)]
    err.print(f"copied {sum(report.written.values())} rows; counts equal")
    if differ:
        raise ThemeGraphError(f"the copy answers these queries differently: {', '.join(differ)}")
    err.print(f"all {len(catalog.catalog())} named queries give identical answers on both stores")


def _read_refs(files: list[Path], strict: bool):
    """Reference records of several files, problems reported (fatal with --strict), merged."""
    from .loaders.references import merge_works, read_references

    works = []
    for file in files:
        found, problems = read_references(file, strict=strict)
        _warn(problems)
        works += found
    return merge_works(works)


@load_app.command("refs")
def load_refs(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="BibTeX, RIS or CSL-JSON files (format from extension and content).")],
    strict: Annotated[bool, typer.Option("--strict", help="Any unreadable record is fatal.")] = False,
    force: ForceOpt = False,
):
    """Load reference files as works and authors; the same work from several files is one Work."""
    from .graph.batch import Batch
    from .loaders.references import EXISTING_WORKS_QUERY, add_works, match_existing

    works = _read_refs(files, strict)
    source = "refs:" + ",".join(sorted(f.name for f in files))
    batch = Batch(source, path=", ".join(str(f) for f in files), loader="refs")
    with ctx.obj.open() as store:
        matched = match_existing(works, store.query(EXISTING_WORKS_QUERY))
        add_works(batch, works)
        err.print(store.apply(batch, force=force).summary()
                  + (f" ({matched} already in the knowledge base)" if matched else ""))


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

    from .loaders.citations import extract_citations
    from .loaders.documents import read_text
    from .loaders.paper import cite_rows
    from .loaders.stance import propose_findings as propose

    text = read_text(paper)
    references = _read_refs(refs, False) if refs else None
    citations = extract_citations(text, references)
    emit(cite_rows(citations), fmt)
    if propose_findings:
        proposed = propose(citations, text)
        propose_findings.write_text(yaml.safe_dump({"findings": proposed}, sort_keys=False, allow_unicode=True),
                                    encoding="utf-8")
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
    """Store each citation of a paper as a Study-CITES->Work edge with sentence, section and stance."""
    from .loaders.paper import paper_batch
    from .loaders.references import EXISTING_WORKS_QUERY, match_existing

    references = _read_refs(refs, False) if refs else None
    with ctx.obj.open() as store:
        if references:
            match_existing(references, store.query(EXISTING_WORKS_QUERY))
        err.print(store.apply(paper_batch(paper, study, references), force=force).summary())


StudyOpt = Annotated[str, typer.Option("--study", help="Study id the project's nodes belong to (a slug).")]
DepthOpt = Annotated[
    Optional[int], typer.Option("--theme-depth", help="Tree depth where codes end and themes begin (default: leaves are codes).")
]


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        err.print(f"Warning: {warning}", markup=False)


def _load_refi(ctx: typer.Context, read, file: Path, study: str, theme_depth: int | None, force: bool) -> None:
    """Read a REFI-QDA file with ``read`` (qdpx_batch or qdc_batch), say what was odd, load it."""
    batch, warnings = read(file, study, theme_depth=theme_depth)
    _warn(warnings)
    apply_batch(ctx.obj, batch, force=force)


@load_app.command("qdpx")
def load_qdpx(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A REFI-QDA project (.qdpx).")],
              study: StudyOpt, theme_depth: DepthOpt = None, force: ForceOpt = False):
    """Import a REFI-QDA project: code tree, cases, sources, coded selections, memos, sets, links."""
    from .loaders.refi import qdpx_batch

    _load_refi(ctx, qdpx_batch, file, study, theme_depth, force)


@load_app.command("qdc")
def load_qdc(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A REFI-QDA codebook (.qdc).")],
             study: StudyOpt, theme_depth: DepthOpt = None, force: ForceOpt = False):
    """Import a REFI-QDA codebook (.qdc) into a study."""
    from .loaders.refi import qdc_batch

    _load_refi(ctx, qdc_batch, file, study, theme_depth, force)


def _export_refi(ctx: typer.Context, write, file: Path, study: str) -> None:
    """Write a study with ``write`` (export_qdc or export_qdpx) and say what the format left out."""
    with ctx.obj.open(read_only=True) as store:
        _warn(write(store, study, file))
    err.print(f"wrote {file}")


@export_app.command("qdc")
def export_qdc_cmd(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="The .qdc file to write.")],
                   study: StudyOpt):
    """Write a study's codebook as a standard REFI-QDA codebook (.qdc)."""
    from .loaders.refi_export import export_qdc

    _export_refi(ctx, export_qdc, file, study)


@export_app.command("qdpx")
def export_qdpx_cmd(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="The .qdpx file to write.")],
                    study: StudyOpt):
    """Write a study (codebook, documents, coded extracts, cases, memos) as a REFI-QDA project."""
    from .loaders.refi_export import export_qdpx

    _export_refi(ctx, export_qdpx, file, study)


class FigureFormat(str, Enum):
    html = "html"
    png = "png"
    svg = "svg"


@app.command("map")
def map_cmd(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="themes, theory, citations or participants.")],
    out: Annotated[Path, typer.Option("--out", help="File to write (.html, or .png/.svg with --format).")],
    study: Annotated[Optional[str], typer.Option("--study", help="Only this study.")] = None,
    theme: Annotated[Optional[str], typer.Option("--theme", help="Only this final theme (id or name).")] = None,
    stance: Annotated[Optional[str], typer.Option("--stance", help="Only supports, extends or challenges links.")] = None,
    fmt: Annotated[FigureFormat, typer.Option("--format", "-f", help="Interactive page or static figure.")] = FigureFormat.html,
    open_: Annotated[bool, typer.Option("--open", help="Open the map in the default browser.")] = False,
):
    """Draw an interactive map (offline HTML) or a static figure of the knowledge base."""
    from .maps import build_map, write_figure, write_html

    with ctx.obj.open(read_only=True) as store:
        try:
            data = build_map(store, kind, study=study, theme=theme, stance=stance)
        except ValueError as exc:
            raise ThemeGraphError(str(exc)) from None
    if fmt is FigureFormat.html:
        write_html(data, out)
    else:
        write_figure(data, out, fmt.value)
    err.print(f"wrote {out}")
    if open_:
        import webbrowser

        webbrowser.open(out.resolve().as_uri())


@export_app.command("graphml")
def export_graphml(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The .graphml file to write.")],
    study: Annotated[Optional[str], typer.Option("--study", help="Only this study's nodes.")] = None,
):
    """Write the graph (or one study) as GraphML for Gephi or Cytoscape."""
    from .maps import write_graphml

    with ctx.obj.open(read_only=True) as store:
        write_graphml(store, file, study=study)
    err.print(f"wrote {file}")


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "mandatory-therapy"


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo database and maps.")] = Path("demo"),
    example: Annotated[Path, typer.Option("--example", help="The study bundle to build from.")] = EXAMPLE,
):
    """Build a fresh embedded knowledge base from the worked example, with its maps."""
    import shutil

    from .loaders.study import read_study

    db = out / "themegraph.db"
    for stale in (db, db.with_name(db.name + ".wal"), db.with_name(db.name + ".lock")):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    out.mkdir(parents=True, exist_ok=True)
    from .maps import KINDS, build_map, write_html

    batch = read_study(example)
    with open_store(db=str(db)) as store:
        err.print(store.apply(batch).summary())
        written = [db]
        for kind in KINDS:
            path = out / f"{kind}.html"
            write_html(build_map(store, kind), path)
            written.append(path)
    err.print("\nWrote:")
    for path in written:
        err.print(f"  {path}")
    err.print("\nTry next:")
    for hint in DEMO_HINTS:
        err.print(f"  {_program()} --db {db} {hint}", markup=False)


def _program() -> str:
    """How to run themegraph again: its name if it is on PATH, else the path it was run by
    (``make demo`` runs .venv/bin/themegraph without activating the virtualenv)."""
    import shutil

    invoked = Path(sys.argv[0])
    on_path = shutil.which("themegraph")
    if invoked.name != "themegraph" or (on_path and Path(on_path).resolve() == invoked.resolve()):
        return "themegraph"
    return os.path.relpath(invoked)


DEMO_HINTS = (
    "stats",
    'query run construct-coverage -p theory=Bordin',
    'query run theory-links -p stance=challenges --format markdown',
    'query run evidence-chain -p node="Dynamics of forced work"',
    'cypher "MATCH (p:Participant)<-[:SPOKEN_BY]-(e:Extract) RETURN p.name AS participant, count(e) AS extracts '
    'ORDER BY extracts DESC LIMIT 5"',
)


def run() -> None:
    """Console-script entry point: ThemeGraph errors become ``Error: ...`` and exit 1.

    Typer's standalone mode already turns usage errors into exit 2 and help into exit 0; any
    other exception escapes it, so the ones users can act on are caught here.
    """
    try:
        app()
    except ThemeGraphError as exc:
        problems = exc.problems if isinstance(exc, InputError) else [str(exc)]
        for problem in problems:
            err.print(f"Error: {problem}", markup=False)
        sys.exit(1)
