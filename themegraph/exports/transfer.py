"""Moving a whole knowledge base: JSON Lines dumps, restores, and store-to-store copies.

This is the way across Ladybug storage-format changes (dump with the old version, import with
the new) and up to a Neo4j server when a team outgrows one laptop.  A dump is lossless: every
declared property of every node and relation, provenance included.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError, StoreError, ThemeGraphError
from ..files import write_text
from ..graph.schema import NODE_KINDS, NODES, REL_KINDS, RELS
from ..graph.store import Store
from ..graph.writer import LoadReport

FORMAT = "themegraph-jsonl/1"

NodeRows = dict[str, list[dict]]
RelRows = dict[tuple[str, str, str], list[dict]]


def dump(store: Store) -> tuple[NodeRows, RelRows]:
    """Every node and relation of the store as rows, in a stable order."""
    nodes: NodeRows = {}
    for kind in NODES:
        cols = ", ".join(f"n.{p.name} AS {p.name}" for p in kind.columns)
        nodes[kind.name] = store.query(f"MATCH (n:{kind.name}) RETURN {cols} ORDER BY id")
    rels: RelRows = {}
    for rel in RELS:
        cols = ", ".join(f"r.{p.name} AS {p.name}" for p in rel.columns)
        for src, dst in rel.pairs:
            rows = store.query(
                f"MATCH (a:{src})-[r:{rel.name}]->(b:{dst}) RETURN a.id AS src, b.id AS dst, {cols} "
                "ORDER BY src, dst, origin, loaded_at"
            )
            if rows:
                rels[(rel.name, src, dst)] = rows
    return nodes, rels


def restore(store: Store, nodes: NodeRows, rels: RelRows) -> LoadReport:
    """Write dumped rows into an *empty* store, atomically (on Neo4j staged if too big for one transaction)."""
    counts = store.counts()
    if any(counts["nodes"].values()):
        raise StoreError("the target knowledge base is not empty; restore and copy only write into an empty one")

    def write(ops) -> LoadReport:
        report = LoadReport("restore")
        for kind in NODES:
            rows = nodes.get(kind.name, [])
            ops.insert_nodes(kind, rows)
            report.written[kind.name] = len(rows)
        for (type_, src, dst), rows in rels.items():
            ops.insert_rels(REL_KINDS[type_], src, dst, [(rows, {})])
            report.written[type_] = report.written.get(type_, 0) + len(rows)
        return report

    size = sum(len(r) for r in nodes.values()) + sum(len(r) for r in rels.values())
    return store.write_rows(write, size)


def write_jsonl(store: Store, folder: Path) -> dict[str, int]:
    """Dump the store into ``folder``: manifest.json, nodes/<Kind>.jsonl, rels/<TYPE>.jsonl.

    The manifest is removed first and written last, so a dump cut short (a full disk, Ctrl-C)
    over an older one is refused by ``read_jsonl`` ("no manifest.json"), never read as a mix of
    both; each file is whole (``files.write_text``)."""
    nodes, rels = dump(store)
    try:
        (folder / "manifest.json").unlink(missing_ok=True)
    except OSError as exc:
        raise ThemeGraphError(f"cannot write {folder}: {exc.strerror or exc}") from None
    written: dict[str, int] = {}
    for kind, rows in nodes.items():
        _write_lines(folder / "nodes" / f"{kind}.jsonl", rows)
        written[kind] = len(rows)
    by_type: dict[str, list[dict]] = {}
    for (type_, src, dst), rows in rels.items():
        by_type.setdefault(type_, []).extend({"src_kind": src, "dst_kind": dst, **r} for r in rows)
    for rel in RELS:
        rows = by_type.get(rel.name, [])
        _write_lines(folder / "rels" / f"{rel.name}.jsonl", rows)
        written[rel.name] = len(rows)
    manifest = {"format": FORMAT, "counts": written}
    write_text(folder / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return written


def _write_lines(path: Path, rows: list[dict]) -> None:
    write_text(path, "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows))


def read_jsonl(folder: Path) -> tuple[NodeRows, RelRows]:
    """Read a dump written by ``write_jsonl``, checking every line against the schema."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise InputError(f"{folder}: not a ThemeGraph dump (no manifest.json)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"{manifest_path}: malformed JSON: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise InputError(f"{manifest_path}: unsupported dump format {manifest.get('format')!r} (expected {FORMAT})")
    problems: list[str] = []
    nodes: NodeRows = {}
    for kind in NODES:
        path = folder / "nodes" / f"{kind.name}.jsonl"
        cols = {p.name for p in kind.columns}
        nodes[kind.name] = [r for r in _read_lines(path, problems) if _fits(r, cols, path, problems)]
    rels: RelRows = {}
    for rel in RELS:
        path = folder / "rels" / f"{rel.name}.jsonl"
        cols = {p.name for p in rel.columns} | {"src", "dst", "src_kind", "dst_kind"}
        for row in _read_lines(path, problems):
            pair = (row.pop("src_kind", None), row.pop("dst_kind", None))
            if pair not in rel.pairs:
                problems.append(f"{path}:{row.get('__line')}: {rel.name} cannot join {pair[0]}->{pair[1]}")
                continue
            if _fits(row, cols - {"src_kind", "dst_kind"}, path, problems):
                rels.setdefault((rel.name, *pair), []).append(row)
    for kind_name, expected in manifest.get("counts", {}).items():
        actual = len(nodes.get(kind_name, [])) if kind_name in NODE_KINDS else sum(
            len(v) for k, v in rels.items() if k[0] == kind_name)
        if kind_name in NODE_KINDS or kind_name in REL_KINDS:
            if actual != expected:
                problems.append(f"{manifest_path}: {kind_name}: manifest says {expected} rows, files hold {actual}")
    if problems:
        raise InputError(problems)
    return nodes, rels


def _read_lines(path: Path, problems: list[str]) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                problems.append(f"{path}:{n}: malformed JSON: {exc}")
                continue
            if not isinstance(row, dict):
                problems.append(f"{path}:{n}: expected a JSON object")
                continue
            row["__line"] = n
            rows.append(row)
    return rows


def _fits(row: dict, cols: set[str], path: Path, problems: list[str]) -> bool:
    line = row.pop("__line")
    unknown = set(row) - cols
    if unknown:
        problems.append(f"{path}:{line}: unknown properties {sorted(unknown)}")
        return False
    return True


def copy(source: Store, target: Store) -> LoadReport:
    """Copy every node and relation of ``source`` into the empty ``target``, then verify counts."""
    report = restore(target, *dump(source))
    if source.counts() != target.counts():
        raise StoreError("the copy's counts differ from the source's; the target holds an incomplete copy")
    return report
