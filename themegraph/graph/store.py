"""The store interface shared by the embedded Ladybug store and the Neo4j store.

Callers (queries, the CLI, exports) see only this interface; ``graph.open.open_store`` picks
which store from the arguments or the environment.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from . import writer
from .batch import Batch, collector_paused
from .schema import NODES, RELS
from .writer import LoadReport, now_iso


class Store(ABC):
    """A ThemeGraph knowledge base."""

    name: str = "store"
    #: The Cypher dialect it speaks: a named query may carry a variant for it (``path.ladybug.cypher``)
    #: where the portable text cannot say the same thing.  Neo4j's is the portable one.
    dialect: str = "cypher"
    #: Writes committed by this process (any store): after Ctrl-C, the CLI says whether one was.
    commits: int = 0

    @classmethod
    def _committed(cls) -> None:
        """Called by a store the moment a write is durable."""
        Store.commits += 1

    @abstractmethod
    def _write(self, fn, rows: int = 0) -> LoadReport:
        """Run ``fn(ops: WriteOps)`` atomically: committed if it returns, else rolled back.

        ``rows`` (the load's size) lets a store choose how: Neo4j stages loads too big for one
        transaction."""

    def apply(self, batch: Batch, *, force: bool = False, policy: str = writer.KEEP) -> LoadReport:
        """Write ``batch`` atomically, replacing what its source contributed before.

        Unchanged content (same fingerprint as the last load of that source) is skipped unless
        ``force``.  Either everything is written or, on any error, nothing is.  ``policy`` settles
        values that disagree with another source's (``writer.KEEP``, ``PREFER_NEW``, ``STRICT``).
        """
        return self.apply_many([batch], force=force, policy=policy)[0]

    def apply_many(self, batches: list[Batch], *, force: bool = False, policy: str = writer.KEEP) -> list[LoadReport]:
        """Apply batches of distinct sources in one transaction: all of them or none.  Reports
        come back in the order given.

        A commit is the expensive part of a small load (Ladybug checkpoints at every commit), so
        a corpus of many studies loads far faster as one transaction than as one per study.
        """
        names = [b.source for b in batches]
        if len(set(names)) != len(names):
            raise ValueError("apply_many needs batches of distinct sources")
        with collector_paused():
            return self._apply_many(self._one_work_per_doi(batches), force, policy)

    def _one_work_per_doi(self, batches: list[Batch]) -> list[Batch]:
        """The identity rule for works (docs/identity.md): a Work whose DOI a stored Work (or an
        earlier batch of this load) has takes that Work's id, whatever its own id says, so two
        spellings of one title never make two works of one DOI."""
        incoming = [(b, id_, row["doi"].lower()) for b in batches
                    for id_, row in b.nodes.get("Work", {}).items() if row.get("doi")]
        if not incoming:
            return batches
        known = {r["doi"].lower(): r["id"] for r in self.query(
            "MATCH (w:Work) WHERE w.doi IS NOT NULL RETURN w.doi AS doi, w.id AS id ORDER BY id")}
        renames: dict[str, str] = {}
        for batch, id_, doi in incoming:
            canonical = known.setdefault(doi, id_)
            if canonical != id_:
                renames[id_] = canonical
        if not renames:
            return batches
        # every batch of the load follows, so a study citing a work another batch holds still finds it
        return [b.renamed("Work", renames) for b in batches]

    def _apply_many(self, batches: list[Batch], force: bool, policy: str) -> list[LoadReport]:
        recorded, digests = {}, {}
        if not force:
            rows = self.query("MATCH (s:Source) RETURN s.id AS id, s.fingerprint AS f, s.digest AS d")
            recorded = {r["id"]: r["f"] for r in rows}
            digests = {r["id"]: r["d"] for r in rows}
        todo = [b for b in batches if force or recorded.get(b.source) != b.fingerprint()]
        # same rows from files whose digest was not recorded yet: record it, so the next load
        # of the same files stops before parsing them
        undigested = [b for b in batches if b not in todo and b.digest and digests.get(b.source) != b.digest]
        if undigested:
            self._write(lambda ops: writer.record_digests(ops, undigested))
        if not todo:
            return [LoadReport(b.source, skipped=True) for b in batches]
        loaded_at = now_iso()
        size = sum(b.size() for b in todo)
        written = {r.source: r for r in self._write(lambda ops: writer.write_batches(ops, todo, loaded_at, policy), size)}
        return [written.get(b.source) or LoadReport(b.source, skipped=True) for b in batches]

    def write_rows(self, fn, rows: int = 0) -> LoadReport:
        """Run ``fn(ops)`` (``writer.WriteOps``) atomically, for writers of exact rows that are not
        loads (a JSONL restore, a copy between stores): no replace-by-source, no fingerprints."""
        return self._write(fn, rows)

    def drop_source(self, source: str) -> LoadReport:
        """Remove everything ``source`` contributed (atomically)."""
        loaded_at = now_iso()
        return self._write(lambda ops: writer.drop_source(ops, source, loaded_at))

    @abstractmethod
    def query(self, cypher: str, params: dict | None = None) -> list[dict]:
        """Run a read query with parameters; rows as dicts, nodes and relations as plain dicts."""

    def query_df(self, cypher: str, params: dict | None = None):
        """``query`` as a pandas DataFrame (columns in the query's order)."""
        import pandas as pd

        rows = self.query(cypher, params)
        return pd.DataFrame(rows) if rows else pd.DataFrame(columns=self.columns_of(cypher, params))

    def columns_of(self, cypher: str, params: dict | None = None) -> list[str]:
        """Column names of a query (used when it returns no rows)."""
        return []

    def counts(self) -> dict[str, dict[str, int]]:
        """``{"nodes": {kind: n}, "relationships": {type: n}}`` with every declared kind."""
        return self.counts_of(None)

    def counts_of(self, present: set[str] | None) -> dict[str, dict[str, int]]:
        """Counts, querying only the kinds in ``present`` (None: all); the others are zero."""
        nodes = {k.name: 0 for k in NODES}
        rels = {r.name: 0 for r in RELS}
        for kind in NODES:
            if present is None or kind.name in present:
                nodes[kind.name] = self._count(f"MATCH (n:{kind.name}) RETURN count(n) AS c")
        for rel in RELS:
            if present is None or rel.name in present:
                rels[rel.name] = sum(
                    self._count(f"MATCH (:{k})-[r:{rel.name}]->() RETURN count(r) AS c") for k in rel.from_kinds
                    if present is None or k in present
                )
        return {"nodes": nodes, "relationships": rels}

    def _count(self, cypher: str) -> int:
        rows = self.query(cypher)
        return int(rows[0]["c"]) if rows else 0

    def digest_of(self, source: str) -> str | None:
        """The input digest recorded by the last load of ``source`` (None: never loaded, or
        loaded without one)."""
        rows = self.query("MATCH (s:Source) WHERE s.id = $id RETURN s.digest AS d", {"id": source})
        return rows[0]["d"] if rows else None

    def sources(self) -> list[dict]:
        """Every recorded load, oldest first."""
        return self.query(
            "MATCH (s:Source) RETURN s.id AS source, s.loader AS loader, s.path AS path, "
            "s.loaded_at AS loaded_at, s.counts AS counts ORDER BY s.loaded_at, s.id"
        )

    def unfinished_loads(self) -> list[dict]:
        """Staged loads not (yet) published: run, started, heartbeat, nodes.  Only Neo4j stages."""
        return []

    @abstractmethod
    def close(self) -> None:
        """Release the database (and its lock)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
