"""`make bench [SIZE=S|M|L]`: ThemeGraph against baselines measured in the same run.

Prints two tables.  The first goes through the doors users use: ``themegraph load ...`` in a
subprocess on generated files on disk, against the parser and the database doing nothing else
(``bench/cli.py``).  The second measures the store itself: ``Store.apply_many`` on batches built
in memory, queries, memory, Neo4j.  Each row: the measurement, its baseline (measured here, now,
on this machine), the ratio, the target and whether it is met.  Absolute times depend on the
machine; the ratios are what the targets are about.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

import ladybug

import neo4j
from bench import cli
from bench.corpus import build
from bench.raw import raw_copy
from themegraph.graph.arrow import arrow_table
from themegraph.graph.neo4j_ops import props
from themegraph.graph.open import open_store
from themegraph.graph.schema import (
    NODE_KINDS,
    REL_KINDS,
    ladybug_ddl,
    neo4j_node_create,
    neo4j_rel_create,
)
from themegraph.graph.writer import complete_row
from themegraph.queries import catalog

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "mandatory-therapy"
RESULTS: list[dict] = []


def record(name, value, unit, baseline=None, ratio=None, target="", ok=None):
    RESULTS.append(dict(measure=name, value=value, unit=unit, baseline=baseline, ratio=ratio, target=target,
                        met="" if ok is None else ("yes" if ok else "NO")))
    print(f"  {name}: {value:.3f} {unit}" + (f" (ratio {ratio:.2f})" if ratio is not None else ""), file=sys.stderr)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


# --- raw and naive baselines on the embedded store -----------------------------------------------------


STAMP_AT = "2026-01-01T00:00:00+00:00"


def prepared_rows(corpus):
    """The corpus's rows per table as ThemeGraph stores them: complete node rows, and relation
    rows with their shared values, ready for the raw baselines (prepared untimed)."""
    nodes, rels = {}, {}
    for batch in corpus.batches:
        for kind, rows in batch.nodes.items():
            for id_, row in rows.items():
                full = complete_row(NODE_KINDS[kind], id_, row, STAMP_AT)
                full["sources"] = [batch.source]
                nodes.setdefault(kind, []).append(full)
        for (type_, src, dst), rows in batch.rels.items():
            stamp = {"kind": type_, "source": batch.source, "loaded_at": STAMP_AT}
            rels.setdefault((type_, src, dst), []).extend({**r, **stamp} for r in rows)
    return nodes, rels


def arrow_tables(corpus):
    """The corpus's rows as one Arrow table per table (untimed), as ``raw_copy`` reads them."""
    nodes, rels = prepared_rows(corpus)
    node_tables = {k: arrow_table([(p.name, p.type) for p in NODE_KINDS[k].columns], rows) for k, rows in nodes.items()}
    rel_tables = {}
    for (type_, src, dst), rows in rels.items():
        names = [p.name for p in REL_KINDS[type_].columns]
        columns = [("src", "STRING"), ("dst", "STRING")] + [(p.name, p.type) for p in REL_KINDS[type_].columns]
        rel_tables[(type_, src, dst)] = arrow_table(columns, rows).rename_columns(["from", "to", *names])
    return node_tables, rel_tables


def naive_sample(corpus, sample: int):
    """What the naive baselines write: the corpus's first ``sample/2`` nodes, then relations up to
    ``sample`` rows, each with every property that has a value (shared ones included)."""
    def values(row, keys):
        return {k: v for k, v in row.items() if v is not None and k not in keys}

    nodes = ((kind, id_, values({**row, "kind": kind, "sources": [b.source]}, ("id",)))
             for b in corpus.batches for kind, rows in b.nodes.items() for id_, row in rows.items())
    rels = ((type_, src, dst, r["src"], r["dst"], values({**r, "kind": type_, "source": b.source}, ("src", "dst")))
            for b in corpus.batches for (type_, src, dst), rows in b.rels.items() for r in rows)
    half = sample // 2
    return list(islice(nodes, half)), list(islice(rels, sample - half))


