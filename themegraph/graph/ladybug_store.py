"""The embedded store: a Ladybug database in a folder on disk, zero setup.

Writes go through ``writer.write_batches`` in one explicit transaction on a *fresh* Connection:
Ladybug 0.20-0.22 can crash when one Connection COPYs into a table, deletes or rolls back those
rows and COPYs again, so no write Connection is ever reused.  Bulk rows travel as Arrow tables
(``COPY T FROM tbl`` for inserts, ``LOAD FROM tbl MATCH ... SET`` for updates): typed, null-safe
and about fifty times faster than UNWIND.

Only one process may write a Ladybug database.  A lock file next to the database, holding the
writer's pid, turns a second writer into a clear "in use by process N" error.
"""

from __future__ import annotations

import fcntl
import os
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import ladybug

from ..errors import StoreError
from .schema import BOOL, FLOAT, INT, STRINGS, NodeKind, RelKind, ladybug_ddl
from .store import Store
from .writer import LoadReport

if TYPE_CHECKING:
    import pyarrow as pa

#: Ladybug's page cache.  Its default is most of the machine's memory, which a long load then
#: fills; a fixed budget keeps a laptop usable (THEMEGRAPH_BUFFER_POOL_MB overrides it).
BUFFER_POOL_BYTES = int(os.environ.get("THEMEGRAPH_BUFFER_POOL_MB", "2048")) * 1024 * 1024

def _arrow(columns: list[tuple[str, str]], rows: list[dict], constants: dict | None = None) -> pa.Table:
    """An Arrow table with the given (name, ladybug type) columns, in that order.

    A missing key is a null; a column in ``constants`` takes one value for every row.  Built
    column by column (five times faster than ``pa.Table.from_pylist`` on row dicts), in
    ``columns`` order, as COPY needs.  pyarrow is imported here, not at start-up: reading
    commands (``stats``, queries) never need it.
    """
    import pyarrow as pa

    types = {INT: pa.int64(), FLOAT: pa.float64(), BOOL: pa.bool_(), STRINGS: pa.list_(pa.string())}
    constants = constants or {}
    arrays = {}
    for name, ladybug_type in columns:
        type_ = types.get(ladybug_type, pa.string())
        values = [constants[name]] * len(rows) if name in constants else [r.get(name) for r in rows]
        arrays[name] = pa.array(values, type=type_)
    return pa.table(arrays)


def _plain(value):
    """Ladybug values as plain Python: nodes and relations become property dicts."""
    if isinstance(value, dict) and "_LABEL" in value:
        # nodes in paths carry every table's columns; absent (null) ones are left out, as in Neo4j
        out = {k: _plain(v) for k, v in value.items() if not k.startswith("_") and v is not None}
        out["_label"] = value["_LABEL"]
        return out
    if isinstance(value, dict) and "_nodes" in value:
        return {"nodes": [_plain(n) for n in value["_nodes"]], "relationships": [_plain(r) for r in value["_rels"]]}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):  # Ladybug sums integers as decimals; Neo4j, like Python, as ints
        return int(value) if value == value.to_integral_value() else float(value)
    return value


