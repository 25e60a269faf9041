"""Taguette imports, checked against what Taguette's own exporters wrote (tests/data/taguette/build.py)."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

import pytest

from themegraph.errors import InputError
from themegraph.loaders import taguette
from themegraph.loaders.participants import participant_rule

DATA = Path(__file__).parent / "data" / "taguette"
PROJECT = DATA / "project.sqlite3"


def tg(*args):
    return subprocess.run([sys.executable, "-m", "themegraph", *args], capture_output=True, text=True, timeout=300)


def gold_highlights() -> dict[str, dict]:
    """Taguette's highlights export: per highlight id, its content and its tags."""
    out: dict[str, dict] = defaultdict(lambda: {"tags": set()})
    with open(DATA / "highlights.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            out[row["id"]]["content"] = row["content"]
            out[row["id"]]["document"] = row["document"]
            out[row["id"]]["tags"].add(row["tag"])
    return dict(out)


def tag_paths(batch) -> dict[str, str]:
    """Code or theme id -> its tag path rebuilt from the graph ("learning.positive")."""
    parent = {r["src"]: r["dst"] for key, rows in batch.rels.items() if key[0] in ("IN_THEME", "SUBTHEME_OF")
              for r in rows}
    names = {id_: row["name"] for kind in ("Code", "Theme") for id_, row in batch.nodes.get(kind, {}).items()}

    def path(id_):
        return f"{path(parent[id_])}.{names[id_]}" if id_ in parent else names[id_]

    return {id_: path(id_) for id_ in names}


def by_highlight(batch) -> dict[str, str]:
    return {row["origin"].rsplit("/", 1)[-1]: id_ for id_, row in batch.nodes["Extract"].items()}


def test_every_highlight_has_taguettes_text_its_tags_and_its_offsets():
    batch, warnings = taguette.load(PROJECT, "course")
    assert warnings == []
    gold = gold_highlights()
    extracts = by_highlight(batch)
    assert len(extracts) == 13  # 12 tagged (in the export) and one without a tag (not exported by Taguette)
    paths = tag_paths(batch)
    coded = defaultdict(set)
    for key, rows in batch.rels.items():
        if key[0] in ("CODED_AS", "ILLUSTRATES"):
            for r in rows:
                coded[r["src"]].add(paths[r["dst"]])
    docs = {r["src"]: r["dst"] for r in batch.rels[("IN_DOCUMENT", "Extract", "Document")]}
    for hid, want in gold.items():
        row = batch.nodes["Extract"][extracts[hid]]
        assert row["text"] == want["content"]
        assert coded[extracts[hid]] == want["tags"]
        doc = batch.nodes["Document"][docs[extracts[hid]]]
        assert doc["name"] == want["document"]
        assert " ".join(doc["text"][row["char_start"]:row["char_end"]].split()) == want["content"]
    untagged = batch.nodes["Extract"][extracts["13"]]
    assert untagged["text"] == "It's a good course overall" and extracts["13"] not in coded
    euro = batch.nodes["Extract"][extracts["5"]]  # '€' is 3 bytes in Taguette's offsets, 1 character here
    assert (euro["char_start"], euro["char_end"]) == (605, 627)


def test_tags_become_codes_under_themes_with_their_descriptions():
    batch, _ = taguette.load(PROJECT, "course")
    assert sorted(tag_paths(batch).values()) == sorted([
        "learning", "course", "learning.positive", "learning.struggling", "course.slides", "course.assignments",
        "cost", "career", "support", "interesting"])
    assert {r["name"]: r["level"] for r in batch.nodes["Theme"].values()} == {"learning": "final", "course": "final"}
    assert batch.nodes["Code"]["course/code/struggling"]["description"] == "Finds the material or the pace hard"
    flat, _ = taguette.load(PROJECT, "course", tag_separator="")
    assert "Theme" not in flat.nodes and "course/code/learning-positive" in flat.nodes["Code"]


def test_highlights_export_and_codebook_give_the_same_codes():
    project, _ = taguette.load(PROJECT, "course")
    for export in ("highlights.csv", "highlights.xlsx"):
        batch, warnings = taguette.load(DATA / export, "course")
        assert sorted(batch.nodes["Code"]) == sorted(project.nodes["Code"])
        assert sorted(r["text"] for r in batch.nodes["Extract"].values()) == sorted(
            g["content"] for g in gold_highlights().values())
        assert "no positions" in warnings[0]
    codebook, _ = taguette.load(DATA / "codebook.qdc", "course")
    assert codebook.source == "taguette-codebook:course"
    assert sorted(codebook.nodes["Code"]) == sorted(project.nodes["Code"])
    assert sorted(codebook.nodes["Theme"]) == sorted(project.nodes["Theme"])


def test_participants_from_document_names():
    batch, warnings = taguette.load(PROJECT, "course", participants=participant_rule(r"^(ID\d+)"))
    assert sorted(r["name"] for r in batch.nodes["Participant"].values()) == ["ID1", "ID2"]
    assert warnings == ["1 documents match no participant by the pattern '^(ID\\d+)': 'Focus group'"]
    spoken = {r["src"] for r in batch.rels[("SPOKEN_BY", "Extract", "Participant")]}
    assert len(spoken) == 9  # the five highlights of ID1 and the four of ID2


def test_damaged_or_foreign_databases_are_clear_errors(tmp_path):
    cut = tmp_path / "cut.sqlite3"
    cut.write_bytes(PROJECT.read_bytes()[:20000])
    with pytest.raises(InputError, match=re.escape(str(cut)) + ": damaged SQLite database"):
        taguette.load(cut, "x")
    qualcoder = Path(__file__).parent / "data" / "qualcoder" / "history-course.qda" / "data.qda"
    with pytest.raises(InputError, match=r"data.qda: not a Taguette database \(missing projects, documents, tags, "
                                         r"highlights, highlight_tags\)"):
        taguette.load(qualcoder, "x")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,document,tag,content\n1,Doc,a,\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.csv:2: a highlight needs an id, a document and its content"):
        taguette.load(bad, "x")


def test_load_export_qdpx_keeps_every_selection(store_args, tmp_path):
    loaded = tg(*store_args, "load", str(PROJECT), "--study", "course")
    assert loaded.returncode == 0, loaded.stderr
    assert f"{PROJECT}: a Taguette project database (load taguette)" in loaded.stderr
    counts = json.loads(tg(*store_args, "stats", "-f", "json").stdout)
    assert counts["nodes"]["Extract"] == 13 and counts["nodes"]["Code"] == 8
    out = tmp_path / "course.qdpx"
    exported = tg(*store_args, "export", "qdpx", str(out), "--study", "course")
    assert exported.returncode == 0, exported.stderr
    qde = zipfile.ZipFile(out).read("project.qde").decode("utf-8")
    assert qde.count("<PlainTextSelection") == 13 and qde.count("<Coding ") == 16


def test_a_damaged_file_writes_nothing(store_args, tmp_path):
    cut = tmp_path / "cut.sqlite3"
    cut.write_bytes(PROJECT.read_bytes()[:20000])
    proc = tg(*store_args, "load", "taguette", str(cut), "--study", "x")
    assert proc.returncode == 1 and proc.stderr.startswith(f"Error: {cut}: damaged SQLite database")
    assert "Traceback" not in proc.stderr
    assert tg(*store_args, "load", "study", str(Path(__file__).parents[1] / "examples" / "mandatory-therapy")).returncode == 0
    assert [s["source"] for s in json.loads(tg(*store_args, "sources", "-f", "json").stdout)] == ["study:mandatory-therapy"]
