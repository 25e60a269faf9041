"""REFI-QDA import and export: real exports, a hand-made project that round-trips, hostile files."""

from __future__ import annotations

import io
import json
import re
import string
import zipfile
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

import pytest
import xmlschema
from conftest import SHARED
from minigraph import literature_batch, study_batch

from themegraph.errors import InputError, ThemeGraphError
from themegraph.exports.refi import export_qdc, export_qdpx
from themegraph.graph.batch import Batch
from themegraph.graph.schema import NODES, RELS
from themegraph.loaders import refi
from themegraph.loaders.refi import choose_scheme, decode_text, qdc_batch, qdpx_batch
from themegraph.loaders.refi.ids import unique_ids

FIXTURES = SHARED / "fixtures" / "refi"
STANDARD = SHARED / "refi-qda"
HANDMADE = Path(__file__).parent / "data" / "refi" / "handmade"
NS = "{urn:QDA-XML:project:1.0}"
ANA = "55555555-5555-4555-8555-000000000001.txt"  # zipped with a byte-order mark and CRLF
BEN = "55555555-5555-4555-8555-000000000002.txt"  # emoji; positions in UTF-16 code units
NOTE = "88888888-8888-4888-8888-000000000002.txt"
SELECTIONS = {
    "ana_dual": (ANA, "It is a dual role, really."),
    "ana_watched": (ANA, "I feel I am being watched by the managers"),
    "ana_honesty": (ANA, "Honesty matters more than anything"),
    "ana_future": (ANA, "I hope to run my own unit"),
    "ben_scared": (BEN, "I was scared 😟 at first"),
    "ben_better": (BEN, "things are better, I trust them 🙂 more"),
    "ben_plan": (BEN, "study nursing 🎓 next year"),
    "ben_mum": (BEN, "Like my mum 👩\u200d⚕️ did"),
}


# --- helpers ---------------------------------------------------------------------------------


def zip_members(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def handmade_qdpx(tmp_path: Path) -> Path:
    """The hand-made project as a .qdpx: Ana's text with BOM + CRLF, Ben's positions in UTF-16."""
    ana = (HANDMADE / "sources" / ANA).read_text(encoding="utf-8")
    ben = (HANDMADE / "sources" / BEN).read_text(encoding="utf-8")
    ana_crlf = ana.replace("\n", "\r\n")
    positions = {}
    for key, (source, phrase) in SELECTIONS.items():
        if source == ANA:  # code points of the file as it is: each CRLF counts two
            start, end = ana_crlf.index(phrase), ana_crlf.index(phrase) + len(phrase)
        else:
            start = utf16_units(ben[: ben.index(phrase)])
            end = start + utf16_units(phrase)
        positions[f"start_{key}"], positions[f"end_{key}"] = start, end
    qde = string.Template((HANDMADE / "project.qde").read_text(encoding="utf-8")).substitute(positions)
    files = {f"sources/{name}": data for name, data in handmade_files().items()}
    return zip_members(tmp_path / "handmade.qdpx", {"project.qde": qde.encode(), **files})


def handmade_files() -> dict[str, bytes]:
    """The hand-made project's source files as zipped: Ana's with a byte-order mark and CRLF."""
    ana = (HANDMADE / "sources" / ANA).read_text(encoding="utf-8")
    return {
        ANA: b"\xef\xbb\xbf" + ana.replace("\n", "\r\n").encode(),
        BEN: (HANDMADE / "sources" / BEN).read_bytes(),
        NOTE: (HANDMADE / "sources" / NOTE).read_bytes(),
    }


def extract_id(key: str) -> str:
    """The id an extract gets: its document and its place in the stored (LF, BOM-less) text."""
    source, phrase = SELECTIONS[key]
    text = (HANDMADE / "sources" / source).read_text(encoding="utf-8")
    doc = "interview-ana" if source == ANA else "interview-ben"
    return f"hm/extract/{doc}-{text.index(phrase)}-{text.index(phrase) + len(phrase)}"


def messages(warnings: list[str]) -> list[str]:
    """Warnings without the file and line they name."""
    return sorted(re.sub(r"^[^:]+:project\.qde(:\d+)?: ", "", w) for w in warnings)


def project_xml(body: str, ns: str = 'xmlns="urn:QDA-XML:project:1.0"', name: str = ' name="p"') -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<Project {ns}{name}>\n{body}\n</Project>\n'.encode()


def snapshot(store) -> dict:
    """Every node and relation with its properties, provenance (origin, times, sources) left out."""
    skip = {"sources", "origin", "loaded_at", "source"}
    out = {}
    for kind in NODES:
        if kind.name == "Source":
            continue
        cols = [p.name for p in kind.columns if p.name not in skip]
        rows = store.query(f"MATCH (n:{kind.name}) RETURN " + ", ".join(f"n.{c} AS {c}" for c in cols))
        out[kind.name] = sorted(json.dumps(r, sort_keys=True) for r in rows)
    for rel in RELS:
        cols = [p.name for p in rel.columns if p.name not in skip]
        for a, b in rel.pairs:
            extra = "".join(f", r.{c} AS {c}" for c in cols)
            rows = store.query(f"MATCH (a:{a})-[r:{rel.name}]->(b:{b}) RETURN a.id AS src, b.id AS dst{extra}")
            out[f"{a}-{rel.name}->{b}"] = sorted(json.dumps(r, sort_keys=True) for r in rows)
    return out


def codebook_schema(tmp_path: Path) -> xmlschema.XMLSchema:
    """The .qdc schema, cut from the standard's text (section 5.2) with its page furniture removed.

    The text interleaves the schema with a figure and page breaks; schema lines start with an XSD
    tag, and a line that does not end a tag is continued by the next one.
    """
    lines = (STANDARD / "REFI-QDA-1-5.txt").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if "5.2 XML Schema for REFI-QDA codebook exchange" in line)
    kept: list[str] = []
    for line in lines[start + 1 :]:
        text = line.strip()
        if kept and not kept[-1].endswith(">"):
            kept[-1] += ("" if kept[-1].endswith("-") else " ") + text
        elif text.startswith(("<?xml", "<xsd:", "</xsd:", "<!--")):
            kept.append(text)
        if text == "</xsd:schema>":
            break
    path = tmp_path / "Codebook.xsd"
    path.write_text("\n".join(kept), encoding="utf-8")
    return xmlschema.XMLSchema(str(path))


