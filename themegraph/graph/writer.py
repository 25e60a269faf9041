"""How a batch is written, independent of the database: the replace-by-source algorithm.

Both stores run ``write_batches`` inside one transaction with their own ``WriteOps`` (the handful
of primitive reads and writes below).  Keeping the algorithm here means the embedded store and
Neo4j cannot drift apart in what a load means.  The identity and merge rules it enforces are
written down in docs/identity.md:

1. relation endpoints outside the batch must already exist, else nothing is written;
2. every relation the source asserted before loses that source; one no source asserts any more
   is deleted (the same fact asserted by another source stays);
3. nodes the source contributed before but no longer holds lose that source; a node left with no
   source and no relation is deleted (a work still cited elsewhere stays);
4. nodes are inserted or, where their content changed, updated (the source added to ``sources``).
   Where another source holds the node and gives another value, that is a *conflict*: reported,
   and the earlier value stays unless the load prefers new values (or it fails, if strict);
5. relations are inserted, except facts already stored (the same endpoints and identity values,
   ``RelKind.identity``), which only gain the source; the Source node records the load.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass, field
from typing import Protocol

from .. import progress
from ..errors import StoreError
from .batch import Batch
from .schema import NODE_KINDS, NODES, RELS, NodeKind, RelKind, rel_kind

#: What a load does when two sources disagree about a value (see module docstring, step 4).
KEEP, PREFER_NEW, STRICT = "keep", "prefer-new", "strict"


@dataclass(frozen=True)
class Conflict:
    """Two sources give different values for one property of one node."""

    kind: str
    id: str
    prop: str
    kept: object
    other: object
    kept_origin: str | None
    other_origin: str | None
    applied: str  # the value now stored: "kept" (earlier) or "other" (--prefer-new)

    def describe(self) -> str:
        where = self.other_origin or "this load"
        before = f" (from {self.kept_origin})" if self.kept_origin else ""
        other, kept = _short(self.other), _short(self.kept)
        outcome = "the new value is stored (--prefer-new)" if self.applied == "other" else (
            "the earlier value stays (--prefer-new takes the new one, --strict refuses)")
        return (f"{where}: {self.kind} {self.id!r} {self.prop}: {other} differs from {kept}"
                f"{before}; {outcome}")


@dataclass
class LoadReport:
    """What applying a batch did."""

    source: str
    skipped: bool = False
    written: dict[str, int] = field(default_factory=dict)
    removed_nodes: int = 0
    conflicts: list[Conflict] = field(default_factory=list)

    def summary(self) -> str:
        if self.skipped:
            return f"{self.source}: unchanged since the last load; nothing written"
        parts = ", ".join(f"{n} {k}" for k, n in sorted(self.written.items()) if n)
        extra = f"; {self.removed_nodes} nodes no longer in the source removed" if self.removed_nodes else ""
        clash = f"; {len(self.conflicts)} conflicting value(s) reported" if self.conflicts else ""
        return f"{self.source}: wrote {parts or 'nothing'}{extra}{clash}"


def _short(value, limit: int = 80) -> str:
    """A value as a conflict message quotes it: long texts cut, so the two fit on a screen."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


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
        "digest": batch.digest,
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

    def release_rels(self, rel: RelKind, source: str) -> None:
        """Take ``source`` off every relation of ``rel`` it asserts; delete those left with none."""
    def ids_with_source(self, kind: NodeKind, source: str) -> set[str]: ...
    def fetch(self, kind: NodeKind, ids: list[str]) -> dict[str, dict]: ...
    def present(self, kind: NodeKind, ids: list[str]) -> set[str]: ...
    def ids_with_rels(self, kind: NodeKind, ids: list[str]) -> set[str]: ...
    def insert_nodes(self, kind: NodeKind, rows: list[dict]) -> None:
        """Create nodes; a declared column a row lacks is null."""
    def update_nodes(self, kind: NodeKind, rows: list[dict]) -> None: ...
    def delete_nodes(self, kind: NodeKind, ids: list[str]) -> None: ...
    def fetch_rels(self, rel: RelKind, src: str, dst: str, keys: list[tuple[str, str, str]]) -> dict[tuple, dict]:
        """Stored relations with these (src id, dst id, fact) keys: their properties by key."""
    def update_rels(self, rel: RelKind, src: str, dst: str, rows: list[dict]) -> None:
        """Replace the properties of stored relations, found by each row's src, dst and fact."""
    def insert_rels(self, rel: RelKind, src: str, dst: str, segments: list[tuple[list[dict], dict]]) -> None:
        """Insert relation rows given as (rows, stamp) segments: stamp holds values shared by its rows."""


