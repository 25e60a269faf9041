"""Word (.docx) versions of the review's tables, for the report a review team hands in.

Written through ``files.replace_file``, so a failure never leaves half a document behind.
"""

from __future__ import annotations

from pathlib import Path

from ..files import replace_file


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
    replace_file(path, doc.save)


def _xml_safe(text) -> str:
    """Text a .docx can hold: XML 1.0 forbids most control characters, so they become spaces."""
    return "".join(ch if ch in "\t\n" or ord(ch) >= 32 else " " for ch in str(text or ""))
