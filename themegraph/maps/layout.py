"""Node positions, computed once in Python so a page can open with physics off.

Three layouts, chosen by the map:

- ``tree`` (themes map): levels left to right, the leaves of a theme in a compact grid beside
  it, each final theme's subtree a block and the blocks in columns shaped like a screen;
- ``layered`` (theory and participants maps): columns by kind; the first column keeps the
  builder's order, the others are sorted by their neighbours' positions to reduce crossings;
- ``force`` (citations map): a networkx spring layout per connected part (or, above ``LARGE``
  nodes, per cluster), the parts packed in rows: 5,000 nodes take about a second where one
  spring layout of the whole graph takes half a minute.

Units are screen pixels at zoom 1; y grows downwards as in the page.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict

import networkx as nx

from .model import MapData, MapNode

TREE_COLUMN = 340.0
LEAF_COLUMN = 230.0
TREE_ROW = 46.0
TREE_GAP = 30.0
BLOCK_GAP = 90.0
#: Width:height the tree's columns of subtrees aim at (a wide screen).
TREE_ASPECT = 1.6
#: What the page's port of the tree layout needs (assets/map.js, treePositions).
TREE_CONSTANTS = {
    "column": TREE_COLUMN,
    "leaf": LEAF_COLUMN,
    "gap": TREE_GAP,
    "block": BLOCK_GAP,
    "aspect": TREE_ASPECT,
}
LAYER_COLUMN = 330.0
LAYER_ROW = 60.0
#: Width at which the page wraps node labels (vis widthConstraint).
LABEL_WIDTH = 220
FORCE_SPACING = 55.0
#: Spacing of small force maps, whose labels are all drawn.
LABELLED_SPACING = 150.0
#: Largest cluster given a spring layout of its own (networkx's dense solver stays fast below 500).
SPRING_MAX = 400
SWEEPS = 8
#: Rounds of swapping neighbours to remove crossings left by the sweeps.
TRANSPOSE_ROUNDS = 4
SEED = 7


def place(data: MapData, *, aspect: float = TREE_ASPECT) -> MapData:
    """Set ``x`` and ``y`` on every node of ``data`` (returned for chaining).

    ``aspect`` is the width:height a tree aims at (a screen by default; figures ask for less).
    """
    if data.layout == "tree":
        _tree(data, aspect)
    elif data.nodes:
        {"layered": _layered, "force": _force}[data.layout](data)
    return data


# --- tree -------------------------------------------------------------------------------------
#
# assets/map.js holds a line-by-line port (treePositions) so that the page can lay the tree out
# again when themes are folded, unfolded or filtered; the browser tests check that both agree.


def _tree(data: MapData, aspect: float) -> None:
    folded = folded_ids(data)
    parents = {n.id: n.parents for n in data.nodes}
    rows = {n.id: tree_row(n) for n in data.nodes}
    pos = tree_positions([n.id for n in data.nodes], parents, rows, folded, aspect)
    for node in data.nodes:
        if node.id in folded:  # hidden: waits under its parent until unfolded
            parent = next(p for p in node.parents if p in pos)
            pos[node.id] = pos[parent]
        node.x, node.y = pos[node.id]


def folded_ids(data: MapData) -> set[str]:
    """Nodes hidden under collapsed ones: all their parents are collapsed or hidden themselves."""
    collapsed, ids = set(data.collapsed), {n.id for n in data.nodes}
    folded: set[str] = set()
    for node in data.nodes:  # parents precede children
        parents = [p for p in node.parents if p in ids]
        if parents and all(p in folded or p in collapsed for p in parents):
            folded.add(node.id)
    return folded


def node_height(node: MapNode) -> int:
    """Height a node needs in a column: its shape and its label wrapped below it.

    The page wraps labels at word breaks within ``LABEL_WIDTH`` pixels; a character is taken
    as 0.6 of the font size wide, with room for the fold marker the page may append.
    """
    lines = max(1, math.ceil((len(node.label) + 6) * node.font_size * 0.6 / LABEL_WIDTH))
    return math.ceil(2 * node.size + (lines + 0.5) * 1.25 * node.font_size + 12)


def tree_row(node: MapNode) -> int:
    """Row height of a tree leaf (never below ``TREE_ROW``)."""
    return max(int(TREE_ROW), node_height(node))


def tree_positions(
    order: list[str], parents: dict[str, tuple], rows: dict[str, int], hidden: set[str], aspect: float
) -> dict[str, tuple[float, float]]:
    """Left-to-right tree of the shown nodes: each root's subtree a block, blocks in columns.

    A node hangs under its first shown parent; the leaves of a node form a small grid beside
    it (rows as high as its tallest leaf needs); the subtree blocks are stacked in as many
    columns as bring the whole nearest to ``aspect`` (width:height), in order down each column.
    """
    shown = [i for i in order if i not in hidden]
    shown_set = set(shown)
    children: dict[str, list[str]] = {i: [] for i in shown}
    roots = []
    for i in shown:
        parent = next((p for p in parents.get(i, ()) if p in shown_set and p != i), None)
        (children[parent] if parent else roots).append(i)
    pos: dict[str, tuple[float, float]] = {}
    seen: set[str] = set()
    blocks = []  # (ids, width, height) of each root's subtree, laid out from (0, 0)
    for root in roots + shown:  # then whatever hangs off a SUBTHEME_OF cycle
        if root in seen:
            continue
        cursor = [0.0]
        members: list[str] = []
        _lay(root, 0, children, rows, pos, seen, cursor, members)
        width = max(pos[m][0] for m in members) + LEAF_COLUMN
        blocks.append((members, width, cursor[0]))
    x = 0.0
    for column in _columns([(w, h) for _, w, h in blocks], aspect) if blocks else []:
        y = 0.0
        for b in column:
            members, width, height = blocks[b]
            for m in members:
                pos[m] = (pos[m][0] + x, pos[m][1] + y)
            y += height + BLOCK_GAP
        x += max(blocks[b][1] for b in column) + BLOCK_GAP
    return pos


def _lay(node, depth, children, rows, pos, seen, cursor, members) -> float:
    """Place ``node`` and its subtree from ``cursor`` down; returns the node's y."""
    seen.add(node)
    members.append(node)
    kids = [k for k in children[node] if k not in seen]
    if not kids:
        pos[node] = (depth * TREE_COLUMN, cursor[0])
        cursor[0] += rows[node]
        return pos[node][1]
    ys: list[float] = []
    leaves: list[str] = []

    def flush():
        cols = max(1, math.floor(math.sqrt(len(leaves) / 4) + 0.5))  # Math.round, as in map.js
        per_col = math.ceil(len(leaves) / cols)
        row = max(rows[leaf] for leaf in leaves)
        for i, leaf in enumerate(leaves):
            col, at = divmod(i, per_col)
            pos[leaf] = ((depth + 1) * TREE_COLUMN + col * LEAF_COLUMN, cursor[0] + at * row)
            seen.add(leaf)
            members.append(leaf)
        ys.extend((cursor[0], cursor[0] + (per_col - 1) * row))
        cursor[0] += per_col * row
        leaves.clear()

    for kid in kids:
        if any(k not in seen for k in children[kid]):
            if leaves:
                flush()
            ys.append(_lay(kid, depth + 1, children, rows, pos, seen, cursor, members))
        else:
            leaves.append(kid)
    if leaves:
        flush()
    cursor[0] += TREE_GAP
    pos[node] = (depth * TREE_COLUMN, (min(ys) + max(ys)) / 2)
    return pos[node][1]


