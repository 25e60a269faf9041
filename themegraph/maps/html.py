"""``write_html``: one self-contained, offline, script-safe page per map.

The page is our own small template (assets/page.html, map.css, map.js) around vis-network
9.1.2, vendored unchanged with its licence in assets/vis-network/ and inlined at write time.
(pyvis was used for this once; its template fetches vis, Bootstrap and tom-select from CDNs and
turns tooltips into raw HTML, and all that was left of it was the vis files and a dict of
options, which ``network`` now builds itself.)

Safety: the map travels as JSON in a ``<script type="application/json">`` block with ``<``,
``>``, ``&`` and U+2028/2029 escaped, so no text can close the block; map.js puts every string
into the page with ``textContent``.  A Content-Security-Policy allows only the page's two
inline scripts (by hash) and no network access at all, so even a slip elsewhere could neither
run an injected script nor fetch anything.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from functools import cache
from pathlib import Path

from ..files import write_text
from . import layout
from .model import MapData, MapEdge, MapNode
from .palette import darker

ASSETS = Path(__file__).parent / "assets"
VIS_DIR = ASSETS / "vis-network"
_MARKER = re.compile(r"@@([A-Z_]+)@@")
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_HIGHLIGHT = "#1f2933"
#: Outlines that tell studies apart (Okabe-Ito's darker hues: distinct from the theme fills).
STUDY_OUTLINES = ("#000000", "#0072b2", "#d55e00", "#cc79a7", "#009e73", "#e69f00", "#56b4e9")
FONT = "system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif"


def write_html(data: MapData, path: Path) -> None:
    """Write ``data`` (laid out) as a single HTML file that works offline from ``file://``."""
    write_text(path, render(data))


def render(data: MapData) -> str:
    """The page for ``data`` as a string."""
    net = network(data)
    studies = map_studies(data)
    payload = {
        "kind": data.kind,
        "title": data.title,
        "note": data.note,
        "physics": data.physics,
        "nodes": net["nodes"],
        "edges": net["edges"],
        "legend": [{"section": e.section, "label": e.label, "color": e.color, "shape": e.shape} for e in data.legend]
        + [{"section": "Studies (outline)", "label": sid, "color": colour, "shape": "line"} for sid, colour in studies.items()],
        "studyOptions": list(studies),
        "themeOptions": [list(t) for t in data.theme_options],
        "stanceOptions": data.stance_options,
        "collapsed": data.collapsed,
        "tree": layout.TREE_CONSTANTS if data.layout == "tree" else None,
        "matrix": data.matrix,
        "applied": data.applied,
        "options": net["options"],
    }
    vis_js = _asset(VIS_DIR / "vis-network.min.js")
    map_js = _asset(ASSETS / "matrix.js") + "\n" + _asset(ASSETS / "map.js")  # one inline script
    parts = {
        "CSP": _csp(vis_js, map_js),
        "TITLE": html.escape(data.title),
        "SUBTITLE": html.escape(data.subtitle),
        "VIS_CSS": _asset(VIS_DIR / "vis-network.min.css"),
        "MAP_CSS": _asset(ASSETS / "map.css"),
        "VIS_JS": vis_js,
        "DATA": script_json(payload),
        "MAP_JS": map_js,
    }
    # one pass over the template: inserted text is never scanned for markers again
    return _MARKER.sub(lambda m: parts[m.group(1)], _asset(ASSETS / "page.html"))


def script_json(value) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>``, ``&`` or line separators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group(0)], text)


@cache
def _asset(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".js" and "</script" in text.lower():
        raise RuntimeError(f"{path} cannot be inlined: it contains '</script'")
    return text


def _csp(*scripts: str) -> str:
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode('utf-8')).digest()).decode()}'" for s in scripts
    )
    return (
        f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )


