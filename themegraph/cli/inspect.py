"""Commands that look at a knowledge base: stats, cypher, schema, sources, drop, check."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from ..errors import ThemeGraphError
from ..graph import schema
from ..output import Format, emit
from .common import FormatOpt, ParamOpt, app, err, parse_params


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


@app.command()
def check(ctx: typer.Context, fmt: FormatOpt = Format.table):
    """Check integrity: provenance, counts per load, study scope, orphans. Exit 1 on a failure."""
    from ..graph.check import passed, run_checks

    with ctx.obj.open(read_only=True) as store:
        results = run_checks(store)
    emit(results, fmt, ["check", "status", "count", "detail"])
    if not passed(results):
        raise ThemeGraphError("integrity check failed (see the FAIL rows above)")