def project_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(STANDARD / "Project.xsd"))


# --- real exports ----------------------------------------------------------------------------


def test_nvivo_codebook_imports_its_262_codes_in_their_hierarchy(store):
    path = FIXTURES / "nvivo-mac-15-codebook.qdpx"
    root = ElementTree.fromstring(zipfile.ZipFile(path).read("project.qde"))
    elements = list(root.iter(f"{NS}Code"))
    assert len(elements) == 262  # the file's 262 codes are its Code elements, at every depth
    batch, warnings = qdpx_batch(path, "nv")
    assert warnings == []
    store.apply(batch)
    counts = store.counts()["nodes"]
    leaves = [e for e in elements if not e.findall(f"{NS}Code")]
    assert counts["Code"] == len(leaves) == 204 and counts["Theme"] == 262 - 204
    # every Code element's parent is the theme its node sits under, and nothing else is
    parent_of = {c: p for p in root.iter(f"{NS}Code") for c in p.findall(f"{NS}Code")}
    expected = Counter((e.get("name"), parent_of[e].get("name")) for e in elements if e in parent_of)
    rows = store.query(
        "MATCH (c:Code)-[:IN_THEME]->(t:Theme) RETURN c.name AS child, t.name AS parent "
        "UNION ALL MATCH (c:Theme)-[:SUBTHEME_OF]->(t:Theme) RETURN c.name AS child, t.name AS parent"
    )
    assert Counter((r["child"], r["parent"]) for r in rows) == expected
    tops = [e for e in root.find(f"{NS}CodeBook").find(f"{NS}Codes").findall(f"{NS}Code")]
    levels = Counter(r["level"] for r in store.query("MATCH (t:Theme) RETURN t.level AS level"))
    assert levels["final"] == len(tops) == 3 and levels["emerging"] == 16 and levels["level-6"] == 3
    # three different codes are called 'citizenship': three nodes, told apart by their parent path
    citizenship = store.query("MATCH (c:Code) WHERE c.name = $n RETURN c.id AS id ORDER BY id", {"n": "citizenship"})
    assert [r["id"] for r in citizenship] == [
        "nv/code/cs-literacy-digital-citizenship-citizenship",
        "nv/code/practices-digital-citizenship-citizenship",
        "nv/code/rq1-definition-defining-education-citizenship",
    ]
    users = store.query("MATCH (u:User)-[:IN_STUDY]->(s:Study) RETURN u.name AS name, s.name AS study ORDER BY name")
    assert users == [{"name": "chrisp", "study": "qc project"}, {"name": "cp", "study": "qc project"}]


