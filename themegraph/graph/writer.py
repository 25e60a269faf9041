"""How a batch is written, independent of the database: the replace-by-source algorithm.

Both stores run ``write_batch`` inside one transaction with their own ``WriteOps`` (the handful
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


class WriteOps(Protocol):
    """Primitive operations a store provides inside one write transaction."""

    def delete_source_rels(self, rel: RelKind, source: str) -> None: ...
    def ids_with_source(self, kind: NodeKind, source: str) -> set[str]: ...
    def fetch(self, kind: NodeKind, ids: list[str]) -> dict[str, dict]: ...
    def ids_with_rels(self, kind: NodeKind, ids: list[str]) -> set[str]: ...
    def insert_nodes(self, kind: NodeKind, rows: list[dict]) -> None: ...
    def update_nodes(self, kind: NodeKind, rows: list[dict]) -> None: ...
    def delete_nodes(self, kind: NodeKind, ids: list[str]) -> None: ...
    def insert_rels(self, rel: RelKind, src: str, dst: str, rows: list[dict]) -> None: ...


def _complete(kind: NodeKind, id_: str, row: dict, loaded_at: str) -> dict:
    """A node row with every declared column, in schema order."""
    full = {p.name: row.get(p.name) for p in kind.columns}
    full["id"] = id_
    full["kind"] = kind.name
    if full["name"] is None:
        full["name"] = id_
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


def write_batch(ops: WriteOps, batch: Batch, loaded_at: str) -> LoadReport:
    """Replace what ``batch.source`` contributed with the batch's rows (see module docstring)."""
    source = batch.source
    report = LoadReport(source)
    for kind_name, ids in batch.dangling().items():
        kind = NODE_KINDS[kind_name]
        missing = set(ids) - set(ops.fetch(kind, sorted(ids)))
        if missing:
            example = sorted(missing)[:5]
            raise StoreError(
                f"load of {source!r} refers to {len(missing)} {kind_name} node(s) that do not exist: "
                + ", ".join(repr(m) for m in example)
                + (" ..." if len(missing) > 5 else "")
                + "; nothing was written"
            )
    for rel in RELS:
        ops.delete_source_rels(rel, source)
    for kind in NODES:
        rows = batch.nodes.get(kind.name, {})
        if kind.name == "Source":
            rows = {source: source_row(batch, loaded_at)}
        gone = ops.ids_with_source(kind, source) - rows.keys() if kind.name != "Source" else set()
        report.removed_nodes += release(ops, kind, gone, source, loaded_at)
        if not rows:
            continue
        existing = ops.fetch(kind, list(rows))
        inserts, updates = [], []
        for id_, row in rows.items():
            new = _complete(kind, id_, row, loaded_at)
            old = existing.get(id_)
            if old is None:
                new["sources"] = [source] if kind.name != "Source" else []
                inserts.append(new)
                continue
            others = [s for s in (old.get("sources") or []) if s != source]
            if others:  # shared node: an empty value here does not erase another source's value
                new = {k: (old.get(k) if v is None else v) for k, v in new.items()}
            new["sources"] = (others + [source]) if kind.name != "Source" else []
            if not _same(old, new):
                updates.append(new)
        ops.insert_nodes(kind, inserts)
        ops.update_nodes(kind, updates)
        report.written[kind.name] = len(inserts) + len(updates)
    for (type_, src, dst), rows in batch.rels.items():
        rel = rel_kind(type_)
        full = [
            {"src": r["src"], "dst": r["dst"], **{p.name: r.get(p.name) for p in rel.columns}}
            | {"kind": rel.name, "source": source, "loaded_at": loaded_at}
            for r in rows
        ]
        ops.insert_rels(rel, src, dst, full)
        report.written[type_] = report.written.get(type_, 0) + len(full)
    return report


def drop_source(ops: WriteOps, source: str, loaded_at: str) -> LoadReport:
    """Remove every relation and every sole-owned node of ``source``, and its Source record."""
    report = LoadReport(source)
    for rel in RELS:
        ops.delete_source_rels(rel, source)
    for kind in NODES:
        if kind.name == "Source":
            ops.delete_nodes(kind, [source])
            continue
        report.removed_nodes += release(ops, kind, ops.ids_with_source(kind, source), source, loaded_at)
    return report
