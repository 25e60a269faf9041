"""CSL-JSON items (Zotero, Mendeley, citeproc exports) as work records."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from .works import (
    AuthorName,
    WorkRecord,
    corporate,
    generated_key,
    parse_name,
    person,
    work_record,
)

# --- CSL-JSON -------------------------------------------------------------------------------

_CSL_TYPES = {
    "article-journal": "article",
    "article-magazine": "article",
    "article-newspaper": "article",
    "chapter": "incollection",
    "paper-conference": "inproceedings",
    "webpage": "online",
}


def read_csl_json(path: Path, text: str) -> tuple[list[WorkRecord], list[str]]:
    """CSL-JSON (a list of items, one item, or ``{"items": [...]}``); origins are record numbers."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}: not valid JSON ({e.msg}, column {e.colno})") from None
    except RecursionError:  # json's C decoder stops at Python's recursion limit (~1000 levels)
        raise InputError(f"{path}: JSON nested too deeply to be CSL-JSON (over ~1000 levels of [ or {{)") from None
    except ValueError as e:  # a number past Python's int-string limit (4300 digits) is no JSONDecodeError
        reason = str(e).split(";", 1)[0]
        raise InputError(f"{path}: not valid CSL-JSON ({reason})") from None
    if isinstance(data, dict):
        data = data.get("items", [data])
    if not isinstance(data, list):
        raise InputError(f"{path}: CSL-JSON must be a list of items")
    works, problems, taken = [], [], set()
    for number, item in enumerate(data, 1):
        where = f"{path}:record {number}"
        if not isinstance(item, dict):
            problems.append(f"{where}: not a JSON object; record skipped")
            continue
        wrong = _csl_wrong_types(item)
        if wrong:
            problems.append(f"{where}: {', '.join(wrong)}; record skipped")
            continue
        work = _csl_work(item, where, problems)
        if not work.key:
            work.key = generated_key(work, taken)
            work.keys = [work.key]
            problems.append(f"{where}: item has no id; using {work.key!r}")
        taken.add(work.key)
        works.append(work)
    return works, problems


#: The JSON types of the CSL-JSON fields read here (null counts as absent), and how to say them.
#: As the CSL-JSON schema has them, except that an ``issued`` date written as text or a number
#: is still read.
_CSL_FIELD_TYPES = {
    "id": ((str, int, float), "text or a number"),
    "type": (str, "text"),
    "title": (str, "text"),
    "container-title": (str, "text"),
    "publisher": (str, "text"),
    "DOI": (str, "text"),
    "doi": (str, "text"),
    "note": (str, "text"),
    "year-suffix": (str, "text"),
    "author": (list, "a list of names"),
    "editor": (list, "a list of names"),
    "issued": ((dict, str, int, float), "a date object"),
}


def _json_kind(value) -> str:
    """What a JSON value is, in a message ("a list", "true", "a number" ...); never its repr,
    which may be huge or nested past the recursion limit."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


def _csl_wrong_types(item: dict) -> list[str]:
    """``"DOI must be text, not a list"`` for each field of ``item`` of the wrong JSON type.

    Checked before anything reads the item, so a field of a type the reader does not expect
    (``"type": []`` is unhashable, ``"DOI": [null]`` has no ``strip``) is a problem of its record
    instead of a crash, and the other records still load.
    """
    wrong = []
    for name, (types, expected) in _CSL_FIELD_TYPES.items():
        value = item.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
            wrong.append(f"{name} must be {expected}, not {_json_kind(value)}")
    return wrong


def _csl_text(value) -> str | None:
    """A name part or date part as text: text and numbers are; lists, objects and booleans not."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


#: A name object with only these parts, both text, takes the short way through :func:`_csl_names`.
_PLAIN_NAME = {"family", "given"}


def _csl_names(value, where: str, problems: list[str]) -> list[AuthorName]:
    """CSL name objects: ``{"family", "given", "non-dropping-particle"}`` or ``{"literal"}``.

    A name with a part that is not text (a list, an object, true) is left out with a problem; a
    name with no family or literal (or a blank one) is no one and is left out.
    """
    out = []
    for n in value if isinstance(value, list) else []:
        if type(n) is dict and n.keys() <= _PLAIN_NAME:  # most names: family and given as text
            family, given = n.get("family"), n.get("given")
            if type(family) is str and (given is None or type(given) is str):
                if family.strip():
                    out.append(person(family.strip(), (given or "").strip()))
                continue
        if not isinstance(n, dict):
            if isinstance(n, (list, dict)):
                problems.append(f"{where}: an author is {_json_kind(n)}, not a name object; left out")
            else:
                problems.append(f"{where}: author {repr(n)[:60]} is not a name object; left out")
            continue
        parts = {p: n.get(p) for p in ("literal", "family", "given", "suffix", "non-dropping-particle")}
        wrong = [p for p, v in parts.items() if v is not None and _csl_text(v) is None]
        if wrong:
            problems.append(f"{where}: author {wrong[0]} must be text, not {_json_kind(parts[wrong[0]])}; left out")
            continue
        literal, family, given, suffix, particle = ((_csl_text(v) or "").strip() for v in parts.values())
        if literal:
            out.append(parse_name(literal) or corporate(literal))
        elif family:
            out.append(person(f"{particle} {family}".strip(), given, suffix))
    return out


def _csl_year(issued) -> str | None:
    """The year of a CSL date: ``date-parts``, ``raw`` or ``literal`` (parts that are neither text
    nor a number are ignored)."""
    if not isinstance(issued, dict):
        return _csl_text(issued) if issued else None
    parts = issued.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        year = _csl_text(parts[0][0])
        if year:
            return year
    return _csl_text(issued.get("raw")) or _csl_text(issued.get("literal"))


def _csl_work(item: dict, where: str, problems: list[str]) -> WorkRecord:
    """One CSL-JSON item as a WorkRecord."""
    authors = _csl_names(item.get("author") or item.get("editor"), where, problems)
    year = _csl_year(item.get("issued"))
    if year and item.get("year-suffix"):
        year = f"{year}{item['year-suffix']}"
    work = work_record(
        key=str(item.get("id") or "").strip(),
        title=item.get("title"),
        year=year,
        authors=authors,
        venue=item.get("container-title") or item.get("publisher"),
        doi=item.get("DOI") or item.get("doi"),
        type_=_CSL_TYPES.get(item.get("type", ""), item.get("type")),
        note=item.get("note"),
        origin=where,
    )
    for what, value in (("author", authors), ("year", work.year), ("title", work.title)):
        if not value:
            problems.append(f"{where}: item has no {what}")
    return work
