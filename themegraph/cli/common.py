"""What every command shares: the typer apps, the global store options, output and option types,
parameter parsing, and handing a batch to the store."""

import json
import re
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from typer.core import TyperGroup

from .. import progress
from ..errors import StoreError
from ..graph.open import open_store
from ..graph.store import Store
from ..graph.writer import KEEP, PREFER_NEW, STRICT
from ..output import Format

app = typer.Typer(
    help="ThemeGraph: a qualitative study and its literature as a graph knowledge base.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # click's plain help, not Typer's rich panels: these import rich.markdown, markdown-it and
    # pygments, 0.2 s of CPU on every --help and usage error (0.55 -> 0.35 s for `themegraph
    # --help`, measured), and read "[env THEMEGRAPH_DB; ...]" in a help text as markup, dropping it
    rich_markup_mode=None,
)


class LoadGroup(TyperGroup):
    """``load NAME ...`` runs the loader NAME; ``load FILE...`` (no loader of that name) is
    ``load files FILE...``, which recognises each file by its content."""

    def resolve_command(self, ctx, args):
        first = args[0] if args else ""
        looks_like_a_file = Path(first).exists() or "." in first or "/" in first  # else a mistyped command
        if first and not first.startswith("-") and first not in self.commands and looks_like_a_file:
            args = ["files", *args]
        return super().resolve_command(ctx, args)


load_app = typer.Typer(cls=LoadGroup, help="Load sources into the knowledge base: `load FILE...` recognises "
                       "each file; `load NAME FILE` names the kind.", no_args_is_help=True)
app.add_typer(load_app, name="load")


query_app = typer.Typer(help="Named literature-review and analysis queries.", no_args_is_help=True)
app.add_typer(query_app, name="query")


export_app = typer.Typer(help="Write the knowledge base (or part of it) to files.", no_args_is_help=True)
app.add_typer(export_app, name="export")


import_app = typer.Typer(help="Read a whole knowledge base back from files.", no_args_is_help=True)
app.add_typer(import_app, name="import")


err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)  # "study:x: valid" is no :x: emoji


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
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every warning, not three of each kind.")] = False,
):
    """Global options choose the store: embedded Ladybug (default) or Neo4j."""
    if db and neo4j:
        raise typer.BadParameter("give --db or --neo4j, not both")
    ctx.obj = Target(db, neo4j)
    progress.set_quiet(quiet)
    _shown["verbose"] = verbose


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


def apply_batch(target: Target, batch, *, dry_run: bool = False, force: bool = False,
                policy: str = KEEP, also: tuple = ()) -> None:
    """Hand a validated batch (and the ``also`` batches it needs, in the same transaction) to the
    store, or only report it, for --dry-run.  Values that disagree with another source's are
    reported as warnings and settled by ``policy`` (see ``policy_of``)."""
    batches = [*also, batch]
    if dry_run:
        for b in batches:
            counts = ", ".join(f"{n} {k}" for k, n in sorted(b.counts().items()))
            err.print(f"{b.source}: valid ({counts}); nothing written (--dry-run)")
        return
    size = sum(b.size() for b in batches)
    with target.open() as store, progress.track(f"writing {batch.source}", size, console=err):
        reports = store.apply_many(batches, force=force, policy=policy)
    for report in reports:
        print_report(report)


def apply_one(store: Store, batch, **options):
    """``store.apply(batch)`` for a command that holds the store open, under a bar of the batch's
    rows (the writer reports them as it writes)."""
    with progress.track(f"writing {batch.source}", batch.size(), console=err):
        return store.apply(batch, **options)


def bytes_in(path: Path) -> int:
    """Bytes of a file, or of every file in a folder (0 if missing: its reader will say so)."""
    from ..readers.digest import files_of

    return sum(f.stat().st_size for f in files_of(path) if f.is_file())


def read_each(paths: list[Path], read, sizes: list[int] | None = None) -> list:
    """``read(path)`` of each path in turn, under one bar of their bytes (``sizes``, by default the
    paths' own) that moves as each is read: readers parse a whole file at a time, and one that
    reports bytes as it goes (``progress.advance``) moves it sooner."""
    sizes = sizes or [bytes_in(p) for p in paths]
    names = ", ".join(Path(p).name for p in paths) if len(paths) <= 3 else f"{len(paths)} files"
    results, done = [], 0
    with progress.track(f"reading {names}", sum(sizes), "bytes", console=err) as bar:
        for path, size in zip(paths, sizes):
            results.append(read(path))
            done += size
            bar.reach(done)
    return results


def rows_in(store: Store) -> int:
    """Every node and relation of the store: what a whole dump or copy reads."""
    counts = store.counts()
    return sum(counts["nodes"].values()) + sum(counts["relationships"].values())


