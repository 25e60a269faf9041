"""What a map is, independent of how it is drawn: nodes, edges, legend and the page's filters.

Builders (one module per map kind) produce a ``MapData``; ``layout`` gives its nodes positions;
the writers (``html``, ``figure``) draw it.  Keeping the map as plain data lets the interactive
page and the static figure show the same graph, and lets the benchmark feed the writers a
synthetic map of any size.

Tooltips are lists of ``(role, text)`` pairs, never markup: the page builds them with
``textContent`` and the figure ignores them, so nothing a study contains can become HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Above this many nodes a map starts with physics off and gets a cheaper layout.
LARGE = 300

#: Tooltip lines as (role, text); roles: h heading, m meta line, p paragraph, q quote,
#: a attribution (map.js styles each and shows an unknown role as a paragraph).
Tip = list[tuple[str, str]]


@dataclass
class MapNode:
    """One drawn node.

    ``themes`` holds the ids of the themes the node belongs to (with their ancestors), so that
    filtering by a final theme keeps everything under it; ``None`` means the theme filter does
    not apply to this node.  ``stances`` likewise holds the stances of the links that touch it.
    ``parents`` are the nodes that can collapse it (themes map) and precede it in
    ``MapData.nodes``; ``column`` places it in a layered map; ``group`` (a cluster) keeps it
    together with its group in a large force layout.
    """

    id: str
    label: str
    kind: str
    color: str
    size: float = 10.0
    shape: str = "dot"  # vis-network's dot, square, diamond, triangle or star
    font_size: int = 14
    tip: Tip = field(default_factory=list)
    #: the audit trail the page's evidence panel shows when the node is clicked (``evidence``)
    trail: Tip = field(default_factory=list)
    themes: tuple[str, ...] | None = None
    stances: tuple[str, ...] | None = None
    parents: tuple[str, ...] = ()
    column: int = 0
    group: str | None = None
    #: the study the node belongs to (None for the literature): outlined and filtered by study
    #: when a map holds several
    study: str | None = None
    x: float = 0.0
    y: float = 0.0


@dataclass
class MapEdge:
    """One drawn edge; ``stance`` is set on edges the stance filter applies to."""

    source: str
    target: str
    kind: str
    color: str
    width: float = 1.0
    label: str = ""
    tip: Tip = field(default_factory=list)
    stance: str | None = None
    dashed: bool = False
    arrow: bool = False
    weight: float = 1.0


@dataclass
class LegendEntry:
    """One legend line: a swatch (a node shape or a ``line``/``dashed`` edge) and its text."""

    section: str
    label: str
    color: str
    shape: str = "dot"


@dataclass
class MapData:
    """A complete map, ready to lay out and write.

    ``theme_options`` are the themes offered by the page's theme filter as (id, name, depth);
    ``stance_options`` the stances its stance filter offers.  ``collapsed`` lists the nodes that
    start collapsed; ``layout`` names the layout ``layout.place`` uses (tree, layered, force); ``note`` is a line
    under the legend (what node size means ...).
    """

    kind: str
    title: str
    subtitle: str = ""
    nodes: list[MapNode] = field(default_factory=list)
    edges: list[MapEdge] = field(default_factory=list)
    legend: list[LegendEntry] = field(default_factory=list)
    theme_options: list[tuple[str, str, int]] = field(default_factory=list)
    stance_options: list[str] = field(default_factory=list)
    collapsed: list[str] = field(default_factory=list)
    layout: str = "force"
    note: str = ""
    #: a table view the page opens with instead of the graph (participants: participant x theme
    #: counts), as ``{"rows": [...], "columns": [...], "cells": {"row col": {"n": count, "trail": tip}}}``
    matrix: dict | None = None
    #: the filters it was built with (``theme`` id, ``stance``), which the page shows as chosen
    applied: dict = field(default_factory=dict)

    @property
    def large(self) -> bool:
        """Too many nodes for live physics and every label: the page and figure economise."""
        return len(self.nodes) > LARGE

    @property
    def physics(self) -> bool:
        """Physics starts on for small force-laid maps; the precomputed layout is kept otherwise."""
        return self.layout == "force" and not self.large