def assignments(var: str, values: dict) -> str:
    """``var.k = $k`` for every value: each property set by its own parameter."""
    return ", ".join(f"{var}.{k} = ${k}" for k in values)


def naive_merge(path, corpus, sample: int) -> tuple[float, int]:
    """The naive way, on a sample of the same rows: one auto-committed MERGE per node (every
    property SET) and one MATCH ... MERGE per relation (every property SET)."""
    db = ladybug.Database(str(path))
    conn = ladybug.Connection(db)
    for stmt in ladybug_ddl():
        conn.execute(stmt)
    nodes, rels = naive_sample(corpus, sample)
    start = time.perf_counter()
    for kind, id_, values in nodes:
        conn.execute(f"MERGE (n:{kind} {{id: $id}}) SET {assignments('n', values)}", {"id": id_, **values})
    for type_, src, dst, a, b, values in rels:
        conn.execute(f"MATCH (a:{src}) WHERE a.id = $src MATCH (b:{dst}) WHERE b.id = $dst "
                     f"MERGE (a)-[r:{type_}]->(b) SET {assignments('r', values)}", {"src": a, "dst": b, **values})
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed, len(nodes) + len(rels)


# --- the benchmarks --------------------------------------------------------------------------------


def bench_embedded_load(size: str, work: Path):
    print(f"building corpus {size} ...", file=sys.stderr)
    corpus = build(size)
    rows = corpus.rows()
    record(f"corpus {size} rows (nodes+relations)", rows, "rows")
    nodes, rels = arrow_tables(corpus)
    raw = raw_copy(work / "raw.db", nodes, rels)
    del nodes, rels
    store = open_store(db=str(work / "kb.db"))
    ours, _ = timed(lambda: store.apply_many(corpus.batches))
    record("embedded load, rows/s", rows / ours, "rows/s", baseline=rows / raw, ratio=raw / ours,
           target=">= 0.5 of raw COPY", ok=raw / ours >= 0.5)
    sample_time, sample_rows = naive_merge(work / "naive.db", corpus, 10_000)
    naive_rate = sample_rows / sample_time
    record("embedded load vs naive per-row MERGE", (rows / ours), "rows/s", baseline=naive_rate,
           ratio=(rows / ours) / naive_rate, target=">= 100x", ok=(rows / ours) / naive_rate >= 100)
    before = store.counts()
    again, reports = timed(lambda: store.apply_many(corpus.batches))
    record("re-load unchanged corpus", again, "s", baseline=ours, ratio=again / ours, target="<= 1.5x first load",
           ok=again <= 1.5 * ours and store.counts() == before and all(r.skipped for r in reports))
    forced, _ = timed(lambda: store.apply_many(corpus.batches, force=True))
    record("forced rewrite of the corpus", forced, "s", baseline=ours, ratio=forced / ours, target="(informative)",
           ok=store.counts() == before)
    return store, corpus


QUERY_PARAMS = {
    "theory-links": {"study": "study007"},
    "evidence-chain": {"study": "study007"},
    "path": {"from": "study007/participant/p1", "to": "theory/working-alliance/goals"},
    "citation-context": {"work": "work/w42"},
    "quote-search": {"words": "trust alliance", "study": "study007"},
}
FAST = ("theory-links", "evidence-chain")


def bench_queries(store, label: str, runs: int = 5):
    for name in sorted(catalog.catalog()):
        params = QUERY_PARAMS.get(name, {})
        catalog.run(store, name, params)  # warm-up: plan caches and the page cache, as in real use
        times = []
        for _ in range(runs):
            t, _ = timed(lambda: catalog.run(store, name, params))
            times.append(t)
        p50 = statistics.median(times)
        p95 = sorted(times)[max(0, int(round(0.95 * len(times))) - 1)]
        limit = 0.1 if name in FAST else 2.0
        record(f"{label} query {name} p50 (p95 {p95 * 1000:.0f} ms)", p50 * 1000, "ms", target=f"<= {limit * 1000:.0f} ms",
               ok=p95 <= limit)