def _columns(blocks: list[tuple[float, float]], aspect: float) -> list[list[int]]:
    """Blocks (width, height) split, in order, into the columns whose shape is nearest ``aspect``."""
    total = sum(h for _, h in blocks)
    best, best_score = [list(range(len(blocks)))], math.inf
    for k in range(1, len(blocks) + 1):
        columns: list[list[int]] = [[]]
        height = 0.0
        for b, (_, h) in enumerate(blocks):
            if columns[-1] and height + h > total / k and len(columns) < k:
                columns.append([])
                height = 0.0
            columns[-1].append(b)
            height += h + BLOCK_GAP
        width = sum(max(blocks[b][0] for b in col) for col in columns) + BLOCK_GAP * (len(columns) - 1)
        tallest = max(sum(blocks[b][1] for b in col) + BLOCK_GAP * (len(col) - 1) for col in columns)
        score = abs(math.log(max(width, 1.0) / max(tallest, 1.0) / aspect))
        if score < best_score - 1e-9:
            best, best_score = columns, score
    return best


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
    movable = order[1:]  # the first column (themes in tree order) stays as built
    links = [
        (e.source, e.target)
        for e in data.edges
        if e.source in column_of and e.target in column_of and column_of[e.source] != column_of[e.target]
    ]
    best = (crossings(links, rank, column_of), {c: list(columns[c]) for c in order})
    for sweep in range(SWEEPS):
        for c in movable if sweep % 2 == 0 else reversed(movable):
            columns[c].sort(key=barycentre)
            rerank(columns[c])
        best = min(best, (crossings(links, rank, column_of), {c: list(columns[c]) for c in order}), key=lambda b: b[0])
    columns.update(best[1])
    for c in order:
        rerank(columns[c])
    _transpose(columns, movable, links, rank, rerank, column_of)
    heights = {c: [max(LAYER_ROW, node_height(n)) for n in columns[c]] for c in order}
    # few, tall columns are spread wider, so that the map is not a narrow strip on a screen
    tallest = max(sum(h) for h in heights.values())
    spacing = max(LAYER_COLUMN, 0.6 * TREE_ASPECT * tallest / max(len(order) - 1, 1))
    for i, c in enumerate(order):
        # a short column is spread over most of the tallest one's height, not bunched mid-way
        extra = max(0.0, 0.75 * tallest - sum(heights[c])) / len(heights[c])
        y = -(sum(heights[c]) + extra * len(heights[c])) / 2
        for node, height in zip(columns[c], heights[c], strict=True):
            node.x = i * spacing
            node.y = y + (height + extra) / 2
            y += height + extra