def test_theme_depth_chooses_where_themes_end_and_codes_begin():
    path = FIXTURES / "nvivo-mac-15-codebook.qdpx"
    batch, warnings = qdpx_batch(path, "nv", theme_depth=1)
    assert {r["level"] for r in batch.nodes["Theme"].values()} == {"final"}
    assert len(batch.nodes["Theme"]) == 3 and len(batch.nodes["Code"]) == 259
    assert len(batch.rels[("IN_THEME", "Code", "Theme")]) == 259 and not batch.rels.get(("SUBTHEME_OF", "Theme", "Theme"))
    assert "placed under the nearest theme" in warnings[0]
    flat, _ = qdpx_batch(path, "nv", theme_depth=0)
    assert len(flat.nodes["Code"]) == 262 and not flat.nodes.get("Theme")
    with pytest.raises(ThemeGraphError, match="theme-depth"):
        qdpx_batch(path, "nv", theme_depth=-1)


def test_qc_interview_imports_158_selections_holding_exactly_the_selected_text(store):
    path = FIXTURES / "qc-1.3.2-interview.qdpx"
    archive = zipfile.ZipFile(path)
    root = ElementTree.fromstring(archive.read("project.qde"))
    expected = {}
    for source in root.iter(f"{NS}TextSource"):
        text = archive.read(f"sources/{source.get('plainTextPath')}").decode("utf-8")
        for sel in source.findall(f"{NS}PlainTextSelection"):
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            expected[(source.get("plainTextPath"), start, end)] = text[start:end]
    assert len(expected) == 158
    batch, warnings = qdpx_batch(path, "qc")
    assert any("'board_2017.txt' lacks internal://" in w for w in warnings)
    assert any("2 TextSource element(s) without a name" in w for w in warnings)
    store.apply(batch)
    rows = store.query(
        "MATCH (e:Extract)-[:IN_DOCUMENT]->(d:Document) "
        "RETURN d.path AS path, d.text AS doc, e.char_start AS s, e.char_end AS e, e.text AS text"
    )
    assert {(r["path"], r["s"], r["e"]): r["text"] for r in rows} == expected
    assert all(r["doc"][r["s"] : r["e"]] == r["text"] for r in rows)
    rels = store.counts()["relationships"]
    assert rels["CODED_AS"] + rels["ILLUSTRATES"] == 205  # one per Coding element
    assert rels["ILLUSTRATES"] == 63 and rels["CODED_BY"] == 158


# --- the hand-made project -------------------------------------------------------------------


