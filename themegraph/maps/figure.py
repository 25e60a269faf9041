"""``write_figure``: the map as a static figure for a paper (PNG at 300 dpi, or SVG).

The figure shows what the page shows when it opens: folded nodes are left out (the themes map
of a large codebook becomes the paper's Figure 1, final and emerging themes with their number
of codes).  ``paper`` places the nodes for a manuscript page with labels of 7 pt or more; the
legend goes beside the graph when there is room and below it otherwise, and the saved figure
is cropped to what is drawn.  Matplotlib's object API is used (no pyplot, no global backend
switch); text is drawn with math parsing off, so a ``$`` in a name is a dollar sign; SVG keeps
text as text so it can be edited.
"""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path

from ..files import replace_file
from .layout import folded_ids, place
from .model import LegendEntry, MapData
from .palette import darker
from .paper import GAP, LINE_SPACING, MIN_POINTS, PAGE_HEIGHT, PAGE_WIDTH, Plan, plan
from .thematic import plural

FORMATS = ("png", "svg")
DPI = 300
_MARKERS = {"dot": "o", "square": "s", "diamond": "D", "triangle": "^", "star": "*"}
#: Width:height a tree's columns of subtrees may aim at; the one whose figure is smallest wins.
TREE_ASPECTS = (0.1, 0.4, 1.0)
#: Between the graph and its legend, inches.
LEGEND_GAP = 0.15
LEGEND_WRAP = 32
INK = "#1f2933"
MUTED = "#52606d"
#: White margin around the saved figure, inches.
MARGIN = 0.03
#: How far a figure may exceed the room it was given: text widths are estimates.
SLACK = 0.02


def write_figure(data: MapData, path: Path, fmt: str) -> Plan:
    """Write ``data`` as a ``png`` (300 dpi) or ``svg`` figure with labels and a legend.

    It is as small as its labels allow, up to a page of a journal (7 x 9 in); a map too big for
    that at 7 pt is shrunk to fit it, labels included.  Returns where it put the nodes and
    labels (inches), for checks.
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown figure format {fmt!r}; choose one of {', '.join(FORMATS)}")
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none", "font.family": "DejaVu Sans"}):
        view = opened_view(data)
        fig, placed, (width, height) = _compose(view, 1.0)
        zoom = min(PAGE_WIDTH / width, PAGE_HEIGHT / height)
        if zoom < 1 - SLACK:
            fig, placed, _ = _compose(view, zoom)
        metadata = {"Date": None} if fmt == "svg" else None
        replace_file(path, lambda f: fig.savefig(f, format=fmt, dpi=DPI, bbox_inches="tight", pad_inches=MARGIN,
                                                 metadata=metadata))
    return placed


def opened_view(data: MapData) -> MapData:
    """The map as the page first shows it (folded nodes left out, their number in the label)."""
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
    return view


def _compose(view: MapData, zoom: float):
    """The drawn figure, its plan, and the size (inches) it is saved at: cropped to what is drawn."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.offsetbox import AnchoredOffsetbox

    fig = Figure()
    FigureCanvasAgg(fig)
    parts = _legend_parts(view, MIN_POINTS * zoom)
    placed, legend, beside = _arrange(view, zoom, fig, parts)
    fig.set_size_inches(placed.width, placed.height)
    ax = fig.add_axes((0, 0, 1, 1))
    _draw(ax, view, placed, zoom)
    if legend is not None:
        # anchored in the graph's axes (which fill the figure): cropping moves those, not inches
        gap = LEGEND_GAP * zoom
        anchor = (1 + gap / placed.width, 1) if beside else (0, -gap / placed.height)
        box = AnchoredOffsetbox("upper left", child=legend, pad=0, borderpad=0, frameon=False)
        box.set_bbox_to_anchor(anchor, transform=ax.transAxes)
        fig.add_artist(box)
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    return fig, placed, (box.width + 2 * MARGIN, box.height + 2 * MARGIN)


def _arrange(view: MapData, zoom: float, fig, parts: list):
    """Nodes placed, the legend, and whether it goes beside them (else below, in rows).

    The legend goes beside the graph when both fit the page's width.  A tree is laid out again
    for each of ``TREE_ASPECTS``, since how its subtrees are stacked decides the figure's shape;
    the arrangement whose figure is smallest, once it fits a page, is kept.
    """
    room, high, gap = PAGE_WIDTH - 2 * MARGIN, PAGE_HEIGHT - 2 * MARGIN, LEGEND_GAP * zoom
    column = _stack(parts, None, fig, MIN_POINTS * zoom)
    column_width, column_height = _inches(column, fig)
    options = []
    for aspect in TREE_ASPECTS if view.layout == "tree" else (None,):
        if aspect is not None:
            place(view, aspect=aspect)
        placed = plan(view, room - (column_width + gap) / zoom, height=high, zoom=zoom)
        if placed.width + column_width + gap <= room * zoom * (1 + SLACK):
            legend, beside = column, True
            size = (placed.width + column_width + gap, max(placed.height, column_height))
        else:
            below = _inches(_stack(parts, room * zoom, fig, MIN_POINTS * zoom), fig)[1] + gap
            placed = plan(view, room, height=high - below / zoom, zoom=zoom)
            legend, beside = _stack(parts, placed.width, fig, MIN_POINTS * zoom), False
            size = (placed.width, placed.height + gap + _inches(legend, fig)[1])
        fits = size[0] <= room * zoom * (1 + SLACK) and size[1] <= high * zoom * (1 + SLACK)
        options.append((not fits, size[0] * size[1], placed, legend, beside))
    _, _, placed, legend, beside = min(options, key=lambda o: o[:2])
    return placed, legend, beside


