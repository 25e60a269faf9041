"""What every command shares: the typer apps, the global store options, output and option types,
parameter parsing, and handing a batch to the store."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.console import Console

from ..graph.open import open_store
from ..graph.store import Store
from ..output import Format

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


StudyOpt = Annotated[str, typer.Option("--study", help="Study id the project's nodes belong to (a slug).")]


DepthOpt = Annotated[
    Optional[int], typer.Option("--theme-depth", help="Tree depth where codes end and themes begin (default: leaves are codes).")
]


def warn(warnings: list[str]) -> None:
    for warning in warnings:
        err.print(f"Warning: {warning}", markup=False)
