"""Codebooks that CAQDAS tools export as spreadsheets, read as code paths.

Researchers who cannot export REFI-QDA still have a code list from their tool, and each tool
spells the hierarchy its own way in one cell:

* MAXQDA ("Code", "Memo"): ``Parent > Child`` (or ``Parent\\Child``);
* ATLAS.ti ("Code", "Comment", "Code Groups" ...): ``Group::Code``;
* NVivo ("Name", "Description", "Files", "References"; "Hierarchical Name" when exported from a
  list view): ``Codes\\\\Parent\\Child``, the root folder ("Codes" or "Nodes") dropped.

The result is one row per code, the same shape whatever the tool.  As in the REFI-QDA importer, the
leaves of the tree are the codes and the entries above them are theme levels, so a parent entry is
not returned as a code (its own memo has no place in a row and is dropped).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ..errors import InputError
from ..readers.tabular import Row, read_table

_NVIVO_ROOTS = ("codes", "nodes")
_DESCRIPTION_COLUMNS = ("memo", "code_memo", "comment", "description", "definition")


def _split_nvivo(cell: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"\\+", cell) if p.strip()]
    if len(parts) > 1 and parts[0].casefold() in _NVIVO_ROOTS:
        parts = parts[1:]
    return parts


def _split_code_cell(cell: str) -> list[str]:
    """ATLAS.ti ``A::B`` or MAXQDA ``A > B`` / ``A\\B`` as the list of its levels."""
    separator = "::" if "::" in cell else r">|\\"
    return [p.strip() for p in re.split(separator, cell) if p.strip()]


def _layout(columns: set[str], path: Path) -> tuple[str, Callable[[str], list[str]]]:
    """Which column holds the code path, and how it splits, from the header alone."""
    if "hierarchical_name" in columns:
        return "hierarchical_name", _split_nvivo
    if "code" in columns:
        return "code", _split_code_cell
    if "name" in columns:
        return "name", _split_nvivo
    raise InputError(
        f"{path}:1: not a tool codebook: expected a 'Code' column (MAXQDA, ATLAS.ti) or "
        f"'Name'/'Hierarchical Name' (NVivo); found {', '.join(sorted(columns)) or 'no columns'}"
    )


def tool_codebook_rows(path: Path) -> list[dict]:
    """Codes of a MAXQDA, ATLAS.ti or NVivo codebook (CSV or XLSX).

    Each row is ``{"code", "path": [theme levels, top down], "description", "origin"}``, in file
    order; a code listed twice under the same path is returned once.
    """
    path = Path(path)
    rows: list[Row] = read_table(path)
    if not rows:
        raise InputError(f"{path}: no codes (only a header row, or nothing)")
    columns = set(rows[0].values)
    column, split = _layout(columns, path)
    described = next((c for c in _DESCRIPTION_COLUMNS if c in columns), None)
    entries, problems, seen = [], [], set()
    for row in rows:
        levels = split(row.get(column))
        if not levels:
            problems.append(f"{row.origin}: no code name in column {column!r}")
            continue
        if tuple(levels) in seen:
            continue
        seen.add(tuple(levels))
        entries.append((levels, row))
    if problems:
        raise InputError(problems)
    parents = {tuple(levels[:i]) for levels, _ in entries for i in range(1, len(levels))}
    return [
        {
            "code": levels[-1],
            "path": levels[:-1],
            "description": (row.get(described) or None) if described else None,
            "origin": row.origin,
        }
        for levels, row in entries
        if tuple(levels) not in parents
    ]
