"""Build the Taguette fixtures of this folder with Taguette's own code (not by writing its schema).

Run with a Python that has Taguette installed (it is not a ThemeGraph dependency)::

    python3 -m venv /tmp/taguette-venv && /tmp/taguette-venv/bin/pip install taguette==1.5.2
    /tmp/taguette-venv/bin/python tests/data/taguette/build.py

What it does, step by step, with Taguette 1.5.2's modules:

1. ``taguette.database.connect`` creates a fresh Taguette database (tables, Alembic stamp,
   SQLite application id) and a project owned by ``admin``.
2. The three documents of ``tests/data/sources`` are imported as Taguette imports an HTML upload:
   the text becomes ``<p>`` paragraphs and goes through ``convert.get_html_body`` (its sanitiser).
3. Tags are added with descriptions; highlights are added as the ``HighlightAdd`` API handler
   adds them: offsets in UTF-8 bytes of the document's text, snippet from ``extract.extract``.
4. Taguette's exporters write ``highlights.csv`` / ``highlights.xlsx`` (``export.highlights_csv``,
   ``export.highlights_xslx``) and ``codebook.qdc`` (``export.codebook_xml``); the project itself
   is exported as ``database.copy_project`` exports it (the "Export project" .sqlite3 file).
5. A second version of the analysis: one tag renamed, one merged into another (the statements of
   the ``TagMerge`` handler), one deleted and one added; exported again as ``project-v2.sqlite3``.
"""

from __future__ import annotations

import html
import shutil
import tempfile
from pathlib import Path

import bs4
from sqlalchemy import and_
from taguette import database, export
from taguette.convert import get_html_body
from taguette.extract import extract

HERE = Path(__file__).resolve().parent
SOURCES = HERE.parent / "sources"

DOCUMENTS = [  # (name, description, source file)
    ("ID1 interview", "Student ID1, written answer", "ID1.txt"),
    ("ID2 interview", "Student ID2, written answer", "ID2.txt"),
    ("Focus group", "Three students, speakers marked [id1] [id2] [id3]", "transcript.txt"),
]
TAGS = [  # (path, description)
    ("learning.positive", "Enjoys or gains from the learning"),
    ("learning.struggling", "Finds the material or the pace hard"),
    ("course.slides", "About the lecture slides"),
    ("course.assignments", "About the written assignments"),
    ("cost", "Money spent on the course"),
    ("career", ""),
    ("support", "Help from family, tutors or peers"),
    ("interesting", ""),
]
HIGHLIGHTS = [  # (document, quoted text, tags)
    ("ID1 interview", "I really like learning new things.", ["learning.positive"]),
    ("ID1 interview", "The structured content, lecture slides and web links have been really good.",
     ["course.slides", "learning.positive"]),
    ("ID1 interview", "lecture slides", ["course.slides"]),
    ("ID1 interview", "but its like a duck to water for me - no problem at all.\nI also like the other students",
     ["interesting"]),
    ("ID1 interview", "I'm happy to pay €200.", ["cost"]),
    ("ID2 interview", "my father Joe Bloggs really encouraged me to study again.", ["support"]),
    ("ID2 interview", "I have struggled understanding the lecture slides so far",
     ["learning.struggling", "course.slides"]),
    ("ID2 interview", "I really want someone to sit down with me and explain the course material.",
     ["support", "learning.struggling"]),
    ("ID2 interview", "The course cost €200.00 and I do not want to waste my money.", ["cost"]),
    ("Focus group", "[id2] I am struggling with the lecture slides.", ["learning.struggling", "course.slides"]),
    ("Focus group", "I think there were too many for the short semester period.", ["course.assignments"]),
    ("Focus group", "it will be good for my career at the museum.", ["career"]),
    ("Focus group", "It's a good course overall", []),
]


