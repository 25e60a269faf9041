"""The command line as a user types it: output formats, exit codes, errors on stderr."""

import json
import subprocess
import sys

import pytest
from minigraph import literature_batch, study_batch
from typer.main import get_command

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


def test_stats_counts_what_a_count_query_per_kind_counts(store_factory):
    """The embedded store counts in a few queries (node sizes, relations grouped by type): the same
    numbers as one count query per kind and relation type, on the worked example."""
    from conftest import EXAMPLE

    from themegraph.graph.store import Store
    from themegraph.loaders.study import read_study

    with store_factory() as store:
        store.apply(read_study(EXAMPLE))
        per_kind = Store.counts(store)
        assert store.counts() == per_kind
    assert sum(per_kind["nodes"].values()) == 485 and per_kind["relationships"]["IN_STUDY"] == 336


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


# --- a researcher's session without sharp edges (issue #19) -----------------------------------


def test_query_values_are_read_as_their_declared_type(loaded):
    def rows(*params):
        args = [a for p in params for a in ("-p", p)]
        return json.loads(tg(*loaded, "query", "run", "quote-search", *args, "-f", "json").stdout)

    assert len(rows("words=quote,pa")) == 4  # commas separate list values
    assert [r["extract"] for r in rows("words=quote", "words=0")] == ["E0"]  # and so does repeating -p
    assert rows("words=1979") == []  # a number is a word like any other
    found = json.loads(tg(*loaded, "query", "run", "theory-links", "-p", "stance=CHALLENGES", "-f", "json").stdout)
    assert [(r["finding"], r["stance"], r["target"]) for r in found] == [("F1", "challenges", "Bonds")]
    bad = tg(*loaded, "query", "run", "theory-links", "-p", "stance=likes", check=False)
    assert bad.returncode == 1 and bad.stderr == (
        "Error: parameter 'stance' must be one of supports, extends, challenges (or empty for all); got 'likes'\n"
    )


