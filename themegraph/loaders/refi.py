"""Import REFI-QDA projects (``.qdpx``) and codebooks (``.qdc``) as a Batch.

REFI-QDA is how CAQDAS tools (NVivo, ATLAS.ti, MAXQDA, QDA Miner, qc ...) exchange coded
projects.  Real exports stray from the standard in known ways, so this reader is tolerant: it
imports what it can, corrects what it can detect (selection positions counted in UTF-16 code
units, byte-order marks and CRLF line endings, ``Sources/`` folders, paths without
``internal://``, missing names, ids that are not GUIDs, other namespaces) and returns a warning for
each oddity and for everything the graph has no place for (the standard asks an importer to say
what it drops).

A project file comes from elsewhere, so it is read as hostile: the zip is never extracted (members
are read into memory, every member name is checked, member count and unpacked bytes are capped),
XML is parsed by defusedxml (no entity declarations, no external entities), and external sources
(``absolute://``, ``relative://``) are never opened.  docs/refi-qda.md describes the mapping.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import re
import sys
import uuid
import zipfile
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from ..errors import InputError, ThemeGraphError
from ..graph.batch import Batch
from ..graph.ids import fold, scoped, slug
from ..readers.documents import ZIP_ERRORS

#: Most members a .qdpx may have; real projects have one per source plus project.qde.
MAX_MEMBERS = 10_000
#: Most bytes unpacked from one project (project.qde and the text sources actually read).
MAX_BYTES = 512 * 1024 * 1024

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"

_HEX = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_GUID = re.compile(rf"{_HEX}|\{{{_HEX}\}}")
#: uuid5 namespace of the GUIDs ThemeGraph makes from node ids (fixed: exports are reproducible).
GUID_NAMESPACE = uuid.UUID("6c0d3b9e-2f4a-5e71-8b3c-9d2a4f6e8b10")

#: A set named like "gender: male" whose members are sources holds an attribute of participants.
_ATTRIBUTE_SET = re.compile(r"^\s*([^:]+?)\s*::?\s*(\S.*?)\s*$")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_LEVELS = {1: "final", 2: "emerging"}
_STUDY_SCOPED = ("Participant", "Code", "Theme", "Extract", "Document", "Memo", "User", "CodeSet")


def is_guid(value: str | None) -> bool:
    """Whether ``value`` is a GUID as the REFI-QDA schema spells one (optionally in braces)."""
    return bool(value) and bool(_GUID.fullmatch(value))


def guid_for(key: str) -> str:
    """The deterministic GUID ThemeGraph gives a node id (or any other stable key)."""
    return str(uuid.uuid5(GUID_NAMESPACE, key))


def theme_level(depth: int) -> str:
    """Theme level name of a depth in a code tree: 1 final, 2 emerging, then level-3 ..."""
    return _LEVELS.get(depth, f"level-{depth}")


# --- the archive ---------------------------------------------------------------------------


def _unsafe_name(name: str) -> bool:
    """A member name that would escape a folder it was extracted into."""
    parts = re.split(r"[\\/]", name)
    return name.startswith(("/", "\\")) or bool(re.match(r"[A-Za-z]:", name)) or ".." in parts or "\0" in name


class Archive:
    """A .qdpx whose members are read into memory after every one of them was checked."""

    def __init__(self, path: Path):
        self.label = path.name
        try:
            self._zip = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise InputError(f"{self.label}: not a zip archive; a .qdpx project is a zip holding project.qde") from None
        except OSError as exc:
            raise InputError(f"{self.label}: cannot read it: {exc.strerror or exc}") from None
        infos = self._zip.infolist()
        problems = []
        if len(infos) > MAX_MEMBERS:
            problems.append(f"{self.label}: {len(infos)} members, more than the {MAX_MEMBERS} a project may have")
        problems += [
            f"{self.label}: unsafe member name {i.filename!r} (absolute or with '..'); the archive is refused"
            for i in infos
            if _unsafe_name(i.filename)
        ]
        if problems:
            self._zip.close()
            raise InputError(problems)
        self._files: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if not info.is_dir():
                self._files.setdefault(info.filename.replace("\\", "/").casefold(), info)
        self._budget = MAX_BYTES

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._zip.close()

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """A member's bytes, counted against the cap on unpacked bytes (a zip bomb stops here)."""
        too_big = (
            f"{self.label}: {info.filename} unpacks past the limit of {MAX_BYTES} bytes per project "
            "(a zip bomb?); nothing was loaded"
        )
        if info.file_size > self._budget:
            raise InputError(too_big)
        try:
            with self._zip.open(info) as member:
                data = member.read(self._budget + 1)
        except ZIP_ERRORS as exc:  # a damaged, encrypted or unsupported member: see ZIP_ERRORS
            raise InputError(
                f"{self.label}: cannot unpack {info.filename} (damaged or unsupported zip): {exc}"
            ) from None
        if len(data) > self._budget:
            raise InputError(too_big)
        self._budget -= len(data)
        return data

    def project(self) -> tuple[zipfile.ZipInfo, str | None]:
        """The project.qde member, and a note when it had to be guessed."""
        info = self._files.get("project.qde")
        if info:
            return info, None
        roots = [i for key, i in self._files.items() if key.endswith(".qde") and "/" not in key]
        if len(roots) == 1:
            return roots[0], f"no project.qde; read {roots[0].filename} instead"
        raise InputError(f"{self.label}: no project.qde in the archive: not a REFI-QDA project")

    def source(self, path_value: str) -> tuple[zipfile.ZipInfo | None, list[str]]:
        """The member a source path names (internal only), and what was odd about the path."""
        odd = []
        scheme, sep, rest = path_value.strip().partition("://")
        if sep and scheme.casefold() != "internal":
            return None, [f"external source {path_value!r} is not read"]
        if not sep:
            rest = scheme
            odd.append(f"path {path_value!r} lacks internal://")
        name = rest.replace("\\", "/").lstrip("/")
        for candidate in (f"sources/{name}", name):
            info = self._files.get(candidate.casefold())
            if info:
                if info.filename.startswith("Sources/"):
                    odd.append("sources are in Sources/, not sources/")
                return info, odd
        return None, odd + [f"{path_value!r} is not in the archive"]


