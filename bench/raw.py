"""The database doing nothing else: raw Ladybug COPYs of given rows, the physical limit a load
through ThemeGraph is compared with.

``stored_tables`` reads back every row a ThemeGraph load stored (untimed), so that a baseline can
COPY exactly the same node and relation rows (same counts, same values) into a fresh database
with the same schema; ``raw_copy`` times that COPY alone.
"""

from __future__ import annotations

import time
from pathlib import Path

import ladybug

from themegraph.graph.schema import NODES, RELS, ladybug_ddl


def stored_tables(db_path: Path) -> tuple[dict, dict]:
    """Every node and relation row of a ThemeGraph Ladybug database as Arrow tables: per node kind,
    and per (relation type, from kind, to kind) with ``from`` and ``to`` ids first (as COPY wants)."""
    db = ladybug.Database(str(db_path), read_only=True)
    conn = ladybug.Connection(db)
    nodes, rels = {}, {}
    for kind in NODES:
        cols = ", ".join(f"n.{p.name} AS {p.name}" for p in kind.columns)
        tbl = conn.execute(f"MATCH (n:{kind.name}) RETURN {cols}").get_as_arrow()
        if tbl.num_rows:
            nodes[kind.name] = tbl
    for rel in RELS:
        for a, b in rel.pairs:
            cols = ", ".join(f"r.{p.name} AS {p.name}" for p in rel.columns)
            tbl = conn.execute(f"MATCH (x:{a})-[r:{rel.name}]->(y:{b}) RETURN x.id AS `from`, y.id AS `to`, {cols}").get_as_arrow()
            if tbl.num_rows:
                rels[(rel.name, a, b)] = tbl
    db.close()
    return nodes, rels


def raw_copy(path: Path, node_tables: dict, rel_tables: dict, clock=time.perf_counter) -> float:
    """Seconds (of ``clock``) for a raw Ladybug COPY of the given tables into the same schema, in one
    transaction (the schema is created untimed)."""
    db = ladybug.Database(str(path))
    conn = ladybug.Connection(db)
    for stmt in ladybug_ddl():
        conn.execute(stmt)
    conn = ladybug.Connection(db)
    start = clock()
    conn.execute("BEGIN TRANSACTION")
    for kind, tbl in node_tables.items():  # noqa: B007 - tbl is scanned by COPY
        conn.execute(f"COPY {kind} FROM tbl")
    for (type_, src, dst), tbl in rel_tables.items():  # noqa: B007
        conn.execute(f"COPY {type_} FROM tbl (from='{src}', to='{dst}')")
    conn.execute("COMMIT")
    elapsed = clock() - start
    db.close()
    return elapsed


def rows_in(node_tables: dict, rel_tables: dict) -> int:
    return sum(t.num_rows for t in node_tables.values()) + sum(t.num_rows for t in rel_tables.values())