def test_handmade_project_imports_every_part_and_corrects_its_oddities(tmp_path):
    batch, warnings = qdpx_batch(handmade_qdpx(tmp_path), "hm")
    assert len(warnings) == 6, warnings
    for expected in (
        "source 'Interview Ben' has attributes but no case: they belong to a participant named after it",
        "source 'Interview Ana' starts with a byte-order mark",
        "source 'Interview Ana' has CRLF line endings",
        "selections of 'Interview Ben' count UTF-16 code units instead of characters",
        "set 'gender: female' also read as the attribute gender = 'female'",
        "set 'gender: male' also read as the attribute gender = 'male'",
    ):
        assert any(expected in w for w in warnings), expected
    extracts = batch.nodes["Extract"]
    assert sorted(e["text"] for e in extracts.values()) == sorted(phrase for _, phrase in SELECTIONS.values())
    docs = {d["name"]: d for d in batch.nodes["Document"].values()}
    assert docs["Interview Ana"]["text"] == (HANDMADE / "sources" / ANA).read_text(encoding="utf-8")
    for id_, e in extracts.items():
        doc = next(r["dst"] for r in batch.rels[("IN_DOCUMENT", "Extract", "Document")] if r["src"] == id_)
        assert batch.nodes["Document"][doc]["text"][e["char_start"] : e["char_end"]] == e["text"]
    people = {p["name"]: json.loads(p["attributes"]) for p in batch.nodes["Participant"].values()}
    assert people == {
        "Ana": {"age": 34, "consented": True, "gender": "female", "hours": 37.5, "role": "nurse"},
        "Interview Ben": {"gender": "male"},  # a source with attributes and no case is its participant
    }
    spoken = Counter(r["dst"] for r in batch.rels[("SPOKEN_BY", "Extract", "Participant")])
    assert spoken == {"hm/participant/ana": 4, "hm/participant/interview-ben": 4}
    assert set(batch.nodes["Code"]) >= {"hm/code/power-and-control-dual-role", "hm/code/trust-dual-role"}
    levels = {t["name"]: t["level"] for t in batch.nodes["Theme"].values()}
    assert levels == {"Living with rules": "final", "Power and control": "emerging", "Trust": "emerging", "Hope": "final"}
    top = batch.nodes["Theme"]["hm/theme/living-with-rules"]
    assert (top["colour"], top["codable"], top["guid"]) == ("#C0392B", False, "22222222-2222-4222-8222-000000000001")
    watched = batch.nodes["Code"]["hm/code/being-watched"]  # every code keeps its colour, not only themes
    assert (watched["colour"], watched["codable"], watched["rank"]) == ("#808080", True, 1)
    # each selection keeps its GUID, user and dates; selections of one span share one extract
    selections = batch.nodes["Selection"]
    assert len(selections) == 8 and len(extracts) == 8
    honesty = selections[f"{extract_id('ana_honesty')}/1"]
    assert (honesty["guid"], honesty["description"]) == ("66666666-6666-4666-8666-000000000003", "Said with emphasis.")
    assert selections[f"{extract_id('ana_dual')}/1"]["created_by"] is None
    applies = batch.rels[("APPLIES", "Selection", "Code")] + batch.rels[("APPLIES", "Selection", "Theme")]
    assert sorted(r["guid"][-2:] for r in applies) == ["01", "02", "03", "04", "05", "06", "07", "08", "09", "0a"]
    mum = sorted((r["guid"][-2:], r["created_by"][-1]) for r in applies if r["src"] == f"{extract_id('ben_mum')}/1")
    assert mum == [("09", "2"), ("0a", "1")]  # one span coded with one code by two users: two codings
    records = sorted((r["section"], r["name"]) for r in batch.nodes["ToolRecord"].values())
    assert records == [("Project", "Project")] + [("Variables", "Variable")] * 4
    files = {f["path"]: f["size"] for f in batch.nodes["SourceFile"].values()}
    assert files == {name: len(data) for name, data in handmade_files().items()}
    memos = {m["name"]: m for m in batch.nodes["Memo"].values()}
    assert memos["Dual role memo"]["author"] == "maria" and memos["Dual role memo"]["created"] == "2024-05-02T10:15:00Z"
    assert memos["Reflexive note"]["text"] == "I worked as a nurse myself, which shapes how I hear Ana.\n"
    annotated = {(r["src"].rsplit("/", 1)[1], r["dst"]) for rows in
                 (v for k, v in batch.rels.items() if k[0] == "ANNOTATES") for r in rows}
    assert annotated == {
        ("dual-role-memo", "hm/code/power-and-control-dual-role"),
        ("reflexive-note", "hm"),
        ("watched-quote", f"{extract_id('ana_watched')}/1"),  # a note on a selection
        ("description-of-ana", "hm/participant/ana"),
        ("description-of-hand-made-ward-study", "hm"),
    }
    assert {m["name"] for m in memos.values() if m.get("describes")} == {
        "Description of Ana", "Description of Hand-made ward study"}
    links = {(r["src"], r["dst"], r["relation"], r["direction"])
             for k, rows in batch.rels.items() if k[0] == "LINKED_TO" for r in rows}
    assert links == {
        ("hm/code/power-and-control-dual-role", "hm/code/being-watched", "leads to", "OneWay"),
        ("hm/theme/trust", "hm/theme/power-and-control", "is undermined by", "Associative"),
    }
    members = {(r["src"], r["dst"]) for k, rows in batch.rels.items() if k[0] == "IN_SET" for r in rows}
    assert members == {
        ("hm/code/power-and-control-dual-role", "hm/codeset/key-codes"),
        ("hm/code/honesty", "hm/codeset/key-codes"),
        ("hm/document/interview-ana", "hm/codeset/key-codes"),
        ("hm/document/interview-ana", "hm/codeset/gender-female"),  # kept as sets too
        ("hm/document/interview-ben", "hm/codeset/gender-male"),
    }
    assert batch.nodes["CodeSet"]["hm/codeset/key-codes"]["guid"] == "aaaaaaaa-aaaa-4aaa-8aaa-000000000001"
    coded_by = Counter((r["src"], r["dst"]) for r in batch.rels[("CODED_BY", "Extract", "User")])
    assert {u for e, u in coded_by if e == extract_id("ana_dual")} == {"hm/user/maria", "hm/user/tom"}
    assert {u for e, u in coded_by if e == extract_id("ben_mum")} == {"hm/user/maria", "hm/user/tom"}
    assert set(coded_by.values()) == {1}  # two codings by one user make one relation
    coded = {(r["src"], r["dst"]) for k, rows in batch.rels.items() if k[0] in ("CODED_AS", "ILLUSTRATES") for r in rows}
    assert (extract_id("ana_dual"), "hm/theme/power-and-control") in coded  # a coding with a theme illustrates it
    assert (extract_id("ben_mum"), "hm/code/future-plans") in coded
    in_study = Counter(k[1] for k, rows in batch.rels.items() if k[0] == "IN_STUDY" for _ in rows)
    assert in_study == {k: len(batch.nodes[k]) for k in in_study}


