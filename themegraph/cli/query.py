"""``themegraph query``: list, show and run the named queries."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..output import Format, emit
from .common import FormatOpt, ParamOpt, err, parse_params, query_app


@query_app.command("list")
def query_list(fmt: FormatOpt = Format.table):
    """List the named queries with the question each answers and its parameters."""
    from ..queries import catalog

    rows = [q.describe() for q in catalog.catalog().values()]
    if fmt is not Format.json:
        rows = [{**r, "params": [f"{p['name']}={json.dumps(p['default'])}" for p in r["params"]]} for r in rows]
    emit(rows, fmt, ["name", "question", "params", "columns"])


@query_app.command("show")
def query_show(name: Annotated[str, typer.Argument(help="Query name (see `query list`).")]):
    """Print a named query: its header and Cypher."""
    from ..queries import catalog

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
    from ..output import write_file
    from ..queries import catalog

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
