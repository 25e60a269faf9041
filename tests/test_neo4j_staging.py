"""Neo4j loads too big for one transaction are staged, then published: never seen half-written.

These run on Neo4j only (the embedded store writes any load in one transaction).  Staging is
forced with ``THEMEGRAPH_NEO4J_STAGE_ROWS=0`` and small UNWIND batches, so the example-sized
graphs below take dozens of staging transactions.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time

import pytest
from conftest import EXAMPLE, ROOT, neo4j_uri, wipe_neo4j
from minigraph import literature_batch, study_batch

from themegraph.errors import StoreError
from themegraph.exports.transfer import dump
from themegraph.graph import neo4j_ops, neo4j_staging
from themegraph.graph.batch import Batch
from themegraph.graph.check import passed, run_checks
from themegraph.graph.schema import STAGED, STAGING_RUN
from themegraph.loaders.study import read_study
from themegraph.queries import catalog
from themegraph.queries.params import CatalogError

pytestmark = pytest.mark.neo4j


@pytest.fixture
def neo():
    from themegraph.graph.open import open_store

    store = open_store(neo4j=neo4j_uri())
    wipe_neo4j(store)
    yield store
    store.close()


@pytest.fixture
def staged(monkeypatch):
    """Every load staged, in UNWIND batches of 7 rows."""
    monkeypatch.setenv("THEMEGRAPH_NEO4J_STAGE_ROWS", "0")
    monkeypatch.setattr(neo4j_ops, "BATCH_ROWS", 7)


def edited_s1():
    b = study_batch("s1", codes=2)
    b.node("Code", "s1/code/new", name="New code", study="s1")
    b.rel("IN_STUDY", ("Code", "s1/code/new"), ("Study", "s1"))
    b.rel("IN_THEME", ("Code", "s1/code/new"), ("Theme", "s1/theme/emerging"))
    return b


def refs(source: str, *works: str) -> Batch:
    """A reference list: each work with one author."""
    b = Batch(source, path=f"{source}.bib", loader="test")
    for w in works:
        b.node("Work", f"work/{w}", name=w.title(), year="2001")
        b.node("Author", f"author/{w}", name=f"Author of {w}")
        b.rel("AUTHORED_BY", ("Work", f"work/{w}"), ("Author", f"author/{w}"), position=1)
    return b


def history(store) -> list:
    """A sequence of loads: first loads, a shared literature, an edited re-load, two at once,
    and a work passing from one reference list to another in one load."""
    store.apply(literature_batch())
    store.apply(study_batch("s1", codes=4))
    store.apply(read_study(EXAMPLE))
    store.apply(edited_s1())
    store.apply_many([study_batch("s1", codes=3), study_batch("s2", codes=5)])
    store.apply(refs("refs:a", "alpha", "beta"))
    store.apply_many([refs("refs:a", "alpha"), refs("refs:b", "beta", "gamma")])
    return without_times(dump(store))


def without_times(state):
    nodes, rels = state
    strip = lambda rows: [{k: v for k, v in r.items() if k != "loaded_at"} for r in rows]  # noqa: E731
    return {k: strip(v) for k, v in nodes.items()}, {k: strip(v) for k, v in rels.items()}


def leftovers(store) -> int:
    """Staged nodes, run records, and published nodes still marked with a run."""
    return store.query(
        f"MATCH (n) WHERE n:{STAGED} OR n:{STAGING_RUN} OR n._run IS NOT NULL RETURN count(n) AS c"
    )[0]["c"]


# parameters that reach into the example, so a staged example would show if it were visible
PARAMS = {"path": {"from": "PB", "to": "Bonds"}, "quote-search": {"words": "trust"},
          "citation-context": {"work": "Bordin"}}


def answers(store) -> dict:
    """Every named query's rows, or its refusal (a node parameter naming no node is an error)."""
    out = {}
    for name in sorted(catalog.catalog()):
        try:
            out[name] = catalog.run(store, name, PARAMS.get(name, {}))
        except CatalogError as exc:
            out[name] = f"refused: {exc}"
    return out


def test_a_staged_load_writes_what_one_transaction_writes(neo, monkeypatch):
    one_tx = history(neo)
    wipe_neo4j(neo)
    monkeypatch.setenv("THEMEGRAPH_NEO4J_STAGE_ROWS", "0")
    monkeypatch.setattr(neo4j_ops, "BATCH_ROWS", 7)
    assert history(neo) == one_tx
    assert leftovers(neo) == 0
    assert passed(run_checks(neo))