def paragraphs_html(text: str) -> bytes:
    """A plain-text file as the HTML a researcher would upload: one <p> per non-empty line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return ("<html><head><meta charset=\"utf-8\"></head><body>" + "\n".join(f"<p>{html.escape(line)}</p>" for line in lines)
            + "</body></html>").encode("utf-8")


def text_nodes(contents: str) -> str:
    """The text Taguette counts offsets over: every text node of the document, in order."""
    soup = bs4.BeautifulSoup(contents, "html5lib")
    return "".join(str(s) for s in soup.body.descendants if isinstance(s, bs4.NavigableString))


def byte_offsets(contents: str, quote: str) -> tuple[int, int]:
    text = text_nodes(contents)
    start = text.index(quote)
    return len(text[:start].encode("utf-8")), len(text[: start + len(quote)].encode("utf-8"))


def add_highlight(db, user, document, start: int, end: int, tags: list) -> database.Highlight:
    """What the HighlightAdd API handler does."""
    snippet = extract(document.contents, start, end)
    hl = database.Highlight(document=document, start_offset=start, end_offset=end, snippet=snippet)
    db.add(hl)
    db.flush()
    if tags:
        db.execute(database.highlight_tags.insert(),
                   [dict(highlight_id=hl.id, tag_id=t.id) for t in sorted(tags, key=lambda t: t.id)])
    db.add(database.Command.highlight_add(user.login, document, hl, sorted(t.id for t in tags)))
    return hl


def merge_tags(db, user, project, src, dest) -> None:
    """What the TagMerge API handler does."""
    in_dest = db.query(database.highlight_tags.c.highlight_id).filter(database.highlight_tags.c.tag_id == dest.id)
    db.execute(database.highlight_tags.delete(and_(database.highlight_tags.c.tag_id == src.id,
                                                   database.highlight_tags.c.highlight_id.in_(in_dest))))
    db.execute(database.highlight_tags.update().where(database.highlight_tags.c.tag_id == src.id)
               .values(tag_id=dest.id))
    db.delete(src)
    db.add(database.Command.tag_merge(user.login, project.id, src.id, dest.id))


def export_project(db, project, path: Path) -> None:
    """What the ExportSqlite handler does: a fresh database holding a copy of the project."""
    path.unlink(missing_ok=True)
    dest = database.connect(f"sqlite:///{path}")()
    dest.add(database.User(login="admin"))
    dest.commit()
    database.copy_project(db, dest, project.id, "admin")
    dest.commit()
    dest.close()


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="taguette-fixture-"))
    try:
        db = database.connect(f"sqlite:///{work / 'taguette.sqlite3'}")()
        user = database.User(login="admin")
        db.add(user)
        project = database.Project(name="Online history course", description="Students' views of a course")
        db.add(project)
        db.add(database.ProjectMember(project=project, user=user, privileges=database.Privileges.ADMIN))
        db.flush()
        docs = {}
        for name, description, source in DOCUMENTS:
            body = get_html_body(paragraphs_html((SOURCES / source).read_text(encoding="utf-8")))
            doc = database.Document(name=name, description=description, filename=source.replace(".txt", ".html"),
                                    project=project, text_direction=database.TextDirection.LEFT_TO_RIGHT,
                                    contents=body)
            db.add(doc)
            db.flush()
            db.add(database.Command.document_add(user.login, doc))
            docs[name] = doc
        tags = {}
        for path, description in TAGS:
            tag = database.Tag(project=project, path=path, description=description)
            db.add(tag)
            db.flush()
            db.add(database.Command.tag_add(user.login, tag))
            tags[path] = tag
        for doc_name, quote, tag_paths in HIGHLIGHTS:
            start, end = byte_offsets(docs[doc_name].contents, quote)
            add_highlight(db, user, docs[doc_name], start, end, [tags[p] for p in tag_paths])
        db.commit()

        with open(HERE / "highlights.csv", "w", newline="", encoding="utf-8") as f:
            export.highlights_csv(db, project.id, "", f)
        export.highlights_xslx(db, project.id, "", str(HERE / "highlights.xlsx"))
        with open(HERE / "codebook.qdc", "wb") as f:
            export.codebook_xml(list(project.tags), f)
        export_project(db, project, HERE / "project.sqlite3")

        # version 2 of the analysis
        tags["learning.struggling"].path = "difficulty"
        db.add(database.Command.tag_add(user.login, tags["learning.struggling"]))
        merge_tags(db, user, project, tags["interesting"], tags["learning.positive"])
        db.add(database.Command.tag_delete(user.login, project.id, tags["career"].id))
        db.delete(tags["career"])
        workload = database.Tag(project=project, path="workload", description="Amount of work asked")
        db.add(workload)
        db.flush()
        db.add(database.Command.tag_add(user.login, workload))
        quote = "I think there were too many for the short semester period."
        hl = next(h for h in docs["Focus group"].highlights if extract(docs["Focus group"].contents,
                  h.start_offset, h.end_offset).find("too many") >= 0)
        db.execute(database.highlight_tags.insert(), [dict(highlight_id=hl.id, tag_id=workload.id)])
        assert quote in text_nodes(docs["Focus group"].contents)
        db.commit()
        export_project(db, project, HERE / "project-v2.sqlite3")
        db.close()
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
