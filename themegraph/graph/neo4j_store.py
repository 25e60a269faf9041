"""The server store: Neo4j through the official driver.

Credentials come from the environment (``NEO4J_USERNAME``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``)
and are never printed.  A load runs ``writer.write_batches`` in one managed write transaction (the
driver retries it on transient errors), sending rows in UNWIND batches; uniqueness constraints
and indexes are created before the first write.
"""

from __future__ import annotations

import os

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable

from ..errors import StoreError
from .schema import NodeKind, RelKind, neo4j_constraints, neo4j_node_create, neo4j_node_update, neo4j_rel_create
from .store import Store
from .writer import LoadReport, MissingEndpoint

BATCH_ROWS = 10000
CONNECT_TIMEOUT = float(os.environ.get("THEMEGRAPH_NEO4J_TIMEOUT", "10"))


def _chunks(rows: list, size: int = BATCH_ROWS):
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _plain(value):
    """Driver values as plain Python: nodes and relations become property dicts."""
    if isinstance(value, neo4j.graph.Node):
        out = {k: _plain(v) for k, v in value.items()}
        out["_label"] = next(iter(value.labels), None)
        return out
    if isinstance(value, neo4j.graph.Relationship):
        out = {k: _plain(v) for k, v in value.items()}
        out["_label"] = value.type
        return out
    if isinstance(value, neo4j.graph.Path):
        return {"nodes": [_plain(n) for n in value.nodes], "relationships": [_plain(r) for r in value.relationships]}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class _Ops:
    """``writer.WriteOps`` on one Neo4j managed transaction."""

    verifies_endpoints = True  # insert_rels counts what it created; a shortfall names no row yet

    def __init__(self, tx: neo4j.ManagedTransaction):
        self.tx = tx

    def _ids(self, cypher: str, **params) -> set[str]:
        return {r[0] for r in self.tx.run(cypher, **params)}

    def delete_source_rels(self, rel: RelKind, source: str) -> None:
        self.tx.run(f"MATCH ()-[r:{rel.name}]->() WHERE r.source = $s DELETE r", s=source).consume()

    def ids_with_source(self, kind: NodeKind, source: str) -> set[str]:
        return self._ids(f"MATCH (n:{kind.name}) WHERE $s IN n.sources RETURN n.id", s=source)

    def fetch(self, kind: NodeKind, ids: list[str]) -> dict[str, dict]:
        out = {}
        cols = [p.name for p in kind.columns]
        for chunk in _chunks(ids):
            for rec in self.tx.run(f"UNWIND $ids AS id MATCH (n:{kind.name} {{id: id}}) RETURN n", ids=chunk):
                node = rec["n"]
                out[node["id"]] = {c: node.get(c) for c in cols}
        return out

    def present(self, kind: NodeKind, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(ids):
            found |= self._ids(f"UNWIND $ids AS id MATCH (n:{kind.name} {{id: id}}) RETURN n.id", ids=chunk)
        return found

    def ids_with_rels(self, kind: NodeKind, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(ids):
            found |= self._ids(
                f"UNWIND $ids AS id MATCH (n:{kind.name} {{id: id}}) WHERE EXISTS {{ (n)--() }} RETURN n.id", ids=chunk
            )
        return found

    def insert_nodes(self, kind: NodeKind, rows: list[dict]) -> None:
        for chunk in _chunks(rows):
            self.tx.run(neo4j_node_create(kind), rows=[_props(r) for r in chunk]).consume()

    def update_nodes(self, kind: NodeKind, rows: list[dict]) -> None:
        for chunk in _chunks(rows):
            self.tx.run(neo4j_node_update(kind), rows=[_props(r) for r in chunk]).consume()

    def delete_nodes(self, kind: NodeKind, ids: list[str]) -> None:
        for chunk in _chunks(ids):
            self.tx.run(f"UNWIND $ids AS id MATCH (n:{kind.name} {{id: id}}) DETACH DELETE n", ids=chunk).consume()

    def insert_rels(self, rel: RelKind, src: str, dst: str, segments: list[tuple[list[dict], dict]]) -> None:
        for rows, stamp in segments:
            statement = neo4j_rel_create(rel, src, dst, tuple(stamp))
            for chunk in _chunks(rows):
                made = self.tx.run(statement, rows=chunk, **stamp).single()["n"]
                if made != len(chunk):
                    raise MissingEndpoint(f"{rel.name}: {len(chunk) - made} relation(s) name a missing {src} or {dst}")


def _props(row: dict) -> dict:
    """Neo4j cannot store nulls: absent properties are simply left out."""
    return {k: v for k, v in row.items() if v is not None}


class Neo4jStore(Store):
    """A knowledge base on a Neo4j server."""

    name = "neo4j"

    def __init__(self, uri: str):
        self.uri = uri
        user = os.environ.get("NEO4J_USERNAME", "neo4j")
        password = os.environ.get("NEO4J_PASSWORD")
        if not password:
            raise StoreError(f"NEO4J_PASSWORD is not set; it is needed to connect to {uri}")
        self.database = os.environ.get("NEO4J_DATABASE") or None
        try:
            self.driver = GraphDatabase.driver(
                uri,
                auth=(user, password),
                connection_timeout=CONNECT_TIMEOUT,
                max_transaction_retry_time=60,  # long enough to ride out a server restart
                notifications_min_severity="OFF",  # warnings about absent properties are not news
            )
            self.driver.verify_connectivity()
        except AuthError:
            raise StoreError(f"Neo4j at {uri} refused the credentials of user {user!r} (authentication failed)") from None
        except (ServiceUnavailable, OSError) as exc:
            raise StoreError(f"cannot reach Neo4j at {uri}: {exc.__class__.__name__}") from None
        except (ValueError, neo4j.exceptions.ConfigurationError) as exc:
            raise StoreError(f"invalid Neo4j URI {uri!r}: {exc}") from None
        self._schema_ready = False

    def _ensure_schema(self) -> None:
        if not self._schema_ready:
            with self.driver.session(database=self.database) as session:
                for stmt in neo4j_constraints():
                    session.run(stmt).consume()
            self._schema_ready = True

    def _write(self, fn) -> LoadReport:
        self._ensure_schema()  # constraints before the first MERGE/CREATE
        try:
            with self.driver.session(database=self.database) as session:
                return session.execute_write(lambda tx: fn(_Ops(tx)))
        except Neo4jError as exc:
            raise StoreError(f"Neo4j rolled the load back, nothing was written: {exc.message}") from None
        except ServiceUnavailable as exc:
            raise StoreError(f"lost Neo4j at {self.uri} during the load; it was rolled back: {exc}") from None

    def query(self, cypher: str, params: dict | None = None) -> list[dict]:
        try:
            records, _, _ = self.driver.execute_query(
                cypher, parameters_=params or {}, database_=self.database, routing_=neo4j.RoutingControl.READ
            )
        except Neo4jError as exc:
            raise StoreError(f"query failed: {exc.message}") from None
        except ServiceUnavailable:
            raise StoreError(f"cannot reach Neo4j at {self.uri}") from None
        return [{k: _plain(v) for k, v in rec.items()} for rec in records]

    def columns_of(self, cypher: str, params: dict | None = None) -> list[str]:
        _, summary, keys = self.driver.execute_query(cypher, parameters_=params or {}, database_=self.database)
        return list(keys)

    def close(self) -> None:
        self.driver.close()
