"""Neo4j loads too big for one transaction: staged under a run id, then published in one.

Neo4j keeps a transaction's changes in server memory (``db.memory.transaction.total.max``), so a
load of millions of rows cannot be one transaction; written as many, readers would see half of
it.  A large load is therefore *staged*:

1. A ``_StagingRun`` node records the run (its id, and a heartbeat renewed by every staging
   transaction).
2. New nodes are created in batches, each batch its own transaction, under the label ``_Staged``
   instead of their kind's, with ``_run`` set to the run id.  Relations whose two endpoints are
   both staged are created between them, finding them by element id, so staged nodes need no
   index.  No query that names a kind sees any of this: staged nodes carry no kind label and no
   staged relation touches a published node.
3. Everything that changes the published graph (deleting the source's old relations and nodes,
   updating existing nodes, relations that touch a published node) is held back, and
4. *published* in one transaction: those changes, then each staged node's label swapped for its
   kind's.  For the bulk of the rows that is a label change on each new node and nothing on the
   relations, a fraction of what writing them costs, so loads several times larger than one
   transaction allows go through.  The run id is then removed from the published nodes.
5. On any failure, or if publishing fails, the run's staged nodes are deleted (in batches) and
   the store holds what it held before.  A process killed mid-load leaves a run nobody finishes:
   its staged nodes are invisible, ``themegraph check`` reports them, and the next staged load
   deletes runs whose heartbeat is older than ``THEMEGRAPH_STAGE_STALE_SECONDS`` (900).

The replace-by-source algorithm is the writer's, unchanged: ``StagedOps`` answers its reads from
the published graph as the held-back changes will leave it.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from collections import defaultdict

import neo4j

from .. import stopping
from ..errors import StoreError
from .neo4j_ops import Ops, all_made, chunks, props, release_rels_statements
from .schema import (
    NODE_KINDS,
    NODES,
    REL_KINDS,
    STAGED,
    STAGING_RUN,
    NodeKind,
    RelKind,
    neo4j_node_stage,
    neo4j_rel_create,
)
from .writer import MissingEndpoint

STALE_SECONDS = float(os.environ.get("THEMEGRAPH_STAGE_STALE_SECONDS", "900"))
OUT_OF_TRANSACTION_MEMORY = "Neo.TransientError.General.MemoryPoolOutOfMemoryError"

#: Transaction memory a written row costs the server, with some margin (measured on Neo4j 5.26:
#: 357 MB for the 215,597 rows of the benchmark corpus M, 1.7 KB a row).
ROW_BYTES = 2048
#: Used when the server does not tell its limits.
DEFAULT_STAGE_ROWS = 100_000

_UNITS = {"B": 1, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40, "K": 2**10, "M": 2**20, "G": 2**30}

#: Messages for the user; the command line prints them on stderr (``cli.run``).
log = logging.getLogger(__name__)


def _bytes(value: str) -> int:
    """A Neo4j memory setting ("1.50GiB", "512m", "0B") in bytes; 0 means no limit."""
    match = re.fullmatch(r"\s*([\d.]+)\s*([A-Za-z]*)\s*", value or "")
    if not match:
        return 0
    return int(float(match.group(1)) * _UNITS.get(match.group(2).upper() or "B", 1))


def stage_rows(driver: neo4j.Driver, database: str | None) -> int:
    """Loads of more rows than this are staged on this server (``Neo4jStore`` asks once).

    A load is staged when it would need more than half the memory one transaction may take on
    this server (the smaller of ``db.memory.transaction.max`` and
    ``dbms.memory.transaction.total.max``, else 70 % of the heap), leaving the other half to
    concurrent work.  A load that runs out of transaction memory all the same is staged then
    (``Neo4jStore._write``).
    """
    try:
        records, _, _ = driver.execute_query(
            "SHOW SETTINGS YIELD name, value WHERE name IN $names RETURN name, value",
            names=["db.memory.transaction.max", "dbms.memory.transaction.total.max", "server.memory.heap.max_size"],
            database_=database,
        )
    except neo4j.exceptions.Neo4jError:  # not allowed to read settings: stay on the safe side
        return DEFAULT_STAGE_ROWS
    settings = {r["name"]: _bytes(r["value"]) for r in records}
    limits = [settings.get(k, 0) for k in ("db.memory.transaction.max", "dbms.memory.transaction.total.max")]
    limit = min([x for x in limits if x] or [int(settings.get("server.memory.heap.max_size", 0) * 0.7)])
    return max(10_000, limit // 2 // ROW_BYTES) if limit else DEFAULT_STAGE_ROWS


class StagedOps:
    """``writer.WriteOps`` for a staged load: new rows staged now, the rest held for publishing."""

    verifies_endpoints = True

    def __init__(self, driver: neo4j.Driver, database: str | None, run: str):
        self.driver, self.database, self.run = driver, database, run
        self.staged: dict[str, dict[str, str]] = defaultdict(dict)  # kind -> id -> staged node's elementId
        self.updates: dict[str, dict[str, dict]] = defaultdict(dict)  # kind -> id -> new row
        self.deletes: dict[str, set[str]] = defaultdict(set)  # kind -> ids to delete
        self.rel_releases: list[tuple[RelKind, str]] = []  # (type, source) whose relations lose it
        self.rel_updates: dict[tuple[str, str, str], dict[tuple, dict]] = defaultdict(dict)  # held
        self.held_rels: list[tuple[RelKind, str, str, list[dict], dict]] = []  # touch published nodes
        self._last_beat = time.monotonic()

    # --- reads: the published graph as the held-back changes will leave it ------------------------

    def _read(self, method: str, *args):
        self._beat_if_due()
        with self.driver.session(database=self.database) as session:
            return session.execute_read(lambda tx: getattr(Ops(tx), method)(*args))

    def _alive(self, tx) -> None:
        """Renew the run's heartbeat (locking its record), or fail if another process removed it."""
        found = tx.run(
            f"MATCH (r:{STAGING_RUN} {{id: $run}}) WHERE r.published IS NULL SET r.heartbeat = timestamp() "
            "RETURN count(r) AS n",
            run=self.run,
        ).single()["n"]
        if not found:
            raise StoreError(f"staging run {self.run} was removed by another process (stale?); nothing was published")
        self._last_beat = time.monotonic()

    def _beat_if_due(self) -> None:
        """Reads between staging writes renew the heartbeat too, once a minute."""
        if time.monotonic() - self._last_beat > 60:
            with self.driver.session(database=self.database) as session:
                session.execute_write(self._alive)

    def release_rels(self, rel: RelKind, source: str) -> None:
        self.rel_releases.append((rel, source))

    def fetch_rels(self, rel: RelKind, src: str, dst: str, keys: list[tuple[str, str, str]]) -> dict[tuple, dict]:
        released = {s for r, s in self.rel_releases if r.name == rel.name}
        held = self.rel_updates[(rel.name, src, dst)]
        out = {}
        for key, row in self._read("fetch_rels", rel, src, dst, [k for k in keys if k not in held]).items():
            rest = [s for s in (row.get("sources") or []) if s not in released]
            if rest:  # what publishing leaves of it
                out[key] = {**row, "sources": rest}
        out.update({k: held[k] for k in keys if k in held})
        return out

    def update_rels(self, rel: RelKind, src: str, dst: str, rows: list[dict]) -> None:
        for row in rows:
            self.rel_updates[(rel.name, src, dst)][(row["src"], row["dst"], row["fact"])] = row

    def ids_with_source(self, kind: NodeKind, source: str) -> set[str]:
        ids = self._read("ids_with_source", kind, source) - self.deletes[kind.name]
        for id_, row in self.updates[kind.name].items():
            if source in (row.get("sources") or []):
                ids.add(id_)
            else:
                ids.discard(id_)
        return ids

    def fetch(self, kind: NodeKind, ids: list[str]) -> dict[str, dict]:
        held, gone = self.updates[kind.name], self.deletes[kind.name]
        out = self._read("fetch", kind, [i for i in ids if i not in held and i not in gone])
        out.update({i: held[i] for i in ids if i in held})
        return out

    def present(self, kind: NodeKind, ids: list[str]) -> set[str]:
        live = self._read("present", kind, ids) - self.deletes[kind.name]
        return live | (set(ids) & self.staged[kind.name].keys())

    def ids_with_rels(self, kind: NodeKind, ids: list[str]) -> set[str]:
        """Ids among ``ids`` with a relation that publishing keeps (one some other source asserts)."""
        gone = [f"{rel.name}|{source}" for rel, source in self.rel_releases]
        found: set[str] = set()
        self._beat_if_due()
        with self.driver.session(database=self.database) as session:
            for chunk in chunks(ids):
                records = session.execute_read(
                    lambda tx, c=chunk: list(
                        tx.run(
                            f"UNWIND $ids AS id MATCH (n:{kind.name} {{id: id}}) "
                            "WHERE EXISTS { (n)-[r]-() WHERE any(s IN coalesce(r.sources, ['']) "
                            "WHERE NOT type(r) + '|' + s IN $gone) } "
                            "RETURN n.id",
                            ids=c,
                            gone=gone,
                        )
                    )
                )
                found |= {r[0] for r in records}
        return found

    # --- writes ---------------------------------------------------------------------------------

    def _stage(self, statement: str, rows: list[dict], **params) -> list:
        """Run ``statement`` over ``rows`` in its own transaction, renewing the run's heartbeat;
        the records it returns."""

        def work(tx):
            self._alive(tx)
            return list(tx.run(statement, rows=rows, run=self.run, **params))

        with self.driver.session(database=self.database) as session:
            return session.execute_write(work)

    def insert_nodes(self, kind: NodeKind, rows: list[dict]) -> None:
        for chunk in chunks(rows):
            records = self._stage(neo4j_node_stage(kind), [props(r) for r in chunk])
            self.staged[kind.name].update((r["id"], r["e"]) for r in records)

    def update_nodes(self, kind: NodeKind, rows: list[dict]) -> None:
        for row in rows:
            self.updates[kind.name][row["id"]] = row

    def delete_nodes(self, kind: NodeKind, ids: list[str]) -> None:
        self.deletes[kind.name].update(ids)
        for id_ in ids:
            self.updates[kind.name].pop(id_, None)

    def insert_rels(self, rel: RelKind, src: str, dst: str, segments: list[tuple[list[dict], dict]]) -> None:
        new_src, new_dst = self.staged[src], self.staged[dst]
        # a node this load deletes may be staged anew (another batch holds it): then it is new
        gone_src, gone_dst = self.deletes[src] - new_src.keys(), self.deletes[dst] - new_dst.keys()
        for rows, stamp in segments:
            if any(r["src"] in gone_src or r["dst"] in gone_dst for r in rows):
                raise MissingEndpoint(f"{rel.name}: a relation names a {src} or {dst} this load deletes")
            both, held = [], []  # between two staged nodes, or touching a published one
            for r in rows:
                (both if r["src"] in new_src and r["dst"] in new_dst else held).append(r)
            if held:  # written at publishing; their published endpoints must exist now
                for kind, new, key in ((src, new_src, "src"), (dst, new_dst, "dst")):
                    outside = sorted({r[key] for r in held} - new.keys())
                    if outside and len(self.present(NODE_KINDS[kind], outside)) < len(outside):
                        raise MissingEndpoint(f"{rel.name}: a relation names a missing {kind}")
                self.held_rels.append((rel, src, dst, held, stamp))
            statement = neo4j_rel_create(rel, src, dst, tuple(stamp), staged=True)
            for chunk in chunks(both):
                chunk = [{**r, "src": new_src[r["src"]], "dst": new_dst[r["dst"]]} for r in chunk]  # elementIds
                all_made(self._stage(statement, chunk, **stamp)[0]["n"], chunk, rel, src, dst)

    # --- publishing -----------------------------------------------------------------------------

    def publish(self, tx: neo4j.ManagedTransaction) -> None:
        """Apply the held-back changes and give staged nodes their kind (one transaction)."""
        ops = Ops(tx)
        self._alive(tx)  # and holds the run's record locked: nobody discards it meanwhile
        for rel, source in self.rel_releases:  # the source's old relations, not the ones just staged
            for statement in release_rels_statements(rel, f"AND NOT a:{STAGED} "):
                tx.run(statement, s=source).consume()
        for (name, src, dst), rows in self.rel_updates.items():
            ops.update_rels(REL_KINDS[name], src, dst, list(rows.values()))
        for kind in NODES:
            ops.delete_nodes(kind, sorted(self.deletes[kind.name]))
            ops.update_nodes(kind, list(self.updates[kind.name].values()))
        for kind in NODES:  # label changes only: staged nodes are in no index
            for chunk in chunks(list(self.staged[kind.name].values())):
                swapped = tx.run(
                    f"UNWIND $e AS e MATCH (n:{STAGED}) WHERE elementId(n) = e AND n._run = $run "
                    f"SET n:{kind.name} REMOVE n:{STAGED} RETURN count(n) AS n",
                    e=chunk,
                    run=self.run,
                ).single()["n"]
                if swapped != len(chunk):
                    raise StoreError(f"{len(chunk) - swapped} staged {kind.name} node(s) of run {self.run} vanished; "
                                     "nothing was published")
        for rel, src, dst, rows, stamp in self.held_rels:
            ops.insert_rels(rel, src, dst, [(rows, stamp)])
        tx.run(f"MATCH (r:{STAGING_RUN} {{id: $run}}) SET r.published = true", run=self.run).consume()

    def forget_run(self) -> None:
        """After publishing: remove the run id from the published nodes, then the run's record.

        Bookkeeping only (properties starting with ``_`` are left out of every answer); if it is
        cut short, the next large load finishes it (``finish_published``)."""
        with self.driver.session(database=self.database) as session:
            for ids in self.staged.values():
                for chunk in chunks(list(ids.values())):
                    session.execute_write(
                        lambda tx, c=chunk: tx.run(
                            "UNWIND $e AS e MATCH (n) WHERE elementId(n) = e AND n._run = $run REMOVE n._run",
                            e=c,
                            run=self.run,
                        ).consume()
                    )
            session.run(f"MATCH (r:{STAGING_RUN} {{id: $run}}) DELETE r", run=self.run).consume()


