"""Commands that look at a knowledge base: stats, cypher, schema, sources, drop, check."""

import json
import re
import sys
from typing import Annotated, Optional

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
        try:
            rows = store.query(query, params)
        except ThemeGraphError as exc:
            hint = dialect_hint(store.name, query, str(exc))
            raise ThemeGraphError(f"{exc}{hint}") from None
        columns = list(rows[0]) if rows else store.columns_of(query, params)
    emit(rows, fmt, columns)


#: Neo4j functions the embedded store spells differently, and what to write instead.
LADYBUG_SPELLINGS = {
    "type": "the embedded store has no type(r): write label(r), or r.kind, which works on both stores",
    "labels": "on the embedded store labels(n) is one label, not a list: write label(n), or n.kind, "
              "which works on both stores",
    "elementid": "the embedded store has no elementId(n): write id(n), or n.id, which works on both stores",
}
_CALL = re.compile(r"\b(type|labels|elementId)\s*\(", re.IGNORECASE)
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def dialect_hint(store_name: str, query: str, message: str) -> str:
    """For a query the embedded store refused: what to write instead of the Neo4j functions
    it uses (outside string literals) and the error names, as '; ...' sentences, or ''."""
    if store_name != "ladybug":
        return ""
    used = dict.fromkeys(m.group(1).lower() for m in _CALL.finditer(_STRING.sub("''", query)))
    named = message.upper()
    return "".join(f"; {LADYBUG_SPELLINGS[name]}" for name in used if name.upper() in named)


@app.command("schema")
def schema_cmd(fmt: FormatOpt = Format.table):
    """Print the declared node and relationship kinds with their properties."""
    rows = schema.describe()
    if fmt is not Format.json:
        rows = [{**r, "pairs": r.get("pairs", [])} for r in rows]  # nodes join nothing
    emit(rows, fmt, ["kind", "name", "pairs", "properties", "doc"])


@app.command()
def sources(
    ctx: typer.Context,
    fmt: FormatOpt = Format.table,
    kind: Annotated[Optional[str], typer.Option(
        "--kind", help="Instead, each node of this kind (e.g. Theory) with the sources that assert it, "
        "the one that defined it first.")] = None,
):
    """List every recorded load (source, loader, file, when, rows per kind)."""
    if kind:
        try:
            label = schema.node_kind(kind[:1].upper() + kind[1:]).name
        except ValueError as exc:
            raise ThemeGraphError(str(exc)) from None
        with ctx.obj.open(read_only=True) as store:
            rows = store.query(
                f"MATCH (n:{label}) RETURN n.id AS id, n.name AS name, n.sources AS sources, "
                "n.origin AS origin ORDER BY id"
            )
        emit([{**r, "defined_by": (r["sources"] or [None])[0]} for r in rows], fmt,
             ["id", "name", "defined_by", "sources", "origin"])
        return
    with ctx.obj.open(read_only=True) as store:
        rows = store.sources()
    if fmt is Format.json:  # rows per kind as an object, not as a string of JSON
        rows = [{**r, "counts": json.loads(r["counts"]) if r.get("counts") else {}} for r in rows]
    emit(rows, fmt, ["source", "loader", "path", "loaded_at", "counts"])


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
