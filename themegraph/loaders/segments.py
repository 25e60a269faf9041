"""Import a coded-segments spreadsheet exported by MAXQDA, NVivo or ATLAS.ti (CSV or XLSX).

Each tool lists coded text one row per coding (MAXQDA's "Coded Segments" and NVivo's coding
exports) or one row per quotation with all its codes in one cell (ATLAS.ti's Quotation Manager).
The columns each tool writes are in :data:`TOOLS` (docs/segments.md gives their sources); a
header is matched with case, spaces and a BOM ignored.  The tool is told by the header unless
``tool`` names it.

- One Extract per (document, position) when the export gives positions (MAXQDA's Begin/End and
  ATLAS.ti's Start/End are paragraphs: kept in the extract's ``section``), else per (document,
  text); coded with every code named on its rows.  Code paths (``Parent\\Child``, ``A > B``)
  become themes and codes as in every other import.
- Coders become Users (CODED_BY), comments memos on the extract, a participant column (or
  ``--participant-from``) participants of the documents.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..graph.batch import Batch
from ..readers.tabular import Row, read_table
from .analysis import Analysis
from .participants import ParticipantRule, add_participants


@dataclass(frozen=True)
class Tool:
    """The columns one tool's export uses for each thing (first present wins) and how it writes code paths."""

    name: str
    document: tuple[str, ...]
    code: tuple[str, ...]
    text: tuple[str, ...]
    begin: tuple[str, ...] = ()
    end: tuple[str, ...] = ()
    coder: tuple[str, ...] = ()
    comment: tuple[str, ...] = ()
    participant: tuple[str, ...] = ("participant", "case")
    #: what separates a code from its parent in a code cell
    path_separator: str = r"\\|\s+>\s+"
    #: what separates several codes in one cell (ATLAS.ti)
    codes_separator: str | None = None
    #: columns only this tool writes: how its header is recognised
    telling: tuple[str, ...] = ()
    #: the folder a hierarchical name starts with (NVivo's "Codes\\\\Parent\\Child"), dropped
    roots: tuple[str, ...] = ()


TOOLS = {t.name: t for t in (
    Tool("maxqda", document=("document_name",), code=("code",), text=("segment",),
         begin=("beginning", "begin"), end=("end",), coder=("created_by", "modified_by"), comment=("comment",),
         telling=("document_name", "segment")),
    Tool("atlas", document=("document", "document_name"), code=("codes",), text=("quotation_content", "content", "text"),
         begin=("start",), end=("end",), coder=("created_by", "modified_by"), comment=("comment",),
         codes_separator=r"\n|;", telling=("quotation_content",)),
    Tool("nvivo", document=("file", "files", "name", "source"), code=("code", "node", "codes", "nodes"),
         text=("coded_text", "text", "content"), coder=("coded_by", "user", "created_by"), comment=("annotation",),
         telling=("coded_text",), roots=("codes", "nodes")),
)}


def _column(header: list[str], names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in header), None)


def detect_tool(header: list[str]) -> str | None:
    """The tool whose export has this (normalised) header, or None."""
    for tool in TOOLS.values():
        if all(c in header for c in tool.telling):
            return tool.name
    for tool in TOOLS.values():  # no telling column: the first whose needed columns are all there
        if all(_column(header, names) for names in (tool.document, tool.code, tool.text)):
            return tool.name
    return None


def _position(row: Row, tool: Tool, header: list[str]) -> str | None:
    begin, end = (row.get(c) if c else "" for c in (_column(header, tool.begin), _column(header, tool.end)))
    if not begin:
        return None
    return f"paragraph {begin}" if not end or end == begin else f"paragraphs {begin}-{end}"


def load(path: Path, study: str, *, tool: str | None = None,
         participants: ParticipantRule | None = None) -> tuple[Batch, list[str]]:
    """A coded-segments export as a Batch for source ``segments:<study>``."""
    path = Path(path)
    rows = read_table(path)
    header = list(rows[0].values) if rows else []
    name = tool or detect_tool(header)
    if name not in TOOLS:
        raise InputError(f"{path}:1: not a MAXQDA, NVivo or ATLAS.ti coded-segments export "
                         f"(header: {', '.join(header) or 'none'}); give --format maxqda|nvivo|atlas")
    spec = TOOLS[name]
    columns = {what: _column(header, getattr(spec, what)) for what in ("document", "code", "text")}
    missing = [f"{what} ({' or '.join(getattr(spec, what))})" for what, col in columns.items() if col is None]
    if missing:
        raise InputError(f"{path}:1: a {name} export needs column(s) {', '.join(missing)}")
    batch = Batch(f"segments:{study}", path=str(path), loader="segments")
    p = Analysis(batch, study)
    batch.node("Study", study, origin=f"{path.name}:1")
    docs: dict[str, str] = {}
    problems, coder_col, spoken = [], _column(header, spec.coder), {}
    comment_col, who_col = _column(header, spec.comment), _column(header, spec.participant)
    for row in rows:
        document, text, cell = (row.get(columns[w]) for w in ("document", "text", "code"))
        if not document or not text:
            problems.append(f"{row.origin}: a segment needs its document and its text")
            continue
        if document not in docs:
            docs[document] = p.document(document, row.origin)
        where = _position(row, spec, header)
        key = f"{re.sub(r'[^0-9]+', '-', where).strip('-')}-{_digest(text)}" if where else _digest(text)
        extract = p.extract(docs[document], row.origin, text, key=key)
        if where:
            batch.node("Extract", extract, section=where)
        codes = re.split(spec.codes_separator, cell) if spec.codes_separator else [cell]
        for code in (c.strip() for c in codes):
            parts = [part for part in re.split(spec.path_separator, code) if part.strip()]
            if len(parts) > 1 and parts[0].strip().lower() in spec.roots:
                parts = parts[1:]
            if parts:
                p.coding(extract, p.code(parts, row.origin), row.origin)
        if coder_col:
            p.coded_by_user(extract, row.get(coder_col), row.origin)
        if comment_col:
            p.memo(f"Comment on {document} ({where or 'segment'})", row.get(comment_col), row.origin,
                   ("Extract", extract))
        if who_col and row.get(who_col):
            pid = p.participant(row.get(who_col), row.origin)
            p.document_of(docs[document], pid, row.origin)
            spoken.setdefault((extract, pid), row.origin)
    if problems:
        raise InputError(problems)
    warnings = p.finish([(e, pid, origin) for (e, pid), origin in spoken.items()])
    return batch, warnings + add_participants(batch, study, participants)


def _digest(text: str) -> str:
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()[:10]