def begin(driver: neo4j.Driver, database: str | None) -> StagedOps:
    """Record a new staging run (after removing stale ones) and return its operations."""
    for stale in stale_runs(driver, database, STALE_SECONDS):
        if stale["published"]:
            finish_published(driver, database, stale["run"])
        else:
            discard(driver, database, stale["run"], STALE_SECONDS)
    run = uuid.uuid4().hex
    driver.execute_query(
        f"CREATE (:{STAGING_RUN} {{id: $run, started: timestamp(), heartbeat: timestamp()}})",
        run=run,
        database_=database,
    )
    return StagedOps(driver, database, run)


def discard(driver: neo4j.Driver, database: str | None, run: str, idle: float = 0) -> None:
    """Delete an unpublished run: its record first (only if still unpublished and idle for
    ``idle`` seconds, checked under the record's lock, so a live loader then fails cleanly
    instead of publishing half), then its staged nodes with their relations, in batches."""
    with driver.session(database=database) as session:
        removed = session.run(
            f"MATCH (r:{STAGING_RUN} {{id: $run}}) WHERE r.published IS NULL AND r.heartbeat <= timestamp() - $ms "
            "DELETE r RETURN count(r) AS n",
            run=run,
            ms=int(idle * 1000),
        ).single()["n"]
        if removed:
            session.run(
                f"MATCH (n:{STAGED}) WHERE n._run = $run CALL {{ WITH n DETACH DELETE n }} IN TRANSACTIONS OF 5000 ROWS",
                run=run,
            ).consume()


