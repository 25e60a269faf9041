"""``themegraph load`` of study bundles and CAQDAS projects (REFI-QDA, Taguette, QualCoder, coded
segments), and ``load FILE...``, which recognises each file (loaders/registry.py)."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import (
    DepthOpt,
    ForceOpt,
    PreferNewOpt,
    StudyOpt,
    apply_batch,
    bytes_in,
    err,
    input_digest,
    load_app,
    policy_of,
    read_each,
    skip_unchanged,
    unchanged,
    warn,
)

ParticipantOpt = Annotated[Optional[str], typer.Option(
    "--participant-from", help="How documents map to participants: a regex over document names (its first group, "
    "e.g. '^(P\\d+)_') or a CSV with document and participant columns.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")]
VersionOpt = Annotated[Optional[str], typer.Option(
    "--version", help="Also keep this codebook as version LABEL of the study (see `query run codebook-changes`).")]


def _apply(ctx: typer.Context, result, dry_run: bool, force: bool, version: str | None) -> None:
    """Say what was odd, then write the batch (and its codebook version, in the same transaction)."""
    from ..loaders.versions import snapshot

    warn(result.warnings)
    also = (snapshot(result.batch, version),) if version else ()
    apply_batch(ctx.obj, result.batch, dry_run=dry_run, force=force, also=also)


@load_app.command("study")
def load_study(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="A study bundle folder (see docs/study-bundle.md).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")] = False,
    force: ForceOpt = False,
    theories: Annotated[Optional[Path], typer.Option(
        "--theories", help="A shared theories.yaml that findings may point at (loaded as its own source).")] = None,
    prefer_new: PreferNewOpt = False,
    strict: Annotated[bool, typer.Option("--strict", help="A value that conflicts with another source's is an error.")] = False,
):
    """Validate a study bundle and load it, replacing what that study loaded before.

    Findings may point at theories and constructs the bundle does not define: ones already in
    the knowledge base, or in a shared file given with --theories."""
    from ..loaders.study import read_study, read_theories_file, study_source

    source = study_source(folder)
    digest = input_digest([folder, *([theories] if theories else [])], "study", prefer_new) if source else None
    if not dry_run and skip_unchanged(ctx.obj, source, digest, force):
        return
    also = (read_theories_file(theories),) if theories else ()
    batch = read_each([folder], read_study)[0]
    batch.digest = digest
    apply_batch(ctx.obj, batch, dry_run=dry_run, force=force, policy=policy_of(prefer_new, strict), also=also)


@load_app.command("qdpx")
def load_qdpx(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A REFI-QDA project (.qdpx).")],
              study: StudyOpt, theme_depth: DepthOpt = None, participant_from: ParticipantOpt = None,
              version: VersionOpt = None, force: ForceOpt = False):
    """Import a REFI-QDA project: code tree, cases, sources, coded selections, memos, sets, links."""
    _run(ctx, "qdpx", file, False, force, version, study=study, theme_depth=theme_depth,
         participant_from=participant_from)


@load_app.command("qdc")
def load_qdc(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A REFI-QDA codebook (.qdc).")],
             study: StudyOpt, theme_depth: DepthOpt = None, version: VersionOpt = None, force: ForceOpt = False):
    """Import a REFI-QDA codebook (.qdc) into a study."""
    _run(ctx, "qdc", file, False, force, version, study=study, theme_depth=theme_depth)


@load_app.command("review")
def load_review(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="A review bundle folder (see docs/review-bundle.md).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")] = False,
    force: ForceOpt = False,
):
    """Validate a review bundle against the loaded studies and load it, replacing what it loaded before."""
    from .review import load_review_bundle

    load_review_bundle(ctx.obj, folder, dry_run=dry_run, force=force)


def _run(ctx: typer.Context, name: str, file: Path, dry_run: bool, force: bool, version: str | None,
         **options) -> None:
    """Load ``file`` with the registry's loader ``name`` and write it, unless the last load of its
    source read the same bytes with the same options (then nothing is parsed)."""
    from ..loaders.registry import LOADERS

    loader = LOADERS[name]
    options = {k: v for k, v in options.items() if v is not None}
    source, digest = _source_digest(loader, file, options, version)
    if not dry_run and skip_unchanged(ctx.obj, source, digest, force):
        return
    result = read_each([file], lambda f: loader.load(f, **options), [_bytes_read(loader, file, options)])[0]
    result.batch.digest = digest
    _apply(ctx, result, dry_run, force, version)


def _bytes_read(loader, file: Path, options: dict) -> int:
    """What a load reads, in bytes: its input (a QualCoder project: its database, not its media)
    and a participant table."""
    return sum(bytes_in(p) for p in loader.inputs(file, **options))


def _source_digest(loader, file: Path, options: dict, version: str | None) -> tuple[str | None, str | None]:
    """The source a load of ``file`` writes and the digest of the files it reads and its options,
    or (None, None) when the source is not known before reading (a paper).  A study bundle or a
    reference file given without options gets the digest `load study` / `load refs` record, so
    either command recognises what the other loaded."""
    source = loader.source_of(file, options.get("study"))
    if source is None:
        return None, None
    versioned = (("version", version),) if version else ()
    return source, input_digest(loader.inputs(file, **options), loader.name, False, *loader.settings(options),
                                *versioned)


@load_app.command("taguette")
def load_taguette(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Taguette's project database (.sqlite3), highlights export "
                                              "(.csv/.xlsx) or codebook (.qdc).")],
    study: StudyOpt,
    participant_from: ParticipantOpt = None,
    tag_separator: Annotated[str, typer.Option("--tag-separator", help="What splits a tag path into levels "
                                                                      "('' for none).")] = ".",
    project: Annotated[Optional[str], typer.Option("--project", help="Project id or name, if the database holds several.")] = None,
    version: VersionOpt = None,
    dry_run: DryRunOpt = False,
    force: ForceOpt = False,
):
    """Import a Taguette analysis: documents, every highlight with its tags, tag descriptions (docs/taguette.md)."""
    _run(ctx, "taguette", file, dry_run, force, version, study=study, participant_from=participant_from,
         tag_separator=tag_separator, project=project)


@load_app.command("qualcoder")
def load_qualcoder(
    ctx: typer.Context,
    project: Annotated[Path, typer.Argument(help="A QualCoder project folder (NAME.qda) or its data.qda.")],
    study: StudyOpt,
    participant_from: ParticipantOpt = None,
    version: VersionOpt = None,
    dry_run: DryRunOpt = False,
    force: ForceOpt = False,
):
    """Import a QualCoder project: files, cases, categories and codes, coded segments, coders, memos (docs/qualcoder.md)."""
    _run(ctx, "qualcoder", project, dry_run, force, version, study=study, participant_from=participant_from)


@load_app.command("segments")
def load_segments(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A coded-segments export (.csv or .xlsx).")],
    study: StudyOpt,
    tool: Annotated[Optional[str], typer.Option("--format", help="maxqda, nvivo or atlas (default: told by the header).")] = None,
    participant_from: ParticipantOpt = None,
    version: VersionOpt = None,
    dry_run: DryRunOpt = False,
    force: ForceOpt = False,
):
    """Import coded segments exported by MAXQDA, NVivo or ATLAS.ti (docs/segments.md)."""
    _run(ctx, "segments", file, dry_run, force, version, study=study, participant_from=participant_from, format=tool)


@load_app.command("files")
def load_files(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Files or folders of any kind ThemeGraph reads.")],
    study: Annotated[Optional[str], typer.Option("--study", help="Study id for projects, exports and papers.")] = None,
    participant_from: ParticipantOpt = None,
    theme_depth: DepthOpt = None,
    version: VersionOpt = None,
    dry_run: DryRunOpt = False,
    force: ForceOpt = False,
):
    """Load files of any kind, each recognised by its content (also `themegraph load FILE...`).

    Says what it took each file for, reads them all, then writes each as its own atomic load."""
    from ..errors import ThemeGraphError
    from ..loaders.registry import recognise
    from ..readers.works import EXISTING_WORKS_QUERY

    given = {"study": study, "participant_from": participant_from, "theme_depth": theme_depth}
    todo = []
    for file in files:
        loader, what = recognise(file)
        err.print(f"{file}: {what} (load {loader.name})", markup=False)
        options = {k: v for k, v in given.items() if k in (*loader.options, "study") and v is not None}
        if loader.name in ("study", "refs"):
            options.pop("study", None)
        todo.append((file, loader, options, *_source_digest(loader, file, options, version)))
    skip, existing = set(), None
    if not dry_run and any(source or loader.matches_existing for _, loader, _, source, _ in todo):
        try:
            with ctx.obj.open(read_only=True) as store:
                skip = {file for file, _, _, source, digest in todo if unchanged(store, source, digest, force)}
                if any(loader.matches_existing for _, loader, _, _, _ in todo):
                    existing = store.query(EXISTING_WORKS_QUERY)
        except ThemeGraphError:  # no knowledge base yet: nothing stored (a real fault shows when writing)
            pass
    reads = {file: (loader, options, digest) for file, loader, options, _, digest in todo if file not in skip}

    def read(file: Path):
        loader, options, digest = reads[file]
        if loader.matches_existing:
            options["existing"] = existing
        result = loader.load(file, **options)
        result.batch.digest = digest
        return result

    sizes = [_bytes_read(loader, file, options) for file, (loader, options, _) in reads.items()]
    for result in read_each(list(reads), read, sizes):
        _apply(ctx, result, dry_run, force, version)
