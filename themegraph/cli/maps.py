"""``themegraph map``: interactive offline HTML maps and static figures."""

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import progress
from ..errors import ThemeGraphError
from .common import Reporting, app, err


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
    from ..maps import build_map, why_empty, write_figure, write_html

    with progress.track(f"drawing the {kind} map", None, console=err):  # rows read, then time laying out
        with ctx.obj.open(read_only=True) as store:
            try:
                data = build_map(Reporting(store), kind, study=study, theme=theme, stance=stance)
            except ValueError as exc:
                raise ThemeGraphError(str(exc)) from None
            if not data.nodes:
                raise ThemeGraphError(f"{why_empty(store, kind, study)}; nothing written")
        if fmt is FigureFormat.html:
            write_html(data, out)
        else:
            write_figure(data, out, fmt.value)
    err.print(f"wrote {out}", markup=False)
    if open_:
        import webbrowser

        webbrowser.open(out.resolve().as_uri())
