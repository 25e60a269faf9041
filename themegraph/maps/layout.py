"""Node positions, computed once in Python so a page can open with physics off.

Three layouts, chosen by the map: ``tree`` (themes map: levels left to right, the codes of a
theme in a compact block beside it), ``layered`` (theory and participants maps: columns by
kind, rows ordered to reduce crossings) and ``force`` (citations map: networkx spring layout;
above ``LARGE`` nodes each cluster is laid out on its own and the clusters are packed in rows,
which keeps 5,000 nodes well under a second where a whole-graph spring layout takes half a
minute).  Units are screen pixels at zoom 1; y grows downwards as in the page.
"""

from __future__ import annotations

import math
from collections import defaultdict

import networkx as nx

from .model import MapData, MapNode

TREE_COLUMN = 340.0
LEAF_COLUMN = 230.0
TREE_ROW = 46.0
TREE_GAP = 30.0
LAYER_COLUMN = 400.0
LAYER_ROW = 80.0
FORCE_SPACING = 55.0
#: Largest cluster given a spring layout of its own (networkx's dense solver stays fast below 500).
SPRING_MAX = 400
SWEEPS = 4
SEED = 7


def place(data: MapData) -> MapData:
    """Set ``x`` and ``y`` on every node of ``data`` (returned for chaining)."""
    if data.nodes:
        {"tree": _tree, "layered": _layered, "force": _force}[data.layout](data)
    return data


# --- tree -------------------------------------------------------------------------------------


def _tree(data: MapData) -> None:
    nodes = {n.id: n for n in data.nodes}
    children: dict[str, list[str]] = defaultdict(list)
    for node in data.nodes:
        parent = next((p for p in node.parents if p in nodes and p != node.id), None)
        if parent:
            children[parent].append(node.id)
    cursor = [0.0]
    seen: set[str] = set()

    def leaf_block(leaves: list[str], depth: int) -> list[float]:
        """Leaves (codes) in a block of columns, filled top to bottom, beside their parent."""
        cols = max(1, round(math.sqrt(len(leaves) / 4)))
        rows = math.ceil(len(leaves) / cols)
        for i, leaf in enumerate(leaves):
            col, row = divmod(i, rows)
            nodes[leaf].x = depth * TREE_COLUMN + col * LEAF_COLUMN
            nodes[leaf].y = cursor[0] + row * TREE_ROW
        top = cursor[0]
        cursor[0] += rows * TREE_ROW
        return [top, top + (rows - 1) * TREE_ROW]

    def lay(node_id: str, depth: int) -> float:
        seen.add(node_id)
        kids = [k for k in children[node_id] if k not in seen]
        node = nodes[node_id]
        node.x = depth * TREE_COLUMN
        if not kids:
            node.y = cursor[0]
            cursor[0] += TREE_ROW
            return node.y
        ys: list[float] = []
        pending: list[str] = []
        for kid in kids:
            if children[kid]:
                if pending:
                    ys += leaf_block(pending, depth + 1)
                    pending = []
                ys.append(lay(kid, depth + 1))
            else:
                seen.add(kid)
                pending.append(kid)
        if pending:
            ys += leaf_block(pending, depth + 1)
        cursor[0] += TREE_GAP
        node.y = (min(ys) + max(ys)) / 2
        return node.y

    for node in data.nodes:
        if node.id not in seen and not any(p in nodes for p in node.parents):
            lay(node.id, 0)
            cursor[0] += TREE_GAP
    for node in data.nodes:  # anything left only hangs off a cycle
        if node.id not in seen:
            lay(node.id, 0)


# --- layered ----------------------------------------------------------------------------------


def _layered(data: MapData) -> None:
    columns: dict[int, list[MapNode]] = defaultdict(list)
    for node in data.nodes:
        columns[node.column].append(node)
    column_of = {n.id: n.column for n in data.nodes}
    neighbours: dict[str, list[str]] = defaultdict(list)
    for edge in data.edges:
        if column_of.get(edge.source) != column_of.get(edge.target):
            neighbours[edge.source].append(edge.target)
            neighbours[edge.target].append(edge.source)
    rank: dict[str, float] = {}

    def rerank(col: list[MapNode]) -> None:
        for i, node in enumerate(col):
            rank[node.id] = i / max(len(col) - 1, 1)

    def barycentre(node: MapNode) -> float:
        """Mean rank of the node's neighbours in other columns (its own rank if it has none)."""
        around = [rank[m] for m in neighbours[node.id] if m in rank]
        return sum(around) / len(around) if around else rank[node.id]

    for col in columns.values():
        rerank(col)
    order = sorted(columns)
    for sweep in range(SWEEPS):
        for c in order if sweep % 2 == 0 else reversed(order):
            columns[c].sort(key=barycentre)
            rerank(columns[c])
    for c in order:
        col = columns[c]
        for i, node in enumerate(col):
            node.x = c * LAYER_COLUMN
            node.y = (i - (len(col) - 1) / 2) * LAYER_ROW


