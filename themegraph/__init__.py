"""ThemeGraph: a qualitative study and the literature around it as a graph knowledge base.

From Python::

    import themegraph
    kb = themegraph.open(db="demo/themegraph.db")      # or themegraph.open(neo4j="bolt://...")
    kb.query("theory-links", theory="Bordin")           # a pandas DataFrame
"""

__version__ = "0.1.0"

from .api import KnowledgeBase, open  # noqa: E402,F401  (the public entry point)
