"""Round trips of real REFI-QDA exports, on both stores: import, export, re-import.

Every real export nobody here made (``shared/fixtures/refi/`` and ``tests/data/refi/nvivo/``, see
its SOURCE.md) goes through the same steps, and the original ``project.qde`` and the export's are
compared with the one normalising comparison (``refi_compare``): nothing may differ but what
docs/refi-qda.md lists.  The export must validate against the standard's ``Project.xsd``, carry
every file of the original's sources folder byte for byte, re-import to the same graph and export
again to the same bytes.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import SHARED
from refi_compare import DOCUMENTED, Documented, Fact, compare, facts, undocumented
from test_refi import (
    handmade_files,
    handmade_qdpx,
    project_schema,
    project_xml,
    snapshot,
    zip_members,
)

from themegraph.exports.refi import export_qdpx
from themegraph.loaders import refi
from themegraph.loaders.refi import qdpx_batch
from themegraph.loaders.registry import LOADERS

NVIVO = Path(__file__).parent / "data" / "refi" / "nvivo"
NS = "{urn:QDA-XML:project:1.0}"

#: (file, its selections, distinct spans, codes with a colour): counted from the files (SOURCE.md)
REAL = {
    "nvivo-win-12.6-oltas": (NVIVO / "nvivo-win-12.6-oltas.qdpx", 303, 188, 0),
    "nvivo-mac-12.7-oltas": (NVIVO / "nvivo-mac-12.7-oltas.qdpx", 297, 187, 1),
    "qc-1.3.2-interview": (SHARED / "fixtures" / "refi" / "qc-1.3.2-interview.qdpx", 158, 158, 0),
    "nvivo-mac-15-codebook": (SHARED / "fixtures" / "refi" / "nvivo-mac-15-codebook.qdpx", 0, 0, 0),
}


def sources_folder(path: Path) -> dict[str, bytes]:
    """The files of a project's sources folder (any case), by their name inside it."""
    with zipfile.ZipFile(path) as z:
        out = {}
        for info in z.infolist():
            folder, _, rest = info.filename.partition("/")
            if folder.casefold() == "sources" and rest and not info.is_dir():
                out[rest] = z.read(info)
        return out


def round_trip(store, original: Path, study: str, tmp_path: Path):
    """Import, export; the original's and the export's project.qde, and the export's path."""
    first = zipfile.ZipFile(original).read("project.qde")
    batch, _ = qdpx_batch(original, study)
    store.apply(batch)
    out = tmp_path / "exported" / f"{study}.qdpx"
    out.parent.mkdir(exist_ok=True)
    export_qdpx(store, study, out)
    assert out != original
    return first, zipfile.ZipFile(out).read("project.qde"), out


@pytest.mark.parametrize("name", sorted(REAL))
def test_a_real_export_comes_back_out_as_the_tool_had_it(store, tmp_path, name):
    path, n_selections, n_spans, n_coloured = REAL[name]
    first, exported, out = round_trip(store, path, "rt", tmp_path)
    only_original, only_export = compare(first, exported)
    assert undocumented(only_original) == []
    assert undocumented(only_export) == []
    project_schema().validate(io.BytesIO(exported))
    assert sources_folder(out) == sources_folder(path)  # .docx, .txt and the rest, byte for byte
    # every selection keeps its own identity; those of one span share one extract
    counts = {r["kind"]: r["n"] for r in store.query(
        "MATCH (n) WHERE n.study = 'rt' AND n.kind IN ['Selection', 'Extract'] RETURN n.kind AS kind, count(n) AS n")}
    assert (counts.get("Selection", 0), counts.get("Extract", 0)) == (n_selections, n_spans)
    coloured = store.query("MATCH (c:Code) WHERE c.study = 'rt' AND c.colour IS NOT NULL RETURN count(c) AS n")
    themes = store.query("MATCH (c:Theme) WHERE c.study = 'rt' AND c.colour IS NOT NULL RETURN count(c) AS n")
    assert coloured[0]["n"] + themes[0]["n"] == n_coloured
    before = snapshot(store)
    again, _ = qdpx_batch(out, "rt")
    store.apply(again)
    assert snapshot(store) == before  # the export re-imports to the same graph
    second = tmp_path / "second.qdpx"
    export_qdpx(store, "rt", second)
    assert second.read_bytes() == out.read_bytes()


