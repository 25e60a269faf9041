"""``writer.WriteOps`` on one Neo4j transaction: the reads and UNWIND writes of a load.

Rows go to the server in UNWIND batches of ``BATCH_ROWS``; relation inserts count what they
created, so a row naming a missing node is caught without a lookup per endpoint beforehand.
"""

from __future__ import annotations

import neo4j

from .schema import (
    NodeKind,
    RelKind,
    neo4j_node_create,
    neo4j_node_update,
    neo4j_rel_create,
)
from .writer import MissingEndpoint

BATCH_ROWS = 10000


def chunks(rows: list, size: int | None = None):
    """``rows`` in slices of at most ``size`` (default ``BATCH_ROWS``)."""
    size = size or BATCH_ROWS
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def props(row: dict) -> dict:
    """Neo4j cannot store nulls: absent properties are simply left out."""
    return {k: v for k, v in row.items() if v is not None}


def all_made(made: int, rows: list, rel: RelKind, src: str, dst: str) -> None:
    """A relation insert that created fewer relations than rows met a missing endpoint."""
    if made != len(rows):
        raise MissingEndpoint(f"{rel.name}: {len(rows) - made} relation(s) name a missing {src} or {dst}")


def release_rels_statements(rel: RelKind, extra: str = "") -> tuple[str, str]:
    """Take source ``$s`` off the relations of ``rel`` that assert it: those it alone asserts are
    deleted, the others keep their other sources.  ``extra`` narrows the match (staging leaves
    its own new relations alone)."""
    match = f"MATCH (a)-[r:{rel.name}]->() WHERE $s IN r.sources {extra}"
    return (
        f"{match}AND size(r.sources) = 1 DELETE r",
        f"{match}SET r.sources = [x IN r.sources WHERE x <> $s]",
    )


class Ops:
    """``writer.WriteOps`` on one Neo4j managed transaction."""

    verifies_endpoints = True  # insert_rels counts what it created; a shortfall names no row yet

    def __init__(self, tx: neo4j.ManagedTransaction):
        self.tx = tx

    def _ids(self, cypher: str, **params) -> set[str]:
        return {r[0] for r in self.tx.run(cypher, **params)}

    def release_rels(self, rel: RelKind, source: str) -> None:
        for statement in release_rels_statements(rel):
            self.tx.run(statement, s=source).consume()

    def ids_with_source(self, kind: NodeKind, source: str) -> set[str]:
        return self._ids(f"MATCH (n:{kind.name}) WHERE $s IN n.sources RETURN n.id", s=source)

    def _none_of(self, kind: NodeKind) -> bool:
        """No node of ``kind`` yet (answered from Neo4j's count store, without a scan): a first
        load then skips looking up each of its ids."""
        return self.tx.run(f"MATCH (n:{kind.name}) RETURN count(n) AS c").single()["c"] == 0

    def fetch(self, kind: NodeKind, ids: list[str]) -> dict[str, dict]:
        out: dict[str, dict] = {}
        if not ids or self._none_of(kind):
            return out
        cols = [p.name for p in kind.columns]
        for chunk in chunks(ids):
            for rec in self.tx.run(f"UNWIND $ids AS id MATCH (n:{kind.name} {{id: id}}) RETURN n", ids=chunk):
                node = rec["n"]
                out[node["id"]] = {c: node.get(c) for c in cols}
        return out

    def present(self, kind: NodeKind, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(ids):
            found |= self._ids(f"UNWIND $ids AS id MATCH (n:{kind.name} {{id: id}}) RETURN n.id", ids=chunk)
        return found

    def ids_with_rels(self, kind: NodeKind, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(ids):
            found |= self._ids(
                f"UNWIND $ids AS id MATCH (n:{kind.name} {{id: id}}) WHERE EXISTS {{ (n)--() }} RETURN n.id", ids=chunk
            )
        return found

    def insert_nodes(self, kind: NodeKind, rows: list[dict]) -> None:
        for chunk in chunks(rows):
            self.tx.run(neo4j_node_create(kind), rows=[props(r) for r in chunk]).consume()

    def update_nodes(self, kind: NodeKind, rows: list[dict]) -> None:
        for chunk in chunks(rows):
            self.tx.run(neo4j_node_update(kind), rows=[props(r) for r in chunk]).consume()

    def delete_nodes(self, kind: NodeKind, ids: list[str]) -> None:
        for chunk in chunks(ids):
            self.tx.run(f"UNWIND $ids AS id MATCH (n:{kind.name} {{id: id}}) DETACH DELETE n", ids=chunk).consume()

    def fetch_rels(self, rel: RelKind, src: str, dst: str, keys: list[tuple[str, str, str]]) -> dict[tuple, dict]:
        out: dict[tuple, dict] = {}
        cols = [p.name for p in rel.columns]
        for chunk in chunks(keys):
            for rec in self.tx.run(
                f"UNWIND $keys AS k MATCH (a:{src} {{id: k[0]}})-[r:{rel.name}]->(b:{dst} {{id: k[1]}}) "
                "WHERE r.fact = k[2] RETURN a.id AS src, b.id AS dst, r",
                keys=[list(k) for k in chunk],
            ):
                out[(rec["src"], rec["dst"], rec["r"].get("fact"))] = {c: rec["r"].get(c) for c in cols}
        return out

    def update_rels(self, rel: RelKind, src: str, dst: str, rows: list[dict]) -> None:
        sets = ", ".join(f"r.{p.name} = row.{p.name}" for p in rel.columns if p.name != "fact")
        for chunk in chunks(rows):
            self.tx.run(
                f"UNWIND $rows AS row MATCH (a:{src} {{id: row.src}})-[r:{rel.name}]->(b:{dst} {{id: row.dst}}) "
                f"WHERE r.fact = row.fact SET {sets}",
                rows=chunk,
            ).consume()

    def insert_rels(self, rel: RelKind, src: str, dst: str, segments: list[tuple[list[dict], dict]]) -> None:
        for rows, stamp in segments:
            statement = neo4j_rel_create(rel, src, dst, tuple(stamp))
            for chunk in chunks(rows):
                all_made(self.tx.run(statement, rows=chunk, **stamp).single()["n"], chunk, rel, src, dst)

