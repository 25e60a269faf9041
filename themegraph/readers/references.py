"""Reference files (BibTeX/BibLaTeX, RIS, CSL-JSON) read into one neutral record per work.

Real reference files are messy: exports with byte-order marks, ``@string`` macros, LaTeX
accents, duplicate or missing keys, one broken entry in the middle.  Every reader (``bibtex``,
``ris``, ``csl``) reports each problem as ``file:line: message`` and loads everything it can, so
one bad entry never hides forty good ones; ``strict=True`` turns any problem into an
:class:`InputError`.  Nothing is dropped: a repeated or missing key is made unique here.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError
from ..graph.batch import collector_paused
from .bibtex import read_bibtex
from .csl import read_csl_json
from .documents import decode_text
from .ris import read_ris
from .works import WorkRecord, suffixed_key

# --- reading --------------------------------------------------------------------------------


def read_references(path: Path | str, *, strict: bool = False) -> tuple[list[WorkRecord], list[str]]:
    """Every work of a reference file, and the problems met (``file:line: message``).

    The format is told by extension and content together (``.bib``/``.bibtex`` BibTeX or
    BibLaTeX, ``.ris``/``.txt`` RIS, ``.json`` CSL-JSON; content wins when they disagree).  A file
    that cannot be read at all (not UTF-8, binary, no entries) raises :class:`InputError`; so does
    any problem when ``strict``.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    text = decode_text(data, path)
    kind = _detect_format(path, text)
    reader = {"bibtex": read_bibtex, "ris": read_ris, "csl": read_csl_json}[kind]
    with collector_paused():  # every record read stays alive: the collector would re-scan them all
        works, problems = reader(path, text)
        if not works:
            raise InputError([f"{path}: no {_FORMAT_NAMES[kind]} entries could be read", *problems])
        works, key_problems = _unique_keys(works, path)
    problems = sorted(problems + key_problems, key=lambda p: _line_of(p, path))
    if strict and problems:
        raise InputError(problems)
    return works, problems


_FORMAT_NAMES = {"bibtex": "BibTeX", "ris": "RIS", "csl": "CSL-JSON"}
_RIS_START = re.compile(r"^TY  - ", re.MULTILINE)
_BIB_START = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)


def _detect_format(path: Path, text: str) -> str:
    """The file's format from its content, the extension breaking ties; unknown -> InputError."""
    by_ext = {".bib": "bibtex", ".bibtex": "bibtex", ".ris": "ris", ".txt": "ris", ".json": "csl"}.get(
        path.suffix.lower()
    )
    head = text.lstrip()
    looks = {
        "csl": lambda: bool(head) and head[0] in "[{",
        "ris": lambda: bool(_RIS_START.search(text)),
        "bibtex": lambda: bool(_BIB_START.search(text)),
    }
    if by_ext and looks[by_ext]():  # the usual case, told without searching a big file for the others
        return by_ext
    found = [kind for kind, test in looks.items() if test()]
    if by_ext and not found and by_ext != "ris":
        return by_ext
    if found:
        return found[0]
    raise InputError(
        f"{path}: not a reference file: found no BibTeX entries (@article{{...}}), "
        "RIS records (TY  - ...) or CSL-JSON items"
    )


def _unique_keys(works: list[WorkRecord], path: Path) -> tuple[list[WorkRecord], list[str]]:
    """Make every key unique in the file, dropping nothing.

    Reference managers repeat keys (Mendeley and Zotero merges, hand-made files): an entry whose
    key was used before gets the key with a suffix ("smith2000-2"), so both works load, and the
    warning says whether it is another work or a second copy of the same one (which is merged).
    """
    seen: dict[str, tuple[str, str]] = {}  # key -> (where first, work id)
    problems = []
    taken = {w.key for w in works}
    for work in works:
        if work.key in seen:
            first_at, first_id = seen[work.key]
            old = work.key
            work.key = suffixed_key(old, taken)
            work.keys = [work.key if k == old else k for k in work.keys]
            taken.add(work.key)
            what = ("the same work again: merged with it" if work.id == first_id
                    else f"another work: loaded as {work.key!r}")
            problems.append(f"{work.origin}: key {old!r} repeats the entry at {first_at}, for {what}")
        where = work.origin.removeprefix(f"{path}:")
        seen[work.key] = (f"line {where}" if where.isdigit() else where, work.id)
    return works, problems


def _line_of(problem: str, path: Path) -> int:
    """The line (or record) number a problem names, to list problems in file order."""
    head = problem.removeprefix(f"{path}:").split(":", 1)[0]
    digits = "".join(ch for ch in head if ch.isdigit())
    return int(digits) if digits else 0
