"""A batch: the node and relation rows one named source contributes to the graph.

Loaders build a Batch and hand it to a store; they never talk to a database.  A Batch is the unit
of atomicity (a store applies all of it or none of it) and of replacement (applying a batch for
source S replaces whatever S contributed before).
"""

from __future__ import annotations

import gc
import hashlib
import marshal
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from .schema import BOOL, FLOAT, INT, STRING, STRINGS, RelKind, node_kind, rel_kind


class BatchError(ValueError):
    """A row that does not fit the schema (unknown kind, property or endpoint kind)."""


def _coerce(value, type_: str, where: str):
    """Check a value against a declared property type; None is always allowed."""
    if value is None or (type_ is STRING and value.__class__ is str):  # most values: nothing to do
        return value
    if type_ == INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise BatchError(f"{where}: expected an integer, got {value!r}")
        value = int(value)
    elif type_ == FLOAT:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BatchError(f"{where}: expected a number, got {value!r}")
        value = float(value)
    elif type_ == BOOL:
        if not isinstance(value, bool):
            raise BatchError(f"{where}: expected true/false, got {value!r}")
    elif type_ == STRINGS:
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise BatchError(f"{where}: expected a list of strings, got {value!r}")
        value = [str(v) for v in value]
    elif not isinstance(value, str):
        raise BatchError(f"{where}: expected text, got {value!r}")
    else:
        value = str(value)  # a str subclass (lxml's, say) becomes a plain str
    return value


#: Properties a loader may give, per node kind and relation type, with their types (the schema's
#: ``columns`` is computed on each access: looked up once here, as a load adds ~100,000 rows)
_NODE_PROPS: dict[str, dict[str, str]] = {}
_REL_PROPS: dict[str, tuple[RelKind, set, dict[str, str]]] = {}


def _node_props(kind: str) -> dict[str, str]:
    props = _NODE_PROPS.get(kind)
    if props is None:
        props = _NODE_PROPS[kind] = {p.name: p.type for p in node_kind(kind).columns
                                     if p.name not in ("id", "kind", "sources", "loaded_at")}
    return props


def _rel_props(type_: str) -> tuple[RelKind, set, dict[str, str]]:
    """(declared kind, its (from, to) pairs, the properties a loader may give)."""
    found = _REL_PROPS.get(type_)
    if found is None:
        declared = rel_kind(type_)
        found = _REL_PROPS[type_] = (declared, set(declared.pairs), {
            p.name: p.type for p in declared.columns if p.name not in ("kind", "sources", "fact", "loaded_at", "origin")})
    return found


@contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector while a batch is built or written.

    Both allocate hundreds of thousands of small dicts, lists and tuples while as many (the
    batch) are alive; the collector then keeps re-scanning them all, which cost a fifth of loading
    the benchmark corpus L and a quarter of reading a 100,000-row study bundle.  Rows hold no
    reference cycles, so nothing is left for it to find.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def fact_of(rel: RelKind, row: dict) -> str:
    """What, besides its endpoints, makes a relation one fact: its identity values, joined."""
    return "|".join("" if row.get(p) is None else str(row[p]) for p in rel.identity)