# --- XML with line numbers -------------------------------------------------------------------


@dataclass
class El:
    """An XML element by local name (namespaces are ignored: exports vary), with its line."""

    tag: str
    ns: str
    attrs: dict[str, str]
    line: int
    children: list[El] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def get(self, name: str) -> str | None:
        return self.attrs.get(name)

    def all(self, tag: str) -> list[El]:
        return [c for c in self.children if c.tag == tag]

    def first(self, tag: str) -> El | None:
        return next((c for c in self.children if c.tag == tag), None)


class _TreeBuilder(ContentHandler):
    """SAX handler that builds El trees; SAX because ElementTree drops line numbers."""

    def __init__(self):
        super().__init__()
        self.stack: list[El] = []
        self.root: El | None = None
        self.locator = None

    def setDocumentLocator(self, locator):
        self.locator = locator

    def startElementNS(self, name, qname, attrs):
        ns, local = name
        el = El(local, ns or "", {key[1]: value for key, value in attrs.items()}, self.locator.getLineNumber())
        if self.stack:
            self.stack[-1].children.append(el)
        else:
            self.root = el
        self.stack.append(el)

    def endElementNS(self, name, qname):
        self.stack.pop()

    def characters(self, content):
        if self.stack:
            self.stack[-1].parts.append(content)


def parse_xml(data: bytes, where: str) -> El:
    """The element tree of ``data``; malformed or entity-laden XML, or XML in an encoding that
    cannot be read, is an InputError at its line."""
    parser = DefusedExpatParser(namespaceHandling=1)  # forbids entity declarations and external entities
    handler = _TreeBuilder()
    parser.setContentHandler(handler)
    try:
        parser.parse(io.BytesIO(data))
    except SAXParseException as exc:
        raise InputError(
            f"{where}:{exc.getLineNumber()}: column {exc.getColumnNumber() + 1}: malformed XML: {exc.getMessage()}"
        ) from None
    except DefusedXmlException as exc:
        line = handler.locator.getLineNumber() if handler.locator else 1
        raise InputError(
            f"{where}:{line}: the XML declares entities or external references ({type(exc).__name__}); "
            "refused, as they can expand without bound or read other files"
        ) from None
    except (LookupError, ValueError) as exc:
        # expat hands an encoding it does not know itself to Python's codecs, which refuse it with
        # LookupError (unknown, or not a text encoding) or ValueError (multi-byte encodings,
        # codecs without the 'replace' error handler): not a SAXParseException.
        line = handler.locator.getLineNumber() if handler.locator else 1
        raise InputError(
            f"{where}:{line}: the XML declaration names an encoding that cannot be read ({exc}); save the file as UTF-8"
        ) from None
    return handler.root


# --- source texts and selection positions ------------------------------------------------------


@dataclass
class SourceText:
    """A text source as stored: byte-order mark dropped, line endings made LF.

    ``crlf`` and ``astral`` hold the indexes (in ``text``) of line breaks that were CRLF and of
    characters outside the Basic Multilingual Plane: where counting conventions differ.
    """

    text: str
    bom: bool = False
    crlf: list[int] = field(default_factory=list)
    astral: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def decode_text(raw: bytes, where: str = "source") -> SourceText:
    """Decode a source file (UTF-8 by the standard; UTF-16 and Windows-1252 tolerated).

    Bytes that are not UTF-8 are read as Windows-1252, which decodes any byte; a file with a
    UTF-16 byte-order mark but bytes that are not UTF-16 (odd length, lone surrogate) has no such
    fallback and is an InputError naming ``where`` (the archive and member) and the byte offset.
    """
    notes, bom = [], False
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            original, bom = raw.decode("utf-16"), True
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{where}: starts with a UTF-16 byte-order mark but is not UTF-16 text: {exc.reason} at byte "
                f"offset {exc.start}; save it as UTF-8"
            ) from None
        notes.append("is UTF-16, not UTF-8")
    else:
        if raw.startswith(codecs.BOM_UTF8):
            raw, bom = raw[3:], True
            notes.append("starts with a byte-order mark")
        try:
            original = raw.decode("utf-8")
        except UnicodeDecodeError:
            original = raw.decode("cp1252", errors="replace")
            notes.append("is not UTF-8; read as Windows-1252")
    parts, crlf, last, removed = [], [], 0, 0
    for m in re.finditer(r"\r\n?", original):
        parts += [original[last : m.start()], "\n"]
        if m.group() == "\r\n":
            crlf.append(m.start() - removed)
            removed += 1
        last = m.end()
    parts.append(original[last:])
    text = "".join(parts)
    if crlf:
        notes.append("has CRLF line endings")
    return SourceText(text, bom, crlf, [m.start() for m in _ASTRAL.finditer(text)], notes)