def crossings(links: list[tuple[str, str]], rank: dict[str, float], column_of: dict[str, int]) -> int:
    """Pairs of links between the same two columns that cross (their ends in opposite orders).

    Counted as inversions, in n log n per pair of columns: a map of tens of thousands of links
    is laid out in seconds, where comparing every pair of links took minutes."""
    by_pair: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
    for a, b in links:
        if column_of[a] > column_of[b]:
            a, b = b, a
        by_pair[(column_of[a], column_of[b])].append((rank[a], rank[b]))
    return sum(_inversions(ends) for ends in by_pair.values())


def _inversions(ends: list[tuple[float, float]]) -> int:
    """Pairs whose first ends are in one order and second ends strictly in the other (ties on
    either end do not cross): a Fenwick tree over the second ends' order, fed in the first ends'."""
    order = {b: i + 1 for i, b in enumerate(sorted({b for _, b in ends}))}
    tree = [0] * (len(order) + 1)
    ends = sorted(ends)
    total = seen = start = 0
    while start < len(ends):
        stop = start
        while stop < len(ends) and ends[stop][0] == ends[start][0]:
            stop += 1
        for _, b in ends[start:stop]:  # links from strictly higher first ends, lower second ends
            i, at_most = order[b], 0
            while i:
                at_most, i = at_most + tree[i], i & (i - 1)
            total += seen - at_most
        for _, b in ends[start:stop]:
            i = order[b]
            while i < len(tree):
                tree[i], i = tree[i] + 1, i + (i & -i)
        seen, start = seen + stop - start, stop
    return total


def _swap_gain(upper: str, lower: str, around: dict[str, dict[int, list[float]]]) -> int:
    """How many crossings swapping two neighbours of a column removes (negative: adds).

    Only the links of the two nodes change order: with ``upper`` above, a link to x and one to
    y in the same column cross when x is below y; after the swap, when x is above y."""
    gain = 0
    below = around.get(lower, {})
    for column, xs in around.get(upper, {}).items():
        ys = below.get(column)
        if ys:
            for x in xs:
                gain += bisect_left(ys, x) - (len(ys) - bisect_right(ys, x))
    return gain