def test_no_query_sees_a_staged_load_before_it_is_published(neo, staged, monkeypatch):
    from themegraph.graph.open import open_store

    neo.apply(literature_batch())
    neo.apply(study_batch("s1", codes=4))
    before_answers, before_counts = answers(neo), neo.counts()
    seen = {}
    publish = neo4j_staging.StagedOps.publish

    def look_first(self, tx):
        with open_store(neo4j=neo4j_uri()) as reader:  # another client, mid-load
            seen["staged"] = reader.query(f"MATCH (n:{STAGED}) RETURN count(n) AS c")[0]["c"]
            seen["answers"], seen["counts"] = answers(reader), reader.counts()
            seen["check"] = run_checks(reader)
        return publish(self, tx)

    monkeypatch.setattr(neo4j_staging.StagedOps, "publish", look_first)
    neo.apply_many([read_study(EXAMPLE), edited_s1()])
    assert seen["staged"] > 400, "the example should be staged before publishing"
    assert seen["answers"] == before_answers
    assert seen["counts"] == before_counts
    assert passed(seen["check"])
    assert neo.counts() != before_counts and answers(neo) != before_answers  # and then it is published


def test_a_fault_at_every_staging_step_leaves_the_store_as_it_was(neo, staged, monkeypatch):
    neo.apply(literature_batch())
    neo.apply(study_batch("s1", codes=4))
    before = dump(neo)
    real_stage, real_publish = neo4j_staging.StagedOps._stage, neo4j_staging.StagedOps.publish
    steps: list = []
    fault = {"stage": None, "publish": False}

    def stage(self, *args, **kwargs):
        steps.append(1)
        if len(steps) == fault["stage"]:
            raise ConnectionResetError(f"fault injected at staging transaction {len(steps)}")
        return real_stage(self, *args, **kwargs)

    def publish(self, tx):
        real_publish(self, tx)  # everything written, then the commit fails
        if fault["publish"]:
            raise ConnectionResetError("fault injected at publish")

    monkeypatch.setattr(neo4j_staging.StagedOps, "_stage", stage)
    monkeypatch.setattr(neo4j_staging.StagedOps, "publish", publish)
    load = [edited_s1(), study_batch("s2", codes=6)]
    fault["publish"] = True
    with pytest.raises(ConnectionResetError):
        neo.apply_many(load)
    total = len(steps)
    assert total > 15, "the load should take many staging transactions"
    assert dump(neo) == before and leftovers(neo) == 0
    fault["publish"] = False
    for step in range(1, total + 1):
        steps.clear()
        fault["stage"] = step
        with pytest.raises(ConnectionResetError):
            neo.apply_many(load)
        assert dump(neo) == before, f"state changed after a fault at staging transaction {step}"
        assert leftovers(neo) == 0, f"staged rows left after a fault at staging transaction {step}"
    fault["stage"] = None
    neo.apply_many(load)
    assert neo.counts()["nodes"]["Code"] == 3 + 6
    print(f"neo4j staging: {total + 1} injected faults survived")


CRASH_LOADER = """
import sys
sys.path.insert(0, {root!r})
from bench.corpus import build
from themegraph.graph.open import open_store
store = open_store(neo4j={uri!r})
print("writing", flush=True)
store.apply_many(build("XS").batches)
print("done", flush=True)
"""


@pytest.mark.slow
def test_a_killed_staged_load_is_invisible_reported_and_then_removed(neo, monkeypatch):
    neo.apply(read_study(EXAMPLE))
    before_answers, before_counts = answers(neo), neo.counts()
    code = CRASH_LOADER.format(root=str(ROOT), uri=neo4j_uri())
    env = {**__import__("os").environ, "THEMEGRAPH_NEO4J_STAGE_ROWS": "0"}
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout.readline().strip() == "writing"
    deadline = time.monotonic() + 120
    while leftovers(neo) < 5000 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert leftovers(neo) >= 5000, "the load should have been killed while staging"
    assert neo.counts() == before_counts and answers(neo) == before_answers
    results = {r["check"]: r for r in run_checks(neo)}
    assert passed(results.values())
    assert results["unfinished loads"]["status"] == "warn" and results["unfinished loads"]["count"] == 1

    monkeypatch.setenv("THEMEGRAPH_NEO4J_STAGE_ROWS", "0")
    monkeypatch.setattr(neo4j_staging, "STALE_SECONDS", 0)  # the killed run is stale at once
    neo.apply_many([literature_batch(), study_batch("s9")])
    assert leftovers(neo) == 0
    assert {r["check"]: r["status"] for r in run_checks(neo)}["unfinished loads"] == "ok"
    assert neo.counts()["nodes"]["Study"] == before_counts["nodes"]["Study"] + 1


