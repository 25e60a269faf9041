"""Reading the spreadsheets researchers actually have: CSV from Excel in any locale, or XLSX.

Excel writes CSV with a byte-order mark, Windows line endings and, in many locales, ``;`` as the
delimiter; all of that is accepted.  Text that is not UTF-8 is refused with the file and byte
offset, because silently guessing an encoding would corrupt quotes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .documents import decode_text


@dataclass(slots=True)
class Row:
    """One data row: its values by lower-cased header, and where it came from."""

    values: dict[str, str]
    line: int
    origin: str

    def get(self, key: str) -> str:
        return (self.values.get(key) or "").strip()


def read_text(path: Path) -> str:
    """The file as text, decoded by the one rule every text file follows (``documents.decode_text``:
    UTF-8 with or without a BOM, or UTF-16 with one; anything else an InputError naming the line
    and byte offset)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    return decode_text(data, path)


def _delimiter(sample: str) -> str:
    """``,`` or ``;`` (or a tab), whichever splits the header line into more columns."""
    header = sample.splitlines()[0] if sample else ""
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_table(path: Path, required: tuple[str, ...] = ()) -> list[Row]:
    """Rows of a CSV or XLSX file with lower-cased, trimmed headers; checks required columns."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        header, body = _xlsx_rows(path)
    else:
        header, body = _records(read_text(path), path)
    names = [h.strip().lower().replace(" ", "_") for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise InputError(f"{path}:1: missing column(s) {', '.join(missing)} (found: {', '.join(names)})")
    rows = []
    width, name = len(names), path.name
    blank = [""] * width
    keep = [i for i, n in enumerate(names) if n]  # columns without a header are left out
    for line, cells in body:
        if not "".join(cells).strip():  # an empty row (Excel leaves many)
            continue
        if len(cells) < width:
            cells = cells + blank[len(cells):]
        values = dict(zip(names, cells)) if len(keep) == width else {names[i]: cells[i] for i in keep}
        rows.append(Row(values, line, f"{name}:{line}"))
    return rows


def _records(text: str, path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (starting line, cells) of every CSV record; quoted cells may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    records, start = [], 1
    try:
        for cells in reader:
            records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"{path}:{reader.line_num}: unreadable CSV: {exc}") from None
    if not records:
        raise InputError(f"{path}: the file is empty (expected a header row)")
    return records[0][1], records[1:]


def _xlsx_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    try:  # a damaged workbook can fail on opening or only when its sheet is read
        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = [["" if v is None else str(v) for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
    except Exception as exc:  # openpyxl and the XML and zip readers beneath it raise many types
        raise InputError(f"{path}: not a readable .xlsx workbook ({exc.__class__.__name__}: {exc})") from None
    if not rows:
        raise InputError(f"{path}: the first worksheet is empty (expected a header row)")
    return rows[0], [(i + 2, r) for i, r in enumerate(rows[1:])]


def split_list(cell: str) -> list[str]:
    """A ``;``-separated cell as its items (empty items dropped)."""
    return [item.strip() for item in cell.split(";") if item.strip()]
