"""One truth per thing (issue #13), through the commands a user types, on both stores.

Each test reproduces what a new user saw: the same citations counted twice when a paper and its
study were both loaded, a theory silently rewritten by another bundle, works dropped from real
reference-manager exports, and a store left mixed by a kill during the commit.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXAMPLE, ROOT, SHARED, shared_missing

SEED = SHARED / "seed" / "000_1beee7b64457cf5b.txt"


def tg(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "themegraph", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def ok(*args):
    done = tg(*args)
    assert done.returncode == 0, done.stderr
    return done


def stats(store_args) -> dict:
    return json.loads(ok(*store_args, "stats", "--format", "json").stdout)


def rows(store_args, *query_args) -> list[dict]:
    return json.loads(ok(*store_args, *query_args, "--format", "json").stdout)


@pytest.mark.skipif(shared_missing(), reason="needs the seed paper in shared/")
def test_a_study_its_references_and_its_paper_count_each_citation_once(store_args):
    ok(*store_args, "load", "study", str(EXAMPLE))
    once = stats(store_args)["relationships"]
    ok(*store_args, "load", "refs", str(EXAMPLE / "references.bib"))
    ok(*store_args, "load", "paper", str(SEED), "--study", "mandatory-therapy", "--refs", str(EXAMPLE / "references.bib"))
    after = stats(store_args)
    assert (after["relationships"]["CITES"], after["relationships"]["AUTHORED_BY"]) == (91, 98)
    assert after["relationships"] == once
    assert after["nodes"]["Work"] == 49
    cited = {r["work"]: r["occurrences"] for r in rows(store_args, "query", "run", "most-cited")}
    assert cited["Bordin (1979)"] == 12
    authors = {r["author"]: r for r in rows(store_args, "query", "run", "most-cited-authors")}
    assert (authors["Bordin, Edward S."]["occurrences"], authors["Bordin, Edward S."]["works"]) == (15, 2)
    assert tg(*store_args, "check").returncode == 0
    # every CITES edge is asserted by both the study bundle and the paper
    sources = rows(store_args, "cypher", "MATCH (:Study)-[r:CITES]->(:Work) RETURN r.sources AS s")
    assert {tuple(sorted(r["s"])) for r in sources} == {("paper:mandatory-therapy", "study:mandatory-therapy")}
    # dropping one source keeps what the other still asserts; dropping both leaves none
    ok(*store_args, "drop", "paper:mandatory-therapy")
    assert stats(store_args)["relationships"]["CITES"] == 91
    ok(*store_args, "drop", "study:mandatory-therapy")
    left = stats(store_args)
    assert (left["relationships"]["CITES"], left["relationships"]["AUTHORED_BY"], left["nodes"]["Work"]) == (0, 98, 49)
    assert tg(*store_args, "check").returncode == 0


def other_bundle(folder: Path, theory_name: str, link: str = "working-alliance/bonds") -> Path:
    """A second, small study whose theories.yaml names the example's theory id with other values
    and whose finding points at a construct only the example defines."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.yaml").write_text("id: other-study\ntitle: Another study of the alliance\n")
    (folder / "codebook.csv").write_text("code,description\nBonds first,Therapists speak of bonds\n")
    (folder / "theories.yaml").write_text(
        f"theories:\n  - id: working-alliance\n    name: {theory_name}\n    description: A different description.\n"
    )
    (folder / "findings.yaml").write_text(
        "findings:\n  - id: f1\n    title: Bonds matter\n    statement: Bonds mattered most.\n    links:\n"
        f"      - construct: {link}\n        stance: supports\n        evidence: Therapists spoke of bonds first.\n"
    )
    return folder


def theory(store_args) -> dict:
    found = rows(store_args, "cypher", "MATCH (t:Theory) WHERE t.id = 'theory/working-alliance' "
                 "RETURN t.name AS name, t.description AS description, t.sources AS sources")
    assert len(found) == 1
    return found[0]


