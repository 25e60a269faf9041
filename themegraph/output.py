"""Tabular output shared by every command: table, csv, json or markdown on stdout.

CSV and XLSX cells that begin with ``=``, ``+``, ``-`` or ``@`` are prefixed with an apostrophe so
that a spreadsheet shows a quote such as "=HYPERLINK(...)" as text instead of running it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sys
import textwrap
from enum import Enum
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .errors import ThemeGraphError
from .files import replace_file, write_text

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


BY_SUFFIX = {".csv": Format.csv, ".json": Format.json, ".md": Format.markdown, ".txt": Format.table}
#: Width of a table when stdout is not a terminal (and COLUMNS is not set).
PIPE_WIDTH = 100
#: Narrowest a table column may get; below it, one record per block reads better.
MIN_COLUMN = 14


def neutralise(value):
    """A spreadsheet-safe cell: formula-looking text is prefixed with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def cell_text(value) -> str:
    """How a value reads in a text cell (lists joined, dicts as JSON, None empty)."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "; ".join(cell_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def columns_of(rows: list[dict], columns: list[str] | None = None) -> list[str]:
    if columns:
        return list(columns)
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def render(rows: list[dict], fmt: Format | str, columns: list[str] | None = None, width: int | None = None) -> str:
    """The rows as text in ``fmt`` (a table ``width`` characters wide: the terminal's by default)."""
    fmt = Format(fmt)
    cols = columns_of(rows, columns)
    if fmt is Format.json:
        return json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n"
    if fmt is Format.csv:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        for row in rows:
            w.writerow([neutralise(cell_text(row.get(c))) for c in cols])
        return buf.getvalue()
    if fmt is Format.markdown:
        esc = lambda v: cell_text(v).replace("|", "\\|").replace("\n", " ")  # noqa: E731
        lines = ["| " + " | ".join(esc(c) for c in cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(esc(row.get(c)) for c in cols) + " |" for row in rows]
        return "\n".join(lines) + "\n"
    return _table(rows, cols, width or output_width())


def output_width() -> int:
    """The terminal's width, or (piped to a file or program) COLUMNS or ``PIPE_WIDTH``."""
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return int(os.environ.get("COLUMNS") or 0) or PIPE_WIDTH


def _table(rows: list[dict], cols: list[str], width: int) -> str:
    """A table that fits ``width``, cells wrapped at spaces; one record per block when there
    are too many columns for that (a table drawn wider than the terminal breaks mid-word)."""
    if len(cols) * (MIN_COLUMN + 3) > width:
        return _blocks(rows, cols, width)
    table = Table(show_lines=False)
    for c in cols:
        table.add_column(c, overflow="fold")  # only a word longer than its column is folded
    for row in rows:
        table.add_row(*(cell_text(row.get(c)) for c in cols), style=None)
    console = Console(file=io.StringIO(), width=width, record=True, markup=False)
    console.print(table)
    return console.export_text()


def _blocks(rows: list[dict], cols: list[str], width: int) -> str:
    """Each record as ``column: value`` lines, wrapped at spaces, records apart by a blank line."""
    key = max(len(c) for c in cols) + 2
    out = []
    for row in rows:
        for c in cols:
            text = cell_text(row.get(c))
            lines = textwrap.wrap(text, max(width - key, 20), break_long_words=False) or [""]
            out.append(f"{c + ':':<{key}}{lines[0]}".rstrip())
            out += [" " * key + line for line in lines[1:]]
        out.append("")
    return "\n".join(out)


def emit(rows: list[dict], fmt: Format | str, columns: list[str] | None = None) -> None:
    """Print rows to stdout (data only; messages go to stderr)."""
    sys.stdout.write(render(rows, fmt, columns))


def write_file(rows: list[dict], path: Path, columns: list[str] | None = None) -> None:
    """Write rows to ``path``; the format comes from the extension (.csv .json .md .xlsx)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import Workbook

        cols = columns_of(rows, columns)
        wb = Workbook()
        ws = wb.active
        ws.append(cols)
        for row in rows:
            ws.append([neutralise(cell_text(row.get(c))) for c in cols])
        _save_workbook(wb, path)
        return
    write_text(path, render(rows, check_suffix(path), columns))


def _save_workbook(wb, path: Path) -> None:
    """``wb.save`` through ``replace_file``.

    openpyxl streams each sheet through a temporary file of its own, with lxml, which reports a
    failed disk write (a full disk) as ``SerialisationError: IO_<errno name>``: that becomes the
    same ``cannot write`` error as any other.  The sheet's writer then fails once more, on the
    same disk, as it is thrown away ("Exception ignored"): that second report is left unsaid.
    """
    import errno
    import gc

    from lxml.etree import SerialisationError

    hook = sys.unraisablehook
    sys.unraisablehook = lambda seen: None if isinstance(seen.exc_value, SerialisationError) else hook(seen)
    try:
        try:
            replace_file(path, wb.save)
            return
        except SerialisationError as exc:
            code = getattr(errno, str(exc).removeprefix("IO_"), None)
            failure = f"cannot write {path}: {os.strerror(code) if code else exc}"
        gc.collect()  # the failed sheet writer goes now, while its report is left unsaid
    finally:
        sys.unraisablehook = hook
    raise ThemeGraphError(failure)


def check_suffix(path: Path) -> Format | None:
    """The format a file's extension asks for (None: .xlsx); any other extension is an error."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return None
    if suffix not in BY_SUFFIX:
        raise ThemeGraphError(f"cannot tell the format of {path}: use .csv, .json, .md, .txt or .xlsx")
    return BY_SUFFIX[suffix]
