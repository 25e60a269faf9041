"""ThemeGraph: a qualitative study and the literature around it as a graph knowledge base.

From Python::

    import themegraph
    kb = themegraph.open(db="demo/themegraph.db")      # or themegraph.open(neo4j="bolt://...")
    kb.query("theory-links", theory="Bordin")           # a pandas DataFrame
"""

__version__ = "0.1.0"

__all__ = ["KnowledgeBase", "open"]


def __getattr__(name: str):
    """The public entry point (``themegraph.open``), imported on first use: the command line
    never needs it, and ``themegraph --help`` should not pay for it."""
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'themegraph' has no attribute {name!r}")
