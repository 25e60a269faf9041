"""How a batch is written, independent of the database: the replace-by-source algorithm.

Both stores run ``write_batches`` inside one transaction with their own ``WriteOps`` (the handful
of primitive reads and writes below).  Keeping the algorithm here means the embedded store and
Neo4j cannot drift apart in what a load means:

1. relation endpoints outside the batch must already exist, else nothing is written;
2. every relation the source wrote before is deleted;
3. nodes the source contributed before but no longer holds lose that source; a node left with no
   source and no relation is deleted (a work still cited elsewhere stays);
4. nodes are inserted or, where their content changed, updated (the source added to ``sources``);
5. relations are inserted and the Source node records the load's fingerprint.
"""

from __future__ import annotations

from typing import Protocol

import datetime as _dt
import json
from dataclasses import dataclass, field

from .. import progress
from ..errors import StoreError
from .batch import Batch
from .schema import NODE_KINDS, NODES, RELS, NodeKind, RelKind, rel_kind

@dataclass
class LoadReport:
    """What applying a batch did."""

    source: str
    skipped: bool = False
    written: dict[str, int] = field(default_factory=dict)
    removed_nodes: int = 0

    def summary(self) -> str:
        if self.skipped:
            return f"{self.source}: unchanged since the last load; nothing written"
        parts = ", ".join(f"{n} {k}" for k, n in sorted(self.written.items()) if n)
        extra = f"; {self.removed_nodes} nodes no longer in the source removed" if self.removed_nodes else ""
        return f"{self.source}: wrote {parts or 'nothing'}{extra}"


