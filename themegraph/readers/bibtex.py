"""BibTeX and BibLaTeX entries as work records (via bibtexparser 2.x, LaTeX decoded by pylatexenc)."""

from __future__ import annotations

import heapq
import logging
import re
from functools import lru_cache
from pathlib import Path

from ..errors import InputError
from .bibsplit import PlainEntry, split_plain
from .works import (
    PARTICLES,
    AuthorName,
    WorkRecord,
    corporate,
    generated_key,
    person,
    work_record,
)

# --- BibTeX ---------------------------------------------------------------------------------

_NOT_O = re.compile(r"([oO])\{?\$\\not\$\}?")
_NOT_ANY = re.compile(r"(\w)\{?\$\\not\$\}?")


@lru_cache(maxsize=1)
def _latex_decoder():
    """pylatexenc's LaTeX-to-text converter (math as text, braces dropped), with the parser's
    LaTeX context built once (per process): pylatexenc otherwise rebuilds it for every value (a
    third of its time)."""
    from pylatexenc.latex2text import LatexNodes2Text
    from pylatexenc.latexwalker import LatexWalker, get_default_latex_context_db

    converter = LatexNodes2Text(math_mode="text", keep_braced_groups=False)
    context = get_default_latex_context_db()

    def decode(value: str) -> str:
        nodes = LatexWalker(value, latex_context=context, tolerant_parsing=True).get_latex_nodes()[0]
        return converter.nodelist_to_text(nodes)

    return decode


#: What LaTeX decoding can change: a value with none of these is already plain text (most values
#: are), and skipping pylatexenc for it made a 7,000-entry file load six times faster.
_LATEX_MARKS = re.compile(r"[\\{}$~%^_]|--|``|''")
#: What only pylatexenc decodes: commands, math, comments, and Spanish "!`" and "?`".  A value
#: without them (a third of the values sent to the decoder in a real 2,805-entry file: titles
#: with {Protected} words, page ranges) loses its braces and gets its dashes and quotes here, as
#: pylatexenc would give them (checked on 700,000 random values), at a hundredth of the cost.
_COMMANDS = re.compile(r"[\\$%^_]|[!?]`")
_BRACES = re.compile(r"[{}]")


def _ligatures(text: str) -> str:
    """TeX's dashes, quotes and tie in a stretch of text without braces (they do not join across
    a brace: "-{}-" stays two hyphens)."""
    return (text.replace("---", "\u2014").replace("--", "\u2013").replace("``", "\u201c").replace("''", "\u201d")
            .replace("~", " "))


#: A bare "&" (as in "Taylor & Francis"): pylatexenc would drop it as an alignment mark.
_BARE_AMPERSAND = re.compile(r"(?<!\\)&")


def _delatex(decoder, value: str) -> str:
    """LaTeX accents and commands to Unicode; ``o{$\\not$}`` (an old way to write ø) to ø."""
    if not _LATEX_MARKS.search(value):
        return " ".join(value.split())
    if not _COMMANDS.search(value) and balanced(value):
        return " ".join("".join(_ligatures(part) for part in _BRACES.split(value)).split())
    value = _BARE_AMPERSAND.sub(r"\\&", value)
    value = _NOT_O.sub(lambda m: "ø" if m.group(1) == "o" else "Ø", value)
    value = _NOT_ANY.sub(lambda m: m.group(1) + "\u0338", value)
    try:
        return " ".join(decoder(value).split())
    except Exception:  # pylatexenc raises many kinds on malformed LaTeX: keep the raw text
        return " ".join(value.replace("{", "").replace("}", "").split())


def _bib_names(raw: str, decoder) -> list[AuthorName]:
    """Split a BibTeX name list, then decode LaTeX in each part (splitting first keeps
    ``So{$\\not$}rensen`` and ``{Group for ...}`` intact); a name wholly in braces is corporate."""
    out = []
    for name in _split_and(raw):
        parts = _bib_name(name.strip(), decoder)
        if parts:
            out.append(AuthorName(*parts))
    return out


