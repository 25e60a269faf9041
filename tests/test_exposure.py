"""Exposure: Neo4j published on loopback only, no default password, no stray connections."""

import os
import shutil
import subprocess
from urllib.parse import urlparse

import pytest
import yaml
from conftest import EXAMPLE, ROOT, neo4j_uri


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_publishes_on_loopback_only_and_needs_a_password():
    service = compose()["services"]["neo4j"]
    assert service["ports"] and all(str(p).startswith("127.0.0.1:") for p in service["ports"])
    auth = service["environment"]["NEO4J_AUTH"]
    assert "${NEO4J_PASSWORD:?" in auth  # compose refuses to start without it: no default password
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    assert "NEO4J_PASSWORD=\n" in (ROOT / ".env.example").read_text()


def compose_command() -> list[str] | None:
    """`docker compose` (the plugin) or `docker-compose` (Debian's package, which .ci/run installs)."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


@pytest.mark.skipif(compose_command() is None, reason="neither `docker compose` nor `docker-compose` is installed")
def test_docker_compose_config_validates(tmp_path):
    command = compose_command() + ["config"]
    target = tmp_path / "compose"
    target.mkdir()
    shutil.copy(ROOT / "docker-compose.yml", target / "docker-compose.yml")
    env = {k: v for k, v in os.environ.items() if k != "NEO4J_PASSWORD"}
    refused = subprocess.run(command, cwd=target, capture_output=True, text=True, env=env)
    assert refused.returncode != 0 and "NEO4J_PASSWORD" in refused.stderr
    (target / ".env").write_text("NEO4J_PASSWORD=only-for-this-test\n")
    ok = subprocess.run(command, cwd=target, capture_output=True, text=True, env=env)
    assert ok.returncode == 0, ok.stderr
    assert "127.0.0.1" in ok.stdout


@pytest.mark.neo4j
def test_neo4j_work_connects_only_to_the_configured_server(connections):
    uri = neo4j_uri()
    host, port = urlparse(uri).hostname, urlparse(uri).port or 7687
    from themegraph.graph.open import open_store
    from themegraph.loaders.study import read_study
    from themegraph.queries import catalog

    with open_store(neo4j=uri) as store:
        store.apply(read_study(EXAMPLE), force=True)
        catalog.run(store, "theory-links")
    assert connections and all(a[1] == port and a[0] in (host, "127.0.0.1", "::1") for a in connections), connections
