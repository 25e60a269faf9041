"""Reference files (BibTeX/BibLaTeX, RIS, CSL-JSON) read into one neutral record per work.

Real reference files are messy: exports with byte-order marks, ``@string`` macros, LaTeX
accents, duplicate or missing keys, one broken entry in the middle.  Every reader here reports
each problem as ``file:line: message`` and loads everything it can, so one bad entry never hides
forty good ones; ``strict=True`` turns any problem into an :class:`InputError`.

Names are kept as written for display and matched in a folded form (:func:`name_key`), so that
``Flückiger``, ``Fl{\\"u}ckiger`` and ``Fluckiger`` are the same author.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..graph.batch import Batch
from ..graph.ids import fold, slug
from .documents import decode_text

#: Name particles that belong to the family name ("De Jong", "van Paridon", "von Neumann").
PARTICLES = frozenset(
    "de da del della dei der den di du dos das van von vom zum zur le la les ten ter vander van't d' st".split()
)
#: Words that mark a name written without a comma as a corporate body, not a person.
_CORPORATE_WORDS = frozenset(
    """group association organization organisation institute institution society council committee
    department agency office foundation centre center university ministry board commission
    collaboration consortium network service services team trust college academy federation""".split()
)
#: Title words skipped when a work id takes the first significant words of the title.
_STOPWORDS = frozenset("a an the of and or in on for to with from by at as is are its their into".split())

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_YEAR = re.compile(r"\d{4}[a-z]?")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


@dataclass
class AuthorName:
    """One author: family name with particles, given names, display form and a stable id."""

    family: str
    given: str
    display: str
    id: str


@dataclass
class WorkRecord:
    """One work as read from a reference file (before or after :func:`merge_works`)."""

    key: str
    id: str
    title: str | None
    year: str | None
    authors: list[AuthorName]
    venue: str | None
    doi: str | None
    type: str | None
    note: str | None
    origin: str
    #: every citation key this work was known by (more than one after merging duplicates)
    keys: list[str] = field(default_factory=list)

    def __post_init__(self):
        if not self.keys:
            self.keys = [self.key]


# --- names ----------------------------------------------------------------------------------


def name_key(name: str) -> str:
    """The form surnames are matched in: folded, letters and digits only ("O’Hare" -> "ohare")."""
    return _NON_ALNUM.sub("", fold(name))


def _initials(given: str) -> str:
    """"Edward S." -> "es", "Jean-Paul" -> "jp": the id part that tells namesakes apart."""
    return "".join(part[0] for part in re.split(r"[\s.\-]+", fold(given)) if part and part[0].isalnum())


def person(family: str, given: str = "", jr: str = "") -> AuthorName:
    """An author who is a person; trailing particles of the given names move to the family name."""
    given_words = given.split()
    while given_words and given_words[-1].lower() in PARTICLES:
        family = f"{given_words.pop()} {family}"
    given = " ".join(given_words)
    family = " ".join(family.split())
    display = family + (f" {jr}" if jr else "") + (f", {given}" if given else "")
    initials = _initials(given)
    return AuthorName(family, given, display, f"author/{slug(family)}" + (f"-{initials}" if initials else ""))


def corporate(name: str) -> AuthorName:
    """A corporate author (``{Group for the Advancement of Psychiatry}``): one name, no parts."""
    name = " ".join(name.split())
    return AuthorName(name, "", name, f"author/{slug(name)}")


def parse_name(text: str) -> AuthorName | None:
    """A name written as plain text ("Family, Given", "Given Family" or a body's name)."""
    text = " ".join(text.split()).strip(" ,;")
    if not text:
        return None
    if "," in text:
        family, _, given = text.partition(",")
        return person(family.strip(), given.strip())
    words = text.split()
    if len(words) == 1:
        return person(words[0])
    if any(w.lower().strip(".,") in _CORPORATE_WORDS for w in words):
        return corporate(text)
    cut = len(words) - 1
    while cut > 1 and words[cut - 1].lower() in PARTICLES:
        cut -= 1
    return person(" ".join(words[cut:]), " ".join(words[:cut]))


# --- works ----------------------------------------------------------------------------------


def work_id(first_family: str | None, year: str | None, title: str | None) -> str:
    """``work/<family>-<year>[-<first three significant title words>]``: same input, same id."""
    parts = [slug(first_family) if first_family else "anonymous", slug(year) if year else "nd"]
    if title:
        words = [w for w in _NON_ALNUM.split(fold(title)) if w and w not in _STOPWORDS]
        if words:
            parts.append("-".join(words[:3]))
    return "work/" + "-".join(parts)


def short_citation(authors: list[AuthorName] | list[str], year: str | None) -> str:
    """"Bordin (1979)", "Horvath & Luborsky (1993)", "Skeem et al. (2007)"."""
    families = [a.family if isinstance(a, AuthorName) else a for a in authors]
    if not families:
        who = "Anonymous"
    elif len(families) == 1:
        who = families[0]
    elif len(families) == 2:
        who = f"{families[0]} & {families[1]}"
    else:
        who = f"{families[0]} et al."
    return f"{who} ({year or 'n.d.'})"


def normalise_doi(doi: str | None) -> str | None:
    """A DOI without its resolver prefix, or None; compare DOIs lower-cased."""
    if not doi:
        return None
    doi = _DOI_PREFIX.sub("", doi.strip()).strip()
    return doi or None


def normalise_year(value: str | None) -> str | None:
    """A year as cited: "1979", "2006a", "n.d.", "in press"; dates shortened to their year."""
    if value is None:
        return None
    value = " ".join(str(value).split())
    if not value:
        return None
    low = value.lower().rstrip(".")
    if low in ("n.d", "nd", "no date"):
        return "n.d."
    if low in ("in press", "forthcoming"):
        return low
    m = _YEAR.search(value)
    return m.group(0) if m else value


def _clean(value) -> str | None:
    """Whitespace collapsed; anything empty or not text becomes None."""
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def _record(key, title, year, authors, venue, doi, type_, note, origin) -> WorkRecord:
    """A WorkRecord with whitespace collapsed and its id derived from its content."""
    title, year = _clean(title), normalise_year(year)
    first = authors[0].family if authors else None
    return WorkRecord(
        key=key,
        id=work_id(first, year, title),
        title=title,
        year=year,
        authors=authors,
        venue=_clean(venue),
        doi=normalise_doi(doi),
        type=_clean(type_),
        note=_clean(note),
        origin=origin,
    )


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
    reader = {"bibtex": _read_bibtex, "ris": _read_ris, "csl": _read_csl_json}[kind]
    works, problems = reader(path, text)
    if not works:
        raise InputError([f"{path}: no {_FORMAT_NAMES[kind]} entries could be read", *problems])
    works, key_problems = _unique_keys(works, path)
    problems = sorted(problems + key_problems, key=lambda p: _line_of(p, path))
    if strict and problems:
        raise InputError(problems)
    return works, problems


_FORMAT_NAMES = {"bibtex": "BibTeX", "ris": "RIS", "csl": "CSL-JSON"}
_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")
_RIS_START = re.compile(r"^TY  - ", re.MULTILINE)
_BIB_START = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)