def test_handmade_project_round_trips_through_export_and_import_unchanged(store, tmp_path):
    batch, first = qdpx_batch(handmade_qdpx(tmp_path), "hm")
    store.apply(batch)
    before = snapshot(store)
    out = tmp_path / "export.qdpx"
    assert export_qdpx(store, "hm", out) == []
    qde = zipfile.ZipFile(out).read("project.qde")
    project_schema().validate(io.BytesIO(qde))
    again, warnings = qdpx_batch(out, "hm")
    # the tool's own source files and positions go back out, so the same oddities are read again;
    # Ben's attributes now come with a case
    assert messages(warnings) == [m for m in messages(first) if "has attributes but no case" not in m]
    store.apply(again)
    after = snapshot(store)
    # the one addition: "gender: ..." sets also became an attribute, which exports as a variable
    added = [json.loads(r) for r in set(after["ToolRecord"]) - set(before["ToolRecord"])]
    assert [(r["section"], r["xml"]) for r in added] == [
        ("Variables", f'<Variable guid="{refi.guid_for("hm/variable/gender")}" name="gender" typeOfVariable="Text" />')]
    assert {k: v for k, v in after.items() if "ToolRecord" not in k} == {
        k: v for k, v in before.items() if "ToolRecord" not in k}
    assert set(before["ToolRecord"]) < set(after["ToolRecord"])
    second = tmp_path / "second.qdpx"
    export_qdpx(store, "hm", second)
    assert second.read_bytes() == out.read_bytes()  # deterministic GUIDs, order and zip dates


def test_handmade_codebook_exports_as_a_valid_qdc_that_reads_back(store, tmp_path):
    batch, _ = qdpx_batch(handmade_qdpx(tmp_path), "hm")
    store.apply(batch)
    out = tmp_path / "codebook.qdc"
    assert export_qdc(store, "hm", out) == ["set 'Key codes': its document members cannot be exported"]
    codebook_schema(tmp_path).validate(str(out))
    back, warnings = qdc_batch(out, "hm")
    assert warnings == []
    for kind in ("Code", "Theme"):
        strip = {"origin"}
        assert {i: {k: v for k, v in r.items() if k not in strip} for i, r in back.nodes[kind].items()} == {
            i: {k: v for k, v in r.items() if k not in strip} for i, r in batch.nodes[kind].items()
        }
    for key in (("IN_THEME", "Code", "Theme"), ("SUBTHEME_OF", "Theme", "Theme"), ("IN_SET", "Code", "CodeSet")):
        assert {(r["src"], r["dst"]) for r in back.rels[key]} == {(r["src"], r["dst"]) for r in batch.rels[key]}


def test_handmade_input_is_valid_refi_qda_apart_from_its_positions(tmp_path):
    project_schema().validate(io.BytesIO(zipfile.ZipFile(handmade_qdpx(tmp_path)).read("project.qde")))


# --- exporting graphs that did not come from REFI-QDA ----------------------------------------