@lru_cache(maxsize=1 << 16)
def _bib_name(name: str, decoder) -> tuple[str, str, str, str] | None:
    """One name of a name list as :class:`AuthorName` fields (None: no one), remembered: the same
    people recur across a bibliography, and parsing a name into its parts is a fifth of reading
    an entry."""
    from bibtexparser.middlewares.names import parse_single_name_into_parts

    if not name:
        return None
    if name.startswith("{") and name.endswith("}") and balanced(name[1:-1]):
        return _fields(corporate(_delatex(decoder, name[1:-1])))
    if _EXTENDED_NAME.match(name):  # biblatex's "family=Dongen, given=Jan, prefix=van"
        keys = dict(_extended_parts(name))
        family = " ".join(_delatex(decoder, keys[k]) for k in ("prefix", "family") if keys.get(k))
        if not family:
            return None
        return _fields(person(family, _delatex(decoder, keys.get("given", "")), keys.get("suffix", "")))
    first, von, last, jr = _plain_name_parts(name) or _name_parts(parse_single_name_into_parts(name, strict=False))
    first = [_delatex(decoder, p) for p in first]
    # a capitalised particle written first-name-first ("Peter De Jong") belongs to the family
    moved = []
    while len(first) > 1 and first[-1].lower() in PARTICLES:
        moved.insert(0, first.pop())
    family = " ".join(moved + [_delatex(decoder, p) for p in von + last])
    jr = " ".join(_delatex(decoder, p) for p in jr)
    if not family:
        family, first = " ".join(first), []
    if not family:  # a stray "," between names is no one
        return None
    return _fields(person(family, " ".join(first), jr))


def _name_parts(parts) -> tuple[list[str], list[str], list[str], list[str]]:
    """bibtexparser's NameParts as (first, von, last, jr) word lists."""
    return parts.first, parts.von, parts.last, parts.jr


#: What separates the words of a name for BibTeX (bibtexparser's set): not every space character.
_NAME_SPACE = re.compile(r"[ ~\r\n\t]+")


def _plain_name_parts(name: str) -> tuple[list[str], list[str], list[str], list[str]] | None:
    """(first, von, last, jr) of the two commonest plain names, as bibtexparser parses them:
    "Family, Given Names" with a one-word family name, and "Given Family"; None for any other
    name (braces, backslashes, particles, "Jr" parts), which bibtexparser parses character by
    character (a tenth of reading an entry)."""
    if "{" in name or "}" in name or "\\" in name:
        return None
    family, comma, given = name.partition(",")
    if comma:
        family_words = [w for w in _NAME_SPACE.split(family) if w]
        given_words = [w for w in _NAME_SPACE.split(given) if w]
        if len(family_words) == 1 and given_words and "," not in given:
            return given_words, [], family_words, []
        return None
    words = [w for w in _NAME_SPACE.split(name) if w]
    return ([words[0]], [], [words[1]], []) if len(words) == 2 else None


def _fields(author: AuthorName) -> tuple[str, str, str, str]:
    """An author's fields, to remember without sharing the (mutable) record."""
    return author.family, author.given, author.display, author.id


_EXTENDED_NAME = re.compile(r"^\s*(family|given|prefix|suffix)\s*=", re.IGNORECASE)


def _extended_parts(name: str):
    """The ``key=value`` parts of a biblatex extended name, values unbraced."""
    for part in re.split(r",(?![^{]*\})", name):
        key, sep, value = part.partition("=")
        if sep:
            value = value.strip()
            if value.startswith("{") and value.endswith("}"):
                value = value[1:-1]
            yield key.strip().lower(), value


def _split_and(raw: str) -> list[str]:
    """Split a BibTeX name list on ``and`` outside braces.

    Done here because bibtexparser's splitter drops a ``\\v`` that follows ``and``
    (``... and \\v{R}eh{\\r u}{\\v r}ek`` loses its caron).  A list without braces (most are)
    is split by one regular expression; with braces, character by character.
    """
    if "{" not in raw and "}" not in raw:
        return [n.strip() for n in _AND.split(raw) if n.strip()]
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


#: " and " between two names, as the brace-aware loop of :func:`_split_and` finds it.
_AND = re.compile(r"\s[aA][nN][dD]\s")


def balanced(text: str) -> bool:
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
    if "#" not in value:  # most values: nothing to join
        return value, []
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