def _draw(ax, data: MapData, placed: Plan, zoom: float) -> None:
    from matplotlib.collections import LineCollection

    ax.set_axis_off()
    ax.set_xlim(0, placed.width)
    ax.set_ylim(placed.height, 0)  # y grows downwards, as in the layout
    index = {n.id: i for i, n in enumerate(data.nodes)}
    alpha = 0.35 if data.large else 0.8
    for dashed in (False, True):
        edges = [e for e in data.edges if e.dashed == dashed and e.source in index and e.target in index]
        if edges:
            ends = [(index[e.source], index[e.target]) for e in edges]
            ax.add_collection(
                LineCollection(
                    [((placed.x[a], placed.y[a]), (placed.x[b], placed.y[b])) for a, b in ends],
                    colors=[e.color for e in edges],
                    linewidths=[max(0.3, e.width * (0.25 if data.large else 0.5)) * zoom for e in edges],
                    linestyles="--" if dashed else "-",
                    alpha=alpha,
                    zorder=1,
                )
            )
    for shape, marker in _MARKERS.items():
        group = [i for i, n in enumerate(data.nodes) if n.shape == shape]
        if group:
            ax.scatter(
                placed.x[group],
                placed.y[group],
                s=(2 * placed.radius[group] * 72) ** 2,
                c=[data.nodes[i].color for i in group],
                edgecolors=[darker(data.nodes[i].color) for i in group],
                linewidths=0.5 * zoom,
                marker=marker,
                zorder=2,
            )
    # a light box keeps a label legible over links (a stroked halo would turn SVG text into paths)
    backing = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.75}
    for i, label in enumerate(placed.labels):
        if label is None:
            continue
        away = (placed.radius[i] + GAP * zoom) * 72
        offset, ha, va = {
            "below": ((0, -away), "center", "top"),
            "right": ((away, 0), "left", "center"),
            "left": ((-away, 0), "right", "center"),
        }[label.side]
        ax.annotate(
            "\n".join(label.lines),
            (placed.x[i], placed.y[i]),
            xytext=offset,
            textcoords="offset points",
            ha=ha,
            va=va,
            multialignment=ha,
            fontsize=label.points,
            color=INK,
            bbox=backing,
            zorder=3,
            parse_math=False,
            linespacing=LINE_SPACING,
        )


def _legend_parts(data: MapData, points: float) -> list:
    """The legend's sections (a bold title, then swatches and text) and its note."""
    from matplotlib.offsetbox import HPacker, VPacker

    sections: dict[str, list[LegendEntry]] = {}
    for entry in data.legend:
        sections.setdefault(entry.section, []).append(entry)
    parts = []
    for section, entries in sections.items():
        rows = [_text(section, points, weight="bold")]
        for entry in entries:
            label = "\n".join(textwrap.wrap(entry.label, LEGEND_WRAP)) or entry.label
            row = [_swatch(entry, points), _text(label, points)]
            rows.append(HPacker(children=row, align="center", pad=0, sep=points / 2))
        parts.append(VPacker(children=rows, align="left", pad=0, sep=points * 0.3))
    if data.note:
        parts.append(_text("\n".join(textwrap.wrap(data.note, LEGEND_WRAP + 8)), points, color=MUTED))
    return parts


def _stack(parts: list, width: float | None, fig, points: float):
    """The legend's parts in one column (``width`` None), or side by side in rows at most
    ``width`` inches wide; None when there is no legend."""
    from matplotlib.offsetbox import HPacker, VPacker

    if not parts:
        return None
    if width is None:
        return VPacker(children=parts, align="left", pad=0, sep=points)
    rows, used = [[]], 0.0
    for part in parts:
        wide = _inches(part, fig)[0]
        if rows[-1] and used + wide > width:
            rows.append([])
            used = 0.0
        rows[-1].append(part)
        used += wide + 2 * points / 72
    lines = [HPacker(children=row, align="top", pad=0, sep=2 * points) for row in rows]
    return VPacker(children=lines, align="left", pad=0, sep=points)


def _inches(box, fig) -> tuple[float, float]:
    """Width and height of a legend box (0, 0 for none)."""
    if box is None:
        return 0.0, 0.0
    box.set_figure(fig)
    extent = box.get_bbox(fig.canvas.get_renderer())
    return extent.width / fig.dpi, extent.height / fig.dpi


def _text(text: str, points: float, **style):
    from matplotlib.offsetbox import TextArea

    props = {"fontsize": points, "color": INK, "parse_math": False, "linespacing": LINE_SPACING}
    return TextArea(text, textprops=props | style)


def _swatch(entry: LegendEntry, points: float):
    """A node shape or a line (solid or dashed) in the entry's colour, ``points`` high."""
    from matplotlib.lines import Line2D
    from matplotlib.offsetbox import DrawingArea

    width = points * 1.6
    area = DrawingArea(width, points, 0, 0)
    if entry.shape in ("line", "dashed"):
        style = "--" if entry.shape == "dashed" else "-"
        line = Line2D([0, width], [points / 2] * 2, color=entry.color, lw=points / 4, ls=style)
    else:
        line = Line2D(
            [width / 2],
            [points / 2],
            marker=_MARKERS.get(entry.shape, "o"),
            markersize=points,
            markerfacecolor=entry.color,
            markeredgecolor=darker(entry.color),
            markeredgewidth=0.5,
            linestyle="none",
        )
    area.add_artist(line)
    return area