def _detect_format(path: Path, text: str) -> str:
    """The file's format from its content, the extension breaking ties; unknown -> InputError."""
    by_ext = {".bib": "bibtex", ".bibtex": "bibtex", ".ris": "ris", ".txt": "ris", ".json": "csl"}.get(
        path.suffix.lower()
    )
    head = text.lstrip()
    found = []
    if head and head[0] in "[{":
        found.append("csl")
    if _RIS_START.search(text):
        found.append("ris")
    if _BIB_START.search(text):
        found.append("bibtex")
    if by_ext in found or (by_ext and not found and by_ext != "ris"):
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
            work.key = _suffixed(old, taken)
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


def _suffixed(key: str, taken: set[str]) -> str:
    """``key`` with the first suffix ("-2", "-3" ...) no entry of the file uses."""
    n = 2
    while f"{key}-{n}" in taken:
        n += 1
    return f"{key}-{n}"


def _generated_key(work: WorkRecord, taken: set[str]) -> str:
    """A key for a record that has none: its id without ``work/`` (stable: the same entry gets
    the same key in every export), made unique in the file."""
    base = work.id.removeprefix("work/")
    return base if base not in taken else _suffixed(base, taken)


# --- BibTeX ---------------------------------------------------------------------------------

_NOT_O = re.compile(r"([oO])\{?\$\\not\$\}?")
_NOT_ANY = re.compile(r"(\w)\{?\$\\not\$\}?")