def _transpose(columns, movable, links, rank, rerank, column_of) -> None:
    """Swap neighbours in a column while that removes crossings (after the barycentre sweeps)."""
    now = crossings(links, rank, column_of)
    ends: dict[str, list[str]] = defaultdict(list)
    for a, b in links:
        ends[a].append(b)
        ends[b].append(a)
    improved, rounds = True, 0
    while improved and rounds < TRANSPOSE_ROUNDS and now:
        improved, rounds = False, rounds + 1
        for c in movable:
            col = columns[c]
            around = {}
            for node in col:  # its links' other ends, by column, in rank order (fixed while c changes)
                by_column = defaultdict(list)
                for m in ends.get(node.id, ()):
                    by_column[column_of[m]].append(rank[m])
                around[node.id] = {k: sorted(v) for k, v in by_column.items()}
            for i in range(len(col) - 1):
                gain = _swap_gain(col[i].id, col[i + 1].id, around)
                if gain > 0:
                    col[i], col[i + 1] = col[i + 1], col[i]
                    now, improved = now - gain, True
            rerank(col)


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
        # clusters (the builder's groups, else Louvain) laid out one by one, labels mostly hidden
        by_group: dict[str, list[str]] = defaultdict(list)
        for node in data.nodes:
            if node.group is not None:
                by_group[node.group].append(node.id)
        groups = list(by_group.values()) or [
            sorted(p) for p in nx.community.louvain_communities(graph, weight="weight", seed=SEED) if len(p) > 1
        ]
        spacing = FORCE_SPACING
    else:
        # connected parts laid out one by one (a spring layout of the whole squeezes each part
        # into a point to keep the parts apart), roomy enough for every label
        groups = [sorted(c) for c in nx.connected_components(graph) if len(c) > 1]
        spacing = LABELLED_SPACING
    grouped = {n for members in groups for n in members}
    loose = [n.id for n in data.nodes if n.id not in grouped]
    pos = _packed(graph, groups, loose, spacing)
    for node in data.nodes:
        node.x, node.y = pos[node.id]


def _packed(graph: nx.Graph, groups: list[list[str]], loose: list[str], spacing: float) -> dict:
    """Each group laid out in a disc of its own, loose nodes in one more, discs packed in rows."""
    discs = [_disc(_induced(graph, members), spacing) for members in groups if members]
    if loose:
        discs.append(_sunflower(loose, spacing))
    discs.sort(key=lambda d: -d[1])
    width = max(2 * discs[0][1], 1.15 * math.sqrt(sum((2 * r) ** 2 for _, r in discs)))
    pos: dict[str, tuple[float, float]] = {}
    x = y = row_radius = 0.0
    for local, radius in discs:
        if x > 0 and x + 2 * radius > width:
            x, y = 0.0, y + 2 * row_radius + spacing
            row_radius = 0.0
        row_radius = row_radius or radius  # the first disc of a row is its largest
        for node, (lx, ly) in local.items():
            pos[node] = (x + radius + lx, y + row_radius + ly)
        x += 2 * radius + spacing
    return pos


def _induced(graph: nx.Graph, members: list[str]) -> nx.Graph:
    """The subgraph on ``members``, its nodes in their order: networkx lists a subgraph view of
    under half a graph in set order, which changes from run to run and with it the layout."""
    induced = nx.Graph()
    induced.add_nodes_from(members)
    induced.add_edges_from(graph.subgraph(members).edges(data=True))
    return induced


def _disc(graph: nx.Graph, spacing: float) -> tuple[dict[str, tuple[float, float]], float]:
    """A group's own layout centred on 0 and the radius it needs."""
    radius = spacing * math.sqrt(len(graph))
    if len(graph) <= SPRING_MAX:
        pos = nx.spring_layout(graph, weight="weight", seed=SEED, iterations=50, scale=radius)
        return {n: (float(p[0]), float(p[1])) for n, p in pos.items()}, radius
    parts = [sorted(p) for p in nx.community.louvain_communities(graph, weight="weight", seed=SEED)]
    if len(parts) == 1:
        return _sunflower(parts[0], spacing)
    pos = _packed(graph, parts, [], spacing)
    cx = sum(p[0] for p in pos.values()) / len(pos)
    cy = sum(p[1] for p in pos.values()) / len(pos)
    radius = max(math.hypot(px - cx, py - cy) for px, py in pos.values())
    return {n: (px - cx, py - cy) for n, (px, py) in pos.items()}, radius


def _sunflower(nodes: list[str], spacing: float) -> tuple[dict[str, tuple[float, float]], float]:
    """Nodes evenly spread over a disc (Vogel's spiral): for loose nodes and unsplittable groups."""
    golden = math.pi * (3 - math.sqrt(5))
    step = 0.6 * spacing
    pos = {}
    for i, node in enumerate(nodes):
        r = step * math.sqrt(i)
        pos[node] = (r * math.cos(i * golden), r * math.sin(i * golden))
    return pos, step * math.sqrt(len(nodes)) + spacing / 2