def map_studies(data: MapData) -> dict[str, str]:
    """The studies a map holds, with the outline colour of each, when it holds more than one."""
    studies = sorted({n.study for n in data.nodes if n.study})
    return {s: STUDY_OUTLINES[i % len(STUDY_OUTLINES)] for i, s in enumerate(studies)} if len(studies) > 1 else {}


def network(data: MapData) -> dict:
    """The map's vis-network nodes, edges and options (``nodes``, ``edges``, ``options``)."""
    outlines = map_studies(data)
    nodes = [_vis_node(n, outlines.get(n.study)) for n in data.nodes]
    if data.layout == "tree":  # the page lays the tree out again when it is folded
        for item, node in zip(nodes, data.nodes, strict=True):
            item["row"] = layout.tree_row(node)
    options = {
        "configure": {"enabled": False},
        "edges": {
            "color": {"inherit": False},
            # curved edges cost too much to draw above ``LARGE`` nodes
            "smooth": {"enabled": False, "type": "dynamic"} if data.large else {"enabled": True, "type": "continuous"},
            "font": {"size": 11, "face": FONT, "align": "middle", "strokeWidth": 3, "strokeColor": "#ffffff"},
            "selectionWidth": 1.5,
            "hoverWidth": 1.0,
        },
        "nodes": {
            "borderWidth": 1,
            "font": {"size": 14, "face": FONT, "color": "#1f2933", "strokeWidth": 3, "strokeColor": "#ffffff"},
            "widthConstraint": {"maximum": layout.LABEL_WIDTH},
        },
        "interaction": {
            "dragNodes": True,
            "hideEdgesOnDrag": data.large,
            "hideNodesOnDrag": False,
            "hover": True,
            "hideEdgesOnZoom": data.large,
            "tooltipDelay": 80,
            "keyboard": False,
        },
        "layout": {"improvedLayout": False, "randomSeed": 7},
        "physics": {
            "enabled": data.physics,
            "solver": "barnesHut",
            "barnesHut": {"gravitationalConstant": -5000, "springLength": 130, "avoidOverlap": 0.3},
            "stabilization": {"enabled": True, "iterations": 400, "fit": True, "updateInterval": 50},
        },
    }
    return {"nodes": nodes, "edges": [_vis_edge(i, e) for i, e in enumerate(data.edges)], "options": options}


def _vis_node(n: MapNode, outline: str | None = None) -> dict:
    item = {
        "id": n.id,
        "label": n.label,
        "kind": n.kind,
        "x": round(n.x, 1),
        "y": round(n.y, 1),
        "size": round(n.size, 1),
        "shape": n.shape,
        "color": {
            "background": n.color,
            "border": darker(n.color),
            "highlight": {"background": n.color, "border": _HIGHLIGHT},
            "hover": {"background": n.color, "border": _HIGHLIGHT},
        },
    }
    if outline:  # several studies: each one's nodes ringed in its colour
        item["color"]["border"] = outline
        item["borderWidth"] = 3
    if n.study:
        item["study"] = n.study
    if n.font_size != 14:
        item["font"] = {"size": n.font_size}
    if n.tip:
        item["tip"] = [list(line) for line in n.tip]
    if n.trail:
        item["trail"] = [list(line) for line in n.trail]
    if n.themes is not None:
        item["themes"] = list(n.themes)
    if n.stances is not None:
        item["stances"] = list(n.stances)
    if n.parents:
        item["parents"] = list(n.parents)
    return item


def _vis_edge(i: int, e: MapEdge) -> dict:
    item = {
        "id": i,
        "from": e.source,
        "to": e.target,
        "width": round(e.width, 2),
        "color": {"color": e.color, "highlight": _HIGHLIGHT, "hover": _HIGHLIGHT},
    }
    if e.label:
        item["label"] = e.label
        item["font"] = {"color": e.color}
    if e.dashed:
        item["dashes"] = True
    if e.arrow:
        item["arrows"] = "to"
    if e.tip:
        item["tip"] = [list(line) for line in e.tip]
    if e.stance:
        item["stance"] = e.stance
    return item