def _latex_decoder():
    """pylatexenc's LaTeX-to-text converter (math as text, braces dropped)."""
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="text", keep_braced_groups=False)


def _delatex(decoder, value: str) -> str:
    """LaTeX accents and commands to Unicode; ``o{$\\not$}`` (an old way to write ø) to ø."""
    value = _NOT_O.sub(lambda m: "ø" if m.group(1) == "o" else "Ø", value)
    value = _NOT_ANY.sub(lambda m: m.group(1) + "\u0338", value)
    try:
        return " ".join(decoder.latex_to_text(value).split())
    except Exception:  # pylatexenc raises many kinds on malformed LaTeX: keep the raw text
        return " ".join(value.replace("{", "").replace("}", "").split())


def _bib_names(raw: str, decoder) -> list[AuthorName]:
    """Split a BibTeX name list, then decode LaTeX in each part (splitting first keeps
    ``So{$\\not$}rensen`` and ``{Group for ...}`` intact); a name wholly in braces is corporate."""
    from bibtexparser.middlewares.names import parse_single_name_into_parts

    out = []
    for name in _split_and(raw):
        name = name.strip()
        if not name:
            continue
        if name.startswith("{") and name.endswith("}") and _balanced(name[1:-1]):
            out.append(corporate(_delatex(decoder, name[1:-1])))
            continue
        parts = parse_single_name_into_parts(name, strict=False)
        first = [_delatex(decoder, p) for p in parts.first]
        # a capitalised particle written first-name-first ("Peter De Jong") belongs to the family
        moved = []
        while len(first) > 1 and first[-1].lower() in PARTICLES:
            moved.insert(0, first.pop())
        family = " ".join(moved + [_delatex(decoder, p) for p in parts.von + parts.last])
        jr = " ".join(_delatex(decoder, p) for p in parts.jr)
        if not family:
            family, first = " ".join(first), []
        if family:  # a stray "," between names is no one
            out.append(person(family, " ".join(first), jr))
    return out


