"""Plain text out of the files a researcher has: .txt/.md, .docx and .pdf.

Every reader fails with an :class:`InputError` that names the file (and, for bad encodings, the
line and byte offset) rather than handing an empty or garbled string to the citation extractor,
which would silently find nothing.
"""

from __future__ import annotations

import lzma
import zipfile
import zlib
from pathlib import Path

from ..errors import InputError

#: Extensions read as plain UTF-8 text.
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}

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
    """Paragraphs and table cells in document order, one paragraph per line.

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
    except (*ZIP_ERRORS, PackageNotFoundError, PythonDocxError, LxmlError, KeyError, ValueError, AttributeError,
            TypeError) as e:
        raise InputError(f"{path}: not a readable .docx file ({e})") from None
    return "\n".join(lines)


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
    text = "\n\n".join(pages)
    if not text.strip():
        raise InputError(
            f"{path}: the PDF has no text layer ({len(pages)} page(s) of images only); it needs OCR "
            "(e.g. `ocrmypdf in.pdf out.pdf`) before citations can be read"
        )
    return text
