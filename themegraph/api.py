"""The Python interface, for notebooks: ``kb = themegraph.open(db=...)``; ``kb.query(...)``."""

from __future__ import annotations

from .errors import ThemeGraphError
from .graph.open import open_store
from .graph.store import Store
from .queries import catalog


class KnowledgeBase:
    """A knowledge base opened from Python; answers come back as pandas DataFrames.

    The embedded store reads the database as it was when opened: after a load from the command
    line (or another process), call ``refresh()`` to see it.  Neo4j answers from the server and
    always sees the latest load.
    """

    def __init__(self, store: Store, reopen=None):
        self.store = store
        self._reopen = reopen

    def refresh(self) -> KnowledgeBase:
        """Open the knowledge base again, to see what was loaded since it was opened."""
        if self._reopen is None:
            raise ThemeGraphError("this knowledge base was given a store, not opened: open it again instead")
        self.store.close()
        self.store = self._reopen()
        return self

    def query(self, name: str, **params):
        """Run a named query (see ``themegraph query list``) and return a DataFrame."""
        import pandas as pd

        rows = catalog.run(self.store, name, params)
        return pd.DataFrame(rows, columns=list(catalog.get(name).columns))

    def cypher(self, cypher: str, **params):
        """Run a read query with parameters and return a DataFrame."""
        return self.store.query_df(cypher, params)

    def stats(self) -> dict:
        """Counts per node kind and relation type."""
        return self.store.counts()

    def queries(self):
        """The named queries as a DataFrame (name, question, params, columns)."""
        import pandas as pd

        return pd.DataFrame([q.describe() for q in catalog.catalog().values()])

    def close(self) -> None:
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open(db: str | None = None, neo4j: str | None = None, *, read_only: bool = True) -> KnowledgeBase:  # noqa: A001
    """Open the embedded knowledge base at ``db`` or the Neo4j at ``neo4j`` (env as for the CLI).

    ``kb.refresh()`` opens it again after a load made elsewhere (the embedded store does not see
    loads made after it was opened).
    """

    def reopen() -> Store:
        return open_store(db, neo4j, read_only=read_only)

    return KnowledgeBase(reopen(), reopen)
