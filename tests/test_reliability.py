"""Nothing lost, nothing half-written, nobody let in: faults, crashes, concurrency, injection."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import EXAMPLE
from minigraph import literature_batch, study_batch

from themegraph.errors import StoreError
from themegraph.exports.transfer import dump, read_jsonl, restore, write_jsonl
from themegraph.graph import writer
from themegraph.graph.check import passed, run_checks
from themegraph.loaders.study import read_study
from themegraph.queries import catalog

EVIL = "x'}) DETACH DELETE n //"


class InjectedFault(RuntimeError):
    pass


class FaultyOps:
    """Wraps a store's write operations and fails at the n-th call (counting every primitive)."""

    def __init__(self, ops, fail_at: int | None, calls: list):
        self.ops, self.fail_at, self.calls = ops, fail_at, calls

    def __getattr__(self, name):
        real = getattr(self.ops, name)
        if not callable(real):
            return real

        def call(*args, **kwargs):
            self.calls.append(name)
            if self.fail_at is not None and len(self.calls) == self.fail_at:
                raise InjectedFault(f"fault injected at write step {self.fail_at} ({name})")
            return real(*args, **kwargs)

        return call


def inject(monkeypatch, fail_at, calls, *, at_commit=False):
    def faulty(ops, batches, loaded_at, policy=writer.KEEP):
        reports = ORIGINAL_WRITE(FaultyOps(ops, fail_at, calls), batches, loaded_at, policy)
        if at_commit:
            raise InjectedFault("fault injected at commit")
        return reports

    monkeypatch.setattr(writer, "write_batches", faulty)


def test_a_fault_at_every_write_step_leaves_the_store_as_it_was(store, monkeypatch):
    """Replace a loaded study with an edited one, failing at each primitive write in turn."""
    store.apply(literature_batch())
    store.apply(study_batch("s1", codes=4))
    before = dump(store)
    edited = study_batch("s1", codes=2)
    edited.node("Code", "s1/code/new", name="New code", study="s1")
    edited.rel("IN_STUDY", ("Code", "s1/code/new"), ("Study", "s1"))

    calls: list = []
    inject(monkeypatch, None, calls)
    probe = store_copy_for_count(store, edited, monkeypatch, calls)
    assert probe > 10, "the load should take many primitive steps"
    for step in range(1, probe + 1):
        calls.clear()
        inject(monkeypatch, step, calls)
        with pytest.raises((InjectedFault, StoreError)):
            store.apply(edited, force=True)
        assert dump(store) == before, f"state changed after a fault at step {step}"
    calls.clear()
    inject(monkeypatch, None, calls, at_commit=True)
    with pytest.raises((InjectedFault, StoreError)):
        store.apply(edited, force=True)
    assert dump(store) == before
    monkeypatch.setattr(writer, "write_batches", ORIGINAL_WRITE)
    store.apply(edited)  # and the same load then succeeds
    assert store.counts()["nodes"]["Code"] == 3
    print(f"{store.name}: {probe + 1} injected faults survived")


ORIGINAL_WRITE = writer.write_batches


def store_copy_for_count(store, batch, monkeypatch, calls) -> int:
    """How many primitive write steps a successful load of ``batch`` takes (then undone)."""
    before = dump(store)
    try:
        inject(monkeypatch, None, calls, at_commit=True)  # run it all, then roll back
        with pytest.raises((InjectedFault, StoreError)):
            store.apply(batch, force=True)
    finally:
        monkeypatch.setattr(writer, "write_batches", ORIGINAL_WRITE)
    assert dump(store) == before
    return len(calls)


def test_load_fail_reload_in_one_process(store):
    """Ladybug 0.20-0.22 segfaulted on COPY, rollback, COPY on one connection: load, fail, re-load."""
    store.apply(literature_batch())
    store.apply(study_batch("s1"))
    bad = study_batch("s1", codes=6)
    bad.rel("CODED_AS", ("Extract", "s1/extract/e0"), ("Code", "s1/code/missing"))
    with pytest.raises(StoreError):
        store.apply(bad)
    store.apply(study_batch("s1", codes=6))
    assert store.counts()["nodes"]["Code"] == 6
    assert passed(run_checks(store))


def test_injection_values_are_data(store):
    b = study_batch("s1")
    b.node("Code", "s1/code/evil", name=EVIL, study="s1", description="<script>alert(1)</script>")
    b.rel("IN_STUDY", ("Code", "s1/code/evil"), ("Study", "s1"))
    store.apply(literature_batch())
    store.apply(b)
    before = store.counts()
    for name in catalog.catalog():
        query = catalog.get(name)
        params = {p.name: EVIL for p in query.params if p.type in ("string", "words")}
        catalog.run(store, name, params)
    assert store.counts() == before
    assert store.query("MATCH (c:Code) WHERE c.name = $n RETURN c.id AS id", {"n": EVIL}) == [{"id": "s1/code/evil"}]