def finish_published(driver: neo4j.Driver, database: str | None, run: str) -> None:
    """Finish a published run's bookkeeping that was cut short: its nodes lose the run id."""
    with driver.session(database=database) as session:
        session.run(
            "MATCH (n) WHERE n._run = $run CALL { WITH n REMOVE n._run } IN TRANSACTIONS OF 10000 ROWS", run=run
        ).consume()
        session.run(f"MATCH (r:{STAGING_RUN} {{id: $run}}) DELETE r", run=run).consume()


def stale_runs(driver: neo4j.Driver, database: str | None, older_than: float = 0) -> list[dict]:
    """Unfinished runs whose heartbeat is older than ``older_than`` seconds, with their node counts."""
    records, _, _ = driver.execute_query(
        f"MATCH (r:{STAGING_RUN}) WHERE r.heartbeat <= timestamp() - $ms "
        f"OPTIONAL MATCH (n:{STAGED}) WHERE n._run = r.id "
        "RETURN r.id AS run, r.started AS started, r.heartbeat AS heartbeat, r.published IS NOT NULL AS published, "
        "count(n) AS nodes ORDER BY started",
        ms=int(older_than * 1000),
        database_=database,
        routing_=neo4j.RoutingControl.READ,
    )
    return [dict(r) for r in records]