def test_the_handmade_project_comes_back_out_but_for_what_is_documented(store, tmp_path):
    """Everything REFI-QDA has, once each (tests/data/refi/handmade): the differences left are
    the two transformations docs/refi-qda.md lists, and nothing else."""
    original = handmade_qdpx(tmp_path)
    first, exported, out = round_trip(store, original, "hm", tmp_path)
    project_schema().validate(io.BytesIO(exported))
    gender = refi.guid_for("hm/variable/gender")
    ben = refi.guid_for("hm/participant/interview-ben")
    allowed = DOCUMENTED + (
        Documented("a note's text file is written inline",
                   lambda f: f.path.startswith("/Project/Notes/Note[") and (
                       f.what == "@plainTextPath" or f.path.endswith("/PlainTextContent"))),
        Documented("'key: value' sets of sources also become a variable of their cases",
                   lambda f: gender in f.path or f.path.startswith(f"/Project/Cases/Case[{ben}]")),
    )
    only_original, only_export = compare(first, exported)
    assert undocumented(only_original, allowed) == []
    assert undocumented(only_export, allowed) == []
    assert len(only_export) == 20 and len(only_original) == 2  # so the rules above cannot hide more
    assert sources_folder(out) == handmade_files()


def test_the_comparison_sees_what_a_lossy_export_would_lose():
    """The comparison is not blind: a colour renamed away, a selection's user dropped and two
    codes swapped in a real export are each reported, under the elements' GUIDs."""
    qde = zipfile.ZipFile(REAL["nvivo-mac-12.7-oltas"][0]).read("project.qde").decode("utf-8")
    lossy = qde.replace(' color="#', ' data-x="#', 1)
    only_original, only_export = compare(qde.encode(), lossy.encode())
    assert [str(f) for f in only_original] == [
        next(str(f) for f in facts(qde.encode()) if f.what == "@color")]
    assert len(only_export) == 1 and next(iter(only_export)).what == "@data-x"
    user = ' creatingUser="f93ad076-5ca1-4f46-abf4-b4b67130a6e2"'
    at = qde.index("<PlainTextSelection")
    lossy = qde[:at] + qde[at:].replace(user, "", 1)
    only_original, only_export = compare(qde.encode(), lossy.encode())
    assert [(f.path.rsplit("/", 1)[1][:19], f.what) for f in only_original] == [("PlainTextSelection[", "@creatingUser")]
    assert only_export == set()
    root = ElementTree.fromstring(qde)
    codes = root.find(f"{NS}CodeBook/{NS}Codes")
    codes[0], codes[1] = codes[1], codes[0]
    only_original, only_export = compare(qde.encode(), ElementTree.tostring(root))
    assert sorted((f.what, f.value) for f in only_original) == [("#rank", "0"), ("#rank", "1")]
    assert sorted((f.what, f.value) for f in only_export) == [("#rank", "0"), ("#rank", "1")]


MEDIA = Path(__file__).parent / "data" / "refi" / "handmade-media"
#: stand-in bytes for the media files (the test is about carrying them, not reading them)
MEDIA_FILES = {"corridor.png": b"\x89PNG\r\n\x1a\n-corridor-", "rules.pdf": b"%PDF-1.4\n-rules-",
               "night.m4a": b"\x00\x00\x00\x18ftypM4A -night-", "handover.mp4": b"\x00\x00\x00\x18ftypisom-handover-"}


def test_what_the_graph_does_not_model_is_kept_and_written_back(store, tmp_path):
    """Picture, PDF, audio and video sources with their selections and transcript, a graph, a
    link between selections, notes on a link and in a set, codings of a whole source and of a
    case, a note's own selection and a Date variable's description all come back out."""
    files = {**MEDIA_FILES, "rules.txt": (MEDIA / "sources" / "rules.txt").read_bytes()}
    original = tmp_path / "media.qdpx"
    with zipfile.ZipFile(original, "w") as z:
        z.writestr("project.qde", (MEDIA / "project.qde").read_bytes())
        for name, data in files.items():
            z.writestr(f"sources/{name}", data)
    project_schema().validate(str(MEDIA / "project.qde"))
    batch, warnings = qdpx_batch(original, "media")
    assert warnings == [f"media.qdpx:project.qde: 1 {tag}(s) kept as they are for export: their selections and "
                        "codings are not in the graph" for tag in ("AudioSource", "PDFSource", "PictureSource", "VideoSource")]
    kept = sorted((r["section"], r["name"]) for r in batch.nodes["ToolRecord"].values())
    assert kept == [("Cases", "CodeRef"), ("Graphs", "Graph"), ("Links", "Link"), ("Links", "NoteRef"),
                    ("Notes", "Description"), ("Notes", "PlainTextSelection"), ("Project", "Project"),
                    ("Sets", "MemberNote"), ("Sources", "AudioSource"), ("Sources", "Coding"), ("Sources", "PDFSource"),
                    ("Sources", "PictureSource"), ("Sources", "VideoSource"), ("Variables", "Variable")]
    first, exported, out = round_trip(store, original, "media", tmp_path)
    assert export_qdpx(store, "media", tmp_path / "again.qdpx") == []
    project_schema().validate(io.BytesIO(exported))
    only_original, only_export = compare(first, exported)
    assert undocumented(only_original) == [] and undocumented(only_export) == []
    assert sources_folder(out) == files


