"""The server store: Neo4j through the official driver.

Credentials come from the environment (``NEO4J_USERNAME``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``)
and are never printed.  A load runs ``writer.write_batches`` in one managed write transaction (the
driver retries it on transient errors), sending rows in UNWIND batches; a load too big for one
transaction is staged and then published (``neo4j_staging``).  Uniqueness constraints and indexes
are created before the first write.
"""

from __future__ import annotations

import logging
import os

from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable

import neo4j
from neo4j import GraphDatabase

from ..errors import StoreError
from .neo4j_ops import Ops
from .neo4j_staging import (
    TooBig,
    stage_rows,
    staged_write,
    stale_runs,
    write_transaction,
)
from .schema import neo4j_constraints
from .store import Store
from .writer import LoadReport

CONNECT_TIMEOUT = float(os.environ.get("THEMEGRAPH_NEO4J_TIMEOUT", "10"))

#: Messages for the user; the command line prints them on stderr (``cli.run``).
log = logging.getLogger(__name__)


def _plain(value):
    """Driver values as plain Python: nodes and relations become property dicts."""
    if isinstance(value, neo4j.graph.Node):  # "_" properties are the store's bookkeeping
        out = {k: _plain(v) for k, v in value.items() if not k.startswith("_")}
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
        self._stage_limit: int | None = None  # rows above which a load is staged, asked once

    def _ensure_schema(self) -> None:
        if not self._schema_ready:
            with self.driver.session(database=self.database) as session:
                for stmt in neo4j_constraints():
                    session.run(stmt).consume()
            self._schema_ready = True

    def _write(self, fn, rows: int = 0) -> LoadReport:
        """One managed transaction, or a staged load (``neo4j_staging``) when the load is too big
        for one: above ``stage_rows()``, or when the server runs out of transaction memory."""
        self._ensure_schema()  # constraints before the first MERGE/CREATE
        try:
            if rows <= self._stage_rows():
                try:
                    with self.driver.session(database=self.database) as session:
                        report = session.execute_write(write_transaction(lambda tx: fn(Ops(tx))))
                    self._committed()
                    return report
                except TooBig:
                    log.info(f"{rows:,} rows are too many for one transaction on this server; staging the load")
            report = staged_write(self.driver, self.database, fn)
            self._committed()
            return report
        except Neo4jError as exc:
            raise StoreError(f"Neo4j rolled the load back, nothing was written: {exc.message}") from None
        except ServiceUnavailable as exc:
            raise StoreError(f"lost Neo4j at {self.uri} during the load; it was rolled back: {exc}") from None

    def _stage_rows(self) -> int:
        """Rows above which a load is staged: ``THEMEGRAPH_NEO4J_STAGE_ROWS``, else from the server."""
        if os.environ.get("THEMEGRAPH_NEO4J_STAGE_ROWS"):
            return int(os.environ["THEMEGRAPH_NEO4J_STAGE_ROWS"])
        if self._stage_limit is None:
            self._stage_limit = stage_rows(self.driver, self.database)
        return self._stage_limit

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

    def unfinished_loads(self) -> list[dict]:
        return stale_runs(self.driver, self.database)

    def close(self) -> None:
        self.driver.close()