def test_jsonl_dump_and_restore_are_lossless(store_factory, tmp_path):
    store = store_factory()
    store.apply(read_study(EXAMPLE))
    write_jsonl(store, tmp_path / "dump")
    nodes, rels = read_jsonl(tmp_path / "dump")
    original = dump(store)
    # restore into a fresh embedded store and compare everything, provenance included
    from themegraph.graph.open import open_store

    with open_store(db=str(tmp_path / "restored.db")) as other:
        restore(other, nodes, rels)
        assert dump(other) == original
        assert passed(run_checks(other))
        with pytest.raises(StoreError, match="not empty"):
            restore(other, nodes, rels)


def test_check_detects_tampering(store):
    store.apply(literature_batch())
    store.apply(study_batch("s1"))
    assert passed(run_checks(store))
    store._write(lambda ops: ops.delete_nodes(__import__("themegraph.graph.schema", fromlist=["x"]).NODE_KINDS["Code"],
                                              ["s1/code/c0"]))
    results = {r["check"]: r for r in run_checks(store)}
    assert results["counts per source"]["status"] == "FAIL"


def tg(*args, env=None):
    return subprocess.run([sys.executable, "-m", "themegraph", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def test_a_load_too_big_for_the_page_cache_says_what_to_set_and_writes_nothing(tmp_path):
    """One load is one transaction, which must fit in Ladybug's page cache: the example needs more
    than 32 MB.  The error names the setting to raise; the knowledge base keeps what it had."""
    db = tmp_path / "kb.db"
    assert tg("--db", str(db), "load", "refs", str(EXAMPLE / "references.bib")).returncode == 0
    before = tg("--db", str(db), "stats", "--format", "json").stdout
    proc = tg("--db", str(db), "load", "study", str(EXAMPLE), env={**os.environ, "THEMEGRAPH_BUFFER_POOL_MB": "32"})
    assert proc.returncode == 1
    assert "nothing was written" in proc.stderr and "Traceback" not in proc.stderr
    assert "page cache is 32 MB" in proc.stderr and "set THEMEGRAPH_BUFFER_POOL_MB higher" in proc.stderr
    assert tg("--db", str(db), "stats", "--format", "json").stdout == before


def test_second_writer_is_refused_with_the_holders_pid(tmp_path):
    from themegraph.graph.open import open_store

    db = tmp_path / "kb.db"
    with open_store(db=str(db)) as holder:
        holder.apply(read_study(EXAMPLE))
        proc = tg("--db", str(db), "load", "study", str(EXAMPLE), "--force")
        assert proc.returncode == 1
        assert f"in use by process {os.getpid()}" in proc.stderr and "Traceback" not in proc.stderr
        reader = tg("--db", str(db), "stats", "--format", "json")  # readers still work
        assert reader.returncode == 0 and json.loads(reader.stdout)["nodes"]["Code"] == 232
    assert tg("--db", str(db), "check").returncode == 0


CRASH_LOADER = textwrap.dedent("""
    import sys
    from themegraph.graph.batch import Batch
    from themegraph.graph.open import open_store
    n = int(sys.argv[2])
    b = Batch("bulk:crash", path="generated", loader="test")
    b.node("Study", "bulk", name="Bulk")
    for i in range(n):
        c = b.node("Code", f"bulk/code/{i}", name=f"code {i}", study="bulk")
        b.rel("IN_STUDY", ("Code", c), ("Study", "bulk"))
    store = open_store(db=sys.argv[1])
    print("writing", flush=True)
    store.apply(b)
    print("done", flush=True)
""")


@pytest.mark.slow
def test_kill_9_during_a_large_load_leaves_old_or_new_state(tmp_path):
    from themegraph.graph.open import open_store

    db = tmp_path / "kb.db"
    with open_store(db=str(db)) as s:
        s.apply(read_study(EXAMPLE))
        old = s.counts()
    # calibrate: how long the whole load takes here, on a scratch database
    start = time.monotonic()
    calib = subprocess.run([sys.executable, "-c", CRASH_LOADER, str(tmp_path / "scratch.db"), "150000"],
                           capture_output=True, text=True, timeout=300)
    assert calib.stdout.split() == ["writing", "done"], calib.stderr
    duration = time.monotonic() - start
    outcomes = []
    for fraction in (0.1, 0.3, 0.5, 0.7, 0.9):
        delay = duration * fraction
        child = subprocess.Popen([sys.executable, "-c", CRASH_LOADER, str(db), "150000"], stdout=subprocess.PIPE,
                                 text=True)
        assert child.stdout.readline().strip() == "writing"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        with open_store(db=str(db)) as s:
            counts = s.counts()
            assert passed(run_checks(s)), f"check failed after kill -9 at {delay}s"
            new_state = counts["nodes"]["Code"] == old["nodes"]["Code"] + 150000
            assert counts == old or new_state, f"a mix after kill -9 at {delay}s: {counts['nodes']}"
            outcomes.append("new" if new_state else "old")
            if new_state:
                s.drop_source("bulk:crash")
                assert s.counts() == old
    print(f"kill -9 outcomes: {outcomes}")


def test_embedded_work_opens_no_network_connection(tmp_path, connections):
    from themegraph.graph.open import open_store

    with open_store(db=str(tmp_path / "kb.db")) as s:
        s.apply(read_study(EXAMPLE))
        for name in catalog.catalog():
            catalog.run(s, name)
    assert connections == []