def now_iso() -> str:
    """The load timestamp recorded as provenance."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def source_row(batch: Batch, loaded_at: str) -> dict:
    """Properties of the Source node that records a load."""
    return {
        "id": batch.source,
        "name": batch.source,
        "path": batch.path,
        "loader": batch.loader,
        "fingerprint": batch.fingerprint(),
        "counts": json.dumps(batch.counts(), sort_keys=True),
        "origin": batch.path,
        "loaded_at": loaded_at,
    }


class MissingEndpoint(StoreError):
    """Raised by ``insert_rels`` of a store that verifies endpoints as it inserts (see below)."""


class WriteOps(Protocol):
    """Primitive operations a store provides inside one write transaction.

    ``verifies_endpoints``: True when ``insert_rels`` itself raises ``MissingEndpoint`` for a row
    whose endpoint does not exist, leaving the transaction usable.  The writer then skips the
    up-front ``check_endpoints`` (on Neo4j one index lookup per endpoint, about a sixth of a
    corpus load) and runs it only to name the missing nodes when one is found.
    """

    verifies_endpoints: bool

    def delete_source_rels(self, rel: RelKind, source: str) -> None: ...
    def ids_with_source(self, kind: NodeKind, source: str) -> set[str]: ...
    def fetch(self, kind: NodeKind, ids: list[str]) -> dict[str, dict]: ...
    def present(self, kind: NodeKind, ids: list[str]) -> set[str]: ...
    def ids_with_rels(self, kind: NodeKind, ids: list[str]) -> set[str]: ...
    def insert_nodes(self, kind: NodeKind, rows: list[dict]) -> None:
        """Create nodes; a declared column a row lacks is null."""
    def update_nodes(self, kind: NodeKind, rows: list[dict]) -> None: ...
    def delete_nodes(self, kind: NodeKind, ids: list[str]) -> None: ...
    def insert_rels(self, rel: RelKind, src: str, dst: str, segments: list[tuple[list[dict], dict]]) -> None:
        """Insert relation rows given as (rows, stamp) segments: stamp holds values shared by its rows."""


def _complete(kind: NodeKind, id_: str, row: dict, loaded_at: str) -> dict:
    """A node row with every declared column, in schema order."""
    full = {p.name: row.get(p.name) for p in kind.columns}
    full["id"] = id_
    full["kind"] = kind.name
    full["loaded_at"] = loaded_at
    return full


def _same(old: dict, new: dict) -> bool:
    """Equal content, provenance time aside."""
    return all(old.get(k) == v for k, v in new.items() if k != "loaded_at")


def release(ops: WriteOps, kind: NodeKind, ids: set[str], source: str, loaded_at: str) -> int:
    """Take ``source`` off nodes it no longer holds; delete those left with no source nor relation."""
    if not ids:
        return 0
    old = ops.fetch(kind, sorted(ids))
    keep, orphans = [], []
    for id_, row in old.items():
        rest = [s for s in (row.get("sources") or []) if s != source]
        if rest:
            keep.append({**row, "sources": rest, "loaded_at": loaded_at})
        else:
            orphans.append(id_)
    linked = ops.ids_with_rels(kind, orphans) if orphans else set()
    keep += [{**old[i], "sources": [], "loaded_at": loaded_at} for i in orphans if i in linked]
    doomed = [i for i in orphans if i not in linked]
    ops.update_nodes(kind, keep)
    ops.delete_nodes(kind, doomed)
    return len(doomed)


def check_endpoints(ops: WriteOps, batches: list[Batch]) -> None:
    """Relation endpoints that no batch holds must already exist; otherwise nothing is written."""
    held: dict[str, set[str]] = {}
    for batch in batches:
        for kind, rows in batch.nodes.items():
            held.setdefault(kind, set()).update(rows)
    for batch in batches:
        for kind_name, ids in batch.dangling().items():
            outside = ids - held.get(kind_name, set())
            missing = outside - ops.present(NODE_KINDS[kind_name], sorted(outside)) if outside else set()
            if missing:
                example = ", ".join(repr(m) for m in sorted(missing)[:5])
                raise StoreError(
                    f"load of {batch.source!r} refers to {len(missing)} {kind_name} node(s) that do not exist: "
                    f"{example}{' ...' if len(missing) > 5 else ''}; nothing was written"
                )


def write_batches(ops: WriteOps, batches: list[Batch], loaded_at: str) -> list[LoadReport]:
    """Replace what each batch's source contributed with the batch's rows (see module docstring).

    Rows of all batches are combined per table, so a corpus of many sources costs one insert per
    table rather than one per table and source.
    """
    reports = {b.source: LoadReport(b.source) for b in batches}
    if not ops.verifies_endpoints:
        check_endpoints(ops, batches)
    for batch in batches:  # a re-loaded source first takes back what it wrote before
        before = previous_kinds(ops, batch.source)
        for rel in RELS:
            if rel.name in before:
                ops.delete_source_rels(rel, batch.source)
        for kind in NODES:
            if kind.name in before and kind.name != "Source":
                gone = ops.ids_with_source(kind, batch.source) - batch.nodes.get(kind.name, {}).keys()
                reports[batch.source].removed_nodes += release(ops, kind, gone, batch.source, loaded_at)
    for kind in NODES:
        if kind.name == "Source":
            combined = {b.source: (source_row(b, loaded_at), []) for b in batches}
        else:
            combined = {}
            for batch in batches:  # the batches' rows are read, never changed
                for id_, row in batch.nodes.get(kind.name, {}).items():
                    if id_ in combined:
                        merged, owners = combined[id_]
                        combined[id_] = ({**merged, **{k: v for k, v in row.items() if v is not None}},
                                         [*owners, batch.source])
                    else:
                        combined[id_] = (row, [batch.source])
        if not combined:
            continue
        existing = ops.fetch(kind, list(combined))
        inserts, updates = [], []
        for id_, (row, owners) in combined.items():
            old = existing.get(id_)
            if old is None:  # a new node: columns it lacks are simply null
                inserts.append({**row, "id": id_, "name": row.get("name") or id_, "kind": kind.name,
                                "sources": owners, "loaded_at": loaded_at})
                continue
            new = _complete(kind, id_, row, loaded_at)
            others = [s for s in (old.get("sources") or []) if s not in owners]
            if others:  # shared node: an empty value here does not erase another source's value
                new = {k: (old.get(k) if v is None else v) for k, v in new.items()}
            new["sources"] = others + owners
            new["name"] = new["name"] or id_
            if not _same(old, new):
                updates.append(new)
        ops.insert_nodes(kind, inserts)
        ops.update_nodes(kind, updates)
        progress.advance(sum(len(b.nodes.get(kind.name, {})) for b in batches))  # as Batch.size counts
        changed = {r["id"] for r in inserts} | {r["id"] for r in updates}
        for batch in batches:
            ids = batch.nodes.get(kind.name, {}) if kind.name != "Source" else {batch.source: None}
            n = sum(1 for i in ids if i in changed)
            if n:
                reports[batch.source].written[kind.name] = n
    grouped: dict[tuple[str, str, str], list[tuple[list[dict], dict]]] = {}
    for batch in batches:
        for (type_, src, dst), rows in batch.rels.items():
            stamp = {"kind": type_, "source": batch.source, "loaded_at": loaded_at}
            grouped.setdefault((type_, src, dst), []).append((rows, stamp))
            report = reports[batch.source]
            report.written[type_] = report.written.get(type_, 0) + len(rows)
    for (type_, src, dst), rows in grouped.items():
        try:
            ops.insert_rels(rel_kind(type_), src, dst, rows)
            progress.advance(sum(len(part) for part, _ in rows))
        except MissingEndpoint:
            check_endpoints(ops, batches)  # raises, naming the missing nodes
            raise
    return [reports[b.source] for b in batches]


def previous_kinds(ops: WriteOps, source: str) -> set[str]:
    """The node and relation kinds ``source`` wrote last time, from its Source record.

    A first load skips every delete; a re-load cleans only the kinds it wrote before.  (Deleting
    from untouched tables is not free: Ladybug's commit then rewrites them.)
    """
    record = ops.fetch(NODE_KINDS["Source"], [source]).get(source)
    return set(json.loads(record["counts"] or "{}")) if record else set()


def drop_source(ops: WriteOps, source: str, loaded_at: str) -> LoadReport:
    """Remove every relation and every sole-owned node of ``source``, and its Source record."""
    report = LoadReport(source)
    before = previous_kinds(ops, source)
    for rel in RELS:
        if rel.name in before:
            ops.delete_source_rels(rel, source)
    for kind in NODES:
        if kind.name == "Source":
            ops.delete_nodes(kind, [source])
        elif kind.name in before:
            report.removed_nodes += release(ops, kind, ops.ids_with_source(kind, source), source, loaded_at)
    return report