def bench_example_queries(work: Path):
    from themegraph.loaders.study import read_study

    store = open_store(db=str(work / "example.db"))
    store.apply(read_study(EXAMPLE))
    for name in sorted(catalog.catalog()):
        times = [timed(lambda: catalog.run(store, name, {}))[0] for _ in range(5)]
        p50 = statistics.median(times)
        record(f"S query {name} p50", p50 * 1000, "ms", target="<= 100 ms", ok=max(times) <= 0.1)
    store.close()


def bench_memory(size: str, work: Path):
    """Peak RSS of building and loading the corpus in a fresh process, chunk by chunk."""
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "from bench.corpus import build_chunks\n"
        "from themegraph.graph.open import open_store\n"
        "s = open_store(db=%r)\n"
        "for chunk in build_chunks(%r):\n"
        "    s.apply_many(chunk)\n"
        "s.close()\n"
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (large) forking parent
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])\n"
    ) % (str(ROOT), str(work / "mem.db"), size)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    peak_mb = int(out.stdout.strip().splitlines()[-1]) / 1024
    record(f"peak RSS loading {size} in chunks", peak_mb, "MB", target="<= 4096 MB", ok=peak_mb <= 4096)


def raw_neo4j(store, corpus) -> float | None:
    """Seconds for the server's own fastest way to write the same rows: prepared complete rows
    (prepared untimed), one transaction, plain UNWIND CREATE batches of 10,000, no ThemeGraph.
    None when one transaction cannot hold them."""
    nodes, rels = prepared_rows(corpus)
    nodes = {kind: [props(r) for r in rows] for kind, rows in nodes.items()}
    rels = {key: [props(r) for r in rows] for key, rows in rels.items()}

    def write(tx):
        for kind, rows in nodes.items():
            for i in range(0, len(rows), 10_000):
                tx.run(neo4j_node_create(NODE_KINDS[kind]), rows=rows[i:i + 10_000]).consume()
        for (type_, src, dst), rows in rels.items():
            statement = neo4j_rel_create(REL_KINDS[type_], src, dst)
            for i in range(0, len(rows), 10_000):
                tx.run(statement, rows=rows[i:i + 10_000]).consume()

    with store.driver.session(database=store.database) as s:
        try:
            elapsed, _ = timed(lambda: s.execute_write(write))
        except neo4j.exceptions.Neo4jError as exc:  # corpus L: more than one transaction can hold
            print(f"raw UNWIND in one transaction failed: {exc.code}", file=sys.stderr)
            return None
    return elapsed


def naive_neo4j(store, corpus, sample: int) -> float:
    """Rows/s of the naive way on Neo4j, on the same sample as ``naive_merge``: one transaction
    per row, every property set.  Run on the loaded database (nodes get fresh ids, relations join
    loaded nodes) and removed afterwards."""
    nodes, rels = naive_sample(corpus, sample)
    work = [(f"MERGE (n:{kind} {{id: $id}}) SET {assignments('n', values)}, n.naive = true",
             {"id": id_ + "#naive", **values}) for kind, id_, values in nodes]
    work += [(f"MATCH (a:{src} {{id: $src}}) MATCH (b:{dst} {{id: $dst}}) "
              f"CREATE (a)-[r:{type_}]->(b) SET {assignments('r', values)}, r.naive = true",
              {"src": a, "dst": b, **values}) for type_, src, dst, a, b, values in rels]
    with store.driver.session(database=store.database) as s:
        t, _ = timed(lambda: [s.execute_write(lambda tx, q=q, p=p: tx.run(q, p).consume()) for q, p in work])
        s.run("MATCH ()-[r]->() WHERE r.naive DELETE r").consume()
        s.run("MATCH (n) WHERE n.naive DETACH DELETE n").consume()
    return len(work) / t


