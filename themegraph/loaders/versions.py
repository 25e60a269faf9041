"""Codebook versions: what a study's codebook was at each version, kept beside the current one.

A load replaces what its source loaded before, so loading version 2 of an analysis under the
study's source leaves only version 2.  ``--version LABEL`` adds a snapshot of the loaded codebook
under its own source, ``codebook:<study>@<label>``: a CodebookVersion and, for every code and
theme, a VersionCode holding its path and the ids of the extracts coded to it.  Snapshots of
other versions are other sources, so ``themegraph sources`` lists every version and the
``codebook-changes`` query compares two of them (renames and merges are told by shared extracts).
"""

from __future__ import annotations

from collections import defaultdict

from ..errors import InputError
from ..graph.batch import Batch
from ..graph.ids import slug


def snapshot(batch: Batch, label: str) -> Batch:
    """The codebook in ``batch`` (any study or project loader's) as version ``label`` of its study."""
    if not label or not label.strip():
        raise InputError("--version needs a label, e.g. v2 or 2024-03-01")
    studies = list(batch.nodes.get("Study", {}))
    if len(studies) != 1:
        raise InputError(f"{batch.path}: --version applies to a study's codebook, and this load holds "
                         f"{len(studies)} studies")
    study = studies[0]
    label = label.strip()
    version = f"{study}/codebook/{slug(label)}"
    out = Batch(f"codebook:{study}@{label}", path=batch.path, loader=f"{batch.loader}-version")
    out.node("Study", study, origin=batch.path)
    out.node("CodebookVersion", version, origin=batch.path, study=study, name=label, path=batch.path)
    out.rel("IN_STUDY", ("CodebookVersion", version), ("Study", study), origin=batch.path)
    parent: dict[str, str] = {}
    coded: dict[str, list[str]] = defaultdict(list)
    for (type_, _, _), rows in batch.rels.items():
        for r in rows:
            if type_ in ("IN_THEME", "SUBTHEME_OF"):
                parent[r["src"]] = r["dst"]
            elif type_ in ("CODED_AS", "ILLUSTRATES"):
                coded[r["dst"]].append(r["src"])
    names = {id_: row.get("name") or id_ for kind in ("Code", "Theme") for id_, row in batch.nodes.get(kind, {}).items()}

    def path(id_: str) -> str:
        steps, seen = [], set()
        while id_ is not None and id_ not in seen:
            seen.add(id_)
            steps.append(names.get(id_, id_))
            id_ = parent.get(id_)
        return " > ".join(reversed(steps))

    for kind in ("Theme", "Code"):
        for id_, row in batch.nodes.get(kind, {}).items():
            vid = f"{version}/{id_.split('/', 1)[-1]}"
            out.node("VersionCode", vid, origin=row.get("origin"), study=study, name=names[id_], version=label,
                     code=id_, path=path(id_), extracts=sorted(set(coded.get(id_, []))))
            out.rel("IN_VERSION", ("VersionCode", vid), ("CodebookVersion", version), origin=row.get("origin"))
            out.rel("IN_STUDY", ("VersionCode", vid), ("Study", study), origin=row.get("origin"))
    return out
