"""``write_graphml``: the knowledge base, or one study, as GraphML for Gephi or Cytoscape.

Every node keeps its kind (``kind``), display name (``label``) and declared properties; every
relation its type (``type``) and properties.  GraphML types each attribute name once, so a
property whose type differs between kinds (Study.year is a number, Work.year text such as
"2006a") is written as text everywhere; lists become "; "-joined text.  Source nodes (the load
ledger) are bookkeeping, not knowledge, and are left out.

One study means: its Study node, every node scoped to it, everything those link to (works,
theories, constructs), and what the literature brings along (authors of those works, the
theory a construct is part of, the work a theory was proposed in).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import networkx as nx

from ..files import replace_file
from ..graph.schema import BOOL, FLOAT, INT, NODES, REL_KINDS, RELS, STRINGS, NodeKind

_LEFT_OUT = {"Source"}
_KINDS = [k for k in NODES if k.name not in _LEFT_OUT]
_PY = {INT: int, FLOAT: float, BOOL: bool}


def write_graphml(store, path: Path, *, study: str | None = None) -> None:
    """Write the whole graph (or one study and the literature around it) to ``path``."""
    graph = read_graph(store, study=study)
    replace_file(path, lambda f: nx.write_graphml(graph, f))


def read_graph(store, *, study: str | None = None) -> nx.MultiDiGraph:
    """The graph as a networkx MultiDiGraph keyed ``Kind:id`` (several CITES may join two nodes)."""
    graph = nx.MultiDiGraph()
    mixed = _mixed_types()
    scoped = {k.name for k in _KINDS if any(p.name == "study" for p in k.props)}
    core = scoped | {"Study"}
    wanted: dict[str, set[str]] = defaultdict(set)  # literature nodes a study reaches
    for kind in _KINDS:
        if study is None or kind.name in core:
            _add_nodes(graph, store, kind, _where_study("n", kind.name, study), _params(study), mixed)
    deferred = []
    for rel in RELS:
        for a, b in rel.pairs:
            if a in _LEFT_OUT or b in _LEFT_OUT:
                continue
            props = ", ".join(f"r.{p.name} AS {p.name}" for p in rel.columns)
            if study is None or a in core or b in core:
                alias, end = ("x", a) if a in core else ("y", b)
                rows = store.query(
                    f"MATCH (x:{a})-[r:{rel.name}]->(y:{b}){_where_study(alias, end, study)} "
                    f"RETURN x.id AS src, y.id AS dst, {props}",
                    _params(study),
                )
                for row in rows:
                    _add_edge(graph, rel.name, a, b, row, mixed)
                    for kind, node in ((a, row["src"]), (b, row["dst"])):
                        if kind not in core:
                            wanted[kind].add(node)
            else:
                deferred.append((rel, a, b, props))
    if study is not None:
        _follow_literature(graph, store, deferred, wanted, mixed)
        for kind in _KINDS:
            if wanted.get(kind.name):
                _add_nodes(graph, store, kind, " WHERE n.id IN $ids", {"ids": sorted(wanted[kind.name])}, mixed)
    return graph


def _where_study(alias: str, kind: str, study: str | None) -> str:
    """Restrict ``alias`` (of ``kind``) to the study: the Study itself, or nodes scoped to it."""
    if study is None:
        return ""
    return f" WHERE {alias}.id = $study" if kind == "Study" else f" WHERE {alias}.study = $study"


def _params(study: str | None) -> dict:
    return {"study": study} if study else {}


def _follow_literature(graph, store, deferred, wanted, mixed) -> None:
    """Add literature-to-literature relations leaving reached nodes, until nothing new is reached."""
    rows_by_rel = {
        (rel.name, a, b): store.query(f"MATCH (x:{a})-[r:{rel.name}]->(y:{b}) RETURN x.id AS src, y.id AS dst, {props}")
        for rel, a, b, props in deferred
    }
    added: set[tuple] = set()
    grew = True
    while grew:
        grew = False
        for (name, a, b), rows in rows_by_rel.items():
            for i, row in enumerate(rows):
                if row["src"] in wanted[a] and (name, a, b, i) not in added:
                    added.add((name, a, b, i))
                    _add_edge(graph, name, a, b, row, mixed)
                    if row["dst"] not in wanted[b]:
                        wanted[b].add(row["dst"])
                        grew = True


def _add_nodes(graph, store, kind: NodeKind, where: str, params: dict, mixed: set[str]) -> None:
    cols = ", ".join(f"n.{p.name} AS {p.name}" for p in kind.columns)
    for row in store.query(f"MATCH (n:{kind.name}){where} RETURN {cols}", params):
        attrs = {"kind": kind.name, "label": row.get("name") or row["id"]}
        for prop in kind.columns:
            value = _value(row.get(prop.name), prop.type, prop.name in mixed)
            if value is not None:
                attrs[prop.name] = value
        graph.add_node(f"{kind.name}:{row['id']}", **attrs)


def _add_edge(graph, name: str, a: str, b: str, row: dict, mixed: set[str]) -> None:
    attrs = {"type": name}
    for prop in REL_KINDS[name].columns:
        value = _value(row.get(prop.name), prop.type, prop.name in mixed)
        if value is not None:
            attrs[prop.name] = value
    graph.add_edge(f"{a}:{row['src']}", f"{b}:{row['dst']}", **attrs)


def _value(value, type_: str, as_text: bool):
    """A property value in a type GraphML can hold, or None to leave it out."""
    if value is None or value == [] or value == "":
        return None
    if type_ == STRINGS:
        return "; ".join(str(v) for v in value)
    if as_text or type_ not in _PY:
        return str(value)
    return _PY[type_](value)


def _mixed_types() -> set[str]:
    """Property names declared with different types on different kinds (written as text)."""
    types: dict[str, set[str]] = defaultdict(set)
    for kind in _KINDS:
        for prop in kind.columns:
            types[prop.name].add(STRINGS if prop.type == STRINGS else prop.type)
    for rel in RELS:
        for prop in rel.columns:
            types[prop.name].add(prop.type)
    return {name for name, ts in types.items() if len(ts) > 1}