class Scheme:
    """One way a tool may have counted positions, mapping them to indexes of the stored text.

    The standard counts Unicode code points of the file as it is (a CRLF is two).  Tools also
    count UTF-16 code units (an emoji is two), a line break as one, or the byte-order mark as
    position 0.  ``widths`` are the extra positions each such character takes.
    """

    def __init__(self, deviations: tuple[str, ...], events: list[tuple[int, int]], offset: int, length: int):
        self.deviations = deviations
        self.offset = offset
        self.length = length
        self.starts, self.widths, self.cum = [], [], [0]
        for index, width in sorted(events):
            self.starts.append(offset + index + self.cum[-1])
            self.widths.append(width)
            self.cum.append(self.cum[-1] + width)

    def index(self, position: int) -> int | None:
        """Text index of a position; None if it splits a character or lies outside the text."""
        k = bisect_left(self.starts, position)
        if k and position < self.starts[k - 1] + 1 + self.widths[k - 1]:
            return None
        index = position - self.offset - self.cum[k]
        return index if 0 <= index <= self.length else None


_DEVIATIONS = {
    "utf16": "count UTF-16 code units instead of characters (as NVivo does)",
    "crlf": "count each CRLF line break as one character",
    "bom": "count the byte-order mark as a character",
}


def schemes(source: SourceText) -> list[Scheme]:
    """The counting conventions that could differ for this text, the standard's first."""
    options = [("utf16", bool(source.astral)), ("crlf", bool(source.crlf)), ("bom", source.bom)]
    names = [name for name, present in options if present]
    out = []
    for flags in product((False, True), repeat=len(names)):
        chosen = tuple(n for n, on in zip(names, flags) if on)
        events = [(i, 1) for i in source.astral] if "utf16" in chosen else []
        if "crlf" not in chosen:
            events += [(i, 1) for i in source.crlf]
        out.append(Scheme(chosen, events, 1 if "bom" in chosen else 0, len(source.text)))
    return sorted(out, key=lambda s: len(s.deviations))


def _mid_word(text: str, i: int) -> bool:
    return 0 < i < len(text) and text[i - 1].isalnum() and text[i].isalnum()


def _misfit(text: str, scheme: Scheme, start: int, end: int) -> bool:
    """A selection that does not fit the text under ``scheme``: split, outside, or mid-word."""
    s, e = scheme.index(start), scheme.index(end)
    return s is None or e is None or s > e or _mid_word(text, s) or _mid_word(text, e)


def choose_scheme(source: SourceText, selections: list[tuple[int, int]]) -> tuple[Scheme, int]:
    """The counting convention under which the fewest selections misfit (the standard on ties)."""
    best, best_bad = None, None
    for scheme in schemes(source):
        bad = sum(_misfit(source.text, scheme, s, e) for s, e in selections)
        if best_bad is None or bad < best_bad:
            best, best_bad = scheme, bad
    return best, best_bad


# --- ids -------------------------------------------------------------------------------------


def unique_ids(study: str, kind: str, items: Sequence[Sequence[str]]) -> list[str]:
    """Ids for ``items`` (each a sequence of names, plainest first), distinct and deterministic.

    An item whose plain name is unique gets ``scoped(study, kind, name)``.  Items whose plain
    names collide all move to the first more specific name (a parent path, a content hash) that
    tells them apart; items that nothing tells apart are numbered in document order.
    """
    groups: dict[str, list[int]] = defaultdict(list)
    for i, names in enumerate(items):
        groups[scoped(study, kind, names[0])].append(i)
    out: list[str] = [""] * len(items)
    taken = set()
    for id_, members in groups.items():
        if len(members) == 1:
            out[members[0]] = id_
            taken.add(id_)
    #: base id -> the next number to try: ids are only ever added to ``taken``, so every number
    #: below it is still in use (counting up from 2 for each of n same-named items was O(n^2) tries)
    next_number: dict[str, int] = {}
    for members in (m for m in groups.values() if len(m) > 1):
        chosen = _first_telling_level(study, kind, items, members, taken)
        if chosen is None:
            chosen = []
            for i in members:
                base = scoped(study, kind, items[i][-1])
                n = next_number.get(base, 1)
                candidate = base if n == 1 else f"{base}-{n}"
                while candidate in taken:
                    n += 1
                    candidate = f"{base}-{n}"
                next_number[base] = n + 1
                taken.add(candidate)
                chosen.append(candidate)
        for i, id_ in zip(members, chosen):
            out[i] = id_
            taken.add(id_)
    return out


def _first_telling_level(study: str, kind: str, items: Sequence[Sequence[str]], members: list[int],
                         taken: set[str]) -> list[str] | None:
    """The ids of ``members`` at the first level (name index) where they all differ and are free.

    An item whose names run out keeps its last name at every later level, so once two such items
    share an id, or one has a taken id, no later level can tell them apart and the search stops
    (as it does at once for items whose names are all the same).  Without these stops a chain of
    n same-named codes tried all n levels for n codes.
    """
    same = {items[i].key if isinstance(items[i], _PathNames) else tuple(items[i]) for i in members}
    if len(same) < len(members):
        return None
    depth = max(len(items[i]) for i in members)
    for level in range(1, depth):
        ids, settled = [], set()
        for i in members:
            last = len(items[i]) - 1
            id_ = scoped(study, kind, items[i][min(level, last)])
            if level >= last:
                if id_ in settled or id_ in taken:
                    return None
                settled.add(id_)
            ids.append(id_)
        if len(set(ids)) == len(ids) and not taken.intersection(ids):
            return ids
    return None