class Reporting:
    """A store whose reads and writes report their rows to the open progress bar: exports, maps and
    restores read and write through ``query`` and ``write_rows`` and so move a bar without knowing
    of it.  Everything else is the store's own."""

    def __init__(self, store: Store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def query(self, cypher: str, params: dict | None = None) -> list[dict]:
        rows = self._store.query(cypher, params)
        progress.advance(len(rows))
        return rows

    def write_rows(self, fn, rows: int = 0):
        return self._store.write_rows(lambda ops: fn(_ReportingOps(ops)), rows)


class _ReportingOps:
    """Write operations (``writer.WriteOps``) that report the rows they insert."""

    def __init__(self, ops):
        self._ops = ops

    def __getattr__(self, name):
        return getattr(self._ops, name)

    def insert_nodes(self, kind, rows: list[dict]) -> None:
        self._ops.insert_nodes(kind, rows)
        progress.advance(len(rows))

    def insert_rels(self, rel, src: str, dst: str, segments: list[tuple[list[dict], dict]]) -> None:
        self._ops.insert_rels(rel, src, dst, segments)
        progress.advance(sum(len(rows) for rows, _ in segments))


def print_report(report, extra: str = "") -> None:
    """What a load did, on stderr: its conflicts as warnings, then its summary."""
    warn([c.describe() for c in report.conflicts])
    err.print(report.summary() + extra)


def input_digest(paths: list[Path], *options) -> str | None:
    """The digest of a load's files and options (``readers.digest``), or None when a file is
    missing: the reader then says so, naming it."""
    from ..readers.digest import digest

    return digest(paths, *options) if all(Path(p).exists() for p in paths) else None


def unchanged(store: Store, source: str, digest: str | None, force: bool) -> bool:
    """True (and said) when the last load of ``source`` read the same files with the same
    options: nothing needs parsing or writing."""
    if force or digest is None or store.digest_of(source) != digest:
        return False
    err.print(f"{source}: unchanged since the last load (same files, same options); nothing read or written")
    return True


def skip_unchanged(target: Target, source: str | None, digest: str | None, force: bool) -> bool:
    """``unchanged`` asked of a read-only open, before anything is parsed (no knowledge base yet:
    not unchanged)."""
    if force or not source or digest is None:
        return False
    try:
        with target.open(read_only=True) as store:
            return unchanged(store, source, digest, force)
    except StoreError:
        return False


PreferNewOpt = Annotated[bool, typer.Option(
    "--prefer-new", help="Where another source gave a different value, store this load's (default: keep the earlier).")]


def policy_of(prefer_new: bool, strict: bool) -> str:
    """The conflict policy the options ask for (``--strict`` wins: a conflict is an error)."""
    return STRICT if strict else PREFER_NEW if prefer_new else KEEP


ForceOpt = Annotated[bool, typer.Option("--force", help="Rewrite even if the source is unchanged since its last load.")]


StudyOpt = Annotated[str, typer.Option("--study", help="Study id the project's nodes belong to (a slug).")]


DepthOpt = Annotated[
    Optional[int], typer.Option("--theme-depth", help="Tree depth where codes end and themes begin (default: leaves are codes).")
]


#: How many warnings of one kind are shown without --verbose.
SHOWN_PER_KIND = 3
_shown = {"verbose": False}


def warning_kind(warning: str) -> str:
    """What a warning says, without where (the text before the first ': ') nor the values in it
    (quoted text and numbers): 'refs.ris, record 9: keyword 'x' ...' and 'refs.ris, record 12:
    keyword 'y' ...' are one kind."""
    _, sep, message = warning.partition(": ")
    return re.sub(r"\d[\d,.]*", "#", re.sub(r"'[^']*'|\"[^\"]*\"", "…", message if sep else warning))


def summarise(warnings: list[str], verbose: bool = False) -> list[str]:
    """The lines to print: every warning with ``verbose``; otherwise, kind by kind in order of first
    appearance, the first ``SHOWN_PER_KIND`` of each and a count of the rest."""
    if verbose:
        return [f"Warning: {w}" for w in warnings]
    kinds: dict[str, list[str]] = {}
    for w in warnings:
        kinds.setdefault(warning_kind(w), []).append(w)
    lines = []
    for same in kinds.values():
        lines += [f"Warning: {w}" for w in same[:SHOWN_PER_KIND]]
        if len(same) > SHOWN_PER_KIND:
            lines.append(f"Warning: ... and {len(same) - SHOWN_PER_KIND:,} more like this; --verbose lists them")
    return lines


def warn(warnings: list[str]) -> None:
    """Print warnings to stderr, repeated ones counted (see ``summarise``)."""
    for line in summarise(warnings, _shown["verbose"]):
        err.print(line, markup=False)