def test_export_of_a_study_bundle_graph_is_valid_and_says_what_it_leaves_out(store, tmp_path):
    store.apply(literature_batch())
    store.apply(study_batch("s1"))
    out = tmp_path / "s1.qdpx"
    warnings = export_qdpx(store, "s1", out)
    assert warnings == ["4 extracts are in no document (quotes from a paper?): left out"]
    project_schema().validate(io.BytesIO(zipfile.ZipFile(out).read("project.qde")))
    again, _ = qdpx_batch(out, "s1")
    assert set(again.nodes["Code"]) == {f"s1/code/code-{i}" for i in range(4)}
    assert json.loads(again.nodes["Participant"]["s1/participant/pa"]["attributes"]) == {"role": "psychologist"}
    with pytest.raises(ThemeGraphError, match="no study 'nope'"):
        export_qdc(store, "nope", tmp_path / "nope.qdc")


def test_export_names_what_refi_qda_cannot_hold_and_stays_valid(store, tmp_path):
    b = Batch("test:x", loader="test")
    b.node("Study", "x", name="X")
    a, t, c = "x/theme/a", "x/theme/b", "x/code/c"
    b.node("Theme", a, name="A", study="x", level="emerging")
    b.node("Theme", t, name="B", study="x", level="emerging")
    b.rel("SUBTHEME_OF", ("Theme", a), ("Theme", t))
    b.rel("SUBTHEME_OF", ("Theme", t), ("Theme", a))
    b.node("Code", c, name="C", study="x")
    b.rel("IN_THEME", ("Code", c), ("Theme", a))
    b.rel("IN_THEME", ("Code", c), ("Theme", t))
    b.rel("LINKED_TO", ("Code", c), ("Theme", a), relation="odd", direction="sideways")
    b.node("Finding", "x/finding/f", name="F", study="x")
    b.node("Memo", "x/memo/m", name="M", study="x", text="about F", created="yesterday")
    b.rel("ANNOTATES", ("Memo", "x/memo/m"), ("Finding", "x/finding/f"))
    b.node("Participant", "x/participant/p", name="P", study="x")
    b.node("CodeSet", "x/codeset/s", name="S", study="x")
    b.rel("IN_SET", ("Participant", "x/participant/p"), ("CodeSet", "x/codeset/s"))
    b.rel("IN_SET", ("Code", c), ("CodeSet", "x/codeset/s"))
    store.apply(b)
    out = tmp_path / "x.qdpx"
    assert sorted(export_qdpx(store, "x", out)) == [
        "code 'x/code/c' is under 2 themes; REFI-QDA codes have one parent: exported under 'x/theme/a'",
        "link 'odd': direction 'sideways' is not a REFI-QDA one; left out",
        "memo 'x/memo/m' about finding 'x/finding/f': REFI-QDA has no findings; link left out",
        "memo 'x/memo/m': created 'yesterday' is not an ISO date-time; left out",
        "set 'S': its participant members cannot be exported",
        "theme 'x/theme/b' holds no codes here: REFI-QDA cannot tell it from a code",
        "themes around 'x/theme/a' are each other's sub-themes: 'x/theme/a' exported at the top",
    ]
    project_schema().validate(io.BytesIO(zipfile.ZipFile(out).read("project.qde")))
    back, _ = qdpx_batch(out, "x")  # the cycle is broken at A, and the empty theme B reads back as a code
    assert {(r["src"], r["dst"]) for r in back.rels[("IN_THEME", "Code", "Theme")]} == {(c, a), ("x/code/b", a)}


# --- counting conventions --------------------------------------------------------------------


def test_positions_in_code_points_are_never_reinterpreted_even_with_emoji():
    text = "A 😀 day. Then 🎉 came the best part of it all."
    source = decode_text(text.encode())
    phrases = ["day", "came the best part", "all"]
    selections = [(text.index(p), text.index(p) + len(p)) for p in phrases]
    scheme, misfits = choose_scheme(source, selections)
    assert scheme.deviations == () and misfits == 0


def test_utf16_positions_are_detected_by_words_they_would_split_and_surrogates():
    text = "A 😀 day. Then 🎉 came the best part of it all."
    source = decode_text(text.encode())
    phrases = ["day", "came the best part", "all"]
    selections = [(utf16_units(text[: text.index(p)]), utf16_units(text[: text.index(p)]) + len(p)) for p in phrases]
    scheme, misfits = choose_scheme(source, selections)
    assert scheme.deviations == ("utf16",) and misfits == 0
    assert [text[scheme.index(s) : scheme.index(e)] for s, e in selections] == phrases
    assert scheme.index(utf16_units("A ") + 1) is None  # inside the surrogate pair of 😀


