"""Property-based fuzzing (hypothesis) of the Taguette, QualCoder and coded-segments readers, the
participant rule and the file recogniser, with the machinery and properties of tests/test_fuzz.py:
a reader fails only with a ThemeGraph error, never hangs, and a valid generated input gives back
what was generated.

Inputs: the real fixtures with byte-level mutations; databases built with each tool's schema and
generated rows (NULLs, wrong types, offsets outside the text, split characters, category loops,
HTML of any shape); spreadsheets with each tool's header and generated cells; noise.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from test_fuzz import (
    FREE_TEXT,
    LABEL,
    NASTY,
    SLOW,
    csv_bytes,
    fuzz,
    mutated,
    noise,
    parse,
    scratch,
    workdir,
    write,
)

from themegraph.loaders import qualcoder, segments, taguette
from themegraph.loaders.participants import participant_rule
from themegraph.loaders.registry import recognise

__all__ = ["scratch"]  # the module-wide scratch folder fixture of test_fuzz

DATA = Path(__file__).parent / "data"
TAGUETTE_DB = (DATA / "taguette" / "project.sqlite3").read_bytes()
QUALCODER_DB = (DATA / "qualcoder" / "history-course.qda" / "data.qda").read_bytes()
#: a database file's cells: what SQLite stores when a tool (or damage) puts anything anywhere
CELL = st.one_of(st.none(), st.integers(-2**40, 2**40), FREE_TEXT, st.binary(max_size=8), st.floats(allow_nan=True))
HTML = st.lists(st.one_of(st.sampled_from(["<p>", "</p>", "<b>", "</b>", "<br>", "<script>x</script>", "&amp;",
                                           "&#x1F61F;", "&#0;", "<!-- c -->", "<![CDATA[x]]>", "\r\n", "€", "<"]),
                          FREE_TEXT), max_size=12).map("".join)


def taguette_db(folder: Path, documents, tags, highlights) -> Path:
    path = folder / "t.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE projects (id INTEGER PRIMARY KEY, name, description);"
        "CREATE TABLE documents (id INTEGER PRIMARY KEY, name, description, filename, project_id, contents);"
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, project_id, path, description);"
        "CREATE TABLE highlights (id INTEGER PRIMARY KEY, document_id, start_offset, end_offset, snippet);"
        "CREATE TABLE highlight_tags (highlight_id, tag_id);"
        "INSERT INTO projects VALUES (1, 'p', '');")
    conn.executemany("INSERT INTO documents (name, description, filename, project_id, contents) VALUES (?,?,?,1,?)",
                     documents)
    conn.executemany("INSERT INTO tags (project_id, path, description) VALUES (1,?,?)", tags)
    for document_id, start, end, snippet, tag_ids in highlights:
        cur = conn.execute("INSERT INTO highlights (document_id, start_offset, end_offset, snippet) VALUES (?,?,?,?)",
                           (document_id, start, end, snippet))
        conn.executemany("INSERT INTO highlight_tags VALUES (?,?)", [(cur.lastrowid, t) for t in tag_ids])
    conn.commit()
    conn.close()
    return path


@given(data=mutated(st.just(TAGUETTE_DB), (b"SQLite format 3\x00", b"\x00" * 64)))
@fuzz(SLOW)
def test_damaged_taguette_databases_never_crash(scratch, data):
    with workdir(scratch) as folder:
        parse(taguette.load, write(folder, "p.sqlite3", data), "s")


@given(documents=st.lists(st.tuples(CELL, CELL, CELL, st.one_of(HTML, CELL)), min_size=1, max_size=3),
       tags=st.lists(st.tuples(st.one_of(LABEL, st.just("a..b"), st.just("."), CELL), CELL), max_size=4),
       highlights=st.lists(st.tuples(st.integers(1, 3), st.one_of(st.integers(-5, 60), CELL),
                                     st.one_of(st.integers(-5, 60), CELL), st.one_of(HTML, CELL),
                                     st.lists(st.integers(1, 5), max_size=3, unique=True)), max_size=5),
       separator=st.sampled_from([".", "", "/", ".."]))
@fuzz(SLOW)
def test_generated_taguette_databases_never_crash(scratch, documents, tags, highlights, separator):
    with workdir(scratch) as folder:
        path = taguette_db(folder, documents, tags, highlights)
        result = parse(taguette.load, path, "s", tag_separator=separator)
        if result:
            batch, _ = result
            for row in batch.nodes.get("Extract", {}).values():
                assert 0 <= row["char_start"] <= row["char_end"]


@given(html=HTML)
@fuzz()
def test_taguette_text_of_any_html_never_crashes(html):
    text = parse(taguette.document_text, html)
    shown = parse(taguette.shown_text, html)
    assert shown is not None and text is not None and "\r" not in text
    assert shown == " ".join(shown.split(" ")) and shown == shown.strip()


@given(data=mutated(st.just(QUALCODER_DB), (b"\x00" * 64,)))
@fuzz(SLOW)
def test_damaged_qualcoder_projects_never_crash(scratch, data):
    with workdir(scratch) as folder:
        parse(qualcoder.load, write(folder, "data.qda", data), "s")


@given(cats=st.lists(st.tuples(st.one_of(LABEL, CELL), st.one_of(st.integers(1, 4), st.none())), max_size=4),
       codes=st.lists(st.tuples(st.one_of(LABEL, CELL), st.one_of(st.integers(1, 4), st.none()),
                                st.one_of(st.integers(1, 4), st.none())), min_size=1, max_size=4),
       text=st.one_of(FREE_TEXT, CELL),
       codings=st.lists(st.tuples(st.integers(0, 5), st.one_of(st.integers(-3, 40), CELL),
                                  st.one_of(st.integers(-3, 40), CELL), CELL, CELL), max_size=5),
       cases=st.lists(st.tuples(st.one_of(LABEL, CELL), st.one_of(st.integers(-3, 40), CELL)), max_size=3))
@fuzz(SLOW)
def test_generated_qualcoder_projects_never_crash(scratch, cats, codes, text, codings, cases):
    with workdir(scratch) as folder:
        path = folder / "data.qda"
        path.write_bytes(QUALCODER_DB)
        conn = sqlite3.connect(path)
        conn.executescript("DELETE FROM code_cat; DELETE FROM code_name; DELETE FROM code_text; DELETE FROM source;"
                           "DELETE FROM cases; DELETE FROM case_text; DELETE FROM attribute;")
        conn.executemany("INSERT OR IGNORE INTO code_cat (name, supercatid) VALUES (?,?)", cats)  # loops included
        for name, catid, supercid in codes:
            conn.execute("INSERT OR IGNORE INTO code_name (name, catid, supercid) VALUES (?,?,?)", (name, catid, supercid))
        conn.execute("INSERT INTO source (id, name, fulltext) VALUES (1, 'f', ?)", (text,))
        conn.executemany("INSERT OR IGNORE INTO code_text (cid, fid, pos0, pos1, seltext, owner) VALUES (?,1,?,?,?,?)",
                         codings)
        for n, (name, end) in enumerate(cases, 1):
            conn.execute("INSERT OR IGNORE INTO cases (caseid, name) VALUES (?,?)", (n, name))
            conn.execute("INSERT INTO case_text (caseid, fid, pos0, pos1) VALUES (?,1,0,?)", (n, end))
        conn.commit()
        conn.close()
        parse(qualcoder.load, path, "s")


SEGMENT_HEADERS = [
    ["Document name", "Code", "Beginning", "End", "Segment", "Comment", "Created by"],
    ["ID", "Document", "Codes", "Quotation Content", "Comment", "Start", "End", "Created by"],
    ["Code", "File", "Coded Text", "Coded By"],
]


@st.composite
def segments_file(draw):
    """A generated coded-segments export of one tool: (csv bytes, the texts it holds)."""
    header = draw(st.sampled_from(SEGMENT_HEADERS))
    rows = draw(st.lists(st.lists(st.one_of(LABEL, st.just("A > B"), st.just("A\\B"), FREE_TEXT),
                                  min_size=len(header), max_size=len(header)), max_size=6))
    return csv_bytes([header, *rows]), rows


@given(case=st.one_of(segments_file().map(lambda c: c[0]), mutated(segments_file().map(lambda c: c[0])),
                      noise((b"Document name,Code,Segment\n",))),
       tool=st.sampled_from([None, "maxqda", "atlas", "nvivo"]))
@fuzz()
def test_segments_exports_never_crash(scratch, case, tool):
    with workdir(scratch) as folder:
        parse(segments.load, write(folder, "s.csv", case), "s", tool=tool)


@given(value=st.one_of(st.text(max_size=20), st.sampled_from(["(", "[a-", "(?P<x", "^(P\\d+)_", "a{99999999}"])),
       name=FREE_TEXT)
@fuzz()
def test_participant_rules_never_crash(value, name):
    rule = parse(participant_rule, value)
    if rule is not None:
        parse(rule.participant_of, name)


@given(data=st.one_of(noise((b"SQLite format 3\x00", b"PK\x03\x04", b"<CodeBook", b"@article{", b"TY  - ")),
                      mutated(st.sampled_from([TAGUETTE_DB[:4096], b'<?xml version="1.0"?><CodeBook origin="Taguette">',
                                               b"id,document,tag,content\n1,a,b,c\n"]), NASTY)),
       suffix=st.sampled_from(["", ".csv", ".xlsx", ".qdc", ".sqlite3", ".qdpx", ".txt", ".bib"]))
@fuzz()
def test_recognising_any_file_never_crashes(scratch, data, suffix):
    with workdir(scratch) as folder:
        parse(recognise, write(folder, f"f{suffix}", data))
