"""QualCoder projects and coded-segments spreadsheets, checked against the QualCoder project's own
tables (the gold is read with SQL from tests/data/qualcoder, never from the loader); and the
registry that tells every kind of file apart by content."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import SHARED, shared_missing

from themegraph.errors import InputError
from themegraph.loaders import qualcoder, segments
from themegraph.loaders.participants import participant_rule
from themegraph.loaders.registry import recognise

DATA = Path(__file__).parent / "data"
QDA = DATA / "qualcoder" / "history-course.qda"
SEGMENTS = DATA / "segments"


def gold(sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{QDA / 'data.qda'}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def spans(batch) -> dict[tuple, str]:
    """(document name, start, end) -> extract id."""
    docs = {r["src"]: batch.nodes["Document"][r["dst"]]["name"] for r in batch.rels[("IN_DOCUMENT", "Extract", "Document")]}
    return {(docs[e], row["char_start"], row["char_end"]): e for e, row in batch.nodes["Extract"].items()}


def test_qualcoder_segments_codes_and_coders_match_its_tables():
    batch, warnings = qualcoder.load(QDA, "hc")
    assert warnings == ["data.qda: 1 image, audio or video files left out (only text is imported)",
                        "data.qda:source/3: attributes of 'transcript.txt' left out: it belongs to 3 cases, not one"]
    want = defaultdict(lambda: {"codes": set(), "owners": set()})
    for name, pos0, pos1, code, owner, seltext in gold(
            "SELECT s.name, t.pos0, t.pos1, c.name, t.owner, t.seltext FROM code_text t "
            "JOIN source s ON s.id = t.fid JOIN code_name c ON c.cid = t.cid"):
        want[(name, pos0, pos1)]["codes"].add(code)
        want[(name, pos0, pos1)]["owners"].add(owner)
        want[(name, pos0, pos1)]["text"] = seltext
    got = spans(batch)
    assert sorted(got) == sorted(want)
    names = {i: row["name"] for kind in ("Code", "Theme", "User") for i, row in batch.nodes.get(kind, {}).items()}
    links = defaultdict(set)
    for key, rows in batch.rels.items():
        if key[0] in ("CODED_AS", "ILLUSTRATES", "CODED_BY"):
            for r in rows:
                links[(r["src"], "owners" if key[0] == "CODED_BY" else "codes")].add(names[r["dst"]])
    for span, w in want.items():
        assert batch.nodes["Extract"][got[span]]["text"] == w["text"]
        assert links[(got[span], "codes")] == w["codes"] and links[(got[span], "owners")] == w["owners"]


def test_qualcoder_categories_are_themes_at_any_depth_and_cases_participants():
    batch, _ = qualcoder.load(QDA / "data.qda", "hc")
    themes = {r["name"]: r["level"] for r in batch.nodes["Theme"].values()}
    assert themes == {"Learning experience": "final", "Course design": "final", "Materials": "emerging",
                      "cost": "final"}  # "cost" has a sub-code (supercid), so it groups codes too
    parents = {batch.nodes["Theme"][r["src"]]["name"]: batch.nodes["Theme"][r["dst"]]["name"]
               for r in batch.rels[("SUBTHEME_OF", "Theme", "Theme")]}
    assert parents == {"Materials": "Course design"}
    attrs = {r["name"]: json.loads(r["attributes"]) for r in batch.nodes["Participant"].values()}
    for case, age, gender, interest in (line.split(",") for line in
                                        (DATA / "sources" / "cases123.csv").read_text().splitlines()[1:]):
        assert {k: attrs[case][k] for k in ("Age", "gender", "interest")} == {"Age": age, "gender": gender,
                                                                            "interest": interest}
    spoken = {(spans_key[0], spans_key[1]): batch.nodes["Participant"][r["dst"]]["name"]
              for r in batch.rels[("SPOKEN_BY", "Extract", "Participant")]
              for spans_key in [next(k for k, e in spans(batch).items() if e == r["src"])]}
    # focus-group turns belong to the speaker whose case_text span holds them
    transcript = (DATA / "sources" / "transcript.txt").read_text(encoding="utf-8")
    assert spoken[("transcript.txt", transcript.index("it will be good for my career"))] == "ID1"
    assert spoken[("transcript.txt", transcript.index("I felt that they were too busy"))] == "ID2"
    assert spoken[("transcript.txt", transcript.index("I think there were too many"))] == "ID3"


def test_an_empty_category_is_still_a_theme(tmp_path):
    copy = tmp_path / "data.qda"
    copy.write_bytes((QDA / "data.qda").read_bytes())
    conn = sqlite3.connect(copy)
    conn.execute("INSERT INTO code_cat (name, memo, supercatid) VALUES ('Not used yet', 'for later', 2)")
    conn.commit()
    conn.close()
    batch, _ = qualcoder.load(copy, "hc")
    theme = batch.nodes["Theme"]["hc/theme/not-used-yet"]
    assert (theme["level"], theme["description"]) == ("emerging", "for later")
    assert "hc/code/not-used-yet" not in batch.nodes["Code"]


def test_every_segments_layout_gives_the_qualcoder_projects_codes():
    project, _ = qualcoder.load(QDA, "s")
    for name, tool in (("maxqda-coded-segments.xlsx", "maxqda"), ("nvivo-coding.csv", "nvivo"),
                       ("atlas-quotations.xlsx", "atlas")):
        batch, warnings = segments.load(SEGMENTS / name, "s")
        assert warnings == [] and batch.source == "segments:s"
        assert sorted(r["text"] for r in batch.nodes["Extract"].values()) == sorted(
            r["text"] for r in project.nodes["Extract"].values())
        codes = {r["name"] for kind in ("Code", "Theme") for r in batch.nodes.get(kind, {}).values()}
        if tool == "atlas":  # ATLAS.ti has no code tree: every code is flat
            assert codes == {r[0] for r in gold("SELECT name FROM code_name")}
        else:
            assert sorted(batch.nodes["Code"]) == sorted(project.nodes["Code"])
            assert sorted(batch.nodes["Theme"]) == sorted(project.nodes["Theme"])
        users = {r["name"] for r in batch.nodes["User"].values()}
        assert users == {"colin", "anna"}
    maxqda, _ = segments.load(SEGMENTS / "maxqda-coded-segments.xlsx", "s", participants=participant_rule(r"^(ID\d)"))
    assert sorted(r["name"] for r in maxqda.nodes["Participant"].values()) == ["ID1", "ID2"]


def test_segments_problems_name_file_and_row(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Document name,Code,Segment\nID1,trust,\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.csv:2: a segment needs its document and its text"):
        segments.load(bad, "x")
    odd = tmp_path / "odd.csv"
    odd.write_text("who,what\na,b\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"odd.csv:1: not a MAXQDA, NVivo or ATLAS.ti coded-segments export"):
        segments.load(odd, "x")


@pytest.mark.parametrize("path, loader, what", [
    ("taguette/project.sqlite3", "taguette", "a Taguette project database"),
    ("taguette/highlights.csv", "taguette", "a Taguette highlights export (id, document, tag, content)"),
    ("taguette/highlights.xlsx", "taguette", "a Taguette highlights export (id, document, tag, content)"),
    ("taguette/codebook.qdc", "taguette", "a Taguette codebook (Taguette 1.5.2)"),
    ("qualcoder/history-course.qda", "qualcoder", "a QualCoder project folder (data.qda)"),
    ("qualcoder/history-course.qda/data.qda", "qualcoder", "a QualCoder project database"),
    ("segments/maxqda-coded-segments.xlsx", "segments", "a coded-segments export (maxqda)"),
    ("segments/atlas-quotations.xlsx", "segments", "a coded-segments export (atlas)"),
    ("segments/nvivo-coding.csv", "segments", "a coded-segments export (nvivo)"),
    ("refs/messy.bib", "refs", "a reference file (BibTeX)"),
    ("../../examples/mandatory-therapy", "study", "a study bundle (study.yaml)"),
    ("../../examples/mandatory-therapy/references.bib", "refs", "a reference file (BibTeX)"),
])
def test_files_are_recognised_by_content(path, loader, what):
    found, said = recognise(DATA / path)
    assert (found.name, said) == (loader, what)


def test_a_renamed_file_is_still_recognised(tmp_path):
    disguised = tmp_path / "analysis.dat"
    disguised.write_bytes((DATA / "taguette" / "project.sqlite3").read_bytes())
    assert recognise(disguised)[1] == "a Taguette project database"
    unknown = tmp_path / "notes.bin"
    unknown.write_bytes(b"\x00\x01binary")
    with pytest.raises(InputError, match="not a file ThemeGraph can load"):
        recognise(unknown)


def test_load_files_says_what_each_file_is_and_loads_each(store_args):
    proc = subprocess.run([sys.executable, "-m", "themegraph", *store_args, "load", str(QDA),
                           str(SEGMENTS / "nvivo-coding.csv"), "--study", "hc"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f"{QDA}: a QualCoder project folder (data.qda) (load qualcoder)" in proc.stderr
    assert f"{SEGMENTS / 'nvivo-coding.csv'}: a coded-segments export (nvivo) (load segments)" in proc.stderr
    sources = subprocess.run([sys.executable, "-m", "themegraph", *store_args, "sources", "-f", "json"],
                             capture_output=True, text=True, timeout=300)
    assert sorted(s["source"] for s in json.loads(sources.stdout)) == ["qualcoder:hc", "segments:hc"]


@pytest.mark.skipif(shared_missing(), reason="the real exports are in ../shared")
def test_participants_of_a_real_refi_export_from_its_file_names():
    """qc 1.3.2's real export has no cases: a rule over its two source files gives its participants."""
    from themegraph.loaders.registry import LOADERS

    result = LOADERS["qdpx"].load(SHARED / "fixtures" / "refi" / "qc-1.3.2-interview.qdpx", study="iv",
                                  participant_from=r"(.+)\.txt$")
    batch = result.batch
    assert sorted(r["name"] for r in batch.nodes["Participant"].values()) == ["admin-1", "board_2017"]
    spoken = batch.rels[("SPOKEN_BY", "Extract", "Participant")]
    assert len(spoken) == len(batch.nodes["Extract"]) == 158  # every selection, by its file's participant


def test_load_files_into_a_new_knowledge_base_with_references(store_args):
    bundle = Path(__file__).parents[1] / "examples" / "mandatory-therapy"
    proc = subprocess.run([sys.executable, "-m", "themegraph", *store_args, "load", str(bundle),
                           str(DATA / "refs" / "refs.json")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f"{bundle}: a study bundle (study.yaml) (load study)" in proc.stderr
    assert f"{DATA / 'refs' / 'refs.json'}: a reference file (CSL-JSON) (load refs)" in proc.stderr
    sources = subprocess.run([sys.executable, "-m", "themegraph", *store_args, "sources", "-f", "json"],
                             capture_output=True, text=True, timeout=300)
    assert sorted(s["source"] for s in json.loads(sources.stdout)) == ["refs:refs.json", "study:mandatory-therapy"]