#: How much of a path's slug is kept while building it: one character more than ``slug`` keeps
#: (its ``max_len``), which is all the id can depend on.
_SLUG_HEAD = slug.__defaults__[0] + 1
_ASCII_ALNUM = re.compile(r"[a-z0-9]")


def _slug_part(name: str) -> str:
    """What ``name`` adds to the slug of a text it is part of: its uncut slug, or "" (not the
    "x" slug falls back to) when it has no letter or digit a slug keeps."""
    return slug(name, max_len=sys.maxsize) if _ASCII_ALNUM.search(fold(name)) else ""


def _join_slugs(front: str, back: str) -> str:
    return (f"{front}-{back}" if front and back else front or back)[:_SLUG_HEAD]


class _PathNames(Sequence[str]):
    """The names :func:`unique_ids` tries for a code at ``depth`` in the tree: ``name``, then
    ``"parent name"``, ``"grandparent parent name"`` ... up to its whole path, built on demand.

    A slug maps the spaces joining names to "-" like any other run of non-letters, so the slug of
    ``" ".join(names)`` is the names' non-empty slugs joined by "-" and cut to 80 characters.  Each
    name is therefore given as that join, cut to the :data:`_SLUG_HEAD` characters its id depends
    on: it has the id the joined text had, and the next is the next ancestor's slug put in front of
    it.  A code n levels deep so costs O(1) per name tried, not O(n) (joining and slugging every
    suffix of every path made a chain of n codes O(n^3): 800 codes took ~50 s).  ``key`` is the
    same for codes with the same path, which no name can tell apart.
    """

    def __init__(self, name: str, parent: _PathNames | None, keys: dict):
        self.parent = parent
        self.depth = parent.depth + 1 if parent else 1
        self.key = keys.setdefault((parent.key if parent else None, name), len(keys))
        self.part = _slug_part(name)
        self.whole = _join_slugs(parent.whole, self.part) if parent else self.part
        self._names, self._above = [self.part], parent

    def __len__(self) -> int:
        return self.depth

    def __getitem__(self, k: int) -> str:  # type: ignore[override]
        if k < 0:
            k += self.depth
        if not 0 <= k < self.depth:
            raise IndexError(k)
        if k == self.depth - 1:
            return self.whole
        while len(self._names) <= k:
            self._names.append(_join_slugs(self._above.part, self._names[-1]))
            self._above = self._above.parent
        return self._names[k]


def _short_hash(text: str | None) -> str:
    return hashlib.sha1((text or "").encode()).hexdigest()[:8]


# --- the reader --------------------------------------------------------------------------------


@dataclass
class _CodeItem:
    el: El
    name: str
    names: _PathNames
    parent: _CodeItem | None
    children: list[_CodeItem] = field(default_factory=list)
    theme: bool = False
    id: str = ""


@dataclass
class _Memo:
    el: El
    name: str
    text: str | None
    author: str | None = None
    created: str | None = None
    targets: list[tuple[tuple[str, str], El]] = field(default_factory=list)


