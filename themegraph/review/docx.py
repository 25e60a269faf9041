"""Word (.docx) versions of the review's tables, for the report a review team hands in.

Written to a temporary file beside the target and renamed into place, so a failure never leaves
half a document behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import ThemeGraphError


def write_table_docx(path: Path, title: str, subtitle: str, header: list[str], body: list[list[str]]) -> None:
    """A landscape document with a heading, a line under it and one table (header row bold)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Pt

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    doc.add_heading(title, level=1)
    if subtitle:
        doc.add_paragraph(subtitle)
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
    for values in body:
        cells = table.add_row().cells
        for cell, text in zip(cells, values):
            cell.text = _xml_safe(text)
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)
    path = Path(path)
    if not path.parent.is_dir():
        raise ThemeGraphError(f"{path.parent}: no such folder")
    handle, tmp = tempfile.mkstemp(prefix=".themegraph-", suffix=".docx", dir=path.parent)
    os.close(handle)
    try:
        doc.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _xml_safe(text) -> str:
    """Text a .docx can hold: XML 1.0 forbids most control characters, so they become spaces."""
    return "".join(ch if ch in "\t\n" or ord(ch) >= 32 else " " for ch in str(text or ""))
