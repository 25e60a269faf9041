"""The theme and stance filters, applied when a map is built (``--theme``, ``--stance``).

The page offers the same two filters and applies the same rule in JavaScript (assets/map.js,
``passes``), so a map built with ``--theme X`` shows what the full map shows with X chosen:

- theme: keep nodes whose ``themes`` contain the theme (nodes with ``themes`` None are not
  subject to it); the themes of a node include the ancestors of its themes, so choosing a
  final theme keeps everything beneath it;
- stance: keep edges whose stance is that stance (edges without a stance stay) and nodes whose
  ``stances`` contain it (nodes with ``stances`` None stay);
- an edge stays only if both its ends stay.
"""

from __future__ import annotations

from collections import Counter

from .model import MapData
from .thematic import plural


def resolve_theme(data: MapData, theme: str) -> str:
    """The node-level id of the theme named or identified by ``theme`` (case-insensitive)."""
    if not data.theme_options:
        raise ValueError(f"the {data.kind} map has no theme filter")
    wanted = theme.strip().casefold()
    for tid, name, _ in data.theme_options:
        if wanted in (tid.casefold(), name.casefold()):
            return tid
    known = "; ".join(dict.fromkeys(name for _, name, _ in data.theme_options))
    raise ValueError(f"no theme {theme!r} in this map; known themes: {known}")


def check_stance(data: MapData, stance: str) -> str:
    """``stance`` normalised, or a clear error naming the stances this map can filter by."""
    if not data.stance_options:
        raise ValueError(f"the {data.kind} map has no stance filter")
    wanted = stance.strip().lower()
    if wanted not in data.stance_options:
        raise ValueError(f"unknown stance {stance!r}; choose one of {', '.join(data.stance_options)}")
    return wanted


def restrict(data: MapData, theme: str | None = None, stance: str | None = None) -> MapData:
    """Keep only what passes the theme and stance filters (see the module docstring)."""
    theme_id = resolve_theme(data, theme) if theme else None
    stance = check_stance(data, stance) if stance else None
    kept = [
        n
        for n in data.nodes
        if (theme_id is None or n.themes is None or theme_id in n.themes)
        and (stance is None or n.stances is None or stance in n.stances)
    ]
    ids = {n.id for n in kept}
    before = (len(data.nodes), len(data.edges))
    data.nodes = kept
    data.edges = [
        e
        for e in data.edges
        if e.source in ids and e.target in ids and (stance is None or e.stance is None or e.stance == stance)
    ]
    data.collapsed = [c for c in data.collapsed if c in ids]
    filters = [f"theme: {name}" for tid, name, _ in data.theme_options if tid == theme_id]
    filters += [f"stance: {stance}"] if stance else []
    data.applied = {k: v for k, v in (("theme", theme_id), ("stance", stance)) if v}
    if data.matrix:  # the participants' table keeps the rows and columns still drawn
        data.matrix["rows"] = [r for r in data.matrix["rows"] if r["id"] in ids]
        data.matrix["columns"] = [c for c in data.matrix["columns"] if c["id"] in ids]
    if filters:
        kinds = Counter(n.kind for n in data.nodes)
        shown = ", ".join(plural(n, kind.lower()) for kind, n in kinds.items()) or "nothing"
        counts = f"shown: {shown}; {len(data.nodes)} of {before[0]} nodes, {len(data.edges)} of {before[1]} links"
        whole = [f"whole map: {data.subtitle}"] if data.subtitle else []
        data.subtitle = " · ".join([*filters, counts, *whole])
    return data