def test_two_links_between_the_same_codes_stay_two(store, tmp_path):
    body = """<CodeBook><Codes>
<Code guid="c0000000-0000-4000-8000-000000000001" name="Fear" isCodable="true"/>
<Code guid="c0000000-0000-4000-8000-000000000002" name="Trust" isCodable="true"/></Codes></CodeBook>
<Links>
<Link guid="d0000000-0000-4000-8000-000000000001" name="erodes" direction="OneWay"
 originGUID="c0000000-0000-4000-8000-000000000001" targetGUID="c0000000-0000-4000-8000-000000000002"/>
<Link guid="d0000000-0000-4000-8000-000000000002" name="is eased by" direction="OneWay"
 originGUID="c0000000-0000-4000-8000-000000000001" targetGUID="c0000000-0000-4000-8000-000000000002"/>
</Links>"""
    original = zip_members(tmp_path / "links.qdpx", {"project.qde": project_xml(body)})
    first, exported, _ = round_trip(store, original, "links", tmp_path)
    rows = store.query("MATCH (a:Code)-[r:LINKED_TO]->(b:Code) WHERE a.study = 'links' "
                       "RETURN r.relation AS relation ORDER BY relation")
    assert rows == [{"relation": "erodes"}, {"relation": "is eased by"}]
    only_original, only_export = compare(first, exported)
    assert undocumented(only_original) == [] and undocumented(only_export) == []


#: What an import from another tool gives, compared before and after a REFI-QDA round trip.
_SHAPE_NODES = {"Code": "n.name, n.description", "Theme": "n.name, n.description, n.level",
                "Document": "n.name, n.text", "Extract": "n.text, n.char_start, n.char_end",
                "Participant": "n.name, n.attributes", "User": "n.name"}
_SHAPE_RELS = (("IN_THEME", "Code", "Theme"), ("SUBTHEME_OF", "Theme", "Theme"), ("CODED_AS", "Extract", "Code"),
               ("ILLUSTRATES", "Extract", "Theme"), ("IN_DOCUMENT", "Extract", "Document"),
               ("DOCUMENT_OF", "Document", "Participant"), ("SPOKEN_BY", "Extract", "Participant"),
               ("CODED_BY", "Extract", "User"))


def shape(store, study: str) -> dict:
    """A study's codes, documents, extracts, participants and users and how they join, with the
    study's prefix taken off every id (so two studies can be compared)."""
    def local(id_: str) -> str:
        return id_.split("/", 1)[1]

    out = {}
    for kind, cols in _SHAPE_NODES.items():
        rows = store.query(f"MATCH (n:{kind}) WHERE n.study = $s RETURN n.id AS id, {cols}", {"s": study})
        out[kind] = {local(r.pop("id")): r for r in rows}
    for rel, a, b in _SHAPE_RELS:
        rows = store.query(f"MATCH (a:{a})-[:{rel}]->(b:{b}) WHERE a.study = $s RETURN a.id AS a, b.id AS b", {"s": study})
        out[rel] = sorted((local(r["a"]), local(r["b"])) for r in rows)
    return out


