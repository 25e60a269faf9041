"""Import a Taguette analysis: its project database, its highlights export or its codebook.

Taguette (taguette.org) keeps a project in SQLite: ``documents`` hold sanitised HTML,
``highlights`` a span of a document (offsets in UTF-8 bytes of the document's text, tags not
counted) and its ``snippet`` of HTML, ``tags`` a ``path`` and a description, ``highlight_tags``
which tags each highlight carries.  The same file is what "Export project" downloads.

- A document's text is its HTML's text nodes in order, so every highlight's offsets become
  character offsets into it; an extract's text is its snippet stripped as Taguette shows it
  (each text node stripped, joined by one space).
- A tag path with the separator (``.`` unless ``tag_separator`` says otherwise) is a hierarchy:
  ``learning.positive`` is the code "positive" under the theme "learning".
- One Extract per highlight, coded with all its tags.

The highlights export (CSV or XLSX: ``id, document, tag, content``, one row per highlight and
tag) has no positions and no document text; the codebook export (``.qdc``) has tag paths only.
docs/taguette.md has a worked example.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from ..errors import InputError
from ..graph.batch import Batch
from ..readers.sqlitefile import open_database, require, rows
from ..readers.tabular import read_table
from .analysis import Analysis
from .participants import ParticipantRule, add_participants

#: Taguette marks its databases with this SQLite application id ('Tgtt').
APPLICATION_ID = 0x54677474
TABLES = {
    "projects": ("id", "name", "description"),
    "documents": ("id", "name", "description", "filename", "project_id", "contents"),
    "tags": ("id", "project_id", "path", "description"),
    "highlights": ("id", "document_id", "start_offset", "end_offset", "snippet"),
    "highlight_tags": ("highlight_id", "tag_id"),
}
EXPORT_COLUMNS = ("id", "document", "tag", "content")
_NEWLINES = re.compile(r"\r\n?")


class _TextNodes(HTMLParser):
    """The text nodes of an HTML fragment, in document order (entities decoded)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style", "head")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style", "head") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.nodes.append(data)


def text_nodes(html: str) -> list[str]:
    """Text nodes of ``html`` as an HTML5 parser sees them (line breaks normalised to ``\\n``)."""
    parser = _TextNodes()
    parser.feed(_NEWLINES.sub("\n", html).replace("\x00", "\ufffd"))
    parser.close()
    return parser.nodes


def document_text(html: str) -> str:
    """The text Taguette counts highlight offsets over: every text node, nothing between them."""
    return "".join(text_nodes(html))


def shown_text(html: str) -> str:
    """A snippet as Taguette shows and exports it: text nodes stripped, joined by one space."""
    return " ".join(s.strip() for s in text_nodes(html) if s.strip())


class _ByteIndex:
    """Character index of a UTF-8 byte offset into a text (rounded up to a whole character, as
    Taguette's ``split_utf8`` does)."""

    def __init__(self, text: str):
        self.text = text
        self.data = text.encode("utf-8")
        self.ascii = len(self.data) == len(text)

    def char(self, offset: int) -> int | None:
        if not 0 <= offset <= len(self.data):
            return None
        if self.ascii:
            return offset
        while offset < len(self.data) and 0x80 <= self.data[offset] <= 0xBF:
            offset += 1
        return len(self.data[:offset].decode("utf-8"))  # C speed; a document's highlights are few


def _split(path: str, separator: str) -> list[str]:
    parts = path.split(separator) if separator else [path]
    return [p for p in parts if p.strip()] or [path]


def _project_row(conn, path: Path, project: str | None):
    projects = rows(conn, path, "SELECT id, name, description FROM projects ORDER BY id")
    if project is not None:
        chosen = [p for p in projects if str(p["id"]) == str(project) or p["name"] == project]
    else:
        chosen = projects
    if len(chosen) == 1:
        return chosen[0]
    listing = "; ".join(f"{p['id']}: {p['name']}" for p in projects) or "none"
    if not chosen and project is not None:
        raise InputError(f"{path}: no project {project!r} (projects: {listing})")
    raise InputError(f"{path}: {len(projects)} projects in this database; choose one with --project ({listing})")