@dataclass
class Batch:
    """Rows for one named source.

    ``nodes[kind][id]`` is a dict of properties (``origin`` included); a node added twice is
    merged, later non-empty values winning.  ``rels[(type, from_kind, to_kind)]`` is a list of
    dicts with ``src``, ``dst``, ``fact`` and properties; a relation added twice (the same
    endpoints and identity values: the same fact) is kept once, as first given.
    """

    source: str
    path: str = ""
    loader: str = ""
    #: hash of the input files and options (``readers.digest``): the next load of the same files
    #: is recognised before they are parsed
    digest: str | None = None
    nodes: dict[str, dict[str, dict]] = field(default_factory=lambda: defaultdict(dict))
    rels: dict[tuple[str, str, str], list[dict]] = field(default_factory=lambda: defaultdict(list))
    _fingerprint: str | None = field(default=None, repr=False, compare=False)
    _facts: set = field(default_factory=set, repr=False, compare=False)

    def node(self, kind: str, id: str, *, origin: str | None = None, **props) -> str:
        """Add (or merge into) node ``id`` of ``kind``; returns the id for chaining."""
        allowed = _NODE_PROPS.get(kind) or _node_props(kind)
        self._fingerprint = None
        if not id or id.__class__ is not str:
            if not isinstance(id, str) or not id:
                raise BatchError(f"{kind} at {origin or '?'}: id must be a non-empty string")
            id = str(id)
        row = self.nodes[kind].get(id)
        if row is None:
            row = self.nodes[kind][id] = {}
        for key, value in props.items():
            type_ = allowed.get(key)
            if type_ is None:
                raise BatchError(f"{kind} {id!r}: unknown property {key!r}")
            if value is not None and (type_ is not STRING or value.__class__ is not str):
                value = _coerce(value, type_, f"{kind} {id!r} property {key!r}")
            if value is not None or key not in row:
                row[key] = value
        if origin is not None:
            row["origin"] = origin if origin.__class__ is str else str(origin)
        return id

    def rel(self, type_: str, src: tuple[str, str], dst: tuple[str, str], *, origin: str | None = None, **props):
        """Add relation ``type_`` from ``src`` = (kind, id) to ``dst`` = (kind, id)."""
        declared, pairs, allowed = _REL_PROPS.get(type_) or _rel_props(type_)
        self._fingerprint = None
        (src_kind, src_id), (dst_kind, dst_id) = src, dst
        if (src_kind, dst_kind) not in pairs:
            allowed_pairs = ", ".join(f"{a}->{b}" for a, b in declared.pairs)
            raise BatchError(f"{type_} cannot join {src_kind}->{dst_kind} (allowed: {allowed_pairs})")
        row = {"src": src_id if src_id.__class__ is str else str(src_id),
               "dst": dst_id if dst_id.__class__ is str else str(dst_id),
               "origin": origin if origin is None or origin.__class__ is str else str(origin)}
        for key, value in props.items():
            type_of = allowed.get(key)
            if type_of is None:
                raise BatchError(f"{type_} {src_id!r}->{dst_id!r}: unknown property {key!r}")
            row[key] = _coerce(value, type_of, f"{type_} property {key!r}")
        fact = row["fact"] = fact_of(declared, row) if declared.identity else ""
        key = (type_, src_kind, dst_kind, row["src"], row["dst"], fact)
        if key not in self._facts:
            self._facts.add(key)
            self.rels[(type_, src_kind, dst_kind)].append(row)

    def counts(self) -> dict[str, int]:
        """Rows per node kind and relation type."""
        out: dict[str, int] = {}
        for kind, rows in self.nodes.items():
            out[kind] = out.get(kind, 0) + len(rows)
        for (type_, _, _), rows in self.rels.items():
            out[type_] = out.get(type_, 0) + len(rows)
        return out

    def size(self) -> int:
        """Total number of node and relation rows."""
        return sum(self.counts().values())

    def fingerprint(self) -> str:
        """A hash of the content (not of provenance times): equal batches, equal fingerprints.

        Loaders emit rows in input order, so the same input gives the same hash.  Computed once
        per content (cached until the next row is added).
        """
        if self._fingerprint is None:
            # marshal (format 2: no back-references, so equal content gives equal bytes) is seven
            # times faster than JSON here; rows hold only plain str/int/float/bool/list/None.  A
            # new Python may change the bytes: the next load of each source is then rewritten once.
            h = hashlib.sha256()
            for kind in sorted(self.nodes):  # rows in the order added, as relations are
                h.update(marshal.dumps([kind, list(self.nodes[kind].items())], 2))
            for key in sorted(self.rels):
                h.update(marshal.dumps([key, self.rels[key]], 2))
            self._fingerprint = h.hexdigest()
        return self._fingerprint

    def renamed(self, kind: str, new_ids: dict[str, str]) -> "Batch":
        """A copy in which nodes of ``kind`` called by a key of ``new_ids`` take its value as id
        (merged into a node of that id if the batch holds one) and relations follow them; a
        relation that becomes a repeat of another is kept once, as everywhere."""
        out = Batch(self.source, path=self.path, loader=self.loader, digest=self.digest)
        for k, rows in self.nodes.items():
            for id_, row in rows.items():
                target = new_ids.get(id_, id_) if k == kind else id_
                held = out.nodes[k].get(target)
                out.nodes[k][target] = {**row, **{p: v for p, v in (held or {}).items() if v is not None}} if held else dict(row)
        for (type_, src, dst), rows in self.rels.items():
            for row in rows:
                moved = dict(row)
                if src == kind:
                    moved["src"] = new_ids.get(row["src"], row["src"])
                if dst == kind:
                    moved["dst"] = new_ids.get(row["dst"], row["dst"])
                key = (type_, src, dst, moved["src"], moved["dst"], moved["fact"])
                if key not in out._facts:
                    out._facts.add(key)
                    out.rels[(type_, src, dst)].append(moved)
        return out

    def dangling(self) -> dict[str, set[str]]:
        """Endpoint ids per kind that relations name but this batch does not hold."""
        missing: dict[str, set[str]] = defaultdict(set)
        for (_, src_kind, dst_kind), rows in self.rels.items():
            for end, kind in (("src", src_kind), ("dst", dst_kind)):
                outside = {row[end] for row in rows}.difference(self.nodes.get(kind, ()))
                if outside:
                    missing[kind] |= outside
        return missing
