"""Small helpers for the maps' read queries, which must run unchanged on Ladybug and Neo4j.

Both stores accept plain ``MATCH ... WHERE ... RETURN`` with parameters; they disagree on
ordering by nodes, on ``label()``/``labels()`` and on null parameters.  So the maps send only
flat queries (one label per pattern, scalar columns, every value a parameter, no ORDER BY)
and sort and join in Python.
"""

from __future__ import annotations

import re

_LINE = re.compile(r"^(.*?):(\d+)$")


def where_study(alias: str, study: str | None, prop: str = "study") -> tuple[str, dict]:
    """A WHERE clause restricting ``alias`` to one study (``alias.prop = $study``), or nothing.

    The clause text is fixed; only the value travels as a parameter.  Without a study no
    condition is sent at all, since Ladybug cannot type a null parameter.
    """
    if not study:
        return "", {}
    return f" WHERE {alias}.{prop} = $study", {"study": study}


def study_rows(store, kind: str, alias: str, columns: str, study: str | None) -> list[dict]:
    """``MATCH (alias:kind) RETURN columns`` for one study (or all), in the order of their files."""
    where, params = where_study(alias, study)
    return sorted(store.query(f"MATCH ({alias}:{kind}){where} RETURN {columns}", params), key=source_order)


def source_order(row: dict) -> tuple:
    """Sort key that keeps rows in the order of the file they were loaded from.

    ``origin`` is "file:line" for rows read from a file; the paper's order of themes, codes and
    extracts survives that way, where ids or names would reorder them.
    """
    origin = row.get("origin") or ""
    match = _LINE.match(origin)
    if match:
        return (match.group(1), int(match.group(2)), row.get("name") or "", row.get("id") or "")
    return (origin, 0, row.get("name") or "", row.get("id") or "")
