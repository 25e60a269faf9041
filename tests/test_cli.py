"""The command line as a user types it: output formats, exit codes, errors on stderr."""

import json
import subprocess
import sys

import pytest
from typer.main import get_command

from minigraph import literature_batch, study_batch
from themegraph.cli import app
from themegraph.graph.schema import NODES, RELS


def tg(*args, check=True):
    """Run the installed console entry point in a subprocess (real exit codes and streams)."""
    proc = subprocess.run([sys.executable, "-m", "themegraph", *args], capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\nstdout:{proc.stdout}\nstderr:{proc.stderr}")
    return proc


@pytest.fixture
def loaded(store_args, store_factory):
    """The store the CLI args point at, holding the mini graph."""
    with store_factory() as store:
        store.apply(literature_batch())
        store.apply(study_batch())
    return store_args


def test_stats_json_lists_every_kind_with_counts(loaded):
    data = json.loads(tg(*loaded, "stats", "--format", "json").stdout)
    assert set(data["nodes"]) == {k.name for k in NODES}
    assert set(data["relationships"]) == {r.name for r in RELS}
    assert data["nodes"]["Code"] == 4 and data["relationships"]["IN_THEME"] == 4 and data["nodes"]["Memo"] == 0


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown", "table"])
def test_cypher_prints_rows_in_every_format(loaded, fmt):
    out = tg(*loaded, "cypher", "MATCH (c:Construct) WHERE c.name <> $skip RETURN c.name AS name ORDER BY name",
             "-p", "skip=Tasks", "--format", fmt).stdout
    if fmt == "json":
        assert json.loads(out) == [{"name": "Bonds"}, {"name": "Goals"}]
    elif fmt == "csv":
        assert out.splitlines() == ["name", "Bonds", "Goals"]
    elif fmt == "markdown":
        assert out.splitlines()[0] == "| name |" and "| Goals |" in out
    else:
        assert "Bonds" in out and "Goals" in out and "Tasks" not in out


def test_cypher_typed_params_and_errors(loaded):
    out = tg(*loaded, "cypher", "MATCH (s:Study) WHERE s.year = $y RETURN s.id AS id", "-p", "y=2016", "-f", "json")
    assert json.loads(out.stdout) == [{"id": "s1"}]
    bad = tg(*loaded, "cypher", "MATCH (n:Code RETURN n", check=False)
    assert bad.returncode == 1 and bad.stderr.startswith("Error: ") and "Traceback" not in bad.stderr
    assert bad.stdout == ""


def test_csv_output_neutralises_formulas(loaded):
    out = tg(*loaded, "cypher", "RETURN $v AS v", "-p", "v==HYPERLINK(\"http://x\")", "-f", "csv").stdout
    assert out.splitlines()[1].startswith("\"'=HYPERLINK")


def test_usage_errors_exit_2(tmp_path):
    assert tg("--db", str(tmp_path / "x.db"), "stats", "--format", "yaml", check=False).returncode == 2
    assert tg("no-such-command", check=False).returncode == 2
    assert tg("--db", str(tmp_path / "x.db"), "cypher", "RETURN 1", "-p", "novalue", check=False).returncode == 2


def test_missing_database_is_a_clear_error(tmp_path):
    proc = tg("--db", str(tmp_path / "none.db"), "stats", check=False)
    assert proc.returncode == 1 and "no knowledge base" in proc.stderr


def test_every_command_has_help_text():
    def walk(cmd, path):
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, path + [name])

    for path, cmd in walk(get_command(app), []):
        assert (cmd.help or "").strip(), f"`themegraph {' '.join(path)}` has no help text"


def test_demo_builds_the_example_and_its_maps(tmp_path):
    out = tmp_path / "demo"
    proc = tg("demo", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in out.glob("*.html")} == {"themes.html", "theory.html", "citations.html", "participants.html"}
    assert "Try next" in proc.stderr and proc.stdout == ""
    data = json.loads(tg("--db", str(out / "themegraph.db"), "stats", "-f", "json").stdout)
    assert data["nodes"]["Code"] == 232 and data["relationships"]["CITES"] == 91
    assert tg("demo", "--out", str(out)).returncode == 0  # a second demo starts afresh