class _Reader:
    """Builds one Batch from a parsed project or codebook, collecting warnings on the way."""

    def __init__(self, batch: Batch, study: str, where: str, theme_depth: int | None):
        if theme_depth is not None and theme_depth < 0:
            raise ThemeGraphError(f"--theme-depth must be 0 or more, got {theme_depth}")
        self.b = batch
        self.study = study
        self.where = where
        self.theme_depth = theme_depth
        self.warnings: list[str] = []
        self.dropped: Counter[str] = Counter()
        self.unnamed: Counter[str] = Counter()
        self.not_guids: dict[str, str] = {}  # matched form -> first spelling met
        self.objects: dict[str, tuple[str, str]] = {}  # guid key -> (kind, node id)
        self.note_refs: list[tuple[str | None, tuple[str, str], El]] = []  # (note key, target, NoteRef)
        self._rels: set = set()

    # provenance and bookkeeping

    def origin(self, el: El) -> str:
        return f"{self.where}:{el.line}"

    def warn(self, message: str, el: El | None = None) -> None:
        self.warnings.append(f"{self.origin(el) if el else self.where}: {message}")

    def key(self, value: str | None) -> str | None:
        """How ids are matched: braces and case ignored; ids that are not GUIDs still work."""
        if not value or not value.strip():
            return None
        value = value.strip()
        key = value.strip("{}").lower()
        if not is_guid(value):
            self.not_guids.setdefault(key, value)
        return key

    def register(self, el: El, kind: str, id_: str) -> None:
        key = self.key(el.get("guid"))
        if key is None:
            return
        if key in self.objects:
            self.warn(f"id {el.get('guid')!r} is used twice; references go to the first", el)
        else:
            self.objects[key] = (kind, id_)

    def resolve(self, value: str | None) -> tuple[str, str] | None:
        key = self.key(value)
        return self.objects.get(key) if key else None

    def name_of(self, el: El, what: str, fallback: str | None = None) -> str:
        name = (el.get("name") or "").strip()
        if name:
            return name
        self.unnamed[what] += 1
        return fallback or el.get("guid") or f"{what} at line {el.line}"

    def guid_prop(self, el: El, node_id: str) -> str:
        value = (el.get("guid") or "").strip()
        return value if is_guid(value) else guid_for(node_id)

    def node(self, kind: str, id_: str, el: El, **props) -> str:
        return self.b.node(kind, id_, origin=self.origin(el), study=self.study, **props)

    def rel(self, type_: str, src: tuple[str, str], dst: tuple[str, str], el: El, **props) -> None:
        key = (type_, src, dst, tuple(sorted(props.items())))
        if key not in self._rels:
            self._rels.add(key)
            self.b.rel(type_, src, dst, origin=self.origin(el), **props)

    def notes_on(self, el: El, target: tuple[str, str]) -> None:
        """Remember the NoteRefs of ``el``: they become ANNOTATES once the notes are read."""
        self.note_refs += [(self.key(r.get("targetGUID")), target, r) for r in el.all("NoteRef")]

    @staticmethod
    def description(el: El) -> str | None:
        d = el.first("Description")
        return (d.text.strip() or None) if d is not None else None

    # the code tree (projects and codebooks alike)

    def codebook(self, codes: El) -> None:
        """Codes and themes: leaves are Codes, their parents Themes (down to ``theme_depth``)."""
        items: list[_CodeItem] = []
        paths: dict = {}  # (parent's path key, name) -> path key
        stack = [(c, None) for c in reversed(codes.all("Code"))]
        while stack:
            el, parent = stack.pop()
            name = self.name_of(el, "Code")
            item = _CodeItem(el, name, _PathNames(name, parent.names if parent else None, paths), parent)
            items.append(item)
            if parent:
                parent.children.append(item)
            stack += [(c, item) for c in reversed(el.all("Code"))]
        for item in items:
            item.theme = bool(item.children) and (self.theme_depth is None or item.names.depth <= self.theme_depth)
        for kind, group in (("theme", [i for i in items if i.theme]), ("code", [i for i in items if not i.theme])):
            # each code's names are its name, then "parent name", "grandparent parent name" ...
            ids = unique_ids(self.study, kind, [i.names for i in group])
            for item, id_ in zip(group, ids):
                item.id = id_
        flattened = 0
        for item in items:
            el, kind = item.el, "Theme" if item.theme else "Code"
            above = item.parent
            while above is not None and not above.theme:
                above = above.parent
            if item.theme:
                self.node(kind, item.id, el, name=item.name, level=theme_level(item.names.depth),
                          description=self.description(el), colour=el.get("color"))
                if above:
                    self.rel("SUBTHEME_OF", (kind, item.id), ("Theme", above.id), el)
            else:
                self.node(kind, item.id, el, name=item.name, description=self.description(el))
                if el.get("color"):
                    self.dropped["colours of codes (only themes keep a colour)"] += 1
                if above:
                    self.rel("IN_THEME", (kind, item.id), ("Theme", above.id), el)
                flattened += item.parent is not above
            self.register(el, kind, item.id)
            self.notes_on(el, (kind, item.id))
        if flattened:
            self.warn(
                f"{flattened} codes below --theme-depth {self.theme_depth} were placed under the nearest theme above them"
            )

    def finish(self) -> list[str]:
        """IN_STUDY for every study-scoped node, then the summary warnings."""
        for kind in _STUDY_SCOPED:
            for id_, row in self.b.nodes.get(kind, {}).items():
                self.b.rel("IN_STUDY", (kind, id_), ("Study", self.study), origin=row.get("origin"))
        for what, n in sorted(self.unnamed.items()):
            self.warn(f"{n} {what} element(s) without a name: named after their file or id")
        if self.not_guids:
            examples = ", ".join(repr(v) for v in sorted(self.not_guids.values())[:3])
            self.warn(f"{len(self.not_guids)} ids are not GUIDs (e.g. {examples}); used as given to match references")
        if self.dropped:
            items = "; ".join(f"{n} {what}" for what, n in sorted(self.dropped.items()))
            self.warn(f"not imported (no place in the graph): {items}")
        return self.warnings


