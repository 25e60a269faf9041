"""ThemeGraph: a qualitative study and the literature around it as a graph knowledge base."""

__version__ = "0.1.0"