def read_bibtex(path: Path, text: str) -> tuple[list[WorkRecord], list[str]]:
    """BibTeX/BibLaTeX entries via bibtexparser 2.x; failed and duplicate blocks are reported.

    Plain entries (most of a real export) are split by :mod:`.bibsplit`, the rest by
    bibtexparser, with the same results as bibtexparser reading the whole file.
    """
    from bibtexparser.model import (
        DuplicateBlockKeyBlock,
        DuplicateFieldKeyBlock,
        Entry,
        ParsingFailedBlock,
    )

    text = _KEYLESS.sub(r"\1,\2", text)  # "@article{ author = ..." (no key): an entry with an empty key
    plain, rest = split_plain(text)
    library = _parse(path, rest)
    strings = {s.key.lower(): str(s.value) for s in library.strings}
    decoder = _latex_decoder()
    works: list[WorkRecord] = []
    problems: list[str] = []
    taken = {b.key for b in library.entries if b.key} | {p.key for p in plain}
    blocks = heapq.merge(library.blocks, plain, key=lambda b: b.start_line or 0)
    for block in blocks:
        line = (block.start_line or 0) + 1
        where = f"{path}:{line}"
        if isinstance(block, PlainEntry):
            fields = [(name, _plain_value(value, strings)) for name, value in block.fields]
            work, entry_problems = _bib_entry(block.entry_type, block.key, fields, where, strings, decoder)
            problems += entry_problems
            works.append(work)
            continue
        if isinstance(block, (DuplicateBlockKeyBlock, DuplicateFieldKeyBlock)) and not isinstance(
            block.ignore_error_block, Entry
        ):  # an @string defined twice: the parser keeps the first
            problems.append(f"{where}: @string {getattr(block, 'key', '?')!r} is defined again; the first value is kept")
            continue
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
            fields = [(f.key, str(f.value)) for f in block.fields]
            work, entry_problems = _bib_entry(block.entry_type, block.key, fields, where, strings, decoder)
            problems += entry_problems
            if not work.key:
                work.key = generated_key(work, taken)
                work.keys = [work.key]
                taken.add(work.key)
                problems.append(f"{where}: entry has no key; using {work.key!r}")
            works.append(work)
    return works, problems


def _parse(path: Path, text: str):
    """bibtexparser's library of ``text`` (with its default middlewares: macros resolved, outer
    braces and quotes removed); InputError if the parser gives up."""
    import bibtexparser

    splitter_log = logging.getLogger("bibtexparser.splitter")
    previous = splitter_log.disabled
    splitter_log.disabled = True  # its warnings repeat what read_bibtex reports
    try:
        return bibtexparser.parse_string(text)
    except Exception as e:  # the parser's own invalid-state errors: the file cannot be read
        raise InputError(f"{path}: the BibTeX parser gave up on this file ({type(e).__name__}: {e})") from None
    finally:
        splitter_log.disabled = previous


def _plain_value(value: str, strings: dict[str, str]) -> str:
    """A plain entry's value as bibtexparser's default middlewares leave it: a lone macro name
    replaced by its @string value (which they unbraced already), else the outer braces or quotes
    removed (their ``_strip_enclosing``, with its commonest case, ``{text}``, answered here)."""
    from bibtexparser.middlewares.enclosing import RemoveEnclosingMiddleware

    first = value[:1]
    if first == "{" and value[-1] == "}":
        inner = value[1:-1]
        if "{" not in inner and "}" not in inner and not inner.endswith("\\") and len(value) > 1:
            return inner
    elif first != '"' or value[-1] != '"':
        return strings.get(value.lower(), value)
    return RemoveEnclosingMiddleware._strip_enclosing(value)[0]


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
        if len(value) >= 2 and value[0] + value[-1] in ('""', "{}") and balanced(value[1:-1]):
            value = value[1:-1]
        elif value.lower() in strings:
            value = strings[value.lower()]
        fields.append(Field(f.key, value))
    return Entry(entry.entry_type, entry.key, fields)


def _bib_entry(entry_type: str, key: str, raw_fields: list[tuple[str, str]], where: str, strings: dict[str, str],
               decoder) -> tuple[WorkRecord, list[str]]:
    """One BibTeX entry (its fields as (name, value) in file order) as a WorkRecord (editors stand
    in for missing authors)."""
    problems = []
    fields = {}
    for name, raw in raw_fields:
        value, undefined = _concat(raw, strings)
        fields[name.lower()] = value
        for macro in undefined:
            problems.append(f"{where}: entry {key!r} uses the undefined @string macro {macro!r} in "
                            f"{name.lower()}; its name is kept as written")
    raw_names = fields.get("author") or fields.get("editor") or ""
    authors = _bib_names(raw_names, decoder) if raw_names else []
    body = fields.get("institution") or fields.get("organization")
    if not authors and body:  # a report or web page whose author is the body that issued it
        authors = [corporate(_delatex(decoder, body.strip("{}")))]

    def text(name: str) -> str | None:
        return _delatex(decoder, fields[name]) if fields.get(name) else None

    year = fields.get("year") or fields.get("date")
    work = work_record(
        key=key.strip(),
        title=text("title"),
        year=year,
        authors=authors,
        venue=text("journal") or text("journaltitle") or text("booktitle") or text("publisher"),
        doi=fields.get("doi"),
        type_=entry_type.lower(),
        note=text("note"),
        origin=where,
    )
    for what, value in (("author", authors), ("year", work.year), ("title", work.title)):
        if not value:
            problems.append(f"{where}: entry {key!r} has no {what}")
    return work, problems
