"""Maps of a knowledge base: interactive offline HTML pages and static figures.

``build_map`` reads one of four maps (themes, theory, citations, participants) from a store;
``write_html`` writes it as a self-contained page (vis-network inlined, no network access),
and ``write_figure`` as a PNG or SVG for a paper.  (GraphML export lives in ``exports``.)
"""

from .build import KINDS, build_map, why_empty
from .figure import write_figure
from .html import write_html
from .model import MapData

__all__ = ["KINDS", "MapData", "build_map", "why_empty", "write_figure", "write_html"]