def bench_neo4j(size: str):
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        print("NEO4J_URI not set: Neo4j benchmarks skipped", file=sys.stderr)
        return
    store = open_store(neo4j=uri)

    def wipe():
        with store.driver.session(database=store.database) as s:
            s.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS").consume()
            s.run("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()

    # warm-up: a server that has just started runs its first loads at half speed (JIT); a
    # knowledge base's server is a long-running one
    wipe()
    store.apply_many(build("XS").batches)
    wipe()
    corpus = build(size)
    rows = corpus.rows()
    raw = raw_neo4j(store, corpus)
    wipe()
    staged = rows > store._stage_rows()
    ours, _ = timed(lambda: store.apply_many(corpus.batches))  # one call: one transaction, or staged
    record(f"Neo4j load {size} vs the raw UNWIND of the same rows", rows / ours, "rows/s",
           baseline=rows / raw if raw else None, ratio=raw / ours if raw else None,
           target="(the server's ceiling; none if one transaction cannot hold the rows)")
    naive_rate = naive_neo4j(store, corpus, 1000)
    record(f"Neo4j load {size}{' (staged)' if staged else ''}, rows/s", rows / ours, "rows/s", baseline=naive_rate, ratio=(rows / ours) / naive_rate,
           target=">= 30000 rows/s and >= 50x per-row tx", ok=rows / ours >= 30000 and (rows / ours) / naive_rate >= 50)
    bench_queries(store, f"Neo4j {size}")
    store.close()


#: The store-level corpus for each bench size (S: a few minutes in all on a shared 2-core machine).
STORE_SIZE = {"S": "XS", "M": "M", "L": "L"}


def fmt(v):
    return "" if v is None else (f"{v:,.2f}" if isinstance(v, float) else f"{v:,}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", default="S", choices=("S", "M", "L"),
                        help="input sizes (S: a few minutes; L: the issue's target sizes)")
    parser.add_argument("--neo4j-size", default="M", choices=("XS", "M", "L"))
    parser.add_argument("--skip", nargs="*", default=[],
                        help=f"parts to skip: cli {' '.join(cli.PARTS)} store load queries memory neo4j example")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--refs-file", type=Path, action="append", default=[],
                        help="a real reference file (.bib, .ris, CSL .json) to measure too (repeatable)")
    args = parser.parse_args(argv)
    from themegraph.output import emit

    work = Path(tempfile.mkdtemp(prefix="themegraph-bench-"))
    size = STORE_SIZE[args.size]
    table = None
    try:
        if "cli" not in args.skip:
            table = cli.run(args.size, work / "cli", skip=args.skip, real_refs=args.refs_file)
            print(f"\n## Through the CLI, from files on disk (SIZE={args.size})\n")
            emit([{k: fmt(v) if k in ("value", "baseline", "ratio") else v for k, v in r.items()} for r in table.rows],
                 "markdown", ["measure", "size", "value", "unit", "baseline", "ratio", "target", "met"])
        if "store" in args.skip:
            args.skip += ["example", "load", "memory", "neo4j"]
        if "example" not in args.skip:
            bench_example_queries(work)
        if "load" not in args.skip:
            store, _ = bench_embedded_load(size, work)
            if "queries" not in args.skip:
                bench_queries(store, f"embedded {size}")
            store.close()
        if "memory" not in args.skip:
            bench_memory(size, work)
        if "neo4j" not in args.skip:
            bench_neo4j(args.neo4j_size)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if RESULTS:
        print(f"\n## The store itself: Store.apply_many on batches in memory (corpus {size})\n")
        emit([{k: fmt(v) if k in ("value", "baseline", "ratio") else v for k, v in r.items()} for r in RESULTS],
             "markdown", ["measure", "value", "unit", "baseline", "ratio", "target", "met"])
    if args.json:
        args.json.write_text(json.dumps({"cli": table.rows if table else [], "store": RESULTS}, indent=2))


if __name__ == "__main__":
    main()
