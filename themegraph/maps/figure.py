"""``write_figure``: the map as a static figure for a paper (PNG at 300 dpi, or SVG).

The figure shows what the page shows when it opens: folded nodes are left out (the themes map
of a large codebook becomes the paper's Figure 1, final and emerging themes with their number
of codes) and the tree is laid out again without them.  Matplotlib's object API is used (no
pyplot, no global backend switch); labels are drawn with math parsing off, so a ``$`` in a
name is a dollar sign; SVG keeps text as text so it can be edited.
"""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path

from .layout import LABEL_WIDTH, folded_ids, node_height, place
from .model import MapData, MapNode
from .palette import darker
from .thematic import plural

FORMATS = ("png", "svg")
DPI = 300
_MARKERS = {"dot": "o", "square": "s", "diamond": "D", "triangle": "^", "star": "*"}
#: Layout pixels per inch of figure: the page's 14 px labels become 7 pt (before the caps).
PX_PER_INCH = 144.0
MAX_WIDTH, MAX_HEIGHT, LEGEND_WIDTH = 16.0, 20.0, 3.4
#: Width:height a tree's columns of subtrees aim at on a page of a paper (screens: wider).
PRINT_ASPECT = 1.0
LABELS_WHEN_LARGE = 30
MIN_POINTS = 4.5


def write_figure(data: MapData, path: Path, fmt: str) -> None:
    """Write ``data`` as a ``png`` (300 dpi) or ``svg`` figure with labels and a legend.

    Sizes follow the page at zoom 1 (labels wrap and sit below their nodes as there, so the
    layout's spacing keeps them apart) with 144 layout pixels to the inch; a map too big for
    ``MAX_WIDTH`` x ``MAX_HEIGHT`` inches is scaled down whole, labels included.
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown figure format {fmt!r}; choose one of {', '.join(FORMATS)}")
    import matplotlib
    from matplotlib.figure import Figure

    shown = opened_view(data)
    with matplotlib.rc_context({"svg.fonttype": "none", "font.family": "DejaVu Sans"}):
        xs = [n.x for n in shown.nodes] or [0.0]
        ys = [n.y for n in shown.nodes] or [0.0]
        left, right = min(xs) - LABEL_WIDTH / 2 - 10, max(xs) + LABEL_WIDTH / 2 + 10
        top = min(ys) - max((n.size for n in shown.nodes), default=10) - 10
        bottom = max(ys) + max((node_height(n) for n in shown.nodes), default=40)
        scale = max(PX_PER_INCH, (right - left) / MAX_WIDTH, (bottom - top) / MAX_HEIGHT)
        width, height = (right - left) / scale, (bottom - top) / scale
        fig = Figure(figsize=(width + LEGEND_WIDTH, max(height, 3.5)), layout="constrained")
        graph_ax, legend_ax = fig.subplots(1, 2, width_ratios=[width, LEGEND_WIDTH])
        _draw(graph_ax, shown, scale)
        _legend(legend_ax, shown)
        graph_ax.set_xlim(left, right)
        graph_ax.set_ylim(-bottom, -top)
        fig.savefig(path, format=fmt, dpi=DPI, metadata={"Date": None} if fmt == "svg" else None)


def opened_view(data: MapData) -> MapData:
    """The map as the page first shows it (folded nodes left out, their number in the label);
    a tree is laid out again for a page of a paper rather than a screen."""
    folded = folded_ids(data)
    view = copy.deepcopy(data)
    view.nodes = [n for n in view.nodes if n.id not in folded]
    view.edges = [e for e in view.edges if e.source not in folded and e.target not in folded]
    hidden: dict[str, list[str]] = {}
    for node in data.nodes:
        if node.id in folded:
            for parent in node.parents:
                hidden.setdefault(parent, []).append(node.kind)
    for node in view.nodes:
        kinds = hidden.get(node.id)
        if kinds and node.id in data.collapsed:
            noun = kinds[0].lower() if len(set(kinds)) == 1 else "node"
            node.label = f"{node.label} ({plural(len(kinds), noun)})"
    return place(view, aspect=PRINT_ASPECT) if view.layout == "tree" else view


def _draw(ax, data: MapData, scale: float) -> None:
    from matplotlib.collections import LineCollection
    from matplotlib.patheffects import withStroke

    ax.set_axis_off()
    ax.set_aspect("equal")
    where = {n.id: (n.x, -n.y) for n in data.nodes}
    alpha = 0.35 if data.large else 0.8
    for dashed in (False, True):
        edges = [e for e in data.edges if e.dashed == dashed and e.source in where and e.target in where]
        if edges:
            ax.add_collection(
                LineCollection(
                    [(where[e.source], where[e.target]) for e in edges],
                    colors=[e.color for e in edges],
                    linewidths=[max(0.3, e.width * (0.25 if data.large else 0.55)) for e in edges],
                    linestyles="--" if dashed else "-",
                    alpha=alpha,
                    zorder=1,
                )
            )
    for shape, marker in _MARKERS.items():
        group = [n for n in data.nodes if n.shape == shape]
        if group:
            ax.scatter(
                [n.x for n in group],
                [-n.y for n in group],
                s=[(2 * n.size * 72 / scale) ** 2 for n in group],
                c=[n.color for n in group],
                edgecolors=[darker(n.color) for n in group],
                linewidths=0.5,
                marker=marker,
                zorder=2,
            )
    stroke = [withStroke(linewidth=2.2, foreground="white")]
    for node in _labelled(data):
        points = max(MIN_POINTS, node.font_size * 72 / scale)
        chars = max(10, int(LABEL_WIDTH / (0.6 * node.font_size)))
        ax.annotate(
            "\n".join(textwrap.wrap(node.label, chars)) or node.label,
            (node.x, -node.y),
            xytext=(0, -(node.size * 72 / scale + 2)),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=points,
            color="#1f2933",
            path_effects=stroke,
            zorder=3,
            parse_math=False,
            linespacing=1.1,
        )


def _labelled(data: MapData) -> list[MapNode]:
    if not data.large:
        return data.nodes
    return sorted(data.nodes, key=lambda n: -n.size)[:LABELS_WHEN_LARGE]


def _legend(ax, data: MapData) -> None:
    from matplotlib.lines import Line2D

    ax.set_axis_off()
    handles, sections = [], set()
    section = None
    for entry in data.legend:
        if entry.section != section:
            section = entry.section
            handles.append(Line2D([], [], linestyle="none", label=section))
            sections.add(len(handles) - 1)
        label = "\n".join(textwrap.wrap(entry.label, 34)) or entry.label
        if entry.shape in ("line", "dashed"):
            style = "--" if entry.shape == "dashed" else "-"
            handles.append(Line2D([], [], color=entry.color, lw=2.5, ls=style, label=label))
        else:
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker=_MARKERS.get(entry.shape, "o"),
                    markersize=9,
                    markerfacecolor=entry.color,
                    markeredgecolor=darker(entry.color),
                    label=label,
                )
            )
    if not handles:
        return
    legend = ax.legend(handles=handles, loc="upper left", frameon=False, fontsize=8, handlelength=2.2, borderaxespad=0)
    for i, text in enumerate(legend.get_texts()):
        text.set_parse_math(False)
        if i in sections:
            text.set_fontweight("bold")
            text.set_position((-30, 0))
    if data.note:
        legend_box = "\n".join(textwrap.wrap(data.note, 42))
        ax.text(0, 0, legend_box, transform=ax.transAxes, fontsize=7, color="#52606d", va="bottom", parse_math=False)