# --- force ------------------------------------------------------------------------------------


def _force(data: MapData) -> None:
    graph = nx.Graph()
    graph.add_nodes_from(n.id for n in data.nodes)
    for edge in data.edges:
        if edge.source == edge.target:
            continue
        if graph.has_edge(edge.source, edge.target):
            graph[edge.source][edge.target]["weight"] += edge.weight
        else:
            graph.add_edge(edge.source, edge.target, weight=edge.weight)
    if data.large:
        groups: dict[str, list[str]] = defaultdict(list)
        for node in data.nodes:
            if node.group is not None:
                groups[node.group].append(node.id)
        grouped = {n for members in groups.values() for n in members}
        if not groups:
            parts = nx.community.louvain_communities(graph, weight="weight", seed=SEED)
            groups = {str(i): sorted(p) for i, p in enumerate(parts) if len(p) > 1}
            grouped = {n for members in groups.values() for n in members}
        loose = [n.id for n in data.nodes if n.id not in grouped]
        pos = _packed(graph, list(groups.values()), loose)
    else:
        scale = FORCE_SPACING * math.sqrt(len(graph)) + 150
        pos = nx.spring_layout(graph, weight="weight", seed=SEED, iterations=200, scale=scale)
    for node in data.nodes:
        node.x, node.y = (float(v) for v in pos[node.id])


def _packed(graph: nx.Graph, groups: list[list[str]], loose: list[str]) -> dict[str, tuple[float, float]]:
    """Each group laid out in a disc of its own, the discs packed in rows, largest first."""
    discs = [_disc(graph.subgraph(members)) for members in groups if members]
    if loose:
        discs.append(_sunflower(loose))
    discs.sort(key=lambda d: -d[1])
    width = max(2 * discs[0][1], 1.15 * math.sqrt(sum((2 * r) ** 2 for _, r in discs)))
    pos: dict[str, tuple[float, float]] = {}
    x = y = row_radius = 0.0
    for local, radius in discs:
        if x > 0 and x + 2 * radius > width:
            x, y = 0.0, y + 2 * row_radius + FORCE_SPACING
            row_radius = 0.0
        row_radius = row_radius or radius  # the first disc of a row is its largest
        for node, (lx, ly) in local.items():
            pos[node] = (x + radius + lx, y + row_radius + ly)
        x += 2 * radius + FORCE_SPACING
    return pos


def _disc(graph: nx.Graph) -> tuple[dict[str, tuple[float, float]], float]:
    """A group's own layout centred on 0 and the radius it needs."""
    radius = FORCE_SPACING * math.sqrt(len(graph))
    if len(graph) <= SPRING_MAX:
        pos = nx.spring_layout(graph, weight="weight", seed=SEED, iterations=50, scale=radius)
        return {n: (float(p[0]), float(p[1])) for n, p in pos.items()}, radius
    parts = [sorted(p) for p in nx.community.louvain_communities(graph, weight="weight", seed=SEED)]
    if len(parts) == 1:
        return _sunflower(parts[0])
    pos = _packed(graph, parts, [])
    cx = sum(p[0] for p in pos.values()) / len(pos)
    cy = sum(p[1] for p in pos.values()) / len(pos)
    radius = max(math.hypot(px - cx, py - cy) for px, py in pos.values())
    return {n: (px - cx, py - cy) for n, (px, py) in pos.items()}, radius


def _sunflower(nodes: list[str]) -> tuple[dict[str, tuple[float, float]], float]:
    """Nodes evenly spread over a disc (Vogel's spiral): for loose nodes and unsplittable groups."""
    golden = math.pi * (3 - math.sqrt(5))
    step = FORCE_SPACING * 0.6
    pos = {n: (step * math.sqrt(i) * math.cos(i * golden), step * math.sqrt(i) * math.sin(i * golden)) for i, n in enumerate(nodes)}
    return pos, step * math.sqrt(len(nodes)) + FORCE_SPACING / 2
