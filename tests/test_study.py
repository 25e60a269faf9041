"""The study bundle: the worked example loads faithfully; bad input is refused whole."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLE
from operations import doubling_steps, operations

import themegraph
from bench import files
from themegraph.errors import InputError
from themegraph.loaders.study import read_study


def tg(*args):
    return subprocess.run([sys.executable, "-m", "themegraph", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture
def bundle(tmp_path):
    """A private copy of the example bundle to edit."""
    dest = tmp_path / "bundle"
    shutil.copytree(EXAMPLE, dest)
    return dest


def one(store, cypher, **params):
    return store.query(cypher, params)


def test_example_loads_with_the_papers_structure(store):
    store.apply(read_study(EXAMPLE))
    counts = store.counts()
    assert counts["nodes"]["Code"] == 232
    assert counts["relationships"]["IN_THEME"] == 234
    levels = one(store, "MATCH (t:Theme) RETURN t.level AS level, count(t) AS n ORDER BY level")
    assert levels == [{"level": "emerging", "n": 20}, {"level": "final", "n": 5}]
    finals = one(store, "MATCH (t:Theme) WHERE t.level = 'final' RETURN t.name AS name ORDER BY name")
    assert [f["name"].lower() for f in finals] == [
        "connecting with the human element", "dynamics of forced work", "explicit terms of working",
        "persuasive encouragement to engage", "preservation and protection"]
    speakers = one(store, "MATCH (e:Extract)-[:SPOKEN_BY]->(p:Participant) "
                          "RETURN p.name AS p, count(e) AS n ORDER BY n DESC, p")
    assert sum(r["n"] for r in speakers) == 52
    assert [r["p"] for r in sorted(speakers, key=lambda r: r["p"])] == [f"P{c}" for c in "ABCDEFGHIJK"]
    assert speakers[0] == {"p": "PB", "n": 9} and speakers[1]["n"] < 9
    assert counts["nodes"]["Work"] >= 48
    trust = one(store, "MATCH (c:Code)-[:IN_THEME]->(t:Theme) WHERE toLower(c.name) = 'importance of trust' "
                       "RETURN t.name AS theme ORDER BY theme")
    assert [r["theme"] for r in trust] == ["Transparency", "Working hard at alliance"]


def test_example_findings_reach_bordin_with_every_stance(store):
    store.apply(read_study(EXAMPLE))
    for rel in ("SUPPORTS", "EXTENDS", "CHALLENGES"):
        rows = one(store, f"""
            MATCH (f:Finding)-[r:{rel}]->(x)
            WHERE (x.kind = 'Work' AND x.key = 'bordin1979')
               OR (x.kind = 'Theory' AND x.id = 'theory/working-alliance')
               OR (x.kind = 'Construct' AND x.theory = 'theory/working-alliance')
            RETURN count(r) AS n""")
        assert rows[0]["n"] > 0, f"no {rel} link reaches Bordin 1979"


def test_loading_the_example_twice_changes_nothing(store_factory):
    store = store_factory()
    store.apply(read_study(EXAMPLE))
    before = store.counts()
    assert store.apply(read_study(EXAMPLE)).skipped
    store.apply(read_study(EXAMPLE), force=True)
    assert store.counts() == before


def test_removed_code_disappears_on_reload(store, bundle):
    store.apply(read_study(bundle))
    lines = (bundle / "codebook.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [ln for ln in lines if not ln.startswith("Law,")]
    assert len(kept) == len(lines) - 1
    (bundle / "codebook.csv").write_text("".join(kept), encoding="utf-8")
    store.apply(read_study(bundle))
    assert store.counts()["nodes"]["Code"] == 231
    assert one(store, "MATCH (c:Code) WHERE c.name = 'Law' RETURN c.id AS id") == []


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    "file,old,new,message",
    [
        ("extracts.csv", "E03,PE,Dynamics of forced work;Ambivalence", "E03,PE,Dynamics of forced work;Ambivalance",
         "extracts.csv:4: unknown theme 'Ambivalance'"),
        ("extracts.csv", "E03,PE,", "E03,PZ,", "extracts.csv:4: unknown participant 'PZ'"),
        ("extracts.csv", "E03,PE,Dynamics of forced work;Ambivalence,,", "E03,PE,Dynamics of forced work,No such code,",
         "extracts.csv:4: unknown code 'No such code'"),
        ("extracts.csv", "E03,PE,", "E02,PE,", "extracts.csv:4: duplicate extract id 'E02'"),
        ("codebook.csv", "Client not wanting to be there,Ambivalence,", "Client not wanting to be there,,",
         "codebook.csv:5: empty emerging_theme"),
        ("findings.yaml", "work: drapeau2005", "work: nobody2099", "is not in references.bib"),
        ("study.yaml", "id: mandatory-therapy", "id: [mandatory", "study.yaml:2:6: malformed YAML"),
    ],
)
def test_bad_input_is_refused_with_file_and_line_and_nothing_written(bundle, tmp_path, file, old, new, message):
    edit(bundle / file, old, new)
    with pytest.raises(InputError) as err:
        read_study(bundle)
    assert any(message in p for p in err.value.problems), err.value.problems
    db = tmp_path / "kb.db"
    proc = tg("--db", str(db), "load", "study", str(bundle))
    assert proc.returncode == 1 and message in proc.stderr and proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert not db.exists()  # validation fails before the store is even opened


def test_every_problem_is_reported_at_once(bundle):
    edit(bundle / "extracts.csv", "E03,PE,", "E03,PZ,")
    edit(bundle / "codebook.csv", "Client not wanting to be there,Ambivalence,", "Client not wanting to be there,,")
    with pytest.raises(InputError) as err:
        read_study(bundle)
    assert len(err.value.problems) >= 2


def test_excel_csv_dialects_are_accepted(bundle):
    """BOM, Windows line endings and ';' delimiters (Excel in many locales) load the same graph."""
    expected = read_study(bundle).counts()
    for name in ("codebook.csv", "participants.csv", "extracts.csv", "themes.csv"):
        import csv
        import io

        path = bundle / name
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        buf = io.StringIO()
        csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows)
        path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
    assert read_study(bundle).counts() == expected


def test_non_utf8_text_names_file_and_byte_offset(bundle):
    data = (bundle / "extracts.csv").read_bytes()
    at = data.index("’".encode("utf-8"))
    (bundle / "extracts.csv").write_bytes(data[:at] + b"\x92" + data[at + 3:])  # cp1252 apostrophe
    with pytest.raises(InputError) as err:
        read_study(bundle)
    assert any("extracts.csv" in p and f"byte offset {at}" in p for p in err.value.problems)


def test_xlsx_codebook_is_accepted(bundle):
    import csv

    from openpyxl import Workbook

    expected = read_study(bundle).counts()
    wb = Workbook()
    with open(bundle / "codebook.csv", encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            wb.active.append(row)
    wb.save(bundle / "codebook.xlsx")
    (bundle / "codebook.csv").unlink()
    assert read_study(bundle).counts() == expected


def test_dry_run_writes_nothing(tmp_path):
    db = tmp_path / "kb.db"
    proc = tg("--db", str(db), "load", "study", str(EXAMPLE), "--dry-run")
    assert proc.returncode == 0 and "valid" in proc.stderr and not db.exists()


def test_reading_a_bundle_twice_the_size_costs_twice_the_operations(tmp_path):
    """Issue 15: 'load study' grew quadratically.  Bundles of 500, 1,000 and 2,000 rows (the
    bench's shape); after the cost of a 2-row bundle, each doubling must cost at most 2.2x the
    operations, as the bench's doubling target asks of time."""
    costs = [operations(read_study, files.study_bundle(tmp_path / str(n), n)) for n in (2, 500, 1000, 2000)]
    for measure, steps in doubling_steps(costs).items():
        assert max(steps) <= 2.2, f"{measure} per doubling: {steps}"