_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def _norm(value):
    """A value as compared between sources: text without case, punctuation or spacing differences
    ('The Working Alliance.' is 'the working alliance'), lists element by element."""
    if isinstance(value, str):
        return _PUNCT.sub(" ", value).strip().casefold()
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def complete_row(kind: NodeKind, id_: str, row: dict, loaded_at: str) -> dict:
    """A node row with every declared column, in schema order."""
    full = {p.name: row.get(p.name) for p in kind.columns}
    full["id"] = id_
    full["kind"] = kind.name
    full["loaded_at"] = loaded_at
    return full


def _same(old: dict, new: dict) -> bool:
    """Equal content, provenance time aside."""
    return all(old.get(k) == v for k, v in new.items() if k != "loaded_at")


def _merge(kind: str, id_: str, held: dict, given: dict, props: tuple[str, ...], policy: str,
           conflicts: list[Conflict], held_by: list[str], given_by: str) -> dict:
    """``held`` (what earlier sources ``held_by`` gave) merged with ``given`` (source ``given_by``'s):
    an empty value never erases one; a differing value of ``props`` is a conflict, settled by
    ``policy``.  Conflicts name each side's source and origin (file:line)."""
    out = dict(held)
    for key, value in given.items():
        if value is None or key in ("origin", "loaded_at", "sources", "id", "kind"):
            continue
        before = held.get(key)
        if before is None:
            out[key] = value
        elif before != value and key in props and _norm(before) != _norm(value):
            applied = "other" if policy == PREFER_NEW else "kept"
            conflicts.append(Conflict(kind, id_, key, before, value, _where(held_by, held.get("origin")),
                                      _where([given_by], given.get("origin")), applied))
            if applied == "other":
                out[key] = value
    if given.get("origin") is not None and policy == PREFER_NEW:
        out["origin"] = given["origin"]
    return out


def _where(sources: list[str], origin: str | None) -> str:
    """'study:x theories.yaml:4': which load, and where in its files."""
    return " ".join(p for p in (", ".join(s for s in sources if s), origin) if p)


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


class ConflictError(StoreError):
    """A ``--strict`` load met values that disagree with what another source gave."""


def write_batches(ops: WriteOps, batches: list[Batch], loaded_at: str, policy: str = KEEP) -> list[LoadReport]:
    """Replace what each batch's source contributed with the batch's rows (see module docstring).

    Rows of all batches are combined per table, so a corpus of many sources costs one insert per
    table rather than one per table and source.
    """
    reports = {b.source: LoadReport(b.source) for b in batches}
    if not ops.verifies_endpoints:
        check_endpoints(ops, batches)
    for batch in batches:  # a re-loaded source first takes back what it asserted before
        before = previous_kinds(ops, batch.source)
        for rel in RELS:
            if rel.name in before:
                ops.release_rels(rel, batch.source)
        for kind in NODES:
            if kind.name in before and kind.name != "Source":
                gone = ops.ids_with_source(kind, batch.source) - batch.nodes.get(kind.name, {}).keys()
                reports[batch.source].removed_nodes += release(ops, kind, gone, batch.source, loaded_at)
    created: dict[str, set[str]] = {}
    for kind in NODES:
        created[kind.name] = _write_nodes(ops, kind, batches, loaded_at, policy, reports)
    grouped: dict[tuple[str, str, str], list[tuple[Batch, list[dict]]]] = {}
    for batch in batches:
        for key, rows in batch.rels.items():
            grouped.setdefault(key, []).append((batch, rows))
    for (type_, src, dst), parts in grouped.items():
        rel = rel_kind(type_)
        try:
            _write_rels(ops, rel, src, dst, parts, created, loaded_at, policy, reports)
            progress.advance(sum(len(rows) for _, rows in parts))
        except MissingEndpoint:
            check_endpoints(ops, batches)  # raises, naming the missing nodes
            raise
    if policy == STRICT:
        found = [c for r in reports.values() for c in r.conflicts]
        if found:
            lines = "; ".join(c.describe() for c in found[:10])
            more = f" (and {len(found) - 10} more)" if len(found) > 10 else ""
            raise ConflictError(f"{len(found)} conflicting value(s) with --strict: {lines}{more}; nothing was written")
    return [reports[b.source] for b in batches]