def test_a_theory_another_bundle_names_differently_is_a_reported_conflict(store_args, tmp_path):
    ok(*store_args, "load", "study", str(EXAMPLE))
    original = theory(store_args)
    other = other_bundle(tmp_path / "other", "Working alliance (revised)")
    # --strict: an error naming both values and files, nothing written
    strict = tg(*store_args, "load", "study", str(other), "--strict")
    assert strict.returncode == 1
    assert "Error: 2 conflicting value(s) with --strict" in strict.stderr
    assert "study:other-study theories.yaml:2: Theory 'theory/working-alliance' name" in strict.stderr
    assert "(from study:mandatory-therapy theories.yaml:4)" in strict.stderr
    assert not any(s["source"] == "study:other-study" for s in rows(store_args, "sources"))
    # default: reported, the earlier value stays, and the finding links to the example's construct
    kept = ok(*store_args, "load", "study", str(other))
    assert kept.stderr.count("Warning: study:other-study theories.yaml:2: Theory 'theory/working-alliance'") == 2
    assert "the earlier value stays" in kept.stderr
    assert theory(store_args) == {**original, "sources": ["study:mandatory-therapy", "study:other-study"]}
    linked = rows(store_args, "cypher", "MATCH (f:Finding)-[:SUPPORTS]->(c:Construct) WHERE f.study = 'other-study' "
                  "RETURN c.id AS c")
    assert linked == [{"c": "theory/working-alliance/bonds"}]
    definers = {r["id"]: r["defined_by"] for r in rows(store_args, "sources", "--kind", "Theory")}
    assert definers["theory/working-alliance"] == "study:mandatory-therapy"
    # --prefer-new stores the new values, still saying so
    newer = ok(*store_args, "load", "study", str(other), "--force", "--prefer-new")
    assert "the new value is stored (--prefer-new)" in newer.stderr
    assert theory(store_args)["name"] == "Working alliance (revised)"
    assert tg(*store_args, "check").returncode == 0


def test_findings_may_point_at_theories_of_a_shared_file_but_not_at_unknown_ones(store_args, tmp_path):
    other = other_bundle(tmp_path / "other", "Working alliance")
    missing = tg(*store_args, "load", "study", str(other))  # the construct is nowhere yet
    assert missing.returncode == 1
    assert "refers to 1 Construct node(s) that do not exist: 'theory/working-alliance/bonds'" in missing.stderr
    assert tg(*store_args, "sources").stdout.count("study:") == 0
    shared = tmp_path / "alliance-theories.yaml"
    shared.write_text("theories:\n  - id: working-alliance\n    name: Working alliance\n"
                      "    constructs:\n      - id: bonds\n        name: Bonds\n")
    (other / "theories.yaml").unlink()
    ok(*store_args, "load", "study", str(other), "--theories", str(shared))
    loads = {s["source"] for s in rows(store_args, "sources")}
    assert loads == {"theories:alliance-theories.yaml", "study:other-study"}
    assert stats(store_args)["relationships"]["SUPPORTS"] == 1


def test_every_entry_of_a_messy_bibtex_export_becomes_a_work(store_args, tmp_path):
    bib = tmp_path / "export.bib"
    bib.write_text(
        "@string{jcp = \"J. Clin. Psych.\"}\n"
        "@article{,\n  author = {Smith, John},\n  title = {No key, EndNote style},\n  year = {2001}\n}\n"
        "@article{\n  author = {Doe, Jane},\n  title = {No key and no comma, Mendeley web page},\n  year = {2002}\n}\n"
        "@article{dup2000,\n  author = {Alpha, A.},\n  title = {First work},\n  year = {2000}\n}\n"
        "@article{dup2000,\n  author = {Beta, B.},\n  title = {Second work under the same key},\n  year = {2000}\n}\n"
        "@article{twice2003,\n  author = {Gamma, G.},\n  title = {Field twice},\n  title = {Field twice again},\n"
        "  year = {2003},\n  journal = jcp\n}\n"
        "@article{macro2004,\n  author = UNDEF # \" and Delta, D.\",\n  title = {Macro},\n  year = {2004}\n}\n"
    )
    loaded = ok(*store_args, "load", "refs", str(bib))
    assert stats(store_args)["nodes"]["Work"] == 6  # the six distinct works of the file
    assert "entry has no key; using 'doe-2002-no-key-no'" in loaded.stderr
    assert "key 'dup2000' repeats the entry at line 12, for another work: loaded as 'dup2000-2'" in loaded.stderr
    assert "entry 'twice2003' gives 'title' twice; the first value is kept" in loaded.stderr
    assert "entry 'macro2004' uses the undefined @string macro 'UNDEF' in author" in loaded.stderr
    names = rows(store_args, "cypher", "MATCH (a:Author) RETURN a.name AS name ORDER BY name")
    assert not any("#" in r["name"] for r in names)
    titles = rows(store_args, "cypher", "MATCH (w:Work) WHERE w.key = 'twice2003' RETURN w.title AS t, w.venue AS v")
    assert titles == [{"t": "Field twice", "v": "J. Clin. Psych."}]
    strict = tg(*store_args, "load", "refs", str(bib), "--strict", "--force")
    assert strict.returncode == 1 and "undefined @string macro" in strict.stderr


