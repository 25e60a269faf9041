"""Plain text out of the files a researcher has: .txt/.md, .docx and .pdf.

Every reader fails with an :class:`InputError` that names the file (and, for bad encodings, the
line and byte offset) rather than handing an empty or garbled string to the citation extractor,
which would silently find nothing.
"""

from __future__ import annotations

import lzma
import re
import zipfile
import zlib
from itertools import pairwise
from pathlib import Path

from ..errors import InputError


#: Every way :mod:`zipfile` fails on a damaged, encrypted or unsupported archive (.docx, .qdpx):
#: bad headers or CRCs (BadZipFile), offsets before the start of the file (OSError from seek),
#: corrupt deflate / bzip2 / lzma streams (zlib.error, a plain OSError, LZMAError), a cut-off stream
#: (EOFError), encryption (RuntimeError), an unknown compression method (NotImplementedError).
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, OSError, EOFError, RuntimeError, NotImplementedError)


def decode_text(data: bytes, path: Path | str) -> str:
    """Decode a text file's bytes as UTF-8 (a byte-order mark is dropped).

    Empty files, binary files and bytes that are not UTF-8 raise :class:`InputError`; the
    message gives the line and byte offset of the first bad byte so it can be found in an editor.
    """
    if not data.strip():
        raise InputError(f"{path}: the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise InputError(f"{path}: bad UTF-16 text at byte offset {e.start}; save the file as UTF-8") from None
    if data.startswith(b"%PDF-"):
        raise InputError(f"{path}: this is a PDF file, not text; give it a .pdf extension")
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise InputError(
            f"{path}:{line}: not UTF-8 text: byte 0x{data[e.start]:02X} at byte offset {e.start} "
            "cannot be decoded; save the file as UTF-8"
        ) from None


def read_text(path: Path | str) -> str:
    """The text of a paper or transcript: .txt/.md (UTF-8), .docx or .pdf (with a text layer)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    suffix = path.suffix.lower()
    if suffix == ".docx":
        text = _docx_text(path, data)
    elif suffix == ".pdf":
        text = _pdf_text(path, data)
    else:
        text = decode_text(data, path)
    if not text.strip():
        raise InputError(f"{path}: the file holds no text")
    return text


def _docx_text(path: Path, data: bytes) -> str:
    """Paragraphs and table cells in document order, one paragraph per line, then the notes.

    Headings stay separate lines, which is what the citation extractor's section detection needs.
    """
    import docx
    from docx.exceptions import PythonDocxError
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    from lxml.etree import LxmlError

    if not data:
        raise InputError(f"{path}: the file is empty")
    lines: list[str] = []
    # python-docx parses the XML parts when it opens the file and reads attributes as the text is
    # walked, so both are inside.  Malformed XML raises lxml's XMLSyntaxError; well-formed XML that
    # is not the element python-docx expects ([Content_Types].xml in another namespace, a document
    # without <w:body>) fails with AttributeError or TypeError deep inside it; bad values ValueError.
    try:
        document = docx.Document(str(path))
        body = getattr(document.element, "body", None)  # None: a document without <w:body>
        if body is None:
            raise InputError(f"{path}: not a readable .docx file (word/document.xml has no <w:body>)")
        for child in body.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""  # comments have no str tag
            if tag == "p":
                lines.append(Paragraph(child, document).text)
            elif tag == "tbl":
                for row in Table(child, document).rows:
                    lines.append("\t".join(cell.text for cell in row.cells))
        lines += _docx_notes(document)
    except (*ZIP_ERRORS, PackageNotFoundError, PythonDocxError, LxmlError, KeyError, ValueError, AttributeError,
            TypeError) as e:
        raise InputError(f"{path}: not a readable .docx file ({e})") from None
    return "\n".join(lines)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx_notes(document) -> list[str]:
    """Footnotes and endnotes after the body, one per line as "[n] text" (as pandoc writes them):
    citations in notes are citations too.  python-docx reads no notes, so their XML parts are read."""
    from lxml import etree

    lines = []
    for part in document.part.package.iter_parts():
        if str(part.partname) not in ("/word/footnotes.xml", "/word/endnotes.xml"):
            continue
        for note in etree.fromstring(part.blob):
            number = note.get(f"{_W}id", "")
            if note.tag in (f"{_W}footnote", f"{_W}endnote") and number.isdigit() and int(number) > 0:
                paragraphs = ["".join(t.text or "" for t in p.iter(f"{_W}t")) for p in note.iter(f"{_W}p")]
                lines.append(f"[{number}] " + " ".join(p.strip() for p in paragraphs if p.strip()))
    return lines


def _pdf_text(path: Path, data: bytes) -> str:
    """The text layer of every page, pages separated by a blank line; no text layer -> needs OCR."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.strip():
        raise InputError(f"{path}: the file is empty")
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise InputError(f"{path}: the PDF is encrypted; save an unencrypted copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PdfReadError as e:
        raise InputError(f"{path}: not a readable PDF ({e})") from None
    text = "\n\n".join(_tidy_pages(pages))
    if not text.strip():
        raise InputError(
            f"{path}: the PDF has no text layer ({len(pages)} page(s) of images only); it needs OCR "
            "(e.g. `ocrmypdf in.pdf out.pdf`) before citations can be read"
        )
    return text


#: a number at the end (or start) of a line: papaja and LaTeX ``lineno`` print one on every line
_TRAILING_NUMBER = re.compile(r"(?<!\d)(?<!\d\.)(\d{1,4})[ \t]*$")  # not "0.29", but "R. V.119"
_LEADING_NUMBER = re.compile(r"^[ \t]*(\d{1,4})(?![\d.,])[ \t]+")


#: typographic ligatures a PDF's text layer may keep ("Justiﬁcation", "Eﬀect")
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})