def test_path_to_an_unknown_name_is_an_error_with_suggestions(loaded):
    proc = tg(*loaded, "query", "run", "path", "-p", "from=PA", "-p", "to=Bondz", check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == "Error: parameter 'to': no node has the id or name 'Bondz'; did you mean: 'Bonds'?\n"
    found = json.loads(tg(*loaded, "query", "run", "path", "-p", "from=PA", "-p", "to=Bonds", "-f", "json").stdout)
    # E0 illustrates Emerging, which sits under Final, which F1 derives from
    assert {tuple(r["kinds"]) for r in found} == {("Participant", "Extract", "Theme", "Theme", "Finding", "Construct")}


def test_an_empty_answer_says_why_on_stderr(loaded):
    proc = tg(*loaded, "query", "run", "theory-links", "-p", "theory=zzz", "-f", "csv")
    assert proc.stdout == "study,finding,stance,target_kind,target,theory,evidence\n"
    assert proc.stderr == 'no rows: nothing matches theory="zzz"\n'


def test_files_go_into_folders_that_do_not_exist_yet(loaded, tmp_path):
    out = tmp_path / "new" / "deeper" / "cited.csv"
    tg(*loaded, "query", "run", "most-cited", "--out", str(out))
    assert out.read_text(encoding="utf-8").splitlines() == ["work,year,occurrences,studies,sections", "Bordin (1979),1979,1,1,Intro"]
    page = tmp_path / "maps" / "themes.html"
    assert tg(*loaded, "map", "themes", "--out", str(page)).stderr == f"wrote {page}\n"
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    figure = tmp_path / "figures" / "theory.png"
    tg(*loaded, "map", "theory", "--format", "png", "--out", str(figure))
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    graphml = tmp_path / "exports" / "kb.graphml"
    tg(*loaded, "export", "graphml", str(graphml))
    assert graphml.read_text(encoding="utf-8").startswith("<?xml")
    qdc = tmp_path / "refi" / "codebook.qdc"
    tg(*loaded, "export", "qdc", str(qdc), "--study", "s1")
    assert "<CodeBook" in qdc.read_text(encoding="utf-8")
    bad = tg(*loaded, "query", "run", "most-cited", "--out", str(tmp_path / "x.pdf"), check=False)
    assert bad.returncode == 1 and "use .csv, .json, .md, .txt or .xlsx" in bad.stderr and "Traceback" not in bad.stderr


def test_an_empty_map_is_an_error_that_says_why(loaded, store_factory, tmp_path):
    from themegraph.graph.batch import Batch

    bare = Batch("study:bare", loader="test")
    bare.node("Study", "bare", name="Bare")
    with store_factory() as store:
        store.apply(bare)
    out = tmp_path / "cites.html"
    proc = tg(*loaded, "map", "citations", "--study", "bare", "--out", str(out), check=False)
    assert proc.returncode == 1 and not out.exists()
    assert proc.stderr == (
        "Error: the citations map is empty: study 'bare' has no citations (CITES: load the study's paper "
        "with `themegraph load paper`); nothing written\n"
    )


def test_cypher_written_for_neo4j_says_what_to_write_on_the_embedded_store(tmp_path):
    from themegraph.graph.open import open_store

    with open_store(db=str(tmp_path / "kb.db")) as store:
        store.apply(literature_batch())
    proc = tg("--db", str(tmp_path / "kb.db"), "cypher", "MATCH ()-[r]->() RETURN type(r) AS t", check=False)
    assert proc.returncode == 1
    assert proc.stderr.endswith(
        "; the embedded store has no type(r): write label(r), or r.kind, which works on both stores\n"
    )
    kinds = tg("--db", str(tmp_path / "kb.db"), "cypher", "MATCH ()-[r]->() RETURN DISTINCT r.kind AS t ORDER BY t",
               "-f", "csv")
    assert kinds.stdout.splitlines() == ["t", "AUTHORED_BY", "PART_OF", "PROPOSED_IN"]


def test_sources_as_json_hold_counts_as_objects(loaded):
    rows = json.loads(tg(*loaded, "sources", "-f", "json").stdout)
    study = next(r for r in rows if r["source"] == "study:s1")
    assert study["counts"]["Code"] == 4 and study["counts"]["IN_THEME"] == 4


def test_tables_wrap_at_spaces_and_fall_back_to_records_when_narrow():
    from themegraph.output import render

    rows = [{"participant": "PA", "quote": "it can never be wholly collaborative, because they have to come"}]
    table = render(rows, "table", width=44)
    words = set(rows[0]["quote"].replace(",", "").split())
    cells = {w for line in table.splitlines() for w in line.replace("│", " ").replace(",", "").split()}
    assert words <= cells  # no word broken across lines
    assert max(len(line) for line in table.splitlines()) <= 44
    wide = [{f"column{i}": f"value {i}" for i in range(6)}]
    assert render(wide, "table", width=60).splitlines()[:2] == ["column0: value 0", "column1: value 1"]


def test_a_notebook_sees_a_command_line_load_after_refresh(tmp_path):
    import themegraph
    from themegraph.graph.open import open_store

    db = str(tmp_path / "kb.db")
    with open_store(db=db) as store:
        store.apply(literature_batch())
    kb = themegraph.open(db=db)
    try:
        assert kb.stats()["nodes"]["Work"] == 1
        (tmp_path / "refs.bib").write_text("@article{horvath1991, author={Horvath, Adam O.}, title={The alliance},"
                                            " year={1991}, journal={Psychotherapy}}\n", encoding="utf-8")
        tg("--db", db, "load", "refs", str(tmp_path / "refs.bib"))
        assert kb.stats()["nodes"]["Work"] == 1  # the embedded store reads the database as opened
        assert kb.refresh() is kb and kb.stats()["nodes"]["Work"] == 2
        names = kb.cypher("MATCH (w:Work) RETURN w.name AS name ORDER BY name")
        assert list(names["name"]) == ["Bordin (1979)", "Horvath (1991)"]
    finally:
        kb.close()
