"""``themegraph demo``: the worked example, built into a fresh embedded knowledge base with its maps."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ThemeGraphError
from ..graph.open import open_store
from .common import app, err

#: Shipped inside the package (themegraph/examples links to the repository's examples/), so the
#: demo works from an installed wheel as well as from a checkout.
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "mandatory-therapy"


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo database and maps.")] = Path("demo"),
    example: Annotated[Path, typer.Option("--example", help="The study bundle to build from.")] = EXAMPLE,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace the knowledge base in --out even if it holds other sources than the demo's.")] = False,
):
    """Build a fresh embedded knowledge base from the worked example, with its maps."""
    import shutil

    from ..loaders.study import read_study

    db = out / "themegraph.db"
    batch = read_study(example)
    if db.exists() and not force:
        with open_store(db=str(db), read_only=True) as existing:
            foreign = sorted(s["source"] for s in existing.sources() if s["source"] != batch.source)
        if foreign:
            raise ThemeGraphError(
                f"{db} holds other sources ({', '.join(foreign)}) that demo would delete; "
                "choose another --out, or give --force to replace it"
            )
    for stale in (db, *(db.with_name(db.name + ext) for ext in (".wal", ".lock", ".next", ".next.wal"))):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    out.mkdir(parents=True, exist_ok=True)
    from ..maps import KINDS, build_map, write_html

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

    # --- the worked review (issue #20), in a knowledge base of its own: <out>/review/ ---
    from .review import review_demo

    review_db, *review_files = review_demo(out / "review")
    err.print("\nThe worked review (examples/alliance-review):")
    for path in (review_db, *review_files):
        err.print(f"  {path}")
    for hint in ("review soqf --review alliance-mandated", "review profile --review alliance-mandated -f markdown",
                 "review suggest --review alliance-mandated --top 5"):
        err.print(f"  {_program()} --db {review_db} {hint}", markup=False)


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
