"""Where a figure puts its nodes and labels: on a manuscript page, with labels of 7 pt or more.

The page's layout is in screen pixels for a reader who zooms; a printed figure has one size,
so scaling that layout to a page either shrinks the labels past reading or leaves the figure
mostly empty.  Instead every node's box (its shape and its label, at print size) is measured
in inches, and the layout is spread only as far as those boxes need:

- columns (tree, layered): one y scale, the smallest that keeps a column's boxes apart, and
  each column as close to those before it as the boxes it meets allow;
- force: one scale, so the picture keeps its shape (the scale at which half the nodes clear
  all others), then overlapping boxes pushed apart; only as many of the largest nodes are
  labelled as a page holds.  Above ``LARGE`` nodes the layout is only scaled to the page, and
  of its largest nodes those whose labels clear each other are labelled.

Labels sit beside the nodes of a layered map's outer columns and of a tree's roots and leaves
(rows then need only a line or two of text, not a node and a label stacked), below all others.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from functools import cache

import numpy as np

from .model import MapData

#: A two-column journal's text block (178 mm wide), less room for the caption.
PAGE_WIDTH, PAGE_HEIGHT = 7.0, 9.0
MIN_POINTS = 7.0
#: The page's 14 px labels print at 7 pt (144 px to the inch); nodes print at 0.6 of that scale.
NODE_INCHES_PER_PX = 0.6 / 144
LINE_SPACING = 1.1
GAP = 2 / 72  # node to its label, inches
PAD = 3 / 72  # box to box
#: Characters per label line: below a node, beside it, and below it in a force layout.
WRAP = {"below": 22, "left": 24, "right": 24, "force": 18}
#: Narrowest step from one column of nodes to the next (inches), so that links can be told apart.
MIN_PITCH = 1.0
#: Above ``LARGE`` nodes, how many of the largest may get a label.
LABELS_WHEN_LARGE = 30
#: Share of a page a force layout's labels may cover; the smaller nodes go unlabelled beyond it.
LABEL_SHARE = 0.3
#: Rounds of pushing boxes apart at most (a crowded map may never clear every overlap).
PUSHES = 300
#: Times a force layout that pushing widened past the page is drawn in again.
SHRINKS = 3
#: Overlap too small to see, inches (pushing it away would take ever smaller steps).
TOUCH = 0.01


@dataclass
class Label:
    """A node's label as drawn: wrapped lines, size, and its side of the node (below, left, right)."""

    lines: list[str]
    points: float
    side: str


@dataclass
class Plan:
    """Node centres in inches (x right, y down, from the graph's top left), radii, labels, each
    node's box (its extent from the centre with its label: left, right, up, down) and the size."""

    x: np.ndarray
    y: np.ndarray
    radius: np.ndarray
    labels: list[Label | None]
    box: np.ndarray
    width: float
    height: float


def plan(view: MapData, width: float, *, height: float = PAGE_HEIGHT, zoom: float = 1.0) -> Plan:
    """Place ``view``'s nodes for a graph ``width`` inches wide, or narrower where its labels
    allow, and (a force layout) at most ``height`` high where they allow that; ``zoom`` < 1
    shrinks everything, labels included, for a map too big for a page at 7 pt."""
    if not view.nodes:
        return Plan(np.zeros(0), np.zeros(0), np.zeros(0), [], np.zeros((0, 4)), 1.0, 1.0)
    width, height = width * zoom, height * zoom
    sizes = np.array([n.size for n in view.nodes], dtype=float)
    x = np.array([n.x for n in view.nodes], dtype=float)
    y = np.array([n.y for n in view.nodes], dtype=float)
    radius = sizes * NODE_INCHES_PER_PX * zoom
    labels = _labels(view, zoom)
    if view.layout != "force":
        box = _boxes(radius, labels)
        px, py = _columns(x, y, box, MIN_PITCH * zoom)
        spare = width - (px + box[:, 1]).max() + (px - box[:, 0]).min()
        if view.layout == "layered" and spare > 0:  # links need the room more than the margin does
            step = np.searchsorted(np.unique(px), px)
            px = px + spare * step / max(step.max(), 1)
    else:
        labels = _within_page(labels, _boxes(radius, labels), sizes, zoom)
        box = _boxes(radius, labels)
        # the centres' span fits what the widest and tallest boxes leave of the room
        room = np.array([width - box[:, 0].max() - box[:, 1].max(), height - box[:, 2].max() - box[:, 3].max()])
        room = np.maximum(room, [width / 2, height / 2])
        scale = float(np.min(room / np.maximum([np.ptp(x), np.ptp(y)], 1.0)))
        if view.large:  # too many pairs to push apart: a scaled-down drawing, its nodes with it
            radius, px, py = sizes * scale, x * scale, y * scale
            labels = _unclashed(px, py, radius, labels)
            box = _boxes(radius, labels)
        else:
            scale = min(scale, _clearing_scale(x, y, box))
            px, py = _separate(x * scale, y * scale, box, width, height)
    width, height = _extent(px, box[:, 0], box[:, 1]), _extent(py, box[:, 2], box[:, 3])
    return Plan(px - (px - box[:, 0]).min(), py - (py - box[:, 2]).min(), radius, labels, box, width, height)