class _ProjectReader(_Reader):
    """The project-only parts: users, sources and selections, cases, notes, links, sets."""

    def __init__(self, batch: Batch, study: str, where: str, theme_depth: int | None, archive: Archive):
        super().__init__(batch, study, where, theme_depth)
        self.archive = archive
        self.users: dict[str, tuple[str, str]] = {}  # guid key -> (user id, name)
        self.variables: dict[str, str] = {}  # guid key -> variable name
        self.memos: list[_Memo] = []
        self.notes: dict[str, _Memo] = {}  # guid key -> memo of a Note
        self.doc_els: dict[str, El] = {}
        self.doc_extracts: dict[str, list[str]] = defaultdict(list)
        self.doc_values: dict[str, dict] = defaultdict(dict)  # document id -> attributes it carries
        self.participants: dict[str, dict] = {}  # participant id -> {"el", "name", "attrs"}
        self.doc_participants: dict[str, list[str]] = defaultdict(list)
        self.spoken: list[tuple[str, str, El]] = []

    def read(self, root: El) -> None:
        if root.tag != "Project":
            raise InputError(f"{self.where}:{root.line}: the root element is <{root.tag}>, not <Project>")
        if root.ns != PROJECT_NS:
            self.warn(f"namespace {root.ns or '(none)'!r} instead of {PROJECT_NS!r}; read anyway", root)
        name = self.name_of(root, "Project", Path(self.archive.label).stem)
        self.b.node("Study", self.study, origin=self.origin(root), name=name)
        section = {tag: root.first(tag) for tag in ("Users", "CodeBook", "Variables", "Cases", "Sources", "Notes", "Links", "Sets")}
        if section["Users"] is not None:
            self.read_users(section["Users"])
        codes = section["CodeBook"].first("Codes") if section["CodeBook"] is not None else None
        if codes is not None:
            self.codebook(codes)
        if section["Variables"] is not None:
            for v in section["Variables"].all("Variable"):
                key = self.key(v.get("guid"))
                if key:
                    self.variables[key] = self.name_of(v, "Variable")
                if self.description(v):
                    self.dropped["descriptions of variables"] += 1
        if section["Sources"] is not None:
            self.read_sources(section["Sources"])
        if section["Cases"] is not None:
            self.read_cases(section["Cases"])
        if section["Sets"] is not None:
            self.read_sets(section["Sets"])
        self.emit_participants()
        self.describe(root, ("Study", self.study), name)
        self.notes_on(root, ("Study", self.study))
        if section["Notes"] is not None:
            self.read_notes(section["Notes"])
        self.emit_memos()
        if section["Links"] is not None:
            self.read_links(section["Links"])
        if root.first("Graphs") is not None:
            self.dropped["graphs"] += len(root.first("Graphs").all("Graph"))

    def read_users(self, users: El) -> None:
        els = users.all("User")
        names = [self.name_of(u, "User", u.get("id")) for u in els]
        for el, name, id_ in zip(els, names, unique_ids(self.study, "user", [[n] for n in names])):
            self.node("User", id_, el, name=name, guid=self.guid_prop(el, id_))
            key = self.key(el.get("guid"))
            if key:
                self.users[key] = (id_, name)

    def user(self, value: str | None) -> tuple[str, str] | None:
        if not value:
            return None
        found = self.users.get(self.key(value))
        if found is None:
            self.dropped["references to unknown users"] += 1
        return found

    # sources, selections, codings

    def read_sources(self, sources: El) -> None:
        texts = []
        for el in sources.children:
            if el.tag != "TextSource":
                self.dropped[f"{el.tag}s (only text sources are imported)"] += 1
                continue
            texts.append((el, self.source_text(el)))
        names = [self.name_of(el, "TextSource", _file_name(path)) for el, (_, path) in texts]
        for (el, (source, path)), name, id_ in zip(texts, names, unique_ids(self.study, "document", [[n] for n in names])):
            self.node("Document", id_, el, name=name, path=path, text=source.text if source else None,
                      guid=self.guid_prop(el, id_))
            self.register(el, "Document", id_)
            self.doc_els[id_] = el
            if source:
                for note in source.notes:
                    self.warn(f"source {name!r} {note}", el)
            self.read_selections(el, id_, name, source)
            if el.all("Coding"):
                self.dropped["codings of whole sources"] += len(el.all("Coding"))
            self.notes_on(el, ("Document", id_))
            self.describe(el, ("Document", id_), name)
            for value in el.all("VariableValue"):
                self.doc_values[id_].update(self.variable_value(value))

    def source_text(self, el: El) -> tuple[SourceText | None, str | None]:
        """The plain text of a source (from its file or inline) and its path inside the archive."""
        path_value = el.get("plainTextPath")
        if path_value:
            info, odd = self.archive.source(path_value)
            for note in odd:
                self.warn(note, el)
            path = re.sub(r"^internal://", "", path_value.strip(), flags=re.I)
            if info is None:
                return None, path
            return decode_text(self.archive.read(info), f"{self.archive.label}:{info.filename}"), path
        inline = el.first("PlainTextContent")
        if inline is not None:
            return decode_text(inline.text.encode()), None
        self.warn("source has no plain text (only rich text or none): its selections cannot be read", el)
        return None, None

    def read_selections(self, source_el: El, doc_id: str, doc_name: str, source: SourceText | None) -> None:
        selections = []
        for el in source_el.all("PlainTextSelection"):
            try:
                selections.append((el, int(el.get("startPosition")), int(el.get("endPosition"))))
            except (TypeError, ValueError):
                self.warn("selection without integer start/end positions: skipped", el)
        if not selections:
            return
        if source is None:
            self.warn(f"{len(selections)} selections of {doc_name!r} skipped: its text is not available", source_el)
            return
        scheme, misfits = choose_scheme(source, [(s, e) for _, s, e in selections])
        if scheme.deviations:
            how = "; ".join(_DEVIATIONS[d] for d in scheme.deviations)
            self.warn(f"selections of {doc_name!r} {how}: positions corrected", source_el)
        text, doc_slug, skipped = source.text, doc_id.rsplit("/", 1)[-1], 0
        for el, start, end in selections:
            s, e = scheme.index(start), scheme.index(end)
            if s is None or e is None or s > e:
                skipped += 1
                continue
            id_ = f"{self.study}/extract/{doc_slug}-{s}-{e}"
            quote = text[s:e]
            if id_ in self.b.nodes.get("Extract", {}):
                self.warn(f"two selections of the same text in {doc_name!r} were merged", el)
            name = (el.get("name") or "").strip() or _abbreviate(quote)
            self.node("Extract", id_, el, name=name, text=quote, char_start=s, char_end=e)
            self.register(el, "Extract", id_)
            self.rel("IN_DOCUMENT", ("Extract", id_), ("Document", doc_id), el)
            self.doc_extracts[doc_id].append(id_)
            for coding in el.all("Coding"):
                self.read_coding(coding, id_, el)
            self.notes_on(el, ("Extract", id_))
            self.describe(el, ("Extract", id_), name)
        if skipped:
            self.warn(f"{skipped} selections of {doc_name!r} lie outside its text or split a character: skipped", source_el)
        if misfits - skipped > 0:
            self.warn(f"{misfits - skipped} selections of {doc_name!r} start or end inside a word", source_el)

    def read_coding(self, coding: El, extract_id: str, selection: El) -> None:
        ref = coding.first("CodeRef")
        target = self.resolve(ref.get("targetGUID")) if ref is not None else None
        if target is None or target[0] not in ("Code", "Theme"):
            self.warn("coding refers to no known code: skipped", coding)
            return
        type_ = "CODED_AS" if target[0] == "Code" else "ILLUSTRATES"
        self.rel(type_, ("Extract", extract_id), target, coding)
        user = self.user(coding.get("creatingUser") or selection.get("creatingUser"))
        if user:
            self.rel("CODED_BY", ("Extract", extract_id), ("User", user[0]), coding)
        self.notes_on(coding, ("Extract", extract_id))

    # cases, variables and participants

    def variable_value(self, el: El) -> dict:
        """``{attribute: value}`` of one VariableValue, typed by the value element."""
        ref = el.first("VariableRef")
        var = self.variables.get(self.key(ref.get("targetGUID"))) if ref is not None else None
        value_el = next((c for c in el.children if c.tag.endswith("Value")), None)
        if var is None or value_el is None:
            self.warn("variable value of an unknown variable, or without a value: skipped", el)
            return {}
        raw = value_el.text.strip()
        try:
            if value_el.tag == "BooleanValue":
                return {var: raw.lower() in ("true", "1")}
            if value_el.tag == "IntegerValue":
                return {var: int(raw)}
            if value_el.tag == "FloatValue":
                return {var: float(raw)}
        except ValueError:
            self.warn(f"{value_el.tag} {raw!r} is not a number: kept as text", value_el)
        return {var: raw}

    def read_cases(self, cases: El) -> None:
        els = cases.all("Case")
        names = [self.name_of(c, "Case") for c in els]
        for el, name, id_ in zip(els, names, unique_ids(self.study, "participant", [[n] for n in names])):
            attrs = {}
            for value in el.all("VariableValue"):
                attrs.update(self.variable_value(value))
            self.participants[id_] = {"el": el, "name": name, "attrs": attrs}
            for ref in el.all("SourceRef"):
                target = self.resolve(ref.get("targetGUID"))
                if target and target[0] == "Document":
                    self.doc_participants[target[1]].append(id_)
                    self.rel("DOCUMENT_OF", target, ("Participant", id_), ref)
                else:
                    self.warn("case refers to an unknown source: skipped", ref)
            for ref in el.all("SelectionRef"):
                target = self.resolve(ref.get("targetGUID"))
                if target and target[0] == "Extract":
                    self.spoken.append((target[1], id_, ref))
                else:
                    self.warn("case refers to an unknown selection: skipped", ref)
            if el.all("CodeRef"):
                self.dropped["codings of cases"] += len(el.all("CodeRef"))
            self.describe(el, ("Participant", id_), name)

    def read_sets(self, sets: El) -> None:
        """Sets of codes and sources become CodeSets; "key: value" sets of sources, attributes."""
        code_sets = []
        for el in sets.all("Set"):
            name = self.name_of(el, "Set")
            codes, sources, notes = el.all("MemberCode"), el.all("MemberSource"), el.all("MemberNote")
            m = _ATTRIBUTE_SET.match(name)
            if m and sources and not codes and not notes:
                docs = [self.resolve(r.get("targetGUID")) for r in sources]
                for doc in docs:
                    if doc and doc[0] == "Document":
                        self.doc_values[doc[1]][m.group(1)] = m.group(2)
                self.warn(f"set {name!r} read as the attribute {m.group(1)} = {m.group(2)!r} of its sources' participants", el)
            else:
                code_sets.append((el, name, codes + sources, notes))
        ids = unique_ids(self.study, "codeset", [[name] for _, name, _, _ in code_sets])
        for (el, name, members, notes), id_ in zip(code_sets, ids):
            self.node("CodeSet", id_, el, name=name, description=self.description(el))
            for ref in members:
                target = self.resolve(ref.get("targetGUID") or ref.get("guid"))
                if target and target[0] in ("Code", "Theme", "Document"):
                    self.rel("IN_SET", target, ("CodeSet", id_), ref)
                else:
                    self.warn(f"set {name!r} names an unknown code or source: skipped", ref)
            if notes:
                self.dropped["notes in sets"] += len(notes)

    def emit_participants(self) -> None:
        """Participants from cases, plus one per source that carries attributes but has no case."""
        for doc_id, values in self.doc_values.items():
            if not values:
                continue
            owners = self.doc_participants.get(doc_id, [])
            if len(owners) > 1:
                self.warn(f"attributes of {doc_id!r} skipped: it belongs to {len(owners)} cases")
                continue
            if not owners:
                name, el = self.b.nodes["Document"][doc_id]["name"], self.doc_els[doc_id]
                pid = scoped(self.study, "participant", name)
                self.participants.setdefault(pid, {"el": el, "name": name, "attrs": {}})
                self.doc_participants[doc_id].append(pid)
                self.rel("DOCUMENT_OF", ("Document", doc_id), ("Participant", pid), el)
                owners = [pid]
            attrs = self.participants[owners[0]]["attrs"]
            for key, value in values.items():
                if key in attrs and attrs[key] != value:
                    self.warn(f"participant {owners[0]!r}: attribute {key} is both {attrs[key]!r} and {value!r}; kept {value!r}")
                attrs[key] = value
        for pid, p in self.participants.items():
            attrs = json.dumps(p["attrs"], sort_keys=True, ensure_ascii=False) if p["attrs"] else None
            self.node("Participant", pid, p["el"], name=p["name"], attributes=attrs)
        for doc_id, owners in self.doc_participants.items():
            if len(owners) == 1:
                for extract_id in self.doc_extracts.get(doc_id, []):
                    self.spoken.append((extract_id, owners[0], self.participants[owners[0]]["el"]))
        for extract_id, pid, el in self.spoken:
            self.rel("SPOKEN_BY", ("Extract", extract_id), ("Participant", pid), el)

    # notes, descriptions, links

    def describe(self, el: El, target: tuple[str, str], name: str) -> None:
        """A Description of a source, selection, case or the project becomes a memo about it."""
        text = self.description(el)
        if text:
            self.memos.append(_Memo(el, f"Description of {name}", text, targets=[(target, el)]))

    def read_notes(self, notes: El) -> None:
        for el in notes.all("Note"):
            text = None
            if el.get("plainTextPath"):
                source, _ = self.source_text(el)
                text = source.text if source else None
            elif el.first("PlainTextContent") is not None:
                text = el.first("PlainTextContent").text
            user = self.user(el.get("creatingUser"))
            memo = _Memo(el, self.name_of(el, "Note", _abbreviate(text or "")), text, user[1] if user else None,
                         el.get("creationDateTime"))
            self.memos.append(memo)
            key = self.key(el.get("guid"))
            if key:
                self.notes[key] = memo
            if el.all("PlainTextSelection"):
                self.dropped["selections inside notes"] += len(el.all("PlainTextSelection"))

    def emit_memos(self) -> None:
        for note_key, target, ref in self.note_refs:
            memo = self.notes.get(note_key)
            if memo is None:
                self.warn("reference to an unknown note: skipped", ref)
            else:
                memo.targets.append((target, ref))
        ids = unique_ids(self.study, "memo", [[m.name, f"{m.name} {_short_hash(m.text)}"] for m in self.memos])
        for memo, id_ in zip(self.memos, ids):
            self.node("Memo", id_, memo.el, name=memo.name, text=memo.text, author=memo.author, created=memo.created)
            for target, el in memo.targets:
                self.rel("ANNOTATES", ("Memo", id_), target, el)

    def read_links(self, links: El) -> None:
        for el in links.all("Link"):
            src, dst = self.resolve(el.get("originGUID")), self.resolve(el.get("targetGUID"))
            if not (src and dst and src[0] in ("Code", "Theme") and dst[0] in ("Code", "Theme")):
                self.dropped["links that do not join two codes"] += 1
                continue
            name = (el.get("name") or "").strip() or None
            guid = el.get("guid") if is_guid(el.get("guid")) else guid_for(f"{src[1]}|{dst[1]}|{name}")
            self.rel("LINKED_TO", src, dst, el, relation=name, direction=el.get("direction"), guid=guid)
            if el.all("NoteRef"):
                self.dropped["notes on links"] += len(el.all("NoteRef"))
            if el.get("color"):
                self.dropped["colours of links"] += 1