def test_a_missing_endpoint_is_named_as_in_one_transaction(neo, staged):
    neo.apply(literature_batch())
    bad = study_batch("s1")
    bad.rel("CITES", ("Study", "s1"), ("Work", "work/nowhere"))
    with pytest.raises(StoreError, match="1 Work node.*'work/nowhere'.*nothing was written"):
        neo.apply(bad)
    assert leftovers(neo) == 0 and neo.counts()["nodes"]["Study"] == 0


def test_a_staging_run_removed_by_another_process_fails_cleanly(neo, staged, monkeypatch):
    """A run idle past the stale limit may be cleaned by another loader: it must then fail, not publish half."""
    real_stage, calls = neo4j_staging.StagedOps._stage, []

    def meddle(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            neo4j_staging.discard(self.driver, self.database, self.run)
        return real_stage(self, *args, **kwargs)

    monkeypatch.setattr(neo4j_staging.StagedOps, "_stage", meddle)
    with pytest.raises(StoreError, match="removed by another process"):
        neo.apply(study_batch("s1"))
    assert leftovers(neo) == 0 and neo.counts()["nodes"]["Study"] == 0


def test_a_load_the_server_finds_too_big_is_staged_not_retried(neo, monkeypatch, caplog):
    """Out of transaction memory in one transaction: staged at once (the driver would retry for a minute)."""
    from neo4j.exceptions import Neo4jError

    real_insert, attempts = neo4j_ops.Ops.insert_rels, []

    def out_of_memory(self, *args, **kwargs):
        attempts.append(1)
        raise Neo4jError._hydrate_neo4j(code="Neo.TransientError.General.MemoryPoolOutOfMemoryError",
                                        message="The allocation of an extra 2.0 MiB would use more than the limit")

    monkeypatch.setattr(neo4j_ops.Ops, "insert_rels", out_of_memory)
    caplog.set_level(logging.INFO, logger="themegraph")
    started = time.monotonic()
    neo.apply(read_study(EXAMPLE))
    assert attempts == [1] and time.monotonic() - started < 30
    assert "too many for one transaction" in caplog.text
    monkeypatch.setattr(neo4j_ops.Ops, "insert_rels", real_insert)
    assert leftovers(neo) == 0 and passed(run_checks(neo))
    assert neo.counts()["relationships"]["CITES"] == 91


def test_a_run_removed_just_before_publishing_publishes_nothing(neo, staged, monkeypatch):
    publish = neo4j_staging.StagedOps.publish

    def removed_first(self, tx):
        neo4j_staging.discard(self.driver, self.database, self.run)  # another loader judged it stale
        return publish(self, tx)

    monkeypatch.setattr(neo4j_staging.StagedOps, "publish", removed_first)
    with pytest.raises(StoreError, match="removed by another process"):
        neo.apply(read_study(EXAMPLE))
    assert leftovers(neo) == 0 and sum(neo.counts()["nodes"].values()) == 0


def test_bookkeeping_cut_short_after_publishing_keeps_the_load_and_is_finished_later(neo, staged, monkeypatch, caplog):
    def cut_short(self):
        raise ConnectionResetError("lost the server after publishing")

    monkeypatch.setattr(neo4j_staging.StagedOps, "forget_run", cut_short)
    neo.apply(read_study(EXAMPLE))
    assert "the load is published" in caplog.text
    assert neo.counts()["relationships"]["CITES"] == 91
    assert leftovers(neo) > 400  # published nodes still carry the run id, and the run its record
    assert "_run" not in neo.query("MATCH (c:Code) RETURN c LIMIT 1")[0]["c"]  # never shown
    monkeypatch.undo()
    monkeypatch.setenv("THEMEGRAPH_NEO4J_STAGE_ROWS", "0")
    monkeypatch.setattr(neo4j_staging, "STALE_SECONDS", 0)
    neo.apply_many([literature_batch(), study_batch("s9", codes=2)])
    assert leftovers(neo) == 0 and neo.counts()["relationships"]["CITES"] == 91 + 1