def test_demo_refuses_to_replace_a_knowledge_base_holding_other_studies(tmp_path):
    out = tmp_path / "demo"
    ok("demo", "--out", str(out))
    ok("--db", str(out / "themegraph.db"), "load", "refs", str(ROOT / "tests" / "data" / "refs" / "bom.ris"))
    refused = tg("demo", "--out", str(out))
    assert refused.returncode == 1
    assert "holds other sources (refs:bom.ris)" in refused.stderr and "--force" in refused.stderr
    assert any(s["source"] == "refs:bom.ris" for s in rows(["--db", str(out / "themegraph.db")], "sources"))
    ok("demo", "--out", str(out), "--force")
    assert not any(s["source"] == "refs:bom.ris" for s in rows(["--db", str(out / "themegraph.db")], "sources"))


# --- kills ----------------------------------------------------------------------------------------

KILLS = {"ladybug": 32, "neo4j": 8}


def test_a_kill_at_any_moment_leaves_the_old_state_or_the_new(store_kind, store_args, tmp_path):
    """SIGKILL and SIGTERM spread over a whole `load study` (commit included) on a knowledge base
    that already holds the works and authors the study shares: after each, a read-only command
    works at once, the counts are exactly the old ones or the new ones, and `check` passes."""
    embedded = store_kind == "ladybug"
    seed = tmp_path / "seed.db"
    base = ["--db", str(seed)] if embedded else store_args
    ok(*base, "load", "refs", str(EXAMPLE / "references.bib"))
    old = stats(base)

    def fresh(i: int) -> list[str]:
        """The store as it was before the load: a copy of the seeded file, or the server with the
        study dropped again."""
        if embedded:
            shutil.copyfile(seed, tmp_path / f"kill{i}.db")
            return ["--db", str(tmp_path / f"kill{i}.db")]
        if any(s["source"] == "study:mandatory-therapy" for s in rows(store_args, "sources")):
            ok(*store_args, "drop", "study:mandatory-therapy")
        return store_args

    probe = fresh(-1)
    started = time.monotonic()
    ok(*probe, "load", "study", str(EXAMPLE))
    duration = time.monotonic() - started + 0.5  # the sweep runs a little past the end
    new = stats(probe)
    assert new != old
    outcomes = []
    n = KILLS[store_kind]
    for i in range(n):
        sig = signal.SIGKILL if i % 2 == 0 else signal.SIGTERM
        at = duration * (0.05 + 0.95 * (i // 2) / (n // 2 - 1))
        target = fresh(i)
        assert stats(target) == old
        proc = subprocess.Popen([sys.executable, "-m", "themegraph", *target, "load", "study", str(EXAMPLE)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        time.sleep(at)
        proc.send_signal(sig)
        _, said = proc.communicate(timeout=120)
        after = tg(*target, "stats", "--format", "json")
        assert after.returncode == 0, f"kill {i} ({sig.name} at {at:.2f}s): a read failed: {after.stderr}"
        counts = json.loads(after.stdout)
        state = "old" if counts == old else "new" if counts == new else "MIXED"
        assert state != "MIXED", f"kill {i} ({sig.name} at {at:.2f}s) left a mixed store: {counts}"
        check = tg(*target, "check")
        assert check.returncode == 0, f"kill {i}: check failed: {check.stdout}"
        if proc.returncode == 128 + signal.SIGTERM:  # it heard the signal and says what it left
            assert ("nothing was written" if state == "old" else "had been written") in said, said
            assert "Traceback" not in said
        outcomes.append(state)
    print(f"{store_kind}: {n} kills: {outcomes.count('old')} left the old state, {outcomes.count('new')} the new")
    assert "old" in outcomes and "new" in outcomes  # the sweep spans the commit


HANGING_CLEANUP = """
import sys, time
from themegraph.cli import app, run

@app.command("hang")
def hang():
    try:
        print("ready", flush=True)
        time.sleep(600)
    finally:
        time.sleep(600)  # a cleanup that never ends: a driver waiting for a reply on a broken connection

sys.argv = ["themegraph", "hang"]
run()
"""


def test_a_stop_whose_cleanup_hangs_still_ends_and_says_what_it_left():
    """A TERM that lands inside the Neo4j driver's I/O left a load hanging past 120 s in a kill
    sweep: the stopped command now ends within STOP_GRACE seconds whatever its cleanup does."""
    from themegraph.cli import STOP_GRACE

    proc = subprocess.Popen([sys.executable, "-c", HANGING_CLEANUP], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout.readline().strip() == "ready"
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, said = proc.communicate(timeout=STOP_GRACE + 30)
    assert proc.returncode == 128 + signal.SIGTERM
    assert time.monotonic() - started >= STOP_GRACE - 1
    assert "Stopped: nothing was written" in said and "Traceback" not in said


#: ``themegraph`` with one fault put into the write, then the real entry point on the given
#: arguments.  ``during``: the write stops to wait and says "writing" (the test then presses
#: Ctrl-C: no guessing when the write is under way).  ``in-del``: Ctrl-C arrives while Python
#: runs a ``__del__``, which drops any exception raised there (Ladybug's ``QueryResult`` has
#: one; a clean-clone CI run saw a load go on, commit and exit 0 this way).  ``converted``:
#: Ctrl-C arrives inside a call into Ladybug, which hands it back as a ``RuntimeError``, as
#: pybind11 does with a Python exception raised in a callback ("Interrupted: 2 ... At:").
FAULTY_LOAD = """
import signal, sys, time
from themegraph import stopping
from themegraph.cli import run
from themegraph.graph import writer

fault, sys.argv = sys.argv[1], ["themegraph", *sys.argv[2:]]
write_batches = writer.write_batches


class Doomed:
    def __del__(self):
        signal.raise_signal(signal.SIGINT)


def faulty(ops, *args, **kwargs):
    if fault == "during":
        print("writing", flush=True)
        time.sleep(600)
    if fault == "in-del":
        Doomed()
    if fault == "converted":
        execute = ops.conn.execute

        def converted(*a, **k):
            ops.conn.execute = execute
            try:
                signal.raise_signal(signal.SIGINT)
            except stopping.Interrupted as exc:
                raise RuntimeError(f"Interrupted: {exc}") from None
        ops.conn.execute = converted
    return write_batches(ops, *args, **kwargs)


writer.write_batches = faulty
run()
"""


def faulty_load(fault: str, store_args: list[str], **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", FAULTY_LOAD, fault, *store_args, "load", "study", str(EXAMPLE)],
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, **popen)


def test_ctrl_c_during_a_load_says_nothing_was_written(store_args):
    ok(*store_args, "load", "refs", str(EXAMPLE / "references.bib"))
    before = stats(store_args)
    proc = faulty_load("during", store_args, stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGINT)
    _, said = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "Stopped: nothing was written; the knowledge base is as it was" in said
    assert "Traceback" not in said
    assert stats(store_args) == before


def swallowed_stop_is_still_a_stop(fault: str, store_args: list[str]) -> None:
    ok(*store_args, "load", "refs", str(EXAMPLE / "references.bib"))
    before = stats(store_args)
    proc = faulty_load(fault, store_args, stdout=subprocess.DEVNULL)
    _, said = proc.communicate(timeout=120)
    assert (proc.returncode, said.strip()) == (130, "Stopped: nothing was written; the knowledge base is as it was")
    assert stats(store_args) == before
    assert tg(*store_args, "check").returncode == 0


def test_a_ctrl_c_dropped_by_a_del_method_still_stops_the_load(store_args):
    swallowed_stop_is_still_a_stop("in-del", store_args)


def test_a_ctrl_c_that_ladybug_turns_into_an_error_still_reads_as_a_stop(tmp_path):
    swallowed_stop_is_still_a_stop("converted", ["--db", str(tmp_path / "kb.db")])


def test_a_dead_writers_log_does_not_block_readers(tmp_path):
    """A store whose last writer died with its log unapplied (as ThemeGraph before the swap could
    leave it) opens for reading at once: ThemeGraph applies the log first."""
    db = tmp_path / "kb.db"
    script = (
        "import os, ladybug\n"
        f"db = ladybug.Database({str(db)!r})\n"
        "c = ladybug.Connection(db)\n"
        "c.execute('CREATE NODE TABLE T(id STRING, PRIMARY KEY(id))')\n"
        "c.execute('CHECKPOINT')\n"
        "c.execute(\"CREATE (:T {id: 'a'})\")\n"
        "os._exit(0)\n"  # no checkpoint, no close: the log stays
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert Path(str(db) + ".wal").exists()
    done = tg("--db", str(db), "cypher", "MATCH (t:T) RETURN t.id AS id", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"id": "a"}]


def test_check_finds_a_fact_stored_twice_and_two_works_with_one_doi(store):
    from themegraph.graph.batch import Batch

    batch = Batch("refs:two", loader="refs")
    for id_, doi in (("work/a-2001", "10.1/a"), ("work/b-2002", "10.1/b")):
        batch.node("Work", id_, name=id_, doi=doi)
        batch.node("Author", f"author/{id_[5]}", name=id_[5])
        batch.rel("AUTHORED_BY", ("Work", id_), ("Author", f"author/{id_[5]}"), position=1)
    store.apply(batch)
    clean = {r["check"]: r["status"] for r in _checks(store)}
    assert clean["one relation per fact"] == "ok" and clean["one work per DOI"] == "ok"
    _raw_write(store, "MATCH (w:Work) SET w.doi = '10.1/same'")
    _raw_write(store, "MATCH (w:Work)-[r:AUTHORED_BY]->(a:Author) WHERE w.id = 'work/a-2001' "
                      "CREATE (w)-[:AUTHORED_BY {kind: 'AUTHORED_BY', sources: r.sources, fact: r.fact}]->(a)")
    found = {r["check"]: (r["status"], r["count"]) for r in _checks(store)}
    assert found["one relation per fact"] == ("FAIL", 1)
    assert found["one work per DOI"] == ("FAIL", 1)


def _checks(store):
    from themegraph.graph.check import run_checks

    return run_checks(store)


def _raw_write(store, cypher: str) -> None:
    """A write that bypasses ThemeGraph (as a hand-edit or another tool would), to test `check`."""
    if store.name == "neo4j":
        with store.driver.session(database=store.database) as session:
            session.run(cypher).consume()
    else:
        import ladybug

        ladybug.Connection(store.db).execute(cypher)


@pytest.fixture(autouse=True)
def _no_user_neo4j(monkeypatch):
    """These tests run the CLI: it must never see a user's NEO4J_URI."""
    monkeypatch.delenv("NEO4J_URI", raising=False)
    yield
    assert "NEO4J_URI" not in os.environ


def test_a_knowledge_base_made_by_an_older_themegraph_is_upgraded_in_place(tmp_path):
    """Relations with one `source` (before issue #13) and a Source table without `digest`: any
    command reads it, and the next load merges with what it holds."""
    from themegraph.graph.schema import NODE_KINDS

    db = tmp_path / "old.db"
    cols = lambda kind, drop=(): ", ".join(f"{p.name} {p.type}" for p in NODE_KINDS[kind].columns if p.name not in drop)  # noqa: E731
    script = "\n".join([
        "import ladybug",
        f"db = ladybug.Database({str(db)!r}); c = ladybug.Connection(db)",
        f"c.execute('CREATE NODE TABLE Work({cols('Work')}, PRIMARY KEY(id))')",
        f"c.execute('CREATE NODE TABLE Author({cols('Author')}, PRIMARY KEY(id))')",
        f"c.execute('CREATE NODE TABLE Source({cols('Source', ('digest',))}, PRIMARY KEY(id))')",
        "c.execute('CREATE REL TABLE AUTHORED_BY(FROM Work TO Author, kind STRING, position INT64, source STRING, "
        "origin STRING, loaded_at STRING)')",
        "c.execute(\"CREATE (:Work {id: 'work/bordin-1979-generalizability-psychoanalytic-concept', name: 'Bordin (1979)', "
        "sources: ['refs:old.bib'], year: '1979'})-[:AUTHORED_BY {kind: 'AUTHORED_BY', position: 1, "
        "source: 'refs:old.bib'}]->(:Author {id: 'author/bordin-es', name: 'Bordin, E. S.', sources: ['refs:old.bib']})\")",
        "c.execute(\"CREATE (:Source {id: 'refs:old.bib', name: 'refs:old.bib', loader: 'refs', "
        "counts: '{\\\"AUTHORED_BY\\\": 1, \\\"Author\\\": 1, \\\"Work\\\": 1}'})\")",
        "db.close()",
    ])
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    args = ["--db", str(db)]
    assert stats(args)["relationships"]["AUTHORED_BY"] == 1
    ok(*args, "load", "refs", str(EXAMPLE / "references.bib"))
    after = stats(args)
    assert (after["relationships"]["AUTHORED_BY"], after["nodes"]["Work"]) == (98, 49)
    bordin = rows(args, "cypher", "MATCH (:Work)-[r:AUTHORED_BY]->(a:Author) WHERE a.id = 'author/bordin-es' "
                  "AND r.position = 1 RETURN r.sources AS s, r.fact AS f")
    assert {tuple(sorted(r["s"])) for r in bordin} >= {("refs:old.bib", "refs:references.bib")}
    assert tg(*args, "check").returncode == 0
