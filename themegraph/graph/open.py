"""Which store a command works on: ``open_store`` picks it from the arguments or the environment.

``--neo4j URI`` / ``NEO4J_URI`` selects Neo4j, otherwise the embedded database at ``--db PATH`` /
``THEMEGRAPH_DB`` / ``./themegraph.db``.  Kept apart from ``store.py`` (the interface) so that the
two stores can import the interface without the interface importing them: no import cycle.
"""

from __future__ import annotations

import os

from .store import Store

DEFAULT_DB = "themegraph.db"


def open_store(db: str | None = None, neo4j: str | None = None, *, read_only: bool = False) -> Store:
    """The store the user asked for: Neo4j if a URI is given (or in NEO4J_URI), else embedded."""
    uri = neo4j or (None if db else os.environ.get("NEO4J_URI"))
    if uri:
        from .neo4j_store import Neo4jStore

        return Neo4jStore(uri)
    from .ladybug_store import LadybugStore

    return LadybugStore(db or os.environ.get("THEMEGRAPH_DB") or DEFAULT_DB, read_only=read_only)