def _write_nodes(ops: WriteOps, kind: NodeKind, batches: list[Batch], loaded_at: str, policy: str,
                 reports: dict[str, LoadReport]) -> set[str]:
    """Insert or update the nodes of one kind from every batch; the ids it created."""
    props = kind.conflicting
    if kind.name == "Source":
        combined = {b.source: (source_row(b, loaded_at), [b.source]) for b in batches}
    elif len(batches) == 1:
        owners = [batches[0].source]  # one list for every row: it is read, never changed
        combined = {id_: (row, owners) for id_, row in batches[0].nodes.get(kind.name, {}).items()}
    else:
        combined = {}
        for batch in batches:  # the batches' rows are read, never changed
            for id_, row in batch.nodes.get(kind.name, {}).items():
                if id_ in combined:
                    merged, owners = combined[id_]
                    combined[id_] = (_merge(kind.name, id_, merged, row, props, policy,
                                            reports[batch.source].conflicts, owners, batch.source),
                                     [*owners, batch.source])
                else:
                    combined[id_] = (row, [batch.source])
    if not combined:
        return set()
    existing = ops.fetch(kind, list(combined))
    inserts, updates = [], []
    for id_, (row, owners) in combined.items():
        old = existing.get(id_)
        if old is None:  # a new node: columns it lacks are simply null
            inserts.append({**row, "id": id_, "name": row.get("name") or id_, "kind": kind.name,
                            "sources": owners, "loaded_at": loaded_at})
            continue
        others = [s for s in (old.get("sources") or []) if s not in owners]
        if others and kind.name != "Source":  # held by another source too: merge, never overwrite
            new = _merge(kind.name, id_, old, row, props, policy, reports[owners[0]].conflicts, others, owners[0])
            new = {**complete_row(kind, id_, new, loaded_at), "origin": new.get("origin")}
        else:  # only its own sources hold it: the load's rows are the truth
            new = complete_row(kind, id_, row, loaded_at)
        new["sources"] = others + owners
        new["name"] = new["name"] or id_
        if not _same(old, new):
            updates.append(new)
    ops.insert_nodes(kind, inserts)
    ops.update_nodes(kind, updates)
    progress.advance(sum(len(b.nodes.get(kind.name, {})) for b in batches))  # as Batch.size counts
    created = {r["id"] for r in inserts}
    if len(batches) == 1:  # every row written is the batch's
        if inserts or updates:
            reports[batches[0].source].written[kind.name] = len(inserts) + len(updates)
        return created
    changed = created | {r["id"] for r in updates}
    for batch in batches:
        ids = batch.nodes.get(kind.name, {}) if kind.name != "Source" else {batch.source: None}
        n = sum(1 for i in ids if i in changed)
        if n:
            reports[batch.source].written[kind.name] = n
    return created


