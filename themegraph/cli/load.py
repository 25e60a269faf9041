"""``themegraph load`` of study bundles and CAQDAS projects (REFI-QDA .qdpx and .qdc)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import DepthOpt, ForceOpt, StudyOpt, apply_batch, load_app, warn


@load_app.command("study")
def load_study(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="A study bundle folder (see docs/study-bundle.md).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")] = False,
    force: ForceOpt = False,
):
    """Validate a study bundle and load it, replacing what that study loaded before."""
    from ..loaders.study import read_study

    apply_batch(ctx.obj, read_study(folder), dry_run=dry_run, force=force)


def _load_refi(ctx: typer.Context, read, file: Path, study: str, theme_depth: int | None, force: bool) -> None:
    """Read a REFI-QDA file with ``read`` (qdpx_batch or qdc_batch), say what was odd, load it."""
    batch, warnings = read(file, study, theme_depth=theme_depth)
    warn(warnings)
    apply_batch(ctx.obj, batch, force=force)


@load_app.command("qdpx")
def load_qdpx(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A REFI-QDA project (.qdpx).")],
              study: StudyOpt, theme_depth: DepthOpt = None, force: ForceOpt = False):
    """Import a REFI-QDA project: code tree, cases, sources, coded selections, memos, sets, links."""
    from ..loaders.refi import qdpx_batch

    _load_refi(ctx, qdpx_batch, file, study, theme_depth, force)


@load_app.command("qdc")
def load_qdc(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A REFI-QDA codebook (.qdc).")],
             study: StudyOpt, theme_depth: DepthOpt = None, force: ForceOpt = False):
    """Import a REFI-QDA codebook (.qdc) into a study."""
    from ..loaders.refi import qdc_batch

    _load_refi(ctx, qdc_batch, file, study, theme_depth, force)


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