def staged_write(driver: neo4j.Driver, database: str | None, fn):
    """Run ``fn(ops)`` (the writer) as a staged load and publish it; on failure leave nothing."""
    ops = begin(driver, database)
    try:
        result = fn(ops)
        with driver.session(database=database) as session:
            session.execute_write(write_transaction(ops.publish))
    except BaseException as failure:
        try:
            discard(driver, database, ops.run)
        except Exception as exc:  # the server went away: the run is invisible and cleaned up later
            log.warning(f"could not remove the staged rows of run {ops.run} ({exc.__class__.__name__}); "
                  "they are invisible to queries and the next large load removes them")
        if isinstance(failure, TooBig):
            raise StoreError(
                "even staged, publishing this load needs more transaction memory than the server allows "
                "(dbms.memory.transaction.total.max); nothing was written"
            ) from None
        raise
    try:
        ops.forget_run()
    except Exception as exc:  # the load is published; only bookkeeping is left, finished later
        log.warning(f"the load is published, but removing run {ops.run}'s marks failed "
              f"({exc.__class__.__name__}); the next large load finishes it")
    return result


class TooBig(Exception):
    """The server refused a transaction for its memory."""


def write_transaction(work):
    """``work`` as the transaction function of a write, with two duties the driver does not have.

    - It raises ``TooBig`` when the server runs out of transaction memory: the driver takes that
      for a transient error and would retry for a minute, but the same transaction cannot fit
      the next time either.
    - Its last act before the driver commits is ``stopping.raise_if_stopped``: a Ctrl-C that the
      driver's own code swallowed still rolls the write back.
    """

    def guarded(tx):
        try:
            result = work(tx)
        except neo4j.exceptions.TransientError as exc:
            if exc.code == OUT_OF_TRANSACTION_MEMORY:
                raise TooBig from None
            raise
        stopping.raise_if_stopped()
        return result

    return guarded