def _tidy_pages(pages: list[str]) -> list[str]:
    """Pages without what the page layout adds to the words: ligatures, line numbers glued to the
    lines ("... (Chou397" / "et al., 2021)"), page numbers, and a running head or foot repeated on
    many pages."""
    pages = [_without_page_number(_without_line_numbers(page.translate(_LIGATURES))) for page in pages]
    for pick in (0, -1):  # the first line, then the last line, of every page
        lines = [[ln for ln in page.splitlines() if ln.strip()] for page in pages]
        marks = [_running_mark(page_lines[pick]) if page_lines else None for page_lines in lines]
        counts: dict[str, int] = {}
        for mark in marks:
            if mark:
                counts[mark] = counts.get(mark, 0) + 1
        # a third of the pages: odd and even pages often carry different heads (title / authors)
        repeated = {m for m, n in counts.items() if n >= 3 and n * 3 >= len(pages)}
        if repeated:
            pages = [_drop_line(page, pick) if mark in repeated else page for page, mark in zip(pages, marks)]
    return pages


def _without_page_number(page: str) -> str:
    """The page without a first or last line that is only its number, so that a citation running
    over the page break ("(Smith," / "14" / "Jones, 2001)") reads as one."""
    lines = page.splitlines()
    filled = [i for i, ln in enumerate(lines) if ln.strip()]
    for i in {filled[0], filled[-1]} if len(filled) > 1 else ():  # a page of one number is its text
        if re.fullmatch(r"\s*\d{1,4}\s*", lines[i]):
            lines[i] = ""
    return "\n".join(lines)


def _running_mark(line: str) -> str:
    """A line with its digits removed (page numbers change from page to page, the head does not)."""
    return " ".join(re.sub(r"\d+", " ", line).split()).lower()


def _drop_line(page: str, pick: int) -> str:
    lines = page.splitlines()
    filled = [i for i, ln in enumerate(lines) if ln.strip()]
    del lines[filled[pick]]
    return "\n".join(lines)


def _without_line_numbers(page: str) -> str:
    """The page with its line numbers removed, when at least a third of its lines carry numbers
    that run on by one (a number that breaks the run, such as a year, stays)."""
    lines = page.splitlines()
    for pattern in (_TRAILING_NUMBER, _LEADING_NUMBER):
        numbered = [(i, int(m.group(1))) for i, ln in enumerate(lines) if (m := pattern.search(ln))]
        in_run = {line for (i, n), (j, m) in pairwise(numbered) if m == n + 1 for line in (i, j)}
        if len(in_run) >= 5 and len(in_run) * 3 >= sum(1 for ln in lines if ln.strip()):
            for i in in_run:
                lines[i] = pattern.sub("", lines[i]) if pattern is _TRAILING_NUMBER else pattern.sub("", lines[i], 1)
    return "\n".join(lines)
