"""``themegraph query``: list, show and run the named queries."""

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..output import Format, emit
from .common import FormatOpt, ParamOpt, err, query_app


@query_app.command("list")
def query_list(fmt: FormatOpt = Format.table):
    """List the named queries with the question each answers and its parameters."""
    from ..queries import catalog

    rows = [q.describe() for q in catalog.catalog().values()]
    if fmt is not Format.json:
        rows = [
            {**r, "params": [f"{p['name']}: {p['type']} = {json.dumps(p['default'])}" for p in r["params"]]}
            for r in rows
        ]
    emit(rows, fmt, ["name", "question", "params", "columns"])


@query_app.command("show")
def query_show(name: Annotated[str, typer.Argument(help="Query name (see `query list`).")]):
    """Print a named query: its header and Cypher, with the schema's relation types filled in."""
    from ..queries import catalog

    sys.stdout.write(catalog.show(name))


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
    """Run a named query with parameters and print (or save) its rows.

    Each -p value is read as the parameter's declared type (see `query list`); list parameters
    take commas or a repeated -p; enumerations take any case.
    """
    from ..output import check_suffix, write_file
    from ..queries import catalog

    query = catalog.get(name)
    if out:
        check_suffix(out)
    bound = query.bind_text(text_params(param))  # unknown or ill-typed values fail before the store opens
    with ctx.obj.open(read_only=True) as store:
        rows = catalog.run(store, name, bound=bound)
        why = catalog.explain_empty(store, name, bound) if not rows else None
    if out:
        write_file(rows, out, list(query.columns))
        err.print(f"wrote {len(rows)} rows to {out}", markup=False)
    else:
        emit(rows, fmt, list(query.columns))
    if why:
        err.print(why, markup=False)


def text_params(pairs: list[str] | None) -> dict[str, list[str]]:
    """``key=value`` options as each key's texts, in order (a key may repeat); never decoded here."""
    given: dict[str, list[str]] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected key=value, got {pair!r}", param_hint="--param")
        given.setdefault(key.strip(), []).append(value)
    return given