def test_positions_that_count_the_byte_order_mark_are_shifted_back():
    text = "Alpha beta gamma delta."
    source = decode_text(b"\xef\xbb\xbf" + text.encode())
    selections = [(text.index(w) + 1, text.index(w) + 1 + len(w)) for w in ("beta", "gamma", "delta")]
    scheme, _ = choose_scheme(source, selections)
    assert scheme.deviations == ("bom",)


# --- tolerated oddities ----------------------------------------------------------------------


def test_odd_but_readable_projects_import_with_a_warning_for_each_oddity(tmp_path):
    body = """<Users><User guid="u-1"/></Users>
<CodeBook><Codes><Code guid="c-1" name="Top" isCodable="true"><Code guid="c-2" name="Leaf" isCodable="true"/></Code></Codes></CodeBook>
<Sources><TextSource guid="s-1" plainTextPath="talk.txt">
<PlainTextSelection guid="x-1" startPosition="6" endPosition="11"><Coding guid="k-1" creatingUser="u-1"><CodeRef targetGUID="{C-2}"/></Coding></PlainTextSelection>
</TextSource><PictureSource guid="p-1" path="internal://p.png"/></Sources>"""
    path = zip_members(
        tmp_path / "odd.qdpx",
        {"project.qde": project_xml(body, ns='xmlns="urn:QDA-XML:project:1:0"', name=""),
         "Sources/talk.txt": "Hello world\r\nbye".encode("cp1252")},
    )
    batch, warnings = qdpx_batch(path, "odd")
    for expected in (
        "namespace 'urn:QDA-XML:project:1:0' instead of 'urn:QDA-XML:project:1.0'",
        "path 'talk.txt' lacks internal://",
        "sources are in Sources/, not sources/",
        "source 'talk.txt' has CRLF line endings",
        "1 Project element(s) without a name",
        "1 TextSource element(s) without a name",
        "1 User element(s) without a name",
        "5 ids are not GUIDs (e.g. 'c-1', 'c-2', 's-1')",
        "1 PictureSource(s) kept as they are for export",
    ):
        assert any(expected in w for w in warnings), (expected, warnings)
    assert batch.nodes["Study"]["odd"]["name"] == "odd"  # named after the file
    (extract,) = batch.nodes["Extract"].values()
    assert extract["text"] == "world"
    assert batch.rels[("CODED_AS", "Extract", "Code")][0]["dst"] == "odd/code/leaf"  # braces, case ignored
    assert batch.rels[("CODED_BY", "Extract", "User")][0]["dst"] == "odd/user/u-1"


def test_a_source_that_is_not_utf8_is_read_as_windows_1252():
    source = decode_text("café “quoted”".encode("cp1252"))
    assert source.text == "café “quoted”" and "read as Windows-1252" in source.notes[0]


# --- hostile and broken input ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["../evil.txt", "sources/../../evil.txt", "/etc/evil.txt", "C:\\evil.txt"])
def test_member_names_that_escape_the_archive_refuse_it(tmp_path, name):
    path = zip_members(tmp_path / "t.qdpx", {"project.qde": project_xml(""), name: b"x"})
    with pytest.raises(InputError, match="unsafe member name"):
        qdpx_batch(path, "t")


def test_too_many_members_is_refused_before_reading_any(tmp_path, monkeypatch):
    monkeypatch.setattr(refi.archive, "MAX_MEMBERS", 5)
    members = {"project.qde": project_xml("")} | {f"sources/{i}.txt": b"x" for i in range(5)}
    with pytest.raises(InputError, match="6 members, more than the 5"):
        qdpx_batch(zip_members(tmp_path / "many.qdpx", members), "t")


def test_a_member_that_unpacks_past_the_size_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(refi.archive, "MAX_BYTES", 1_000_000)
    bomb = project_xml("<!--" + " " * 2_000_000 + "-->")
    path = zip_members(tmp_path / "bomb.qdpx", {"project.qde": bomb})
    assert path.stat().st_size < 20_000  # two megabytes packed into a few kilobytes
    with pytest.raises(InputError, match="unpacks past the limit of 1000000 bytes"):
        qdpx_batch(path, "t")