def _extent(at: np.ndarray, before: np.ndarray, after: np.ndarray) -> float:
    """Length along one axis from the first box's near edge to the last one's far edge."""
    return float((at + after).max() - (at - before).min())


def _labels(view: MapData, zoom: float) -> list[Label | None]:
    """Each node's label, wrapped, sized and sided (None for nodes left unlabelled)."""
    shown = range(len(view.nodes))
    if view.large:
        shown = sorted(shown, key=lambda i: -view.nodes[i].size)[:LABELS_WHEN_LARGE]
    ids = {n.id for n in view.nodes}
    has_children = {p for n in view.nodes for p in n.parents}
    first, last = min(n.column for n in view.nodes), max(n.column for n in view.nodes)
    labels: list[Label | None] = [None] * len(view.nodes)
    for i in shown:
        node = view.nodes[i]
        if view.layout == "tree":  # a root's label before it, a leaf's after it: clear of the links
            side = "right" if node.id not in has_children else "below" if ids & set(node.parents) else "left"
        elif view.layout == "layered" and first < last and node.column in (first, last):
            side = "left" if node.column == first else "right"
        else:
            side = "below"
        chars = WRAP["force" if view.layout == "force" else side]
        # the page's sizes, in the same order but growing more slowly (its 14 px label: 7 pt)
        points = max(MIN_POINTS, MIN_POINTS * (node.font_size / 14) ** 0.6) * zoom
        # whole words on each line, a hyphenated one too ("non-engagement", "Muir-Cochrane")
        lines = textwrap.wrap(node.label, chars, break_on_hyphens=False, break_long_words=False)
        labels[i] = Label(lines or [node.label], points, side)
    return labels


def _boxes(radius: np.ndarray, labels: list[Label | None]) -> np.ndarray:
    """Each node's extent from its centre, in inches: left, right, up, down."""
    box = np.repeat(radius[:, None], 4, axis=1)
    for i, label in enumerate(labels):
        if label is None:
            continue
        r = radius[i]
        w = max(text_width(line, label.points) for line in label.lines) / 72
        h = len(label.lines) * LINE_SPACING * label.points / 72
        if label.side == "below":
            box[i] = (max(r, w / 2), max(r, w / 2), r, r + GAP + h)
        else:
            beside, half = r + GAP + w, max(r, h / 2)
            box[i] = (beside, r, half, half) if label.side == "left" else (r, beside, half, half)
    return box


@cache
def text_width(text: str, points: float) -> float:
    """Width of one line in points as Agg draws it (a little wider than the font's own metrics)."""
    from matplotlib.font_manager import FontProperties

    width, _, _ = _renderer().get_text_width_height_descent(
        text, FontProperties(family="DejaVu Sans", size=points), ismath=False
    )
    return width


@cache
def _renderer():
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(1, 1, 72)  # at 72 dpi a pixel is a point


def _needs(px: np.ndarray, py: np.ndarray, box: np.ndarray):
    """For every pair: offsets (j from i) and the distances their boxes need along x and y."""
    dx, dy = px[None, :] - px[:, None], py[None, :] - py[:, None]
    need_x = np.where(dx >= 0, box[:, 1][:, None] + box[:, 0][None, :], box[:, 0][:, None] + box[:, 1][None, :]) + PAD
    need_y = np.where(dy >= 0, box[:, 3][:, None] + box[:, 2][None, :], box[:, 2][:, None] + box[:, 3][None, :]) + PAD
    return dx, dy, need_x, need_y


def _columns(x: np.ndarray, y: np.ndarray, box: np.ndarray, pitch: float) -> tuple[np.ndarray, np.ndarray]:
    """Columns kept, spaced only as far as their boxes need.

    One y scale, the smallest at which the boxes of a column clear each other; then, left to
    right, each column as close to the ones before as the boxes it meets vertically allow
    (and at least ``pitch`` from its left neighbour), so that a gap holding wide labels does
    not widen every other gap.
    """
    dx, dy, need_x, need_y = _needs(x, y, box)
    same = (dx == 0) & (dy != 0)
    scale_y = float((need_y[same] / np.abs(dy[same])).max()) if same.any() else 1.0
    py = y * scale_y
    meet = np.abs(py[None, :] - py[:, None]) < need_y
    px = np.zeros_like(x)
    columns = np.unique(x)
    for k, c in enumerate(columns[1:], 1):
        here, before = x == c, x < c
        at = px[x == columns[k - 1]][0] + pitch
        reach = (px[:, None] + need_x)[np.ix_(before, here)][meet[np.ix_(before, here)]]
        px[here] = max(at, float(reach.max())) if reach.size else at
    return px, py