@pytest.mark.parametrize("loader, path", [
    ("qualcoder", Path(__file__).parent / "data" / "qualcoder" / "history-course.qda"),
    ("taguette", Path(__file__).parent / "data" / "taguette" / "project.sqlite3"),
])
def test_a_project_from_another_tool_exports_valid_and_reimports_to_the_same_graph(store, tmp_path, loader, path):
    store.apply(LOADERS[loader].load(path, study="one").batch)
    out = tmp_path / "one.qdpx"
    warnings = export_qdpx(store, "one", out)
    project_schema().validate(io.BytesIO(zipfile.ZipFile(out).read("project.qde")))
    again, _ = qdpx_batch(out, "two")
    store.apply(again)
    before, after = shape(store, "one"), shape(store, "two")
    if loader == "taguette":
        # Taguette's highlight of one passage flattens its line break; the document has it, the
        # export keeps the positions (warned) and the re-import takes the document's text
        odd = "extract/id1-interview-308-395"
        assert warnings == [f"extract 'one/{odd}': its text differs from its document at 308-395; positions kept"]
        assert before["Extract"][odd]["n.text"].replace(". I", ".\nI") == after["Extract"][odd]["n.text"]
        before["Extract"][odd] = after["Extract"][odd]
    else:
        assert warnings == []
    assert after == before


def test_a_database_made_before_selections_existed_takes_a_project(tmp_path):
    """An embedded database whose relation tables predate the kinds REFI-QDA round trips added
    (IN_STUDY and ANNOTATES without Selection, no APPLIES or SELECTS) is brought up to the
    schema on the next load, which then keeps every selection."""
    import ladybug

    from themegraph.graph.open import open_store
    from themegraph.graph.schema import ladybug_ddl

    path = tmp_path / "old.db"
    db = ladybug.Database(str(path))
    conn = ladybug.Connection(db)
    for stmt in ladybug_ddl():
        if " APPLIES(" in stmt or " SELECTS(" in stmt:
            continue
        conn.execute(stmt.replace(", FROM Selection TO Study", "").replace(", FROM Memo TO Selection", ""))
    db.close()
    store = open_store(db=str(path))
    batch, _ = qdpx_batch(REAL["nvivo-mac-12.7-oltas"][0], "old")
    store.apply(batch)
    rows = store.query("MATCH (s:Selection)-[:IN_STUDY]->(t:Study) RETURN t.id AS study, count(s) AS n")
    assert rows == [{"study": "old", "n": 297}]


def test_a_sources_own_variable_values_go_back_on_the_source(store, tmp_path):
    """ATLAS.ti gives attributes to documents, not cases: they stay on the source in the export,
    and the participant ThemeGraph reads them into comes back as a case holding them too."""
    body = """<Variables><Variable guid="e0000000-0000-4000-8000-000000000001" name="age" typeOfVariable="Integer"/></Variables>
<Sources><TextSource guid="f0000000-0000-4000-8000-000000000001" name="Interview Ana">
<PlainTextContent>I have worked here for years.</PlainTextContent>
<VariableValue><VariableRef targetGUID="e0000000-0000-4000-8000-000000000001"/><IntegerValue>34</IntegerValue></VariableValue>
</TextSource></Sources>"""
    original = zip_members(tmp_path / "attrs.qdpx", {"project.qde": project_xml(body)})
    batch, warnings = qdpx_batch(original, "attrs")
    assert [json.loads(p["attributes"]) for p in batch.nodes["Participant"].values()] == [{"age": 34}]
    assert any("source 'Interview Ana' has attributes but no case" in w for w in warnings)
    first, exported, _ = round_trip(store, original, "attrs", tmp_path)
    project_schema().validate(io.BytesIO(exported))
    case = refi.guid_for("attrs/participant/interview-ana")
    allowed = DOCUMENTED + (Documented("a source with attributes but no case gets a case",
                                       lambda f: f.path == "/Project/Cases" or f.path.startswith(f"/Project/Cases/Case[{case}]")),)
    only_original, only_export = compare(first, exported)
    assert undocumented(only_original, allowed) == [] and undocumented(only_export, allowed) == []
    assert only_original == set()  # the source keeps its own values
    assert Fact(f"/Project/Cases/Case[{case}]/VariableValue[e0000000-0000-4000-8000-000000000001]/IntegerValue",
                "#text", "34") in only_export


def test_a_text_changed_since_import_is_written_anew_under_its_name(store, tmp_path):
    """When a document's text no longer matches the file it came with, the export writes the
    text (UTF-8, positions in code points) in that file's place, not beside it."""
    path = REAL["qc-1.3.2-interview"][0]  # its files are not named after the sources' GUIDs
    batch, _ = qdpx_batch(path, "edit")
    doc = batch.nodes["Document"]["edit/document/admin-1-txt"]
    doc["text"] = "A different text."
    store.apply(batch)
    out = tmp_path / "edited.qdpx"
    export_qdpx(store, "edit", out)
    files = sources_folder(out)
    assert files[doc["path"]] == b"A different text."
    assert set(files) == set(sources_folder(path))