def test_sources_count_against_the_same_size_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(refi.archive, "MAX_BYTES", 10_000)
    body = '<Sources><TextSource guid="s-1" name="a" plainTextPath="internal://a.txt"/></Sources>'
    path = zip_members(tmp_path / "big.qdpx", {"project.qde": project_xml(body), "sources/a.txt": b"a" * 20_000})
    with pytest.raises(InputError, match="sources/a.txt unpacks past the limit"):
        qdpx_batch(path, "t")


ENTITY_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE Project [
 <!ENTITY a "aaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&b;"/>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Project [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&secret;"/>
"""


@pytest.mark.parametrize("qde", [ENTITY_BOMB, EXTERNAL_ENTITY], ids=["expansion", "external"])
def test_entity_declarations_are_refused(tmp_path, qde):
    with pytest.raises(InputError, match=r"t.qdpx:project.qde:[23]: the XML declares entities"):
        qdpx_batch(zip_members(tmp_path / "t.qdpx", {"project.qde": qde}), "t")


def test_malformed_xml_names_file_line_and_column(tmp_path):
    body = '<Users>\n<User guid="11111111-1111-4111-8111-000000000001" name="a"/>\n</Usres>'
    path = zip_members(tmp_path / "bad.qdpx", {"project.qde": project_xml(body)})
    with pytest.raises(InputError) as caught:
        qdpx_batch(path, "t")
    assert caught.value.problems == ["bad.qdpx:project.qde:5: column 3: malformed XML: mismatched tag"]


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    path = tmp_path / "notes.qdpx"
    path.write_text("just some notes")
    with pytest.raises(InputError, match="notes.qdpx: not a zip archive"):
        qdpx_batch(path, "t")


def test_a_project_file_under_another_name_is_read_with_a_warning(tmp_path):
    batch, warnings = qdpx_batch(zip_members(tmp_path / "t.qdpx", {"Study.qde": project_xml("")}), "t")
    assert batch.nodes["Study"]["t"]["name"] == "p"
    assert warnings == ["t.qdpx:Study.qde: no project.qde; read Study.qde instead"]


def test_a_zip_without_a_project_is_refused(tmp_path):
    with pytest.raises(InputError, match="no project.qde"):
        qdpx_batch(zip_members(tmp_path / "t.qdpx", {"sources/a.txt": b"a"}), "t")


def test_a_codebook_that_is_a_project_or_malformed_is_refused(tmp_path):
    qdc = tmp_path / "cb.qdc"
    qdc.write_bytes(project_xml(""))
    with pytest.raises(InputError, match="root element is <Project>, not <CodeBook>"):
        qdc_batch(qdc, "t")
    qdc.write_bytes(b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code name="a" guid="x">\n</Codes>')
    with pytest.raises(InputError, match=r"cb.qdc:2: column 3: malformed XML"):
        qdc_batch(qdc, "t")


def test_external_sources_are_never_opened_and_go_back_out_as_they_were(store, tmp_path):
    body = '<Sources><TextSource guid="s-1" name="a" plainTextPath="absolute:///etc/hostname"/></Sources>'
    batch, warnings = qdpx_batch(zip_members(tmp_path / "t.qdpx", {"project.qde": project_xml(body)}), "t")
    assert batch.nodes["Document"]["t/document/a"]["text"] is None
    assert any("external source 'absolute:///etc/hostname' is not read" in w for w in warnings)
    store.apply(batch)
    assert export_qdpx(store, "t", tmp_path / "out.qdpx") == ["document 'a' has no text: exported without it or its selections"]
    qde = ElementTree.fromstring(zipfile.ZipFile(tmp_path / "out.qdpx").read("project.qde"))
    assert qde.find(f"{NS}Sources/{NS}TextSource").get("plainTextPath") == "absolute:///etc/hostname"


def test_identical_names_are_told_apart_deterministically():
    ids = unique_ids("s", "code", [["x", "a x"], ["x", "b x"], ["y"], ["z", "q z"], ["z", "q z"]])
    assert ids == ["s/code/a-x", "s/code/b-x", "s/code/y", "s/code/q-z", "s/code/q-z-2"]
    assert re.fullmatch(r"[0-9a-f-]{36}", refi.guid_for("s/code/a-x"))
