"""The participants map: who speaks to which theme, weighted by the number of extracts.

An edge joins a participant and a theme when an extract spoken by the participant illustrates
the theme (Extract-SPOKEN_BY->Participant, Extract-ILLUSTRATES->Theme); its width is the number
of such extracts.  It shows at a glance whether a theme rests on many voices or on a few.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

from .cypher import study_rows
from .evidence import participant_trail, quotes, theme_trail
from .model import LegendEntry, MapData, MapEdge, MapNode
from .palette import KIND_COLOURS, size_for, width_for
from .thematic import Thematic, clip, plural
from .themes import theme_node

QUOTES_PER_EDGE = 2
TOP_THEMES = 5


def build(store, study: str | None) -> MapData:
    """Themes in tree order (left) and the participants whose extracts illustrate them (right);
    a study coded without themes shows its codes in their place."""
    thematic = Thematic.read(store, study).codes_as_themes()
    participants = study_rows(
        store,
        "Participant",
        "p",
        "p.id AS id, p.name AS name, p.attributes AS attributes, p.study AS study, p.origin AS origin",
        study,
    )
    names = {p["id"]: p.get("name") or p["id"] for p in participants}
    said: dict[tuple[str, str], list[str]] = defaultdict(list)
    spoken = Counter()
    unspoken = 0
    for extract in thematic.extracts.values():
        if extract.speaker not in names:
            unspoken += 1
            continue
        spoken[extract.speaker] += 1
        for theme in sorted(extract.themes & thematic.themes.keys()):
            said[(extract.speaker, theme)].append(extract.id)

    data = MapData(kind="participants", title="Participants and themes", layout="layered")
    data.theme_options = thematic.options()
    spoken_to = {theme for _, theme in said}
    themes = [t for t in thematic.order if t in spoken_to]
    weight = Counter()
    for (_, theme), ids in said.items():
        weight[theme] += len(ids)
    for theme in themes:
        node = theme_node(thematic, theme, column=0, size=size_for(weight[theme], base=10, step=3.5))
        node.trail = theme_trail(thematic, theme)
        data.nodes.append(node)
    themes_of = defaultdict(dict)  # each participant's themes, in the order said has them
    for (pid, theme), ids in said.items():
        themes_of[pid][theme] = len(ids)
    for p in participants:
        spoke_to = Counter(themes_of.get(p["id"], {}))
        name = names[p["id"]]
        tip = [("h", name), ("m", f"participant · {plural(spoken[p['id']], 'extract')}")]
        tip += [("m", line) for line in _attributes(p.get("attributes"))]
        if spoke_to:
            top = spoke_to.most_common(TOP_THEMES)
            spoken_of = "; ".join(f"{thematic.themes[t].get('name') or t} ({n})" for t, n in top)
            tip.append(("p", f"speaks to {spoken_of}"))
        data.nodes.append(
            MapNode(
                id=f"Participant:{p['id']}",
                label=name,
                kind="Participant",
                color=KIND_COLOURS["Participant"],
                size=size_for(spoken[p["id"]], base=10, step=3.5),
                font_size=16,
                tip=tip,
                trail=participant_trail(thematic, p["id"], name, _attributes(p.get("attributes"))),
                themes=tuple(dict.fromkeys(a for t in spoke_to for a in thematic.ancestry(t))),
                column=1,
                study=p.get("study"),
            )
        )
    for (pid, theme), ids in sorted(said.items()):
        heading = f"{names[pid]} — {thematic.themes[theme].get('name') or theme}"
        tip = [("h", heading), ("m", plural(len(ids), "extract"))]
        data.edges.append(
            MapEdge(
                f"Participant:{pid}",
                f"Theme:{theme}",
                "SPEAKS_TO",
                thematic.colours[theme],
                width=width_for(len(ids)),
                tip=tip + thematic.quotes(ids, QUOTES_PER_EDGE),
                weight=len(ids),
            )
        )
    data.matrix = _matrix(thematic, participants, names, spoken, said, themes, weight)
    data.legend = [
        LegendEntry("Codes" if thematic.from_codes else "Final themes", thematic.legend_name(t), thematic.colours[t])
        for t in dict.fromkeys(thematic.root[t] for t in themes)
    ]
    data.legend.append(LegendEntry("Nodes", "participant", KIND_COLOURS["Participant"]))
    data.legend.append(LegendEntry("Nodes", "theme (deeper levels lighter)", "#8c8c8c"))
    data.legend.append(LegendEntry("Links", "extracts of the participant illustrating the theme", "#8c8c8c", "line"))
    parts = [
        plural(len(participants), "participant"),
        plural(len(themes), "code" if thematic.from_codes else "theme"),
        plural(sum(spoken.values()), "extract"),
    ]
    if unspoken:
        parts.append(f"{unspoken} without a speaker not shown")
    data.subtitle = " · ".join(parts)
    data.note = "Link width and node size: number of extracts."
    return data


def _matrix(thematic: Thematic, participants, names, spoken, said, themes, weight) -> dict:
    """Participant x theme: the extracts of each participant that illustrate each theme, with
    every such quote for the cell's evidence panel.  Rows and columns in the map's order;
    ``weight`` is each theme's extracts, summed over its participants."""
    rows = [
        {"id": f"Participant:{p['id']}", "label": names[p["id"]], "total": spoken[p["id"]]}
        for p in participants
        if spoken[p["id"]]
    ]
    columns = [
        {
            "id": f"Theme:{t}",
            "label": thematic.themes[t].get("name") or t,
            "color": thematic.colours[t],
            "depth": thematic.depth[t],
            "total": weight[t],
        }
        for t in themes
    ]
    cells = {}
    for (pid, theme), ids in sorted(said.items()):
        heading = f"{names[pid]} — {thematic.themes[theme].get('name') or theme}"
        trail = [("h", heading), ("m", plural(len(ids), "extract"))] + quotes(thematic, ids)
        cells[f"Participant:{pid} Theme:{theme}"] = {"n": len(ids), "trail": [list(line) for line in trail]}
    return {"rows": rows, "columns": columns, "cells": cells}


def _attributes(raw: str | None) -> list[str]:
    """A participant's attributes (a JSON object) as 'key: value' lines."""
    if not raw:
        return []
    try:
        attributes = json.loads(raw)
    except ValueError:
        return [clip(raw, 200)]
    if not isinstance(attributes, dict):
        return [clip(str(attributes), 200)]
    return [clip(f"{k}: {v}", 200) for k, v in attributes.items() if v not in (None, "")]