class _Ops:
    """``writer.WriteOps`` on one Ladybug connection inside a transaction."""

    verifies_endpoints = False  # a COPY naming a missing node aborts the whole transaction

    def __init__(self, conn: ladybug.Connection):
        self.conn = conn

    def _ids_table(self, ids) -> pa.Table:
        import pyarrow as pa

        return pa.table({"key": pa.array(list(ids), type=pa.string())})

    def delete_source_rels(self, rel: RelKind, source: str) -> None:
        self.conn.execute(f"MATCH ()-[r:{rel.name}]->() WHERE r.source = $s DELETE r", {"s": source})

    def ids_with_source(self, kind: NodeKind, source: str) -> set[str]:
        res = self.conn.execute(f"MATCH (n:{kind.name}) WHERE list_contains(n.sources, $s) RETURN n.id", {"s": source})
        return set(res.get_as_arrow().column(0).to_pylist())

    def _none_of(self, kind: NodeKind) -> bool:
        """No node of ``kind`` yet: a first load then skips looking up each of its ids."""
        return self.conn.execute(f"MATCH (n:{kind.name}) RETURN count(n)").get_next()[0] == 0

    def fetch(self, kind: NodeKind, ids: list[str]) -> dict[str, dict]:
        if not ids or self._none_of(kind):
            return {}
        keys = self._ids_table(ids)  # noqa: F841 - scanned by LOAD FROM below
        cols = ", ".join(f"n.{p.name} AS {p.name}" for p in kind.columns)
        res = self.conn.execute(f"LOAD FROM keys MATCH (n:{kind.name}) WHERE n.id = key RETURN {cols}")
        return {row["id"]: row for row in res.get_as_arrow().to_pylist()}

    def present(self, kind: NodeKind, ids: list[str]) -> set[str]:
        keys = self._ids_table(ids)  # noqa: F841
        res = self.conn.execute(f"LOAD FROM keys MATCH (n:{kind.name}) WHERE n.id = key RETURN n.id")
        return set(res.get_as_arrow().column(0).to_pylist())

    def ids_with_rels(self, kind: NodeKind, ids: list[str]) -> set[str]:
        keys = self._ids_table(ids)  # noqa: F841
        res = self.conn.execute(f"LOAD FROM keys MATCH (n:{kind.name})-[]-() WHERE n.id = key RETURN DISTINCT n.id")
        return set(res.get_as_arrow().column(0).to_pylist())

    def insert_nodes(self, kind: NodeKind, rows: list[dict]) -> None:
        if rows:
            tbl = _arrow([(p.name, p.type) for p in kind.columns], rows)  # noqa: F841
            self.conn.execute(f"COPY {kind.name} FROM tbl")

    def update_nodes(self, kind: NodeKind, rows: list[dict]) -> None:
        if rows:
            # LOAD FROM exposes columns as bare variables: prefix them so none clashes with a keyword
            tbl = _arrow([(f"v_{p.name}", p.type) for p in kind.columns], [{f"v_{k}": v for k, v in r.items()} for r in rows])  # noqa: F841
            sets = ", ".join(f"n.{p.name} = v_{p.name}" for p in kind.columns if p.name != "id")
            self.conn.execute(f"LOAD FROM tbl MATCH (n:{kind.name}) WHERE n.id = v_id SET {sets}")

    def delete_nodes(self, kind: NodeKind, ids: list[str]) -> None:
        if ids:
            keys = self._ids_table(ids)  # noqa: F841
            self.conn.execute(f"LOAD FROM keys MATCH (n:{kind.name}) WHERE n.id = key DETACH DELETE n")

    def insert_rels(self, rel: RelKind, src: str, dst: str, segments: list[tuple[list[dict], dict]]) -> None:
        if not any(rows for rows, _ in segments):
            return
        columns = [("src", "STRING"), ("dst", "STRING")] + [(p.name, p.type) for p in rel.columns]
        parts = [_arrow(columns, rows, stamp) for rows, stamp in segments if rows]
        import pyarrow as pa

        tbl = pa.concat_tables(parts).rename_columns(["from", "to"] + [p.name for p in rel.columns])  # noqa: F841
        self.conn.execute(f"COPY {rel.name} FROM tbl (from='{src}', to='{dst}')")


class LadybugStore(Store):
    """A knowledge base in a Ladybug database folder."""

    name = "ladybug"

    def __init__(self, path: str | os.PathLike, *, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self._lock_file = None
        if read_only and not self.path.exists():
            raise StoreError(f"no knowledge base at {self.path}: load something first (themegraph load ...)")
        if not read_only:
            self._take_lock()
        try:
            self.db = ladybug.Database(str(self.path), read_only=read_only, buffer_pool_size=BUFFER_POOL_BYTES)
        except RuntimeError as exc:
            self._release_lock()
            raise StoreError(f"cannot open the database at {self.path}: {exc}") from None
        if not read_only:
            conn = ladybug.Connection(self.db)
            for stmt in ladybug_ddl():
                conn.execute(stmt)

    # -- locking ---------------------------------------------------------------------------

    def _lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def _take_lock(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self._lock_path(), "a+")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "unknown"
            f.close()
            raise StoreError(
                f"the database {self.path} is in use by process {holder}; "
                "only one process may write to an embedded store at a time"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        self._lock_file = f

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    # -- writes ----------------------------------------------------------------------------

    def _write(self, fn, rows: int = 0) -> LoadReport:
        if self.read_only:
            raise StoreError(f"the database {self.path} was opened read-only")
        conn = ladybug.Connection(self.db)  # fresh per transaction: see the module docstring
        conn.execute("BEGIN TRANSACTION")
        try:
            report = fn(_Ops(conn))
            conn.execute("COMMIT")
            return report
        except BaseException as exc:
            try:
                conn.execute("ROLLBACK")
            except RuntimeError:
                pass  # a failed COPY has rolled the transaction back already
            if isinstance(exc, RuntimeError):
                raise StoreError(f"the load was rolled back, nothing was written: {exc}") from None
            raise

    def query(self, cypher: str, params: dict | None = None) -> list[dict]:
        conn = ladybug.Connection(self.db)
        try:
            res = conn.execute(cypher, params or {})
        except RuntimeError as exc:
            raise StoreError(f"query failed: {exc}") from None
        cols = res.get_column_names()
        rows = []
        while res.has_next():
            rows.append({c: _plain(v) for c, v in zip(cols, res.get_next())})
        return rows

    def columns_of(self, cypher: str, params: dict | None = None) -> list[str]:
        conn = ladybug.Connection(self.db)
        return conn.execute(cypher, params or {}).get_column_names()

    def counts(self) -> dict[str, dict[str, int]]:
        # a database written by an older ThemeGraph may lack newer kinds: count those as zero
        tables = {r["name"] for r in self.query("CALL show_tables() RETURN name")}
        return self.counts_of(tables)

    def close(self) -> None:
        if getattr(self, "db", None) is not None:
            self.db.close()
            self.db = None
        self._release_lock()