def read_database(path: Path, study: str, *, tag_separator: str = ".", project: str | None = None,
                  participants: ParticipantRule | None = None) -> tuple[Batch, list[str]]:
    """A Taguette project database (or its "Export project" file) as a Batch."""
    path = Path(path)
    conn = open_database(path)
    try:
        require(conn, path, "a Taguette database", TABLES)
        row = _project_row(conn, path, project)
        pid = row["id"]
        batch = Batch(f"taguette:{study}", path=str(path), loader="taguette")
        p = Analysis(batch, study)
        where = path.name
        batch.node("Study", study, origin=f"{where}:projects/{pid}", name=row["name"] or study)
        p.memo(f"Description of {row['name']}", row["description"], f"{where}:projects/{pid}", ("Study", study))
        tags = {}
        for t in rows(conn, path, "SELECT id, path, description FROM tags WHERE project_id = ? ORDER BY id", (pid,)):
            origin = f"{where}:tags/{t['id']}"
            if not isinstance(t["path"], str) or not t["path"].strip():
                p.warn(f"{origin}: a tag without a path: skipped")
                continue
            tags[t["id"]] = p.code(_split(t["path"], tag_separator), origin, _text(t["description"]))
        docs = {}
        for d in rows(conn, path, "SELECT id, name, description, filename, contents FROM documents "
                                  "WHERE project_id = ? ORDER BY id", (pid,)):
            origin = f"{where}:documents/{d['id']}"
            if not isinstance(d["contents"], str):
                raise InputError(f"{origin}: the document's contents are not text")
            text = document_text(d["contents"])
            name = _text(d["name"]) or _text(d["filename"]) or f"document {d['id']}"
            doc_id = p.document(name, origin, text=text, path=_text(d["filename"]))
            p.memo(f"Description of {name}", _text(d["description"]), origin, ("Document", doc_id))
            docs[d["id"]] = (doc_id, name, _ByteIndex(text))
        coded = {}
        for t in rows(conn, path, "SELECT highlight_id, tag_id FROM highlight_tags ORDER BY highlight_id, tag_id"):
            coded.setdefault(t["highlight_id"], []).append(t["tag_id"])
        outside = 0
        for h in rows(conn, path, "SELECT h.id, h.document_id, h.start_offset, h.end_offset, h.snippet "
                                  "FROM highlights h JOIN documents d ON d.id = h.document_id "
                                  "WHERE d.project_id = ? ORDER BY h.document_id, h.start_offset, h.id", (pid,)):
            origin = f"{where}:highlights/{h['id']}"
            doc_id, name, index = docs[h["document_id"]]
            start, end = (index.char(v) if isinstance(v, int) else None for v in (h["start_offset"], h["end_offset"]))
            if start is None or end is None or start > end:
                outside += 1
                continue
            snippet = h["snippet"] if isinstance(h["snippet"], str) else ""
            text = shown_text(snippet) or " ".join(index.text[start:end].split())
            extract = p.extract(doc_id, origin, text, start, end)
            for tag_id in coded.get(h["id"], []):
                if tag_id in tags:
                    p.coding(extract, tags[tag_id], origin)
        if outside:
            p.warn(f"{where}: {outside} highlights lie outside their document's text: skipped")
        return batch, p.finish() + add_participants(batch, study, participants)
    finally:
        conn.close()


def _text(value) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def read_highlights(path: Path, study: str, *, tag_separator: str = ".",
                    participants: ParticipantRule | None = None) -> tuple[Batch, list[str]]:
    """Taguette's highlights export (CSV or XLSX): extracts and their tags, without positions."""
    path = Path(path)
    table = read_table(path, EXPORT_COLUMNS)
    batch = Batch(f"taguette:{study}", path=str(path), loader="taguette")
    p = Analysis(batch, study)
    batch.node("Study", study, origin=f"{path.name}:1")
    docs: dict[str, str] = {}
    problems = []
    for row in table:
        hid, document, content = row.get("id"), row.get("document"), row.get("content")
        if not hid or not document or not content:
            problems.append(f"{row.origin}: a highlight needs an id, a document and its content")
            continue
        if document not in docs:
            docs[document] = p.document(document, row.origin)
        extract = p.extract(docs[document], row.origin, content, key=f"highlight-{hid}")
        if batch.nodes["Extract"][extract]["text"] != content:
            problems.append(f"{row.origin}: highlight {hid} has two different contents")
            continue
        if row.get("tag"):
            p.coding(extract, p.code(_split(row.get("tag"), tag_separator), row.origin), row.origin)
    if problems:
        raise InputError(problems)
    p.warn(f"{path.name}: a highlights export has no positions or document text; "
           "load the project's .sqlite3 export to keep them (and export .qdpx selections)")
    return batch, p.finish() + add_participants(batch, study, participants)


def read_codebook(path: Path, study: str, *, tag_separator: str = ".") -> tuple[Batch, list[str]]:
    """Taguette's codebook export (.qdc): its tags as codes and themes, the same ids as a project load."""
    from .refi.elements import parse_xml

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    root = parse_xml(data, path.name)
    if root.tag != "CodeBook":
        raise InputError(f"{path.name}:{root.line}: the root element is <{root.tag}>, not <CodeBook>")
    batch = Batch(f"taguette-codebook:{study}", path=str(path), loader="taguette")
    p = Analysis(batch, study)
    batch.node("Study", study, origin=f"{path.name}:{root.line}")
    codes = root.first("Codes")
    stack = [(c, ()) for c in reversed(codes.all("Code"))] if codes is not None else []
    while stack:  # nested Codes (another tool's codebook) keep their nesting
        el, above = stack.pop()
        name = (el.get("name") or "").strip()
        if not name:
            p.warn(f"{path.name}:{el.line}: a code without a name: skipped")
            continue
        here = (*above, *_split(name, tag_separator))
        d = el.first("Description")
        p.code(here, f"{path.name}:{el.line}", d.text.strip() if d is not None else None)
        stack += [(c, here) for c in reversed(el.all("Code"))]
    return batch, p.finish()


def is_taguette_export(header: list[str]) -> bool:
    """Whether a spreadsheet's header is Taguette's highlights export."""
    return [h.strip().lower() for h in header[:4]] == list(EXPORT_COLUMNS)


def load(path: Path, study: str, *, tag_separator: str = ".", project: str | None = None,
         participants: ParticipantRule | None = None) -> tuple[Batch, list[str]]:
    """Any Taguette file: project database, highlights export (CSV/XLSX) or codebook (.qdc)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".qdc":
        return read_codebook(path, study, tag_separator=tag_separator)
    if suffix in (".csv", ".xlsx"):
        return read_highlights(path, study, tag_separator=tag_separator, participants=participants)
    return read_database(path, study, tag_separator=tag_separator, project=project, participants=participants)
