"""The themes map: the paper's thematic map (final themes, emerging themes, codes) from data.

Themes and codes form a tree laid out left to right; a node's size is its number of extracts,
its colour that of its final theme.  With many codes the emerging themes start collapsed, so
the first view is the paper's Figure 1 and a click opens a theme's codes.
"""

from __future__ import annotations

from .evidence import code_trail, findings_by_theme, theme_trail
from .model import LegendEntry, MapData, MapEdge, MapNode
from .palette import size_for
from .thematic import TEXT_CHARS, Thematic, clip, plural

#: Start with the codes folded away when there are more than this many.
FOLD_CODES_ABOVE = 60
_FONT_BY_DEPTH = (28, 20, 15)


def theme_node(thematic: Thematic, theme: str, *, column: int | None = None, size: float | None = None) -> MapNode:
    """A theme as every map draws it: colour of its final theme, size by extracts, full tooltip.

    In the tree (no ``column``) labels shrink with depth; in a layered map they are uniform.
    """
    row = thematic.themes[theme]
    depth = thematic.depth[theme]
    count = len(thematic.theme_extracts.get(theme, []))
    return MapNode(
        id=f"Theme:{theme}",
        label=row.get("name") or theme,
        kind="Theme",
        color=thematic.colours[theme],
        size=size if size is not None else size_for(count, base=14 if depth == 0 else 10, step=3.5),
        font_size=_FONT_BY_DEPTH[min(depth, len(_FONT_BY_DEPTH) - 1)] if column is None else 16,
        tip=thematic.theme_tip(theme),
        themes=thematic.ancestry(theme),
        column=column or 0,
        study=row.get("study"),
    )


def build(store, study: str | None) -> MapData:
    """Final themes -> emerging themes -> codes, sized by extracts and coloured by final theme."""
    thematic = Thematic.read(store, study)
    findings = findings_by_theme(store, study)
    data = MapData(kind="themes", title="Thematic map", layout="tree", theme_options=thematic.options())
    for theme in thematic.order:
        node = theme_node(thematic, theme)
        node.trail = theme_trail(thematic, theme, findings)
        node.parents = tuple(f"Theme:{p}" for p in thematic.parents.get(theme, []))
        data.nodes.append(node)
        for parent in thematic.parents.get(theme, []):
            data.edges.append(MapEdge(f"Theme:{parent}", node.id, "SUBTHEME_OF", thematic.colours[parent], width=2.5))
    for code, row in thematic.codes.items():
        themes = [t for t in thematic.code_themes.get(code, []) if t in thematic.themes]
        count = len(thematic.code_extracts.get(code, []))
        tip = [("h", row.get("name") or code), ("m", f"code · {plural(count, 'extract')}")]
        if row.get("description"):
            tip.append(("p", clip(row["description"], TEXT_CHARS)))
        if themes:
            tip.append(("m", "in " + thematic.theme_names(themes)))
        data.nodes.append(
            MapNode(
                id=f"Code:{code}",
                label=row.get("name") or code,
                kind="Code",
                color=thematic.code_colour(code),
                size=size_for(count, base=6, step=3),
                shape="square",
                font_size=13,
                tip=tip + thematic.quotes(thematic.code_extracts.get(code, [])),
                trail=code_trail(thematic, code),
                themes=thematic.code_ancestry(code),
                parents=tuple(f"Theme:{t}" for t in themes),
                study=row.get("study"),
            )
        )
        for theme in themes:
            data.edges.append(MapEdge(f"Theme:{theme}", f"Code:{code}", "IN_THEME", thematic.colours[theme]))
    if len(thematic.codes) > FOLD_CODES_ABOVE:
        data.collapsed = sorted({p for n in data.nodes if n.kind == "Code" for p in n.parents})
    data.legend = _legend(thematic)
    levels = [thematic.themes[t].get("level") or "theme" for t in thematic.order]
    counts = [f"{plural(levels.count(level), level + ' theme')}" for level in dict.fromkeys(levels)]
    data.subtitle = " · ".join(
        counts + [plural(len(thematic.codes), "code"), plural(len(thematic.extracts), "extract")]
    )
    data.note = "Node size: number of extracts."
    return data


def _legend(thematic: Thematic) -> list[LegendEntry]:
    entries = [
        LegendEntry("Final themes", thematic.legend_name(t), thematic.colours[t])
        for t in thematic.order
        if thematic.depth[t] == 0
    ]
    entries.append(LegendEntry("Levels", "theme (deeper levels lighter)", "#8c8c8c"))
    entries.append(LegendEntry("Levels", "code", "#c8c8c8", "square"))
    return entries