def _within_page(labels: list[Label | None], box: np.ndarray, sizes: np.ndarray, zoom: float) -> list[Label | None]:
    """The labels of the largest nodes, as many as cover ``LABEL_SHARE`` of a page."""
    order = np.argsort(-sizes, kind="stable")
    covered = np.cumsum(((box[:, 0] + box[:, 1]) * (box[:, 2] + box[:, 3]))[order])
    kept = set(order[covered <= LABEL_SHARE * PAGE_WIDTH * PAGE_HEIGHT * zoom**2].tolist())
    return [label if i in kept else None for i, label in enumerate(labels)]


def _unclashed(px: np.ndarray, py: np.ndarray, radius: np.ndarray, labels: list[Label | None]) -> list[Label | None]:
    """The labels (largest nodes first) whose boxes clear those kept before them."""
    box = _boxes(radius, labels)
    kept: list[int] = []
    for i in np.argsort(-radius, kind="stable"):
        if labels[i] is None:
            continue
        k = np.array(kept, dtype=int)
        clear_x = (px[k] + box[k, 1] + PAD <= px[i] - box[i, 0]) | (px[i] + box[i, 1] + PAD <= px[k] - box[k, 0])
        clear_y = (py[k] + box[k, 3] + PAD <= py[i] - box[i, 2]) | (py[i] + box[i, 3] + PAD <= py[k] - box[k, 2])
        if (clear_x | clear_y).all():
            kept.append(int(i))
    shown = set(kept)
    return [label if i in shown else None for i, label in enumerate(labels)]


def _clearing_scale(x: np.ndarray, y: np.ndarray, box: np.ndarray) -> float:
    """The inches per pixel at which half the nodes clear every other box (pushing clears the
    rest): a sparse layout is drawn in, a dense one spread out."""
    dx, dy, need_x, need_y = _needs(x, y, box)
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.minimum(need_x / np.abs(dx), need_y / np.abs(dy))
    np.fill_diagonal(need, 0.0)
    return float(np.median(need.max(axis=1)))


def _separate(
    px: np.ndarray, py: np.ndarray, box: np.ndarray, width: float, height: float
) -> tuple[np.ndarray, np.ndarray]:
    """Push overlapping boxes apart; when that has spread the drawing past ``width`` or
    ``height``, draw the centres in and push again (a few times), keeping the last arrangement
    that came out clear."""
    clear_at = None
    for attempt in range(SHRINKS + 1):
        px, py, clear = _push_apart(px, py, box)
        if clear:
            clear_at = px, py
        size, limit = np.array([_extent(px, box[:, 0], box[:, 1]), _extent(py, box[:, 2], box[:, 3])]), [width, height]
        if not clear or (size <= np.multiply(limit, 1.01)).all() or attempt == SHRINKS:
            break
        spans = np.array([np.ptp(px), np.ptp(py)])  # the boxes keep their size: only spans shrink
        shrink = float(np.clip(np.min((limit - (size - spans)) / np.maximum(spans, 1e-9)), 0.5, 1.0))
        middle = (px.max() + px.min()) / 2, (py.max() + py.min()) / 2
        px, py = middle[0] + (px - middle[0]) * shrink, middle[1] + (py - middle[1]) * shrink
    return clear_at or (px, py)


def _push_apart(px: np.ndarray, py: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Overlapping boxes pushed apart, each pair along the axis where they overlap least, and
    whether that cleared them all within ``PUSHES`` rounds."""
    later = np.triu(np.ones((len(px), len(px)), dtype=bool), 1)
    for _ in range(PUSHES):
        dx, dy, need_x, need_y = _needs(px, py, box)
        over_x, over_y = need_x - np.abs(dx), need_y - np.abs(dy)
        hit = (over_x > TOUCH) & (over_y > TOUCH)
        np.fill_diagonal(hit, False)
        if not hit.any():
            return px, py, True
        # j moves away from i, each by half the overlap; a tie goes by index so the pair parts
        sign_x = np.where(dx != 0, np.sign(dx), np.where(later, 1.0, -1.0))
        sign_y = np.where(dy != 0, np.sign(dy), np.where(later, 1.0, -1.0))
        along_x = hit & (over_x <= over_y)
        push_x = np.where(along_x, over_x * sign_x, 0.0) / 2
        push_y = np.where(hit & ~along_x, over_y * sign_y, 0.0) / 2
        px, py = px - push_x.sum(axis=1), py - push_y.sum(axis=1)
    return px, py, False
