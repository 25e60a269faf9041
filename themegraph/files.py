"""Files ThemeGraph writes for its users (maps, figures, tables, reports, exports): whole or not at all.

A map of a large review is tens of MB.  A write cut short by a full disk, a quota or Ctrl-C used
to leave a truncated file that opened as a broken page or a table short of rows, with nothing to
say it was incomplete; some exports even ended in a traceback.  Every output goes through
``write_bytes``: written to a temporary file in the same folder, flushed to disk, then renamed
over the target in one step.  On any failure the target is as it was (absent, or the previous
version), the temporary file is gone, and an ``OSError`` reads ``Error: cannot write <file>:
<reason>``.
"""

from __future__ import annotations

import io
import os
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO, Callable

from .errors import ThemeGraphError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path: str | os.PathLike, data: bytes | memoryview) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``.

    A folder that does not exist yet is made.  The file gets the permissions a plain ``open``
    would give it (a temporary file's are owner-only).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ThemeGraphError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as exc:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise ThemeGraphError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def replace_file(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> None:
    """``write_bytes`` of what ``write(f)`` writes to a binary file.

    ``write`` writes to memory: the libraries that serialise (openpyxl through lxml, for one)
    report a failed disk write in their own words ("SerialisationError: IO_EFBIG"), so the disk
    is only ever written here.
    """
    buffer = io.BytesIO()
    write(buffer)
    write_bytes(path, buffer.getbuffer())


def write_text(path: str | os.PathLike, text: str) -> None:
    """``write_bytes`` of ``text`` in UTF-8."""
    write_bytes(path, text.encode("utf-8"))
