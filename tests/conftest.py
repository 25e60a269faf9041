"""Shared fixtures: one test body runs against both stores.

The embedded store always runs.  The Neo4j store runs when THEMEGRAPH_TEST_NEO4J_URI is set
(``make neo4j`` starts a local server; ``.ci/run`` sets it); under CI=true a missing one is a
failure, never a skip.  NEO4J_URI, a user's own server, is never used by the tests.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "mandatory-therapy"


def _find_shared() -> Path:
    """The read-only shared data (seed paper, REFI-QDA standard, real exports): THEMEGRAPH_SHARED,
    else ``shared/`` beside this checkout, else beside the repository it was cloned from (a clone
    in a temporary directory, as CI makes)."""
    candidates = [os.environ.get("THEMEGRAPH_SHARED"), ROOT.parent / "shared"]
    origin = subprocess.run(
        ["git", "-C", str(ROOT), "config", "--get", "remote.origin.url"], capture_output=True, text=True
    ).stdout.strip()
    if origin and "://" not in origin and Path(origin).is_dir():
        candidates.append(Path(origin).resolve().parent / "shared")
    return next((Path(c) for c in candidates if c and Path(c).is_dir()), ROOT.parent / "shared")


SHARED = _find_shared()


def shared_missing() -> bool:
    """For skipif: the shared data is absent here.  Never under CI, where such a test must run
    (and fail, naming the missing file) rather than be skipped."""
    return not SHARED.is_dir() and os.environ.get("CI", "").lower() != "true"


#: Marks a Neo4j database as the tests' own; they refuse to wipe one without it that holds nodes.
TEST_MARK = "_ThemeGraphTestDatabase"
_checked: set[str] = set()


def neo4j_uri() -> str | None:
    """The Neo4j to test against, or a skip (locally) / failure (CI) explaining why there is none.

    Only ``THEMEGRAPH_TEST_NEO4J_URI`` names it, never ``NEO4J_URI``: the tests empty the database
    they use, and a user's own server must never be one of them by accident."""
    uri = os.environ.get("THEMEGRAPH_TEST_NEO4J_URI")
    if uri:
        _hold_server(uri)
        _refuse_foreign(uri)
        return uri
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true but THEMEGRAPH_TEST_NEO4J_URI is not set: the Neo4j tests must run in CI (see .ci/run)")
    pytest.skip("THEMEGRAPH_TEST_NEO4J_URI not set; run `make neo4j` and export it to include the Neo4j store")


_held: list = []


def _hold_server(uri: str) -> None:
    """Hold the test server for this test alone (released after it: ``_release_server``).

    Every Neo4j test empties the one database it shares with any other test run on this machine;
    two runs at once (two engineers, or a run beside a bench) would wipe each other's data mid-test.
    An exclusive lock on a file named after the server makes them take turns, test by test."""
    if _held:
        return
    lock = open(Path(tempfile.gettempdir()) / f"themegraph-test-neo4j-{hashlib.sha1(uri.encode()).hexdigest()[:12]}.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    _held.append(lock)


@pytest.fixture(autouse=True)
def _release_server():
    yield
    while _held:
        _held.pop().close()  # closing the file releases its lock


def _refuse_foreign(uri: str) -> None:
    """Stop before touching a database that holds nodes these tests did not create."""
    if uri in _checked:
        return
    from themegraph.graph.open import open_store

    with open_store(neo4j=uri) as store, store.driver.session(database=store.database) as session:
        ours = session.run(f"MATCH (m:{TEST_MARK}) RETURN count(m) AS n").single()["n"]
        held = session.run("MATCH (n) RETURN count(n) AS n").single()["n"]
        if held and not ours:
            pytest.exit(f"refusing to run the Neo4j tests on {uri}: it holds {held} nodes the tests did not create "
                        "(give THEMEGRAPH_TEST_NEO4J_URI a database of their own)", returncode=2)
        session.run(f"MERGE (:{TEST_MARK})").consume()
    _checked.add(uri)


def wipe_neo4j(store) -> None:
    """Empty the test database (the tests own it: see ``_refuse_foreign``) so every test starts
    from nothing but the mark that says it is theirs."""
    with store.driver.session(database=store.database) as session:
        # relations first: a batch of nodes with all their relations can outgrow transaction memory
        session.run("MATCH ()-[r]->() CALL { WITH r DELETE r } IN TRANSACTIONS OF 10000 ROWS").consume()
        session.run(f"MATCH (n) WHERE NOT n:{TEST_MARK} CALL {{ WITH n DELETE n }} IN TRANSACTIONS OF 10000 ROWS").consume()


@pytest.fixture(params=["ladybug", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store_kind(request):
    return request.param


@pytest.fixture
def store_factory(store_kind, tmp_path):
    """Open (and later close) stores of the parametrised kind; all on the same database."""
    from themegraph.graph.open import open_store

    opened = []
    uri = neo4j_uri() if store_kind == "neo4j" else None

    def make():
        if uri:
            s = open_store(neo4j=uri)
        else:
            s = open_store(db=str(tmp_path / "kb.db"))
        opened.append(s)
        return s

    if uri:
        first = make()
        wipe_neo4j(first)
    yield make
    for s in opened:
        s.close()


@pytest.fixture
def store(store_factory):
    return store_factory()


@pytest.fixture
def store_args(store_kind, tmp_path):
    """CLI global options that point at the parametrised store (wiped for Neo4j)."""
    if store_kind == "neo4j":
        uri = neo4j_uri()
        from themegraph.graph.open import open_store

        with open_store(neo4j=uri) as s:
            wipe_neo4j(s)
        return ["--neo4j", uri]
    return ["--db", str(tmp_path / "kb.db")]


@pytest.fixture
def connections(monkeypatch):
    """Every address a socket tries to connect to while the test runs."""
    import socket

    attempts = []
    real_connect = socket.socket.connect

    def spy(self, address):
        attempts.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    return attempts
