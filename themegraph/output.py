"""Tabular output shared by every command: table, csv, json or markdown on stdout.

CSV and XLSX cells that begin with ``=``, ``+``, ``-`` or ``@`` are prefixed with an apostrophe so
that a spreadsheet shows a quote such as "=HYPERLINK(...)" as text instead of running it.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import Enum
from pathlib import Path

from rich.console import Console
from rich.table import Table

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


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
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(value)


def columns_of(rows: list[dict], columns: list[str] | None = None) -> list[str]:
    if columns:
        return list(columns)
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def render(rows: list[dict], fmt: Format | str, columns: list[str] | None = None) -> str:
    """The rows as text in ``fmt``."""
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
    table = Table(show_lines=False)
    for c in cols:
        table.add_column(c, overflow="fold")
    for row in rows:
        table.add_row(*(cell_text(row.get(c)) for c in cols), style=None)
    console = Console(file=io.StringIO(), width=max(100, Console().width), record=True, markup=False)
    console.print(table)
    return console.export_text()


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
        wb.save(path)
        return
    by_suffix = {".csv": Format.csv, ".json": Format.json, ".md": Format.markdown, ".txt": Format.table}
    if suffix not in by_suffix:
        raise ValueError(f"cannot tell the format of {path}: use .csv, .json, .md or .xlsx")
    path.write_text(render(rows, by_suffix[suffix], columns), encoding="utf-8")
