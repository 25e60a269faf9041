"""RIS records (EndNote, Zotero, Web of Science ... exports) as work records."""

from __future__ import annotations

import re
from pathlib import Path

from .works import WorkRecord, generated_key, parse_name, work_record

# --- RIS ------------------------------------------------------------------------------------

_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")

_RIS_TYPES = {
    "JOUR": "article",
    "JFULL": "article",
    "MGZN": "article",
    "BOOK": "book",
    "EBOOK": "book",
    "EDBOOK": "book",
    "CHAP": "incollection",
    "ECHAP": "incollection",
    "CONF": "inproceedings",
    "CPAPER": "inproceedings",
    "THES": "thesis",
    "RPRT": "report",
    "ELEC": "online",
    "WEB": "online",
}


def _ris_records(text: str) -> list[tuple[int, list[str], bool]]:
    """Split RIS text into (first line number, lines, closed by ER) per record."""
    records, current, start = [], None, 0
    for number, line in enumerate(text.splitlines(), 1):
        line = line.rstrip()
        if line.startswith("TY  -"):
            if current is not None:
                records.append((start, current, False))
            current, start = [line], number
        elif current is not None:
            current.append(line)
            if line.startswith("ER  -") or line == "ER  ":
                records.append((start, current, True))
                current = None
    if current is not None:
        records.append((start, current, False))
    return records


def read_ris(path: Path, text: str) -> tuple[list[WorkRecord], list[str]]:
    """RIS records, each parsed on its own by rispy so a bad one cannot take the others with it.

    The text is decoded with ``utf-8-sig`` beforehand: given a BOM, rispy would drop record 1.
    """
    from rispy import RisParser

    parser = RisParser()  # one for the file: it keeps no state between records
    works, problems, taken = [], [], set()
    for line, lines, closed in _ris_records(text):
        where = f"{path}:{line}"
        if not closed:
            problems.append(f"{where}: record has no closing 'ER  -' line; read up to the next record")
            lines = [*lines, "ER  - "]
        tagged, bad = _tag_lines(lines)
        if bad:
            problems.append(f"{where}: {len(bad)} line(s) are not 'XX  - value' tags and were ignored: {bad[0][:40]!r}")
        # only well-formed tag lines reach rispy, which then cannot fail on this record
        parsed = parser.parse_lines(iter(tagged))
        if not parsed:
            problems.append(f"{where}: empty record skipped")
            continue
        work = _ris_work(parsed[0], where)
        if not work.authors or not work.year or not work.title:
            missing = [w for w, v in (("author", work.authors), ("year", work.year), ("title", work.title)) if not v]
            problems.append(f"{where}: record has no {' or '.join(missing)}")
        if not work.key:
            work.key = generated_key(work, taken)
            work.keys = [work.key]
        taken.add(work.key)
        works.append(work)
    return works, problems


def _tag_lines(lines: list[str]) -> tuple[list[str], list[str]]:
    """A record's tag lines, and the lines that are not tags and are left out (blank lines aside).

    A line without a tag after a keyword is one more keyword: EndNote exports (Embase's, for one)
    write ``KW  - article`` and then one keyword per line, which were warned about, record after
    record, and dropped.
    """
    tagged, bad, tag = [], [], None
    for ln in lines:
        m = _RIS_TAG.match(ln)
        if m:
            tagged.append(ln)
            tag = m.group(1)
        elif not ln.strip():
            continue
        elif tag == "KW":
            tagged.append(f"KW  - {ln.strip()}")
        else:
            bad.append(ln)
    return tagged, bad


def _ris_work(rec: dict, where: str) -> WorkRecord:
    """One rispy record as a WorkRecord."""
    names = rec.get("authors") or rec.get("first_authors") or rec.get("editors") or []
    authors = [a for a in (parse_name(n) for n in names) if a]
    year = rec.get("year") or rec.get("publication_year") or rec.get("date")
    notes = rec.get("notes") or []
    return work_record(
        key=(rec.get("id") or "").strip(),
        title=rec.get("title") or rec.get("primary_title"),
        year=year,
        authors=authors,
        venue=rec.get("journal_name") or rec.get("secondary_title") or rec.get("alternate_title3")
        or rec.get("publisher"),
        doi=rec.get("doi"),
        type_=_RIS_TYPES.get(rec.get("type_of_reference", ""), (rec.get("type_of_reference") or "").lower()),
        note="; ".join(notes) if isinstance(notes, list) else notes,
        origin=where,
    )