def _split_and(raw: str) -> list[str]:
    """Split a BibTeX name list on ``and`` outside braces.

    Done here because bibtexparser's splitter drops a ``\\v`` that follows ``and``
    (``... and \\v{R}eh{\\r u}{\\v r}ek`` loses its caron).
    """
    names, depth, start, i = [], 0, 0, 0
    while i < len(raw):
        ch = raw[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and ch.isspace() and raw[i + 1 : i + 4].lower() == "and" and raw[i + 4 : i + 5].isspace():
            names.append(raw[start:i])
            i += 4
            start = i
        i += 1
    names.append(raw[start:])
    return [n.strip() for n in names if n.strip()]


def _balanced(text: str) -> bool:
    """True if every brace in ``text`` closes (so ``{A} and {B}`` is not one braced name)."""
    depth = 0
    for ch in text:
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            return False
    return depth == 0


def _concat(value: str, strings: dict[str, str]) -> tuple[str, list[str]]:
    """Resolve ``jcp # " and Clinical"`` style concatenations the parser leaves as written; also
    the names of undefined macros in them, which stay as written (without the ``#``)."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(value):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == '"' and depth == 0:
            quoted = not quoted
        elif ch == "#" and depth == 0 and not quoted and (i == 0 or value[i - 1] != "\\"):
            parts.append(value[start:i].strip())
            start = i + 1
    if not parts:
        return value, []
    parts.append(value[start:].strip())
    out, undefined = [], []
    for part in parts:
        if len(part) >= 2 and part[0] + part[-1] in ('""', "{}"):
            out.append(part[1:-1])
        elif part.lower() in strings:
            out.append(strings[part.lower()])
        elif part.isdigit() or not part:
            out.append(part)
        elif re.fullmatch(r"[A-Za-z][\w:.+/-]*", part):
            out.append(part)
            undefined.append(part)
        else:
            return value, []  # not a concatenation after all: keep what was written
    return "".join(out), undefined


def _read_bibtex(path: Path, text: str) -> tuple[list[WorkRecord], list[str]]:
    """BibTeX/BibLaTeX entries via bibtexparser 2.x; failed and duplicate blocks are reported."""
    import bibtexparser
    from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry, ParsingFailedBlock

    splitter_log = logging.getLogger("bibtexparser.splitter")
    previous = splitter_log.disabled
    splitter_log.disabled = True  # its warnings repeat what the problems below report
    text = _KEYLESS.sub(r"\1,\2", text)  # "@article{ author = ..." (no key): an entry with an empty key
    try:
        library = bibtexparser.parse_string(text)
    except Exception as e:  # the parser's own invalid-state errors: the file cannot be read
        raise InputError(f"{path}: the BibTeX parser gave up on this file ({type(e).__name__}: {e})") from None
    finally:
        splitter_log.disabled = previous
    strings = {s.key.lower(): str(s.value) for s in library.strings}
    decoder = _latex_decoder()
    works: list[WorkRecord] = []
    problems: list[str] = []
    taken = {b.key for b in library.entries if b.key}
    for block in library.blocks:
        line = (block.start_line or 0) + 1
        where = f"{path}:{line}"
        if isinstance(block, (DuplicateBlockKeyBlock, DuplicateFieldKeyBlock)):
            # a repeated key is made unique later (_unique_keys); a field given twice keeps its first value
            entry = block.ignore_error_block
            for name in sorted(getattr(block, "duplicate_keys", ())):
                problems.append(f"{where}: entry {entry.key!r} gives {name!r} twice; the first value is kept")
            block = _first_fields(entry, strings)
        if isinstance(block, ParsingFailedBlock):
            reason = getattr(block.error, "abort_reason", None) or str(block.error) or "syntax error"
            reason = " ".join(reason.split())
            problems.append(f"{where}: could not read this entry ({reason}); entry skipped")
        elif isinstance(block, Entry):
            work, entry_problems = _bib_entry(block, where, strings, decoder)
            problems += entry_problems
            if not work.key:
                work.key = _generated_key(work, taken)
                work.keys = [work.key]
                taken.add(work.key)
                problems.append(f"{where}: entry has no key; using {work.key!r}")
            works.append(work)
    return works, problems


_KEYLESS = re.compile(r"(@\s*(?!(?:string|preamble|comment)\b)[A-Za-z]+\s*[{(])(\s*[A-Za-z][\w-]*\s*=)", re.IGNORECASE)


def _first_fields(entry, strings: dict[str, str]):
    """An entry the parser set aside (repeated key or field), as its middlewares would have left
    it: the first value of each field, outer braces or quotes removed, a lone macro resolved."""
    from bibtexparser.model import Entry, Field

    fields, seen = [], set()
    for f in entry.fields:
        if f.key.lower() in seen:
            continue
        seen.add(f.key.lower())
        value = str(f.value).strip()
        if len(value) >= 2 and value[0] + value[-1] in ('""', "{}") and _balanced(value[1:-1]):
            value = value[1:-1]
        elif value.lower() in strings:
            value = strings[value.lower()]
        fields.append(Field(f.key, value))
    return Entry(entry.entry_type, entry.key, fields)


def _bib_entry(entry, where: str, strings: dict[str, str], decoder) -> tuple[WorkRecord, list[str]]:
    """One BibTeX entry as a WorkRecord (editors stand in for missing authors)."""
    problems = []
    fields = {}
    for f in entry.fields:
        value, undefined = _concat(str(f.value), strings)
        fields[f.key.lower()] = value
        for name in undefined:
            problems.append(f"{where}: entry {entry.key!r} uses the undefined @string macro {name!r} in "
                            f"{f.key.lower()}; its name is kept as written")
    raw_names = fields.get("author") or fields.get("editor") or ""
    authors = _bib_names(raw_names, decoder) if raw_names else []

    def text(name: str) -> str | None:
        return _delatex(decoder, fields[name]) if fields.get(name) else None

    year = fields.get("year") or fields.get("date")
    work = _record(
        key=entry.key.strip(),
        title=text("title"),
        year=year,
        authors=authors,
        venue=text("journal") or text("journaltitle") or text("booktitle") or text("publisher"),
        doi=fields.get("doi"),
        type_=entry.entry_type.lower(),
        note=text("note"),
        origin=where,
    )
    for what, value in (("author", authors), ("year", work.year), ("title", work.title)):
        if not value:
            problems.append(f"{where}: entry {entry.key!r} has no {what}")
    return work, problems


# --- RIS ------------------------------------------------------------------------------------

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


def _read_ris(path: Path, text: str) -> tuple[list[WorkRecord], list[str]]:
    """RIS records, each parsed on its own by rispy so a bad one cannot take the others with it.

    The text is decoded with ``utf-8-sig`` beforehand: given a BOM, rispy would drop record 1.
    """
    import rispy

    works, problems, taken = [], [], set()
    for line, lines, closed in _ris_records(text):
        where = f"{path}:{line}"
        if not closed:
            problems.append(f"{where}: record has no closing 'ER  -' line; read up to the next record")
            lines = [*lines, "ER  - "]
        bad = [ln for ln in lines if ln.strip() and not _RIS_TAG.match(ln)]
        if bad:
            problems.append(f"{where}: {len(bad)} line(s) are not 'XX  - value' tags and were ignored: {bad[0][:40]!r}")
        # only well-formed tag lines reach rispy, which then cannot fail on this record
        parsed = rispy.loads("\n".join(ln for ln in lines if _RIS_TAG.match(ln)))
        if not parsed:
            problems.append(f"{where}: empty record skipped")
            continue
        work = _ris_work(parsed[0], where)
        if not work.authors or not work.year or not work.title:
            missing = [w for w, v in (("author", work.authors), ("year", work.year), ("title", work.title)) if not v]
            problems.append(f"{where}: record has no {' or '.join(missing)}")
        if not work.key:
            work.key = _generated_key(work, taken)
            work.keys = [work.key]
        taken.add(work.key)
        works.append(work)
    return works, problems


def _ris_work(rec: dict, where: str) -> WorkRecord:
    """One rispy record as a WorkRecord."""
    names = rec.get("authors") or rec.get("first_authors") or rec.get("editors") or []
    authors = [a for a in (parse_name(n) for n in names) if a]
    year = rec.get("year") or rec.get("publication_year") or rec.get("date")
    notes = rec.get("notes") or []
    return _record(
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


# --- CSL-JSON -------------------------------------------------------------------------------

_CSL_TYPES = {
    "article-journal": "article",
    "article-magazine": "article",
    "article-newspaper": "article",
    "chapter": "incollection",
    "paper-conference": "inproceedings",
    "webpage": "online",
}


def _read_csl_json(path: Path, text: str) -> tuple[list[WorkRecord], list[str]]:
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
            work.key = _generated_key(work, taken)
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


def _csl_names(value, where: str, problems: list[str]) -> list[AuthorName]:
    """CSL name objects: ``{"family", "given", "non-dropping-particle"}`` or ``{"literal"}``.

    A name with a part that is not text (a list, an object, true) is left out with a problem; a
    name with no family or literal (or a blank one) is no one and is left out.
    """
    out = []
    for n in value if isinstance(value, list) else []:
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
    work = _record(
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


# --- merging and loading --------------------------------------------------------------------


def _richness(work: WorkRecord) -> int:
    """How many fields a record fills: the richest record of a group leads the merge."""
    return sum(bool(v) for v in (work.title, work.year, work.venue, work.doi, work.type, work.note)) + len(
        work.authors
    )


def _same_work(a: WorkRecord, b: WorkRecord) -> bool:
    """Same DOI; or, where they do not both have DOIs, same first author, year and title."""
    if a.doi and b.doi:
        return a.doi.lower() == b.doi.lower()
    if not (a.authors and b.authors and a.year and b.year and a.title and b.title):
        return False
    if name_key(a.authors[0].family) != name_key(b.authors[0].family) or a.year != b.year:
        return False
    return difflib.SequenceMatcher(None, fold(a.title), fold(b.title)).ratio() >= 0.9


def merge_works(works: list[WorkRecord]) -> list[WorkRecord]:
    """One record per real work, in first-seen order, keeping the richest fields and all keys.

    Records are compared only within buckets of equal DOI or equal (first author, year), so
    merging stays near-linear on large bibliographies.
    """
    parent = list(range(len(works)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    buckets: dict[tuple, list[int]] = {}
    for i, w in enumerate(works):
        if w.doi:
            buckets.setdefault(("doi", w.doi.lower()), []).append(i)
        if w.authors and w.year:
            buckets.setdefault(("ay", name_key(w.authors[0].family), w.year), []).append(i)
    for members in buckets.values():
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                if find(i) != find(j) and _same_work(works[i], works[j]):
                    parent[max(find(i), find(j))] = min(find(i), find(j))
    groups: dict[int, list[WorkRecord]] = {}
    for i, w in enumerate(works):
        groups.setdefault(find(i), []).append(w)
    return [_merge_group(g) for _, g in sorted(groups.items())]


def _merge_group(group: list[WorkRecord]) -> WorkRecord:
    """The fields of a group of duplicates: each from the richest record that has it."""
    if len(group) == 1:
        return group[0]
    ranked = sorted(group, key=_richness, reverse=True)

    def pick(attr: str):
        return next((getattr(w, attr) for w in ranked if getattr(w, attr)), None)

    keys = [k for w in group for k in w.keys]
    merged = _record(
        key=group[0].key,
        title=pick("title"),
        year=pick("year"),
        authors=max((w.authors for w in group), key=len),
        venue=pick("venue"),
        doi=pick("doi"),
        type_=pick("type"),
        note=pick("note"),
        origin=group[0].origin,
    )
    merged.keys = list(dict.fromkeys(keys))
    return merged


def add_works(batch: Batch, works: list[WorkRecord]) -> dict[str, str]:
    """Work and Author nodes and AUTHORED_BY(position) relations; returns ``{key: work id}``.

    Two different works whose ids coincide (same first author, year and first title words)
    get ``-2``, ``-3`` ... so neither silently absorbs the other.
    """
    ids: dict[str, str] = {}
    owner: dict[str, WorkRecord] = {}
    for work in works:
        wid, n = work.id, 2
        while wid in owner and owner[wid] is not work:
            wid, n = f"{work.id}-{n}", n + 1
        owner[wid] = work
        batch.node(
            "Work",
            wid,
            origin=work.origin,
            name=short_citation(work.authors, work.year),
            title=work.title,
            year=work.year,
            authors=[a.display for a in work.authors],
            venue=work.venue,
            doi=work.doi,
            type=work.type,
            key=work.key,
            note=work.note,
            unmatched=False,
        )
        for position, author in enumerate(work.authors, 1):
            batch.node("Author", author.id, origin=work.origin, name=author.display, family=author.family,
                       given=author.given or None)
            batch.rel("AUTHORED_BY", ("Work", wid), ("Author", author.id), origin=work.origin, position=position)
        for key in work.keys:
            ids[key] = wid
    return ids


#: What ``match_existing`` needs to know of the works already in a knowledge base.
EXISTING_WORKS_QUERY = (
    "MATCH (w:Work) OPTIONAL MATCH (w)-[a:AUTHORED_BY]->(au:Author) WHERE a.position = 1 "
    "RETURN w.id AS id, w.doi AS doi, w.title AS title, w.year AS year, au.family AS family"
)


def match_existing(works: list[WorkRecord], existing: list[dict]) -> int:
    """Give each work the id of the same work already stored (by DOI, else author, year and title).

    The same article loaded from a second reference file, or by a second study, then stays one
    Work node instead of two.  Returns how many works were matched.
    """
    by_doi = {normalise_doi(r["doi"]): r["id"] for r in existing if r.get("doi")}
    by_author_year: dict[tuple, list[dict]] = {}
    for r in existing:
        if r.get("family") and r.get("year"):
            by_author_year.setdefault((name_key(r["family"]), r["year"]), []).append(r)
    matched = 0
    for work in works:
        found = by_doi.get(work.doi) if work.doi else None
        if found is None and work.authors and work.year and work.title:
            for r in by_author_year.get((name_key(work.authors[0].family), work.year), []):
                if r.get("title") and difflib.SequenceMatcher(None, fold(work.title), fold(r["title"])).ratio() >= 0.9:
                    found = r["id"]
                    break
        if found is not None:
            matched += found != work.id
            work.id = found
    return matched
