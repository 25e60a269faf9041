"""Maps of a knowledge base: interactive offline HTML pages, static figures and GraphML.

``build_map`` reads one of four maps (themes, theory, citations, participants) from a store;
``write_html`` writes it as a self-contained page (vis-network inlined, no network access),
``write_figure`` as a PNG or SVG for a paper, and ``write_graphml`` exports the whole graph
(or one study) for Gephi or Cytoscape.
"""

from .build import KINDS, build_map
from .figure import write_figure
from .graphml import write_graphml
from .html import write_html
from .model import MapData

__all__ = ["KINDS", "MapData", "build_map", "write_figure", "write_graphml", "write_html"]