def _file_name(path: str | None) -> str | None:
    return path.replace("\\", "/").rsplit("/", 1)[-1] if path else None


def _abbreviate(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# --- entry points ------------------------------------------------------------------------------


def qdpx_batch(path: Path, study: str, *, theme_depth: int | None = None) -> tuple[Batch, list[str]]:
    """A REFI-QDA project as a Batch for source ``qdpx:<study>``, and what was odd or dropped."""
    path = Path(path)
    with Archive(path) as archive:
        info, note = archive.project()
        where = f"{path.name}:{info.filename}"
        root = parse_xml(archive.read(info), where)
        batch = Batch(f"qdpx:{study}", path=str(path), loader="qdpx")
        reader = _ProjectReader(batch, study, where, theme_depth, archive)
        if note:
            reader.warn(note)
        reader.read(root)
        return batch, reader.finish()


def qdc_batch(path: Path, study: str, *, theme_depth: int | None = None) -> tuple[Batch, list[str]]:
    """A REFI-QDA codebook as a Batch for source ``qdc:<study>``: codes, themes and sets."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path.name}: cannot read it: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{path.name}: larger than the limit of {MAX_BYTES} bytes for a codebook")
    root = parse_xml(data, path.name)
    if root.tag != "CodeBook":
        raise InputError(f"{path.name}:{root.line}: the root element is <{root.tag}>, not <CodeBook>")
    batch = Batch(f"qdc:{study}", path=str(path), loader="qdc")
    reader = _Reader(batch, study, path.name, theme_depth)
    if root.ns != CODEBOOK_NS:
        reader.warn(f"namespace {root.ns or '(none)'!r} instead of {CODEBOOK_NS!r}; read anyway", root)
    batch.node("Study", study, origin=reader.origin(root))  # no name: keep the study's own title
    codes = root.first("Codes")
    if codes is not None:
        reader.codebook(codes)
    sets = root.first("Sets").all("Set") if root.first("Sets") is not None else []
    names = [reader.name_of(el, "Set") for el in sets]
    for el, name, id_ in zip(sets, names, unique_ids(study, "codeset", [[n] for n in names])):
        reader.node("CodeSet", id_, el, name=name, description=reader.description(el))
        for ref in el.all("MemberCode"):
            target = reader.resolve(ref.get("guid") or ref.get("targetGUID"))
            if target:
                reader.rel("IN_SET", target, ("CodeSet", id_), ref)
            else:
                reader.warn("set member is not a known code: skipped", ref)
    return batch, reader.finish()