def _write_rels(ops: WriteOps, rel: RelKind, src: str, dst: str, parts: list[tuple[Batch, list[dict]]],
                created: dict[str, set[str]], loaded_at: str, policy: str, reports: dict[str, LoadReport]) -> None:
    """Insert the relations of one (type, from, to) from every batch, each fact once.

    A fact another source already stored gains this load's sources instead of a second copy.
    Only relations between two nodes that existed before the load can be stored already, so a
    first load looks nothing up."""
    for batch, rows in parts:
        report = reports[batch.source]
        report.written[rel.name] = report.written.get(rel.name, 0) + len(rows)
    new_src, new_dst = created.get(src, set()), created.get(dst, set())
    if len(parts) == 1:  # one source's rows are distinct facts already (Batch.rel)
        (batch, rows), = parts
        if not any(True for row in rows if row["src"] not in new_src and row["dst"] not in new_dst):
            stamp = {"kind": rel.name, "sources": [batch.source], "loaded_at": loaded_at}
            ops.insert_rels(rel, src, dst, [(rows, stamp)])  # all new: nothing to look up or merge
            return
    facts: dict[tuple[str, str, str], tuple[dict, list[str]]] = {}
    for batch, rows in parts:
        for row in rows:
            key = (row["src"], row["dst"], row["fact"])
            if key in facts:
                held, owners = facts[key]
                facts[key] = (held, [*owners, batch.source])
            else:
                facts[key] = (row, [batch.source])
    maybe = [k for k in facts if k[0] not in new_src and k[1] not in new_dst]
    stored = ops.fetch_rels(rel, src, dst, maybe) if maybe else {}
    updates = []
    for key, old in stored.items():
        row, owners = facts.pop(key)
        props = tuple(p.name for p in rel.props if p.name not in rel.identity)
        earlier = [s for s in (old.get("sources") or []) if s not in owners]
        merged = _merge(rel.name, f"{key[0]}->{key[1]}", old, row, props, policy, reports[owners[0]].conflicts,
                        earlier, owners[0])
        sources = earlier + owners
        if sources != old.get("sources") or merged != old:
            updates.append({**merged, "src": key[0], "dst": key[1], "fact": key[2], "sources": sources,
                            "kind": rel.name, "loaded_at": loaded_at})
    ops.update_rels(rel, src, dst, updates)
    segments: dict[tuple[str, ...], list[dict]] = {}
    for row, owners in facts.values():
        segments.setdefault(tuple(owners), []).append(row)
    ops.insert_rels(rel, src, dst, [(rows, {"kind": rel.name, "sources": list(owners), "loaded_at": loaded_at})
                                    for owners, rows in segments.items()])


def record_digests(ops: WriteOps, batches: list[Batch]) -> None:
    """Record the input digests of loads whose rows were unchanged (their Source nodes only)."""
    kind = NODE_KINDS["Source"]
    stored = ops.fetch(kind, [b.source for b in batches])
    ops.update_nodes(kind, [{**stored[b.source], "digest": b.digest} for b in batches if b.source in stored])


def previous_kinds(ops: WriteOps, source: str) -> set[str]:
    """The node and relation kinds ``source`` wrote last time, from its Source record.

    A first load skips every delete; a re-load cleans only the kinds it wrote before.  (Deleting
    from untouched tables is not free: Ladybug's commit then rewrites them.)
    """
    record = ops.fetch(NODE_KINDS["Source"], [source]).get(source)
    return set(json.loads(record["counts"] or "{}")) if record else set()


def drop_source(ops: WriteOps, source: str, loaded_at: str) -> LoadReport:
    """Remove every relation and every node only ``source`` asserts, and its Source record; what
    other sources also assert stays, without this one."""
    report = LoadReport(source)
    before = previous_kinds(ops, source)
    for rel in RELS:
        if rel.name in before:
            ops.release_rels(rel, source)
    for kind in NODES:
        if kind.name == "Source":
            ops.delete_nodes(kind, [source])
        elif kind.name in before:
            report.removed_nodes += release(ops, kind, ops.ids_with_source(kind, source), source, loaded_at)
    return report
