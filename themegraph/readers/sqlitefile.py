"""Reading SQLite project files made by other tools (Taguette, QualCoder) without trusting them.

A project database comes from elsewhere, so it is opened read-only through a URI (nothing is
created or changed, not even a journal), with ``trusted_schema`` off (no functions run from
views or triggers it declares) and checked with ``quick_check`` before any row is read.  Every
failure is an :class:`InputError` naming the file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from ..errors import InputError

HEADER = b"SQLite format 3\x00"


def is_sqlite(head: bytes) -> bool:
    """Whether the first bytes of a file are an SQLite database header."""
    return head.startswith(HEADER)


def application_id(head: bytes) -> int | None:
    """The header's application id (bytes 68-71), by which a tool can mark its files."""
    if len(head) < 72 or not is_sqlite(head):
        return None
    return int.from_bytes(head[68:72], "big")


def open_database(path: Path) -> sqlite3.Connection:
    """``path`` opened read-only and checked, or an InputError saying why it cannot be read."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(100)
    except OSError as exc:
        raise InputError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    if not is_sqlite(head):
        raise InputError(f"{path}: not an SQLite database (no SQLite header)")
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1", uri=True)
        conn.execute("PRAGMA trusted_schema=OFF")
        conn.execute("PRAGMA cell_size_check=ON")
        result = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.Error as exc:
        raise InputError(f"{path}: damaged SQLite database ({exc})") from None
    if not result or result[0] != "ok":
        conn.close()
        raise InputError(f"{path}: damaged SQLite database (quick_check: {result[0] if result else 'no answer'})")
    return conn


def table_columns(conn: sqlite3.Connection) -> dict[str, set[str]]:
    """Every table of the database with its column names (lower case)."""
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n.lower(): {c[1].lower() for c in conn.execute(f"PRAGMA table_info({quote_name(n)})")} for n in names}
    except sqlite3.Error as exc:
        raise InputError(f"damaged SQLite database ({exc})") from None


def quote_name(name: str) -> str:
    """An SQL identifier quoted (table names come from the file, never from a user)."""
    return '"' + name.replace('"', '""') + '"'


def require(conn: sqlite3.Connection, path: Path, what: str, needed: dict[str, tuple[str, ...]]) -> None:
    """An InputError unless the database has every table and column in ``needed``."""
    found = table_columns(conn)
    missing = []
    for table, columns in needed.items():
        if table not in found:
            missing.append(table)
        else:
            missing += [f"{table}.{c}" for c in columns if c not in found[table]]
    if missing:
        raise InputError(f"{path}: not {what} (missing {', '.join(missing)})")


def rows(conn: sqlite3.Connection, path: Path, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    """The rows of one query; a damaged page met while reading is an InputError naming the file."""
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.Error as exc:
        raise InputError(f"{path}: damaged SQLite database ({exc})") from None
